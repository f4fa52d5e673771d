"""`backhaul tickets raise|event|show|queue`: Help Assistant tickets from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from backhaul.cli import BackhaulCommand
from backhaul.contracts.models import Subscription
from backhaul.customers.services import account_get
from backhaul.support import selectors
from backhaul.support.choices import EventType, PauseReason, RaisedVia, TicketCategory
from backhaul.support.models import Ticket
from backhaul.support.services import ticket_event_add, ticket_get, ticket_raise
from backhaul.support.services.sla import sla_result_as_dict


def _moment(value: str | None, field: str) -> datetime:
    if not value:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CommandError(f"{field}: not a date and time with a UTC offset: {value!r}")
    return moment


def ticket_as_dict(ticket: Ticket, *, at: datetime) -> dict[str, Any]:
    sla = selectors.ticket_sla(ticket, at=at)
    return {
        "reference": ticket.reference,
        "account": ticket.account.number,
        "category": ticket.category,
        "subject": ticket.subject,
        "care_level": ticket.care_level,
        "state": ticket.state,
        "pending_reason": ticket.pending_reason or None,
        "created_at": ticket.created_at,
        "events": [
            {"at": e.at, "type": e.type, "reason": e.reason or None, "actor": e.actor}
            for e in ticket.events.order_by("at", "id")
        ],
        "sla": sla_result_as_dict(sla) if sla is not None else None,
    }


class Command(BackhaulCommand):
    help = "Raise tickets, record SLA events and read ticket clocks."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        raise_ = sub.add_parser("raise", help="raise a ticket taken on the phone")
        raise_.add_argument("--account", required=True)
        raise_.add_argument("--category", required=True, choices=TicketCategory.values)
        raise_.add_argument("--subject", required=True)
        raise_.add_argument("--description", required=True)
        raise_.add_argument("--subscription", type=int, help="the affected service (faults)")
        raise_.add_argument("--by", default="", help="who took the call")
        raise_.add_argument("--at", help="when, ISO 8601 with offset (default: now)")
        raise_.add_argument("--json", action="store_true")
        event = sub.add_parser("event", help="record an SLA event on a ticket")
        event.add_argument("reference")
        event.add_argument("type", choices=[t for t in EventType.values if t != EventType.CREATED])
        event.add_argument("--reason", default="", choices=["", *PauseReason.values])
        event.add_argument("--by", default="")
        event.add_argument("--at", help="when, ISO 8601 with offset (default: now)")
        event.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="a ticket with its events and clocks")
        show.add_argument("reference")
        show.add_argument("--at", help="read the clocks at this instant (default: now)")
        show.add_argument("--json", action="store_true")
        queue = sub.add_parser("queue", help="open tickets, breached first")
        queue.add_argument("--at", help="read the clocks at this instant (default: now)")
        queue.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        at = _moment(options.get("at"), "--at")
        if action == "raise":
            account = account_get(options["account"])
            subscription = None
            if options["subscription"] is not None:
                subscription = Subscription.objects.filter(
                    pk=options["subscription"], account=account
                ).first()
                if subscription is None:
                    raise CommandError(
                        f"--subscription: {options['subscription']} is not a service of "
                        f"{account.number}"
                    )
            ticket = ticket_raise(
                account=account,
                category=options["category"],
                subject=options["subject"],
                body=options["description"],
                now=at,
                raised_via=RaisedVia.PHONE,
                raised_by=options["by"],
                subscription=subscription,
            )
            self._show(ticket_get(ticket.reference), at=at, as_json=options["json"])
        elif action == "event":
            ticket = ticket_get(options["reference"])
            ticket_event_add(
                ticket=ticket,
                type=options["type"],
                at=at,
                actor=options["by"],
                reason=options["reason"],
            )
            self._show(ticket_get(ticket.reference), at=at, as_json=options["json"])
        elif action == "show":
            self._show(ticket_get(options["reference"]), at=at, as_json=options["json"])
        else:
            rows = selectors.open_queue(at=at)
            payload = [
                {
                    "reference": row.ticket.reference,
                    "account": row.ticket.account.number,
                    "state": row.ticket.state,
                    "breached": row.breached,
                    "next_due": row.next_due,
                }
                for row in rows
            ]
            if options["json"]:
                self.write_json(payload)
                return
            for line in payload:
                flag = "BREACHED" if line["breached"] else "ok"
                due = line["next_due"].isoformat() if line["next_due"] else "-"
                self.stdout.write(
                    f"{line['reference']} {line['account']} {line['state']} {flag} next due {due}"
                )

    def _show(self, ticket: Ticket, *, at: datetime, as_json: bool) -> None:
        payload = ticket_as_dict(ticket, at=max(at, ticket.created_at))
        if as_json:
            self.write_json(payload)
            return
        self.stdout.write(
            f"{payload['reference']} {payload['subject']} ({payload['category']}, "
            f"{payload['state']})"
        )
        for clock in (payload["sla"] or {}).get("clocks", []):
            self.stdout.write(
                f"  {clock['name']}: {clock['used_minutes']} of {clock['target_minutes']} min, "
                f"{clock['state']}"
            )
