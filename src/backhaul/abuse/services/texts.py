"""The words of the abuse desk's notices.

Reporters are told only that their report arrived and its reference (never who the
customer is or what was done); customers are told the breach, the clause, the incidents
and the time frame, never who reported them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from backhaul.abuse.choices import Category
from backhaul.abuse.models import Case, Report
from backhaul.catalogue.models import Clause
from backhaul.core.calendar import LONDON

INCIDENTS_LISTED = 10
MEMBER_CENTRE_PAGE = "/member/abuse/"


def category_label(key: str) -> str:
    if key in Category.values:
        return str(Category(key).label)
    return key.replace("-", " ").capitalize() if key else "Unclassified"


def london(moment: datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    return moment.astimezone(LONDON).strftime("%d %b %Y %H:%M UK time")


def acknowledgement(*, reference: str) -> tuple[str, str]:
    subject = f"Your abuse report {reference}"
    body = (
        "Thank you for your report. We have received it and given it the reference "
        f"{reference}; please quote it if you write to us about it.\n\n"
        "We look into every report we receive. To keep our security process confidential, "
        "and because of legal restrictions such as data protection law, we cannot tell you "
        "what we find or what action we take. Unless we need more information from you, we "
        "will not contact you again about this report."
    )
    return subject, body


def headers_request(*, reference: str) -> tuple[str, str]:
    subject = f"Your abuse report {reference}: please send the full headers"
    body = (
        f"Thank you for your report, reference {reference}.\n\n"
        "To investigate a report of spam we must have the full headers of the message. "
        "Please send them as plain text in the body of your email, rather than as an "
        f"attachment, and quote the reference {reference}."
    )
    return subject, body


def _incident_lines(reports: Sequence[Report]) -> str:
    lines = []
    for report in reports[:INCIDENTS_LISTED]:
        where = str(report.ip or "an address we hold")
        if report.port:
            where += f" port {report.port}"
        lines.append(f"  - {london(report.incident_at)} from {where}")
    if len(reports) > INCIDENTS_LISTED:
        lines.append(f"  - and {len(reports) - INCIDENTS_LISTED} more")
    return "\n".join(lines)


def step_notice(
    *,
    case: Case,
    step: str,
    breach: Clause,
    reports: Sequence[Report],
    deadline: datetime | None,
    next_clause: str | None,
    next_step: str | None,
) -> tuple[str, str]:
    """Subject and body of the notice a ladder step sends to the customer."""
    label = category_label(case.category)
    account = case.account
    opening = (
        f"Dear {account.name},\n\n"
        f"We have received reports of {label.lower()} from your account {account.number} "
        f"(our reference {case.reference}):\n\n{_incident_lines(reports)}\n\n"
        f"This breaks {breach.clause_id}:\n\n{breach.text.strip()}\n\n"
    )
    answer = (
        "If you are not sure what the problem is, or when you have dealt with it, please "
        f"answer case {case.reference} in the Member Centre ({MEMBER_CENTRE_PAGE})."
    )
    if step == "warning":
        subject = f"Abuse from your account {account.number}: action needed ({case.reference})"
        body = opening + f"Please put this right by {london(deadline)}. {answer}"
        if next_step and next_clause:
            body += (
                f"\n\nIf it is not put right in time we may move to the next step, "
                f"{next_step.replace('-', ' ')}, under {next_clause}."
            )
    elif step == "suspension":
        subject = f"Your services are suspended ({case.reference})"
        body = opening + (f"We have suspended your services until this is resolved. {answer}")
    else:
        subject = f"Your services have been ended ({case.reference})"
        body = opening + "Because the breach was not put right, we have ended your services."
    return subject, body


def reinstatement(*, case: Case) -> tuple[str, str]:
    subject = f"Your services are active again ({case.reference})"
    body = (
        f"Dear {case.account.name},\n\n"
        f"Abuse case {case.reference} is resolved and the services we suspended are active "
        "again. Thank you for dealing with it."
    )
    return subject, body
