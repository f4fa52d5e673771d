"""Network rules: what FreeRADIUS answers for each policy state, static addresses and rDNS.

Pure functions over plain values. The rate-limited state implements
`plugin/broadband-terms#8` ("rate limited to 128Kbps for an additional 1GB ... blocked
until you purchase an additional Top Up"); static addresses and their reverse DNS implement
`plusnet-business/broadband-schedule#5.8` and `plusnet-business/privacy-policy#email-static-ip`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from backhaul.core.errors import InvalidInput

GROUP_PREFIX = "bh"
SUSPENDED_GROUP = f"{GROUP_PREFIX}-suspended"

PLAN = "plan"
THROTTLED = "throttled"
BLOCKED = "blocked"
SUSPENDED = "suspended"

REJECT = "reject"
WALLED_GARDEN = "walled-garden"

#: The largest pool Backhaul expands into addresses (a /20 of IPv4).
MAX_POOL_ADDRESSES = 4096

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class RateLimitFormat:
    """A NAS vendor's rate-limit reply attribute, e.g. Mikrotik-Rate-Limit "{up}k/{down}k"."""

    attribute: str
    template: str


@dataclass(frozen=True)
class RadiusItem:
    """One row of radgroupcheck (`check=True`) or radgroupreply."""

    group: str
    attribute: str
    op: str
    value: str
    check: bool = False


def policy_group(*, suspended: bool, fair_use_state: str) -> str:
    """Which FreeRADIUS group a login belongs in.

    A suspended or ceased service is always refused, whatever its usage; otherwise the
    fair-use state decides (plugin/broadband-terms#8).
    """
    if suspended:
        return SUSPENDED
    if fair_use_state in (THROTTLED, BLOCKED):
        return fair_use_state
    return PLAN


def group_name(group: str, *, brand: str, product: str = "") -> str:
    """The radusergroup group name: plan groups per product, fair-use groups per brand."""
    if group == SUSPENDED:
        return SUSPENDED_GROUP
    if group == PLAN:
        return f"{GROUP_PREFIX}-plan-{brand}-{product}"
    return f"{GROUP_PREFIX}-{group}-{brand}"


def rate_limit_value(template: str, *, down_kbps: int, up_kbps: int) -> str:
    """A vendor's rate-limit value: `{up_kbps}k/{down_kbps}k` gives "1024k/8192k"."""
    try:
        return template.format(down_kbps=down_kbps, up_kbps=up_kbps)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(
            f"rate_limit_template: {template!r} may use only {{down_kbps}} and {{up_kbps}}"
        ) from exc


def rate_limit_items(
    group: str, formats: Sequence[RateLimitFormat], *, down_kbps: int, up_kbps: int
) -> list[RadiusItem]:
    """One rate-limit reply per enabled vendor; a NAS ignores other vendors' attributes."""
    return [
        RadiusItem(
            group,
            fmt.attribute,
            ":=",
            rate_limit_value(fmt.template, down_kbps=down_kbps, up_kbps=up_kbps),
        )
        for fmt in formats
    ]


def plan_items(
    group: str, formats: Sequence[RateLimitFormat], *, down_mbps: int | None, up_mbps: int | None
) -> list[RadiusItem]:
    """A plan's replies: Service-Type Framed, PPP, and its speeds where the plan has them."""
    items = [
        RadiusItem(group, "Service-Type", ":=", "Framed-User"),
        RadiusItem(group, "Framed-Protocol", ":=", "PPP"),
    ]
    if down_mbps and up_mbps:
        items += rate_limit_items(
            group, formats, down_kbps=down_mbps * 1000, up_kbps=up_mbps * 1000
        )
    return items


def throttled_items(
    group: str, formats: Sequence[RateLimitFormat], *, rate_kbps: int
) -> list[RadiusItem]:
    """Access-Accept with the rate limit "128Kbps" both ways (plugin/broadband-terms#8)."""
    return [
        RadiusItem(group, "Service-Type", ":=", "Framed-User"),
        RadiusItem(group, "Framed-Protocol", ":=", "PPP"),
        *rate_limit_items(group, formats, down_kbps=rate_kbps, up_kbps=rate_kbps),
    ]


