"""`backhaul payments ...`: record money, show statements, disputes, the ladder, leaving.

backhaul payments record --account N --amount 12.34 --method card --on DATE [--reference R]
backhaul payments statement --account N [--on DATE] --json
backhaul payments mandate --account N --reference R --holder NAME --sort-code 12-34-56
    --bank-account 12345678 --on DATE
backhaul payments failure --account N --kind card-decline --on DATE --reference R
backhaul payments refund --account N --amount 5.00 --method bacs --on DATE --reason TEXT
backhaul payments set-off --from N --to M --on DATE [--amount A]
backhaul payments dispute --account N --invoice NUMBER --amount A --reason TEXT --on DATE
backhaul payments resolve --dispute ID --note TEXT [--credit POSITION:NET ...]
backhaul payments hold|release --account N [--reason TEXT] [--until DATE]
backhaul payments contact --account N --on DATE --channel phone --outcome no-response
backhaul payments dunning --on DATE
backhaul payments collections --on DATE [--brand B] [--agency-cost A] [--output FILE]
backhaul payments leave --subscription ID --kind customer-notice --on DATE [--mac]
"""

from __future__ import annotations

import contextlib
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.core.money import format_amount, parse_amount
from backhaul.customers.services import account_get
from backhaul.payments import selectors
from backhaul.payments.choices import ContactChannel, ContactOutcome, DepartureKind, FailureKind
from backhaul.payments.services import (
    collections_export,
    contact_attempt_record,
    departure_record,
    dispute_raise,
    dispute_resolve,
    dunning_hold,
    dunning_release,
    dunning_run_day,
    mandate_create,
    payment_failure_record,
    payment_record,
    refund_record,
    setoff_apply,
)


def _credit_line(text: str) -> tuple[int, Decimal]:
    position, _, net = text.partition(":")
    try:
        return int(position), parse_amount(net)
    except (ValueError, ArithmeticError):
        raise CommandError(f"--credit: POSITION:NET such as 2:30.00, not {text!r}") from None


