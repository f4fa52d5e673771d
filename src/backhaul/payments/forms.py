"""Forms for the Member Centre and the staff console. They only collect input: the services
check it against the terms, and `show_error` puts a service's refusal next to its field."""

from __future__ import annotations

from typing import Any

from django import forms

from backhaul.core.errors import BackhaulError
from backhaul.payments.choices import (
    ContactChannel,
    ContactOutcome,
    DepartureKind,
    FailureKind,
    PaymentMethod,
)

DATE = forms.DateInput(attrs={"type": "date"})


def show_error(
    form: forms.Form, exc: BackhaulError, *, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's one-line refusal ("amount: must be more than zero") on its field, or
    above the form when it names no field of this form."""
    message = str(exc)
    field, sep, rest = message.partition(": ")
    name = (aliases or {}).get(field, field)
    if sep and name in form.fields:
        form.add_error(name, rest)
    else:
        form.add_error(None, message)


class DisputeForm(forms.Form):
    invoice = forms.ChoiceField(label="Bill")
    amount = forms.CharField(
        label="Amount you dispute (£, including VAT)",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label="Which charges, and why", max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, invoices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = [("", "Choose a bill"), *invoices]


class PaymentForm(forms.Form):
    amount = forms.CharField(max_length=20)
    method = forms.ChoiceField(
        choices=[
            *PaymentMethod.choices,
            ("credit-card", "Credit card"),
            ("debit-card", "Debit card"),
            ("cash", "Cash"),
            ("visa-electron", "Visa Electron card"),
        ]
    )
    on = forms.DateField(label="Received on", widget=DATE)
    reference = forms.CharField(max_length=100, required=False)
    card_brand = forms.CharField(max_length=32, required=False)
    by_agreement = forms.BooleanField(
        required=False, label="A method the brand takes only by agreement, and it was agreed"
    )


class FailureForm(forms.Form):
    kind = forms.ChoiceField(choices=FailureKind.choices)
    on = forms.DateField(widget=DATE)
    payment = forms.IntegerField(required=False, help_text="Payment id (bounces, chargebacks)")
    reference = forms.CharField(max_length=100, required=False)
    incorrect = forms.BooleanField(required=False, label="Chargeback raised in error")
    product_kind = forms.CharField(
        max_length=32, required=False, help_text="broadband, email or hosting (chargebacks)"
    )


class RefundForm(forms.Form):
    amount = forms.CharField(max_length=20)
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    on = forms.DateField(widget=DATE)
    reason = forms.CharField(max_length=300)


class SetOffForm(forms.Form):
    to = forms.CharField(label="Account that owes", max_length=16)
    on = forms.DateField(widget=DATE)
    amount = forms.CharField(max_length=20, required=False, help_text="Blank: as much as fits")
    reason = forms.CharField(max_length=300, required=False)


class HoldForm(forms.Form):
    reason = forms.CharField(max_length=300)
    until = forms.DateField(required=False, widget=DATE)


class ContactForm(forms.Form):
    on = forms.DateField(widget=DATE)
    channel = forms.ChoiceField(choices=ContactChannel.choices)
    outcome = forms.ChoiceField(choices=ContactOutcome.choices)
    note = forms.CharField(max_length=500, required=False)


class InterestForm(forms.Form):
    on = forms.DateField(label="Charge interest up to", widget=DATE)


class ResolveForm(forms.Form):
    note = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    credit = forms.CharField(
        max_length=200,
        required=False,
        label="Credit (line:net, ...)",
        help_text="e.g. 2:30.00, 3:6.09 credits line 2 by £30.00 and line 3 by £6.09 plus "
        "VAT; blank confirms the charge",
    )


class DepartureForm(forms.Form):
    subscription = forms.ChoiceField()
    kind = forms.ChoiceField(choices=DepartureKind.choices)
    on = forms.DateField(label="Notice or termination date", widget=DATE)
    mac = forms.BooleanField(required=False, label="Leaving with a migration code (MAC)")
    detrimental_change_notified = forms.DateField(required=False, widget=DATE)
    cost = forms.CharField(
        max_length=20, required=False, help_text="Order cancellation: cost of the work done"
    )
    line_cannot_be_served = forms.BooleanField(required=False)
    equipment_sent = forms.DateField(
        required=False, widget=DATE, help_text="Date the prepaid return package was sent"
    )

    def __init__(self, *args: Any, subscriptions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subscription"].choices = subscriptions
