"""Enumerations for usage and fair use."""

from django.db import models


class FairUseState(models.TextChoices):
    NORMAL = "normal", "Normal"
    THROTTLED = "throttled", "Throttled"
    BLOCKED = "blocked", "Blocked"


class RecordSource(models.TextChoices):
    RADACCT = "radacct", "FreeRADIUS radacct table"
    DETAIL = "detail", "FreeRADIUS detail file"
    BULK = "bulk", "Bulk load"


class StatusType(models.TextChoices):
    START = "start", "Start"
    INTERIM = "interim", "Interim-Update"
    STOP = "stop", "Stop"
    ACCOUNTING_ON = "on", "Accounting-On"
    ACCOUNTING_OFF = "off", "Accounting-Off"


class TopUpChannel(models.TextChoices):
    MEMBER_CENTRE = "member-centre", "Member Centre"
    CONSOLE = "console", "Staff console"
    CLI = "cli", "Command line"
