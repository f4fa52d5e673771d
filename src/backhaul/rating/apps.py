from django.apps import AppConfig


class RatingConfig(AppConfig):
    name = "backhaul.rating"
    verbose_name = "Call rating"
