"""Data Use Agreements: a lapse pauses access on DUA services at once; a new valid DUA
resumes exactly what the lapse paused. Through HTTP as the real roles, and the daily check."""

import datetime
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.access import dua as dua_service
from muster.access import queries
from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import ContractRole
from muster.audit import services as audit
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts.models import ContractService, DataUseAgreement
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from tests.factories import TODAY, UserFactory, give_role, pdf_bytes, pdf_upload, request_service
from tests.pages import text_of

EXPIRY = datetime.date(2026, 12, 31)


def service(slug) -> Service:
    return Service.objects.get(slug=slug)


def make_dua(contract, number="DUA-1", expiry=EXPIRY, effective=datetime.date(2026, 1, 1),
             services=("sas-viya",), uploaded_by=None) -> DataUseAgreement:
    dua = DataUseAgreement(contract=contract, number=number, effective_date=effective,
                           expiry_date=expiry, uploaded_by=uploaded_by,
                           uploaded_at=datetime.datetime(2026, 1, 2, 15, tzinfo=datetime.UTC))
    dua.document.save(f"{number}.pdf", ContentFile(pdf_bytes()), save=False)
    dua.save()
    dua.services.set([service(s) for s in services])
    return dua


def grant(contract, user, slug, status, reason="", requested_by=None) -> AccessGrant:
    return AccessGrant.objects.create(
        contract=contract, user=user, service=service(slug), status=status,
        pause_reason=reason, requested_by=requested_by or user,
        activated_at=None if status == GrantStatus.REQUESTED else datetime.datetime(
            2026, 11, 2, tzinfo=datetime.UTC),
    )


@pytest.fixture
def scene(people, freeze_today):
    """`mine` with SAS Viya (needs a DUA) and Confluence approved, DUA-1 valid through
    December 31, and grants in every state."""
    freeze_today(TODAY)
    mine, grants, users = roster_in_every_state(people)
    return {"people": people, "mine": mine, "dua": make_dua(mine), "grants": grants,
            "users": users}


def roster_in_every_state(people) -> tuple:
    """`mine` with SAS Viya and Confluence approved, three users, and their grants in every
    state (the DUA tests' and the DUA warnings' scene): (contract, grants, users)."""
    mine = people["mine"]
    mine.services.update(status=ContractService.Status.APPROVED)
    request_service(mine, "confluence", status=ContractService.Status.APPROVED)
    ana, ben, cyd = (UserFactory(full_name=n) for n in ("Ana Analyst", "Ben Builder",
                                                         "Cyd Coder"))
    for user in (ana, ben, cyd):
        give_role(user, mine, ContractRole.Role.CONTRACTOR_USER)
    so = people["so"]
    grants = {
        "ana_sas": grant(mine, ana, "sas-viya", GrantStatus.ACTIVE, requested_by=so),
        "ben_sas": grant(mine, ben, "sas-viya", GrantStatus.REQUESTED, requested_by=so),
        "ana_confluence": grant(mine, ana, "confluence", GrantStatus.ACTIVE, requested_by=so),
        "cyd_sas_other": grant(mine, cyd, "sas-viya", GrantStatus.PAUSED,
                               reason=PauseReason.OTHER, requested_by=so),
        # Ben's earlier SAS Viya access, revoked: history, never resumed.
        "ben_sas_revoked": grant(mine, ben, "sas-viya", GrantStatus.REVOKED,
                                 requested_by=so),
    }
    return mine, grants, {"ana": ana, "ben": ben, "cyd": cyd}


def status_of(grants) -> dict:
    return {name: AccessGrant.objects.get(pk=g.pk).status for name, g in grants.items()}


def invalidate(client, scene, user, reason="The signatory left the company."):
    client.force_login(user)
    return client.post(
        reverse("access:dua_invalidate", args=[scene["mine"].pk, scene["dua"].pk]),
        {"reason": reason},
    )


def upload(client, contract, user, **fields):
    client.force_login(user)
    data = {"number": "DUA-2", "effective_date": "2026-11-20", "expiry_date": "2027-11-30",
            "services": [service("sas-viya").pk], "document": pdf_upload()}
    data.update(fields)
    return client.post(reverse("access:dua_upload", args=[contract.pk]), data)


# --- Invalidation -------------------------------------------------------------------


