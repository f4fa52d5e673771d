"""Forms of the customers area: security questions (Member Centre) and caller checks (console)."""

from __future__ import annotations

from typing import Any

from django import forms

from backhaul.customers.security_choices import SecurityPrompt
from backhaul.customers.security_rules import ANSWER_MAX, answer_normalise, answer_problem

ANSWER_HELP = "Capital letters and extra spaces do not matter."


def _secret_input() -> forms.PasswordInput:
    # An answer is a secret: never sent back to the browser, not even after an error.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class SecurityAnswerForm(forms.Form):
    prompt = forms.ChoiceField(label="Question", choices=SecurityPrompt.choices)
    answer = forms.CharField(
        label="Your answer",
        max_length=ANSWER_MAX * 2,
        widget=_secret_input(),
        help_text=ANSWER_HELP,
    )
    answer_again = forms.CharField(
        label="Your answer again", max_length=ANSWER_MAX * 2, widget=_secret_input()
    )

    def clean_answer(self) -> str:
        answer: str = self.cleaned_data["answer"]
        problem = answer_problem(answer_normalise(answer))
        if problem:
            raise forms.ValidationError(f"Your answer needs {problem}.")
        return answer

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        first, second = cleaned.get("answer"), cleaned.get("answer_again")
        both = first is not None and second is not None
        if both and answer_normalise(first) != answer_normalise(second):
            self.add_error("answer_again", "The two answers are different.")
        return cleaned


class AccountLookupForm(forms.Form):
    account = forms.CharField(label="Account number", max_length=16)


class CallerCheckForm(forms.Form):
    """What support types while the customer is on the phone; the answer is not kept."""

    account = forms.CharField(widget=forms.HiddenInput, max_length=16)
    prompt = forms.ChoiceField(label="Question asked", choices=SecurityPrompt.choices)
    answer = forms.CharField(
        label="The caller's answer",
        max_length=ANSWER_MAX * 2,
        help_text=ANSWER_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, prompts: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if prompts is not None:
            field = self.fields["prompt"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(p, SecurityPrompt(p).label) for p in prompts]
