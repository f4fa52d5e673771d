"""Enumerations of the catalogue."""

from django.db import models


class ProductKind(models.TextChoices):
    BROADBAND = "broadband", "Broadband"
    CARE = "care", "Care level"
    PHONE_LINE = "phone-line", "Phone line"
    CALL_PLAN = "call-plan", "Call plan"
    BROADBAND_PHONE = "broadband-phone", "Broadband phone"
    CALLING_FEATURE = "calling-feature", "Calling feature"
    FEATURE_BUNDLE = "feature-bundle", "Feature bundle"
    EMAIL = "email", "Email"
    HOSTING = "hosting", "Hosting"
    DOMAIN = "domain", "Domain"
    TOPUP = "topup", "Top-up"
    STATIC_IP = "static-ip", "Static IP"


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual"
    TWO_YEARLY = "two-yearly", "Two-yearly"
    ONE_OFF = "one-off", "One-off"


class VatTreatment(models.TextChoices):
    EXCLUSIVE = "exclusive", "Plus VAT"
    INCLUSIVE = "inclusive", "Including VAT"
    OUTSIDE_SCOPE = "outside-scope", "Outside the scope of VAT"


class ChargeUnit(models.TextChoices):
    EACH = "each", "Each"
    PER_HOUR_OR_PART = "per-hour-or-part", "Per hour or part hour"
    PER_GB_OR_PART = "per-gb-or-part", "Per GB or part GB"
    PER_USE = "per-use", "Per use"
    PER_MONTH = "per-month", "Per month"
    PER_YEAR = "per-year", "Per year or part of a year"