def test_invalidating_the_dua_pauses_every_live_dua_grant_at_once_and_emails_so_and_cor(
    client, scene, mailoutbox
):
    people, grants = scene["people"], scene["grants"]

    response = invalidate(client, scene, people["cor"])

    assert response.status_code == 302
    assert response.url == reverse("access:dua", args=[scene["mine"].pk])
    assert status_of(grants) == {
        "ana_sas": "paused", "ben_sas": "paused", "ana_confluence": "active",
        "cyd_sas_other": "paused", "ben_sas_revoked": "revoked",
    }
    for name in ("ana_sas", "ben_sas"):
        row = AccessGrant.objects.get(pk=grants[name].pk)
        assert row.pause_reason == PauseReason.DUA_LAPSED and row.paused_at is not None
    assert AccessGrant.objects.get(pk=grants["cyd_sas_other"].pk).pause_reason == "other"
    dua = DataUseAgreement.objects.get(pk=scene["dua"].pk)
    assert dua.invalidated_by == people["cor"]
    assert dua.invalidated_reason == "The signatory left the company."

    assert AuditEvent.objects.filter(action="access.dua_invalidated",
                                     actor=people["cor"]).count() == 1
    paused = AuditEvent.objects.filter(action="access.grant_paused", contract=scene["mine"])
    assert sorted(paused.values_list("object_id", flat=True)) == sorted(
        [str(grants["ana_sas"].pk), str(grants["ben_sas"].pk)])

    deliver_due()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert sorted(email.to) == sorted([people["so"].email, people["cor"].email])
    assert email.cc == [people["spoc"].email]
    assert "Access paused" in email.subject and "Mine" in email.subject
    assert "Ana Analyst" in email.body and "Ben Builder" in email.body
    assert "SAS Viya" in email.body and "Confluence" not in email.body
    assert "Cyd Coder" not in email.body
    assert "The signatory left the company." in email.body
    assert "upload a new, valid signed DUA" in email.body
    assert reverse("access:dua", args=[scene["mine"].pk]) in email.body

    page = text_of(client.get(reverse("access:dua", args=[scene["mine"].pk])))
    assert "DUA invalid" in page and "2 grants paused" in page


def test_invalidating_pauses_nothing_while_another_valid_dua_covers_the_service(
    client, scene, mailoutbox
):
    make_dua(scene["mine"], number="DUA-1B", expiry=datetime.date(2027, 6, 30))

    response = invalidate(client, scene, scene["people"]["onboarding_team"])

    assert response.status_code == 302
    assert status_of(scene["grants"])["ana_sas"] == "active"
    assert not AuditEvent.objects.filter(action="access.grant_paused").exists()


def test_invalidating_needs_a_reason_and_keeps_the_dua_valid_without_one(client, scene):
    response = invalidate(client, scene, scene["people"]["cor"], reason="   ")

    assert response.status_code == 400
    page = text_of(response)
    assert page.startswith("Error: ") or "Error: Data Use Agreement" in page
    assert "Say why this DUA is not valid." in page
    assert DataUseAgreement.objects.get(pk=scene["dua"].pk).invalidated_at is None
    assert status_of(scene["grants"])["ana_sas"] == "active"


def test_invalidating_twice_says_so_and_changes_nothing_more(client, scene):
    invalidate(client, scene, scene["people"]["cor"])
    response = invalidate(client, scene, scene["people"]["cor"], reason="Again.")

    assert response.status_code == 302
    assert "already marked invalid" in text_of(client.get(response.url))
    assert AuditEvent.objects.filter(action="access.dua_invalidated").count() == 1


@pytest.mark.parametrize(("role", "status"), [
    ("so", 403), ("poc", 403), ("spoc", 403), ("sas_lead", 403),
    ("outsider", 404), ("other_cor", 404), ("contractor_user", 404),
])
def test_only_the_cor_and_the_team_can_mark_a_dua_invalid(client, scene, role, status):
    response = invalidate(client, scene, scene["people"][role])

    assert response.status_code == status
    assert DataUseAgreement.objects.get(pk=scene["dua"].pk).invalidated_at is None
    assert status_of(scene["grants"])["ana_sas"] == "active"


# --- Upload and resume -----------------------------------------------------------------


