"""Subscriptions, orders and their lifecycle, minimum and notice periods, and exits."""
