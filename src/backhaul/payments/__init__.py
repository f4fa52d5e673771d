"""Payments, mandates, declines, interest, disputes, dunning and collections."""
