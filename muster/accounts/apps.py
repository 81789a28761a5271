from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sort_key_triggers(using, **kwargs):
    """After every `migrate` (and a test's flush): the roster's sort-key triggers are there
    (accounts/sort_keys.py). A migration that rebuilds accounts_user or
    accounts_contractrole on SQLite drops them; this puts them back."""
    from django.db import connections

    from . import sort_keys

    sort_keys.install(connections[using])


class AccountsConfig(AppConfig):
    name = "muster.accounts"
    verbose_name = "People and roles"

    def ready(self):
        post_migrate.connect(_sort_key_triggers, sender=self,
                             dispatch_uid="muster.accounts.sort_key_triggers")
