from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "muster.catalog"
    verbose_name = "Services catalog"
