"""Accounts, contacts, sites and the people who may sign in for an account."""
