"""FreeRADIUS tables, CoA to a NAS, static addresses and the IP history (database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from backhaul.contracts.services import subscription_transition
from backhaul.core.errors import InvalidInput
from backhaul.network.models import (
    CoaRequest,
    RadAcct,
    RadCheck,
    RadGroupCheck,
    RadGroupReply,
    RadReply,
    RadUserGroup,
    StaticIp,
)
from backhaul.network.selectors import ip_holders_at, whois_ip
from backhaul.network.services import (
    ip_pool_create,
    login_refresh,
    logins_enforce,
    nas_add,
    radius_groups_sync,
    rdns_zone,
    static_ip_allocate,
    static_ip_rdns_set,
    static_ips_reconcile,
)
from tests.network.nas import FakeNas
from tests.usage.factories import NOW, broadband_account

pytestmark = pytest.mark.django_db


def plusnet_service(username: str = "foxley.print@pn.example"):
    return broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username=username,
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )


def test_groups_sync_publishes_plan_throttle_block_and_suspension() -> None:
    counts = radius_groups_sync()
    assert counts == radius_groups_sync()  # idempotent
    assert RadGroupReply.objects.filter(
        groupname="bh-throttled-plugin", attribute="Mikrotik-Rate-Limit", value="128k/128k"
    ).exists()
    assert RadGroupCheck.objects.filter(
        groupname="bh-blocked-plugin", attribute="Auth-Type", value="Reject"
    ).exists()
    assert RadGroupCheck.objects.filter(groupname="bh-suspended", value="Reject").exists()
    assert RadGroupReply.objects.filter(
        groupname="bh-plan-plugin-broadband", value="1000k/24000k"
    ).exists()


def test_login_gets_password_and_plan_group_and_suspension_moves_it() -> None:
    _account, subscription, login = broadband_account()
    assert RadCheck.objects.get(username=login.username).value == "s3cret"
    assert RadUserGroup.objects.get(username=login.username).groupname == (
        "bh-plan-plugin-broadband"
    )
    subscription_transition(subscription_id=subscription.pk, to="suspended", at=NOW)
    assert login_refresh(username=login.username, now=NOW) == "suspended"
    assert RadUserGroup.objects.get(username=login.username).groupname == "bh-suspended"


def test_change_of_state_sends_coa_to_the_nas_of_a_live_session(
    django_capture_on_commit_callbacks,
) -> None:
    account, _, login = broadband_account()
    with FakeNas() as nas:
        nas_add(
            address="127.0.0.1",
            shortname="bras1",
            secret="nas-secret",
            vendor="mikrotik",
            coa_port=nas.port,
        )
        RadAcct.objects.create(
            acctsessionid="S-1",
            acctuniqueid="U-1",
            username=login.username,
            nasipaddress="127.0.0.1",
            acctstarttime=NOW,
        )
        with django_capture_on_commit_callbacks(execute=True):
            logins_enforce(states={account.pk: "throttled"}, now=NOW, reason="fair use")
        with django_capture_on_commit_callbacks(execute=True):
            logins_enforce(states={account.pk: "blocked"}, now=NOW, reason="fair use")
    coa, disconnect = nas.received
    assert coa["code"] == 43 and coa["Mikrotik-Rate-Limit"] == ["128k/128k"]
    assert coa["Acct-Session-Id"] == ["S-1"]
    assert disconnect["code"] == 40 and disconnect["User-Name"] == [login.username]
    assert list(CoaRequest.objects.order_by("id").values_list("kind", "result")) == [
        ("coa", "ack"),
        ("disconnect", "ack"),
    ]


def test_static_ip_allocated_on_activation_and_returned_on_cease() -> None:
    ip_pool_create(
        brand_key="plusnet-business",
        name="pn-static",
        network="192.0.2.0/29",
        rdns_domain="static.pn.example",
        now=NOW,
    )
    account, subscription, login = plusnet_service()
    # Activation allocated the address (contracts tell the network area); the daily
    # reconcile then finds nothing left to do.
    address = StaticIp.objects.get(subscription=subscription)
    counts = static_ips_reconcile(on=date(2026, 11, 21), now=NOW)
    assert counts["allocated"] == 0
    assert (address.ip, address.rdns_name) == ("192.0.2.1", "foxley-print.static.pn.example")
    assert RadReply.objects.get(username=login.username).value == "192.0.2.1"
    assert static_ip_allocate(subscription_id=subscription.pk, now=NOW).ip == "192.0.2.1"
    assert [h.source for h in ip_holders_at(ip="192.0.2.1", at=NOW)] == ["static"]
    static_ip_rdns_set(account=account, ip="192.0.2.1", show_username=False)
    assert "192.0.2.1\t" not in rdns_zone(pool_name="pn-static")
    assert "1.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\tstatic-192-0-2-1.static.pn.example." in (
        rdns_zone(pool_name="pn-static")
    )
    ceased_at = NOW + timedelta(days=3)
    subscription_transition(subscription_id=subscription.pk, to="ceased", at=ceased_at)
    # Ceasing returned the address at once; the daily reconcile has nothing to release.
    assert static_ips_reconcile(on=date(2026, 11, 24), now=ceased_at)["released"] == 0
    assert not RadReply.objects.filter(username=login.username).exists()
    assert ip_holders_at(ip="192.0.2.1", at=ceased_at) == []
    assert [h.account for h in ip_holders_at(ip="192.0.2.1", at=NOW)] == [account]


def test_pool_exhaustion_is_a_clear_error() -> None:
    ip_pool_create(
        brand_key="plusnet-business",
        name="tiny",
        network="192.0.2.0/31",
        rdns_domain="s.example",
        now=NOW,
    )
    _, first, _ = plusnet_service("a@pn.example")
    _, second, _ = plusnet_service("b@pn.example")
    _, third, _ = plusnet_service("c@pn.example")
    static_ip_allocate(subscription_id=first.pk, now=NOW)
    static_ip_allocate(subscription_id=second.pk, now=NOW)
    with pytest.raises(InvalidInput, match="no free static address in plusnet-business"):
        static_ip_allocate(subscription_id=third.pk, now=NOW)


def test_whois_ip_command_json(capsys) -> None:
    account, _, _ = broadband_account()
    from backhaul.network.models import IpAssignment

    IpAssignment.objects.create(
        ip="100.64.0.1", port_start=1024, port_end=2047, account=account, source="radius", start=NOW
    )
    call_command(
        "network",
        "whois-ip",
        "100.64.0.1",
        "--at",
        "2026-11-21T12:00:00Z",
        "--port",
        "1500",
        "--json",
    )
    out = capsys.readouterr().out
    assert f'"account": "{account.number}"' in out and '"resolved": true' in out
    result = whois_ip(ip="100.64.0.1", at=datetime(2026, 11, 21, 12, tzinfo=UTC), port=4000)
    assert result["holders"] == []
    with pytest.raises(InvalidInput, match="not an IP address"):
        whois_ip(ip="banana", at=NOW)
