"""On PostgreSQL, a query a connection runs again is prepared on the server, so PostgreSQL
can keep its plan instead of planning the page's joins on every request (issue 17); an
operator behind a pooler that cannot carry prepared statements turns it off with
DB_PREPARED_STATEMENTS=0 (docs/deploy.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from muster.catalog.models import Service
from muster.operations.database import PREPARED_MAX

ROOT = Path(__file__).resolve().parents[2]
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="prepared statements are PostgreSQL's")


def prepared_on_server() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@on_postgresql
@pytest.mark.django_db
def test_a_query_run_again_is_prepared_with_its_values_bound_by_the_server():
    def read() -> list[Service]:
        return list(Service.objects.filter(slug="prepared-statement-probe"))

    def prepared() -> list[str]:
        return [s for s in prepared_on_server() if '"catalog_service"."slug" = $1' in s]

    read()
    assert prepared() == []  # run once: not worth preparing
    read()
    read()
    assert len(prepared()) == 1, prepared_on_server()
    assert "prepared-statement-probe" not in prepared()[0]  # the value is a parameter
    assert connection.connection.prepared_max == PREPARED_MAX


def options_with(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DB_PREPARED_STATEMENTS"}
    env |= {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/muster_unused", **environment}
    found = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " o = settings.DATABASES['default']['OPTIONS'];"
         " print(o.get('server_side_binding'), o.get('prepare_threshold'))"],
        cwd=ROOT, env=env | {"DJANGO_SETTINGS_MODULE": "muster.settings"},
        capture_output=True, text=True, timeout=60, check=True)
    return found.stdout.strip()


def test_prepared_statements_are_on_by_default_and_off_with_zero():
    assert options_with() == "True 2"
    assert options_with(DB_PREPARED_STATEMENTS="0") == "None None"
