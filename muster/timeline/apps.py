from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "muster.timeline"
    verbose_name = "Timeline"
