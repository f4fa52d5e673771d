from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "backhaul.demo"
    verbose_name = "Demo data"
