"""Publishing policy to FreeRADIUS, telling NASes about changes, and static addresses."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Q

from backhaul.catalogue.choices import ProductKind
from backhaul.catalogue.models import Brand, Product
from backhaul.catalogue.selectors import brand_get, rule_params
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import subscription_get
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.choices import AccountStatus
from backhaul.customers.models import Account
from backhaul.customers.services import account_get
from backhaul.network import rules
from backhaul.network.choices import (
    AssignmentSource,
    CoaKind,
    CoaMode,
    CoaResult,
    PolicyGroup,
)
from backhaul.network.models import (
    BroadbandLogin,
    CoaRequest,
    IpAssignment,
    IpPool,
    Nas,
    RadAcct,
    RadCheck,
    RadGroupCheck,
    RadGroupReply,
    RadiusPolicy,
    RadReply,
    RadUserGroup,
    StaticIp,
    VendorProfile,
)
from backhaul.usage import bulk

log = logging.getLogger(__name__)

DICTIONARY = Path(__file__).with_name("radius") / "dictionary"
DEFAULT_RATE_LIMIT = rules.RateLimitFormat("Mikrotik-Rate-Limit", "{up_kbps}k/{down_kbps}k")
GROUP_PRIORITY = 1
PASSWORD_ATTRIBUTE = "Cleartext-Password"  # noqa: S105 (an attribute name)
STATIC_IP_ATTRIBUTE = "Framed-IP-Address"
REFUSED_STATUSES = (
    SubscriptionStatus.SUSPENDED,
    SubscriptionStatus.CEASED,
    SubscriptionStatus.CANCELLED,
)
COA_TIMEOUT_SECONDS = 2
COA_RETRIES = 1
SESSION_ID_LENGTH = 128
#: A session that stopped the moment it started still held its address for a second.
MIN_HOLDING = timedelta(seconds=1)


# --- Policy groups -----------------------------------------------------------------------


def rate_limit_formats() -> list[rules.RateLimitFormat]:
    profiles = VendorProfile.objects.filter(enabled=True).order_by("key")
    found = [rules.RateLimitFormat(p.rate_limit_attribute, p.rate_limit_template) for p in profiles]
    return found or [DEFAULT_RATE_LIMIT]


def radius_policy_get(brand: Brand) -> RadiusPolicy:
    policy, _ = RadiusPolicy.objects.get_or_create(brand=brand)
    return policy


def _throttle_kbps(brand: Brand) -> int | None:
    fair_use = rule_params(brand, "fair_use", default={})
    rate = fair_use.get("throttle_rate_kbps")
    return int(rate) if rate else None


def _group_items() -> list[rules.RadiusItem]:
    formats = rate_limit_formats()
    items = rules.suspended_items()
    for brand in Brand.objects.order_by("key"):
        policy = radius_policy_get(brand)
        rate = _throttle_kbps(brand)
        if rate:
            throttled = rules.group_name(rules.THROTTLED, brand=brand.key)
            items += rules.throttled_items(throttled, formats, rate_kbps=rate)
        blocked = rules.group_name(rules.BLOCKED, brand=brand.key)
        items += rules.blocked_items(
            blocked, action=policy.blocked_action, pool=policy.walled_garden_pool
        )
        for product in Product.objects.filter(brand=brand, kind=ProductKind.BROADBAND):
            attributes = product.attributes or {}
            items += rules.plan_items(
                rules.group_name(rules.PLAN, brand=brand.key, product=product.key),
                formats,
                down_mbps=attributes.get("download_mbps"),
                up_mbps=attributes.get("upload_mbps"),
            )
    return items


@transaction.atomic
def radius_groups_sync() -> dict[str, int]:
    """Write the groups Backhaul manages into radgroupcheck and radgroupreply.

    Groups are named `bh-...`; other groups an operator keeps in those tables are left
    alone. Running it again with nothing changed rewrites the same rows.
    """
    managed = Q(groupname__startswith=f"{rules.GROUP_PREFIX}-")
    RadGroupCheck.objects.filter(managed).delete()
    RadGroupReply.objects.filter(managed).delete()
    items = _group_items()
    RadGroupCheck.objects.bulk_create(
        RadGroupCheck(groupname=i.group, attribute=i.attribute, op=i.op, value=i.value)
        for i in items
        if i.check
    )
    RadGroupReply.objects.bulk_create(
        RadGroupReply(groupname=i.group, attribute=i.attribute, op=i.op, value=i.value)
        for i in items
        if not i.check
    )
    return {
        "groups": len({i.group for i in items}),
        "check_items": sum(i.check for i in items),
        "reply_items": sum(not i.check for i in items),
    }


# --- Logins ------------------------------------------------------------------------------


def _login_radius_group(login: BroadbandLogin, group: str) -> str:
    subscription = login.subscription
    product = subscription.product.key if subscription else ""
    return rules.group_name(group, brand=login.account.brand.key, product=product)


def _is_refused(login: BroadbandLogin) -> bool:
    if login.account.status == AccountStatus.CLOSED:
        return True
    subscription = login.subscription
    return subscription is None or subscription.status in REFUSED_STATUSES


@transaction.atomic
def login_create(
    *,
    account_number: str,
    username: str,
    password: str,
    now: datetime,
    subscription_id: int | None = None,
) -> BroadbandLogin:
    """Give a broadband service its RADIUS login: the password FreeRADIUS checks, and the
    plan group (or suspended, when the service is not active)."""
    account = account_get(account_number)
    username = username.strip()
    if not username or any(c.isspace() for c in username) or len(username) > 253:
        raise InvalidInput(f"username: {username!r} is not a RADIUS user name")
    if not password or len(password) > 128:
        raise InvalidInput("password: between 1 and 128 characters")
    if BroadbandLogin.objects.filter(username=username).exists():
        raise InvalidInput(f"username: {username!r} is taken")
    subscription = None
    if subscription_id is not None:
        subscription = subscription_get(subscription_id)
        if subscription.account_id != account.pk:
            raise InvalidInput(f"subscription: {subscription_id} is not {account.number}'s")
        if subscription.product.kind != ProductKind.BROADBAND:
            raise InvalidInput(f"subscription: {subscription_id} is not a broadband service")
    else:
        subscription = (
            Subscription.objects.filter(account=account, product__kind=ProductKind.BROADBAND)
            .exclude(status__in=[SubscriptionStatus.CEASED, SubscriptionStatus.CANCELLED])
            .order_by("id")
            .first()
        )
    login = BroadbandLogin.objects.create(
        username=username,
        password=password,
        account=account,
        subscription=subscription,
        created_at=now,
    )
    RadCheck.objects.create(
        username=username, attribute=PASSWORD_ATTRIBUTE, op=":=", value=password
    )
    group = PolicyGroup.SUSPENDED if _is_refused(login) else PolicyGroup.PLAN
    login.group = group
    login.save(update_fields=["group"])
    RadUserGroup.objects.create(
        username=username, groupname=_login_radius_group(login, group), priority=GROUP_PRIORITY
    )
    held = StaticIp.objects.filter(subscription=subscription).first() if subscription else None
    if held is not None:
        # The address came with activation, before the login existed: it now answers to
        # this username, and its reverse DNS shows it unless the customer chose otherwise
        # (plusnet-business/broadband-schedule#5.8).
        _static_reply_set(username, held.ip)
        held.username = username
        if not held.rdns_custom:
            held.rdns_name = rules.rdns_default(username, held.pool.rdns_domain)
        held.save(update_fields=["username", "rdns_name"])
        IpAssignment.objects.filter(
            ip=held.ip, account=account, source=AssignmentSource.STATIC, end__isnull=True
        ).update(username=username)
    return login


def login_accounts() -> dict[str, int]:
    """RADIUS user name -> account id, for metering accounting records."""
    return dict(BroadbandLogin.objects.values_list("username", "account_id"))


def live_sessions(usernames: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Open sessions by user name from radacct: (Acct-Session-Id, NAS address)."""
    found: dict[str, list[tuple[str, str]]] = {}
    rows = RadAcct.objects.filter(username__in=list(usernames), acctstoptime__isnull=True)
    for username, session_id, nas_ip in rows.values_list(
        "username", "acctsessionid", "nasipaddress"
    ):
        found.setdefault(username, []).append((session_id, str(nas_ip)))
    return found


