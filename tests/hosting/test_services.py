"""Email and hosting packages on the database: charges ahead of renewal, notice, refunds,
AUP flags, and replaying the daily job."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from backhaul.billing.models import PendingCharge
from backhaul.core.errors import InvalidInput, NotFound, TransitionNotAllowed
from backhaul.domains.services import domain_register
from backhaul.hosting.models import AupFlag, Package, PackageEvent
from backhaul.hosting.services import (
    package_aup_flag,
    package_aup_resolve,
    package_cancel_with_refund,
    package_notice_give,
    package_order,
    packages_run_day,
)
from backhaul.notices.models import Notice
from tests.domains.conftest import snapshot

pytestmark = pytest.mark.django_db

START = date(2026, 11, 21)


def charges(package: Package) -> list[tuple]:
    return list(
        PendingCharge.objects.filter(account=package.account)
        .order_by("tax_point", "id")
        .values_list("amount", "tax_point", "period_start", "period_end", "clause__clause_id")
    )


def test_the_first_month_is_charged_in_advance(plugin_account, now) -> None:
    package = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    assert (package.status, package.renews_on) == ("active", date(2026, 12, 21))
    charge = PendingCharge.objects.get()
    assert (charge.key, charge.kind, charge.source, charge.vat_treatment) == (
        f"package:{package.pk}:period:2026-11-21",
        "recurring",
        "hosting",
        "exclusive",
    )
    assert charges(package) == [
        (Decimal("5.99"), START, START, date(2026, 12, 21), "plugin/hosting-terms#1")
    ]


def test_only_email_and_hosting_products_make_packages(plugin_account, now) -> None:
    with pytest.raises(InvalidInput, match="broadband is a broadband product"):
        package_order(account=plugin_account, product_key="broadband", on=START, now=now)
    with pytest.raises(NotFound, match="unknown product 'webspace' for plugin"):
        package_order(account=plugin_account, product_key="webspace", on=START, now=now)
    assert not Package.objects.exists() and not PendingCharge.objects.exists()


def test_renewal_is_invoiced_before_the_renewal_date(plugin_account, now) -> None:
    package = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    # Renewal on 2026-12-21; invoiced 14 days before, on 2026-12-07 (plugin/hosting-terms#6).
    assert packages_run_day(on=date(2026, 12, 6), now=now) == {
        "invoiced": 0,
        "renewed": 0,
        "ended": 0,
    }
    assert packages_run_day(on=date(2026, 12, 7), now=now) == {
        "invoiced": 1,
        "renewed": 0,
        "ended": 0,
    }
    assert packages_run_day(on=date(2026, 12, 7), now=now)["invoiced"] == 0
    assert packages_run_day(on=date(2026, 12, 21), now=now) == {
        "invoiced": 0,
        "renewed": 1,
        "ended": 0,
    }
    package.refresh_from_db()
    assert package.renews_on == date(2027, 1, 21)
    assert charges(package)[1:] == [
        (
            Decimal("5.99"),
            date(2026, 12, 7),
            date(2026, 12, 21),
            date(2027, 1, 21),
            "plugin/hosting-terms#6",
        )
    ]


def test_a_missed_invoice_day_is_charged_with_its_own_tax_point(plugin_account, now) -> None:
    package = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    assert packages_run_day(on=date(2027, 1, 25), now=now) == {
        "invoiced": 2,
        "renewed": 2,
        "ended": 0,
    }
    package.refresh_from_db()
    assert package.renews_on == date(2027, 2, 21)
    tax_points = [c[1] for c in charges(package)]
    # Periods from 12-21 and 01-21, each with the tax point 14 days before it.
    assert tax_points == [START, date(2026, 12, 7), date(2027, 1, 7)]


def test_email_packages_renew_under_the_email_terms(plugin_account, now) -> None:
    package = package_order(
        account=plugin_account, product_key="email", on=date(2027, 1, 31), now=now
    )
    # Started on 31 January: renews on 28 February, invoiced 14 days before, 14 February.
    assert package.renews_on == date(2027, 2, 28)
    packages_run_day(on=date(2027, 2, 14), now=now)
    assert charges(package) == [
        (
            Decimal("2.50"),
            date(2027, 1, 31),
            date(2027, 1, 31),
            date(2027, 2, 28),
            "plugin/email-terms#1",
        ),
        (
            Decimal("2.50"),
            date(2027, 2, 14),
            date(2027, 2, 28),
            date(2027, 3, 31),
            "plugin/email-terms#6",
        ),
    ]


def test_notice_ends_the_package_at_a_renewal_date_and_is_acknowledged(plugin_account, now) -> None:
    package = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    packages_run_day(on=date(2026, 12, 7), now=now)
    # Notice on 12-10: + 30 days = 2027-01-09; the next renewal date after it is 2027-01-21.
    package = package_notice_give(package=package, on=date(2026, 12, 10), now=now)
    assert package.ends_on == date(2027, 1, 21)
    acknowledgement = Notice.objects.get(kind="package.notice-acknowledged")
    assert acknowledgement.clause.clause_id == "plugin/hosting-terms#2"
    assert "ends on 2027-01-21" in acknowledgement.body
    with pytest.raises(TransitionNotAllowed, match="notice was given on 2026-12-10"):
        package_notice_give(package=package, on=date(2026, 12, 11), now=now)
    # No renewal is invoiced for 2027-01-21 onwards; the package ends that day.
    assert packages_run_day(on=date(2027, 1, 7), now=now)["invoiced"] == 0
    assert packages_run_day(on=date(2027, 1, 20), now=now)["ended"] == 0
    assert packages_run_day(on=date(2027, 1, 21), now=now)["ended"] == 1
    package.refresh_from_db()
    assert (package.status, package.ended_on) == ("ended", date(2027, 1, 21))
    assert [c[2] for c in charges(package)] == [START, date(2026, 12, 21)]


def test_money_back_refunds_the_hosting_but_never_the_domain(plugin_account, now) -> None:
    package = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    domain_register(account=plugin_account, name="marlow-motors.co.uk", on=START, now=now)
    packages_run_day(on=date(2026, 12, 7), now=now)  # the second month is charged ahead
    # Day 30 is 2026-12-20 (the start is day 1): still within the first 30 days.
    package = package_cancel_with_refund(
        package=package, basis="money-back", on=date(2026, 12, 20), now=now
    )
    assert (package.status, package.ended_on) == ("cancelled", date(2026, 12, 20))
    credit = PendingCharge.objects.get(key=f"package:{package.pk}:refund")
    # 100% of the two months paid (2 x £5.99); the £9.99 domain registration is excluded.
    assert (credit.amount, credit.kind, credit.tax_point) == (
        Decimal("-11.98"),
        "credit",
        date(2026, 12, 20),
    )
    assert credit.clause.clause_id == "plugin/hosting-terms#money-back"
    assert PendingCharge.objects.filter(key__startswith="domain:").get().amount == Decimal("9.99")
    assert not PendingCharge.objects.filter(key__startswith="domain:", kind="credit").exists()
    # A cancelled package is not renewed.
    assert packages_run_day(on=date(2027, 1, 7), now=now)["invoiced"] == 0


def test_day_31_is_too_late_for_a_refund(plugin_account, now) -> None:
    package = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    for basis in ("money-back", "cooling-off"):
        with pytest.raises(
            TransitionNotAllowed, match=r"first 30 days of package \d+ ended on 2026-12-20"
        ):
            package_cancel_with_refund(package=package, basis=basis, on=date(2026, 12, 21), now=now)
    package.refresh_from_db()
    assert package.status == "active"
    assert not PendingCharge.objects.filter(kind="credit").exists()


def test_email_is_cooled_off_but_has_no_money_back_guarantee(plugin_account, now) -> None:
    package = package_order(account=plugin_account, product_key="email", on=START, now=now)
    with pytest.raises(TransitionNotAllowed) as caught:
        package_cancel_with_refund(package=package, basis="money-back", on=START, now=now)
    assert str(caught.value) == (
        "Money-back guarantee does not cover PlugIn Email package (plugin/hosting-terms#money-back)"
    )
    package = package_cancel_with_refund(package=package, basis="cooling-off", on=START, now=now)
    credit = PendingCharge.objects.get(kind="credit")
    assert (credit.amount, credit.clause.clause_id) == (Decimal("-2.50"), "plugin/email-terms#2")
    with pytest.raises(InvalidInput, match="basis: must be one of cooling-off, money-back"):
        package_cancel_with_refund(package=package, basis="goodwill", on=START, now=now)


def test_aup_flags(plugin_account, now) -> None:
    hosting = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    email = package_order(account=plugin_account, product_key="email", on=START, now=now)
    with pytest.raises(
        InvalidInput, match="kind: must be one of public-ftp, peer-to-peer, file-sharing"
    ):
        package_aup_flag(package=hosting, kind="irc", on=START, now=now)
    with pytest.raises(InvalidInput, match="is not a hosting package"):
        package_aup_flag(package=email, kind="public-ftp", on=START, now=now)
    flag = package_aup_flag(
        package=hosting, kind="public-ftp", detail="anonymous FTP on", on=START, now=now
    )
    assert flag.clause.clause_id == "plugin/hosting-terms#5"
    assert flag.notice.clause.clause_id == "plugin/hosting-terms#5"
    assert package_aup_flag(package=hosting, kind="public-ftp", on=START, now=now).pk == flag.pk
    package_aup_resolve(flag=flag, on=START + timedelta(days=2), now=now)
    with pytest.raises(TransitionNotAllowed):
        package_aup_resolve(flag=flag, on=START + timedelta(days=3), now=now)
    assert AupFlag.objects.count() == 1


def test_replaying_a_range_twice_changes_nothing_and_sends_each_notice_once(
    plugin_account, other_account, now
) -> None:
    kept = package_order(account=plugin_account, product_key="hosting", on=START, now=now)
    leaving = package_order(
        account=other_account, product_key="email", on=date(2026, 10, 31), now=now
    )
    first, middle, last = date(2026, 11, 21), date(2026, 12, 15), date(2027, 3, 10)

    def tick(start: date, end: date) -> None:
        call_command(
            "tick", "--on", str(start), "--to", str(end), "--job", "hosting.renewals", "--json"
        )

    tick(first, middle)
    package_notice_give(package=leaving, on=date(2026, 12, 16), now=now)
    tick(middle + timedelta(days=1), last)
    models = [Package, PackageEvent, PendingCharge, Notice]
    state = snapshot(models)
    sent = len(mail.outbox)
    tick(first, last)
    tick(first, last)
    assert snapshot(models) == state
    assert len(mail.outbox) == sent == Notice.objects.count() == 2
    kept.refresh_from_db()
    leaving.refresh_from_db()
    # Hosting: renewals 12-21, 01-21, 02-21 rolled; 03-21 invoiced on 03-07.
    assert kept.renews_on == date(2027, 3, 21)
    assert [c[1:4] for c in charges(kept)] == [
        (START, START, date(2026, 12, 21)),
        (date(2026, 12, 7), date(2026, 12, 21), date(2027, 1, 21)),
        (date(2027, 1, 7), date(2027, 1, 21), date(2027, 2, 21)),
        (date(2027, 2, 7), date(2027, 2, 21), date(2027, 3, 21)),
        (date(2027, 3, 7), date(2027, 3, 21), date(2027, 4, 21)),
    ]
    # Email from 10-31 (renews on the 30th/31st); notice 12-16 + 30 = 2027-01-15, so it
    # ends on 2027-01-31, the next renewal date.
    assert (leaving.status, leaving.ends_on, leaving.ended_on) == (
        "ended",
        date(2027, 1, 31),
        date(2027, 1, 31),
    )
    assert sorted(Notice.objects.values_list("kind", flat=True)) == [
        "package.ended",
        "package.notice-acknowledged",
    ]
