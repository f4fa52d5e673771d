"""The network: FreeRADIUS's tables, NASes, logins, static addresses and the IP history."""

# FreeRADIUS's published schema has nullable text columns, and FreeRADIUS writes NULL to
# them: the models mirror it rather than Django's empty-string convention.
# ruff: noqa: DJ001

from __future__ import annotations

from django.db import models

from backhaul.catalogue.models import Brand
from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account
from backhaul.network.choices import (
    AssignmentSource,
    BlockedAction,
    CoaKind,
    CoaMode,
    CoaResult,
    PolicyGroup,
)


class IpAssignment(models.Model):
    """An address held by an account from `start` until `end` (open while `end` is null).

    Static allocations and dynamic RADIUS sessions both land here, so the abuse desk can
    answer "who had this IP at this time" from one table. For CGNAT pools, `port_start` and
    `port_end` narrow the assignment to a source-port range.
    """

    ip = models.GenericIPAddressField()
    port_start = models.PositiveIntegerField(null=True, blank=True)
    port_end = models.PositiveIntegerField(null=True, blank=True)
    # The (account, start) index serves lookups by account; no second index on its own.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="ip_assignments", db_index=False
    )
    username = models.CharField(max_length=253, blank=True)
    source = models.CharField(max_length=16, choices=AssignmentSource.choices)
    session_id = models.CharField(max_length=128, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ip", "start"]
        indexes = [
            models.Index(fields=["ip", "start"]),
            models.Index(fields=["account", "start"]),
            models.Index(fields=["session_id"], name="network_ipa_session_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="ip_assignment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(port_start__isnull=True, port_end__isnull=True)
                    | models.Q(port_start__lte=models.F("port_end"))
                ),
                name="ip_assignment_port_range",
            ),
        ]

    def __str__(self) -> str:
        ports = f":{self.port_start}-{self.port_end}" if self.port_start is not None else ""
        return f"{self.ip}{ports} {self.account.number} from {self.start:%Y-%m-%d %H:%M}"


# --- FreeRADIUS's SQL schema -------------------------------------------------------------
# The tables FreeRADIUS 3.2's rlm_sql reads and writes
# (mods-config/sql/main/postgresql/schema.sql), with its table and column names, so that
# FreeRADIUS and Backhaul share one database. On PostgreSQL the columns are text, inet
# and timestamptz as in the published schema; on SQLite they are ordinary tables.


class RadCheck(models.Model):
    """Per-user check items: `Cleartext-Password := secret`."""

    id = models.AutoField(primary_key=True)
    username = models.TextField(db_column="username", default="", db_index=True)
    attribute = models.TextField(db_column="attribute", default="")
    op = models.CharField(db_column="op", max_length=2, default="==")
    value = models.TextField(db_column="value", default="")

    class Meta:
        db_table = "radcheck"
        verbose_name = "RADIUS check item"

    def __str__(self) -> str:
        return f"{self.username} {self.attribute} {self.op}"


class RadReply(models.Model):
    """Per-user reply items: `Framed-IP-Address := 192.0.2.10` for a static address."""

    id = models.AutoField(primary_key=True)
    username = models.TextField(db_column="username", default="", db_index=True)
    attribute = models.TextField(db_column="attribute", default="")
    op = models.CharField(db_column="op", max_length=2, default="=")
    value = models.TextField(db_column="value", default="")

    class Meta:
        db_table = "radreply"
        verbose_name = "RADIUS reply item"
        verbose_name_plural = "RADIUS reply items"

    def __str__(self) -> str:
        return f"{self.username} {self.attribute} {self.op} {self.value}"


class RadUserGroup(models.Model):
    """Which group a login is in: its plan, or throttled, blocked or suspended."""

    id = models.AutoField(primary_key=True)
    username = models.TextField(db_column="username", default="", db_index=True)
    groupname = models.TextField(db_column="groupname", default="")
    priority = models.IntegerField(db_column="priority", default=0)

    class Meta:
        db_table = "radusergroup"
        verbose_name = "RADIUS user group"

    def __str__(self) -> str:
        return f"{self.username} in {self.groupname}"


class RadGroupCheck(models.Model):
    id = models.AutoField(primary_key=True)
    groupname = models.TextField(db_column="groupname", default="", db_index=True)
    attribute = models.TextField(db_column="attribute", default="")
    op = models.CharField(db_column="op", max_length=2, default="==")
    value = models.TextField(db_column="value", default="")

    class Meta:
        db_table = "radgroupcheck"
        verbose_name = "RADIUS group check item"

    def __str__(self) -> str:
        return f"{self.groupname} {self.attribute} {self.op} {self.value}"


