from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "backhaul.customers"
    verbose_name = "Customers"
