"""The roster's order, kept on each role by the database: ContractRole.sort_name and
sort_email are its person's name in lower case and email address.

A roster page lists 50 people by name. Sorting them from the users table read every
member's name first (2,000 index probes, 2.6 ms for a roster of 2,000, issue 17); from
these two columns the index roster_by_name hands the first 50 in order.

Triggers keep them, not the application: a name or an email changes through the profile
page, the admin, SCIM, single sign-on, a `QuerySet.update()` or an import's COPY, and the
database sees every one. They are installed by migration 0010 and checked after every
`migrate` (AccountsConfig): SQLite drops a table's triggers when a migration rebuilds the
table, and the check puts them back and recomputes the columns.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

# What the columns hold: the same expressions the roster's rows are ordered by
# (access.queries._by_name), computed by the same database.
_BACKFILL = (
    "UPDATE accounts_contractrole SET "
    "sort_name = (SELECT lower(u.full_name) FROM accounts_user u "
    "WHERE u.id = accounts_contractrole.user_id), "
    "sort_email = (SELECT u.email FROM accounts_user u "
    "WHERE u.id = accounts_contractrole.user_id)"
)

_POSTGRESQL = {
    "contractrole_sort_key": [
        """CREATE OR REPLACE FUNCTION muster_contractrole_sort_key() RETURNS trigger AS $$
        BEGIN
            SELECT lower(u.full_name), u.email INTO NEW.sort_name, NEW.sort_email
            FROM accounts_user u WHERE u.id = NEW.user_id;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS contractrole_sort_key ON accounts_contractrole",
        """CREATE TRIGGER contractrole_sort_key BEFORE INSERT OR UPDATE
        ON accounts_contractrole FOR EACH ROW EXECUTE FUNCTION muster_contractrole_sort_key()""",
    ],
    "user_sort_key": [
        """CREATE OR REPLACE FUNCTION muster_user_sort_key() RETURNS trigger AS $$
        BEGIN
            UPDATE accounts_contractrole SET sort_name = lower(NEW.full_name),
                sort_email = NEW.email WHERE user_id = NEW.id;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS user_sort_key ON accounts_user",
        # Django's save() writes every column: only a real change of name or email counts.
        """CREATE TRIGGER user_sort_key AFTER UPDATE OF full_name, email ON accounts_user
        FOR EACH ROW WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name
                           OR OLD.email IS DISTINCT FROM NEW.email)
        EXECUTE FUNCTION muster_user_sort_key()""",
    ],
}

# SQLite cannot change NEW in a BEFORE trigger: the role's row is updated after it is
# written (a trigger's own UPDATE does not fire triggers again: recursive_triggers is off).
_SET_FROM_USER = (
    "UPDATE accounts_contractrole SET "
    "sort_name = (SELECT lower(full_name) FROM accounts_user WHERE id = NEW.user_id), "
    "sort_email = (SELECT email FROM accounts_user WHERE id = NEW.user_id) "
    "WHERE id = NEW.id;"
)
_SQLITE = {
    "contractrole_sort_key_insert": [
        "CREATE TRIGGER IF NOT EXISTS contractrole_sort_key_insert AFTER INSERT ON "
        f"accounts_contractrole BEGIN {_SET_FROM_USER} END",
    ],
    "contractrole_sort_key_update": [
        "CREATE TRIGGER IF NOT EXISTS contractrole_sort_key_update AFTER UPDATE ON "
        f"accounts_contractrole BEGIN {_SET_FROM_USER} END",
    ],
    "user_sort_key": [
        "CREATE TRIGGER IF NOT EXISTS user_sort_key AFTER UPDATE OF full_name, email ON "
        "accounts_user WHEN OLD.full_name IS NOT NEW.full_name OR OLD.email IS NOT NEW.email "
        "BEGIN UPDATE accounts_contractrole SET sort_name = lower(NEW.full_name), "
        "sort_email = NEW.email WHERE user_id = NEW.id; END",
    ],
}


def _triggers(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    return _POSTGRESQL if connection.vendor == "postgresql" else _SQLITE


def installed(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of this database's sort-key triggers that exist."""
    sql = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
           if connection.vendor == "postgresql" else
           "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {name for (name,) in cursor.fetchall()} & set(_triggers(connection))


def _has_columns(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        if "accounts_contractrole" not in connection.introspection.table_names(cursor):
            return False
        columns = connection.introspection.get_table_description(cursor, "accounts_contractrole")
    return "sort_name" in {column.name for column in columns}


def install(connection: BaseDatabaseWrapper) -> bool:
    """Create the missing triggers and, if any was missing, recompute every role's sort
    key (a change made while they were missing). Whether anything was missing."""
    if not _has_columns(connection):  # migrated back before 0010, or to zero
        return False
    present = installed(connection)
    missing = [name for name in _triggers(connection) if name not in present]
    if not missing:
        return False
    with connection.cursor() as cursor:
        for name in missing:
            for statement in _triggers(connection)[name]:
                cursor.execute(statement)
        cursor.execute(_BACKFILL)
    return True


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Migration 0010 reversed."""
    statements = (
        ["DROP TRIGGER IF EXISTS contractrole_sort_key ON accounts_contractrole",
         "DROP TRIGGER IF EXISTS user_sort_key ON accounts_user",
         "DROP FUNCTION IF EXISTS muster_contractrole_sort_key()",
         "DROP FUNCTION IF EXISTS muster_user_sort_key()"]
        if connection.vendor == "postgresql" else
        [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