@transaction.atomic
def logins_enforce(
    *, states: dict[int, str], now: datetime, reason: str, send: bool = True
) -> dict[str, int]:
    """Put each login of the given accounts in the group its standing calls for.

    `states` maps account id -> fair-use state (normal, throttled, blocked). A refused
    service (suspended, ceased, account closed) goes to the suspended group whatever its
    state. Logins whose group changes and that have a live session get a CoA-Request, or a
    Disconnect-Request when the session must end or the NAS takes no CoA; requests are
    sent after the transaction commits.
    """
    logins = list(
        BroadbandLogin.objects.filter(account_id__in=list(states)).select_related(
            "account__brand", "subscription__product"
        )
    )
    changed: list[tuple[BroadbandLogin, str]] = []
    for login in logins:
        group = rules.policy_group(
            suspended=_is_refused(login), fair_use_state=states[login.account_id]
        )
        if group == login.group:
            continue
        changed.append((login, group))
    if not changed:
        return {"logins_changed": 0, "coa_queued": 0}
    for login, group in changed:
        login.group = group
    RadUserGroup.objects.filter(username__in=[login.username for login, _ in changed]).delete()
    by_group: dict[str, list[int]] = {}
    for login, group in changed:
        by_group.setdefault(group, []).append(login.pk)
    for group, ids in by_group.items():
        BroadbandLogin.objects.filter(pk__in=ids).update(group=group)
    RadUserGroup.objects.bulk_create(
        (
            RadUserGroup(
                username=login.username,
                groupname=_login_radius_group(login, group),
                priority=GROUP_PRIORITY,
            )
            for login, group in changed
        ),
        batch_size=2000,
    )
    queued = _coa_queue(changed, now=now, reason=reason)
    if send and queued:
        transaction.on_commit(lambda: coa_send_pending(ids=queued, now=now))
    return {"logins_changed": len(changed), "coa_queued": len(queued)}


