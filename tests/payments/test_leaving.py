"""Leaving: exit charges on the bill, provider-asked moves, abuse terminations without
refund, order cancellations and unreturned equipment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backhaul.billing.models import PendingCharge
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import subscription_create
from backhaul.core.errors import InvalidInput
from backhaul.notices.models import Notice
from backhaul.payments.models import CardAuthority, Departure, EquipmentReturn
from backhaul.payments.services import (
    departure_record,
    departures_run_day,
    equipment_overdue_run,
    equipment_package_received,
    equipment_return_open,
    equipment_returned,
    payment_record,
)
from tests.payments.conftest import NOW, bill, invoice_of, mps_customer, plugin_customer

pytestmark = pytest.mark.django_db
D = Decimal
NOV15, DEC15 = date(2026, 11, 15), date(2026, 12, 15)


def charges(account) -> list[tuple[str, Decimal, Decimal | None, str]]:
    return [
        (c.key.split(":")[-1], c.amount, c.vat, c.clause.clause_id)
        for c in PendingCharge.objects.filter(account=account, source="payments").order_by("id")
    ]


def leave(account, kind: str, on: date, **kwargs) -> Departure:
    subscription = Subscription.objects.filter(account=account).order_by("id").first()
    return departure_record(subscription_id=subscription.pk, kind=kind, on=on, now=NOW, **kwargs)


def test_customer_notice_puts_early_termination_and_cease_on_the_bill() -> None:
    account = mps_customer("Ashford Motors Ltd")
    departure = leave(account, "customer-notice", date(2026, 11, 21))
    # 30 days' notice: ends 21 Dec 2026. The 24-month minimum period runs to 15 Nov 2028:
    # 22 whole months (to 21 Oct 2028) and 25 of the 31 days to 21 Nov 2028:
    # 28.00 x 22 + 28.00 x 25/31 = 616.00 + 22.5806... = 638.58; VAT 127.716 -> 127.72.
    # Cease: 20.83 + VAT 4.166 -> 4.17 (also due within the minimum period).
    assert departure.ends_on == date(2026, 12, 21)
    assert charges(account) == [
        ("early_termination", D("638.58"), D("127.72"), "plusnet-business/broadband-schedule#4.8"),
        ("cease", D("20.83"), D("4.17"), "plusnet-business/broadband-charges#8"),
    ]
    assert set(
        PendingCharge.objects.filter(account=account, source="payments").values_list(
            "tax_point", flat=True
        )
    ) == {date(2026, 12, 21)}
    assert Subscription.objects.get(account=account).status == "active"
    assert departures_run_day(on=date(2026, 12, 20), now=NOW) == {"ended": 0}
    assert departures_run_day(on=date(2026, 12, 21), now=NOW) == {"ended": 1}
    subscription = Subscription.objects.get(account=account)
    assert (subscription.status, subscription.ends_on) == ("ceased", date(2026, 12, 21))
    assert departures_run_day(on=date(2026, 12, 22), now=NOW) == {"ended": 0}
    with pytest.raises(InvalidInput, match="is already leaving"):
        leave(account, "customer-notice", date(2026, 12, 22))


def test_leaving_with_a_mac_after_a_detrimental_change_costs_nothing() -> None:
    account = mps_customer("Bramley Vets Ltd")
    departure = leave(
        account,
        "customer-notice",
        date(2026, 11, 21),
        mac=True,
        detrimental_change_notified=date(2026, 11, 1),
    )
    assert charges(account) == []
    assert "waived: early_termination" in departure.explanation
    assert "waived: cease" in departure.explanation


def test_termination_for_spam_withholds_the_pro_rata_refund() -> None:
    account = plugin_customer("Calder Cafe Ltd")
    bill(NOV15)  # 15 Nov - 14 Dec paid in advance: £24.99 + VAT
    payment_record(account_number=account.number, amount="29.99", method="card", on=NOV15, now=NOW)
    departure = leave(account, "abuse", date(2026, 11, 25))
    assert departure.clause == "plugin/broadband-terms#11"
    assert Subscription.objects.get(account=account).status == "ceased"
    assert CardAuthority.objects.get(account=account).ends_on == date(2026, 11, 25)
    december = bill(DEC15)[0]
    lines = list(december.lines.values_list("description", "net", "vat", "clause_id"))
    # The bill run refunds the 20 unused days of 30: 24.99 - 24.99 x 10/30 (8.33) = 16.66,
    # VAT 3.33; "with no refunds" (broadband-terms#11) cancels it line for line; the cease
    # charge for ending the connection is £32.00 + VAT £6.40.
    assert [(n, v, c) for _, n, v, c in lines] == [
        (D("-16.66"), D("-3.33"), "plugin/general-terms#rule-5"),
        (D("32.00"), D("6.40"), "plugin/broadband-terms#12"),
        (D("16.66"), D("3.33"), "plugin/broadband-terms#11"),
    ]
    assert lines[2][0].startswith("No refund on termination for spam or illegal use")
    assert december.total == D("38.40")


def test_provider_asking_a_hosting_customer_to_move_refunds_full_months() -> None:
    account = plugin_customer("Dunmore Design Ltd", products=("hosting",))
    bill(NOV15)
    departure = leave(account, "provider-asked", date(2026, 11, 21))
    # "giving them 30 days notice ... We will refund any full months paid in advance"
    assert (departure.ends_on, departure.clause) == (date(2026, 12, 21), "plugin/hosting-terms#8")
    assert charges(account) == []  # no exit charges when the provider ends it
    assert "no full months paid in advance after 2026-12-21" in departure.explanation


def test_order_cancelled_in_progress_costs_the_brands_charge() -> None:
    account = plugin_customer("Elmfield Builders Ltd", products=())
    subscription_create(
        account_number=account.number, product_key="broadband", start=date(2026, 12, 1), now=NOW
    )
    departure = leave(account, "order-cancelled", date(2026, 11, 21))
    # "Orders cancelled whilst in progress will be charged at £25.00 plus VAT."
    assert charges(account) == [
        ("order-cancellation", D("25.00"), None, "plugin/broadband-terms#13")
    ]
    assert departure.status == "done"
    assert Subscription.objects.get(account=account).status == "cancelled"


def test_plusnet_cancellation_charges_the_work_done_unless_the_line_cannot_be_served() -> None:
    first = mps_customer("Foxley Surveyors Ltd", start=date(2026, 12, 1))
    with pytest.raises(InvalidInput, match="cost: enter the cost of the work done"):
        leave(first, "order-cancelled", date(2026, 11, 21))
    leave(
        first,
        "order-cancelled",
        date(2026, 11, 21),
        cancellation_cost="45.00",
        equipment_sent_on=date(2026, 11, 21),
    )
    assert charges(first) == [
        ("order-cancellation", D("45.00"), None, "plusnet-business/broadband-schedule#4.7(a)")
    ]
    assert EquipmentReturn.objects.filter(account=first).count() == 1
    second = mps_customer("Greyfriars Dental Ltd", start=date(2026, 12, 1))
    departure = leave(second, "order-cancelled", date(2026, 11, 21), line_cannot_be_served=True)
    assert charges(second) == []
    assert departure.clause == "plusnet-business/broadband-schedule#1.5"


def test_equipment_not_returned_within_14_days_of_the_package_is_charged() -> None:
    account = mps_customer("Harrow Logistics Ltd")
    subscription = Subscription.objects.get(account=account)
    item = equipment_return_open(
        subscription_id=subscription.pk,
        package_sent_on=date(2026, 11, 1),
        reason="contract ended",
        now=NOW,
    )
    assert equipment_overdue_run(on=date(2026, 12, 31), now=NOW) == {"charged": 0}  # no package
    equipment_package_received(return_id=item.pk, received_on=date(2026, 11, 3))
    assert equipment_overdue_run(on=date(2026, 11, 17), now=NOW) == {"charged": 0}  # day 14
    assert equipment_overdue_run(on=date(2026, 11, 18), now=NOW) == {"charged": 1}
    assert equipment_overdue_run(on=date(2026, 11, 19), now=NOW) == {"charged": 0}
    # Retail price, postage both ways and the administration charge (examples: the terms
    # give no amounts), each under broadband-schedule#5.2.
    assert charges(account) == [
        ("equipment-router-retail", D("50.00"), None, "plusnet-business/broadband-schedule#5.2"),
        ("postage-and-packing", D("6.09"), None, "plusnet-business/broadband-schedule#5.2"),
        ("equipment-return-postage", D("6.09"), None, "plusnet-business/broadband-schedule#5.2"),
        ("equipment-administration", D("10.00"), None, "plusnet-business/broadband-schedule#5.2"),
    ]
    assert Notice.objects.filter(kind="payments.equipment.charged").count() == 1
    with pytest.raises(InvalidInput, match="was charged on 2026-11-18"):
        equipment_returned(return_id=item.pk, returned_on=date(2026, 11, 20))


def test_equipment_returned_in_time_costs_nothing() -> None:
    account = mps_customer("Ingleby Pharmacy Ltd")
    subscription = Subscription.objects.get(account=account)
    item = equipment_return_open(
        subscription_id=subscription.pk,
        package_sent_on=date(2026, 11, 1),
        reason="faulty router",
        now=NOW,
    )
    equipment_package_received(return_id=item.pk, received_on=date(2026, 11, 3))
    equipment_returned(return_id=item.pk, returned_on=date(2026, 11, 10))
    assert equipment_overdue_run(on=date(2026, 12, 1), now=NOW) == {"charged": 0}
    assert charges(account) == []


def test_plugin_asks_for_no_equipment_back() -> None:
    account = plugin_customer("Juniper Print Ltd")
    subscription = Subscription.objects.get(account=account)
    with pytest.raises(InvalidInput, match="PlugIn's terms ask for no equipment back"):
        equipment_return_open(
            subscription_id=subscription.pk, package_sent_on=NOV15, reason="x", now=NOW
        )


def test_non_payment_termination_charges_the_exit_from_that_day() -> None:
    account = mps_customer("Kestrel Florists Ltd")
    departure = leave(account, "non-payment", date(2026, 12, 27))
    # Ends at once on 27 Dec 2026; minimum period to 15 Nov 2028: 22 whole months to
    # 27 Oct 2028 and 19 of the 31 days to 27 Nov: 28 x 22 + 28 x 19/31 = 616 + 17.16...
    # = 633.16; VAT 126.632 -> 126.63. Cease 20.83 + 4.17.
    assert departure.ends_on == date(2026, 12, 27)
    assert charges(account) == [
        ("early_termination", D("633.16"), D("126.63"), "plusnet-business/broadband-schedule#4.8"),
        ("cease", D("20.83"), D("4.17"), "plusnet-business/broadband-charges#8"),
    ]
    assert invoice_of  # the bill run picks these up on the next bill date
