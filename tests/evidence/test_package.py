"""The evidence package of a contract that lived its whole life: every file, the right rows,
a tagged report, and the download on the audit record."""

import csv
import io
import json
import time

from django.urls import reverse
from pypdf import PdfReader

from muster.audit.models import AuditEvent
from muster.evidence import format as fmt

from ..factories import signed_in
from ..pages import text_of
from .conftest import DENIAL
from .helpers import download, members

CSV_FILES = ["contract.csv", "parties.csv", "timeline.csv", "decisions.csv",
             "welcome_packages.csv", "grants.csv", "grant_history.csv", "duas.csv",
             "closeout.csv"]


def rows(files, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8-sig"))))


def test_the_package_holds_every_file_with_the_right_rows(life, client):
    mine = life["mine"]
    events_before = AuditEvent.objects.filter(contract=mine).count()

    response = download(client, life["cor"], mine)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="evidence-{mine.contract_number}-2027-12-03.zip"')
    files = members(response.content)
    assert sorted(files) == sorted([*CSV_FILES, "report.pdf", "audit_events.jsonl",
                                    "checkpoint.txt", "manifest.json", "manifest.sig"])
    [contract] = rows(files, "contract.csv")
    assert contract["Contract number"] == mine.contract_number
    assert contract["Organization"] == "Tidewater Health IT"
    assert contract["Stage"] == "Closed"
    parties = {r["Role"]: r["Name"] for r in rows(files, "parties.csv")}
    assert parties["Security Official (SO)"] == "Sol SO"
    assert parties["Contracting Officer's Representative (COR)"] == "Cora COR"
    steps = {r["Step"]: r for r in rows(files, "timeline.csv")}
    submitted = steps["Complete and submit the intake form"]
    assert submitted["State"] == "Done"
    assert submitted["Done at"] == "2026-10-05 12:00:00 UTC"
    assert submitted["Done by"].startswith("Cora COR <")
    decisions = rows(files, "decisions.csv")
    denial = next(r for r in decisions if r["Subject"] == "Confluence")
    assert (denial["Decision"], denial["Reason or notes"]) == ("Denied", DENIAL)
    assert denial["By"].startswith(life["confluence_lead"].full_name)
    assert any(r["Decision"] == "Approved by the team lead" for r in decisions)
    assert any(r["Kind"] == "Eligibility meeting" for r in decisions)
    [package] = rows(files, "welcome_packages.csv")
    assert (package["Version"], package["Services"]) == ("1", "SAS Viya")
    grants = rows(files, "grants.csv")
    assert [(g["User"], g["Service"], g["Status"]) for g in grants] == [
        ("Cody User", "SAS Viya", "Revoked"), ("Cody User", "SAS Viya", "Revoked")]
    history = [(h["Grant"], h["Action"]) for h in rows(files, "grant_history.csv")]
    first, second = (str(g.pk) for g in life["grants"])
    assert history == [(first, "access.requested"), (first, "access.confirmed"),
                       (first, "access.revoked"), (second, "access.requested"),
                       (second, "access.confirmed"), (second, "access.revoked")]
    [dua] = rows(files, "duas.csv")
    assert (dua["DUA number"], dua["Services"], dua["Expiry date"]) == (
        "DUA-2026-7", "SAS Viya", "2028-06-30")
    [closeout] = rows(files, "closeout.csv")
    assert closeout["Scenario"] == "Ends with no new award"
    assert closeout["Status"] == "Access removed"
    assert closeout["Removal confirmed by"].startswith(life["onboarding_team"].full_name)
    lines = [json.loads(line) for line in files["audit_events.jsonl"].splitlines()]
    assert len(lines) == events_before
    assert [line["id"] for line in lines] == sorted(line["id"] for line in lines)
    assert set(lines[0]) == set(fmt.EVENT_FIELDS)
    manifest = json.loads(files["manifest.json"])
    assert manifest["contract"]["contract_number"] == mine.contract_number
    assert manifest["generated_by"].startswith("Cora COR")
    assert sorted(manifest["files"]) == sorted(set(files) - {"manifest.json", "manifest.sig"})
    assert manifest["audit_events"] == events_before


def test_the_download_is_on_the_audit_record_with_the_manifest_digest(life, client):
    response = download(client, life["onboarding_team"], life["mine"])

    files = members(response.content)
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "evidence.exported"
    assert event.actor == life["onboarding_team"]
    assert event.contract == life["mine"]
    assert event.after["manifest_sha256"] == fmt.sha256(files["manifest.json"])
    history = text_of(signed_in(client, life["cor"]).get(
        reverse("contracts:history", args=[life["mine"].pk])))
    number = life["mine"].contract_number
    assert f"Downloaded the evidence package evidence-{number}-2027-12-03.zip" in history


def test_the_checkpoint_file_says_whether_it_covers_the_newest_event(life, client):
    from muster.audit import checkpoints

    before = members(download(client, life["cor"], life["mine"]).content)
    assert b"No checkpoint of the audit record has been made yet" in before["checkpoint.txt"]

    checkpoints.make()
    after = members(download(client, life["cor"], life["mine"]).content)
    text = after["checkpoint.txt"].decode()
    assert text.startswith("muster-audit-checkpoint:1:")
    # The first download's event is the contract's newest, and the checkpoint covers it.
    assert "It covers the contract's newest event" in text


def test_the_report_is_a_tagged_pdf_that_names_the_parties(life, client):
    files = members(download(client, life["cor"], life["mine"]).content)

    reader = PdfReader(io.BytesIO(files["report.pdf"]))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert reader.metadata.title == f"Evidence report: Mine ({life['mine'].contract_number})"
    # A table cell wraps a long word after a hyphen.
    words = " ".join(page.extract_text() for page in reader.pages).replace("-\n", "-")
    for name in ("Cora COR", "Sol SO", "Pat POC", "Tidewater Health IT", "DUA-2026-7",
                 "Ends with no new award"):
        assert name in words


def test_the_package_is_ready_in_well_under_a_few_seconds(life, client):
    download(client, life["cor"], life["mine"])  # WeasyPrint imported, as on a server
    # CPU time, not the wall clock: other processes sharing the machine do not count.
    start = time.process_time()
    download(client, life["cor"], life["mine"])
    spent = time.process_time() - start
    print(f"package built in {spent:.2f} s of CPU")
    assert spent < 3


def test_a_cell_a_spreadsheet_would_run_is_quoted(life, client):
    from muster.contracts import services as contracts

    contracts.update_contract(life["cor"], life["mine"], type_of_work="=HYPERLINK(1)")
    files = members(download(client, life["cor"], life["mine"]).content)
    [contract] = rows(files, "contract.csv")
    assert contract["Type of work"] == "'=HYPERLINK(1)"


def test_the_cor_and_the_team_may_take_it_and_no_one_else(life, client):
    for role in ("cor", "onboarding_team", "team_lead", "administrator"):
        response = download(client, life[role], life["mine"])
        assert response.status_code == 200, role
        assert response["Content-Type"] == "application/zip"
    count = AuditEvent.objects.count()
    for role, status in [
        ("so", 403), ("poc", 403), ("spoc", 403), ("sas_lead", 403),
        # They cannot see the contract at all (as every contract page answers them).
        ("contractor_user", 404), ("other_cor", 404), ("outsider", 404),
    ]:
        assert download(client, life[role], life["mine"]).status_code == status, role
        assert AuditEvent.objects.count() == count, role


def test_the_page_explains_the_package_and_writes_nothing(life, client):
    count = AuditEvent.objects.count()
    response = signed_in(client, life["cor"]).get(
        reverse("evidence:package", args=[life["mine"].pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert "Evidence package of Mine" in page
    assert "Download evidence package" in page
    assert AuditEvent.objects.count() == count


def test_the_contract_page_offers_the_button_only_to_who_may(life, client):
    url = life["mine"].get_absolute_url()
    assert "Download evidence package" in text_of(signed_in(client, life["cor"]).get(url))
    assert "Download evidence package" not in text_of(signed_in(client, life["so"]).get(url))
