"""The welcome package's PDF in a fresh process: what a worker (or any new process) pays
for its first package, and then for the next.

Each run is a new Python process that sets Django up, imports WeasyPrint, renders the
package document (the real template, a contract with six approved services) to a tagged
PDF (PDF/UA-1) twice, and prints the times, wall clock and CPU. No database is used.

Python only reads compiled bytecode it finds next to the sources (or under
PYTHONPYCACHEPREFIX); an environment installed without it (`uv sync` without
`--compile-bytecode`) and run with PYTHONDONTWRITEBYTECODE=1 compiles every module of
Django and WeasyPrint again in each new process. When the installed packages have no
bytecode, the benchmark also measures with it (compiled once into a temporary
PYTHONPYCACHEPREFIX, outside the environment), which is what `make install` now gives.

The last row is the RQ worker's way: the worker imports WeasyPrint once at its start
(`muster.notifications.backends.preload`) and runs each task in a child forked from it, so
a package pays the first render alone.

    .venv/bin/python -m tests.bench.bench_welcome_pdf            # 5 runs of each
    .venv/bin/python -m tests.bench.bench_welcome_pdf --tiny     # 1 run of each (CI)
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, time
w0, c0 = time.perf_counter(), time.process_time()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
import django
django.setup()
w1, c1 = time.perf_counter(), time.process_time()
from django.template.loader import render_to_string
person = lambda name: {"full_name": name, "email": name.lower().replace(" ", ".") + "@example.com"}
context = {
    "contract": {"name": "Benchmark analytics support", "contract_number": "75FCMC26C0001",
                 "task_order_number": "75FCMC26F0001",
                 "organization": {"name": "Tidewater Analytics", "harp_name": "TIDEWATER"}},
    "version": 1, "kind": "initial", "is_addendum": False,
    "services": [{"name": f"Service {i}", "description": "An approved service, with a "
                  "description of a few lines as the catalog has them. " * 3,
                  "eua_job_code": f"JOB_{i}" if i % 2 else "", "requires_dua": i % 3 == 0}
                 for i in range(6)],
    "so": person("Sol Official"), "spoc": person("Spike Contact"), "cor": person("Cora Rep"),
    "responsibilities": ["Keep the roster accurate."] * 5,
    "instructions": ["Add each user with their name, email and HARP ID."] * 5,
    "help_contacts": [{"title": "Service desk", "audience": "Everyone", "phone": "410-555-0100",
                       "email": "help@example.com", "slack_channel": "#help"}],
    "sent_at": None,
}
html = render_to_string("onboarding/welcome_package_document.html", context)
from muster.onboarding.package import render_pdf
w2, c2 = time.perf_counter(), time.process_time()
import weasyprint  # what render_pdf imports on its first call
w3, c3 = time.perf_counter(), time.process_time()
first = render_pdf(html)
w4, c4 = time.perf_counter(), time.process_time()
second = render_pdf(html)
w5, c5 = time.perf_counter(), time.process_time()
import io
from pypdf import PdfReader
assert "/StructTreeRoot" in PdfReader(io.BytesIO(first)).trailer["/Root"], "not a tagged PDF"
print(json.dumps({
    "setup": [w1 - w0, c1 - c0], "import": [w3 - w2, c3 - c2],
    "first": [w4 - w3, c4 - c3], "second": [w5 - w4, c5 - c4], "bytes": len(first),
}))
"""


# The RQ worker's way: the worker preloads (muster.notifications.backends.preload) and each
# task runs in a child forked from it. The child's first render is what a package costs.
FORKED = CHILD.replace(
    "import weasyprint  # what render_pdf imports on its first call\n",
    "from muster.notifications import backends\nbackends.preload()\n",
).replace(
    "first = render_pdf(html)\n",
    # The child's CPU clock starts again at the fork: keep the parent's import as measured.
    "took = (w3 - w2, c3 - c2)\n"
    "pid = os.fork()\n"
    "if pid:\n    os._exit(os.waitpid(pid, 0)[1] >> 8)\n"
    "w3, c3 = time.perf_counter(), time.process_time()\n"
    "w2, c2 = w3 - took[0], c3 - took[1]\n"
    "first = render_pdf(html)\n",
)
assert FORKED.count("os.fork()") == 1 and "backends.preload()" in FORKED


def installed_bytecode() -> bool:
    """Whether WeasyPrint's modules have compiled bytecode beside them."""
    spec = importlib.util.find_spec("weasyprint")
    source = Path(spec.origin)
    return Path(importlib.util.cache_from_source(str(source))).exists()


def run_once(env: dict, child: str = CHILD) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", child], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"The fresh process failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(label: str, env: dict, runs: int, child: str = CHILD,
            import_per_package: bool = True) -> list:
    results = [run_once(env, child) for _ in range(runs)]

    def median(key, i):
        return statistics.median(r[key][i] for r in results)

    row = [label, runs]
    for key in ("setup", "import", "first", "second"):
        row.append(f"{median(key, 0):.2f} ({median(key, 1):.2f})")
    paid = ("import", "first") if import_per_package else ("first",)
    fresh = statistics.median(sum(r[key][0] for key in paid) for r in results)
    fresh_cpu = statistics.median(sum(r[key][1] for key in paid) for r in results)
    row.append(f"**{fresh:.2f}** ({fresh_cpu:.2f})")
    return row


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per mode")
    parser.add_argument("--tiny", action="store_true", help="one run of each mode (CI)")
    args = parser.parse_args(argv)
    runs = 1 if args.tiny else args.runs
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    rows = [measure("as installed" + ("" if installed_bytecode() else ", no bytecode"), env, runs)]
    if not installed_bytecode():
        with tempfile.TemporaryDirectory(prefix="muster-pycache-") as cache:
            compiled = {**env, "PYTHONPYCACHEPREFIX": cache}
            compiled.pop("PYTHONDONTWRITEBYTECODE", None)
            run_once(compiled)  # compiles every module once, untimed
            rows.append(measure("with compiled bytecode", compiled, runs))
    # The import is the worker's, once at its start; a package pays the first render.
    rows.append(measure("RQ task: forked from the preloaded worker", env, runs, FORKED,
                        import_per_package=False))

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"Welcome package PDF in a fresh process: median seconds, wall (CPU); load average {load}"
    )
    print(
        "| mode | runs | Django setup | import WeasyPrint | first render | second render "
        "| a package's first PDF: import + first render (RQ: first render) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


if __name__ == "__main__":
    main()
