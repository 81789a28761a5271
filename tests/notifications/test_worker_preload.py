"""The worker imports what its tasks would import on first use before it takes a task: RQ
runs each task in a child forked from the worker, so without it every welcome package paid
WeasyPrint's import (0.3 to 0.5 s of CPU) in its own child (docs/benchmarks.md)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh process: Django set up as the worker is, its backend's worker replaced by one
# that says whether WeasyPrint is imported when the first task could start.
FRESH = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
import django
django.setup()
from muster.notifications import backends
print("at start:", "weasyprint" in sys.modules)
backends.call_command = lambda *a, **k: print("first task:", "weasyprint" in sys.modules)
backends.run_worker("test")
"""


def test_the_worker_has_weasyprint_imported_before_its_first_task():
    done = subprocess.run([sys.executable, "-c", FRESH], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                       "TASK_BACKEND": "database"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["at start: False", "first task: True"]
