from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "backhaul.support"
    verbose_name = "Support"
