from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "backhaul.payments"
    verbose_name = "Payments and credit control"
