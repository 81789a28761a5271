"""muster/clock.py is the only source of "now": nothing else in muster/ reads the time."""

import ast
import datetime
from pathlib import Path

import pytest

from muster import clock
from muster.contracts.models import Contract

from .factories import make_contract

MUSTER = Path(clock.__file__).parent

# Attribute reads that give the current time, by the name they are read from.
READS_OF_NOW = {"timezone": {"now"}, "datetime": {"now", "today", "utcnow"},
                "date": {"today"}, "time": {"time", "time_ns"}}
# These give the current time only when called without a value.
NOW_WHEN_CALLED_BARE = {"localdate", "localtime"}
# Names whose import brings a reading of the time in (localtime and localdate also convert
# a given moment, so only their bare calls count, above).
IMPORTS_OF_NOW = {"django.utils.timezone": {"now"},
                  "time": {"time", "time_ns"}}


def _readings_of_now(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(
                node.value, "id", None)
            if node.attr in READS_OF_NOW.get(owner, ()):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and not node.args and not node.keywords:
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name in NOW_WHEN_CALLED_BARE:
                lines.append(node.lineno)
        elif isinstance(node, ast.keyword) and node.arg in ("auto_now", "auto_now_add"):
            lines.append(node.value.lineno)  # Django stamps these with timezone.now
        elif isinstance(node, ast.ImportFrom) and any(
                alias.name in IMPORTS_OF_NOW.get(node.module, ()) for alias in node.names):
            lines.append(node.lineno)
    return lines


def test_nothing_in_muster_but_the_clock_reads_the_time():
    strays = [f"{path.relative_to(MUSTER.parent)}:{line}"
              for path in sorted(MUSTER.rglob("*.py"))
              if path != MUSTER / "clock.py" and "migrations" not in path.parts
              for line in _readings_of_now(ast.parse(path.read_text(), str(path)))]
    assert strays == [], "read the time through muster.clock instead: " + ", ".join(strays)


@pytest.mark.parametrize("source", [
    "from django.utils import timezone\nx = models.DateTimeField(default=timezone.now)",
    "import datetime\ndatetime.date.today()",
    "from datetime import datetime\ndatetime.now()",
    "from django.utils import timezone\ntimezone.localdate()",
    "from django.utils.timezone import now",
    "import time\ntime.time()",
    "updated_at = models.DateTimeField(auto_now=True)",
    "created_at = models.DateTimeField(auto_now_add=True)",
])
def test_the_scan_finds_each_way_of_reading_the_time(source):
    assert _readings_of_now(ast.parse(source))


@pytest.mark.parametrize("source", [
    "timezone.localdate(row.submitted_at)",
    "from datetime import time\ndatetime.time(12, 0)",
    "clock.now()",
])
def test_the_scan_lets_what_is_not_a_reading_of_now_through(source):
    assert not _readings_of_now(ast.parse(source))


@pytest.mark.django_db
def test_a_new_record_is_stamped_with_the_frozen_moment(freeze_today):
    freeze_today(datetime.date(2030, 1, 2))
    contract = make_contract()
    stamped = Contract.objects.get(pk=contract.pk)
    assert stamped.created_at == datetime.datetime(2030, 1, 2, 12, 0, tzinfo=datetime.UTC)
    assert stamped.updated_at == stamped.created_at