class Command(BackhaulCommand):
    help = "Payments and credit control: money in and out, statements, disputes, dunning."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        record = sub.add_parser("record", help="record a payment received")
        record.add_argument("--account", required=True)
        record.add_argument("--amount", required=True, help="pounds, e.g. 12.34")
        record.add_argument(
            "--method",
            required=True,
            help="direct-debit, card, credit-card, debit-card, bacs, cheque, standing-order",
        )
        record.add_argument("--on", required=True, help="date received, YYYY-MM-DD")
        record.add_argument("--reference", default="")
        record.add_argument("--card-brand", default="", help="e.g. visa, mastercard")
        record.add_argument(
            "--by-agreement",
            action="store_true",
            help="a method the brand takes only by agreement, agreed",
        )
        record.add_argument("--json", action="store_true")

        statement = sub.add_parser("statement", help="an account's statement and balance")
        statement.add_argument("--account", required=True)
        statement.add_argument("--on", help="as of this date (default today)")
        statement.add_argument("--json", action="store_true")

        mandate = sub.add_parser("mandate", help="record a Direct Debit mandate")
        mandate.add_argument("--account", required=True)
        mandate.add_argument("--reference", required=True)
        mandate.add_argument("--holder", required=True, help="name on the bank account")
        mandate.add_argument("--sort-code", required=True)
        mandate.add_argument("--bank-account", required=True, help="bank account number")
        mandate.add_argument("--on", required=True, help="date signed")
        mandate.add_argument("--json", action="store_true")

        failure = sub.add_parser("failure", help="a decline, bounce, return or chargeback")
        failure.add_argument("--account", required=True)
        failure.add_argument("--kind", required=True, choices=FailureKind.values)
        failure.add_argument("--on", required=True)
        failure.add_argument("--reference", default="")
        failure.add_argument("--payment", type=int, help="payment id it reverses")
        failure.add_argument("--amount", default="")
        failure.add_argument("--incorrect", action="store_true", help="chargeback raised in error")
        failure.add_argument("--product-kind", default="", help="broadband, email, hosting...")
        failure.add_argument("--json", action="store_true")

        refund = sub.add_parser("refund", help="pay back credit")
        refund.add_argument("--account", required=True)
        refund.add_argument("--amount", required=True)
        refund.add_argument("--method", required=True)
        refund.add_argument("--on", required=True)
        refund.add_argument("--reason", required=True)
        refund.add_argument("--json", action="store_true")

        set_off = sub.add_parser("set-off", help="use one account's credit for another's debt")
        set_off.add_argument("--from", dest="from_account", required=True)
        set_off.add_argument("--to", dest="to_account", required=True)
        set_off.add_argument("--on", required=True)
        set_off.add_argument("--amount", default="")
        set_off.add_argument("--reason", default="")
        set_off.add_argument("--json", action="store_true")

        dispute = sub.add_parser("dispute", help="raise a dispute about a bill")
        dispute.add_argument("--account", required=True)
        dispute.add_argument("--invoice", required=True)
        dispute.add_argument("--amount", required=True, help="disputed amount inc VAT")
        dispute.add_argument("--reason", required=True)
        dispute.add_argument("--on", required=True, help="date raised")
        dispute.add_argument("--json", action="store_true")

        resolve = sub.add_parser("resolve", help="resolve a dispute")
        resolve.add_argument("--dispute", type=int, required=True)
        resolve.add_argument("--note", required=True)
        resolve.add_argument(
            "--credit",
            action="append",
            default=[],
            metavar="POSITION:NET",
            help="credit this much net of VAT on this invoice line",
        )
        resolve.add_argument("--json", action="store_true")

        hold = sub.add_parser("hold", help="hold the dunning ladder for an account")
        hold.add_argument("--account", required=True)
        hold.add_argument("--reason", required=True)
        hold.add_argument("--until", help="hold until this date")
        hold.add_argument("--json", action="store_true")
        release = sub.add_parser("release", help="release a held ladder")
        release.add_argument("--account", required=True)
        release.add_argument("--json", action="store_true")

        contact = sub.add_parser("contact", help="record an attempt to reach the customer")
        contact.add_argument("--account", required=True)
        contact.add_argument("--on", required=True)
        contact.add_argument("--channel", required=True, choices=ContactChannel.values)
        contact.add_argument("--outcome", required=True, choices=ContactOutcome.values)
        contact.add_argument("--note", default="")
        contact.add_argument("--json", action="store_true")

        dunning = sub.add_parser("dunning", help="run the dunning ladder for one day")
        dunning.add_argument("--on", required=True)
        dunning.add_argument("--json", action="store_true")

        collections = sub.add_parser("collections", help="export hand-offs to the agency")
        collections.add_argument("--on", required=True)
        collections.add_argument("--brand")
        collections.add_argument("--agency-cost", default="", help="the agency's cost per debt")
        collections.add_argument("--output", help="write the CSV here (default stdout)")
        collections.add_argument("--json", action="store_true")

        leave = sub.add_parser("leave", help="record a service leaving and bill what it costs")
        leave.add_argument("--subscription", type=int, required=True)
        leave.add_argument("--kind", required=True, choices=DepartureKind.values)
        leave.add_argument("--on", required=True, help="date of notice or termination")
        leave.add_argument("--mac", action="store_true")
        leave.add_argument("--cost", default=None, help="order cancellation: work done")
        leave.add_argument("--line-cannot-be-served", action="store_true")
        leave.add_argument("--equipment-sent", help="date the prepaid return package was sent")
        leave.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        # Notices sent through the development (console) email backend print the message;
        # they go to stderr so that --json output stays one JSON document.
        with contextlib.redirect_stdout(sys.stderr):
            payload = getattr(self, f"_{action}")(options, timezone.now())
        if options["json"]:
            self.write_json(payload)
        else:
            self.stdout.write(self._text(action, payload))

    def _date(self, options: dict[str, Any], name: str = "on") -> Any:
        return parse_date(options[name], field=f"--{name}") if options.get(name) else None

    def _record(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        payment = payment_record(
            account_number=o["account"],
            amount=o["amount"],
            method=o["method"],
            on=self._date(o),
            now=now,
            reference=o["reference"],
            card_brand=o["card_brand"],
            by_agreement=o["by_agreement"],
            actor="cli",
        )
        balance = selectors.account_ledger(payment.account, on=payment.received_on).balance
        return {
            "payment": payment.pk,
            "account": payment.account.number,
            "amount": format_amount(payment.amount),
            "method": payment.method,
            "on": payment.received_on,
            "reference": payment.reference,
            "clause": payment.clause,
            "balance": format_amount(balance),
        }

    def _statement(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        on = self._date(o) or timezone.localdate(now)
        return selectors.statement(account_get(o["account"]), on=on)

    def _mandate(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        mandate = mandate_create(
            account_number=o["account"],
            reference=o["reference"],
            account_holder=o["holder"],
            sort_code=o["sort_code"],
            bank_account_number=o["bank_account"],
            signed_on=self._date(o),
            now=now,
        )
        return {
            "mandate": mandate.reference,
            "account": mandate.account.number,
            "sort_code": mandate.sort_code,
            "last4": mandate.account_number_last4,
        }

    def _failure(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        failure = payment_failure_record(
            account_number=o["account"],
            kind=o["kind"],
            on=self._date(o),
            now=now,
            reference=o["reference"],
            payment_id=o["payment"],
            amount=o["amount"] or None,
            incorrect=o["incorrect"],
            product_kind=o["product_kind"],
            actor="cli",
        )
        return {
            "failure": failure.pk,
            "kind": failure.kind,
            "occurrence": failure.occurrence,
            "charged": format_amount(failure.charge_amount) if failure.charge_amount else None,
            "clause": failure.clause,
            "explanation": failure.explanation,
        }

    def _refund(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        refund = refund_record(
            account_number=o["account"],
            amount=o["amount"],
            on=self._date(o),
            now=now,
            method=o["method"],
            reason=o["reason"],
            actor="cli",
        )
        return {
            "refund": refund.pk,
            "amount": format_amount(refund.amount),
            "clause": refund.clause,
        }

    def _set_off(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        done = setoff_apply(
            from_account_number=o["from_account"],
            to_account_number=o["to_account"],
            on=self._date(o),
            now=now,
            amount=o["amount"] or None,
            reason=o["reason"],
            actor="cli",
        )
        return {"set_off": done.pk, "amount": format_amount(done.amount), "clause": done.clause}

    def _dispute(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        dispute = dispute_raise(
            account=account_get(o["account"]),
            invoice_number=o["invoice"],
            amount=o["amount"],
            reason=o["reason"],
            raised_on=self._date(o),
            now=now,
            raised_by="cli",
        )
        return _dispute_dict(dispute)

    def _resolve(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        dispute = dispute_resolve(
            dispute_id=o["dispute"],
            now=now,
            note=o["note"],
            credit_lines=[_credit_line(c) for c in o["credit"]] or None,
            actor="cli",
        )
        return _dispute_dict(dispute)

    def _hold(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        state = dunning_hold(
            account_number=o["account"],
            reason=o["reason"],
            now=now,
            until=self._date(o, "until"),
            actor="cli",
        )
        return {"account": state.account.number, "held": state.held, "until": state.held_until}

    def _release(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        state = dunning_release(account_number=o["account"], now=now, actor="cli")
        return {"account": state.account.number, "held": state.held}

    def _contact(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        attempt = contact_attempt_record(
            account_number=o["account"],
            on=self._date(o),
            channel=o["channel"],
            outcome=o["outcome"],
            note=o["note"],
            now=now,
            actor="cli",
        )
        return {"contact": attempt.pk, "on": attempt.on, "outcome": attempt.outcome}

    def _dunning(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        console = Console(file=sys.__stderr__)
        with Progress(
            TextColumn("dunning"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=o["json"] or not console.is_terminal,
        ) as bar:
            task = bar.add_task("accounts", total=None)
            return dunning_run_day(
                on=self._date(o),
                now=now,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )

    def _collections(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        output = Path(o["output"]) if o["output"] else None
        result = collections_export(
            on=self._date(o),
            now=now,
            brand_key=o["brand"],
            agency_cost=o["agency_cost"] or None,
            export_name=output.name if output else "",
        )
        if output is not None:
            try:
                output.write_text(result.csv, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"--output: cannot write {output}: {exc.strerror}") from None
        payload: dict[str, Any] = {
            "read": result.read,
            "exported": result.exported,
            "withdrawn": [{"account": a, "reason": r} for a, r in result.withdrawn],
        }
        if output is None:
            payload["csv"] = result.csv
        else:
            payload["file"] = str(output)
        return payload

    def _leave(self, o: dict[str, Any], now: Any) -> dict[str, Any]:
        departure = departure_record(
            subscription_id=o["subscription"],
            kind=o["kind"],
            on=self._date(o),
            now=now,
            mac=o["mac"],
            cancellation_cost=o["cost"],
            line_cannot_be_served=o["line_cannot_be_served"],
            equipment_sent_on=self._date(o, "equipment_sent"),
            actor="cli",
        )
        return {
            "subscription": departure.subscription_id,
            "kind": departure.kind,
            "ends_on": departure.ends_on,
            "status": departure.status,
            "lines": departure.lines,
            "explanation": departure.explanation,
        }

    def _text(self, action: str, payload: dict[str, Any]) -> str:
        if action == "statement":
            rows = [
                f"{line['date']}  {line['reference']:<16} {line['description'][:44]:<44} "
                f"{line['debit']:>10} {line['credit']:>10} {line['balance']:>10}"
                for line in payload["lines"]
            ]
            return "\n".join(
                [
                    f"Statement for {payload['account']} {payload['name']} on {payload['on']}",
                    *rows,
                    f"Balance £{payload['balance']} (due now £{payload['due_now']}, overdue "
                    f"£{payload['overdue']}, in dispute £{payload['withheld_in_dispute']})",
                ]
            )
        if action == "collections" and "csv" in payload:
            return str(payload["csv"]).rstrip("\n")
        return ", ".join(f"{k}: {v}" for k, v in payload.items())


def _dispute_dict(dispute: Any) -> dict[str, Any]:
    return {
        "dispute": dispute.pk,
        "account": dispute.account.number,
        "invoice": dispute.invoice.number,
        "amount": format_amount(dispute.amount),
        "percent": str(dispute.percent),
        "outcome": dispute.outcome,
        "status": dispute.status,
        "credited": format_amount(dispute.credited),
        "credit_note": dispute.credit_note.number if dispute.credit_note else None,
        "clause": dispute.clause,
    }
