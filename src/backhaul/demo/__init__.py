"""Deterministic demonstration data: staff users and customer accounts for both brands."""
