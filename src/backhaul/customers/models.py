"""Customer accounts and the people and places that belong to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backhaul.catalogue.models import Brand
from backhaul.customers.choices import AccountKind, AccountStatus, ContactRole, CreditVet
from backhaul.customers.security_choices import SecurityPrompt


class AccountNumberSequence(models.Model):
    """The next account number of a brand, taken under a row lock so numbers never repeat."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="+")
    next_value = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.brand.key}: next {self.next_value}"


class Account(models.Model):
    number = models.CharField(max_length=16, unique=True)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.OPEN
    )
    primary_email = models.EmailField(help_text="Where notices and bills are sent")
    phone = models.CharField(max_length=32, blank=True)
    credit_vet = models.CharField(
        max_length=16, choices=CreditVet.choices, default=CreditVet.NOT_CHECKED
    )
    deposit_required = models.BooleanField(default=False)
    bill_day = models.PositiveSmallIntegerField(
        default=1,
        help_text="Day of the month bills are dated; a shorter month bills on its last day",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(bill_day__gte=1, bill_day__lte=31),
                name="account_bill_day_in_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Contact(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=16, choices=ContactRole.choices, default=ContactRole.OTHER)
    nominated = models.BooleanField(
        default=False, help_text="May report faults and raise tickets for the account"
    )

    class Meta:
        ordering = ["account", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account.number})"


class Site(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sites")
    label = models.CharField(max_length=100, blank=True)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100)
    postcode = models.CharField(max_length=10)

    class Meta:
        ordering = ["account", "label"]

    def __str__(self) -> str:
        return f"{self.address_line1}, {self.town} {self.postcode}"


class CustomerUser(models.Model):
    """A login to the Member Centre, tied to exactly one account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")

    def __str__(self) -> str:
        return f"{self.user} for {self.account.number}"


class SecurityAnswer(models.Model):
    """A customer's answer to one security question, held only as a salted Argon2 hash.

    Support staff check what a caller says against it (`caller_check`); nobody can read it
    back, not even in the subject access export.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="security_answers")
    prompt = models.CharField(max_length=32, choices=SecurityPrompt.choices)
    answer_hash = models.CharField(max_length=256)
    set_at = models.DateTimeField()
    set_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["account", "prompt"]
        constraints = [
            models.UniqueConstraint(fields=["account", "prompt"], name="security_answer_unique"),
        ]
        permissions = [
            ("check_securityanswer", "Can check a caller's answer to a security question"),
        ]

    def __str__(self) -> str:
        return f"{self.account.number}: {self.get_prompt_display()}"


class CallerCheck(models.Model):
    """One check of a caller's answer by support staff: the outcome, never the answer."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="caller_checks")
    prompt = models.CharField(max_length=32, choices=SecurityPrompt.choices)
    matched = models.BooleanField()
    checked_by = models.CharField(max_length=150)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at", "-pk"]
        indexes = [models.Index(fields=["account", "checked_at"])]

    def __str__(self) -> str:
        outcome = "match" if self.matched else "no match"
        return f"{self.account.number} {self.prompt}: {outcome}"
