"""The real FreeRADIUS (Debian's package) reading Backhaul's PostgreSQL tables.

Authenticates with pyrad before and after the allowance runs out, checks the reply
attributes, and checks that a live session's NAS gets a CoA-Request. Needs the freeradius
binary and PostgreSQL: `make radius` installs FreeRADIUS; run with
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/pytest -m radius`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

from backhaul.contracts.services import subscription_create, subscription_transition
from backhaul.customers.services import account_create
from backhaul.network.models import CoaRequest
from backhaul.network.radiusconf import database_from_settings, radius_config_write
from backhaul.network.services import (
    DICTIONARY,
    login_create,
    login_refresh,
    nas_add,
    radius_groups_sync,
)
from backhaul.usage.models import AllowanceState
from backhaul.usage.rules import london_date
from backhaul.usage.services import topup_buy, usage_import
from tests.conftest import FIXED_NOW, PLUGIN, PLUSNET
from tests.network.nas import FakeNas

SECRET = b"backhaul-test-secret"
GB = 10**9
HOW_TO_RUN = (
    "needs FreeRADIUS (`make radius` installs it) and PostgreSQL "
    "(DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)"
)

pytestmark = [
    pytest.mark.radius,
    pytest.mark.skipif(shutil.which("freeradius") is None, reason=f"no freeradius: {HOW_TO_RUN}"),
]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def catalogues_back(django_db_blocker):
    """Put the catalogues back after the flush that ends a transactional test."""
    yield
    from backhaul.catalogue.services import catalogue_load

    with django_db_blocker.unblock():
        for path in (PLUSNET, PLUGIN):
            catalogue_load(path=path, now=FIXED_NOW)


@pytest.fixture
def freeradius(catalogues_back, transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(f"FreeRADIUS reads PostgreSQL, not SQLite: {HOW_TO_RUN}")
    auth_port, acct_port = _free_udp_port(), _free_udp_port()
    radius_config_write(
        tmp_path / "radius",
        database=database_from_settings(connection.settings_dict),
        secret=SECRET.decode(),
        auth_port=auth_port,
        acct_port=acct_port,
    )
    log = (tmp_path / "freeradius.out").open("w")
    process = subprocess.Popen(
        ["freeradius", "-f", "-d", str(tmp_path / "radius")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Client(
        server="127.0.0.1",
        authport=auth_port,
        acctport=acct_port,
        secret=SECRET,
        dict=Dictionary(str(DICTIONARY)),
        retries=1,
        timeout=1,
    )
    client.process = process  # type: ignore[attr-defined]
    client.log = tmp_path / "freeradius.out"  # type: ignore[attr-defined]
    yield client
    process.terminate()
    process.wait(timeout=10)
    log.close()


def authenticate(client: Client, username: str, password: str, *, wait: float = 0) -> packet.Packet:
    deadline = time.monotonic() + wait
    while True:
        request = client.CreateAuthPacket(code=packet.AccessRequest)
        request["User-Name"] = username
        request["User-Password"] = request.PwCrypt(password)
        try:
            return client.SendPacket(request)
        except Timeout:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def account_with_login(username: str, *, product: str = "broadband"):
    now = timezone.now()
    account = account_create(brand_key="plugin", name="Radius Test", email="r@example.com", now=now)
    start = london_date(now) - timedelta(days=1)
    subscription = subscription_create(
        account_number=account.number, product_key=product, start=start, now=now
    )
    login = login_create(
        account_number=account.number,
        username=username,
        password="pa55word",
        subscription_id=subscription.pk,
        now=now,
    )
    return account, subscription, login


def accounting(
    client: Client, username: str, status: str, *, minutes_ago: int, octets_out: int = 0
) -> None:
    """An Accounting-Request as a NAS sends it; FreeRADIUS writes it to radacct."""
    request = client.CreateAcctPacket()
    request["Event-Timestamp"] = int(time.time()) - 60 * minutes_ago
    request["User-Name"] = username
    request["Acct-Status-Type"] = status
    request["Acct-Session-Id"] = "live-1"
    request["NAS-IP-Address"] = "127.0.0.1"
    request["Framed-IP-Address"] = "198.51.100.77"
    request["Acct-Output-Octets"] = octets_out % 2**32
    request["Acct-Output-Gigawords"] = octets_out // 2**32
    request["Acct-Input-Octets"] = 0
    reply = client.SendPacket(request)
    assert reply.code == packet.AccountingResponse


def test_accept_throttle_block_top_up_and_suspension_through_freeradius(freeradius) -> None:
    account, subscription, login = account_with_login("radius-user@plugin.example")
    radius_groups_sync()
    reply = authenticate(freeradius, login.username, "pa55word", wait=15)
    assert reply.code == packet.AccessAccept, freeradius.log.read_text()[-3000:]
    # The plan's speeds (24/1 Mbit/s, catalogue example) as the Mikrotik rate limit.
    assert reply["Mikrotik-Rate-Limit"] == ["1000k/24000k"]
    assert authenticate(freeradius, login.username, "wrong").code == packet.AccessReject

    with FakeNas(secret=b"nas-secret") as nas:
        nas_add(address="127.0.0.1", shortname="bras", secret="nas-secret", coa_port=nas.port)
        accounting(freeradius, login.username, "Start", minutes_ago=30)
        # 100 GB allowance used and 0.5 GB into the throttled 1 GB: throttled.
        accounting(
            freeradius, login.username, "Interim-Update", minutes_ago=20, octets_out=100_500_000_000
        )
        usage_import(now=timezone.now())
        assert AllowanceState.objects.get(account=account).state == "throttled"
        reply = authenticate(freeradius, login.username, "pa55word")
        assert reply.code == packet.AccessAccept
        assert reply["Mikrotik-Rate-Limit"] == ["128k/128k"]
        coa = CoaRequest.objects.get(username=login.username)
        assert (coa.kind, coa.result) == ("coa", "ack")
        assert nas.received[0]["Mikrotik-Rate-Limit"] == ["128k/128k"]

        # The rest of the throttled 1 GB: blocked, refused, and the live session ended.
        accounting(
            freeradius, login.username, "Interim-Update", minutes_ago=10, octets_out=101_600_000_000
        )
        usage_import(now=timezone.now())
        assert AllowanceState.objects.get(account=account).state == "blocked"
        assert authenticate(freeradius, login.username, "pa55word").code == packet.AccessReject
        assert nas.received[-1]["code"] == packet.DisconnectRequest

    topup_buy(account=account, now=timezone.now(), channel="member-centre", request_key="r1")
    reply = authenticate(freeradius, login.username, "pa55word")
    assert reply.code == packet.AccessAccept
    assert reply["Mikrotik-Rate-Limit"] == ["1000k/24000k"]

    subscription_transition(subscription_id=subscription.pk, to="suspended", at=timezone.now())
    login_refresh(username=login.username, now=timezone.now())
    assert authenticate(freeradius, login.username, "pa55word").code == packet.AccessReject


def test_a_suspended_account_is_always_rejected(freeradius) -> None:
    _account, subscription, login = account_with_login(
        "suspended@plugin.example", product="broadband-unlimited"
    )
    radius_groups_sync()
    assert authenticate(freeradius, login.username, "pa55word", wait=15).code == (
        packet.AccessAccept
    )
    subscription_transition(subscription_id=subscription.pk, to="suspended", at=timezone.now())
    login_refresh(username=login.username, now=timezone.now())
    assert authenticate(freeradius, login.username, "pa55word").code == packet.AccessReject
    # A Top Up or a new period cannot lift a suspension: only reactivation does.
    subscription_transition(subscription_id=subscription.pk, to="active", at=timezone.now())
    login_refresh(username=login.username, now=timezone.now())
    assert authenticate(freeradius, login.username, "pa55word").code == packet.AccessAccept
