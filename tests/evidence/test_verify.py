"""`manage.py verify_evidence`: a fresh package verifies offline; one byte changed anywhere,
a file removed or added, or another key, and it is refused, naming what changed."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from muster.audit.models import AuditEvent

from .helpers import changed, download, flipped, members, rezip, verify


@pytest.fixture
def package(life, client) -> bytes:
    response = download(client, life["cor"], life["mine"])
    assert response.status_code == 200
    return response.content


def test_a_fresh_package_verifies_offline(package, tmp_path, django_assert_num_queries):
    with django_assert_num_queries(0):
        ok, out, err = verify(tmp_path, package)
    assert ok, err
    assert "package.zip: verified." in out
    assert "audit events" in out

    ok, out, err = verify(tmp_path, package, "--no-key")
    assert ok, err
    assert "verified (hashes only, signatures not checked)" in out
    assert "The signatures were not checked (--no-key)" in out


def test_one_byte_changed_anywhere_is_refused_and_named(package, tmp_path, life):
    submitted = AuditEvent.objects.get(contract=life["mine"], action="onboarding.submit")
    cases = [
        # (the package changed, what the command must name)
        (changed(package, "decisions.csv", b"Denied", b"Denies"),
         ["decisions.csv: changed (its SHA-256 does not match the manifest)"]),
        (flipped(package, "report.pdf"),
         ["report.pdf: changed (its SHA-256 does not match the manifest)"]),
        (changed(package, "audit_events.jsonl", b"Submitted the intake form",
                 b"Submitted the intake farm"),
         ["audit_events.jsonl: changed (its SHA-256 does not match the manifest)",
          f"audit_events.jsonl event {submitted.pk} (line",
          "changed: its hash does not match its content and prev_hash"]),
        (changed(package, "manifest.json", b'"generated_by": "Cora', b'"generated_by": "Dora'),
         ["manifest.json: its signature (manifest.sig) does not match"]),
        (changed(package, "checkpoint.txt", b"No checkpoint", b"No checkpoinT"),
         ["checkpoint.txt: changed"]),
    ]
    for tampered, named in cases:
        ok, out, err = verify(tmp_path, tampered)
        assert not ok, named
        assert "problem(s): the package is not as it was made" in err
        for words in named:
            assert words in err, (words, err)


def test_a_change_the_hashes_alone_catch_without_the_key(package, tmp_path):
    # The manifest made to agree with a changed CSV: only its signature tells.
    files = members(package)
    files["parties.csv"] = files["parties.csv"].replace(b"Sol SO", b"Sal SO")
    manifest = json.loads(files["manifest.json"])
    import hashlib

    manifest["files"]["parties.csv"] = hashlib.sha256(files["parties.csv"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
    forged = rezip(files)

    ok, out, err = verify(tmp_path, forged, "--no-key")
    assert ok  # the hashes agree: without the key nothing can tell
    ok, out, err = verify(tmp_path, forged)
    assert not ok
    assert "manifest.json: its signature (manifest.sig) does not match" in err


def test_a_byte_changed_in_the_zip_itself_is_refused(package, tmp_path):
    raw = bytearray(package)
    raw[len(raw) // 3] ^= 0x01
    ok, out, err = verify(tmp_path, bytes(raw))
    assert not ok
    assert "damaged" in err or "changed" in err or "not a zip" in err


def test_a_removed_and_an_added_file_are_named(package, tmp_path):
    files = members(package)
    del files["grants.csv"]
    files["extra.csv"] = b"name\nsomeone\n"
    ok, out, err = verify(tmp_path, rezip(files))
    assert not ok
    assert "grants.csv: missing (the manifest lists it)" in err
    assert "extra.csv: added (the manifest does not list it)" in err


def test_another_key_fails_the_signature(package, tmp_path, settings):
    settings.AUDIT_CHECKPOINT_KEY = "another-server's-key-" + "x" * 20
    ok, out, err = verify(tmp_path, package)
    assert not ok
    assert "manifest.json: its signature (manifest.sig) does not match" in err


def test_a_checkpoint_with_another_key_is_named(life, client, tmp_path, settings):
    from muster.audit import checkpoints

    checkpoints.make()
    package = download(client, life["cor"], life["mine"]).content
    assert verify(tmp_path, package)[0]
    settings.AUDIT_CHECKPOINT_KEY = "another-server's-key-" + "x" * 20
    ok, out, err = verify(tmp_path, package)
    assert "checkpoint.txt: checkpoint 1 is not signed with this key" in err


@pytest.mark.parametrize("content, says", [
    (b"not a zip at all", "not a zip file"),
    (rezip({"report.pdf": b"%PDF-1.7"}), "not an evidence package: it has no manifest.json"),
    (rezip({"manifest.json": b"{}"}), "manifest.json: not a readable manifest"),
])
def test_bad_input_fails_with_one_clear_line(tmp_path, content, says):
    path = tmp_path / "input.zip"
    path.write_bytes(content)
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_evidence", str(path), stdout=io.StringIO(), stderr=err)
    assert says in str(failure.value) + err.getvalue()


def test_a_missing_file_fails_with_one_clear_line(tmp_path):
    with pytest.raises(CommandError, match="not a zip file"):
        call_command("verify_evidence", str(tmp_path / "nothing.zip"),
                     stdout=io.StringIO(), stderr=io.StringIO())


def test_the_command_exits_0_or_1_with_no_database_at_all(package, tmp_path, settings):
    """As an auditor's copy of the command runs it: no database reachable, only the key."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(package)
    bad.write_bytes(changed(package, "timeline.csv", b"Done", b"Done!"))
    env = {**os.environ, "AUDIT_CHECKPOINT_KEY": settings.AUDIT_CHECKPOINT_KEY,
           "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nothing"}
    manage = Path(__file__).resolve().parents[2] / "manage.py"

    def run(path):
        return subprocess.run([sys.executable, str(manage), "verify_evidence", str(path)],
                              env=env, capture_output=True, text=True, timeout=120)

    ok = run(good)
    assert (ok.returncode, ok.stderr) == (0, "")
    assert "verified" in ok.stdout
    refused = run(bad)
    assert refused.returncode == 1
    assert "timeline.csv: changed" in refused.stderr
    assert "Traceback" not in refused.stderr
