"""Reading the abuse desk: a brand's terms, queues, a customer's cases and statistics."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from backhaul.abuse import rules
from backhaul.abuse.choices import CaseStatus, Evidence, ReportStatus, Resolution
from backhaul.abuse.models import Case, CustomerAnswer, Report
from backhaul.abuse.parsers.types import Limits
from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import rule_params
from backhaul.core.calendar import LONDON
from backhaul.customers.models import Account

UNRESOLVED = (
    Resolution.NO_IP,
    Resolution.NO_TIME,
    Resolution.NO_HOLDER,
    Resolution.SEVERAL_HOLDERS,
)


def abuse_terms_for(brand: Brand) -> rules.AbuseTerms:
    """The brand's `[rules.abuse]` terms; `InvalidInput` names what is missing."""
    return rules.abuse_terms(rule_params(brand, "abuse"))


def intake_limits() -> Limits:
    return Limits.from_settings(getattr(settings, "ABUSE_LIMITS", None))


def brand_for_address(addresses: list[str] | tuple[str, ...]) -> Brand | None:
    """The brand whose abuse address a report was sent to."""
    wanted = {address.lower() for address in addresses if address}
    if not wanted:
        return None
    for brand in Brand.objects.exclude(abuse_email=""):
        if brand.abuse_email.lower() in wanted:
            return brand
    return None


def unresolved_reports() -> QuerySet[Report]:
    """Accepted reports nobody could be found for: the unresolved queue."""
    return Report.objects.filter(status=ReportStatus.ACCEPTED, resolution__in=UNRESOLVED)


def reports_needing_evidence() -> QuerySet[Report]:
    """Accepted reports that cannot be acted on as they stand (headers missing, several
    incidents, category not recognised)."""
    return Report.objects.filter(status=ReportStatus.ACCEPTED, case__isnull=True).exclude(
        evidence_status__in=[Evidence.SUFFICIENT, Evidence.UNCHECKED]
    )


def case_queue(
    *,
    category: str | None = None,
    status: str | None = None,
    account_number: str | None = None,
    older_than_days: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """Cases for the console queue, oldest first, filtered as staff ask."""
    cases = Case.objects.select_related("account", "account__brand").exclude(
        status=CaseStatus.MERGED
    )
    if category:
        cases = cases.filter(category=category)
    if status:
        cases = cases.filter(status=status)
    if account_number:
        cases = cases.filter(account__number=account_number.strip().upper())
    if older_than_days is not None and now is not None:
        cases = cases.filter(opened_at__lte=now - timedelta(days=older_than_days))
    return cases.order_by("opened_at", "id")


def cases_of_account(account: Account) -> QuerySet[Case]:
    """The account's own cases, for the Member Centre (merged ones live on in their target)."""
    return (
        Case.objects.filter(account=account)
        .exclude(status=CaseStatus.MERGED)
        .order_by("-opened_at", "-id")
    )


def case_of_account(account: Account, case_id: int) -> Case | None:
    return cases_of_account(account).filter(pk=case_id).first()


def answered_since(case: Case, since: datetime | None) -> bool:
    answers = CustomerAnswer.objects.filter(case=case)
    if since is not None:
        answers = answers.filter(at__gte=since)
    return answers.exists()


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time.min, tzinfo=LONDON),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=LONDON),
    )


def reports_per_day(*, start: date, end: date) -> list[dict[str, Any]]:
    """Accepted reports per London day and category, from `start` to `end` inclusive."""
    low, high = _day_bounds(start, end)
    rows = (
        Report.objects.filter(
            status=ReportStatus.ACCEPTED, received_at__gte=low, received_at__lt=high
        )
        .annotate(day=TruncDate("received_at", tzinfo=LONDON))
        .values("day", "category")
        .annotate(count=Count("id"))
        .order_by("day", "category")
    )
    by_day: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        by_day[row["day"]][row["category"] or "unclassified"] = row["count"]
    return [
        {"day": day, "total": sum(counts.values()), "categories": counts}
        for day, counts in sorted(by_day.items())
    ]


def time_to_first_action(*, start: date, end: date) -> list[dict[str, Any]]:
    """Per category, how long cases opened in the period waited for their first action."""
    low, high = _day_bounds(start, end)
    waits: dict[str, list[timedelta | None]] = defaultdict(list)
    cases = (
        Case.objects.filter(opened_at__gte=low, opened_at__lt=high)
        .exclude(status=CaseStatus.MERGED)
        .values_list("category", "opened_at", "first_action_at")
    )
    for category, opened, first in cases:
        waits[category].append(first - opened if first is not None else None)
    out = []
    for category in sorted(waits):
        summary = rules.first_action_summary(waits[category])
        out.append(
            {
                "category": category,
                "cases": summary.cases,
                "acted": summary.acted,
                "median_hours": summary.median_hours,
                "mean_hours": summary.mean_hours,
            }
        )
    return out


def desk_statistics(*, start: date, end: date, now: datetime) -> dict[str, Any]:
    open_cases = Case.objects.filter(status=CaseStatus.OPEN)
    return {
        "from": start,
        "to": end,
        "reports_per_day": reports_per_day(start=start, end=end),
        "time_to_first_action": time_to_first_action(start=start, end=end),
        "open_cases": open_cases.count(),
        "open_cases_by_category": dict(
            open_cases.values_list("category").annotate(n=Count("id")).order_by("category")
        ),
        "unresolved_reports": unresolved_reports().count(),
        "reports_needing_evidence": reports_needing_evidence().count(),
        "rejected_reports": Report.objects.filter(status=ReportStatus.REJECTED).count(),
        "overdue_cases": open_cases.filter(deadline__lt=now).count(),
    }
