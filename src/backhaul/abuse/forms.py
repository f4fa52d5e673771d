"""Forms for reporting abuse (public and staff), answering a case, and disclosures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from backhaul.abuse.choices import Category
from backhaul.catalogue.models import Brand

DETAILS_LIMIT = 20000
HEADERS_LIMIT = 50000


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ReportForm(forms.Form):
    """The public abuse report form: anyone may use it, no sign-in."""

    brand = forms.ChoiceField(label="Provider")
    reporter_name = forms.CharField(label="Your name", max_length=200, required=False)
    reporter_email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We send the acknowledgement and reference here, and nowhere else.",
    )
    category = forms.ChoiceField(label="What happened", choices=Category.choices)
    ip = forms.GenericIPAddressField(
        label="IP address it came from", required=False, unpack_ipv4=True
    )
    port = forms.IntegerField(
        label="Source port",
        required=False,
        min_value=1,
        max_value=65535,
        help_text="If you have it: it identifies the customer behind a shared address.",
    )
    incident_at = forms.DateTimeField(
        label="When it happened (UK time)",
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    details = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=DETAILS_LIMIT,
        help_text="One incident per report, please, rather than a whole firewall log.",
    )
    headers = forms.CharField(
        label="Full headers of the message (for spam)",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=HEADERS_LIMIT,
        required=False,
        help_text="Paste them as plain text: we cannot investigate spam without them.",
    )
    # People never see this field; programs filling every field do.
    website = forms.CharField(required=False, label="Leave this empty")

    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now
        brands = Brand.objects.exclude(abuse_email="").order_by("name")
        self.fields["brand"].choices = [(b.key, b.name) for b in brands]

    def clean_incident_at(self) -> datetime:
        value: datetime = self.cleaned_data["incident_at"]
        if value > self.now:
            raise ValidationError("That time is in the future.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("website"):
            raise ValidationError("The report could not be accepted.")
        return cleaned


class StaffReportForm(ReportForm):
    """Staff entry: a report taken by phone or Help Assistant, perhaps about a known
    account; the reporter's email is optional and acknowledging is a choice."""

    reporter_email = forms.EmailField(label="Reporter's email", max_length=254, required=False)
    account = forms.CharField(label="Account number (if known)", max_length=16, required=False)
    acknowledge = forms.BooleanField(
        label="Email the reporter an acknowledgement", required=False, initial=False
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text="Tell us what you have done, or ask us what the problem is.",
    )


class DisclosureForm(forms.Form):
    authority = forms.CharField(label="Authority", max_length=200)
    legal_basis = forms.ChoiceField(label="Legal basis")
    reference = forms.CharField(label="Their reference", max_length=100, required=False)
    detail = forms.CharField(
        label="What was disclosed", widget=forms.Textarea(attrs={"rows": 4}), max_length=500
    )

    def __init__(self, *args: Any, legal_bases: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_basis"].choices = [(b, b.replace("-", " ")) for b in legal_bases]


class StepForm(forms.Form):
    step = forms.ChoiceField(label="Step")
    confirm = forms.BooleanField(label="Notify the customer and take this step")

    def __init__(self, *args: Any, steps: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = steps