class RadGroupReply(models.Model):
    id = models.AutoField(primary_key=True)
    groupname = models.TextField(db_column="groupname", default="", db_index=True)
    attribute = models.TextField(db_column="attribute", default="")
    op = models.CharField(db_column="op", max_length=2, default="=")
    value = models.TextField(db_column="value", default="")

    class Meta:
        db_table = "radgroupreply"
        verbose_name = "RADIUS group reply item"
        verbose_name_plural = "RADIUS group reply items"

    def __str__(self) -> str:
        return f"{self.groupname} {self.attribute} {self.op} {self.value}"


class RadAcct(models.Model):
    """FreeRADIUS's accounting table: one row per session, updated by interim updates.

    FreeRADIUS writes it; Backhaul only reads it (usage import). Octet columns already
    combine Acct-*-Gigawords (FreeRADIUS shifts them in), but a NAS that sends no
    Gigawords still wraps at 2**32, which the usage import allows for.
    """

    radacctid = models.BigAutoField(primary_key=True, db_column="radacctid")
    acctsessionid = models.TextField(db_column="acctsessionid")
    acctuniqueid = models.TextField(db_column="acctuniqueid", unique=True)
    username = models.TextField(db_column="username", null=True, blank=True)
    realm = models.TextField(db_column="realm", null=True, blank=True)
    nasipaddress = models.GenericIPAddressField(db_column="nasipaddress")
    nasportid = models.TextField(db_column="nasportid", null=True, blank=True)
    nasporttype = models.TextField(db_column="nasporttype", null=True, blank=True)
    acctstarttime = models.DateTimeField(db_column="acctstarttime", null=True, blank=True)
    acctupdatetime = models.DateTimeField(db_column="acctupdatetime", null=True, blank=True)
    acctstoptime = models.DateTimeField(db_column="acctstoptime", null=True, blank=True)
    acctinterval = models.BigIntegerField(db_column="acctinterval", null=True, blank=True)
    acctsessiontime = models.BigIntegerField(db_column="acctsessiontime", null=True, blank=True)
    acctauthentic = models.TextField(db_column="acctauthentic", null=True, blank=True)
    connectinfo_start = models.TextField(db_column="connectinfo_start", null=True, blank=True)
    connectinfo_stop = models.TextField(db_column="connectinfo_stop", null=True, blank=True)
    acctinputoctets = models.BigIntegerField(db_column="acctinputoctets", null=True, blank=True)
    acctoutputoctets = models.BigIntegerField(db_column="acctoutputoctets", null=True, blank=True)
    calledstationid = models.TextField(db_column="calledstationid", null=True, blank=True)
    callingstationid = models.TextField(db_column="callingstationid", null=True, blank=True)
    acctterminatecause = models.TextField(db_column="acctterminatecause", null=True, blank=True)
    servicetype = models.TextField(db_column="servicetype", null=True, blank=True)
    framedprotocol = models.TextField(db_column="framedprotocol", null=True, blank=True)
    framedipaddress = models.GenericIPAddressField(
        db_column="framedipaddress", null=True, blank=True
    )
    framedipv6address = models.GenericIPAddressField(
        db_column="framedipv6address", null=True, blank=True
    )
    framedipv6prefix = models.TextField(db_column="framedipv6prefix", null=True, blank=True)
    framedinterfaceid = models.TextField(db_column="framedinterfaceid", null=True, blank=True)
    delegatedipv6prefix = models.TextField(db_column="delegatedipv6prefix", null=True, blank=True)
    class_attribute = models.TextField(db_column="class", null=True, blank=True)

    class Meta:
        db_table = "radacct"
        verbose_name = "RADIUS accounting session"
        indexes = [
            models.Index(fields=["acctupdatetime"], name="radacct_update_idx"),
            models.Index(fields=["acctstoptime"], name="radacct_stop_idx"),
            models.Index(fields=["acctstarttime", "username"], name="radacct_start_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.acctsessionid} on {self.nasipaddress}"


class Nas(models.Model):
    """A network access server: its address, shared secret and how it takes CoA.

    The first columns are FreeRADIUS's `nas` table; `coa_mode` and `coa_port` say how
    Backhaul tells this NAS about a change of policy during a live session.
    """

    id = models.AutoField(primary_key=True)
    nasname = models.TextField(db_column="nasname", help_text="IP address of the NAS")
    shortname = models.TextField(db_column="shortname")
    type = models.TextField(db_column="type", default="other", help_text="Vendor, e.g. mikrotik")
    ports = models.IntegerField(db_column="ports", null=True, blank=True)
    secret = models.TextField(db_column="secret")
    server = models.TextField(db_column="server", null=True, blank=True)
    community = models.TextField(db_column="community", null=True, blank=True)
    description = models.TextField(db_column="description", null=True, blank=True)
    coa_mode = models.CharField(max_length=16, choices=CoaMode.choices, default=CoaMode.COA)
    coa_port = models.PositiveIntegerField(default=3799)

    class Meta:
        db_table = "nas"
        verbose_name = "NAS"
        verbose_name_plural = "NASes"
        indexes = [models.Index(fields=["nasname"], name="nas_nasname")]

    def __str__(self) -> str:
        return f"{self.shortname} ({self.nasname})"


# --- Backhaul's side of the AAA layer ------------------------------------------------------


class VendorProfile(models.Model):
    """How a NAS vendor takes a rate limit: the reply attribute and its value format.

    `rate_limit_template` gets `{down_kbps}` and `{up_kbps}`, for example
    `{up_kbps}k/{down_kbps}k` for Mikrotik-Rate-Limit (rx/tx seen from the router).
    """

    key = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    rate_limit_attribute = models.CharField(max_length=64)
    rate_limit_template = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate_limit_attribute})"


