from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "backhaul.portal"
    verbose_name = "Member Centre"
