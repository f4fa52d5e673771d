from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "backhaul.catalogue"
    verbose_name = "Catalogue and terms"
