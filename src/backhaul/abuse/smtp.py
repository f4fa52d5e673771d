"""The abuse mailbox's SMTP listener: every message delivered to it is taken in.

The listener (aiosmtpd) accepts mail for any recipient; the brand is worked out from the
recipient addresses. Each message is stored and processed before the reply, so a `250`
means the report is safely held (its reference is in the reply), and a failure to store it
answers `451` so the sending server tries again. Messages over the size limit are refused by
aiosmtpd itself with `552`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections
from django.utils import timezone

from backhaul.abuse.choices import Channel
from backhaul.abuse.selectors import intake_limits
from backhaul.abuse.services import IntakeSummary, message_ingest

log = logging.getLogger(__name__)


class AbuseMailHandler:
    """aiosmtpd handler: one intake per message, run off the event loop."""

    def __init__(
        self,
        *,
        brand_key: str | None = None,
        clock: Callable[[], datetime] = timezone.now,
        on_message: Callable[[IntakeSummary, str], None] | None = None,
        on_quit: Callable[[], None] | None = None,
    ) -> None:
        self.brand_key = brand_key
        self.clock = clock
        self.on_message = on_message
        self.on_quit = on_quit
        self.received = 0
        self.summary = IntakeSummary()

    def _ingest(
        self, raw: bytes, recipients: tuple[str, ...], peer: str
    ) -> tuple[IntakeSummary, str]:
        close_old_connections()
        try:
            return message_ingest(
                raw=raw,
                source=f"smtp:{peer}",
                channel=Channel.SMTP,
                now=self.clock(),
                recipients=recipients,
                brand_key=self.brand_key,
            )
        finally:
            # The worker thread is not ours to keep a connection open in.
            connections.close_all()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        try:
            summary, reference = await sync_to_async(self._ingest, thread_sensitive=False)(
                bytes(raw), tuple(str(r) for r in envelope.rcpt_tos), peer
            )
        except Exception:
            log.exception("abuse report from %s could not be stored", peer)
            return "451 4.3.0 Could not store the report; please try again later"
        self.received += 1
        self.summary.add(summary)
        if self.on_message is not None:
            self.on_message(summary, reference)
        return f"250 2.0.0 Report received, reference {reference}"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_quit is not None:
            self.on_quit()
        return "221 Bye"


def abuse_smtp_controller(*, handler: AbuseMailHandler, host: str, port: int) -> Controller:
    """A listener on host:port for the handler; start() and stop() it."""
    return Controller(
        handler,
        hostname=host,
        port=port,
        data_size_limit=intake_limits().max_message_bytes,
        enable_SMTPUTF8=True,
        ident="Backhaul abuse desk",
    )
