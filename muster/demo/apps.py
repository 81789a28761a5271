from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Made-up people and contracts for `make run` (`manage.py load_demo`). The top of the
    layers: the only app that may import every other, as its story plays them all."""

    name = "muster.demo"
    verbose_name = "Demo data"
