"""Deterministic demo data built through the same services staff and imports use.

The same seed and date give the same accounts, subscriptions and lifecycle stages, so a
demo or a screenshot can be reproduced. This is the only source of personal data for
testing: every name and address here is made up, and emails use example.com.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from backhaul.billing.rules import next_bill_date, previous_bill_date
from backhaul.billing.services import billrun_run
from backhaul.catalogue.models import Brand, Product
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.services import subscription_create, subscription_transition
from backhaul.core.errors import InvalidInput
from backhaul.customers.choices import AccountKind
from backhaul.customers.models import Account, CustomerUser
from backhaul.customers.services import account_create, site_add

# role: the apps whose records it may view, and those it may also change.
AREAS = [
    "catalogue", "customers", "contracts", "billing", "payments", "rating", "usage", "network",
    "support", "abuse", "domains", "mailboxes", "hosting", "privacy", "notices",
]  # fmt: skip
STAFF_ROLES: dict[str, dict[str, list[str]]] = {
    "billing": {
        "apps": ["catalogue", "customers", "contracts", "billing", "payments", "rating", "usage",
                 "domains", "hosting", "mailboxes", "notices"],
        "write": ["customers", "contracts", "billing", "payments", "usage"],
    },
    "support": {
        "apps": ["catalogue", "customers", "contracts", "billing", "support", "usage", "network",
                 "domains", "mailboxes", "hosting", "notices"],
        "write": ["customers", "support"],
    },
    "abuse": {
        "apps": ["customers", "contracts", "abuse", "network", "mailboxes", "notices"],
        "write": ["abuse"],
    },
    "data-protection": {"apps": AREAS, "write": ["privacy"]},
    "admin": {"apps": [*AREAS, "auth"], "write": [*AREAS, "auth"]},
}  # fmt: skip
T = TypeVar("T")
# Demo logins are printed by `make demo`; they exist only in demo databases.
STAFF_PASSWORD = "backhaul-{role}"  # noqa: S105
CUSTOMER_PASSWORD = "backhaul-customer"  # noqa: S105
PORTAL_USERS_PER_BRAND = 3

FIRST = [
    "Ashford",
    "Bramley",
    "Calder",
    "Dunmore",
    "Elmfield",
    "Foxley",
    "Greyfriars",
    "Harrow",
    "Ingleby",
    "Juniper",
    "Kestrel",
    "Linden",
    "Marlow",
    "Northgate",
    "Oakham",
    "Penrose",
    "Quarry",
    "Redbrook",
    "Sefton",
    "Thornbury",
    "Upton",
    "Valley",
    "Westbury",
    "Yardley",
]
SECOND = [
    "Joinery",
    "Dental",
    "Bakery",
    "Motors",
    "Accountants",
    "Print",
    "Florists",
    "Vets",
    "Builders",
    "Lettings",
    "Studio",
    "Opticians",
    "Garden Centre",
    "Cafe",
    "Surveyors",
    "Pharmacy",
    "Logistics",
    "Electrical",
    "Design",
    "Solicitors",
]
GIVEN = [
    "Amelia",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Finlay",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Katie",
    "Liam",
    "Megan",
    "Noah",
    "Olivia",
    "Priya",
    "Rhys",
    "Sophie",
    "Tom",
    "Zara",
]
FAMILY = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nolan",
    "Owen",
    "Patel",
    "Roberts",
    "Smith",
    "Taylor",
    "Walker",
]
TOWNS = [
    ("Sheffield", "S1"),
    ("Leeds", "LS1"),
    ("Bristol", "BS1"),
    ("Norwich", "NR1"),
    ("Exeter", "EX1"),
    ("Cardiff", "CF10"),
    ("York", "YO1"),
    ("Derby", "DE1"),
    ("Reading", "RG1"),
    ("Bath", "BA1"),
]
UNIT = "ABDEFGHJLNPQRSTUWXYZ"
STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Victoria Street",
    "Park Avenue",
    "Market Place",
    "Queen Street",
]

# Plans per brand: (product keys subscribed together, weight).
PLANS: dict[str, list[tuple[tuple[str, ...], int]]] = {
    "plusnet-business": [
        (("mps-option-1",), 4),
        (("mps-option-2",), 3),
        (("mps-option-1", "care-enhanced"), 2),
        (("mps-option-2", "care-enhanced", "broadband-phone-business"), 1),
        (("mps-option-1", "business-phone-line", "business-phone-anytime"), 1),
        (("mps-option-2", "broadband-phone-business-extra"), 1),
    ],
    "plugin": [
        (("broadband",), 4),
        (("broadband", "email"), 3),
        (("broadband-unlimited",), 2),
        (("broadband", "email", "hosting", "domain-uk"), 1),
        (("hosting", "domain-com"), 1),
    ],
}
# Lifecycle stage of the main product: (stage, weight).
STAGES = [
    ("active", 70),
    ("ordered", 6),
    ("line-test", 4),
    ("suspended", 6),
    ("ceased", 8),
    ("cancelled", 6),
]


@dataclass
class DemoResult:
    staff: list[tuple[str, str, str]] = field(default_factory=list)
    customers: list[tuple[str, str, str]] = field(default_factory=list)
    accounts_created: int = 0
    accounts_existing: int = 0
    invoices: int = 0
    subscriptions: Counter[str] = field(default_factory=Counter)


def staff_roles_ensure() -> dict[str, Group]:
    """Groups for the staff roles, each with the permissions its work needs and no more."""
    groups = {}
    for role, spec in STAFF_ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        apps = spec["apps"]
        writable = set(spec["write"])
        permissions = [
            p
            for p in Permission.objects.filter(content_type__app_label__in=apps).select_related(
                "content_type"
            )
            if p.codename.startswith("view_") or p.content_type.app_label in writable
        ]
        group.permissions.set(permissions)
        groups[role] = group
    return groups


def staff_users_ensure() -> list[tuple[str, str, str]]:
    """One staff user per role (and a superuser `admin`); returns (user, password, role)."""
    groups = staff_roles_ensure()
    logins = []
    for role in ("admin", "billing", "support", "abuse", "data-protection"):
        username = "dpo" if role == "data-protection" else role
        password = STAFF_PASSWORD.format(role=username)
        user, _ = User.objects.get_or_create(username=username)
        user.email = f"{username}@staff.example.com"
        user.is_staff = True
        user.is_superuser = role == "admin"
        user.set_password(password)
        user.save()
        user.groups.set([groups[role]])
        logins.append((username, password, role))
    return logins


def _weighted(rng: random.Random, options: list[tuple[T, int]]) -> T:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def demo_load(
    *,
    customers: int,
    seed: int,
    on: date,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Create staff logins and `customers` accounts split across the loaded brands.

    Idempotent: accounts are only created when none exist yet, so running it again leaves
    the data as it was (and resets the demo passwords).
    """
    brands = {b.key: b for b in Brand.objects.filter(key__in=PLANS)}
    missing = sorted(set(PLANS) - set(brands))
    if missing:
        raise InvalidInput(
            f"load the catalogues first (missing: {', '.join(missing)}): "
            "backhaul catalogue load catalogues/*.toml"
        )
    result = DemoResult(staff=staff_users_ensure())
    existing = Account.objects.count()
    if existing:
        result.accounts_existing = existing
    else:
        _demo_pools(on)
        rng = random.Random(seed)
        for index in range(customers):
            brand = brands["plusnet-business"] if index % 5 < 3 else brands["plugin"]
            _demo_account(rng, index, brand, on, result)
            if progress:
                progress(1)
        result.invoices = _demo_bills(on)
    result.customers = _portal_users_ensure()
    return result


