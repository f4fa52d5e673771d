"""Creating and changing customer accounts."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from backhaul.catalogue.selectors import brand_get
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.choices import AccountKind, ContactRole
from backhaul.customers.models import (
    Account,
    AccountNumberSequence,
    CallerCheck,
    Contact,
    SecurityAnswer,
    Site,
)
from backhaul.customers.security_choices import SecurityPrompt
from backhaul.customers.security_rules import (
    CALLER_CHECK_WINDOW,
    QUESTIONS_MAX,
    answer_normalise,
    answer_problem,
    caller_checks_allowed,
)

NAME_LIMIT = 200


def _checked_email(email: str, *, field: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{field}: not an email address: {email!r}") from None
    return email.lower()


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("name: must not be empty")
    if len(name) > NAME_LIMIT:
        raise InvalidInput(f"name: at most {NAME_LIMIT} characters")
    return name


def account_number_next(*, brand_id: int, prefix: str) -> str:
    """Take the brand's next account number under a row lock (call inside a transaction)."""
    sequence, _ = AccountNumberSequence.objects.select_for_update().get_or_create(brand_id=brand_id)
    number = f"{prefix}{sequence.next_value:06d}"
    sequence.next_value += 1
    sequence.save(update_fields=["next_value"])
    return number


@transaction.atomic
def account_create(
    *,
    brand_key: str,
    name: str,
    email: str,
    kind: str = AccountKind.BUSINESS,
    phone: str = "",
    bill_day: int = 1,
    now: datetime,
) -> Account:
    """Open an account with a unique number; the primary email receives notices and bills."""
    brand = brand_get(brand_key)
    if kind not in AccountKind.values:
        raise InvalidInput(f"kind: must be one of {', '.join(AccountKind.values)}, not {kind!r}")
    if not 1 <= bill_day <= 31:
        raise InvalidInput(f"bill_day: a day of the month from 1 to 31, not {bill_day}")
    account = Account.objects.create(
        number=account_number_next(brand_id=brand.pk, prefix=brand.account_prefix),
        brand=brand,
        name=_checked_name(name),
        kind=kind,
        primary_email=_checked_email(email, field="email"),
        phone=phone.strip(),
        bill_day=bill_day,
        created_at=now,
    )
    Contact.objects.create(
        account=account,
        name=account.name,
        email=account.primary_email,
        phone=account.phone,
        role=ContactRole.PRIMARY,
        nominated=True,
    )
    return account


def account_get(number: str) -> Account:
    try:
        return Account.objects.select_related("brand").get(number=number.strip().upper())
    except Account.DoesNotExist:
        raise NotFound(f"unknown account {number!r}") from None


@transaction.atomic
def site_add(
    *, account: Account, address_line1: str, town: str, postcode: str, label: str = ""
) -> Site:
    if not address_line1.strip() or not town.strip() or not postcode.strip():
        raise InvalidInput("site: address line, town and postcode are required")
    return Site.objects.create(
        account=account,
        label=label.strip(),
        address_line1=address_line1.strip(),
        town=town.strip(),
        postcode=postcode.strip().upper(),
    )


# Security questions (security_rules.py): answers are hashed with Argon2 whatever the
# PASSWORD_HASHERS order, and compared in their normalised form.
ANSWER_HASHER = "argon2"


def _checked_prompt(prompt: str) -> str:
    if prompt not in SecurityPrompt.values:
        raise InvalidInput(f"prompt: choose one of the listed questions, not {prompt!r}")
    return prompt


@transaction.atomic
def security_answer_set(
    *, account: Account, prompt: str, answer: str, set_by: str, now: datetime
) -> SecurityAnswer:
    """Set (or replace) the account's answer to one question; only its hash is kept."""
    prompt = _checked_prompt(prompt)
    normalised = answer_normalise(answer)
    problem = answer_problem(normalised)
    if problem:
        raise InvalidInput(f"answer: {problem}")
    Account.objects.select_for_update().filter(pk=account.pk).first()
    held = SecurityAnswer.objects.filter(account=account)
    if not held.filter(prompt=prompt).exists() and held.count() >= QUESTIONS_MAX:
        raise InvalidInput(
            f"prompt: at most {QUESTIONS_MAX} questions; remove one before adding another"
        )
    stored, _ = SecurityAnswer.objects.update_or_create(
        account=account,
        prompt=prompt,
        defaults={
            "answer_hash": make_password(normalised, hasher=ANSWER_HASHER),
            "set_at": now,
            "set_by": set_by[:150],
        },
    )
    return stored


def security_answer_remove(*, account: Account, prompt: str) -> int:
    deleted, _ = SecurityAnswer.objects.filter(
        account=account, prompt=_checked_prompt(prompt)
    ).delete()
    return int(deleted)


@transaction.atomic
def caller_check(
    *, account: Account, prompt: str, answer: str, checked_by: str, now: datetime
) -> CallerCheck:
    """Check what a caller gave as the answer to one of the account's questions.

    The outcome is recorded (never the answer). After CALLER_CHECK_FAILURES wrong answers
    within CALLER_CHECK_WINDOW no more checks are made for the account.
    """
    prompt = _checked_prompt(prompt)
    Account.objects.select_for_update().filter(pk=account.pk).first()
    stored = SecurityAnswer.objects.filter(account=account, prompt=prompt).first()
    if stored is None:
        raise InvalidInput(
            f"prompt: {account.number} has no answer to {SecurityPrompt(prompt).label!r}"
        )
    failures = CallerCheck.objects.filter(
        account=account, matched=False, checked_at__gt=now - CALLER_CHECK_WINDOW
    ).count()
    if not caller_checks_allowed(recent_failures=failures):
        raise InvalidInput(
            f"account: {failures} wrong answers in the last "
            f"{CALLER_CHECK_WINDOW.total_seconds() / 3600:.0f} hours; check the caller "
            "another way, such as calling back the number held on the account"
        )

    def upgrade(raw: str) -> None:
        # A hash made with older parameters is replaced after a successful check.
        stored.answer_hash = make_password(raw, hasher=ANSWER_HASHER)
        stored.save(update_fields=["answer_hash"])

    matched = check_password(answer_normalise(answer), stored.answer_hash, setter=upgrade)
    return CallerCheck.objects.create(
        account=account,
        prompt=prompt,
        matched=matched,
        checked_by=checked_by[:150],
        checked_at=now,
    )
