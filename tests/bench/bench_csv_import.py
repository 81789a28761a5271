"""Benchmark: the SO's CSV import of 10,000 users, through the real pages.

Not a test. Run it against a database of its own (it adds a contract and users to it):

    # SQLite (a fresh file, migrated by the script)
    .venv/bin/python -m tests.bench.bench_csv_import
    # PostgreSQL (create the database first; the script migrates it)
    createdb -h 127.0.0.1 -U postgres muster_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_bench \
        .venv/bin/python -m tests.bench.bench_csv_import

Options: --rows N (default 10,000), --runs N (default 3; the best and median are shown),
--profile (print a cProfile of the first run's import, the confirmation, by own time and
by cumulative time). A tiny run for CI, on a fresh SQLite file, takes a few seconds:

    .venv/bin/python -m tests.bench.bench_csv_import --rows 200 --runs 1

It times, through Django's test client as the SO: the upload (parse, check every row,
store the preview), the preview page, and the confirmation (the import itself), and
counts the SQL queries of each; for the import also the CPU time of this process (the
rest is the database's work and waiting for a CPU) and the load average before it: other
work on the machine changes the times a lot, so quote them with the load.
"""

import argparse
import atexit
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
if "DATABASE_URL" not in os.environ:
    # A fresh file, removed when the script ends.
    _SQLITE = f"{tempfile.gettempdir()}/muster_bench_{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{_SQLITE}"
    atexit.register(lambda: [Path(_SQLITE + end).unlink(missing_ok=True)
                             for end in ("", "-wal", "-shm")])

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from muster.accounts.models import ContractRole, User  # noqa: E402
from muster.catalog.models import Service  # noqa: E402
from muster.contracts import services as contract_services  # noqa: E402
from muster.contracts.models import ContractService  # noqa: E402


def make_contract(tag: str):
    so = User.objects.create_user(f"so-{tag}@bench.example.com", full_name="Bench SO",
                                  harp_id=f"BSO{tag}"[:64])
    contract = contract_services.create_contract(
        None, name=f"Bench {tag}", contract_number=f"BENCH-{tag}"[:60],
    )
    ContractRole.objects.create(user=so, contract=contract, role=ContractRole.Role.SO)
    ContractService.objects.create(contract=contract, service=Service.objects.get(
        slug="confluence"), status=ContractService.Status.APPROVED)
    return contract, so


def csv_bytes(rows: int, tag: str) -> bytes:
    lines = ["full_name,email,harp_id,services"]
    lines += [f"User {n} {tag},u{n}.{tag}@bench.example.com,H{tag}{n:06d},Confluence"
              for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def timed(fn):
    with CaptureQueriesContext(connection) as queries:
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return result, elapsed, len(queries), cpu


def profiled(fn, top: int = 40):
    """Run fn under cProfile and print where its time went."""
    profile = cProfile.Profile()
    result = profile.runcall(fn)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"--- import profile, by {order} ---")
        print(out.getvalue().split("\n\n", 1)[-1].rstrip())
    return result


def one_run(rows: int, profile: bool = False) -> dict:
    tag = uuid.uuid4().hex[:8]
    contract, so = make_contract(tag)
    client = Client()
    client.force_login(so)
    data = csv_bytes(rows, tag)
    upload_url = reverse("access:import", args=[contract.pk])

    response, upload_s, upload_q, _ = timed(lambda: client.post(upload_url, {
        "file": SimpleUploadedFile("users.csv", data, content_type="text/csv")}))
    assert response.status_code == 302, response.status_code
    preview_url = response.url
    response, preview_s, preview_q, _ = timed(lambda: client.get(preview_url))
    assert response.status_code == 200 and f"Import {rows:,}".replace(",", "") in \
        response.content.decode().replace(",", ""), "the preview offers the import"
    def confirm():
        return client.post(preview_url, {"action": "confirm"})

    load = os.getloadavg()[0]
    response, import_s, import_q, import_cpu = timed(
        (lambda: profiled(confirm)) if profile else confirm)
    assert response.status_code == 302
    added = ContractRole.objects.filter(contract=contract,
                                        role=ContractRole.Role.CONTRACTOR_USER).count()
    assert added == rows, added
    return {"upload": (upload_s, upload_q), "preview": (preview_s, preview_q),
            "import": (import_s, import_q), "bytes": len(data), "import_cpu": import_cpu,
            "load": load}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="print a profile of the first run's import (slower)")
    args = parser.parse_args(argv)
    # Settings' DEBUG is off, so queries are counted only inside CaptureQueriesContext.
    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    print(f"Roster CSV import benchmark: {args.rows:,} rows, {args.runs} run(s), "
          f"{vendor} ({connection.settings_dict['NAME']}), {os.cpu_count()} CPU(s)")
    results = []
    for n in range(args.runs):
        result = one_run(args.rows, profile=args.profile and n == 0)
        results.append(result)
        print(f"  run {n + 1}: upload (parse + check + store) {result['upload'][0]:.2f} s "
              f"/ {result['upload'][1]} queries; preview page {result['preview'][0]:.2f} s "
              f"/ {result['preview'][1]} queries; import {result['import'][0]:.2f} s "
              f"/ {result['import'][1]} queries, {result['import_cpu']:.2f} s of this "
              f"process's CPU ({result['bytes'] / 1024:.0f} KiB file; load average "
              f"{result['load']:.2f} before the import)")
    for step in ("upload", "preview", "import"):
        times = [r[step][0] for r in results]
        print(f"{step:>8}: best {min(times):.2f} s, median {statistics.median(times):.2f} s")
    loads = [r["load"] for r in results]
    cpus = [r["import_cpu"] for r in results]
    print(f"  import CPU (this process): best {min(cpus):.2f} s, median "
          f"{statistics.median(cpus):.2f} s; load average {min(loads):.2f}-{max(loads):.2f} "
          f"({os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