def _demo_pools(on: date) -> None:
    """Static address pools from the documentation ranges (RFC 5737), never real addresses."""
    from backhaul.network.models import IpPool
    from backhaul.network.services import ip_pool_create

    now = datetime.combine(on - timedelta(days=4 * 365 + 1), time(9), tzinfo=UTC)
    for brand, name, network, domain in [
        ("plusnet-business", "demo-static-1", "198.51.100.0/24", "static.plusnet.example.net"),
        ("plusnet-business", "demo-static-2", "203.0.113.0/24", "static.plusnet.example.net"),
    ]:
        if not IpPool.objects.filter(name=name).exists():
            ip_pool_create(brand_key=brand, name=name, network=network, rdns_domain=domain, now=now)


def _demo_bills(on: date) -> int:
    """Run the bill run for each day of the month up to `on`, so every account has its
    latest bill, as it would after a month of daily bill runs."""
    issued = 0
    day = on - timedelta(days=30)
    while day <= on:
        _, chunk = billrun_run(on=day, now=datetime.combine(day, time(6), tzinfo=UTC))
        issued += len(chunk.issued)
        day += timedelta(days=1)
    return issued


@transaction.atomic
def _demo_account(
    rng: random.Random, index: int, brand: Brand, on: date, result: DemoResult
) -> None:
    residential = brand.key == "plugin" and rng.random() < 0.5
    town, district = rng.choice(TOWNS)
    if residential:
        name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
    else:
        name = f"{rng.choice(FIRST)} {rng.choice(SECOND)} Ltd"
    opened = on - timedelta(days=rng.randint(30, 4 * 365))
    created_at = datetime.combine(opened, time(10, 0), tzinfo=UTC)
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
    account = account_create(
        brand_key=brand.key,
        name=name,
        email=f"{slug}{index}@example.com",
        kind=AccountKind.RESIDENTIAL if residential else AccountKind.BUSINESS,
        phone=f"0114 496 {index % 10000:04d}",
        bill_day=opened.day,
        now=created_at,
    )
    site_add(
        account=account,
        address_line1=f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
        town=town,
        postcode=f"{district} {rng.randint(1, 9)}{rng.choice(UNIT)}{rng.choice(UNIT)}",
        label="Main site",
    )
    result.accounts_created += 1
    plan = _weighted(rng, PLANS[brand.key])
    stage = _weighted(rng, STAGES)
    products = {p.key: p for p in Product.objects.filter(brand=brand, key__in=plan)}
    main = plan[0]
    if stage in ("ordered", "line-test", "cancelled"):
        start = on + timedelta(days=rng.randint(5, 30))
    else:
        start = opened
    for key in plan:
        product = products.get(key)
        if product is None:
            continue
        term = rng.choice([int(t) for t in product.terms] or [1])
        market = rng.choice(product.markets) if product.markets else None
        now = created_at if start <= on else datetime.combine(on, time(9), tzinfo=UTC)
        # Services that started before the last bill date come with their billing history
        # from the previous system; newer ones are billed from their start by Backhaul.
        last_bill = previous_bill_date(next_bill_date(on, opened.day), opened.day)
        if last_bill > on:
            last_bill = previous_bill_date(last_bill, opened.day)
        imported = start < last_bill and stage in ("active", "suspended", "ceased")
        subscription = subscription_create(
            account_number=account.number,
            product_key=key,
            term=term,
            market=market,
            start=start,
            now=max(now, datetime.combine(min(start, on), time(9), tzinfo=UTC)),
            actor="demo",
            # The previous system billed up to the last bill date; that bill and later
            # ones are Backhaul's (the demo issues them, see _demo_bills).
            billed_until=last_bill if imported else None,
        )
        status = stage if key == main else ("active" if stage in ("active", "suspended") else stage)
        _demo_stage(subscription.pk, status, start, on, rng)
        result.subscriptions[status] += 1


