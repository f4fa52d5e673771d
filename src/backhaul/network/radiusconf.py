"""Writing a FreeRADIUS configuration directory that reads Backhaul's database.

The directory is self-contained (`freeradius -d DIR`): loopback clients, rlm_sql with the
PostgreSQL dialect pointed at Backhaul's database, and listeners on the ports given, so it
never touches the system's /etc/freeradius configuration. The SQL queries are Debian's
published ones, included from the installed package.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from backhaul.core.errors import InvalidInput

TEMPLATE = Path(__file__).with_name("radius") / "radiusd.conf.template"
SYSTEM_MODCONFDIR = Path("/etc/freeradius/3.0/mods-config")
SYSTEM_DICTIONARY = Path("/usr/share/freeradius/dictionary")


@dataclass(frozen=True)
class RadiusDatabase:
    name: str
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""


def _quoted(value: str, what: str) -> str:
    if any(c in value for c in '"\\\n'):
        raise InvalidInput(f"{what}: quotes, backslashes and new lines are not allowed")
    return value


def radius_config_write(
    directory: Path,
    *,
    database: RadiusDatabase,
    secret: str,
    auth_port: int = 18121,
    acct_port: int = 18131,
    modconfdir: Path = SYSTEM_MODCONFDIR,
) -> Path:
    """Write `radiusd.conf` (and the log, run and accounting directories) into `directory`."""
    if not secret:
        raise InvalidInput("secret: the loopback clients need a shared secret")
    for port in (auth_port, acct_port):
        if not 1024 <= port < 65536:
            raise InvalidInput(f"port: {port} is not an unprivileged UDP port")
    directory = directory.resolve()
    for sub in ("log", "run", "radacct"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    text = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        directory=str(directory),
        modconfdir=str(modconfdir),
        secret=_quoted(secret, "secret"),
        db_host=_quoted(database.host, "database host"),
        db_port=int(database.port),
        db_user=_quoted(database.user, "database user"),
        db_password=_quoted(database.password, "database password"),
        db_name=_quoted(database.name, "database name"),
        auth_port=auth_port,
        acct_port=acct_port,
    )
    target = directory / "radiusd.conf"
    target.write_text(text, encoding="utf-8")
    (directory / "dictionary").write_text(
        "# Local additions to the FreeRADIUS dictionary.\n", encoding="utf-8"
    )
    return target


def database_from_settings(settings_dict: dict[str, object]) -> RadiusDatabase:
    """The database FreeRADIUS should read, from a Django DATABASES entry."""
    engine = str(settings_dict.get("ENGINE", ""))
    if not engine.endswith("postgresql"):
        raise InvalidInput(
            "FreeRADIUS reads PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name"
        )
    return RadiusDatabase(
        name=str(settings_dict["NAME"]),
        host=str(settings_dict.get("HOST") or "127.0.0.1"),
        port=int(str(settings_dict.get("PORT") or 5432)),
        user=str(settings_dict.get("USER") or "postgres"),
        password=str(settings_dict.get("PASSWORD") or ""),
    )
