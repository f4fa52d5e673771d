"""Pure security rules: the console's second factor, sign-in addresses, small-cell suppression."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import ip_address

# The smallest group an anonymised figure may describe: a cell counting fewer people than
# this is suppressed, since a count of 1 to 4 can point at someone.
K_ANONYMITY = 5


class ConsoleAccess(StrEnum):
    ALLOWED = "allowed"
    VERIFY = "verify"  # the staff member has an authenticator: their code is needed
    ENROL = "enrol"  # two-factor is required and they have none yet: only enrolment is open


def console_second_factor(*, has_device: bool, verified: bool, required: bool) -> ConsoleAccess:
    """What the console needs from a signed-in member of staff before showing any page.

    A staff member who has confirmed an authenticator always gives its code, whatever the
    setting, so turning two-factor on for oneself cannot be bypassed with the password.
    When `BACKHAUL_STAFF_2FA_REQUIRED` is on, staff without an authenticator can reach
    only the enrolment page until they confirm one.
    """
    if verified:
        return ConsoleAccess.ALLOWED
    if has_device:
        return ConsoleAccess.VERIFY
    return ConsoleAccess.ENROL if required else ConsoleAccess.ALLOWED


def client_address(*, remote_addr: str, forwarded_for: str, proxy_count: int) -> str | None:
    """The address a sign-in came from, for throttling.

    Each trusted reverse proxy appends the address it received the request from to
    X-Forwarded-For, so with `proxy_count` proxies the client is the `proxy_count`-th entry
    from the right; anything further left was written by the client and is not trusted.
    With no proxies (or a header too short to hold them) the connecting address counts.
    Something that is not an IP address gives None.
    """
    candidate = remote_addr
    if proxy_count > 0:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= proxy_count:
            candidate = hops[-proxy_count]
    try:
        return str(ip_address(candidate.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class Cell:
    """One figure of an anonymised table; None when it is withheld."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return f"<{K_ANONYMITY}" if self.value is None else f"{self.value:,}"


def cell(value: int, people: int, *, k: int = K_ANONYMITY) -> Cell:
    """A figure that may be shown only when it describes at least `k` people.

    A cell about 1 to k-1 people is suppressed: its value is withheld (shown as "<k") and
    the number of people is not kept either. A cell about nobody is a true zero and shown.
    Totals are never printed beside suppressed cells, so a withheld value cannot be worked
    out by subtraction.
    """
    if people < 0 or value < 0:
        raise ValueError("counts cannot be negative")
    if 0 < people < k:
        return Cell(None)
    return Cell(value)
