from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "backhaul.contracts"
    verbose_name = "Contracts"
