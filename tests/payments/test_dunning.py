"""The dunning ladder through the daily job: notices, suspension, contact before termination,
restoring on payment, holds, restriction fees, and hand-off to a collection agency."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from backhaul.billing.models import PendingCharge
from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput
from backhaul.notices.models import Notice
from backhaul.payments import selectors
from backhaul.payments.jobs import DAILY_JOBS
from backhaul.payments.models import CollectionCase, DunningStep
from backhaul.payments.services import (
    collection_open,
    collections_export,
    contact_attempt_record,
    dunning_hold,
    dunning_release,
    dunning_run_day,
    payment_record,
    reactivation_fee_charge,
)
from backhaul.scheduler.registry import daily_jobs
from tests.payments.conftest import NOW, bill, customer, mps_customer, plugin_customer

pytestmark = pytest.mark.django_db
D = Decimal
NOV15 = date(2026, 11, 15)


def run(on: date) -> dict[str, int]:
    return dunning_run_day(on=on, now=NOW)


def steps(account) -> list[tuple[str, str, date]]:
    return [(s.kind, s.status, s.on) for s in DunningStep.objects.filter(account=account)]


def status(account) -> list[str]:
    return list(Subscription.objects.filter(account=account).values_list("status", flat=True))


def test_the_jobs_are_registered_with_the_scheduler() -> None:
    names = {job.name for job in daily_jobs()}
    assert {job.name for job in DAILY_JOBS} <= names


def test_plugin_ladder_reminds_suspends_and_terminates_only_after_trying_to_reach_them() -> None:
    account = plugin_customer("Kestrel Joinery Ltd", products=("broadband", "email"))
    bill(NOV15)  # £24.99 + £2.50 + VAT: £32.99, due 15 Nov, unpaid
    assert run(NOV15)["steps"] == 0  # not overdue on the due date itself
    run(date(2026, 11, 16))  # day 1: reminder (after_days 0, an example value)
    run(date(2026, 11, 16))  # replaying the day sends nothing again
    assert steps(account) == [("reminder", "done", date(2026, 11, 16))]
    reminder = Notice.objects.get(kind="payments.dunning.reminder")
    assert reminder.clause.clause_id == "plugin/broadband-terms#9"
    assert "£32.99 unpaid past its due date" in reminder.body
    run(date(2026, 11, 29))  # day 14: broadband and email suspended
    assert status(account) == ["suspended", "suspended"]
    run(date(2026, 12, 15))  # day 30: termination, but nobody has tried to reach them
    assert steps(account)[-1] == ("termination", "waiting", date(2026, 12, 15))
    assert status(account) == ["suspended", "suspended"]
    contact_attempt_record(
        account_number=account.number,
        on=date(2026, 12, 16),
        channel="phone",
        outcome="no-response",
        now=NOW,
    )
    run(date(2026, 12, 17))
    assert steps(account)[-1] == ("termination", "done", date(2026, 12, 17))
    assert status(account) == ["ceased", "ceased"]
    # "if we have to cease your connection for non-payment" (broadband-terms#12): the
    # cease charge, £32.00 + VAT, on the next bill; email has no cease charge.
    assert list(
        PendingCharge.objects.filter(account=account, source="payments").values_list(
            "amount", "vat", "clause__clause_id"
        )
    ) == [(D("32.00"), D("6.40"), "plugin/broadband-terms#12")]
    assert Notice.objects.filter(kind="payments.dunning.termination").count() == 1
    # Reinstating it later costs BT's reactivation fee (broadband-terms#9; £50.00 + VAT is
    # an example amount), once.
    assert reactivation_fee_charge(
        account_number=account.number, on=date(2027, 1, 4), now=NOW
    ) == D("50.00")
    reactivation_fee_charge(account_number=account.number, on=date(2027, 1, 5), now=NOW)
    assert PendingCharge.objects.filter(account=account, key__endswith=":reactivation").count() == 1


def test_paying_the_arrears_restores_suspended_service() -> None:
    account = plugin_customer("Linden Studio Ltd")
    bill(NOV15)
    run(date(2026, 11, 29))
    assert status(account) == ["suspended"]
    payment_record(
        account_number=account.number, amount="29.99", method="card", on=date(2026, 12, 1), now=NOW
    )
    assert status(account) == ["active"]
    assert DunningStep.objects.get(account=account, kind="suspension").restored_on == date(
        2026, 12, 1
    )
    assert Notice.objects.filter(kind="payments.dunning.restored").count() == 1
    # PlugIn names a reactivation fee only after termination: restoring is free.
    assert not PendingCharge.objects.filter(account=account, source="payments").exists()
    run(date(2026, 12, 2))
    assert status(account) == ["active"]


def test_staff_can_hold_the_ladder() -> None:
    account = plugin_customer("Marlow Lettings Ltd")
    bill(NOV15)
    run(date(2026, 11, 16))
    dunning_hold(
        account_number=account.number,
        reason="customer explained: paying Friday",
        until=date(2026, 12, 5),
        now=NOW,
    )
    run(date(2026, 11, 30))
    assert status(account) == ["active"]
    assert [s[0] for s in steps(account)] == ["reminder"]
    run(date(2026, 12, 6))  # the hold has run out
    assert status(account) == ["suspended"]
    dunning_hold(account_number=account.number, reason="in talks", now=NOW)
    run(date(2026, 12, 20))
    assert [s[0] for s in steps(account)] == ["reminder", "suspension"]
    dunning_release(account_number=account.number, now=NOW)
    contact_attempt_record(
        account_number=account.number,
        on=date(2026, 12, 20),
        channel="email",
        outcome="responded",
        now=NOW,
    )
    run(date(2026, 12, 21))
    assert steps(account)[-1][:2] == ("termination", "waiting")


def test_plusnet_restricts_the_phone_line_and_charges_to_apply_and_lift() -> None:
    account = customer(
        "plusnet-business",
        "Northgate Accountants Ltd",
        products=("mps-option-1",),
        term=24,
        market="1-2",
    )
    from backhaul.contracts.services import subscription_create

    subscription_create(
        account_number=account.number,
        product_key="business-phone-line",
        term=12,
        start=NOV15,
        now=NOW,
    )
    bill(NOV15)
    run(date(2026, 11, 22))  # day 7: reminder
    run(date(2026, 11, 29))  # day 14: restriction of the phone line
    restriction = DunningStep.objects.get(account=account, kind="restriction")
    assert restriction.clause == "plusnet-business/business-phone-charges#6"
    charges = list(
        PendingCharge.objects.filter(account=account, source="payments").values_list(
            "description", "amount", "vat_treatment"
        )
    )
    # "£5.76 (Inc VAT) to apply/or lift any of these restrictions"
    assert charges == [
        (
            "Apply or lift a restriction (restriction for non-payment): "
            "Plusnet Business Phone line rental",
            D("5.76"),
            "inclusive",
        )
    ]
    # The first MPS bill £76.91 + phone line rental £13.00 + VAT £2.60 = £92.51
    owed = selectors.account_ledger(account, on=date(2026, 11, 30)).balance
    assert owed == D("92.51")
    payment_record(
        account_number=account.number,
        amount=str(owed),
        method="card",
        on=date(2026, 11, 30),
        now=NOW,
    )
    lifted = PendingCharge.objects.filter(account=account, key__contains=":lift:")
    assert [c.amount for c in lifted] == [D("5.76")]


def test_plusnet_hands_the_debt_to_an_agency_with_its_cost_added() -> None:
    account = mps_customer("Oakham Bakery Ltd")
    bill(NOV15)
    for day in (22, 29):
        run(date(2026, 11, day))
    run(date(2026, 12, 6))  # day 21: suspension
    run(date(2026, 12, 27))  # day 42: termination (Plusnet needs no contact attempt)
    run(date(2027, 1, 10))  # day 56: hand-off to the agency
    assert [s[0] for s in steps(account)] == [
        "reminder",
        "restriction",
        "suspension",
        "termination",
        "debt-collection",
    ]
    assert steps(account)[1][1] == "nothing-to-do"  # no phone line to restrict
    with pytest.raises(InvalidInput, match="Plusnet Business's terms name no reactivation fee"):
        reactivation_fee_charge(account_number=account.number, on=date(2027, 1, 10), now=NOW)
    assert CollectionCase.objects.get(account=account).debt == D("76.91")
    result = collections_export(on=date(2027, 1, 11), now=NOW)
    assert (result.read, result.exported, result.withdrawn) == (1, 1, [])
    row = next(csv.DictReader(io.StringIO(result.csv)))
    # The unpaid November bill, £76.91, plus the agency's cost: 15% of it (an example
    # share), 11.5365, half-up to the penny: £11.54; £88.45 in all.
    assert (row["account"], row["debt"], row["agency_cost"], row["total"]) == (
        account.number,
        "76.91",
        "11.54",
        "88.45",
    )
    assert row["agency_cost_clause"] == "plusnet-business/general-terms#4.12"
    assert PendingCharge.objects.get(key__startswith="collection:").amount == D("11.54")
    again = collections_export(on=date(2027, 1, 12), now=NOW)
    assert (again.read, again.exported) == (0, 0)


def test_debt_paid_before_export_is_withdrawn_not_handed_over() -> None:
    account = mps_customer("Penrose Opticians Ltd")
    bill(NOV15)
    collection_open(account_number=account.number, on=date(2026, 11, 21), now=NOW)
    payment_record(
        account_number=account.number, amount="76.91", method="card", on=date(2026, 11, 22), now=NOW
    )
    case = CollectionCase.objects.get(account=account)
    assert case.status == "withdrawn"  # withdrawn when the arrears were cleared
    result = collections_export(on=date(2026, 11, 23), now=NOW)
    assert (result.read, result.exported) == (0, 0)
