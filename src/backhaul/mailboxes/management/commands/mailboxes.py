"""`backhaul mailboxes create|access|unread|log|suspend|unsuspend|list|sync|push`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import Progress

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.core.errors import BackhaulError
from backhaul.customers.services import account_get
from backhaul.mailboxes.adapters.dovecot import DEFAULT_ARCHIVE, DEFAULT_LOG_ZONE, Dovecot
from backhaul.mailboxes.choices import TrafficDirection
from backhaul.mailboxes.models import Mailbox
from backhaul.mailboxes.rules import headers_of
from backhaul.mailboxes.selectors import mailbox_get, mailboxes_of, suspended_addresses
from backhaul.mailboxes.services import (
    mail_message_log,
    mailbox_access_record,
    mailbox_create,
    mailbox_suspend,
    mailbox_unread_report,
    mailbox_unsuspend,
)
from backhaul.mailboxes.sync import mail_server_push, mail_server_sync


def parse_moment(value: str, *, field: str) -> datetime:
    """An ISO date-time with its UTC offset, e.g. 2026-11-21T09:30:00+00:00."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(f"{field}: not a date and time (use ISO 8601): {value!r}") from None
    if moment.tzinfo is None:
        raise CommandError(f"{field}: give the UTC offset, e.g. {value}+00:00")
    return moment


def _as_dict(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "address": mailbox.address,
        "account": mailbox.account.number,
        "status": mailbox.status,
        "postmaster": mailbox.is_postmaster,
        "last_accessed_at": mailbox.last_accessed_at,
        "archived_on": mailbox.archived_on,
        "deleted_on": mailbox.deleted_on,
        "unread_bytes": mailbox.unread_bytes,
        "suspended_on": mailbox.suspended_on,
        "suspension_reason": mailbox.suspension_reason,
    }


