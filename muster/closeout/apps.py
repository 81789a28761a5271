from django.apps import AppConfig


class CloseoutConfig(AppConfig):
    name = "muster.closeout"
    verbose_name = "Closeout"