def test_a_new_valid_dua_resumes_exactly_the_grants_the_lapse_paused(client, scene,
                                                                      mailoutbox):
    people, grants, mine = scene["people"], scene["grants"], scene["mine"]
    invalidate(client, scene, people["cor"])
    deliver_due()
    mailoutbox.clear()

    response = upload(client, mine, people["so"])

    assert response.status_code == 302
    assert response.url == reverse("access:dua", args=[mine.pk])
    assert status_of(grants) == {
        "ana_sas": "active", "ben_sas": "requested", "ana_confluence": "active",
        "cyd_sas_other": "paused", "ben_sas_revoked": "revoked",
    }
    assert AccessGrant.objects.get(pk=grants["ana_sas"].pk).pause_reason == ""
    assert AccessGrant.objects.get(pk=grants["cyd_sas_other"].pk).pause_reason == "other"
    new = DataUseAgreement.objects.get(contract=mine, number="DUA-2")
    assert list(new.services.values_list("slug", flat=True)) == ["sas-viya"]
    assert new.uploaded_by == people["so"]
    assert DataUseAgreement.objects.filter(contract=mine).count() == 2, "earlier DUA kept"
    assert AuditEvent.objects.filter(action="access.dua_uploaded", actor=people["so"]).exists()
    assert AuditEvent.objects.filter(action="access.grant_resumed").count() == 2

    deliver_due()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert sorted(email.to) == sorted([people["so"].email, people["cor"].email])
    assert "Access resumed" in email.subject
    assert "Ana Analyst" in email.body and "Ben Builder" in email.body
    assert "Cyd Coder" not in email.body
    assert "DUA-2" in email.body

    page = text_of(client.get(response.url))
    assert "DUA-2 is saved. 2 paused grants resumed" in page
    assert "DUA valid" in page


def test_a_requested_grant_paused_by_the_dua_comes_back_requested(client, scene):
    invalidate(client, scene, scene["people"]["cor"])
    upload(client, scene["mine"], scene["people"]["so"])

    assert status_of(scene["grants"])["ben_sas"] == "requested"


def test_a_dua_not_in_effect_yet_resumes_nothing(client, scene, mailoutbox):
    invalidate(client, scene, scene["people"]["cor"])

    response = upload(client, scene["mine"], scene["people"]["so"],
                      effective_date="2026-12-15")

    assert response.status_code == 302
    assert status_of(scene["grants"])["ana_sas"] == "paused"
    assert "not in effect yet" in text_of(client.get(response.url))


@pytest.mark.parametrize("role", ["so", "cor", "onboarding_team"])
def test_the_so_cor_and_team_can_upload(client, scene, role):
    assert upload(client, scene["mine"], scene["people"][role]).status_code == 302
    assert DataUseAgreement.objects.filter(number="DUA-2").exists()


@pytest.mark.parametrize(("role", "status"), [
    ("poc", 403), ("spoc", 403), ("sas_lead", 403), ("team_lead", 403),
    ("contractor_user", 404), ("outsider", 404), ("other_cor", 404),
])
def test_others_cannot_upload(client, scene, role, status):
    assert upload(client, scene["mine"], scene["people"][role]).status_code == status
    assert not DataUseAgreement.objects.filter(number="DUA-2").exists()


def test_a_non_pdf_renamed_pdf_is_refused_and_what_was_typed_is_kept(client, scene):
    fake = SimpleUploadedFile("signed-dua.pdf", b"PK\x03\x04 a Word document, really",
                              content_type="application/pdf")

    response = upload(client, scene["mine"], scene["people"]["so"], number="DUA-77",
                      document=fake)

    assert response.status_code == 400
    body = response.content.decode()
    page = text_of(response)
    assert "Error: Data Use Agreement" in body
    assert "There is a problem" in page
    assert "This file is not a PDF (whatever its name says)" in page
    assert 'value="DUA-77"' in body and 'value="2027-11-30"' in body
    assert not DataUseAgreement.objects.filter(number="DUA-77").exists()