class Command(BackhaulCommand):
    help = "Mailboxes: create, record access and unread mail, log traffic headers, suspend."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="open a mailbox (and the account's postmaster)")
        create.add_argument("--account", required=True)
        create.add_argument("--address", required=True)
        create.add_argument(
            "--username", help="names the postmaster address where the brand has one"
        )
        create.add_argument("--on", required=True)
        create.add_argument("--json", action="store_true")

        access = sub.add_parser("access", help="record that the customer accessed a mailbox")
        access.add_argument("--address", required=True)
        access.add_argument("--at", required=True, help="ISO date-time with offset")
        access.add_argument("--json", action="store_true")

        unread = sub.add_parser("unread", help="record the unread mail in a mailbox")
        unread.add_argument("--address", required=True)
        unread.add_argument("--bytes", type=int, required=True)
        unread.add_argument("--on", required=True)
        unread.add_argument("--json", action="store_true")

        log = sub.add_parser("log", help="log messages by their headers (bodies are not read)")
        log.add_argument("--address", required=True)
        log.add_argument("--direction", required=True, choices=TrafficDirection.values)
        log.add_argument("--at", help="when they passed through (default: each Date header)")
        log.add_argument("files", nargs="+", help="raw RFC 5322 messages (.eml)")
        log.add_argument("--json", action="store_true")

        suspend = sub.add_parser("suspend", help="suspend a mailbox, with the clause")
        suspend.add_argument("--address", required=True)
        suspend.add_argument("--reason", required=True)
        suspend.add_argument("--clause", required=True, help="clause id, e.g. plugin/email-terms#5")
        suspend.add_argument("--on", required=True)
        suspend.add_argument("--json", action="store_true")

        unsuspend = sub.add_parser("unsuspend", help="lift a suspension")
        unsuspend.add_argument("--address", required=True)
        unsuspend.add_argument("--on", required=True)
        unsuspend.add_argument("--json", action="store_true")

        listing = sub.add_parser("list", help="an account's mailboxes")
        listing.add_argument("--account", required=True)
        listing.add_argument("--json", action="store_true")

        sync = sub.add_parser(
            "sync", help="read last logins, unread totals and traffic from the mail server"
        )
        sync.add_argument(
            "--doveadm-file",
            action="append",
            default=[],
            metavar="FILE",
            help="saved `doveadm -f tab` output (mailbox status, fetch, dict iter); repeatable",
        )
        sync.add_argument(
            "--maillog", action="append", default=[], metavar="FILE", help="a mail log; repeatable"
        )
        sync.add_argument(
            "--run-doveadm", action="store_true", help="run doveadm on this machine instead"
        )
        sync.add_argument("--doveadm", default="doveadm", help="the doveadm program to run")
        sync.add_argument(
            "--last-login-dict", default="", help="the last_login plugin's dict, for --run-doveadm"
        )
        sync.add_argument(
            "--log-zone", default=DEFAULT_LOG_ZONE, help="time zone of traditional syslog times"
        )
        sync.add_argument("--on", help="the day the outputs were taken (default: today)")
        sync.add_argument("--json", action="store_true")

        push = sub.add_parser("push", help="carry out archive, delete and suspend on the server")
        push.add_argument("--dry-run", action="store_true", help="list the commands only")
        push.add_argument("--doveadm", default="doveadm", help="the doveadm program to run")
        push.add_argument(
            "--archive",
            default=DEFAULT_ARCHIVE,
            help="mail location of the archive store, {user} for the address",
        )
        push.add_argument(
            "--deny-file", help="write the suspended addresses here, for a deny passdb"
        )
        push.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        now = timezone.now()
        if action == "list":
            boxes = mailboxes_of(account_get(options["account"]))
            if options["json"]:
                self.write_json({"mailboxes": [_as_dict(m) for m in boxes]})
            else:
                for m in boxes:
                    self.stdout.write(f"{m.address}  {m.status}")
            return
        if action == "log":
            self._log(options, now)
            return
        if action == "sync":
            self._sync(options, now)
            return
        if action == "push":
            self._push(options, now)
            return
        if action == "create":
            mailbox = mailbox_create(
                account=account_get(options["account"]),
                address=options["address"],
                username=options["username"],
                on=parse_date(options["on"], field="--on"),
                now=now,
            )
        elif action == "access":
            mailbox = mailbox_access_record(
                mailbox=mailbox_get(options["address"]),
                at=parse_moment(options["at"], field="--at"),
                now=now,
            )
        elif action == "unread":
            mailbox = mailbox_unread_report(
                mailbox=mailbox_get(options["address"]),
                unread_bytes=options["bytes"],
                on=parse_date(options["on"], field="--on"),
            )
        elif action == "suspend":
            mailbox = mailbox_suspend(
                mailbox=mailbox_get(options["address"]),
                reason=options["reason"],
                clause_id=options["clause"],
                on=parse_date(options["on"], field="--on"),
                now=now,
            )
        else:
            mailbox = mailbox_unsuspend(
                mailbox=mailbox_get(options["address"]),
                on=parse_date(options["on"], field="--on"),
                now=now,
            )
        if options["json"]:
            self.write_json(_as_dict(mailbox))
        else:
            self.stdout.write(f"{mailbox.address}: {mailbox.status}")

    def _log(self, options: dict[str, Any], now: datetime) -> None:
        mailbox = mailbox_get(options["address"])
        at = parse_moment(options["at"], field="--at") if options["at"] else None
        logged = already = 0
        rejected: list[dict[str, str]] = []
        console = Console(file=self.stderr._out)
        files = options["files"]
        with Progress(console=console, disable=options["json"] or not console.is_terminal) as bar:
            task = bar.add_task("messages", total=len(files))
            for name in files:
                bar.advance(task)
                try:
                    raw = Path(name).read_bytes()
                except OSError as exc:
                    rejected.append({"file": name, "reason": f"cannot read: {exc.strerror}"})
                    continue
                try:
                    moment = at or headers_of(raw).sent_at
                    if moment is None:
                        rejected.append({"file": name, "reason": "no Date header; give --at"})
                        continue
                    _entry, created = mail_message_log(
                        mailbox=mailbox,
                        direction=options["direction"],
                        raw=raw,
                        at=moment,
                        now=now,
                    )
                except BackhaulError as exc:
                    rejected.append({"file": name, "reason": str(exc)})
                    continue
                if created:
                    logged += 1
                else:
                    already += 1
        summary = {
            "read": len(files),
            "logged": logged,
            "already_logged": already,
            "rejected": rejected,
        }
        if options["json"]:
            self.write_json(summary)
            return
        self.stdout.write(
            f"read {len(files)}: logged {logged}, already logged {already}, "
            f"rejected {len(rejected)}"
        )
        for reject in rejected:
            self.stdout.write(f"  {reject['file']}: {reject['reason']}")

    def _sync(self, options: dict[str, Any], now: datetime) -> None:
        if not (options["doveadm_file"] or options["maillog"] or options["run_doveadm"]):
            raise CommandError("give --doveadm-file, --maillog or --run-doveadm")
        server = Dovecot(
            doveadm_files=[Path(f) for f in options["doveadm_file"]],
            maillogs=[Path(f) for f in options["maillog"]],
            run_doveadm=options["run_doveadm"],
            doveadm=options["doveadm"],
            last_login_dict=options["last_login_dict"],
            log_zone=options["log_zone"],
        )
        on = parse_date(options["on"], field="--on") if options["on"] else timezone.localdate()
        sync = mail_server_sync(server=server, on=on, now=now)
        if options["json"]:
            self.write_json({"sync": sync.pk, "on": sync.on, **sync.counts})
            return
        lines = sync.counts["lines"]
        self.stdout.write(
            f"read {len(sync.counts['files'])} file(s): {lines['read']} lines, "
            f"{lines['accepted']} accepted, {lines['rejected']} rejected"
        )
        for group in ("logins", "mailboxes", "traffic", "updates"):
            counts = sync.counts.get(group) or {}
            if counts:
                parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
                self.stdout.write(f"{group}: {parts}")
        if sync.counts["incomplete"]:
            self.stdout.write(
                f"incomplete (no start in these logs): {', '.join(sync.counts['incomplete'])}"
            )
        for reject in sync.counts["rejects"][:20]:
            self.stdout.write(f"  {reject['file']}:{reject['line']}: {reject['reason']}")

    def _push(self, options: dict[str, Any], now: datetime) -> None:
        server = Dovecot(doveadm=options["doveadm"], archive=options["archive"])
        planned = mail_server_push(server=server, now=now, dry_run=options["dry_run"])
        if options["deny_file"] and not options["dry_run"]:
            _write_atomically(Path(options["deny_file"]), suspended_addresses())
        actions = [p.as_dict() for p in planned]
        summary = {
            "dry_run": options["dry_run"],
            "pending": len(planned),
            "done": sum(1 for p in planned if p.done),
            "failed": sum(1 for a in actions if a["error"]),
            "actions": actions,
        }
        if options["json"]:
            self.write_json(summary)
            return
        for action in actions:
            state = "" if options["dry_run"] else (" done" if action["done"] else " not done")
            self.stdout.write(f"# {action['mailbox']}: {action['kind']} on {action['on']}{state}")
            for command in action["commands"]:
                self.stdout.write(command)
            if action["error"]:
                self.stdout.write(f"#   {action['error']}")
        if not options["dry_run"]:
            self.stdout.write(
                f"# {summary['done']} of {summary['pending']} done, {summary['failed']} failed"
            )


def _write_atomically(path: Path, addresses: list[str]) -> None:
    """Replace the deny file in one step, so Dovecot never reads half of it."""
    temporary = path.with_name(f".{path.name}.new")
    try:
        temporary.write_text("".join(f"{a}\n" for a in addresses), encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        raise CommandError(f"--deny-file: cannot write {path}: {exc.strerror}") from None
