"""The daily tick: every day's jobs, run idempotently for any date."""