def login_refresh(*, username: str, now: datetime, fair_use_state: str = "normal") -> str:
    """Re-check one login (after a suspension, say) and return its group."""
    try:
        login = BroadbandLogin.objects.select_related("account").get(username=username)
    except BroadbandLogin.DoesNotExist:
        raise NotFound(f"unknown broadband login {username!r}") from None
    logins_enforce(
        states={login.account_id: fair_use_state}, now=now, reason="service status changed"
    )
    login.refresh_from_db(fields=["group"])
    return login.group


# --- Change of Authorization -------------------------------------------------------------


def _coa_queue(
    changed: list[tuple[BroadbandLogin, str]], *, now: datetime, reason: str
) -> list[int]:
    sessions = live_sessions(login.username for login, _ in changed)
    if not sessions:
        return []
    nases = {nas.nasname: nas for nas in Nas.objects.exclude(coa_mode=CoaMode.NONE)}
    formats = rate_limit_formats()
    requests = []
    for login, group in changed:
        brand = login.account.brand
        for session_id, nas_ip in sessions.get(login.username, []):
            nas = nases.get(nas_ip)
            if nas is None:
                continue
            disconnect = rules.needs_disconnect(group) or nas.coa_mode == CoaMode.DISCONNECT
            attributes = (
                {}
                if disconnect
                else rules.coa_attributes(group, formats, rate_kbps=_throttle_kbps(brand))
            )
            if not disconnect and not attributes and group == rules.PLAN:
                attributes = _plan_coa_attributes(login, formats)
            requests.append(
                CoaRequest(
                    nas=nas,
                    username=login.username,
                    session_id=session_id,
                    kind=CoaKind.DISCONNECT if disconnect else CoaKind.COA,
                    attributes=attributes,
                    reason=f"{reason}: now {group}"[:200],
                    created_at=now,
                )
            )
    return [request.pk for request in CoaRequest.objects.bulk_create(requests)]


def _plan_coa_attributes(
    login: BroadbandLogin, formats: list[rules.RateLimitFormat]
) -> dict[str, str]:
    attributes = login.subscription.product.attributes if login.subscription else {}
    down, up = attributes.get("download_mbps"), attributes.get("upload_mbps")
    if not (down and up):
        return {}
    return {
        fmt.attribute: rules.rate_limit_value(
            fmt.template, down_kbps=int(down) * 1000, up_kbps=int(up) * 1000
        )
        for fmt in formats
    }


