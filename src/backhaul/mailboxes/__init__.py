"""Mailboxes: access tracking, archive and deletion, send limits and traffic logs."""
