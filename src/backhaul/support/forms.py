"""Member Centre forms: raising a ticket, replying, claiming."""

from __future__ import annotations

from typing import Any

from django import forms

from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.core.errors import BackhaulError
from backhaul.customers.models import Account, Contact
from backhaul.support.choices import TicketCategory
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
