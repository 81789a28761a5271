"""The database connection's own settings that Django's OPTIONS cannot carry."""

from django.db.backends.base.base import BaseDatabaseWrapper

# How many prepared statements psycopg keeps per connection, least recently used out
# (its default is 100): the load benchmark's thirteen pages alone run about 140, and a statement
# pushed out is planned afresh for its next five runs before PostgreSQL keeps a plan again.
PREPARED_MAX = 1000


def keep_prepared_statements(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """On each new PostgreSQL connection with prepared statements on
    (DB_PREPARED_STATEMENTS), keep up to PREPARED_MAX of them."""
    if connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get(
            "prepare_threshold") is not None:
        connection.connection.prepared_max = PREPARED_MAX
