"""Enumerations of the privacy area."""

from django.db import models


class ConsentKind(models.TextChoices):
    """What a customer may agree to or refuse (plusnet-business/privacy-policy#youview,
    #market-research)."""

    RECOMMENDATIONS = "recommendations", "Personalised recommendations"
    RESEARCH = "research", "Contact for market research"
    MARKETING = "marketing", "Marketing"


class ConsentChannel(models.TextChoices):
    DEFAULT = "default", "Default"
    MEMBER_CENTRE = "member-centre", "Member Centre"
    STAFF = "staff", "Staff on the customer's instruction"
    IMPORT = "import", "Import"


class DisclosureBasis(models.TextChoices):
    CONTRACT = "contract", "Performance of the contract"
    LEGAL_OBLIGATION = "legal-obligation", "Legal obligation"
    COURT_ORDER = "court-order", "Court order"
    LEGITIMATE_INTERESTS = "legitimate-interests", "Legitimate interests"
    CONSENT = "consent", "Consent"


class RecipientKind(models.TextChoices):
    DEBT_COLLECTION_AGENCY = "debt-collection-agency", "Debt collection agency"
    AUTHORITY = "authority", "Law enforcement or regulatory authority"
    CREDIT_REFERENCE_AGENCY = "credit-reference-agency", "Credit reference agency"
    DATA_SUBJECT = "data-subject", "The customer (subject access)"
    OTHER = "other", "Other"


class RetentionAction(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise"


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CHANGE = "change", "Changed"
    EXPORT = "export", "Exported"
    DELETE = "delete", "Deleted"
    VERIFY = "verify", "Checked a caller's security answer"
