from django.apps import AppConfig


class AbuseConfig(AppConfig):
    name = "backhaul.abuse"
    verbose_name = "Abuse desk"
