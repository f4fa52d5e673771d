"""Enumerations for the network."""

from django.db import models


class AssignmentSource(models.TextChoices):
    STATIC = "static", "Static allocation"
    RADIUS = "radius", "RADIUS session"
