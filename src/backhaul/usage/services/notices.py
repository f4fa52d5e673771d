"""Fair-use notices: queued with the state they announce, sent after it is committed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from backhaul.core.money import Rounding, quantize
from backhaul.customers.models import Account
from backhaul.notices.services import notice_send
from backhaul.usage import bulk, rules
from backhaul.usage.models import QueuedNotice
from backhaul.usage.services.policies import MeteredService

SEND_BATCH = 200
QUEUE_COLUMNS = ["account_id", "key", "kind", "subject", "body", "clause", "due_at"]


def _gb_text(octets: int, per_gb: int) -> str:
    return str(quantize(Decimal(octets) / Decimal(per_gb), Decimal("0.01"), Rounding.HALF_UP))


def notice_text(
    number: str, notice: rules.NoticeDue, policy: rules.FairUsePolicy
) -> tuple[str, str, str]:
    """A notice's key, subject and body: the threshold reached (80% and 100% of the
    allowance, plusnet-business/broadband-schedule#5.5) or the state entered
    (plugin/broadband-terms#8)."""
    allowance = _gb_text(policy.allowance_bytes, policy.bytes_per_gb)
    period = f"{notice.period.start:%d %B %Y} to {notice.period.end:%d %B %Y}"
    if notice.percent is not None:
        key = f"usage:{number}:{notice.period.start.isoformat()}:notify-{notice.percent}"
        subject = f"You have used {notice.percent}% of your broadband allowance"
        body = (
            f"Your broadband usage for the period {period} has reached {notice.percent}% "
            f"of your {allowance} GB allowance."
        )
        return key, subject, body
    stamp = notice.at.strftime("%Y%m%dT%H%M%S")
    key = f"usage:{number}:{notice.period.start.isoformat()}:{notice.state}:{stamp}"
    if notice.state == rules.THROTTLED:
        subject = "Your broadband is now rate limited"
        body = (
            f"You have used your {allowance} GB allowance and any Top Ups for the "
            f"period {period}. Your connection is rate limited to "
            f"{policy.throttle_rate_kbps} kbit/s until you buy a Top Up or the next "
            "billing period starts."
        )
    else:
        subject = "Your broadband is blocked until you buy a Top Up"
        body = (
            f"You have used your allowance, any Top Ups and the additional volume at "
            f"the reduced rate for the period {period}. Your connection is blocked until "
            "you buy a Top Up in the Member Centre or the next billing period starts."
        )
    return key, subject, body


def notices_queue(
    notices: list[tuple[int, rules.NoticeDue]],
    services: dict[int, MeteredService],
    *,
    now: datetime,
) -> int:
    """Queue the notices due; one already queued under the same key stays as it is."""
    if not notices:
        return 0
    numbers = dict(
        Account.objects.filter(pk__in={account_id for account_id, _ in notices}).values_list(
            "pk", "number"
        )
    )
    rows = []
    for account_id, notice in notices:
        key, subject, body = notice_text(numbers[account_id], notice, services[account_id].policy)
        rows.append((account_id, key, notice.kind, subject, body, notice.clause, notice.at))
    bulk.upsert_rows(QueuedNotice._meta.db_table, QUEUE_COLUMNS, rows, key=["key"])
    return len(rows)


def usage_notices_send(*, now: datetime, on: date | None = None) -> dict[str, int]:
    """Send every queued notice not sent yet (daily as well, for any an interrupted run
    left). Each batch is claimed with SKIP LOCKED, so two senders never send the same."""
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                QueuedNotice.objects.filter(sent_at__isnull=True)
                .select_related("account__brand")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("due_at", "id")[:SEND_BATCH]
            )
            if not batch:
                break
            for queued in batch:
                notice_send(
                    key=queued.key,
                    kind=queued.kind,
                    subject=queued.subject,
                    body=queued.body,
                    now=now,
                    account=queued.account,
                    clause_id=queued.clause or None,
                )
            QueuedNotice.objects.filter(pk__in=[q.pk for q in batch]).update(sent_at=now)
            sent += len(batch)
    return {"notices_sent": sent}
