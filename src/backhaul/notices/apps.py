from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "backhaul.notices"
    verbose_name = "Notices"
