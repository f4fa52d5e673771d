from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "backhaul.privacy"
    verbose_name = "Privacy"
