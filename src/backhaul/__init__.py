"""Backhaul: the open-source back office for UK internet service providers."""

from backhaul.celery import app as celery_app

__all__ = ["celery_app"]
