"""Domain registrations, renewals, reminders and the expiry timeline."""
