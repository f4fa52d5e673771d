"""Network rules: policy groups, rate limits, reverse DNS (no database)."""

from __future__ import annotations

import pytest

from backhaul.core.errors import InvalidInput
from backhaul.network import rules

MIKROTIK = rules.RateLimitFormat("Mikrotik-Rate-Limit", "{up_kbps}k/{down_kbps}k")


def test_suspended_is_refused_whatever_the_usage() -> None:
    assert rules.policy_group(suspended=True, fair_use_state="normal") == rules.SUSPENDED
    assert rules.policy_group(suspended=False, fair_use_state="blocked") == rules.BLOCKED
    assert rules.policy_group(suspended=False, fair_use_state="normal") == rules.PLAN


def test_throttled_group_replies_with_128_kbps() -> None:
    items = rules.throttled_items("bh-throttled-plugin", [MIKROTIK], rate_kbps=128)
    assert (
        rules.RadiusItem("bh-throttled-plugin", "Mikrotik-Rate-Limit", ":=", "128k/128k") in items
    )


def test_blocked_rejects_or_goes_to_the_walled_garden() -> None:
    assert rules.blocked_items("g", action="reject", pool="") == [
        rules.RadiusItem("g", "Auth-Type", ":=", "Reject", check=True)
    ]
    garden = rules.blocked_items("g", action="walled-garden", pool="garden")
    assert rules.RadiusItem("g", "Framed-Pool", ":=", "garden") in garden
    with pytest.raises(InvalidInput):
        rules.blocked_items("g", action="walled-garden", pool="")


def test_plan_speeds_become_the_vendor_rate_limit() -> None:
    items = rules.plan_items("p", [MIKROTIK], down_mbps=24, up_mbps=1)
    assert rules.RadiusItem("p", "Mikrotik-Rate-Limit", ":=", "1000k/24000k") in items


def test_rdns_names() -> None:
    assert rules.rdns_default("Foxley.Print@plus.net", "static.plus.net") == (
        "foxley-print.static.plus.net"
    )
    assert rules.rdns_anonymous("192.0.2.10", "static.plus.net") == (
        "static-192-0-2-10.static.plus.net"
    )
    assert rules.rdns_custom("Mail.Foxley.example.") == "mail.foxley.example"
    with pytest.raises(InvalidInput):
        rules.rdns_custom("bad_name.example")
    assert rules.ptr_record("192.0.2.10", "a.example") == (
        "10.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\ta.example."
    )


def test_pool_addresses_and_limits() -> None:
    assert list(rules.pool_addresses("192.0.2.0/30")) == ["192.0.2.1", "192.0.2.2"]
    with pytest.raises(InvalidInput, match="not a CIDR block"):
        list(rules.pool_addresses("192.0.2.1/30"))
    with pytest.raises(InvalidInput, match="split it"):
        list(rules.pool_addresses("10.0.0.0/8"))
