"""Who held which IP address (and port range, behind CGNAT) when."""

from __future__ import annotations

from django.db import models

from backhaul.customers.models import Account
from backhaul.network.choices import AssignmentSource


class IpAssignment(models.Model):
    """An address held by an account from `start` until `end` (open while `end` is null).

    Static allocations and dynamic RADIUS sessions both land here, so the abuse desk can
    answer "who had this IP at this time" from one table. For CGNAT pools, `port_start` and
    `port_end` narrow the assignment to a source-port range.
    """

    ip = models.GenericIPAddressField()
    port_start = models.PositiveIntegerField(null=True, blank=True)
    port_end = models.PositiveIntegerField(null=True, blank=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ip_assignments")
    username = models.CharField(max_length=253, blank=True)
    source = models.CharField(max_length=16, choices=AssignmentSource.choices)
    session_id = models.CharField(max_length=128, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ip", "start"]
        indexes = [models.Index(fields=["ip", "start"]), models.Index(fields=["account", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="ip_assignment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(port_start__isnull=True, port_end__isnull=True)
                    | models.Q(port_start__lte=models.F("port_end"))
                ),
                name="ip_assignment_port_range",
            ),
        ]

    def __str__(self) -> str:
        ports = f":{self.port_start}-{self.port_end}" if self.port_start is not None else ""
        return f"{self.ip}{ports} {self.account.number} from {self.start:%Y-%m-%d %H:%M}"