def _demo_stage(
    subscription_id: int, stage: str, start: date, on: date, rng: random.Random
) -> None:
    at = datetime.combine(on, time(12), tzinfo=UTC)
    if stage in ("line-test", "cancelled"):
        subscription_transition(
            subscription_id=subscription_id, to=SubscriptionStatus.LINE_TEST, at=at, actor="demo"
        )
    if stage == "cancelled":
        subscription_transition(
            subscription_id=subscription_id,
            to=SubscriptionStatus.CANCELLED,
            at=at,
            reason="line test showed the line cannot be served",
            actor="demo",
        )
    if stage == "suspended":
        subscription_transition(
            subscription_id=subscription_id,
            to=SubscriptionStatus.SUSPENDED,
            at=at - timedelta(days=rng.randint(1, 20)),
            reason="unpaid balance",
            actor="demo",
        )
    if stage == "ceased":
        ceased = max(start + timedelta(days=1), on - timedelta(days=rng.randint(1, 60)))
        subscription_transition(
            subscription_id=subscription_id,
            to=SubscriptionStatus.CEASED,
            at=datetime.combine(ceased, time(12), tzinfo=UTC),
            reason="customer gave notice",
            actor="demo",
        )


def _portal_users_ensure() -> list[tuple[str, str, str]]:
    """Member Centre logins for the first few open accounts of each brand."""
    logins = []
    for brand in Brand.objects.filter(key__in=PLANS).order_by("key"):
        for account in Account.objects.filter(brand=brand).order_by("number")[
            :PORTAL_USERS_PER_BRAND
        ]:
            user, _ = User.objects.get_or_create(username=account.primary_email)
            user.email = account.primary_email
            user.set_password(CUSTOMER_PASSWORD)
            user.save()
            CustomerUser.objects.get_or_create(user=user, defaults={"account": account})
            logins.append((user.username, CUSTOMER_PASSWORD, account.number))
    return logins
