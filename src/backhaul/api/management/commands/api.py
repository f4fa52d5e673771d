"""`backhaul api token create --user NAME | --account NUMBER [--scope S ...] [--json]`.

The token is printed once; only its hash is kept.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backhaul.api.choices import ALL_SCOPES
from backhaul.api.services import api_token_create, api_token_revoke
from backhaul.cli import BackhaulCommand


class Command(BackhaulCommand):
    help = "Manage REST API tokens."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="thing", required=True)
        token = sub.add_parser("token", help="API tokens")
        actions = token.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a token and print it once")
        owner = create.add_mutually_exclusive_group(required=True)
        owner.add_argument("--user", help="a staff user: the token reads what they may view")
        owner.add_argument("--account", help="a customer account: the token reads only it")
        create.add_argument(
            "--scope",
            action="append",
            choices=ALL_SCOPES,
            help="what the token may read (repeat; all by default)",
        )
        create.add_argument("--name", default="", help="a label to tell tokens apart")
        create.add_argument("--json", action="store_true")
        revoke = actions.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "revoke":
            count = api_token_revoke(prefix=options["prefix"], now=timezone.now())
            self.stdout.write(f"revoked {count} token(s)")
            return
        issued = api_token_create(
            username=options["user"],
            account_number=options["account"],
            scopes=options["scope"],
            name=options["name"],
            now=timezone.now(),
        )
        if options["json"]:
            self.write_json(
                {
                    "token": issued.secret,
                    "prefix": issued.token.prefix,
                    "owner": options["user"] or issued.token.account.number,
                    "scopes": issued.token.scopes,
                }
            )
        else:
            self.stdout.write(issued.secret)
            self.stderr.write("Keep this token safe: it is not shown again.")