def coa_send(request: CoaRequest, *, now: datetime) -> CoaRequest:
    """Send one CoA- or Disconnect-Request with pyrad and record the NAS's answer."""
    from pyrad import packet
    from pyrad.client import Client, Timeout
    from pyrad.dictionary import Dictionary

    nas = request.nas
    client = Client(
        server=nas.nasname,
        secret=nas.secret.encode(),
        dict=Dictionary(str(DICTIONARY)),
        coaport=nas.coa_port,
        retries=COA_RETRIES,
        timeout=COA_TIMEOUT_SECONDS,
    )
    code = packet.DisconnectRequest if request.kind == CoaKind.DISCONNECT else packet.CoARequest
    message = client.CreateCoAPacket(code=code)
    message["User-Name"] = request.username
    message["Acct-Session-Id"] = request.session_id
    for attribute, value in request.attributes.items():
        message[attribute] = value
    try:
        reply = client.SendPacket(message)
    except Timeout:
        request.result, request.error = CoaResult.TIMEOUT, "no answer from the NAS"
    except OSError as exc:
        request.result, request.error = CoaResult.ERROR, str(exc)[:300]
    else:
        acked = reply.code in (packet.CoAACK, packet.DisconnectACK)
        request.result = CoaResult.ACK if acked else CoaResult.NAK
        if not acked and "Error-Cause" in reply:
            request.error = f"Error-Cause {reply['Error-Cause'][0]}"
    request.sent_at = now
    request.save(update_fields=["result", "error", "sent_at"])
    return request


def coa_send_pending(*, ids: list[int] | None = None, now: datetime) -> dict[str, int]:
    """Send the queued requests (all pending ones, or those given) and count the answers."""
    query = CoaRequest.objects.filter(result=CoaResult.PENDING).select_related("nas")
    if ids is not None:
        query = query.filter(pk__in=ids)
    counts: dict[str, int] = {}
    for request in query.order_by("id"):
        result = coa_send(request, now=now).result
        counts[result] = counts.get(result, 0) + 1
    return counts


@transaction.atomic
def nas_add(
    *,
    address: str,
    shortname: str,
    secret: str,
    vendor: str = "other",
    coa_mode: str = CoaMode.COA,
    coa_port: int = 3799,
) -> Nas:
    if not secret:
        raise InvalidInput("secret: a NAS needs a shared secret")
    if coa_mode not in CoaMode.values:
        raise InvalidInput(f"coa_mode: one of {', '.join(CoaMode.values)}, not {coa_mode!r}")
    if not 0 < coa_port < 65536:
        raise InvalidInput(f"coa_port: {coa_port} is not a UDP port")
    nas, _ = Nas.objects.update_or_create(
        nasname=address,
        defaults={
            "shortname": shortname,
            "secret": secret,
            "type": vendor,
            "coa_mode": coa_mode,
            "coa_port": coa_port,
        },
    )
    return nas


# --- IP history from RADIUS sessions -----------------------------------------------------


def session_addresses_record(*, started: pl.DataFrame, stopped: pl.DataFrame) -> dict[str, int]:
    """Record who held a dynamic address: `started` has (framed_ip, account_id, username,
    session_key, started_at) for sessions seen for the first time, `stopped` has
    (session_key, stopped_at) for sessions that stopped.

    A usage import brings these by the hundred thousand, so they go in with COPY and one
    UPDATE on PostgreSQL.
    """
    table = IpAssignment._meta.db_table
    bulk.insert_frame(
        table,
        started.select(
            ip="framed_ip",
            account_id="account_id",
            username="username",
            source=pl.lit(AssignmentSource.RADIUS),
            session_id=pl.col("session_key").str.slice(0, SESSION_ID_LENGTH),
            start="started_at",
        ),
    )
    if stopped.is_empty():
        return {"sessions_started": started.height, "sessions_ended": 0}
    sessions = stopped["session_key"].str.slice(0, SESSION_ID_LENGTH).to_list()
    ends = stopped["stopped_at"].to_list()
    if bulk.is_postgres():
        # The table name is the model's; every value goes as a parameter.
        ended = bulk.execute(
            f'UPDATE {bulk.quote(table)} a SET "end" = GREATEST(s.end_at, a.start + %s) '  # noqa: S608
            "FROM (SELECT unnest(%s::text[]) AS session_id, "
            "unnest(%s::timestamptz[]) AS end_at) s "
            'WHERE a.source = %s AND a.session_id = s.session_id AND a."end" IS NULL',
            [MIN_HOLDING, sessions, ends, AssignmentSource.RADIUS],
        )
        return {"sessions_started": started.height, "sessions_ended": ended}
    ended = 0
    for session, end in zip(sessions, ends, strict=True):
        for assignment in IpAssignment.objects.filter(
            source=AssignmentSource.RADIUS, session_id=session, end__isnull=True
        ):
            assignment.end = max(end, assignment.start + MIN_HOLDING)
            assignment.save(update_fields=["end"])
            ended += 1
    return {"sessions_started": started.height, "sessions_ended": ended}


# --- Static addresses --------------------------------------------------------------------


