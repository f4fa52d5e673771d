"""The errors Backhaul raises for bad input or a request the terms do not allow.

Adapters turn a `BackhaulError` into a one-line message: an HTTP 4xx body, a form error or a
CLI error with exit status 2. Anything else is a bug and is allowed to surface as one.
"""

from __future__ import annotations


class BackhaulError(Exception):
    """A request Backhaul refuses, with a message fit to show the person who made it."""


class NotFound(BackhaulError):
    """Something named in a request does not exist (an account, a product, a brand)."""


class InvalidInput(BackhaulError):
    """Input that is malformed or breaks a rule; the message says what and where."""


class TransitionNotAllowed(BackhaulError):
    """A lifecycle change that the rules do not allow from the current state."""
