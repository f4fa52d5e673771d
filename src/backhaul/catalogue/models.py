"""The terms as data: brands, documents, clauses, products, prices, charges and rules.

Prices, charges and VAT rates are effective-dated versions: a change is a new row with a
later start date, and the row in force on a day is the one with the latest start on or
before it. Rows are never rewritten, so any past bill can be explained as it was.
"""

from __future__ import annotations

from django.db import models

from backhaul.catalogue.choices import (
    BillingPeriod,
    ChargeUnit,
    ProductKind,
    VatTreatment,
)


class Brand(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    vat_number = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=200, blank=True)
    support_email = models.EmailField(blank=True)
    abuse_email = models.EmailField(blank=True)
    billing_email = models.EmailField(blank=True)
    account_prefix = models.CharField(max_length=4, unique=True)
    timezone = models.CharField(max_length=64, default="Europe/London")
    bank_holidays = models.CharField(max_length=3, default="ENG")
    prices_include_vat = models.BooleanField(default=False)
    example_fields = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class TermsDocument(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="documents")
    key = models.SlugField(max_length=64)
    title = models.CharField(max_length=300)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["brand", "key"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key"], name="document_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.brand.key}/{self.key}"


class Clause(models.Model):
    """One clause of a terms document, quoted verbatim, cited by everything that applies it."""

    clause_id = models.CharField(max_length=200, unique=True)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="clauses")
    document = models.ForeignKey(TermsDocument, on_delete=models.CASCADE, related_name="clauses")
    ref = models.CharField(max_length=64)
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["clause_id"]

    def __str__(self) -> str:
        return self.clause_id


class VatRate(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="vat_rates")
    rate = models.DecimalField(max_digits=6, decimal_places=4)
    start = models.DateField()
    clause = models.ForeignKey(Clause, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["brand", "start"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "start"], name="vat_rate_unique_start"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lt=1), name="vat_rate_is_fraction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate * 100:g}% from {self.start}"


class Product(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="products")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=ProductKind.choices)
    billing_period = models.CharField(max_length=16, choices=BillingPeriod.choices)
    terms = models.JSONField(default=list, help_text="Allowed minimum periods in months")
    markets = models.JSONField(default=list, blank=True)
    notice_days = models.PositiveSmallIntegerField(default=0)
    notice_clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minimum_period_clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notice_before_renewal = models.BooleanField(default=False)
    requires = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    example = models.BooleanField(default=False)

    class Meta:
        ordering = ["brand", "key"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key"], name="product_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.brand.key}/{self.key})"


class PriceVersion(models.Model):
    """A recurring price of a product from a start date; term 0 and market "" mean any."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    term = models.PositiveSmallIntegerField(default=0)
    market = models.CharField(max_length=16, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=4)
    vat_treatment = models.CharField(max_length=16, choices=VatTreatment.choices)
    start = models.DateField()
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="+")
    example = models.BooleanField(default=False)

    class Meta:
        ordering = ["product", "term", "market", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "term", "market", "start"], name="price_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        scope = " ".join(
            part
            for part in (
                f"{self.term} months" if self.term else "",
                f"market {self.market}" if self.market else "",
            )
            if part
        )
        return f"{self.product.key} {scope} £{self.amount} from {self.start}".replace("  ", " ")


class Charge(models.Model):
    """A one-off or per-use charge from a start date."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="charges")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=4)
    vat_treatment = models.CharField(max_length=16, choices=VatTreatment.choices)
    unit = models.CharField(max_length=20, choices=ChargeUnit.choices, default=ChargeUnit.EACH)
    products = models.JSONField(default=list, blank=True)
    start = models.DateField()
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="+")
    example = models.BooleanField(default=False)

    class Meta:
        ordering = ["brand", "key", "start"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key", "start"], name="charge_unique_start"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="charge_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} £{self.amount} from {self.start}"


class RuleSection(models.Model):
    """The parameters of one mechanism for a brand (`[rules.<key>]` in the catalogue)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="rules")
    key = models.CharField(max_length=64)
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="+")
    params = models.JSONField(default=dict)
    example = models.BooleanField(default=False)

    class Meta:
        ordering = ["brand", "key"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key"], name="rule_section_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.brand.key} rules.{self.key}"


class CatalogueLoad(models.Model):
    """A record of each catalogue file loaded, with what it changed."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="loads")
    file_name = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField()
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.file_name} at {self.loaded_at:%Y-%m-%d %H:%M}"
