"""/abuse: cases and the reports behind them.

A reporter's identity is shown to the customer only once staff have released it.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from backhaul.abuse.choices import CaseStatus
from backhaul.abuse.models import Case, Report
from backhaul.api.access import accounts_visible, is_staff_token, token_of
from backhaul.api.choices import Scope
from backhaul.api.pagination import Pagination
from backhaul.api.schemas import AbuseCaseOut, AbuseReportOut

router = Router(tags=["abuse"])


@router.get("/abuse/cases", response=list[AbuseCaseOut])
@paginate(Pagination)
def case_list(
    request: HttpRequest,
    account: str | None = None,
    status: str | None = None,
    category: str | None = None,
) -> QuerySet[Case]:
    """Abuse cases, newest first (merged cases live on in the case they joined)."""
    cases = (
        Case.objects.filter(account__in=accounts_visible(request, Scope.ABUSE))
        .exclude(status=CaseStatus.MERGED)
        .select_related("account")
    )
    if account:
        cases = cases.filter(account__number=account.strip().upper())
    if status:
        cases = cases.filter(status=status)
    if category:
        cases = cases.filter(category=category)
    return cases.order_by("-opened_at", "-id")


@router.get("/abuse/reports", response=list[AbuseReportOut])
@paginate(Pagination)
def report_list(
    request: HttpRequest,
    account: str | None = None,
    category: str | None = None,
    status: str | None = None,
) -> QuerySet[Report]:
    """Abuse reports, newest first, filtered by account, category and status. Staff also
    see the reports nobody could be traced to."""
    visible = accounts_visible(request, Scope.ABUSE)
    reports = Report.objects.select_related("account", "case")
    if not is_staff_token(token_of(request)):
        reports = reports.filter(account__in=visible)
    if account:
        reports = reports.filter(account__number=account.strip().upper())
    if category:
        reports = reports.filter(category=category)
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("-received_at", "-id")