class RadiusPolicy(models.Model):
    """A brand's enforcement settings: what a blocked login gets."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="+")
    blocked_action = models.CharField(
        max_length=16, choices=BlockedAction.choices, default=BlockedAction.REJECT
    )
    walled_garden_pool = models.CharField(max_length=64, blank=True, default="walled-garden")

    class Meta:
        verbose_name = "RADIUS policy"
        verbose_name_plural = "RADIUS policies"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(blocked_action="walled-garden")
                | ~models.Q(walled_garden_pool=""),
                name="radius_policy_walled_garden_needs_pool",
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand.key}: blocked -> {self.blocked_action}"


class BroadbandLogin(models.Model):
    """A broadband service's RADIUS login, tied to the account and subscription it serves."""

    username = models.CharField(max_length=253, unique=True)
    password = models.CharField(max_length=128, help_text="Sent by the router over PAP/CHAP")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="broadband_logins")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.CharField(
        max_length=16, choices=PolicyGroup.choices, default=PolicyGroup.PLAN, editable=False
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class CoaRequest(models.Model):
    """A CoA- or Disconnect-Request sent to a NAS for a live session, with its answer."""

    nas = models.ForeignKey(Nas, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=253)
    session_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=CoaKind.choices)
    attributes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=200)
    result = models.CharField(max_length=16, choices=CoaResult.choices, default=CoaResult.PENDING)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "CoA request"

    def __str__(self) -> str:
        return f"{self.kind} {self.username} -> {self.nas.nasname}: {self.result}"


# --- Static addresses --------------------------------------------------------------------


class IpPool(models.Model):
    """A brand's block of static addresses, with the zone their reverse DNS names live in."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    name = models.SlugField(max_length=64, unique=True)
    network = models.CharField(max_length=64, help_text="CIDR block, e.g. 192.0.2.0/24")
    rdns_domain = models.CharField(
        max_length=200, help_text="Names are <username>.<this domain> unless changed"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = "IP pool"

    def __str__(self) -> str:
        return f"{self.name} {self.network}"


class StaticIp(models.Model):
    """One address of a pool; held by a subscription while allocated, never owned by it."""

    pool = models.ForeignKey(IpPool, on_delete=models.PROTECT, related_name="addresses")
    ip = models.GenericIPAddressField(unique=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="static_ips"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=253, blank=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    rdns_name = models.CharField(max_length=253, blank=True)
    rdns_custom = models.BooleanField(
        default=False, help_text="The customer asked for this name instead of the username"
    )

    class Meta:
        ordering = ["pool", "id"]
        verbose_name = "static IP address"
        indexes = [models.Index(fields=["pool", "account"])]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(subscription__isnull=False),
                name="static_ip_one_per_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ip} ({self.account.number if self.account else 'free'})"
