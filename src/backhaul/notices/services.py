"""Sending notices once, to the address on file, and keeping the proof."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction

from backhaul.catalogue.models import Brand, Clause
from backhaul.core.errors import NotFound
from backhaul.customers.models import Account
from backhaul.notices.choices import NoticeStatus
from backhaul.notices.models import Notice

log = logging.getLogger(__name__)


def notice_send(
    *,
    key: str,
    kind: str,
    subject: str,
    body: str,
    now: datetime,
    account: Account | None = None,
    brand: Brand | None = None,
    recipient: str | None = None,
    clause_id: str | None = None,
) -> Notice:
    """Send a notice to the account's primary email (or `recipient`) unless `key` was sent.

    Returns the existing notice when the key has been used, so callers can replay a day
    safely. The body ends with the clause the notice rests on, quoted as it reads today,
    and the notice is stored with the Message-ID as proof of sending.
    """
    draft = NoticeDraft(
        key=key,
        kind=kind,
        subject=subject,
        body=body,
        account=account,
        brand=brand,
        recipient=recipient,
        clause_id=clause_id,
    )
    return notices_send_many(drafts=[draft], now=now)[0]


@dataclass(frozen=True)
class NoticeDraft:
    """One notice for `notices_send_many`: the arguments `notice_send` takes, but `now`."""

    key: str
    kind: str
    subject: str
    body: str
    account: Account | None = None
    brand: Brand | None = None
    recipient: str | None = None
    clause_id: str | None = None


KEYS_PER_QUERY = 1000


def notices_send_many(*, drafts: Sequence[NoticeDraft], now: datetime) -> list[Notice]:
    """`notice_send` for many notices at once, one per draft in the same order.

    The same guarantees as sending them one by one: a key already used (before, or by an
    earlier draft) sends nothing and gives back the notice stored under it, each body ends
    with its clause quoted as it reads today, and each notice is stored with its Message-ID
    (or marked failed or without an address). The work is shared: the used keys and the
    clauses are read once, every message goes through one mail connection, and the notices
    are stored together. An unknown clause or a draft without account or brand raises
    before anything is sent.
    """
    if not drafts:
        return []
    keys = list(dict.fromkeys(draft.key for draft in drafts))
    stored: dict[str, Notice] = {}
    for first in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[first : first + KEYS_PER_QUERY]
        stored.update((n.key, n) for n in Notice.objects.filter(key__in=chunk))
    wanted_clauses = {d.clause_id for d in drafts if d.clause_id and d.key not in stored}
    clauses = {c.clause_id: c for c in Clause.objects.filter(clause_id__in=wanted_clauses)}
    missing = sorted(wanted_clauses - clauses.keys())
    if missing:
        raise NotFound(f"unknown clause {missing[0]!r}")
    fresh: list[Notice] = []
    messages: list[tuple[Notice, EmailMessage]] = []
    for draft in drafts:
        if draft.key in stored:
            continue
        brand = draft.brand
        if brand is None:
            if draft.account is None:
                raise ValueError("a notice needs an account or a brand")
            brand = draft.account.brand
        account = draft.account
        address = (
            draft.recipient
            if draft.recipient is not None
            else (account.primary_email if account else "")
        )
        clause = clauses[draft.clause_id] if draft.clause_id else None
        full_body = draft.body.rstrip() + "\n"
        if clause is not None:
            full_body += f"\nThis notice is given under {clause.clause_id}:\n\n{clause.text}\n"
        message_id = make_msgid(
            domain=(brand.website or "backhaul.invalid").split("//")[-1].strip("/")
        )
        notice = Notice(
            key=draft.key,
            brand=brand,
            account=account,
            kind=draft.kind,
            recipient=address,
            subject=draft.subject,
            body=full_body,
            clause=clause,
            clause_text=clause.text if clause else "",
            status=NoticeStatus.SENT if address else NoticeStatus.NO_ADDRESS,
            message_id=message_id if address else "",
            error="",
            created_at=now,
        )
        stored[draft.key] = notice
        fresh.append(notice)
        if address:
            message = EmailMessage(
                subject=draft.subject,
                body=full_body,
                from_email=brand.support_email or settings.DEFAULT_FROM_EMAIL,
                to=[address],
                headers={"Message-ID": message_id, "X-Backhaul-Notice": draft.key},
            )
            messages.append((notice, message))
    _send_all(messages)
    for notice in _store_all(fresh):
        stored[notice.key] = notice
    return [stored[draft.key] for draft in drafts]


def _send_all(messages: list[tuple[Notice, EmailMessage]]) -> None:
    """Send each message over one mail connection. One that fails marks its notice failed
    and the rest are still tried, on a new connection."""
    if not messages:
        return
    mailer = get_connection(fail_silently=False)
    # Unreachable for now: each message then tries again, and fails on its own.
    with suppress(OSError):
        mailer.open()
    try:
        for notice, message in messages:
            message.connection = mailer
            try:
                message.send(fail_silently=False)
            except OSError as exc:  # SMTP refused or unreachable: keep the record, mark it failed.
                log.warning("notice %s to %s failed: %s", notice.key, notice.recipient, exc)
                notice.status, notice.message_id = NoticeStatus.FAILED, ""
                notice.error = str(exc)[:500]
                with suppress(OSError):
                    mailer.close()
                with suppress(OSError):
                    mailer.open()
    finally:
        with suppress(OSError):
            mailer.close()


def _store_all(notices: list[Notice]) -> list[Notice]:
    """Store new notices together. Should another worker have stored one of the keys
    meanwhile, they are stored one by one instead, and theirs is kept for that key."""
    if not notices:
        return []
    try:
        with transaction.atomic():
            Notice.objects.bulk_create(notices)
    except IntegrityError:
        pass
    else:
        return notices
    kept = []
    for notice in notices:
        notice.pk = None
        try:
            with transaction.atomic():
                notice.save(force_insert=True)
        except IntegrityError:
            notice = Notice.objects.get(key=notice.key)
        kept.append(notice)
    return kept
