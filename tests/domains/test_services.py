"""Registering, renewing and transferring names, and the daily lifecycle, on the database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from backhaul.billing.models import PendingCharge
from backhaul.catalogue.models import RuleSection
from backhaul.core.errors import InvalidInput, NotFound, TransitionNotAllowed
from backhaul.customers.services import account_create
from backhaul.domains.lifecycle import domains_run_day
from backhaul.domains.models import Domain, DomainEvent
from backhaul.domains.selectors import amount_owed, domain_overview
from backhaul.domains.services import (
    domain_privacy_set,
    domain_register,
    domain_renew,
    domain_transfer_out,
)
from backhaul.notices.models import Notice
from tests.domains.conftest import snapshot

pytestmark = pytest.mark.django_db

REGISTERED = date(2026, 11, 21)


def register(account, name="foxley.co.uk", on=REGISTERED, **kwargs):
    return domain_register(account=account, name=name, on=on, now=kwargs.pop("now"), **kwargs)


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_registration_is_charged_in_advance_with_its_clause(plugin_account, now) -> None:
    domain = register(plugin_account, now=now, whois_privacy=True)
    # .uk names are registered for 2 years (plugin/domain-terms#1): 2026-11-21 to 2028-11-21.
    assert (domain.name, domain.tld, domain.expires_on) == (
        "foxley.co.uk",
        "uk",
        date(2028, 11, 21),
    )
    assert domain.whois_privacy is True
    assert domain.auto_renew is False  # PlugIn does not renew automatically
    charge = PendingCharge.objects.get(key=f"domain:{domain.pk}:registration")
    assert (charge.amount, charge.vat_treatment) == (Decimal("9.99"), "exclusive")
    assert charge.clause.clause_id == "plugin/domain-terms#1"
    assert (charge.tax_point, charge.period_start, charge.period_end) == (
        REGISTERED,
        REGISTERED,
        date(2028, 11, 21),
    )
    event = DomainEvent.objects.get(domain=domain)
    assert (event.kind, event.clause.clause_id) == ("registered", "plugin/domain-terms#3")


def test_a_com_name_is_registered_for_one_year(plugin_account, now) -> None:
    domain = register(plugin_account, name="foxley.com", now=now)
    assert domain.expires_on == date(2027, 11, 21)
    assert PendingCharge.objects.get().amount == Decimal("12.99")
    with pytest.raises(InvalidInput, match="registered for 1 years, not 2"):
        register(plugin_account, name="foxley-print.com", years=2, now=now)


@pytest.mark.parametrize(
    ("brand", "name", "kwargs", "error", "message"),
    [
        (
            "plugin",
            "foxley.xyz",
            {},
            InvalidInput,
            "tld: plugin does not register .xyz names (sold: com, uk)",
        ),
        (
            "plugin",
            "fox ley.co.uk",
            {},
            InvalidInput,
            "domain name: label 'fox ley' of 'fox ley.co.uk' may hold only letters, digits and "
            "hyphens, and may not start or end with a hyphen",
        ),
        (
            "plugin",
            "foxley.co.uk",
            {"expiry": date(2026, 10, 1)},
            InvalidInput,
            "expiry: 2026-10-01 is not after the registration date 2026-11-21; a new "
            "registration cannot have expired already",
        ),
        (
            "plusnet-business",
            "foxley.co.uk",
            {},
            InvalidInput,
            "plusnet-business has no [rules.domains]: it does not sell domains",
        ),
    ],
)
def test_bad_registrations_write_nothing(now, brand, name, kwargs, error, message) -> None:
    account = account_create(
        brand_key=brand, name="Oakham Motors", email="a@oakham.example.com", now=now
    )
    with pytest.raises(error) as caught:
        register(account, name=name, now=now, **kwargs)
    assert str(caught.value) == message
    assert not Domain.objects.exists()
    assert not PendingCharge.objects.exists()
    assert not DomainEvent.objects.exists()


def test_a_name_held_already_is_refused(plugin_account, other_account, now) -> None:
    register(plugin_account, now=now)
    with pytest.raises(InvalidInput, match=r"foxley\.co\.uk is already registered with us"):
        register(other_account, name="FOXLEY.co.uk", now=now)
    assert Domain.objects.count() == 1


def test_renewal_before_expiry_runs_on_from_the_expiry(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    renewed = domain_renew(domain=domain, on=date(2028, 10, 1), now=now, requested_by="email")
    assert renewed.expires_on == date(2030, 11, 21)
    charge = PendingCharge.objects.get(key=f"domain:{domain.pk}:renewal:2028-11-21")
    # Paid in advance: the tax point is the day of the request, before the renewal date.
    assert (charge.amount, charge.tax_point) == (Decimal("9.99"), date(2028, 10, 1))
    assert (charge.period_start, charge.period_end) == (date(2028, 11, 21), date(2030, 11, 21))
    assert (
        Notice.objects.get(kind="domain.renewed").subject
        == "foxley.co.uk is renewed until 2030-11-21"
    )


def test_a_uk_name_renewed_in_its_grace_period_comes_back(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    expiry = domain.expires_on
    for day in (expiry, expiry + timedelta(days=30)):
        domains_run_day(on=day, now=now)
    domain.refresh_from_db()
    assert domain.status == "registry-suspended"
    # Day 79 is the last day to ask (before the 80th day): at the original renewal price.
    renewed = domain_renew(domain=domain, on=expiry + timedelta(days=79), now=now)
    assert (renewed.status, renewed.expires_on) == ("active", date(2030, 11, 21))
    assert PendingCharge.objects.get(key__contains=":renewal:").amount == Decimal("9.99")


def test_day_80_is_too_late(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    with pytest.raises(TransitionNotAllowed, match="before 2029-02-09, day 80 after expiry"):
        domain_renew(domain=domain, on=domain.expires_on + timedelta(days=80), now=now)
    assert not PendingCharge.objects.filter(key__contains="renewal").exists()


def test_transfer_out_refused_while_the_registration_is_unpaid(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    assert amount_owed(plugin_account, on=REGISTERED) == Decimal("9.99")
    with pytest.raises(TransitionNotAllowed, match=r"£9\.99 outstanding"):
        domain_transfer_out(domain=domain, on=REGISTERED, now=now)
    refusal = DomainEvent.objects.get(domain=domain, kind="transfer-refused")
    assert refusal.clause.clause_id == "plugin/domain-terms#7"
    domain.refresh_from_db()
    assert domain.status == "active"
    # Once the charge is billed (and, when payments land, paid), the transfer is free.
    PendingCharge.objects.update(billed_on=REGISTERED)
    moved = domain_transfer_out(domain=domain, on=REGISTERED, now=now)
    assert moved.status == "transferred-out"
    assert PendingCharge.objects.count() == 1  # nothing charged for moving away
    assert Notice.objects.get(kind="domain.transferred-out").clause.clause_id == (
        "plugin/domain-terms#7"
    )
    # The name is free to be registered again.
    register(plugin_account, now=now)


def test_owed_counts_only_charges_already_due_and_nets_credits(plugin_account, now) -> None:
    from backhaul.billing.services import charge_add

    register(plugin_account, now=now)
    charge_add(
        account=plugin_account,
        key="test:credit",
        source="test",
        description="credit",
        amount=Decimal("-9.99"),
        vat_treatment="exclusive",
        clause_id="plugin/domain-terms#1",
        tax_point=REGISTERED,
        now=now,
        kind="credit",
    )
    assert amount_owed(plugin_account, on=REGISTERED) == Decimal("0.00")
    assert amount_owed(plugin_account, on=REGISTERED - timedelta(days=1)) == Decimal("0.00")


def test_whois_privacy_can_be_turned_on_and_off(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    assert domain_privacy_set(domain=domain, enabled=True, on=REGISTERED, now=now).whois_privacy
    assert not domain_privacy_set(
        domain=domain, enabled=False, on=REGISTERED, now=now
    ).whois_privacy
    kinds = list(
        DomainEvent.objects.filter(kind="privacy-changed").values_list("detail", flat=True)
    )
    assert kinds == ["whois privacy on", "whois privacy off"]


def privacy_charges() -> list[tuple]:
    return list(
        PendingCharge.objects.filter(key__contains="whois-privacy")
        .order_by("id")
        .values_list("amount", "quantity", "unit_amount", "tax_point", "period_start", "period_end")
    )


def test_whois_privacy_is_charged_with_the_registration_per_year(plugin_account, now) -> None:
    # PlugIn gives no price for the option (plugin/domain-terms#4): the catalogue's example
    # is £2.50 plus VAT a year. A .uk name is registered for 2 years: 2 x £2.50 = £5.00.
    domain = register(plugin_account, now=now, whois_privacy=True)
    charge = PendingCharge.objects.get(key=f"domain:{domain.pk}:whois-privacy:2028-11-21")
    assert (charge.amount, charge.quantity, charge.unit_amount) == (
        Decimal("5.00"),
        Decimal("2"),
        Decimal("2.50"),
    )
    assert (charge.vat_treatment, charge.clause.clause_id, charge.source) == (
        "exclusive",
        "plugin/domain-terms#4",
        "domains",
    )
    assert charge.description == "Whois privacy for foxley.co.uk, 2026-11-21 to 2028-11-21"
    # A .com name for 1 year: £2.50. Without the option, nothing is charged for it.
    register(plugin_account, name="foxley.com", now=now, whois_privacy=True)
    register(plugin_account, name="foxley-print.com", now=now)
    assert [row[0] for row in privacy_charges()] == [Decimal("5.00"), Decimal("2.50")]
    # The registration itself is unchanged: £9.99 + £12.99 + £12.99 + £5.00 + £2.50.
    assert amount_owed(plugin_account, on=REGISTERED) == Decimal("43.47")


def test_whois_privacy_is_charged_again_with_each_renewal(plugin_account, now) -> None:
    domain = register(plugin_account, now=now, whois_privacy=True)
    domain_renew(domain=domain, on=date(2028, 10, 1), now=now)
    assert privacy_charges() == [
        (
            Decimal("5.00"),
            Decimal("2"),
            Decimal("2.50"),
            REGISTERED,
            REGISTERED,
            date(2028, 11, 21),
        ),
        (
            Decimal("5.00"),
            Decimal("2"),
            Decimal("2.50"),
            date(2028, 10, 1),
            date(2028, 11, 21),
            date(2030, 11, 21),
        ),
    ]
    notice = Notice.objects.get(kind="domain.renewed")
    assert (
        "renewed until 2030-11-21 for £9.99 plus VAT, and its whois privacy for £5.00 plus VAT,"
        in notice.body
    )


def test_whois_privacy_turned_on_later_is_charged_for_the_rest_of_the_registration_once(
    plugin_account, now
) -> None:
    domain = register(plugin_account, now=now)
    assert privacy_charges() == []
    # 2027-12-01 to 2028-11-21: under a year left, charged as one year (£2.50).
    domain_privacy_set(domain=domain, enabled=True, on=date(2027, 12, 1), now=now)
    # Off and on again in the same registration: nothing more to pay, nothing refunded.
    domain_privacy_set(domain=domain, enabled=False, on=date(2027, 12, 2), now=now)
    domain_privacy_set(domain=domain, enabled=True, on=date(2027, 12, 3), now=now)
    assert privacy_charges() == [
        (
            Decimal("2.50"),
            Decimal("1"),
            Decimal("2.50"),
            date(2027, 12, 1),
            date(2027, 12, 1),
            date(2028, 11, 21),
        )
    ]
    # Turned on with a year and a day left: a year and part of a year, £5.00; with exactly
    # a year left, £2.50.
    for name, on, amount in [
        ("foxley-print.co.uk", date(2027, 11, 20), Decimal("5.00")),
        ("foxley-press.co.uk", date(2027, 11, 21), Decimal("2.50")),
    ]:
        other = register(plugin_account, name=name, now=now)
        domain_privacy_set(domain=other, enabled=True, on=on, now=now)
        assert privacy_charges()[-1][0] == amount


def test_moved_in_names_bring_their_privacy_paid(plugin_account, now) -> None:
    # An existing registration recorded with --expiry is paid up elsewhere, option included.
    register(plugin_account, now=now, whois_privacy=True, expiry=date(2027, 6, 30))
    assert PendingCharge.objects.count() == 0


def test_a_full_uk_expiry_day_by_day(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    expiry = domain.expires_on  # 2028-11-21
    for day in days(expiry - timedelta(days=61), expiry + timedelta(days=94)):
        domains_run_day(on=day, now=now)
    events = list(
        DomainEvent.objects.filter(domain=domain, lifecycle=True)
        .order_by("on", "id")
        .values_list("kind", "on")
    )
    # 60 before 2028-11-21: 2028-09-22; 30: 10-22; 14: 11-07. Day 30: 2028-12-21;
    # day 80: 2029-02-09; day 93: 2029-02-22.
    assert events == [
        ("reminder-60", date(2028, 9, 22)),
        ("reminder-30", date(2028, 10, 22)),
        ("reminder-14", date(2028, 11, 7)),
        ("expired", date(2028, 11, 21)),
        ("registry-suspended", date(2028, 12, 21)),
        ("renewal-deadline", date(2029, 2, 9)),
        ("deleted", date(2029, 2, 22)),
    ]
    domain.refresh_from_db()
    assert (domain.status, domain.status_changed_on) == ("deleted", date(2029, 2, 22))
    notices = list(Notice.objects.order_by("id").values_list("kind", "clause__clause_id"))
    assert notices == [
        ("domain.reminder", "plugin/domain-terms#2"),
        ("domain.reminder", "plugin/domain-terms#2"),
        ("domain.reminder", "plugin/domain-terms#2"),
        ("domain.expired", "plugin/domain-terms#uk-expiry"),
        ("domain.registry-suspended", "plugin/domain-terms#uk-expiry"),
        ("domain.deleted", "plugin/domain-terms#uk-expiry"),
    ]
    expired = Notice.objects.get(kind="domain.expired")
    assert "email us before 2029-02-09" in expired.body
    assert (
        "We do not renew names automatically"
        in Notice.objects.filter(kind="domain.reminder").first().body
    )
    assert len(mail.outbox) == 6


def test_missed_days_catch_up_without_late_reminders(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    counts = domains_run_day(on=domain.expires_on + timedelta(days=40), now=now)
    assert counts["expired"] == 1 and counts["registry_suspended"] == 1
    assert counts["reminders"] == 0
    domain.refresh_from_db()
    assert domain.status == "registry-suspended"
    # The stage events carry their own dates, not the day the job caught up.
    assert list(
        DomainEvent.objects.filter(lifecycle=True).order_by("on").values_list("kind", "on")
    ) == [("expired", date(2028, 11, 21)), ("registry-suspended", date(2028, 12, 21))]


def test_replaying_a_range_twice_changes_nothing_and_sends_each_notice_once(
    plugin_account, now
) -> None:
    first_half = (date(2028, 9, 15), date(2028, 12, 19))
    second_half = (date(2028, 12, 20), date(2029, 3, 1))
    uk = register(plugin_account, now=now)  # expires 2028-11-21
    com = register(plugin_account, name="foxley.com", expiry=date(2028, 12, 1), now=now)
    kept = register(plugin_account, name="foxley-print.co.uk", expiry=date(2028, 10, 31), now=now)

    def tick(first: date, last: date) -> None:
        call_command(
            "tick", "--on", str(first), "--to", str(last), "--job", "domains.lifecycle", "--json"
        )

    tick(*first_half)
    # Asked for by email in the grace period, day 50: kept at the original renewal price.
    domain_renew(domain=kept, on=date(2028, 12, 20), now=now, requested_by="email")
    tick(*second_half)
    models = [Domain, DomainEvent, Notice, PendingCharge]
    state = snapshot(models)
    sent = len(mail.outbox)

    tick(first_half[0], second_half[1])
    tick(first_half[0], second_half[1])
    assert snapshot(models) == state
    assert len(mail.outbox) == sent == Notice.objects.count()
    assert Notice.objects.values("key").distinct().count() == Notice.objects.count()
    by_name = {
        d.name: list(
            d.events.filter(notice__isnull=False).order_by("on").values_list("kind", flat=True)
        )
        for d in (uk, com, kept)
    }
    assert by_name == {
        "foxley.co.uk": [
            "reminder-60",
            "reminder-30",
            "reminder-14",
            "expired",
            "registry-suspended",
            "deleted",
        ],
        "foxley.com": ["reminder-60", "reminder-30", "reminder-14", "expired"],
        # reminder-60 (2028-09-01) falls before the range: it goes out late on its first day.
        "foxley-print.co.uk": [
            "reminder-60",
            "reminder-30",
            "reminder-14",
            "expired",
            "registry-suspended",
        ],
    }
    assert Notice.objects.filter(kind="domain.renewed").count() == 1
    # The late reminder says how long is really left: 2028-09-15 to 2028-10-31 is 46 days.
    late = kept.events.get(kind="reminder-60").notice
    assert late.subject == "foxley-print.co.uk expires in 46 days, on 2028-10-31"
    statuses = dict(Domain.objects.values_list("name", "status"))
    assert statuses == {
        "foxley.co.uk": "deleted",
        "foxley.com": "expired",
        "foxley-print.co.uk": "active",
    }


def test_brands_that_renew_automatically_do_so_before_expiry(plugin_account, now) -> None:
    section = RuleSection.objects.get(brand__key="plugin", key="domains")
    section.params = {**section.params, "auto_renew": True, "auto_renew_days_before": 14}
    section.save()
    domain = register(plugin_account, now=now)
    assert domain.auto_renew is True
    # 14 days before 2028-11-21 is 2028-11-07.
    assert domains_run_day(on=date(2028, 11, 6), now=now)["renewed"] == 0
    assert domains_run_day(on=date(2028, 11, 7), now=now)["renewed"] == 1
    domain.refresh_from_db()
    assert domain.expires_on == date(2030, 11, 21)
    assert domains_run_day(on=date(2028, 11, 7), now=now)["renewed"] == 0
    assert PendingCharge.objects.get(key__contains="renewal").tax_point == date(2028, 11, 7)


def test_overview_offers_renewal_by_email_in_the_grace_period(plugin_account, now) -> None:
    domain = register(plugin_account, now=now)
    assert domain_overview(domain, on=date(2028, 11, 1))["renew_online"] is True
    view = domain_overview(domain, on=date(2028, 12, 1))
    assert (view["renew_online"], view["renew_by_email_before"]) == (False, date(2029, 2, 9))
    assert domain_overview(domain, on=date(2029, 2, 9))["renew_by_email_before"] is None


def test_unknown_names_are_not_found(plugin_account) -> None:
    from backhaul.domains.selectors import domain_held, domain_of

    with pytest.raises(NotFound):
        domain_held("nowhere.co.uk")
    with pytest.raises(NotFound):
        domain_of(plugin_account, "nowhere.co.uk")


def test_owed_adds_the_invoice_balance_when_payments_offer_one(
    plugin_account, now, monkeypatch
) -> None:
    import sys
    import types

    payments = types.ModuleType("backhaul.payments.selectors")
    payments.account_balance = lambda *, account, on: Decimal("12.50")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "backhaul.payments.selectors", payments)
    register(plugin_account, now=now)
    # £9.99 unbilled registration + £12.50 on issued invoices.
    assert amount_owed(plugin_account, on=REGISTERED) == Decimal("22.49")
