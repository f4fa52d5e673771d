"""Settings read from the environment, validated once at start-up.

Every setting Backhaul reads from the environment goes through this module, so a missing or
malformed value stops start-up with a message that says what to set.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_database(name: str, default_sqlite: Path) -> dict[str, object]:
    """The database from DATABASE_URL, or a SQLite file under var/ when it is unset.

    PostgreSQL connections are kept open between requests for BACKHAUL_DB_CONN_MAX_AGE
    seconds (default 60; 0 closes them after every request) and checked before reuse:
    opening a connection costs more than most Member Centre pages.
    """
    url = os.environ.get(name, "").strip()
    if not url:
        default_sqlite.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{default_sqlite}"
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} is not a database URL ({exc}); use for example "
            "postgres://user@127.0.0.1:5432/backhaul or sqlite:///var/backhaul.sqlite3"
        ) from exc
    engine = str(config.get("ENGINE", ""))
    if not engine.endswith(("sqlite3", "postgresql")):
        raise ImproperlyConfigured(
            f"{name}: only PostgreSQL and SQLite are supported, not {engine}"
        )
    if engine.endswith("postgresql"):
        config["CONN_MAX_AGE"] = env_int("BACKHAUL_DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    if engine.endswith("sqlite3"):
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    return config
