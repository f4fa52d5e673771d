from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "backhaul.domains"
    verbose_name = "Domains"
