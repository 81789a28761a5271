"""The SO's CSV import through HTTP: every row is checked and shown before anything is
saved; a file with any bad row adds no one; a corrected file imports everyone at once
(with the access it asks for); odd but valid files (BOM, CRLF) work; files that are not CSV
are refused with a clear message; 2,000 rows take a bounded number of queries."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from muster.access.models import AccessGrant, GrantStatus, RosterImport
from muster.accounts.models import ContractRole, User
from muster.audit.models import AuditEvent
from muster.audit.services import verify_chain
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from tests.factories import TODAY, UserFactory

from . import approve, give_dua, text_of

pytestmark = pytest.mark.django_db
GOOD = (
    "full_name,email,harp_id,services\n"
    "Ada Lovelace,ada@example.com,ALOVE01,Confluence\n"
    "Alan Turing,alan@example.com,ATURING1,confluence; SAS Viya\n"
    "Grace Hopper,grace@example.com,GHOPPER,\n"
)


@pytest.fixture
def so(client, people, freeze_today):
    freeze_today(TODAY)
    approve(people["mine"], "confluence")
    approve(people["mine"], "sas-viya")
    client.force_login(people["so"])
    return client


def upload(client, contract, content, name="users.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(reverse("access:import", args=[contract.pk]),
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def confirm(client, contract, roster_import, action="confirm"):
    return client.post(
        reverse("access:import_preview", args=[contract.pk, roster_import.pk]),
        {"action": action}, follow=True,
    )


def members(contract) -> int:
    return ContractRole.objects.filter(contract=contract, role="contractor_user").count()


def test_a_good_file_is_previewed_then_imported_all_at_once(so, people, mailoutbox):
    mine = people["mine"]
    give_dua(mine)
    users_before, members_before = User.objects.count(), members(mine)

    response = upload(so, mine, GOOD)

    assert response.status_code == 302
    roster_import = RosterImport.objects.get()
    preview = text_of(so.get(response.url))
    assert "3 users in the file, 3 access grants to request" in preview
    assert "Every row is ready" in preview
    assert "Import 3 users" in preview
    assert (User.objects.count(), members(mine)) == (users_before, members_before)

    done = confirm(so, mine, roster_import)

    assert "Imported 3 user(s) (3 new to Muster) and requested 3 access grant(s)." in \
        text_of(done)
    assert members(mine) == members_before + 3
    alan = User.objects.get(email="alan@example.com")
    assert sorted(AccessGrant.objects.filter(user=alan).values_list(
        "service__slug", "status", "eua_job_code")) == [
        ("confluence", GrantStatus.REQUESTED, "CONFL_User"),
        ("sas-viya", GrantStatus.REQUESTED, ""),
    ]
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.IMPORTED
    assert AuditEvent.objects.filter(action="access.import_confirmed").count() == 1
    added = {e.after["user"]: e for e in AuditEvent.objects.filter(action="access.user_added")}
    assert sorted(added) == ["ada@example.com", "alan@example.com", "grace@example.com"]
    assert added["alan@example.com"].summary == (
        "Added Alan Turing to the roster (import line 3); requested access to Confluence, "
        "SAS Viya")
    assert [g["service"] for g in added["alan@example.com"].after["requested"]] == [
        "confluence", "sas-viya"]
    assert verify_chain() == []
    deliver_due()
    summary = [m for m in mailoutbox if "roster" in m.subject]
    assert len(summary) == 1, "one summary email, not one per user"
    assert summary[0].to == [people["so"].email]
    assert summary[0].subject == "3 users added to the roster of Mine"
    assert "3 access grants were requested" in summary[0].body
    # Importing again is refused: nothing happens twice.
    again = confirm(so, mine, roster_import)
    assert "already imported" in text_of(again)
    assert members(mine) == members_before + 3


def test_a_file_with_bad_rows_saves_nothing_until_it_is_fixed(so, people):
    mine = people["mine"]
    taken = UserFactory(harp_id="TAKEN01", email="someone@example.com")
    member = people["contractor_user"]
    bad = (
        "full_name,email,harp_id,services\n"
        "Ada Lovelace,ada@example.com,ALOVE01,Confluence\n"        # good
        ",nobody@example.com,NOBODY1,\n"                            # no name
        "Bad Email,not-an-email,BADMAIL1,\n"                        # email format
        "No Harp,noharp@example.com,,\n"                            # HARP ID missing
        "Bad Harp,badharp@example.com,a b,\n"                       # HARP ID format
        "Ada Again,ADA@example.com,ALOVE02,\n"                      # same email as line 2
        "Taken Harp,taken@example.com,taken01,\n"                   # HARP ID of someone else
        f"Cody User,{member.email},{member.harp_id},\n"             # already on the roster
        "Jira Fan,jira@example.com,JIRAFAN1,Jira Service Management\n"  # not approved
        "Sas Fan,sas@example.com,SASFAN1,SAS Viya\n"                # DUA not valid
        "Typo Fan,typo@example.com,TYPOFAN1,Confluense\n"           # no such service
        "Grace Hopper,grace@example.com,GHOPPER,\n"                 # good
    )
    users_before, members_before = User.objects.count(), members(mine)

    response = upload(so, mine, bad)
    assert response.status_code == 302
    preview = so.get(response.url)
    text = text_of(preview)

    assert "10 rows have problems" in text
    assert "Nothing has been saved. Fix the file and upload it again" in text
    assert "Import 12 users" not in text and 'value="confirm"' not in text
    for message in (
        "Enter the person's full name.",
        "“not-an-email” is not an email address.",
        "Enter the person's HARP ID",
        "Enter a HARP ID: 3 to 64 letters",
        "The same email address is on line 2.",
        "HARP ID taken01 belongs to someone else in Muster",
        "This person is already on the contract's roster.",
        "Jira Service Management is not an approved service on this contract.",
        "You cannot grant SAS Viya while the contract's Data Use Agreement is not valid.",
        "There is no service called “Confluense”.",
    ):
        assert message in text, message
    # Rows with problems come first, the good ones last.
    assert text.index("Enter the person's full name.") < text.index("Ada Lovelace")
    # A forced confirm is refused too: no one is added, no access requested.
    forced = confirm(so, mine, RosterImport.objects.get())
    assert "Nothing was imported" in text_of(forced)
    assert (User.objects.count(), members(mine)) == (users_before, members_before)
    assert not AccessGrant.objects.exists()
    assert taken.contract_roles.count() == 0

    fixed = GOOD.replace("confluence; SAS Viya", "confluence")
    response = upload(so, mine, fixed)
    roster_import = RosterImport.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))
    confirm(so, mine, roster_import)

    assert members(mine) == members_before + 3
    assert AccessGrant.objects.count() == 2


def test_rows_are_checked_again_when_the_import_is_confirmed(so, people):
    mine = people["mine"]
    response = upload(so, mine, GOOD.replace("; SAS Viya", ""))
    roster_import = RosterImport.objects.get()
    assert "Import 3 users" in text_of(so.get(response.url))
    # Meanwhile Grace is added by hand.
    so.post(reverse("access:add_user", args=[mine.pk]),
            {"full_name": "Grace Hopper", "email": "grace@example.com", "harp_id": "GHOPPER"})
    before = members(mine)

    result = confirm(so, mine, roster_import)

    assert "Nothing was imported: 1 row(s) have errors now" in text_of(result)
    assert "This person is already on the contract's roster." in text_of(result)
    assert members(mine) == before
    assert not User.objects.filter(email="ada@example.com").exists()


def test_a_file_saved_by_excel_with_bom_and_crlf_is_read(so, people):
    mine = people["mine"]
    content = ("\ufeffFull Name,Email,HARP ID\r\n"
               "Ada Lovelace,ada@example.com,ALOVE01\r\n"
               "\"Hopper, Grace\",grace@example.com,GHOPPER\r\n\r\n")
    response = upload(so, mine, content.encode("utf-8"))

    assert response.status_code == 302
    rows = RosterImport.objects.get().rows
    assert [(r["line"], r["full_name"], r["email"], r["errors"]) for r in rows] == [
        (2, "Ada Lovelace", "ada@example.com", []),
        (3, "Hopper, Grace", "grace@example.com", []),
    ]


@pytest.mark.parametrize(("content", "message"), [
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "This looks like an Excel workbook"),
    (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "This is a PDF, not a CSV file."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not text"),
    ("Dear SO,\nhere are the users you asked for.\n",
     "The first row must name the columns full_name, email and harp_id"),
    ("full_name,email,harp_id\n", "The file has a header row but no users under it."),
    (b"full_name,email,harp_id\nJos\xe9,jose@example.com,JOSE01\n", "The file is not UTF-8"),
    ("", "The file is empty."),
    ('full_name,email,harp_id\n"Ada,ada@example.com,ALOVE01\n', "cannot be read as CSV"),
])
def test_a_file_that_is_not_a_roster_csv_is_refused(so, people, content, message):
    response = upload(so, people["mine"], content)

    assert response.status_code == 400
    text = text_of(response)
    assert message in text
    assert "<title>Error: Import users" in text
    assert not RosterImport.objects.exists()


def test_too_many_rows_are_refused(so, people, monkeypatch):
    from muster.access import roster_csv

    monkeypatch.setattr(roster_csv, "MAX_ROWS", 3)
    content = "full_name,email,harp_id\n" + "".join(
        f"P {n},p{n}@example.com,PHARP{n:03d}\n" for n in range(4))

    response = upload(so, people["mine"], content)

    assert response.status_code == 400
    assert "more than 3 users" in text_of(response)


def test_the_so_discards_a_file(so, people):
    mine = people["mine"]
    upload(so, mine, GOOD)
    roster_import = RosterImport.objects.get()

    response = confirm(so, mine, roster_import, action="discard")

    assert "Discarded users.csv. No one was added." in text_of(response)
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DISCARDED
    assert "Import 3 users" not in text_of(so.get(
        reverse("access:import_preview", args=[mine.pk, roster_import.pk])))


def test_only_the_so_imports_and_only_on_their_contract(client, people, so):
    mine, other = people["mine"], people["other"]
    upload(so, mine, GOOD)
    roster_import = RosterImport.objects.get()
    preview = reverse("access:import_preview", args=[mine.pk, roster_import.pk])

    assert upload(so, other, GOOD).status_code == 404
    client.force_login(people["cor"])
    assert client.get(preview).status_code == 403
    assert client.post(preview, {"action": "confirm"}).status_code == 403
    client.force_login(people["contractor_user"])
    assert client.get(preview).status_code == 404
    assert RosterImport.objects.get().status == RosterImport.Status.PREVIEW


def test_two_thousand_rows_import_in_a_bounded_number_of_queries(
    so, people, django_assert_max_num_queries
):
    mine = people["mine"]
    UserFactory(email="user7@example.com", harp_id="")  # one already in Muster
    content = "full_name,email,harp_id,services\n" + "".join(
        f"User {n},user{n}@example.com,UHARP{n:05d},Confluence\n" for n in range(2000))

    with django_assert_max_num_queries(50):
        response = upload(so, mine, content)
    assert response.status_code == 302
    roster_import = RosterImport.objects.get()
    assert roster_import.error_count == 0
    # On PostgreSQL each table written in bulk (users, roles, grants, invitations, emails,
    # their recipients, the two runs of audit events) takes two statements whatever the
    # number of rows: its ids from the sequence, then COPY (muster.bulk). 56 here; 60 for
    # 10,000 rows, where 2,000-row INSERTs took 85.
    with django_assert_max_num_queries(60):
        so.post(reverse("access:import_preview", args=[mine.pk, roster_import.pk]),
                {"action": "confirm"})

    assert members(mine) == 2001
    assert AccessGrant.objects.filter(contract=mine).count() == 2000
    assert User.objects.get(email="user7@example.com").harp_id == "UHARP00007"
    assert OutboxEmail.objects.filter(template="user_added").count() == 1
    assert verify_chain() == []


def test_a_file_is_imported_or_discarded_once_through_its_transitions(so, people):
    upload(so, people["mine"], GOOD)
    roster_import = RosterImport.objects.get()
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        roster_import.status = RosterImport.Status.DISCARDED
    roster_import.discard()
    assert roster_import.status == RosterImport.Status.DISCARDED
    roster_import.refresh_from_db()  # nothing saved: still waiting
    assert roster_import.status == RosterImport.Status.PREVIEW
