from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "muster.catalog"
    verbose_name = "Services catalog"

    def ready(self):
        # The footer's contacts are kept a minute; a save or delete here forgets them.
        from . import context_processors  # noqa: F401 (connects its signal receivers)