@transaction.atomic
def ip_pool_create(
    *, brand_key: str, name: str, network: str, rdns_domain: str, now: datetime
) -> IpPool:
    """A pool of static addresses for a brand, every usable address ready to allocate."""
    brand = brand_get(brand_key)
    if IpPool.objects.filter(name=name).exists():
        raise InvalidInput(f"name: a pool called {name!r} exists")
    addresses = list(rules.pool_addresses(network))
    taken = set(StaticIp.objects.filter(ip__in=addresses).values_list("ip", flat=True))
    if taken:
        raise InvalidInput(f"network: {network} overlaps addresses already pooled: {min(taken)}")
    pool = IpPool.objects.create(
        brand=brand, name=name, network=network, rdns_domain=rdns_domain.strip("."), created_at=now
    )
    StaticIp.objects.bulk_create(StaticIp(pool=pool, ip=ip) for ip in addresses)
    return pool


def _static_reply_set(username: str, ip: str) -> None:
    RadReply.objects.filter(username=username, attribute=STATIC_IP_ATTRIBUTE).delete()
    RadReply.objects.create(username=username, attribute=STATIC_IP_ATTRIBUTE, op=":=", value=ip)


@transaction.atomic
def static_ip_allocate(*, subscription_id: int, now: datetime) -> StaticIp:
    """Allocate the next free address of the brand's pools to a subscription.

    The free address is claimed under a row lock (`SELECT ... FOR UPDATE SKIP LOCKED`), so
    two activations at once never get the same address. Allocating again returns the
    address already held. The customer gains no ownership of it
    (plusnet-business/broadband-schedule#5.8(b)).
    """
    subscription = subscription_get(subscription_id)
    held = StaticIp.objects.filter(subscription=subscription).first()
    if held is not None:
        return held
    account = subscription.account
    address = (
        StaticIp.objects.select_for_update(skip_locked=True)
        .filter(pool__brand=account.brand, account__isnull=True)
        .order_by("pool__name", "id")
        .first()
    )
    if address is None:
        raise InvalidInput(f"no free static address in {account.brand.key}'s pools")
    login = BroadbandLogin.objects.filter(subscription=subscription).order_by("id").first()
    username = login.username if login else account.number.lower()
    address.account = account
    address.subscription = subscription
    address.username = username
    address.allocated_at = now
    address.rdns_name = rules.rdns_default(username, address.pool.rdns_domain)
    address.rdns_custom = False
    address.save()
    IpAssignment.objects.create(
        ip=address.ip,
        account=account,
        username=username,
        source=AssignmentSource.STATIC,
        start=now,
    )
    if login is not None:
        _static_reply_set(login.username, address.ip)
    return address


@transaction.atomic
def static_ip_release(*, subscription_id: int, now: datetime) -> StaticIp | None:
    """Return a subscription's address to the pool: "if the Contract is terminated for any
    reason the IP addresses will revert" (plusnet-business/broadband-schedule#5.8(c))."""
    address = StaticIp.objects.select_for_update().filter(subscription_id=subscription_id).first()
    if address is None:
        return None
    IpAssignment.objects.filter(
        ip=address.ip, source=AssignmentSource.STATIC, account=address.account, end__isnull=True
    ).update(end=now)
    RadReply.objects.filter(
        attribute=STATIC_IP_ATTRIBUTE, value=address.ip, username=address.username
    ).delete()
    address.account = None
    address.subscription = None
    address.username = ""
    address.allocated_at = None
    address.rdns_name = ""
    address.rdns_custom = False
    address.save()
    return address


@transaction.atomic
def static_ip_rdns_set(
    *, account: Account, ip: str, name: str | None = None, show_username: bool = True
) -> StaticIp:
    """Change an address's reverse DNS on the customer's request: a name of their own, the
    username (the default), or an anonymous name when they ask for the username to be
    removed (plusnet-business/privacy-policy#email-static-ip)."""
    address = StaticIp.objects.select_for_update().filter(account=account, ip=ip).first()
    if address is None:
        raise NotFound(f"{ip} is not one of {account.number}'s static addresses")
    domain = address.pool.rdns_domain
    if name:
        address.rdns_name, address.rdns_custom = rules.rdns_custom(name), True
    elif show_username:
        address.rdns_name, address.rdns_custom = rules.rdns_default(address.username, domain), False
    else:
        address.rdns_name, address.rdns_custom = rules.rdns_anonymous(address.ip, domain), True
    address.save(update_fields=["rdns_name", "rdns_custom"])
    return address


