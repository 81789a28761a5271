"""Building one contract's evidence package: the zip an auditor downloads.

report.pdf (tagged PDF/UA-1), one CSV file per part of the report, audit_events.jsonl (the
contract's audit events with what their hashes are computed from), checkpoint.txt (the
latest signed checkpoint of the audit chain), manifest.json (the SHA-256 of every other
file) and manifest.sig (its HMAC). `verify_evidence` checks one offline (verify.py).
"""

import csv
import datetime
import io
import json
import zipfile
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.text import get_valid_filename

from muster import clock
from muster.audit import checkpoints
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract
from muster.spreadsheets import inert

from . import format as fmt
from .queries import Evidence, Table, collect


@dataclass(frozen=True)
class Package:
    filename: str
    content: bytes
    manifest_sha256: str
    files: dict[str, str]  # name → SHA-256, as the manifest lists them
    events: int


def filename(contract: Contract, day: datetime.date) -> str:
    number = get_valid_filename(contract.contract_number) or f"contract-{contract.pk}"
    return f"evidence-{number}-{day:%Y-%m-%d}.zip"


def csv_bytes(table: Table) -> bytes:
    """The table as CSV (UTF-8 with a byte-order mark, for spreadsheets), every cell that a
    spreadsheet would run as a formula quoted as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([inert(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def events_bytes(events: list[AuditEvent]) -> bytes:
    return "".join(json.dumps(fmt.event_line(e), sort_keys=True, ensure_ascii=False) + "\n"
                   for e in events).encode("utf-8")


def checkpoint_text(events: list[AuditEvent]) -> tuple[str, checkpoints.Head | None]:
    latest = checkpoints.latest()
    if latest is None:
        return ("No checkpoint of the audit record has been made yet: the events' hashes "
                "are all this package can show.\n"), None
    head = checkpoints.Head.of(latest)
    lines = [head.token, "", f"The latest signed {head.label}."]
    newest = events[-1].pk if events else None
    if newest is None:
        lines.append("The contract has no audit events.")
    elif head.last_event_id >= newest:
        lines.append(f"It covers the contract's newest event (record {newest}).")
    else:
        later = sum(1 for e in events if e.pk > head.last_event_id)
        lines.append(f"It does not cover the contract's newest {later} event(s), after "
                     f"record {head.last_event_id} (up to record {newest}): the next "
                     "checkpoint will.")
    return "\n".join(lines) + "\n", head


def report_pdf(evidence: Evidence, context: dict) -> bytes:
    html = render_to_string("evidence/report.html", {
        **context, "contract": evidence.contract, "tables": evidence.tables,
        "events": evidence.events,
    })
    # Imported here: WeasyPrint takes over a second to import (as the welcome package's).
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def build(actor, contract: Contract) -> Package:
    """The package as it stands now (reads only; the service records the download)."""
    evidence = collect(contract)
    now = clock.now().astimezone(datetime.UTC).replace(microsecond=0)
    checkpoint, head = checkpoint_text(evidence.events)
    generated = {"at": now.isoformat(), "by": f"{actor.get_full_name()} <{actor.email}>"}
    files: dict[str, bytes] = {
        fmt.REPORT: report_pdf(evidence, {
            "generated": generated, "head": head, "checkpoint_text": checkpoint,
        }),
        **{t.filename: csv_bytes(t) for t in evidence.tables},
        fmt.EVENTS: events_bytes(evidence.events),
        fmt.CHECKPOINT: checkpoint.encode("utf-8"),
    }
    c = evidence.contract
    hashes = {name: fmt.sha256(data) for name, data in sorted(files.items())}
    manifest = {
        "format": fmt.FORMAT, "version": fmt.VERSION,
        "contract": {"id": c.pk, "name": c.name, "contract_number": c.contract_number},
        "generated_at": generated["at"], "generated_by": generated["by"],
        "audit_events": len(evidence.events),
        "checkpoint": head.number if head else None,
        "files": hashes,
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n").encode("utf-8")
    files[fmt.MANIFEST] = manifest_bytes
    files[fmt.SIGNATURE] = (fmt.sign(manifest_bytes) + "\n").encode()
    buffer = io.BytesIO()
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return Package(filename(c, now.date()), buffer.getvalue(), fmt.sha256(manifest_bytes),
                   hashes, len(evidence.events))
