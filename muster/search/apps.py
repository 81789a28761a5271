from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The header's one search box: contracts, people and requests, limited to what the
    person may see. Reads every app; only the demo imports it."""

    name = "muster.search"
    verbose_name = "Search"
