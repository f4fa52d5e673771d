"""Enumerations for the abuse desk."""

from django.db import models


class Category(models.TextChoices):
    """The categories every intake format maps a report to (AUP and abuse FAQ).

    A brand's catalogue gives each its clause and may add categories of its own wording,
    which staff choose by hand.
    """

    SPAM = "spam", "Spam"
    OPEN_RELAY = "open-relay", "Open relay or open service"
    FORGED_HEADERS = "forged-headers", "Forged headers"
    PORT_SCAN = "port-scan", "Port scan"
    INTRUSION_ATTEMPT = "intrusion-attempt", "Intrusion attempt"
    DENIAL_OF_SERVICE = "denial-of-service", "Denial of service"
    MALWARE = "malware", "Malware"
    COPYRIGHT = "copyright", "Copyright infringement"
    ILLEGAL_CONTENT = "illegal-content", "Illegal content"
    HARASSMENT = "harassment", "Harassment"
    FRAUD = "fraud", "Fraud or phishing"
    SECURITY_VULNERABILITY = "security-vulnerability", "Security vulnerability in our network"


class Channel(models.TextChoices):
    SMTP = "smtp", "Email to the abuse listener"
    IMPORT = "import", "Imported file"
    WEB_FORM = "web-form", "Public web form"
    STAFF = "staff", "Staff entry"


class Format(models.TextChoices):
    ARF = "arf", "ARF feedback report (RFC 5965)"
    XARF_01 = "xarf-0.1", "X-ARF 0.1"
    XARF_02 = "xarf-0.2", "X-ARF 0.2"
    XARF_4 = "xarf-4", "XARF v4 (JSON)"
    CSV = "csv", "CSV feed"
    EMAIL = "email", "Plain email"
    FORM = "form", "Form"
    UNKNOWN = "unknown", "Not recognised"


class MessageStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class ReportStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Evidence(models.TextChoices):
    SUFFICIENT = "sufficient", "Sufficient"
    NEEDS_HEADERS = "needs-headers", "Needs the full headers"
    SEVERAL_INCIDENTS = "several-incidents", "Several incidents in one report"
    UNCLASSIFIED = "unclassified", "Category not recognised"
    UNCHECKED = "unchecked", "Not checked (no brand yet)"


class Resolution(models.TextChoices):
    RESOLVED = "resolved", "Resolved to an account"
    NO_IP = "no-ip", "No IP address in the report"
    NO_TIME = "no-time", "No incident time in the report"
    NO_HOLDER = "no-holder", "Nobody held the address then"
    SEVERAL_HOLDERS = "several-holders", "Several accounts held the address then"
    NOT_APPLICABLE = "not-applicable", "Not about a customer"
    ASSIGNED = "assigned", "Assigned by staff"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed (service ended)"
    MERGED = "merged", "Merged into another case"


class Step(models.TextChoices):
    """Rungs of the escalation ladder; each brand's catalogue orders them."""

    WARNING = "warning", "Warning"
    SUSPENSION = "suspension", "Suspension until resolved"
    TERMINATION = "termination", "Termination"


class ActionKind(models.TextChoices):
    WARNING = "warning", "Warning sent"
    SUSPENSION = "suspension", "Service suspended"
    TERMINATION = "termination", "Service terminated"
    REINSTATEMENT = "reinstatement", "Service reinstated"
    RESOLVED = "resolved", "Case resolved"
    REOPENED = "reopened", "Case reopened"
    MERGED = "merged", "Cases merged"
    DISCLOSURE = "disclosure", "Disclosed to an authority"
    REPORTER_RELEASED = "reporter-released", "Reporter's identity released to the customer"
