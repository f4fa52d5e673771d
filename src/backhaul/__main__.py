"""The `backhaul` command: Django management commands with Backhaul's settings preset."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backhaul.settings")
    # Polars' allocator keeps freed memory for a minute, so `backhaul rate` reuses it from
    # one batch to the next instead of returning it to the system; read only when Polars
    # loads, which happens during Django's set-up.
    os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:60000,muzzy_decay_ms:60000")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["backhaul", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
