"""The Celery application: in-process when CELERY_BROKER_URL is unset, workers otherwise."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backhaul.settings")

app = Celery("backhaul")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
