"""Hosting uptime: the sites Backhaul watches, their checks and outages, and the monthly
refund for downtime (plugin/hosting-terms#4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput
from backhaul.core.periods import Frequency, add_months
from backhaul.customers.models import Account
from backhaul.support import http_check, rules, selectors
from backhaul.support.choices import ClaimKind
from backhaul.support.models import MonitoredSite, SiteCheck, SiteOutage
from backhaul.support.services.claims import claim_automatic


def site_add(
    *, account: Account, url: str, now: datetime, subscription: Subscription | None = None
) -> MonitoredSite:
    """Watch a hosted site: one http(s) URL per account and site."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url: must be an http:// or https:// address, not {url!r}")
    if subscription is not None and subscription.account_id != account.pk:
        raise InvalidInput("subscription: not a service of this account")
    site, _ = MonitoredSite.objects.get_or_create(
        account=account,
        url=url,
        defaults={"subscription": subscription, "created_at": now},
    )
    return site


@transaction.atomic
def check_record(*, site: MonitoredSite, result: http_check.CheckResult, now: datetime) -> bool:
    """Record one check; a failed check opens an outage, the next good one closes it.

    Returns False when the site was already checked at this instant (a replayed run).
    """
    site = MonitoredSite.objects.select_for_update().get(pk=site.pk)
    if site.last_checked_at is not None and site.last_checked_at >= now:
        return False
    SiteCheck.objects.create(
        site=site,
        at=now,
        up=result.up,
        status_code=result.status_code,
        error=result.error,
        elapsed_ms=result.elapsed_ms,
    )
    open_outage = site.outages.filter(ended_at__isnull=True).order_by("-started_at").first()
    if not result.up and open_outage is None:
        SiteOutage.objects.create(site=site, started_at=now, first_error=result.error)
    elif result.up and open_outage is not None:
        open_outage.ended_at = now
        open_outage.save(update_fields=["ended_at"])
    site.last_checked_at = now
    site.last_up = result.up
    site.save(update_fields=["last_checked_at", "last_up"])
    return True


def monitor_run(
    *,
    now: datetime,
    timeout: float = http_check.DEFAULT_TIMEOUT_SECONDS,
    concurrency: int = http_check.DEFAULT_CONCURRENCY,
    sites: Sequence[MonitoredSite] | None = None,
    on_done: Callable[[http_check.CheckResult], None] | None = None,
) -> dict[str, int]:
    """Check every active site once over HTTP and record the results at ``now``."""
    targets = list(sites) if sites is not None else list(MonitoredSite.objects.filter(active=True))
    open_before = SiteOutage.objects.filter(site__in=targets, ended_at__isnull=True).count()
    results = http_check.check_urls(
        [site.url for site in targets], timeout=timeout, concurrency=concurrency, on_done=on_done
    )
    recorded = sum(
        1
        for site, result in zip(targets, results, strict=True)
        if check_record(site=site, result=result, now=now)
    )
    up = sum(1 for result in results if result.up)
    open_after = SiteOutage.objects.filter(site__in=targets, ended_at__isnull=True).count()
    return {
        "checked": len(results),
        "recorded": recorded,
        "up": up,
        "down": len(results) - up,
        "open_outages": open_after,
        "outages_changed": abs(open_after - open_before),
    }


def _monthly_price(subscription: Subscription, *, on: date) -> Decimal:
    price = selectors.monthly_subscription_of(subscription, on=on)
    months = Frequency(subscription.product.billing_period).months
    return (price / months) if months != 1 else price


def hosting_uptime_compensate(*, month_start: date, now: datetime) -> dict[str, int]:
    """Refund last month's downtime of each watched hosting site (automatic, once a month).

    "We guarantee 99% uptime and will pay pro-rate compensation for website downtime of
    more than 1 hour per day with a minimum of 1 day refund and maximum of 1 full month
    refund" (plugin/hosting-terms#4).
    """
    month_start = month_start.replace(day=1)
    month_end = add_months(month_start, 1)
    upper = timezone.make_aware(datetime.combine(month_end, time(0)))
    lower = timezone.make_aware(datetime.combine(month_start, time(0)))
    refunded = checked = 0
    sites = MonitoredSite.objects.filter(subscription__isnull=False).select_related(
        "account__brand", "subscription__product", "subscription__price_version"
    )
    for site in sites:
        terms = selectors.hosting_uptime_terms(site.account.brand)
        subscription = site.subscription
        if terms is None or subscription is None:
            continue
        checked += 1
        outages = [
            (o.started_at, o.ended_at)
            for o in site.outages.filter(started_at__lt=upper).exclude(ended_at__lte=lower)
        ]
        downtime = rules.downtime_by_day(
            outages, start=month_start, end=month_end, now=min(now, upper)
        )
        result = rules.hosting_uptime_compensation(
            terms=terms,
            downtime=downtime,
            month_start=month_start,
            month_end=month_end,
            monthly_price=_monthly_price(subscription, on=month_start),
        )
        if result.amount <= 0:
            continue
        days = ", ".join(f"{d:%d %b}" for d in result.days)
        claim = claim_automatic(
            account=site.account,
            kind=ClaimKind.HOSTING_UPTIME,
            amount=result.amount,
            reasons=[
                rules.DecisionReason(
                    "downtime",
                    f"more than {terms.threshold} down on {len(result.days)} day(s) ({days}); "
                    f"uptime {result.uptime_percent}% against {terms.target_percent}%"
                    + ("; limited to one month's price" if result.capped else ""),
                    terms.clause,
                )
            ],
            clause_id=terms.clause,
            now=now,
            site=site,
            period_start=month_start,
            subscription=subscription,
        )
        refunded += 1 if claim else 0
    return {"sites": checked, "refunds": refunded}


def hosting_uptime_monthly(*, on: date, now: datetime) -> dict[str, int]:
    """The daily job: on the first of a month, refund the month before."""
    if on.day != 1:
        return {}
    previous = (on - timedelta(days=1)).replace(day=1)
    return hosting_uptime_compensate(month_start=previous, now=now)
