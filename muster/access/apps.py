from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "muster.access"
    verbose_name = "Contractor access"
