"""Broadband usage from RADIUS accounting, allowances, top-ups and fair-use state."""