def rdns_zone(*, pool_name: str, ttl: int = 3600) -> str:
    """The pool's allocated addresses as PTR records, for the reverse zone."""
    try:
        pool = IpPool.objects.get(name=pool_name)
    except IpPool.DoesNotExist:
        known = ", ".join(IpPool.objects.values_list("name", flat=True)) or "none"
        raise NotFound(f"unknown pool {pool_name!r} (known: {known})") from None
    lines = [f"; reverse DNS for {pool.name} {pool.network}, generated by Backhaul"]
    for address in (
        pool.addresses.filter(account__isnull=False).exclude(rdns_name="").order_by("id")
    ):
        lines.append(rules.ptr_record(address.ip, address.rdns_name, ttl=ttl))
    return "\n".join(lines) + "\n"


def _static_ip_products(brand: Brand) -> list[str]:
    params = rule_params(brand, "static_ip", default={})
    if not params.get("allocated_by_default"):
        return []
    return list(params.get("products", []))


def static_ips_reconcile(*, on: date, now: datetime) -> dict[str, int]:
    """Allocate addresses to active services that get one by default and have none, and
    take them back from services that ended. Safe to run every day."""
    allocated = released = failed = 0
    for brand in Brand.objects.order_by("key"):
        products = _static_ip_products(brand)
        if not products:
            continue
        wanting = Subscription.objects.filter(
            account__brand=brand,
            product__key__in=products,
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED],
            service_start_date__lte=on,
        ).exclude(pk__in=StaticIp.objects.filter(subscription__isnull=False).values("subscription"))
        for subscription_id in wanting.values_list("pk", flat=True):
            if not IpPool.objects.filter(brand=brand).exists():
                break
            try:
                static_ip_allocate(subscription_id=subscription_id, now=now)
                allocated += 1
            except InvalidInput as exc:
                log.warning("static IP for subscription %s: %s", subscription_id, exc)
                failed += 1
                break
    ended = StaticIp.objects.filter(
        subscription__status__in=[SubscriptionStatus.CEASED, SubscriptionStatus.CANCELLED]
    )
    for subscription_id in ended.values_list("subscription_id", flat=True):
        if static_ip_release(subscription_id=subscription_id, now=now):
            released += 1
    return {"allocated": allocated, "released": released, "pool_exhausted": failed}


def radius_reconcile(*, on: date, now: datetime) -> dict[str, int]:
    """Every day: refuse logins whose service was suspended or ended, restore those that
    came back, keeping each login's fair-use group otherwise."""
    states: dict[int, str] = {}
    fair_use = {
        PolicyGroup.THROTTLED: rules.THROTTLED,
        PolicyGroup.BLOCKED: rules.BLOCKED,
    }
    rows = BroadbandLogin.objects.values_list("account_id", "group")
    for account_id, group in rows:
        states.setdefault(account_id, fair_use.get(group, "normal"))
    return logins_enforce(states=_with_allowance_states(states), now=now, reason="daily check")


def _with_allowance_states(states: dict[int, str]) -> dict[int, str]:
    """A suspended login lifted back to service returns to its usage state, which the usage
    area keeps; the group it had is only a fallback."""
    from backhaul.usage.selectors import fair_use_states

    known = fair_use_states(list(states))
    return {account_id: known.get(account_id, state) for account_id, state in states.items()}


def account_addresses(account: Account) -> list[dict[str, Any]]:
    return [
        {"ip": a.ip, "rdns": a.rdns_name, "since": a.allocated_at, "pool": a.pool.name}
        for a in StaticIp.objects.filter(account=account).select_related("pool").order_by("ip")
    ]


def static_ip_follow_lifecycle(*, subscription_id: int, status: str, now: datetime) -> None:
    """Keep a subscription's static address in step with its lifecycle: allocate on
    activation for products that get one by default, return it when the service ends
    (plusnet-business/broadband-schedule#5.8). An exhausted pool does not stop an
    activation; the daily reconcile job retries and reports it."""
    subscription = subscription_get(subscription_id)
    if status in (SubscriptionStatus.CEASED, SubscriptionStatus.CANCELLED):
        static_ip_release(subscription_id=subscription_id, now=now)
        return
    if status != SubscriptionStatus.ACTIVE:
        return
    if subscription.product.key not in _static_ip_products(subscription.account.brand):
        return
    try:
        static_ip_allocate(subscription_id=subscription_id, now=now)
    except InvalidInput as exc:
        log.warning("static IP for subscription %s not allocated: %s", subscription_id, exc)