def blocked_items(group: str, *, action: str, pool: str) -> list[RadiusItem]:
    """Access-Reject, or Access-Accept into the walled-garden address pool (brand setting)."""
    if action == REJECT:
        return [RadiusItem(group, "Auth-Type", ":=", "Reject", check=True)]
    if action == WALLED_GARDEN:
        if not pool:
            raise InvalidInput("walled_garden_pool: a walled garden needs a pool name")
        return [
            RadiusItem(group, "Service-Type", ":=", "Framed-User"),
            RadiusItem(group, "Framed-Protocol", ":=", "PPP"),
            RadiusItem(group, "Framed-Pool", ":=", pool),
        ]
    raise InvalidInput(f"blocked_action: must be {REJECT} or {WALLED_GARDEN}, not {action!r}")


def suspended_items() -> list[RadiusItem]:
    """A suspended service is refused: Auth-Type := Reject."""
    return [RadiusItem(SUSPENDED_GROUP, "Auth-Type", ":=", "Reject", check=True)]


def coa_attributes(
    group: str, formats: Sequence[RateLimitFormat], *, rate_kbps: int | None
) -> dict[str, str]:
    """The attributes a CoA-Request carries for a session moving into `group`'s state."""
    if group == THROTTLED and rate_kbps:
        return {
            fmt.attribute: rate_limit_value(fmt.template, down_kbps=rate_kbps, up_kbps=rate_kbps)
            for fmt in formats
        }
    return {}


def needs_disconnect(group: str) -> bool:
    """Suspended and blocked sessions must end: a CoA cannot turn a live session into an
    Access-Reject, nor move it into the walled-garden pool; the next login gets either."""
    return group in (SUSPENDED, BLOCKED)


# --- Static addresses and reverse DNS ----------------------------------------------------


def pool_addresses(network: str) -> Iterator[str]:
    """The usable host addresses of a CIDR block, lowest first."""
    try:
        block = ipaddress.ip_network(network, strict=True)
    except ValueError as exc:
        raise InvalidInput(f"network: not a CIDR block: {network!r} ({exc})") from None
    if block.num_addresses > MAX_POOL_ADDRESSES:
        raise InvalidInput(
            f"network: {network} has {block.num_addresses} addresses; "
            f"split it into pools of at most {MAX_POOL_ADDRESSES}"
        )
    return (str(host) for host in block.hosts())


def rdns_label(text: str) -> str:
    """A DNS label from a username or a customer's choice: lower case, letters, digits and
    hyphens, other characters turned into hyphens."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.strip().lower()).strip("-")
    if not label or not _LABEL.match(label):
        raise InvalidInput(f"rdns: cannot make a DNS name from {text!r}")
    return label


def rdns_default(username: str, domain: str) -> str:
    """ "we will also publish your username in the reverse DNS entry of your static IP
    address" unless asked not to (plusnet-business/privacy-policy#email-static-ip)."""
    local = username.split("@", 1)[0]
    return f"{rdns_label(local)}.{domain.strip('.').lower()}"


def rdns_anonymous(ip: str, domain: str) -> str:
    """The name shown when the customer asks for the username to be removed."""
    return f"static-{ip.replace('.', '-').replace(':', '-')}.{domain.strip('.').lower()}"


def rdns_custom(name: str) -> str:
    """A full host name the customer asked for, checked label by label."""
    labels = name.strip().rstrip(".").lower().split(".")
    if len(labels) < 2:
        raise InvalidInput(f"rdns: {name!r} is not a full host name")
    checked = [rdns_label(label) for label in labels]
    if checked != labels:
        raise InvalidInput(f"rdns: {name!r} has characters a host name cannot have")
    return ".".join(checked)


def ptr_record(ip: str, name: str, *, ttl: int = 3600) -> str:
    """A PTR record line for a zone file."""
    pointer = ipaddress.ip_address(ip).reverse_pointer
    return f"{pointer}.\t{ttl}\tIN\tPTR\t{name.rstrip('.')}."
