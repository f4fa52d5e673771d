"""The register of personal data: every personal field of every model, and why it is held.

Each field is mapped to a *use*: the interactions of the brands' privacy policies
(`[rules.privacy] purposes`, loaded as `privacy.Purpose`) that justify holding it. A use
names one interaction per policy wording (Plusnet's "sign-up" is PlugIn's "registration"),
so every loaded brand must know at least one of them; tests/privacy/test_register.py
checks that, and fails when any model gains a field that looks personal and is neither
registered here nor listed in NOT_PERSONAL with a reason.

`owner` is the lookup from the model to the customers.Account it is held against ("" for
the account itself), used by the subject access export and by retention; `by_username`
names a field holding one of the account's broadband login names (RADIUS tables carry no
account). A model with neither is held about people who are not one account (abuse
reporters, staff) and is not part of an account's export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Use = frozenset[str]

# The uses, each naming the interaction of every policy wording that covers it.
SIGN_UP: Use = frozenset({"sign-up", "registration"})
NOTICES: Use = frozenset({"service-use", "registration"})
BILLING: Use = frozenset({"service-use", "registration"})
PAYMENT: Use = frozenset({"sign-up", "card-payment"})
DEBT: Use = frozenset({"debt-collection", "registration"})
SUPPORT: Use = frozenset({"phone-call", "online-chat", "registration"})
SERVICE_USE: Use = frozenset({"service-use", "service-usage"})
BROADBAND_USAGE: Use = frozenset({"service-use", "broadband-usage"})
CALL_RECORDS: Use = frozenset({"call-data-records", "service-usage"})
RECOMMEND: Use = frozenset({"sign-up", "broadband-usage"})
STATIC_IP: Use = frozenset({"email-address-and-static-ip", "service-usage"})
EMAIL: Use = frozenset({"email-address-and-static-ip", "email"})
DOMAIN: Use = frozenset({"sign-up", "domain-registration"})
ABUSE: Use = frozenset({"service-use", "abuse-report"})
CONSENT: Use = frozenset({"youview-tv", "market-research", "registration"})
DISCLOSURE: Use = frozenset({"disclosure-to-authorities", "debt-collection"})
LEGAL: Use = frozenset({"legal-and-regulatory", "disclosure-to-authorities"})
# Security answers are asked on the phone to check who is calling.
PHONE_CHECK: Use = frozenset({"phone-call", "registration"})
# Failed sign-ins, kept to stop password guessing (and only until the cool-off ends).
SIGN_IN: Use = frozenset({"fraud-check", "registration"})

SECRET_TEXT = "(held, never shown)"  # noqa: S105 (a placeholder, not a secret)
WITHHELD_TEXT = "(withheld: identifies another person)"


@dataclass(frozen=True)
class ModelEntry:
    fields: Mapping[str, Use]
    owner: str | None = None
    by_username: str = ""
    # Held but never exported in clear: password hashes and RADIUS secrets.
    secret: frozenset[str] = frozenset()
    # Third-party data withheld from the export unless the named flag field is true.
    third_party: Mapping[str, str] = field(default_factory=dict)


def _all(use: Use, *names: str) -> dict[str, Use]:
    return dict.fromkeys(names, use)


REGISTER: dict[str, ModelEntry] = {
    "auth.User": ModelEntry(
        _all(SIGN_UP, "username", "first_name", "last_name", "email", "password"),
        owner="customer__account",
        secret=frozenset({"password"}),
    ),
    "customers.Account": ModelEntry(_all(SIGN_UP, "name", "primary_email", "phone"), owner=""),
    "customers.Contact": ModelEntry(_all(SIGN_UP, "name", "email", "phone"), owner="account"),
    "customers.SecurityAnswer": ModelEntry(
        _all(PHONE_CHECK, "prompt", "answer_hash", "set_at"),
        owner="account",
        secret=frozenset({"answer_hash"}),
    ),
    "customers.CallerCheck": ModelEntry(
        _all(PHONE_CHECK, "prompt", "matched", "checked_at"), owner="account"
    ),
    "customers.Site": ModelEntry(
        _all(SIGN_UP, "label", "address_line1", "address_line2", "town", "postcode"),
        owner="account",
    ),
    "notices.Notice": ModelEntry(
        _all(NOTICES, "recipient", "subject", "body", "message_id"), owner="account"
    ),
    "billing.Invoice": ModelEntry(
        _all(BILLING, "customer_name", "customer_address", "customer_email", "account_number"),
        owner="account",
    ),
    "payments.Mandate": ModelEntry(
        _all(PAYMENT, "reference", "account_holder", "sort_code", "account_number_last4"),
        owner="account",
    ),
    "payments.CardAuthority": ModelEntry(_all(PAYMENT, "card_brand", "last4"), owner="account"),
    "payments.Dispute": ModelEntry(_all(BILLING, "reason", "raised_by"), owner="account"),
    "payments.ContactAttempt": ModelEntry(_all(DEBT, "channel", "note"), owner="account"),
    "payments.CollectionCase": ModelEntry(_all(DEBT, "debt", "exported_on"), owner="account"),
    "rating.PhoneNumber": ModelEntry(_all(SERVICE_USE, "number"), owner="account"),
    "rating.RatedCall": ModelEntry(
        _all(CALL_RECORDS, "caller", "callee", "answered_at", "billsec"), owner="account"
    ),
    # A rejected line could not be matched to an account, so it is no account's data.
    "rating.RejectedCdr": ModelEntry(_all(CALL_RECORDS, "text")),
    "usage.AccountingRecord": ModelEntry(
        _all(BROADBAND_USAGE, "username", "framed_ip"), by_username="username"
    ),
    "usage.RejectedRecord": ModelEntry(_all(BROADBAND_USAGE, "raw")),
    "usage.SessionMeter": ModelEntry(
        _all(BROADBAND_USAGE, "username", "framed_ip"), owner="account"
    ),
    "usage.UsageDay": ModelEntry(
        _all(BROADBAND_USAGE, "day", "input_octets", "output_octets", "seconds"),
        owner="account",
    ),
    "usage.QueuedNotice": ModelEntry(_all(NOTICES, "subject", "body"), owner="account"),
    "usage.UpgradeRecommendation": ModelEntry(_all(RECOMMEND, "note"), owner="account"),
    "network.IpAssignment": ModelEntry(
        _all(SERVICE_USE, "ip", "username", "start", "end"), owner="account"
    ),
    "network.BroadbandLogin": ModelEntry(
        _all(SIGN_UP, "username", "password"), owner="account", secret=frozenset({"password"})
    ),
    "network.RadCheck": ModelEntry(
        _all(SIGN_UP, "username", "value"), by_username="username", secret=frozenset({"value"})
    ),
    "network.RadReply": ModelEntry(_all(SERVICE_USE, "username", "value"), by_username="username"),
    "network.RadUserGroup": ModelEntry(_all(SERVICE_USE, "username"), by_username="username"),
    "network.RadAcct": ModelEntry(
        _all(
            BROADBAND_USAGE,
            "username",
            "framedipaddress",
            "framedipv6address",
            "framedipv6prefix",
            "delegatedipv6prefix",
            "callingstationid",
            "calledstationid",
            "acctstarttime",
            "acctstoptime",
        ),
        by_username="username",
    ),
    "network.CoaRequest": ModelEntry(_all(SERVICE_USE, "username"), by_username="username"),
    "network.StaticIp": ModelEntry(_all(STATIC_IP, "ip", "username", "rdns_name"), owner="account"),
    "support.Ticket": ModelEntry(_all(SUPPORT, "subject", "raised_by"), owner="account"),
    "support.TicketEvent": ModelEntry(_all(SUPPORT, "note"), owner="ticket__account"),
    "support.TicketMessage": ModelEntry(
        _all(SUPPORT, "author_name", "body"), owner="ticket__account"
    ),
    "support.TicketAttachment": ModelEntry(
        _all(SUPPORT, "filename", "content_type", "content"), owner="message__ticket__account"
    ),
    "support.MonitoredSite": ModelEntry(_all(SERVICE_USE, "url"), owner="account"),
    "support.Complaint": ModelEntry(_all(SUPPORT, "outcome_summary"), owner="account"),
    # Abuse reports arrive from third parties; their identity is withheld from the
    # customer's export unless the reporter agreed to its release.
    "abuse.IntakeMessage": ModelEntry(
        _all(ABUSE, "source", "notes", "raw", "reporter_email", "reporter_name", "subject")
        | _all(ABUSE, "message_id")
    ),
    "abuse.Report": ModelEntry(
        _all(ABUSE, "ip", "port", "incident_at", "evidence", "reporter_email", "reporter_name"),
        owner="account",
        third_party={"reporter_email": "reporter_released", "reporter_name": "reporter_released"},
    ),
    "abuse.CaseNote": ModelEntry(_all(ABUSE, "text"), owner="case__account"),
    "abuse.CustomerAnswer": ModelEntry(_all(ABUSE, "text"), owner="case__account"),
    "abuse.CaseAction": ModelEntry(
        _all(DISCLOSURE, "authority", "legal_basis", "authority_reference"),
        owner="case__account",
    ),
    "domains.Domain": ModelEntry(_all(DOMAIN, "name", "whois_privacy"), owner="account"),
    "mailboxes.Mailbox": ModelEntry(_all(EMAIL, "address"), owner="account"),
    # A mail-server line that matched no mailbox is no account's data.
    "mailboxes.MailSyncReject": ModelEntry(_all(EMAIL, "raw")),
    "mailboxes.MailTraffic": ModelEntry(
        _all(EMAIL, "message_id", "sender", "recipients", "subject", "at"),
        owner="mailbox__account",
    ),
    "api.ApiToken": ModelEntry(_all(SIGN_UP, "name", "prefix"), owner="account"),
    "privacy.ConsentChange": ModelEntry(
        _all(CONSENT, "kind", "granted", "channel", "at"), owner="account"
    ),
    "privacy.Disclosure": ModelEntry(
        _all(DISCLOSURE, "recipient", "what", "basis", "reference", "disclosed_at"),
        owner="account",
    ),
    # The staff member's own name against what they looked at: held for accountability.
    "privacy.AuditEvent": ModelEntry(_all(LEGAL, "username", "path")),
    "admin.LogEntry": ModelEntry(_all(LEGAL, "object_repr", "change_message")),
    # Sign-in throttling (django-axes) is held about whoever tried to sign in, customer or
    # staff, by username: not tied to one account, so not part of an account's export.
    "axes.AccessAttempt": ModelEntry(
        _all(SIGN_IN, "username", "ip_address", "user_agent", "attempt_time")
    ),
    "axes.AccessFailureLog": ModelEntry(
        _all(SIGN_IN, "username", "ip_address", "user_agent", "attempt_time")
    ),
    "axes.AccessLog": ModelEntry(_all(SIGN_IN, "username", "ip_address", "user_agent")),
}

# Whole models that hold no personal data although some field names suggest it.
NOT_PERSONAL_MODELS: dict[str, str] = {
    "auth.Group": "staff role names",
    "auth.Permission": "permission names",
    "contenttypes.ContentType": "model names",
    "catalogue.Brand": "the provider's own published details",
    "catalogue.TermsDocument": "published terms",
    "catalogue.Clause": "published terms",
    "catalogue.Product": "published products",
    "catalogue.Charge": "published charges",
    "catalogue.RuleSection": "published rules",
    "catalogue.CatalogueLoad": "catalogue file names",
    "network.Nas": "network equipment",
    "network.VendorProfile": "network equipment vendors",
    "network.RadGroupCheck": "RADIUS group policy, not a person's",
    "network.RadGroupReply": "RADIUS group policy, not a person's",
    "network.IpPool": "the provider's address ranges",
    "privacy.Purpose": "the published purposes",
    "axes.AccessAttemptExpiration": "when a sign-in attempt expires",
}

# Single fields whose names look personal but hold none, with the reason.
NOT_PERSONAL: dict[str, dict[str, str]] = {
    "auth.User": {"is_staff": "a flag"},
    "billing.Invoice": {
        "supplier_name": "the provider's name",
        "supplier_address": "the provider's address",
    },
    "billing.InvoiceLine": {"clause_text": "published terms"},
    "notices.Notice": {"clause_text": "published terms"},
    "payments.CollectionCase": {"export_name": "the name of the file sent to the agency"},
    "rating.CdrImport": {"file_name": "the supplier's file name"},
    "usage.ImportCursor": {"name": "the import source's name"},
    "usage.AccountingRecord": {"nas_ip": "the provider's access server"},
    "usage.SessionMeter": {"nas_ip": "the provider's access server"},
    "network.RadUserGroup": {"groupname": "a RADIUS policy group"},
    "network.RadAcct": {
        "nasipaddress": "the provider's access server",
        "realm": "the provider's realm",
    },
    "abuse.IntakeMessage": {
        "raw_size": "a size",
        "raw_truncated": "a flag",
    },
    "support.TicketAttachment": {"size": "a size"},
    "abuse.Report": {
        "full_headers": "a flag",
        "evidence_status": "a status",
        "evidence_reason": "why evidence was judged as it was",
        "reporter_released": "a flag",
    },
    "mailboxes.MailTraffic": {"recipient_count": "a count"},
    "privacy.Disclosure": {"recipient_kind": "a category"},
    "otp_totp.TOTPDevice": {"name": "the label of a staff member's authenticator app"},
}

# Field name parts that suggest personal data.
PERSONAL_WORDS = frozenset(
    {
        "name", "email", "phone", "address", "postcode", "town", "ip", "username", "body",
        "headers", "message", "messages", "notes", "note", "reporter", "recipient",
        "recipients", "sender", "caller", "callee", "holder", "sort", "last4", "content",
        "text", "evidence", "raw", "url", "subject", "filename", "password", "answer",
    }
)  # fmt: skip
# Substrings that suggest personal data inside run-together names (RADIUS columns).
PERSONAL_PARTS = ("email", "phone", "address", "postcode", "username", "name", "ipv6", "station")


def looks_personal(field_name: str) -> bool:
    """Whether a field's name suggests it holds personal data."""
    name = field_name.lower()
    return bool(set(name.split("_")) & PERSONAL_WORDS) or any(p in name for p in PERSONAL_PARTS)


def entry_for(label: str) -> ModelEntry | None:
    return REGISTER.get(label)
