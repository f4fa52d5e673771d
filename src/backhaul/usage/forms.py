"""Member Centre form for buying Top Ups."""

from __future__ import annotations

from django import forms

from backhaul.usage.services.topups import TOPUPS_PER_ORDER


class TopUpForm(forms.Form):
    """How many Top Ups to buy (each charged on the next bill).

    `request_key` is drawn afresh for each page shown, so sending the same form twice (a
    double click, a reload) buys once.
    """

    quantity = forms.IntegerField(
        label="How many Top Ups",
        min_value=1,
        max_value=TOPUPS_PER_ORDER,
        initial=1,
        error_messages={
            "invalid": "Enter a whole number of Top Ups.",
            "required": "Say how many Top Ups to buy.",
            "min_value": "Buy at least one Top Up.",
            "max_value": f"At most {TOPUPS_PER_ORDER} Top Ups in one order.",
        },
    )
    request_key = forms.RegexField(
        regex=r"^[0-9a-f]{32}$",
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "The form expired; please try again.",
            "required": "The form expired; please try again.",
        },
    )
