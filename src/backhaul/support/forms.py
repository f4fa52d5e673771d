"""Support forms: raising a ticket, replying, reopening and claiming in the Member Centre;
booking and updating engineer visits in the staff console."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.core.errors import BackhaulError
from backhaul.customers.models import Account, Contact
from backhaul.support.choices import TicketCategory, VisitOutcome, VisitPurpose
from backhaul.support.models import EngineerVisit, Ticket
from backhaul.support.services.tickets import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_PER_MESSAGE,
    SUBJECT_LIMIT,
    Upload,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the Django documentation's recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > ATTACHMENTS_PER_MESSAGE:
            raise forms.ValidationError(f"Attach at most {ATTACHMENTS_PER_MESSAGE} files.")
        for upload in files:
            if upload.size > ATTACHMENT_MAX_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} is too large: the limit is "
                    f"{ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB per file."
                )
        return files


def uploads_from(files: list[Any]) -> list[Upload]:
    return [
        Upload(
            filename=f.name,
            content_type=getattr(f, "content_type", "") or "application/octet-stream",
            content=f.read(),
        )
        for f in files
    ]


class ServiceErrorsMixin:
    """Show a service's "field: message" error next to the field it names."""

    FIELD_OF_PREFIX: dict[str, str] = {}

    def add_service_error(self, exc: BackhaulError) -> None:
        message = str(exc)
        prefix, sep, rest = message.partition(": ")
        field = self.FIELD_OF_PREFIX.get(prefix) if sep else None
        form: Any = self
        if field is not None and field in form.fields:
            form.add_error(field, rest[:1].upper() + rest[1:])
        else:
            form.add_error(None, message)


class RaiseTicketForm(ServiceErrorsMixin, forms.Form):
    FIELD_OF_PREFIX = {
        "subject": "subject",
        "description": "description",
        "service": "subscription",
        "contact": "contact",
        "attachments": "attachments",
        "category": "category",
    }

    category = forms.ChoiceField(
        label="What is it about?",
        choices=TicketCategory.choices,
        initial=TicketCategory.FAULT,
    )
    subscription = forms.ModelChoiceField(
        label="Which service?",
        queryset=Subscription.objects.none(),
        required=False,
        help_text="Required for a fault: the line or service that is not working.",
    )
    subject = forms.CharField(label="Summary", max_length=SUBJECT_LIMIT)
    description = forms.CharField(
        label="What is happening?",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="When it started, what you have tried, any lights on the router.",
    )
    contact = forms.ModelChoiceField(
        label="Who should we keep updated?",
        queryset=Contact.objects.none(),
        required=False,
        empty_label=None,
    )
    attachments = MultipleFileField(label="Attachments (optional)")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        subscription_field: Any = self.fields["subscription"]
        subscription_field.queryset = (
            Subscription.objects.filter(
                account=account,
                status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED],
            )
            .exclude(product__kind="care")
            .select_related("product")
            .order_by("product__name")
        )
        subscription_field.label_from_instance = lambda s: s.product.name
        contact_field: Any = self.fields["contact"]
        contact_field.queryset = account.contacts.filter(nominated=True).order_by("name")
        contact_field.label_from_instance = lambda c: f"{c.name} ({c.email or c.phone})"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("category") == TicketCategory.FAULT and not cleaned.get("subscription"):
            self.add_error("subscription", "Choose the service that has the fault.")
        return cleaned


class ReplyForm(ServiceErrorsMixin, forms.Form):
    FIELD_OF_PREFIX = {"message": "body", "attachments": "attachments"}

    body = forms.CharField(label="Your message", widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label="Attachments (optional)")


class ReopenForm(ServiceErrorsMixin, forms.Form):
    """The customer says a resolved fault is still there."""

    FIELD_OF_PREFIX = {"message": "reason"}

    reason = forms.CharField(
        label="What is still wrong?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Reopening restarts the work on this ticket; tell us what you still see.",
    )


class PhoneClaimForm(ServiceErrorsMixin, forms.Form):
    """A claim for compensation after an engineer appointment was missed."""

    FIELD_OF_PREFIX = {"visit": "visit"}

    visit = forms.ModelChoiceField(
        label="Which appointment was missed?",
        queryset=EngineerVisit.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args: Any, visits: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["visit"]
        field.queryset = visits
        field.label_from_instance = visit_label


def visit_label(visit: EngineerVisit) -> str:
    start = timezone.localtime(visit.slot_start)
    end = timezone.localtime(visit.slot_end)
    state = visit.get_outcome_display() if visit.outcome else visit.get_state_display()
    return f"{start:%A %d %B %Y}, {start:%H:%M}-{end:%H:%M} ({state.lower()})"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


#: Where the visit services' "field: message" errors belong on the staff forms.
VISIT_FIELDS = {
    "ticket": "ticket",
    "purpose": "purpose",
    "slot_start": "slot_start",
    "slot_end": "slot_end",
    "outcome": "outcome",
    "time_on_site": "minutes_on_site",
    "by": "action",
}


class VisitBookForm(ServiceErrorsMixin, forms.Form):
    """Staff book an engineer visit on a ticket (times are London time)."""

    FIELD_OF_PREFIX = VISIT_FIELDS

    ticket = forms.CharField(label="Ticket reference", max_length=20)
    purpose = forms.ChoiceField(choices=VisitPurpose.choices, initial=VisitPurpose.REPAIR)
    slot_start = forms.DateTimeField(label="Appointment from", widget=DateTimeLocalInput())
    slot_end = forms.DateTimeField(label="Appointment until", widget=DateTimeLocalInput())

    def clean_ticket(self) -> Ticket:
        reference = self.cleaned_data["ticket"].strip().upper()
        try:
            return Ticket.objects.select_related("account__brand", "subscription").get(
                reference=reference
            )
        except Ticket.DoesNotExist:
            raise forms.ValidationError(f"Unknown ticket {reference!r}.") from None


class VisitUpdateForm(ServiceErrorsMixin, forms.Form):
    """Staff record a visit's outcome, or cancel or move it."""

    FIELD_OF_PREFIX = VISIT_FIELDS
    ACTIONS = [
        ("complete", "Record the outcome"),
        ("cancel-customer", "Cancelled by the customer"),
        ("cancel-provider", "Cancelled by us"),
        ("reschedule-customer", "Moved at the customer's request"),
        ("reschedule-provider", "Moved by us"),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    outcome = forms.ChoiceField(
        choices=[("", "—"), *VisitOutcome.choices],
        required=False,
        help_text="What happened at the visit (with 'Record the outcome').",
    )
    minutes_on_site = forms.IntegerField(
        min_value=0, required=False, help_text="Time on site, for hourly charges."
    )
    slot_start = forms.DateTimeField(
        label="New appointment from", required=False, widget=DateTimeLocalInput()
    )
    slot_end = forms.DateTimeField(
        label="New appointment until", required=False, widget=DateTimeLocalInput()
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action", "")
        if action == "complete" and not cleaned.get("outcome"):
            self.add_error("outcome", "Choose what happened at the visit.")
        if action.startswith("reschedule"):
            for name in ("slot_start", "slot_end"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "Give the new appointment time.")
        return cleaned