def test_a_pdf_over_the_size_cap_is_refused(client, scene, settings):
    settings.MAX_UPLOAD_MB = 1
    big = pdf_bytes(padding=1_300_000)
    assert len(big) > 1024 * 1024

    response = upload(client, scene["mine"], scene["people"]["so"],
                      document=pdf_upload(content=big))

    assert response.status_code == 400
    assert "the largest accepted is 1 MB" in text_of(response)
    assert not DataUseAgreement.objects.filter(number="DUA-2").exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"expiry_date": "2026-11-23"}, "This DUA has already expired"),
    ({"effective_date": "2027-12-01"}, "The DUA must expire after it takes effect."),
    ({"services": [], "number": "DUA-9"}, "Choose the services this DUA covers."),
    ({"services": ["999999"]}, "Select a valid choice"),
    ({"number": "../../etc"}, "A DUA number is letters, digits"),
])
def test_bad_input_is_refused_with_the_reason(client, scene, fields, message):
    confluence = service("confluence")
    if fields.get("services") == ["999999"]:
        fields = {"services": [confluence.pk]}  # a service that needs no DUA
    response = upload(client, scene["mine"], scene["people"]["cor"], **fields)

    assert response.status_code == 400
    assert message in text_of(response)
    assert DataUseAgreement.objects.filter(contract=scene["mine"]).count() == 1


def test_the_upload_offers_only_services_that_need_a_dua(client, scene):
    client.force_login(scene["people"]["so"])
    body = client.get(reverse("access:dua", args=[scene["mine"].pk])).content.decode()

    assert 'enctype="multipart/form-data"' in body
    assert f'value="{service("sas-viya").pk}"' in body
    assert f'name="services" value="{service("confluence").pk}"' not in body
    assert "Mark invalid" not in body, "the SO cannot mark a DUA invalid"


# --- The daily check -------------------------------------------------------------------


def test_an_expired_dua_pauses_access_the_day_after_expiry_not_on_the_expiry_day(
    scene, mailoutbox
):
    grants, people = scene["grants"], scene["people"]
    # Last year's DUA expired long ago: the current one still counts on its expiry day.
    make_dua(scene["mine"], number="DUA-0", effective=datetime.date(2025, 1, 1),
             expiry=datetime.date(2025, 12, 31))

    assert dua_service.pause_lapsed(EXPIRY) == []
    assert status_of(grants)["ana_sas"] == "active"

    lapses = dua_service.pause_lapsed(EXPIRY + datetime.timedelta(days=1))

    assert [len(lapse.grants) for lapse in lapses] == [2]
    assert status_of(grants) == {
        "ana_sas": "paused", "ben_sas": "paused", "ana_confluence": "active",
        "cyd_sas_other": "paused", "ben_sas_revoked": "revoked",
    }
    events = AuditEvent.objects.filter(action="access.grant_paused")
    assert events.count() == 2
    assert set(events.values_list("actor_label", flat=True)) == {"Muster (system)"}

    # Running it again (that day or later) pauses and emails nothing more.
    assert dua_service.pause_lapsed(EXPIRY + datetime.timedelta(days=1)) == []
    assert dua_service.pause_lapsed(EXPIRY + datetime.timedelta(days=2)) == []
    deliver_due()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert sorted(email.to) == sorted([people["so"].email, people["cor"].email])
    assert "expired on December 31, 2026" in email.body
    assert "Ana Analyst" in email.body and "Ben Builder" in email.body
    assert AuditEvent.objects.filter(action="access.grant_paused").count() == 2


def test_a_lapse_appends_its_events_at_once_each_with_its_grant_before_and_after(scene):
    """One event per paused grant, then the lapse's, chained as single appends would be,
    written in one statement (a sweep day pauses hundreds of grants)."""
    grants = scene["grants"]
    with CaptureQueriesContext(connection) as queries:
        dua_service.pause_lapsed(EXPIRY + datetime.timedelta(days=1))

    appends = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith(('INSERT INTO "audit_auditevent"',
                                       'COPY "audit_auditevent"'))]
    assert len(appends) == 1
    events = list(AuditEvent.objects.filter(action__in=[
        "access.grant_paused", "access.dua_lapsed"]).order_by("id"))
    assert [(e.action, e.object_id, e.contract, e.before, e.after) for e in events] == [
        ("access.grant_paused", str(grants["ana_sas"].pk), scene["mine"],
         {"status": "active"}, {"status": "paused", "pause_reason": "dua_lapsed"}),
        ("access.grant_paused", str(grants["ben_sas"].pk), scene["mine"],
         {"status": "requested"}, {"status": "paused", "pause_reason": "dua_lapsed"}),
        ("access.dua_lapsed", str(scene["dua"].pk), scene["mine"], {}, {"paused_grants": 2}),
    ]
    assert "Paused SAS Viya for Ana Analyst: DUA DUA-1 expired" in events[0].summary
    assert audit.verify_chain() == []


