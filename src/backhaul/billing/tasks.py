"""Celery entry points for bill runs: one task per chunk of accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from celery import group, shared_task
from django.conf import settings
from django.utils import timezone

from backhaul.billing.services import ChunkResult, invoices_issue_chunk, invoices_issue_chunks


def _as_dict(result: ChunkResult) -> dict[str, Any]:
    return {
        "issued": result.issued,
        "skipped_existing": result.skipped_existing,
        "empty": result.empty,
        "net": str(result.net),
        "vat": str(result.vat),
        "total": str(result.total),
    }


def _from_dict(data: dict[str, Any]) -> ChunkResult:
    return ChunkResult(
        issued=list(data["issued"]),
        skipped_existing=int(data["skipped_existing"]),
        empty=int(data["empty"]),
        net=Decimal(data["net"]),
        vat=Decimal(data["vat"]),
        total=Decimal(data["total"]),
    )


@shared_task(name="backhaul.billing.issue_chunk", acks_late=True)
def issue_chunk(account_ids: list[int], on: str, bill_run_id: int | None) -> dict[str, Any]:
    result = invoices_issue_chunk(
        account_ids=account_ids,
        on=date.fromisoformat(on),
        now=timezone.now(),
        bill_run_id=bill_run_id,
    )
    return _as_dict(result)


def run_chunks(
    chunks: list[list[int]], *, on: date, bill_run_id: int | None
) -> Iterator[ChunkResult]:
    """Run each chunk: in this process without a broker, on Celery workers with one."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield from invoices_issue_chunks(chunks, on=on, bill_run_id=bill_run_id)
        return
    job = group(issue_chunk.s(chunk, on.isoformat(), bill_run_id) for chunk in chunks)
    for data in job.apply_async().join(propagate=True):
        yield _from_dict(data)
