from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "backhaul.billing"
    verbose_name = "Billing"
