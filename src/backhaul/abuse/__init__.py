"""Abuse report intake, IP-to-account resolution, cases and the escalation ladder."""
