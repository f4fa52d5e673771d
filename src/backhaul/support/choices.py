"""Enumerations for support: tickets, their events, claims, engineer visits, complaints."""

from django.db import models


class TicketCategory(models.TextChoices):
    FAULT = "fault", "Fault"
    BILLING = "billing", "Billing"
    GENERAL = "general", "General enquiry"
    COMPLAINT = "complaint", "Complaint"


class TicketState(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved, awaiting confirmation"
    CLOSED = "closed", "Closed"


class RaisedVia(models.TextChoices):
    PORTAL = "portal", "Member Centre"
    PHONE = "phone", "Telephone"


class EventType(models.TextChoices):
    """The SLA engine's event vocabulary (``backhaul sla evaluate``)."""

    CREATED = "created", "Created"
    RESPONDED = "responded", "Responded"
    PAUSED = "paused", "Clock paused"
    RESUMED = "resumed", "Clock resumed"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened: the fault is still there"
    CONFIRMED = "confirmed", "Confirmed by the customer"


class PauseReason(models.TextChoices):
    """Why a fault clock is suspended (plusnet-business/broadband-schedule#7.5 (a) to (d))."""

    RETEST = "retest", "Passed back for retest"
    DIAGNOSTICS = "diagnostics", "Further diagnostics required"
    AWAITING_APPOINTMENT = "awaiting_appointment", "Awaiting engineer appointment"
    NO_ACCESS = "no_access", "No access at the appointment"


class CloseReason(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed by the customer"
    AUTO_CLOSE = "auto-close", "Closed automatically"
    ANSWERED = "answered", "Answered"


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "Backhaul"


class ClaimKind(models.TextChoices):
    SERVICE_CREDIT = "service-credit", "Service credit"
    UPTIME_GUARANTEE = "uptime-guarantee", "Uptime Guarantee"
    PHONE_COMPENSATION = "phone-compensation", "Phone compensation"
    HOSTING_UPTIME = "hosting-uptime", "Hosting uptime refund"
    OFCOM_LATE_REPAIR = "ofcom-late-repair", "Automatic compensation: late repair"
    OFCOM_LATE_PROVISION = "ofcom-late-provision", "Automatic compensation: late provision"
    OFCOM_MISSED_APPOINTMENT = (
        "ofcom-missed-appointment",
        "Automatic compensation: missed appointment",
    )


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Awaiting a decision"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class VisitPurpose(models.TextChoices):
    REPAIR = "repair", "Fault repair"
    INSTALLATION = "installation", "Installation"


class VisitState(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


class CancelledBy(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    PROVIDER = "provider", "Provider"


class VisitOutcome(models.TextChoices):
    """What happened at a visit; the keys the catalogues' ``customer_pays_when`` lists use."""

    FIXED = "fixed", "Fault fixed or work done"
    FAULT_NOT_CONFIRMED = "fault-not-confirmed", "No fault found"
    FAULT_NOT_SERVICE = "fault-not-service", "Customer equipment at fault"
    NO_ACCESS = "no-access", "No access (missed by the customer)"
    INCORRECT_ADDRESS = "incorrect-address", "Incorrect address given"
    SITE_NOT_READY = "site-not-ready", "Site not ready"
    INSTALLATION_REFUSED = "installation-refused", "Installation no longer wanted"
    ABORTED = "aborted", "Visit aborted"
    MISSED_BY_PROVIDER = "missed-by-provider", "Engineer did not attend"


#: The outcome under which a customer's late cancellation is charged.
LATE_CANCELLATION = "late-cancellation"


class ComplaintStage(models.TextChoices):
    RECEIVED = "received", "Received"
    RESPONDED = "responded", "Responded"
    ESCALATED = "escalated", "Escalated to management"
    RESOLVED = "resolved", "Resolved"


class ComplaintOutcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly-upheld", "Partly upheld"
    NOT_UPHELD = "not-upheld", "Not upheld"
