"""Reading intake items from files: single messages (.eml), mbox files, Maildir folders,
CSV feeds and XARF v4 JSON files, or a directory of any of them."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

from backhaul.abuse.services import RawItem
from backhaul.core.errors import InvalidInput

FEEDS = {".csv": "csv", ".json": "json"}


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new"))


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() in (".mbox", ".mbx"):
        return True
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def count_items(path: Path) -> int:
    """How many items reading `path` yields (for a progress bar)."""
    if _is_maildir(path):
        return len(mailbox.Maildir(str(path), factory=None, create=False))
    if path.is_dir():
        return sum(count_items(child) for child in sorted(path.iterdir()) if _wanted(child))
    if path.suffix.lower() not in FEEDS and _is_mbox(path):
        return len(mailbox.mbox(str(path), factory=None, create=False))
    return 1


def _wanted(path: Path) -> bool:
    return not path.name.startswith(".")


def read_items(path: Path) -> Iterator[RawItem]:
    """Every item under `path`, in a stable order, each labelled with where it came from."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or directory")
    if _is_maildir(path):
        box = mailbox.Maildir(str(path), factory=None, create=False)
        for key in sorted(box.keys()):
            yield RawItem(box.get_bytes(key), f"{path}:{key}")
        return
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if _wanted(child):
                yield from read_items(child)
        return
    kind = FEEDS.get(path.suffix.lower())
    if kind is not None:
        yield RawItem(path.read_bytes(), str(path), kind)
        return
    if _is_mbox(path):
        box = mailbox.mbox(str(path), factory=None, create=False)
        for index, key in enumerate(box.keys(), start=1):
            yield RawItem(box.get_bytes(key), f"{path}#{index}")
        return
    yield RawItem(path.read_bytes(), str(path))
