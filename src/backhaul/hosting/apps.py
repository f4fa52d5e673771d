from django.apps import AppConfig


class HostingConfig(AppConfig):
    name = "backhaul.hosting"
    verbose_name = "Hosting"
