"""Enumerations for the network."""

from django.db import models


class AssignmentSource(models.TextChoices):
    STATIC = "static", "Static allocation"
    RADIUS = "radius", "RADIUS session"


class BlockedAction(models.TextChoices):
    REJECT = "reject", "Access-Reject"
    WALLED_GARDEN = "walled-garden", "Walled-garden pool"


class CoaMode(models.TextChoices):
    COA = "coa", "CoA-Request (change the session)"
    DISCONNECT = "disconnect", "Disconnect-Request (end the session)"
    NONE = "none", "Neither: wait for the next login"


class CoaKind(models.TextChoices):
    COA = "coa", "CoA-Request"
    DISCONNECT = "disconnect", "Disconnect-Request"


class CoaResult(models.TextChoices):
    PENDING = "pending", "Pending"
    ACK = "ack", "Acknowledged"
    NAK = "nak", "Refused"
    TIMEOUT = "timeout", "No answer"
    ERROR = "error", "Error"


class PolicyGroup(models.TextChoices):
    """The FreeRADIUS group (radusergroup) a login is in, from its account's standing."""

    PLAN = "plan", "Plan attributes"
    THROTTLED = "throttled", "Throttled"
    BLOCKED = "blocked", "Blocked"
    SUSPENDED = "suspended", "Suspended"
