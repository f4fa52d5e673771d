"""Enumerations for payments and credit control."""

from django.db import models


class PaymentMethod(models.TextChoices):
    DIRECT_DEBIT = "direct-debit", "Direct Debit"
    CARD = "card", "Credit or debit card"
    BACS = "bacs", "BACS transfer"
    CHEQUE = "cheque", "Cheque"
    STANDING_ORDER = "standing-order", "Standing order"


class PaymentStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    REVERSED = "reversed", "Reversed (bounced or charged back)"


class MandateStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"


class FailureKind(models.TextChoices):
    CARD_DECLINE = "card-decline", "Card declined"
    STANDING_ORDER_DECLINE = "standing-order-decline", "Standing order declined"
    CHEQUE_BOUNCE = "cheque-bounce", "Cheque bounced"
    DIRECT_DEBIT_RETURNED = "direct-debit-returned", "Direct Debit returned unpaid"
    CHARGEBACK = "chargeback", "Card chargeback"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    CREDITED = "credited", "Resolved: credited"
    CONFIRMED = "confirmed", "Resolved: charge confirmed"
    PART_CREDITED = "part-credited", "Resolved: part credited, rest confirmed"


class DisputeOutcome(models.TextChoices):
    PAY_IN_FULL = "pay-in-full", "Whole bill stays payable"
    PAY_UNDISPUTED = "pay-undisputed", "Only the undisputed amount is due until resolved"


class DunningStepKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    RESTRICTION = "restriction", "Restriction"
    SUSPENSION = "suspension", "Suspension"
    TERMINATION = "termination", "Termination"
    DEBT_COLLECTION = "debt-collection", "Debt collection hand-off"


class DunningStepStatus(models.TextChoices):
    DONE = "done", "Done"
    NOTHING_TO_DO = "nothing-to-do", "Nothing to act on"
    WAITING = "waiting", "Waiting for a contact attempt"


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    SMS = "sms", "Text message"


class ContactOutcome(models.TextChoices):
    NO_RESPONSE = "no-response", "No response"
    RESPONDED = "responded", "Customer responded"


class CollectionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for export"
    EXPORTED = "exported", "Handed to the agency"
    WITHDRAWN = "withdrawn", "Withdrawn (paid before hand-off)"


class DepartureKind(models.TextChoices):
    CUSTOMER_NOTICE = "customer-notice", "Customer gave notice"
    PROVIDER_ASKED = "provider-asked", "Provider asked the customer to move"
    ABUSE = "abuse", "Terminated for spam or illegal use"
    NON_PAYMENT = "non-payment", "Terminated for non-payment"
    ORDER_CANCELLED = "order-cancelled", "Order cancelled before service"


class DepartureStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Ends on the termination date"
    DONE = "done", "Ended"


class EquipmentReturnStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting return"
    RETURNED = "returned", "Returned"
    CHARGED = "charged", "Charged as not returned"
