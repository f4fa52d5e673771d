"""Sending notices once, to the address on file, and keeping the proof."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction

from backhaul.catalogue.models import Brand, Clause
from backhaul.catalogue.selectors import clause_get
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
    existing = Notice.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if brand is None:
        if account is None:
            raise ValueError("notice_send needs an account or a brand")
        brand = account.brand
    address = recipient if recipient is not None else (account.primary_email if account else "")
    clause: Clause | None = clause_get(clause_id) if clause_id else None
    full_body = body.rstrip() + "\n"
    if clause is not None:
        full_body += f"\nThis notice is given under {clause.clause_id}:\n\n{clause.text}\n"
    message_id = make_msgid(domain=(brand.website or "backhaul.invalid").split("//")[-1].strip("/"))
    status, error = NoticeStatus.SENT, ""
    if not address:
        status = NoticeStatus.NO_ADDRESS
    else:
        message = EmailMessage(
            subject=subject,
            body=full_body,
            from_email=brand.support_email or settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Message-ID": message_id, "X-Backhaul-Notice": key},
        )
        try:
            message.send(fail_silently=False)
        except OSError as exc:  # SMTP refused or unreachable: keep the record, mark it failed.
            log.warning("notice %s to %s failed: %s", key, address, exc)
            status, error = NoticeStatus.FAILED, str(exc)[:500]
    try:
        with transaction.atomic():
            return Notice.objects.create(
                key=key,
                brand=brand,
                account=account,
                kind=kind,
                recipient=address,
                subject=subject,
                body=full_body,
                clause=clause,
                clause_text=clause.text if clause else "",
                status=status,
                message_id=message_id if status == NoticeStatus.SENT else "",
                error=error,
                created_at=now,
            )
    except IntegrityError:
        # Sent concurrently by another worker under the same key: keep theirs.
        return Notice.objects.get(key=key)