def test_a_renewed_dua_before_expiry_keeps_access(scene):
    make_dua(scene["mine"], number="DUA-1R", effective=datetime.date(2026, 12, 20),
             expiry=datetime.date(2027, 12, 31))

    assert dua_service.pause_lapsed(EXPIRY + datetime.timedelta(days=1)) == []
    assert status_of(scene["grants"])["ana_sas"] == "active"


def test_the_daily_check_is_one_query_when_nothing_lapsed(scene, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert dua_service.pause_lapsed(EXPIRY) == []


def test_check_duas_command_pauses_and_reports(scene, freeze_today, mailoutbox):
    freeze_today(EXPIRY + datetime.timedelta(days=1))
    out = io.StringIO()

    call_command("check_duas", stdout=out)

    printed = out.getvalue()
    assert "DUA DUA-1 expired on 2026-12-31; paused 2 grants" in printed
    assert "Ana Analyst" in printed and "Ben Builder" in printed
    assert "2 grants paused on 1 contract" in printed
    assert status_of(scene["grants"])["ben_sas"] == "paused"

    out = io.StringIO()
    call_command("check_duas", stdout=out)
    assert "0 grants paused on 0 contracts" in out.getvalue()
    assert OutboxEmail.objects.filter(template="dua_lapsed").count() == 1


def test_check_duas_refuses_a_day_after_today_unless_it_is_meant(scene):
    # Today is November 24; DUA-1 runs through December 31.
    with pytest.raises(CommandError, match=r"^--day 2027-01-05 is after today \(2026-11-24\); "
                       "checking it would pause access for real. Add --act-on-future-date"):
        call_command("check_duas", "--day", "2027-01-05", stdout=io.StringIO())
    assert status_of(scene["grants"])["ana_sas"] == "active"
    assert not OutboxEmail.objects.filter(template="dua_lapsed").exists()

    with pytest.raises(CommandError, match="more than 10 years from today"):
        call_command("check_duas", "--day", "9999-12-31", stdout=io.StringIO())

    call_command("check_duas", "--day", "2027-01-05", "--act-on-future-date",
                 stdout=io.StringIO())
    assert status_of(scene["grants"])["ana_sas"] == "paused"


# --- Pages ---------------------------------------------------------------------------


def page_text(client, user, contract) -> str:
    client.force_login(user)
    response = client.get(reverse("access:dua", args=[contract.pk]))
    assert response.status_code == 200
    return text_of(response)


@pytest.mark.parametrize(("day", "expected"), [
    (TODAY, "DUA valid DUA DUA-1 expires on December 31, 2026, in 37 days."),
    (datetime.date(2026, 12, 10), "DUA expiring soon DUA DUA-1 expires on December 31, "
                                  "2026, in 21 days."),
    (EXPIRY, "DUA expiring soon DUA DUA-1 expires today, December 31, 2026."),
    (datetime.date(2027, 1, 2), "DUA expired DUA DUA-1 expired on December 31, 2026, "
                                "2 days ago."),
])
def test_the_page_shows_the_state_and_days_to_expiry(client, scene, freeze_today, day,
                                                     expected):
    freeze_today(day)

    page = page_text(client, scene["people"]["poc"], scene["mine"])

    assert expected in page
    assert "Upload the DUA" not in page, "the POC cannot upload"


def test_the_expiring_soon_tag_is_ink_on_gold_so_it_can_be_read(client, scene, freeze_today):
    # White on USWDS gold is 1.7:1; ink on gold passes WCAG AA.
    freeze_today(datetime.date(2026, 12, 10))
    client.force_login(scene["people"]["poc"])

    page = client.get(reverse("access:dua", args=[scene["mine"].pk])).content.decode()

    assert '<span class="usa-tag bg-gold text-ink">DUA expiring soon</span>' in page


def test_the_page_lists_every_dua_newest_first_with_its_details(client, scene):
    people, mine = scene["people"], scene["mine"]
    invalidate(client, scene, people["cor"])
    upload(client, mine, people["so"])

    page = page_text(client, people["onboarding_team"], mine)

    history = page.split("Every DUA uploaded", 1)[1]
    assert history.index("DUA-2") < history.index("DUA-1")
    assert "Nov 20, 2026 to Nov 30, 2027" in history
    assert "Jan 1, 2026 to Dec 31, 2026" in history
    assert "SAS Viya" in history
    assert f"by {people['so'].full_name}" in history
    assert (f"Marked invalid Nov 24, 2026 by {people['cor'].full_name}: The signatory "
            "left the company.") in history
    assert "Mark DUA DUA-2 invalid" in page


def test_the_state_is_not_needed_or_missing(client, people, freeze_today):
    freeze_today(TODAY)
    assert queries.dua_status(people["other"], TODAY).state == "not needed"
    status = queries.dua_status(people["mine"], TODAY)  # SAS Viya requested, no DUA
    assert status.state == "missing" and status.dua is None
    assert "No DUA has been uploaded" in page_text(client, people["cor"], people["mine"])


def test_the_document_is_a_pdf_for_those_who_may_view_the_contract(client, scene):
    url = reverse("access:dua_document", args=[scene["mine"].pk, scene["dua"].pk])
    client.force_login(scene["people"]["sas_lead"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

    for role in ("outsider", "other_cor", "contractor_user"):
        client.force_login(scene["people"][role])
        assert client.get(url).status_code == 404


def test_the_page_is_hidden_from_people_without_a_role(client, scene):
    for role in ("outsider", "other_cor"):
        client.force_login(scene["people"][role])
        assert client.get(reverse("access:dua", args=[scene["mine"].pk])).status_code == 404


def test_upload_and_invalidate_are_post_only(client, scene):
    client.force_login(scene["people"]["cor"])
    mine = scene["mine"]
    assert client.get(reverse("access:dua_upload", args=[mine.pk])).status_code == 405
    assert client.get(reverse("access:dua_invalidate",
                              args=[mine.pk, scene["dua"].pk])).status_code == 405


# --- The emails read well (the checks of tests/notifications/test_email_templates.py) ---


def readable(row, contract):
    assert contract.name in row.subject and contract.name in row.body
    for text in (row.subject, row.body):
        assert "None" not in text
        assert "  " not in text, "a blank where a value should be"
        assert " ." not in text and " ," not in text and "()" not in text
        assert "&amp;" not in text and "&#x27;" not in text
    links = re.findall(r"\S*://\S*", row.body)
    assert links
    for link in links:
        assert link.startswith("https://muster.agency.example.gov/access/contracts/"), link


@pytest.mark.parametrize("cause", ["invalidated", "expired"])
@pytest.mark.parametrize("with_grants", [True, False])
def test_the_lapse_email_reads_well(scene, settings, cause, with_grants):
    from muster.notifications import services as mail

    settings.MUSTER_BASE_URL = "https://muster.agency.example.gov/"
    mine, dua = scene["mine"], scene["dua"]
    mine.name = "O'Brien & Sons"
    if cause == "invalidated":
        dua.invalidated_at, dua.invalidated_reason = datetime.datetime(
            2026, 11, 24, 15, tzinfo=datetime.UTC), "Signed by the wrong person."
    grants = [scene["grants"]["ana_sas"]] if with_grants else []

    row = mail.queue("dua_lapsed", to=["so@example.gov"], key=f"t:{cause}{with_grants}",
                     contract=mine, context={"dua": dua, "cause": cause, "grants": grants,
                                             "actor": scene["people"]["cor"]})

    readable(row, mine)
    assert ("Ana Analyst" in row.body) is with_grants
    assert "O'Brien & Sons" in row.subject


@pytest.mark.parametrize("with_grants", [True, False])
def test_the_renewal_email_reads_well(scene, settings, with_grants):
    from muster.notifications import services as mail

    settings.MUSTER_BASE_URL = "https://muster.agency.example.gov/"
    grants = [scene["grants"]["ana_sas"]] if with_grants else []

    row = mail.queue("dua_renewed", to=["so@example.gov"], key=f"t:renewed{with_grants}",
                     contract=scene["mine"],
                     context={"dua": scene["dua"], "actor": scene["people"]["so"],
                              "grants": grants, "services": [service("sas-viya")]})

    readable(row, scene["mine"])
    assert "covering SAS Viya." in row.body
