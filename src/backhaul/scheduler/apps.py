from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "backhaul.scheduler"
    verbose_name = "Scheduler"
