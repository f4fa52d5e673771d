"""The purpose register, consent, subject access, retention and the audit trail."""
