"""Importing accounting, metering it, and acting on fair-use state (database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from backhaul.billing.models import PendingCharge
from backhaul.contracts.services import subscription_create
from backhaul.core.errors import InvalidInput
from backhaul.network.models import IpAssignment, RadUserGroup
from backhaul.network.selectors import ip_holders_at
from backhaul.notices.models import Notice
from backhaul.usage.models import (
    AllowanceState,
    PeriodUsage,
    RejectedRecord,
    StateTransition,
    TopUp,
    UpgradeRecommendation,
    UsageDay,
)
from backhaul.usage.selectors import usage_state_at
from backhaul.usage.services import periods_roll, topup_buy, usage_import
from tests.usage.factories import NOW, broadband_account, detail_record, write_detail

pytestmark = pytest.mark.django_db
GB = 10**9


def utc(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def test_detail_import_meters_deltas_and_gigaword_wrap(tmp_path) -> None:
    account, _, login = broadband_account()
    path = write_detail(
        tmp_path / "detail-20261110",
        [
            detail_record(when=utc(10, 10), username=login.username, status="Start"),
            detail_record(
                when=utc(10, 11), username=login.username, octets_in=1_000, octets_out=4_294_967_000
            ),
            # The output counter passed 2**32 and the NAS counted one Gigaword:
            # 1 * 2**32 + 704 - 4294967000 = 1000 bytes more.
            detail_record(
                when=utc(10, 12),
                username=login.username,
                octets_in=3_000,
                octets_out=704,
                gigawords_out=1,
            ),
        ],
    )
    run = usage_import(now=NOW, detail_paths=[path])
    assert run.counts["records_read"] == 3
    assert run.counts["records_accepted"] == 3
    day = UsageDay.objects.get(account=account, day=date(2026, 11, 10))
    assert (day.input_octets, day.output_octets) == (3_000, 4_294_968_000)


def test_a_32_bit_counter_wrap_without_gigawords(tmp_path) -> None:
    account, _, login = broadband_account()
    path = write_detail(
        tmp_path / "detail",
        [
            detail_record(when=utc(10, 11), username=login.username, octets_out=4_294_000_000),
            # No Gigawords: the counter wrapped. (2**32 - 4294000000) + 5000 = 972296.
            detail_record(when=utc(10, 12), username=login.username, octets_out=5_000),
        ],
    )
    usage_import(now=NOW, detail_paths=[path])
    day = UsageDay.objects.get(account=account)
    assert day.output_octets == 4_294_000_000 + 972_296


def test_malformed_records_are_rejected_with_their_line_and_kept(tmp_path) -> None:
    _, _, login = broadband_account()
    good = detail_record(when=utc(10, 11), username=login.username, octets_out=10)
    bad = detail_record(when=utc(10, 12), username=login.username).replace(
        "Acct-Input-Octets = 0", "Acct-Input-Octets = lots"
    )
    path = write_detail(tmp_path / "detail", [good, bad, "garbage line\n\n"])
    run = usage_import(now=NOW, detail_paths=[path])
    assert (run.counts["records_read"], run.counts["records_accepted"]) == (3, 1)
    assert run.counts["records_rejected"] == 2
    reasons = sorted(RejectedRecord.objects.filter(run=run).values_list("line", "reason"))
    # A record is 9 lines and a blank: the bad one starts on line 11, its input counter is
    # line 17 (the sixth attribute), and the garbage starts on line 21.
    assert reasons[0] == (11, "line 17: Acct-Input-Octets is not a whole number: 'lots'")
    assert reasons[1][0] == 21
    assert "expected a record header" in reasons[1][1]


def test_a_record_with_a_malformed_address_is_rejected_by_line(tmp_path) -> None:
    account, _, login = broadband_account()
    good = detail_record(when=utc(10, 11), username=login.username, octets_out=10)
    bad = detail_record(when=utc(10, 12), username=login.username, framed_ip="198.51.100.300")
    run = usage_import(now=NOW, detail_paths=[write_detail(tmp_path / "detail", [good, bad])])
    assert (run.counts["records_accepted"], run.counts["records_rejected"]) == (1, 1)
    # The second record starts on line 11; Framed-IP-Address is its sixth line.
    rejected = RejectedRecord.objects.get(run=run)
    assert (rejected.line, rejected.reason) == (
        11,
        "line 16: Framed-IP-Address is not an IP address: '198.51.100.300'",
    )
    assert UsageDay.objects.get(account=account).output_octets == 10


def test_reimporting_the_same_file_counts_nothing_twice(tmp_path) -> None:
    account, _, login = broadband_account()
    path = write_detail(
        tmp_path / "detail",
        [
            detail_record(when=utc(10, 11), username=login.username, total_out=5 * GB),
            detail_record(when=utc(10, 12), username=login.username, total_out=7 * GB),
        ],
    )
    usage_import(now=NOW, detail_paths=[path])
    again = usage_import(now=NOW, detail_paths=[path])
    assert again.counts["duplicates"] == 2
    assert again.counts["metered"] == 0
    assert UsageDay.objects.get(account=account).output_octets == 7 * GB
    assert AllowanceState.objects.get(account=account).used_bytes == 7 * GB


def test_a_session_across_the_period_boundary_is_split_at_the_interim_updates(tmp_path) -> None:
    # Plusnet: calendar months. The session runs from 31 October into 1 November.
    account, _, login = broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username="dental@pn.example",
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )
    path = write_detail(
        tmp_path / "detail",
        [
            detail_record(
                when=datetime(2026, 10, 31, 22, 0, tzinfo=UTC),
                username=login.username,
                status="Start",
            ),
            detail_record(
                when=datetime(2026, 10, 31, 23, 50, tzinfo=UTC),
                username=login.username,
                total_out=3 * GB,
            ),
            detail_record(
                when=datetime(2026, 11, 1, 0, 10, tzinfo=UTC),
                username=login.username,
                total_out=5 * GB,
            ),
        ],
    )
    usage_import(now=NOW, detail_paths=[path])
    days = dict(UsageDay.objects.filter(account=account).values_list("day", "output_octets"))
    assert days == {date(2026, 10, 31): 3 * GB, date(2026, 11, 1): 2 * GB}
    october = PeriodUsage.objects.get(account=account, period_start=date(2026, 10, 1))
    assert october.used_bytes == 3 * GB
    assert AllowanceState.objects.get(account=account).used_bytes == 2 * GB


def test_usage_counts_during_a_long_session_and_ip_history_follows_it(tmp_path) -> None:
    account, _, login = broadband_account()
    first = write_detail(
        tmp_path / "a",
        [
            detail_record(when=utc(10, 8), username=login.username, status="Start"),
            detail_record(when=utc(10, 9), username=login.username, octets_out=GB),
        ],
    )
    usage_import(now=NOW, detail_paths=[first])
    assert AllowanceState.objects.get(account=account).used_bytes == GB
    holders = ip_holders_at(ip="198.51.100.7", at=utc(10, 9))
    assert [(h.account, h.source) for h in holders] == [(account, "radius")]
    stop = write_detail(
        tmp_path / "b",
        [detail_record(when=utc(10, 20), username=login.username, status="Stop", total_out=3 * GB)],
    )
    usage_import(now=NOW, detail_paths=[stop])
    assert AllowanceState.objects.get(account=account).used_bytes == 3 * GB
    assignment = IpAssignment.objects.get(account=account)
    assert assignment.end == utc(10, 20)
    assert ip_holders_at(ip="198.51.100.7", at=utc(10, 21)) == []


def test_unknown_login_is_rejected_and_counted(tmp_path) -> None:
    broadband_account()
    path = write_detail(tmp_path / "d", [detail_record(when=utc(10), username="nobody")])
    run = usage_import(now=NOW, detail_paths=[path])
    assert run.counts["unknown_login"] == 1
    assert RejectedRecord.objects.get(run=run).reason == "no broadband login called nobody"


def test_plugin_throttle_block_and_top_up_while_blocked(
    tmp_path, django_capture_on_commit_callbacks
) -> None:
    account, _, login = broadband_account()
    records = [
        detail_record(when=utc(10, 9), username=login.username, octets_out=0, status="Start"),
    ]
    # 100 GB allowance + 1 GB throttled: 101.5 GB in 4 GB steps, counters with Gigawords.
    total = 0
    for step in range(1, 27):
        total = min(step * 4 * GB, 101_500_000_000)
        records.append(
            detail_record(
                when=utc(10, 9) + timedelta(minutes=step * 10),
                username=login.username,
                octets_out=total % 2**32,
                gigawords_out=total // 2**32,
            )
        )
    usage_import(now=NOW, detail_paths=[write_detail(tmp_path / "d", records)])
    state = AllowanceState.objects.get(account=account)
    assert state.state == "blocked"
    assert list(
        StateTransition.objects.filter(account=account).values_list("from_state", "to_state")
    ) == [("normal", "throttled"), ("throttled", "blocked")]
    assert RadUserGroup.objects.get(username=login.username).groupname == "bh-blocked-plugin"
    assert Notice.objects.filter(account=account, kind="usage.blocked").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        topup = topup_buy(account=account, now=NOW, channel="member-centre", request_key="k1")
    again = topup_buy(account=account, now=NOW, channel="member-centre", request_key="k1")
    assert again.pk == topup.pk
    assert TopUp.objects.filter(account=account).count() == 1
    charge = PendingCharge.objects.get(key=f"usage:topup:{topup.pk}")
    assert (charge.amount, charge.vat_treatment, charge.clause.clause_id) == (
        Decimal("5.00"),
        "exclusive",
        "plugin/broadband-terms#8",
    )
    assert AllowanceState.objects.get(account=account).state == "normal"
    assert RadUserGroup.objects.get(username=login.username).groupname == "bh-plan-plugin-broadband"
    state = usage_state_at(account, NOW)
    assert (state["state"], state["topup_left_bytes"]) == ("normal", 10 * GB)


def test_new_billing_period_unblocks_and_plusnet_charges_extra_usage(tmp_path) -> None:
    account, _, login = broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username="print@pn.example",
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )
    path = write_detail(
        tmp_path / "d",
        [
            detail_record(
                when=utc(3),
                username=login.username,
                octets_out=80 * GB % 2**32,
                gigawords_out=80 * GB // 2**32,
            ),
            detail_record(
                when=utc(20),
                username=login.username,
                octets_out=102_300_000_000 % 2**32,
                gigawords_out=102_300_000_000 // 2**32,
            ),
        ],
    )
    usage_import(now=NOW, detail_paths=[path])
    percents = sorted(
        Notice.objects.filter(account=account, kind="usage.allowance").values_list("key", flat=True)
    )
    assert percents == [
        f"usage:{account.number}:2026-11-01:notify-100",
        f"usage:{account.number}:2026-11-01:notify-80",
    ]
    periods_roll(on=date(2026, 12, 1), now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    periods_roll(on=date(2026, 12, 1), now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    charge = PendingCharge.objects.get(account=account, source="usage")
    # 102.3 GB against 100 GB: 2.3 GB rounds up to 3 GB at £1.00 = £3.00 plus VAT.
    assert (charge.amount, charge.quantity, charge.tax_point) == (
        Decimal("3.00"),
        Decimal(3),
        date(2026, 11, 30),
    )
    assert charge.clause.clause_id == "plusnet-business/broadband-charges#7"
    assert AllowanceState.objects.get(account=account).period_start == date(2026, 12, 1)


def test_three_consecutive_months_over_recommends_an_upgrade(tmp_path) -> None:
    account, _, login = broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username="vets@pn.example",
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )
    records = []
    total = 0
    for month in (8, 9, 10, 11):
        total += 101 * GB if month != 8 else 10 * GB
        records.append(
            detail_record(
                when=datetime(2026, month, 10, tzinfo=UTC),
                username=login.username,
                octets_out=total % 2**32,
                gigawords_out=total // 2**32,
            )
        )
    usage_import(now=NOW, detail_paths=[write_detail(tmp_path / "d", records)])
    assert not UpgradeRecommendation.objects.filter(account=account).exists()
    periods_roll(on=date(2026, 12, 1), now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    recommendation = UpgradeRecommendation.objects.get(account=account)
    assert recommendation.periods == ["2026-09-01", "2026-10-01", "2026-11-01"]
    assert recommendation.clause == "plusnet-business/broadband-schedule#5.7"
    assert PendingCharge.objects.filter(account=account, source="usage").count() == 3


def test_top_ups_only_for_plans_with_them() -> None:
    account, _, _ = broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username="x@pn.example",
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )
    with pytest.raises(InvalidInput, match="no broadband plan that takes Top Ups"):
        topup_buy(account=account, now=NOW, channel="console", request_key="x")


def test_unlimited_plan_is_not_metered(tmp_path) -> None:
    account, _, login = broadband_account(product="broadband-unlimited", username="u@pi.example")
    path = write_detail(
        tmp_path / "d",
        [detail_record(when=utc(10), username=login.username, octets_out=500 * GB % 2**32)],
    )
    usage_import(now=NOW, detail_paths=[path])
    assert not AllowanceState.objects.filter(account=account).exists()
    assert usage_state_at(account, NOW)["metered"] is False


def test_state_at_an_instant_replays_the_rules(tmp_path) -> None:
    account, _, login = broadband_account()
    records = [
        detail_record(
            when=utc(5),
            username=login.username,
            octets_out=60 * GB % 2**32,
            gigawords_out=60 * GB // 2**32,
        ),
        detail_record(
            when=utc(8),
            username=login.username,
            octets_out=100_500_000_000 % 2**32,
            gigawords_out=100_500_000_000 // 2**32,
        ),
    ]
    usage_import(now=NOW, detail_paths=[write_detail(tmp_path / "d", records)])
    before = usage_state_at(account, utc(6))
    after = usage_state_at(account, utc(9))
    assert (before["state"], before["used_bytes"]) == ("normal", 60 * GB)
    assert (after["state"], after["used_bytes"]) == ("throttled", 100_500_000_000)
    assert after["period_start"] == date(2026, 11, 2)
    assert [t["to"] for t in after["transitions"]] == ["throttled"]


def test_radacct_poll_meters_changed_sessions(now) -> None:
    from backhaul.network.models import RadAcct

    account, _, login = broadband_account()
    row = RadAcct.objects.create(
        acctsessionid="a1",
        acctuniqueid="u1",
        username=login.username,
        nasipaddress="192.0.2.1",
        acctstarttime=utc(10, 8),
        acctupdatetime=utc(10, 9),
        acctinputoctets=10,
        acctoutputoctets=2 * GB,
        framedipaddress="198.51.100.20",
    )
    usage_import(now=NOW)
    row.acctupdatetime, row.acctoutputoctets = utc(10, 10), 5 * GB
    row.save()
    run = usage_import(now=NOW)
    assert run.counts["metered"] == 1
    assert AllowanceState.objects.get(account=account).used_bytes == 5 * GB + 10
    assert ip_holders_at(ip="198.51.100.20", at=utc(10, 9))[0].account == account
    subscription_create  # noqa: B018 (imported for factories in other tests)


def test_notices_already_given_are_remembered_between_imports(tmp_path) -> None:
    account, _, login = broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username="opticians@pn.example",
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )

    def import_total(name: str, day: int, total: int) -> None:
        record = detail_record(when=utc(day), username=login.username, total_out=total)
        usage_import(now=NOW, detail_paths=[write_detail(tmp_path / name, [record])])

    def notices() -> list[str]:
        keys = Notice.objects.filter(account=account, kind="usage.allowance")
        return sorted(k.rsplit(":", 1)[1] for k in keys.values_list("key", flat=True))

    import_total("a", 3, 85 * GB)  # 85% of 100 GB: the 80% notice
    assert notices() == ["notify-80"]
    import_total("b", 6, 90 * GB)  # 90%: nothing new to say
    state = AllowanceState.objects.get(account=account)
    assert (state.used_bytes, state.notified) == (90 * GB, [80])
    import_total("c", 9, 102 * GB)  # over 100%: the 100% notice, once
    import_total("d", 12, 103 * GB)
    assert notices() == ["notify-100", "notify-80"]
    state = AllowanceState.objects.get(account=account)
    assert (state.used_bytes, state.notified, state.state) == (103 * GB, [80, 100], "normal")


def test_bulk_reads_come_back_typed_and_report_database_errors(now) -> None:
    from django.db import DatabaseError, transaction

    from backhaul.usage import bulk

    account, _, _ = broadband_account()
    frame = bulk.read_frame_where_in(
        f"SELECT id, number, {bulk.epoch_us('created_at')} "  # noqa: S608
        "FROM customers_account WHERE TRUE",
        bulk.quote("id"),
        [account.pk, -1],
        {"id": pl.Int64, "number": pl.Utf8, "created_at": pl.Datetime("us", "UTC")},
    )
    assert frame.rows() == [(account.pk, account.number, NOW)]
    with pytest.raises(DatabaseError), transaction.atomic():
        bulk.read_frame("SELECT no_such_column FROM customers_account", [], {"x": pl.Int64})
