"""Every notice sent to a customer, its text, and the proof that it was sent."""
