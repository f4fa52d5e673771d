from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "backhaul.usage"
    verbose_name = "Usage and fair use"
