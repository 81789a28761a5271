from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "muster.contracts"
    verbose_name = "Contracts"
