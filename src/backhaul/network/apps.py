from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "backhaul.network"
    verbose_name = "Network"
