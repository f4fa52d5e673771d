from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "backhaul.api"
    verbose_name = "API"
