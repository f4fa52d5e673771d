"""The Dovecot (IMAP/POP3) and Postfix (SMTP) mail server adapter.

Reading: from files saved from `doveadm -f tab ...` and the mail log (file mode), or by
running `doveadm` itself (command mode) with the mail log from a file; see
`adapters/doveadm.py` and `adapters/maillog.py` for the formats.

Writing: the lifecycle's events become `doveadm` commands, run in order for each mailbox:

- archived: `doveadm backup -u USER ARCHIVE` (every folder copied to the archive store),
  then `doveadm expunge -u USER mailbox '*' all`;
- restored (accessed after archiving): `doveadm import -u USER ARCHIVE '' all` (every
  folder back where it was);
- deleted (the stored mail): `doveadm expunge -u USER mailbox '*' all`, then
  `doveadm backup -u USER ARCHIVE` (the archive mirrors the mailbox, now empty);
- unread-removed: `doveadm expunge -u USER mailbox '*' unseen`;
- suspended: `doveadm auth cache flush USER`, then `doveadm kick USER`;
- unsuspended: `doveadm auth cache flush USER`.

ARCHIVE is a Dovecot mail location with `{user}` replaced by the address, by default
`mdbox:/srv/vmail-archive/{user}`. Suspension needs the passdb to refuse the user: a
`passdb { driver = passwd-file; args = <deny file>; deny = yes }` listing the suspended
addresses, which `backhaul mailboxes push --deny-file` writes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from backhaul.core.errors import InvalidInput
from backhaul.mailboxes.adapters.base import (
    CommandOutcome,
    FileSummary,
    MailboxAction,
    MailServerReport,
    Rejection,
)
from backhaul.mailboxes.adapters.doveadm import read_doveadm
from backhaul.mailboxes.adapters.maillog import Clock, read_maillog
from backhaul.mailboxes.choices import MailboxEventKind

DEFAULT_ARCHIVE = "mdbox:/srv/vmail-archive/{user}"
DEFAULT_LOG_ZONE = "Europe/London"
COMMAND_TIMEOUT = 3600

STATUS_COMMAND = ("mailbox", "status", "-A", "messages unseen vsize", "*")
UNSEEN_COMMAND = ("fetch", "-A", "mailbox size.virtual", "unseen")


def last_login_command(dictionary: str) -> tuple[str, ...]:
    return ("dict", "iter", "-R", dictionary, "shared/last-login/")


@contextmanager
def _text_file(path: Path) -> Iterator[Iterator[str]]:
    try:
        handle = path.open(encoding="utf-8", errors="replace", newline="")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        yield iter(handle)


@dataclass
class Dovecot:
    """A Dovecot server with Postfix in front of it."""

    doveadm_files: Sequence[Path] = ()
    maillogs: Sequence[Path] = ()
    run_doveadm: bool = False
    doveadm: str = "doveadm"
    last_login_dict: str = ""
    archive: str = DEFAULT_ARCHIVE
    log_zone: str = DEFAULT_LOG_ZONE
    name: str = "dovecot"
    _binary: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if "{user}" not in self.archive:
            raise InvalidInput(f"archive: {self.archive!r} must name the mailbox as {{user}}")
        try:
            ZoneInfo(self.log_zone)
        except (KeyError, ValueError):
            raise InvalidInput(f"log time zone: unknown zone {self.log_zone!r}") from None

    # --- Reading -------------------------------------------------------------------

    def collect(self, *, on: date, now: datetime) -> MailServerReport:
        report = MailServerReport()
        for path in self.doveadm_files:
            with _text_file(path) as lines:
                read_doveadm(lines, origin=str(path), report=report, now=now)
        if self.run_doveadm:
            commands = [STATUS_COMMAND, UNSEEN_COMMAND]
            if self.last_login_dict:
                commands.append(last_login_command(self.last_login_dict))
            for arguments in commands:
                self._read_command(arguments, report=report, now=now)
        clock = Clock(on=on, zone=ZoneInfo(self.log_zone))
        for path in self.maillogs:
            with _text_file(path) as lines:
                read_maillog(lines, origin=str(path), report=report, clock=clock)
        return report

    def binary(self) -> str:
        if self._binary is None:
            found = shutil.which(self.doveadm)
            if found is None:
                raise InvalidInput(
                    f"doveadm: {self.doveadm!r} is not on this machine; give its path, or "
                    "read saved output with --doveadm-file"
                )
            self._binary = found
        return self._binary

    def _read_command(
        self, arguments: tuple[str, ...], *, report: MailServerReport, now: datetime
    ) -> None:
        command = (self.binary(), "-f", "tab", *arguments)
        origin = "doveadm " + " ".join(arguments)
        process = subprocess.Popen(  # noqa: S603 (an argument list built here)
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stdout, stderr_stream = process.stdout, process.stderr
        if stdout is None or stderr_stream is None:  # pragma: no cover (PIPE was asked for)
            raise InvalidInput(f"{origin}: no output")
        try:
            read_doveadm(stdout, origin=origin, report=report, now=now)
        except InvalidInput:
            process.kill()
            returncode = process.wait()
            errors = stderr_stream.read().strip().splitlines()
            if returncode == 0 or not errors:
                raise
            raise InvalidInput(f"{origin}: exited with status {returncode}: {errors[-1]}") from None
        errors = stderr_stream.read().splitlines()
        returncode = process.wait()
        if returncode != 0 or errors:
            # Some users failed (doveadm carries on with the others): keep each error line.
            stderr = FileSummary(name=f"{origin} (errors)", kind="doveadm-errors")
            for number, text in enumerate(errors, start=1):
                if text.strip():
                    stderr.read += 1
                    stderr.rejected += 1
                    report.rejections.append(Rejection(stderr.name, number, text.strip()))
            if returncode != 0 and not stderr.read:
                stderr.read = stderr.rejected = 1
                report.rejections.append(
                    Rejection(stderr.name, 0, f"exited with status {returncode}")
                )
            report.files.append(stderr)

    # --- Writing -------------------------------------------------------------------

    def archive_location(self, address: str) -> str:
        return self.archive.replace("{user}", address)

    def commands(self, action: MailboxAction) -> Sequence[tuple[str, ...]]:
        user = action.address
        everything = ("mailbox", "*", "all")
        archive = self.archive_location(user)
        kind = action.kind
        if kind == MailboxEventKind.ARCHIVED:
            return [
                ("doveadm", "backup", "-u", user, archive),
                ("doveadm", "expunge", "-u", user, *everything),
            ]
        if kind == MailboxEventKind.RESTORED:
            return [("doveadm", "import", "-u", user, archive, "", "all")]
        if kind == MailboxEventKind.DELETED:
            return [
                ("doveadm", "expunge", "-u", user, *everything),
                ("doveadm", "backup", "-u", user, archive),
            ]
        if kind == MailboxEventKind.UNREAD_REMOVED:
            return [("doveadm", "expunge", "-u", user, "mailbox", "*", "unseen")]
        if kind == MailboxEventKind.SUSPENDED:
            return [("doveadm", "auth", "cache", "flush", user), ("doveadm", "kick", user)]
        if kind == MailboxEventKind.UNSUSPENDED:
            return [("doveadm", "auth", "cache", "flush", user)]
        return []

    def execute(self, command: tuple[str, ...]) -> CommandOutcome:
        argv = (self.binary(), *command[1:]) if command[0] == "doveadm" else command
        try:
            done = subprocess.run(  # noqa: S603 (an argument list built here)
                argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            return CommandOutcome(command, -1, f"no answer in {COMMAND_TIMEOUT} seconds")
        output = (done.stderr or done.stdout or "").strip().splitlines()
        return CommandOutcome(command, done.returncode, output[-1] if output else "")
