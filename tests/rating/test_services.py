"""CDR imports into the bill, what-ifs, per-use features and the lapse of unused numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from backhaul.billing.models import PendingCharge
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import subscription_create
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.services import account_create
from backhaul.notices.models import Notice
from backhaul.rating import services
from backhaul.rating.importers import CdrFileError
from backhaul.rating.models import CdrImport, PhoneNumber, RatedCall, RejectedCdr
from backhaul.rating.services import (
    cdr_import,
    cdr_rate_what_if,
    feature_use_add,
    number_assign,
    numbers_lapse,
)
from tests.rating.conftest import write_cdrs

pytestmark = pytest.mark.django_db

GEOGRAPHIC = "01632960001"


def row(call_id: str, caller: str, at: str, billsec: int, callee: str = GEOGRAPHIC, **extra):
    return [
        call_id,
        extra.get("account", ""),
        caller,
        callee,
        at,
        str(billsec),
        extra.get("disposition", "ANSWERED"),
        "false",
    ]


@pytest.fixture
def accounts(now):
    def make(name: str, number: str, plan: str, start: date = date(2026, 1, 1)):
        account = account_create(
            brand_key="plusnet-business",
            name=name,
            email=f"{name.split()[0].lower()}@example.com",
            now=now,
        )
        number_assign(account_number=account.number, number=number, plan=plan, start=start, now=now)
        return account

    return make


def import_rows(tmp_path: Path, rows, now, name: str = "cdrs.csv", **kwargs):
    path = write_cdrs(tmp_path / name, rows)
    return cdr_import(path=path, brand_key="plusnet-business", now=now, **kwargs)


def test_an_import_bills_one_charge_per_account_and_month_with_vat_call_by_call(
    accounts, tmp_path, now
) -> None:
    alpha = accounts("Ashford Dental", "01142000101", "business-phone-line")
    beta = accounts("Bramley Motors", "01142000102", "business-phone-line")
    summary = import_rows(
        tmp_path,
        [
            # Three 6-minute calls crossing 18:00 (3 daytime + 3 evening minutes each):
            # 0.045 + 0.030 + 0.05 = 0.125 -> 0.13 before VAT; 0.156 -> 0.16 with VAT.
            row("a1", "01142000101", "2026-06-10T17:57:30+01:00", 330),
            row("a2", "01142000101", "2026-06-11T17:57:30+01:00", 330),
            row("a3", "0114 200 0101", "2026-06-12T17:57:30+01:00", 330),
            # July: one daytime minute: 0.015 + 0.05 = 0.065 -> 0.07; 0.084 -> 0.09.
            row("a4", "01142000101", "2026-07-01T10:00:00+01:00", 60),
            # Beta, named by its account: two 1-minute mobile calls at 0.0995:
            # 0.1495 -> 0.15 each; 0.18 with VAT each.
            row(
                "b1",
                "01142000102",
                "2026-06-15T10:00:00+01:00",
                60,
                "07700900001",
                account=beta.number,
            ),
            row("b2", "01142000102", "2026-06-16T10:00:00+01:00", 60, "07700900002"),
            row("bad", "01142000102", "2026-06-16T10:00:00+01:00", -60),
        ],
        now,
    )
    assert (summary["read"], summary["rated"], summary["rejected"]) == (7, 6, 1)
    assert (summary["total_ex_vat"], summary["total_inc_vat"]) == ("0.76", "0.93")
    charges = {
        (c.account.number, c.tax_point): c
        for c in PendingCharge.objects.filter(source="rating").select_related("account")
    }
    june = charges[(alpha.number, date(2026, 6, 30))]
    # 3 x 0.13 = 0.39 before VAT; VAT is 3 x (0.16 - 0.13) = 0.09, the calls' own VAT
    # (business-phone-charges#7), not 0.39 x 20% = 0.078 rounded.
    assert (june.amount, june.vat, june.quantity) == (Decimal("0.39"), Decimal("0.09"), 3)
    assert june.kind == "usage" and june.vat_treatment == "exclusive"
    assert (june.period_start, june.period_end) == (date(2026, 6, 1), date(2026, 6, 30))
    assert june.clause.clause_id == "plusnet-business/business-phone-charges#7"
    july = charges[(alpha.number, date(2026, 7, 31))]
    assert (july.amount, july.vat) == (Decimal("0.07"), Decimal("0.02"))
    beta_june = charges[(beta.number, date(2026, 6, 30))]
    assert (beta_june.amount, beta_june.vat) == (Decimal("0.30"), Decimal("0.06"))
    assert len(charges) == 3
    calls = RatedCall.objects.filter(account=alpha, billing_month=date(2026, 6, 1))
    assert calls.count() == 3
    assert {call.charge_id for call in calls} == {june.pk}
    assert calls.get(call_id="a1").bands == {"weekend": 0, "evening": 3, "daytime": 3}
    imported = CdrImport.objects.get()
    assert (imported.read, imported.rated, imported.rejected, imported.charges) == (7, 6, 1, 3)
    reject = RejectedCdr.objects.get()
    assert (reject.line, reject.reason) == (8, "billsec: negative duration: '-60'")


def test_importing_the_same_file_again_charges_nothing_twice(accounts, tmp_path, now) -> None:
    accounts("Ashford Dental", "01142000101", "business-phone-line")
    rows = [row("a1", "01142000101", "2026-06-10T10:00:00+01:00", 60)]
    first = import_rows(tmp_path, rows, now)
    again = import_rows(tmp_path, rows, now)
    assert again["already_imported"] and again["import"] == first["import"]
    assert (PendingCharge.objects.count(), RatedCall.objects.count()) == (1, 1)
    # The same call in another file: rejected as rated before; only the new call is billed.
    later = import_rows(
        tmp_path,
        [*rows, row("a2", "01142000101", "2026-06-11T10:00:00+01:00", 60)],
        now,
        name="later.csv",
    )
    assert (later["rated"], later["rejected"]) == (1, 1)
    assert later["by_reason"] == {"call_id": 1}
    assert RejectedCdr.objects.get(cdr_import_id=later["import"]).reason == (
        "call_id: 'a1' was rated by an earlier import"
    )
    assert (PendingCharge.objects.count(), RatedCall.objects.count()) == (2, 2)


def test_an_allowance_is_carried_from_one_import_to_the_next(accounts, tmp_path, now) -> None:
    accounts("Calder Joinery", "01142000104", "broadband-phone-business")
    # 24 calls of 120 minutes and one of 110 use 2,990 of the 3,000 minutes in June.
    first = [
        row(f"f{n}", "01142000104", f"2026-06-{n + 1:02d}T09:00:00+01:00", 7200) for n in range(24)
    ] + [row("f24", "01142000104", "2026-06-25T09:00:00+01:00", 6600)]
    import_rows(tmp_path, first, now)
    assert not PendingCharge.objects.exists()
    # Next file: 25 minutes on Monday 29 June at 10:00: 10 covered, 15 daytime charged:
    # 15 x 0.015 + 0.05 = 0.275 -> 0.28; 0.336 -> 0.34 with VAT.
    import_rows(
        tmp_path, [row("s1", "01142000104", "2026-06-29T10:00:00+01:00", 1500)], now, "two.csv"
    )
    call = RatedCall.objects.get(call_id="s1")
    assert (call.covered_minutes, call.inclusive, call.charge_ex_vat) == (
        10,
        False,
        Decimal("0.28"),
    )
    charge = PendingCharge.objects.get()
    assert (charge.amount, charge.vat) == (Decimal("0.28"), Decimal("0.06"))


def test_callers_are_matched_to_their_accounts(accounts, tmp_path, now) -> None:
    alpha = accounts("Ashford Dental", "01142000101", "business-phone-line")
    beta = accounts("Bramley Motors", "01142000102", "broadband-phone-payg")
    account_create(
        brand_key="plusnet-business", name="Dunmore Print", email="d@example.com", now=now
    )
    summary = import_rows(
        tmp_path,
        [
            row("u1", "01142999999", "2026-06-10T10:00:00+01:00", 60),
            row("u2", "01142000101", "2026-06-10T10:00:00+01:00", 60, account=beta.number),
            row("u3", "01142000101", "2026-06-10T10:00:00+01:00", 60, account="PB999999"),
            row("u4", "02079460000", "2026-06-10T10:00:00+01:00", 60, account=beta.number),
            row("u5", "01142000101", "2025-12-31T10:00:00+00:00", 60),
        ],
        now,
    )
    reasons = dict(RejectedCdr.objects.values_list("line", "reason"))
    assert reasons == {
        2: "caller: unknown number 01142999999 and no account given",
        3: f"caller: 01142000101 is held by account {alpha.number}, not {beta.number}",
        4: "account: unknown account 'PB999999'",
        6: "caller: 01142000101 was not in service on 2025-12-31",
    }
    # A record naming the account, from a number that is not one of its own, is the
    # account's call on its number's plan.
    call = RatedCall.objects.get(call_id="u4")
    assert (call.account, call.plan, call.phone_number) == (beta, "broadband-phone-payg", None)
    assert summary["read"] == summary["rated"] + summary["rejected"]


def test_a_bad_file_stores_nothing(accounts, tmp_path, now) -> None:
    accounts("Ashford Dental", "01142000101", "business-phone-line")
    path = write_cdrs(tmp_path / "bad.csv", [], header="id,from,to")
    with pytest.raises(CdrFileError, match="expected the header"):
        cdr_import(path=path, brand_key="plusnet-business", now=now)
    assert not CdrImport.objects.exists()


def test_an_error_while_storing_leaves_nothing_half_written(
    accounts, tmp_path, now, monkeypatch
) -> None:
    accounts("Ashford Dental", "01142000101", "business-phone-line")

    def broken(**_kwargs):
        raise InvalidInput("the bill is locked")

    monkeypatch.setattr(services, "charge_add", broken)
    with pytest.raises(InvalidInput, match="the bill is locked"):
        import_rows(tmp_path, [row("a1", "01142000101", "2026-06-10T10:00:00+01:00", 60)], now)
    assert not CdrImport.objects.exists() and not RatedCall.objects.exists()
    assert PhoneNumber.objects.get().last_outgoing_call_at is None


def test_a_what_if_rates_without_storing(accounts, tmp_path, now) -> None:
    accounts("Ashford Dental", "01142000101", "business-phone-line")
    out = tmp_path / "rated.csv"
    summary = cdr_rate_what_if(
        path=write_cdrs(
            tmp_path / "w.csv",
            [
                # Unknown callers are fine in a what-if; 01142000101 is on-net (free).
                row("w1", "01999000000", "2026-06-13T10:00:00+01:00", 185, "07400123456"),
                row("w2", "01999000000", "2026-06-13T10:00:00+01:00", 60, "01142000101"),
            ],
        ),
        brand_key="plusnet-business",
        plan="business-phone-line",
        out=out,
    )
    # Weekend FM2: 4 x 0.1735 + 0.05 = 0.744 -> 0.75; 0.90 with VAT.
    assert (summary["total_ex_vat"], summary["total_inc_vat"]) == ("0.75", "0.90")
    assert summary["by_destination"]["on-net"]["ex_vat"] == "0.00"
    assert out.read_text().startswith("line,call_id,account,caller,callee,answered_at")
    assert not CdrImport.objects.exists() and not PendingCharge.objects.exists()
    with pytest.raises(InvalidInput, match="plan: 'fibre' is not a call plan of plusnet-business"):
        cdr_rate_what_if(
            path=out, brand_key="plusnet-business", plan="fibre", out=tmp_path / "x.csv"
        )


def test_numbers_are_held_once_in_national_form(accounts, now) -> None:
    alpha = accounts("Ashford Dental", "+44 114 200 0101", "business-phone-line")
    assert PhoneNumber.objects.get(account=alpha).number == "01142000101"
    with pytest.raises(InvalidInput, match="already held by account"):
        number_assign(
            account_number=alpha.number,
            number="0114 200 0101",
            plan="business-phone-line",
            start=date(2026, 1, 1),
            now=now,
        )
    with pytest.raises(InvalidInput, match="number: not a phone number: 'x'"):
        number_assign(
            account_number=alpha.number,
            number="x",
            plan="business-phone-line",
            start=date(2026, 1, 1),
            now=now,
        )
    with pytest.raises(InvalidInput, match="is not a call plan"):
        number_assign(
            account_number=alpha.number,
            number="01142000999",
            plan="mps-option-1",
            start=date(2026, 1, 1),
            now=now,
        )


def test_per_use_features_are_charged_unless_subscribed(accounts, now) -> None:
    alpha = accounts("Ashford Dental", "01142000101", "business-phone-line")
    used = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    charge = feature_use_add(
        account_number=alpha.number,
        charge_key="feature-1471-call-return",
        used_at=used,
        now=now,
        reference="sw-1",
    )
    assert charge is not None
    assert (charge.amount, charge.tax_point, charge.clause.clause_id) == (
        Decimal("0.10"),
        date(2026, 6, 10),
        "plusnet-business/business-phone-charges#calling-features",
    )
    again = feature_use_add(
        account_number=alpha.number,
        charge_key="feature-1471-call-return",
        used_at=used,
        now=now,
        reference="sw-1",
    )
    assert again.pk == charge.pk
    subscription_create(
        account_number=alpha.number,
        product_key="feature-ring-back",
        start=date(2026, 1, 1),
        now=now,
    )
    assert (
        feature_use_add(
            account_number=alpha.number,
            charge_key="feature-ring-back-use",
            used_at=used,
            now=now,
            reference="sw-2",
        )
        is None
    )
    with pytest.raises(InvalidInput, match="is not charged per use"):
        feature_use_add(
            account_number=alpha.number,
            charge_key="re-number",
            used_at=used,
            now=now,
            reference="sw-3",
        )
    with pytest.raises(NotFound):
        feature_use_add(
            account_number=alpha.number,
            charge_key="nothing",
            used_at=used,
            now=now,
            reference="sw-4",
        )


def test_free_numbers_lapse_after_90_days_without_an_outgoing_call(accounts, tmp_path, now):
    free = accounts("Elmfield Vets", "01142000103", "broadband-phone-payg")
    paid = accounts("Foxley Print", "01142000104", "broadband-phone-business")
    subscription = subscription_create(
        account_number=free.number,
        product_key="broadband-phone-payg",
        start=date(2026, 1, 1),
        now=now,
    )
    number = PhoneNumber.objects.get(account=free)
    number.subscription = subscription
    number.save()
    import_rows(
        tmp_path,
        [
            row("x1", "01142000103", "2026-03-01T12:00:00+00:00", 0, disposition="NO ANSWER"),
            row("x2", "01142000104", "2026-02-01T12:00:00+00:00", 60),
        ],
        now,
    )
    # Last outgoing call 1 March; 90 days later is 30 May: still held.
    assert numbers_lapse(on=date(2026, 5, 30), now=now) == {
        "checked": 1,
        "lapsed": 0,
        "notices": 0,
    }
    assert numbers_lapse(on=date(2026, 5, 31), now=now) == {
        "checked": 1,
        "lapsed": 1,
        "notices": 1,
    }
    number.refresh_from_db()
    assert number.end_reason == "lapsed"
    assert number.ended_at == datetime(2026, 5, 30, 23, 0, tzinfo=UTC)  # 31 May, 00:00 BST
    subscription.refresh_from_db()
    assert (subscription.status, subscription.ends_on) == ("ceased", date(2026, 5, 31))
    notice = Notice.objects.get(kind="rating.number-lapse")
    assert notice.account == free and notice.clause.clause_id == (
        "plusnet-business/broadband-phone-schedule#3.11"
    )
    assert "01142000103" in notice.body and "31 May 2026" in notice.body
    assert len(mail.outbox) == 1
    # Replaying the day, or a later one, changes nothing and sends nothing.
    assert numbers_lapse(on=date(2026, 5, 31), now=now)["lapsed"] == 0
    assert numbers_lapse(on=date(2026, 6, 30), now=now)["notices"] == 0
    assert len(mail.outbox) == 1
    assert PhoneNumber.objects.get(account=paid).ended_at is None
    assert Subscription.objects.filter(status="ceased").count() == 1
