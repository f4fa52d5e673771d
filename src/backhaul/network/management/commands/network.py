"""`backhaul network ...`: IP history, static addresses, reverse DNS and FreeRADIUS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from backhaul.cli import BackhaulCommand
from backhaul.core.errors import InvalidInput
from backhaul.customers.services import account_get
from backhaul.network.radiusconf import database_from_settings, radius_config_write
from backhaul.network.selectors import whois_ip
from backhaul.network.services import (
    coa_send_pending,
    ip_pool_create,
    login_create,
    nas_add,
    radius_groups_sync,
    rdns_zone,
    static_ip_allocate,
    static_ip_rdns_set,
    static_ip_release,
)
from backhaul.usage.management.commands.usage import parse_moment


class Command(BackhaulCommand):
    help = "The network: who held an IP, static addresses, reverse DNS, FreeRADIUS."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        who = sub.add_parser("whois-ip", help="who held an address at an instant")
        who.add_argument("ip")
        who.add_argument("--at", required=True, help="date and time")
        who.add_argument("--port", type=int, help="source port, for CGNAT addresses")
        who.add_argument("--json", action="store_true")
        pool = sub.add_parser("pool-create", help="a brand's pool of static addresses")
        pool.add_argument("--brand", required=True)
        pool.add_argument("--name", required=True)
        pool.add_argument("--network", required=True, help="CIDR block")
        pool.add_argument("--rdns-domain", required=True)
        pool.add_argument("--json", action="store_true")
        alloc = sub.add_parser("static-ip-allocate", help="give a subscription a static address")
        alloc.add_argument("--subscription", type=int, required=True)
        alloc.add_argument("--json", action="store_true")
        release = sub.add_parser("static-ip-release", help="return a subscription's address")
        release.add_argument("--subscription", type=int, required=True)
        release.add_argument("--json", action="store_true")
        rdns = sub.add_parser("rdns-set", help="change a static address's reverse DNS")
        rdns.add_argument("--account", required=True)
        rdns.add_argument("--ip", required=True)
        group = rdns.add_mutually_exclusive_group(required=True)
        group.add_argument("--name", help="a host name of the customer's choice")
        group.add_argument("--username", action="store_true", help="show the username (default)")
        group.add_argument("--anonymous", action="store_true", help="leave the username out")
        rdns.add_argument("--json", action="store_true")
        zone = sub.add_parser("rdns-zone", help="a pool's PTR records as a zone-file fragment")
        zone.add_argument("--pool", required=True)
        zone.add_argument("--ttl", type=int, default=3600)
        login = sub.add_parser("login-create", help="a broadband service's RADIUS login")
        login.add_argument("--account", required=True)
        login.add_argument("--username", required=True)
        login.add_argument("--password", required=True)
        login.add_argument("--subscription", type=int)
        login.add_argument("--json", action="store_true")
        nas = sub.add_parser("nas-add", help="register a NAS and how it takes CoA")
        nas.add_argument("--address", required=True)
        nas.add_argument("--name", required=True)
        nas.add_argument("--secret", required=True)
        nas.add_argument("--vendor", default="other")
        nas.add_argument("--coa-mode", default="coa", choices=["coa", "disconnect", "none"])
        nas.add_argument("--coa-port", type=int, default=3799)
        nas.add_argument("--json", action="store_true")
        sync = sub.add_parser("radius-sync", help="write the policy groups FreeRADIUS reads")
        sync.add_argument("--json", action="store_true")
        coa = sub.add_parser("coa-send", help="send queued CoA and Disconnect requests")
        coa.add_argument("--json", action="store_true")
        conf = sub.add_parser("radius-config", help="write a FreeRADIUS configuration directory")
        conf.add_argument("--dir", required=True)
        conf.add_argument("--secret", required=True)
        conf.add_argument("--auth-port", type=int, default=18121)
        conf.add_argument("--acct-port", type=int, default=18131)
        conf.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        payload = getattr(self, f"_{action}")(options)
        if isinstance(payload, str):
            self.stdout.write(payload, ending="")
        elif options.get("json"):
            self.write_json(payload)
        else:
            for key, value in payload.items():
                self.stdout.write(f"{key}: {value}")

    def _whois_ip(self, options: dict[str, Any]) -> dict[str, Any]:
        at = parse_moment(options["at"], field="--at")
        return whois_ip(ip=options["ip"], at=at, port=options["port"])

    def _pool_create(self, options: dict[str, Any]) -> dict[str, Any]:
        pool = ip_pool_create(
            brand_key=options["brand"],
            name=options["name"],
            network=options["network"],
            rdns_domain=options["rdns_domain"],
            now=timezone.now(),
        )
        return {"pool": pool.name, "network": pool.network, "addresses": pool.addresses.count()}

    def _static_ip_allocate(self, options: dict[str, Any]) -> dict[str, Any]:
        address = static_ip_allocate(subscription_id=options["subscription"], now=timezone.now())
        return {
            "ip": address.ip,
            "account": address.account.number if address.account else None,
            "rdns": address.rdns_name,
        }

    def _static_ip_release(self, options: dict[str, Any]) -> dict[str, Any]:
        address = static_ip_release(subscription_id=options["subscription"], now=timezone.now())
        return {"released": address.ip if address else None}

    def _rdns_set(self, options: dict[str, Any]) -> dict[str, Any]:
        address = static_ip_rdns_set(
            account=account_get(options["account"]),
            ip=options["ip"],
            name=options["name"],
            show_username=not options["anonymous"],
        )
        return {"ip": address.ip, "rdns": address.rdns_name, "custom": address.rdns_custom}

    def _rdns_zone(self, options: dict[str, Any]) -> str:
        return rdns_zone(pool_name=options["pool"], ttl=options["ttl"])

    def _login_create(self, options: dict[str, Any]) -> dict[str, Any]:
        login = login_create(
            account_number=options["account"],
            username=options["username"],
            password=options["password"],
            subscription_id=options["subscription"],
            now=timezone.now(),
        )
        return {"username": login.username, "account": login.account.number, "group": login.group}

    def _nas_add(self, options: dict[str, Any]) -> dict[str, Any]:
        nas = nas_add(
            address=options["address"],
            shortname=options["name"],
            secret=options["secret"],
            vendor=options["vendor"],
            coa_mode=options["coa_mode"],
            coa_port=options["coa_port"],
        )
        return {"nas": nas.nasname, "name": nas.shortname, "coa_mode": nas.coa_mode}

    def _radius_sync(self, options: dict[str, Any]) -> dict[str, Any]:
        return radius_groups_sync()

    def _coa_send(self, options: dict[str, Any]) -> dict[str, Any]:
        return coa_send_pending(now=timezone.now())

    def _radius_config(self, options: dict[str, Any]) -> dict[str, Any]:
        try:
            database = database_from_settings(connection.settings_dict)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        path = radius_config_write(
            Path(options["dir"]),
            database=database,
            secret=options["secret"],
            auth_port=options["auth_port"],
            acct_port=options["acct_port"],
        )
        return {"config": str(path), "database": database.name}
