"""The REST API under /api/v1: django-ninja routers over the areas' services."""
