"""The conversation on a contract and its requests, through the pages, as each role: who
reads shared comments and internal notes, who may write each, whom a mention emails, PDF
attachments (checked like every upload, downloaded only by who may read the entry), the
audit record, and the onboarding team's questions and answers as entries of the thread."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from muster.access import additional
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts.models import Contract
from muster.conversation import services as conversation
from muster.conversation.models import Attachment, Entry, Kind, Visibility
from muster.notifications.models import OutboxEmail
from muster.onboarding import services as onboarding
from muster.onboarding.models import OnboardingRequest, Question, Status

from ..factories import OrganizationFactory, pdf_upload, signed_in
from ..pages import text_of

pytestmark = pytest.mark.django_db

SHARED_TEXT = "Please confirm the SAS Viya user count by Friday."
INTERNAL_TEXT = "Budget looks thin; keep an eye on this one."
PARTIES = ["cor", "poc", "so", "spoc"]
TEAM = ["onboarding_team", "team_lead", "administrator"]
READ_SHARED = [*PARTIES, *TEAM, "sas_lead"]
NO_THREAD = ["contractor_user", "outsider", "other_cor", "confluence_lead"]


def thread_url(contract):
    return reverse("conversation:contract", args=[contract.pk])


def as_(client, people, role):
    return signed_in(client, people[role])


def write(people, role="onboarding_team", *, body=SHARED_TEXT, visibility=Visibility.SHARED,
          **extra):
    return conversation.post_entry(people[role], people["mine"], body=body,
                                   visibility=visibility, **extra)


def mentions_to(email) -> list[OutboxEmail]:
    return [e for e in OutboxEmail.objects.filter(template="conversation_mention")
            if email in e.to]


# --- Reading: shared comments and internal notes ----------------------------------------


@pytest.mark.parametrize("role", READ_SHARED)
def test_the_contract_page_shows_shared_comments_to_its_people_and_notes_to_the_team_only(
    client, people, role
):
    write(people)
    write(people, body=INTERNAL_TEXT, visibility=Visibility.INTERNAL)

    page = text_of(as_(client, people, role).get(people["mine"].get_absolute_url()))

    assert "Conversation" in page and SHARED_TEXT in page
    if role in TEAM:
        assert INTERNAL_TEXT in page
        # Marked in words, not colour alone.
        assert "Internal note Only the onboarding team, its lead and administrators read " \
               "this." in page
    else:
        assert INTERNAL_TEXT not in page and "Internal note" not in page


@pytest.mark.parametrize("role", NO_THREAD)
def test_who_has_no_role_on_the_contract_reads_no_thread(client, people, role):
    write(people)
    response = as_(client, people, role).get(thread_url(people["mine"]))
    assert response.status_code == 404
    assert SHARED_TEXT not in response.content.decode()


# --- Writing: who may write each kind ----------------------------------------------------


@pytest.mark.parametrize("role", READ_SHARED)
def test_everyone_who_reads_the_thread_may_comment(client, people, role):
    mine = people["mine"]
    response = as_(client, people, role).post(thread_url(mine), {
        "body": f"A word from the {role}.", "visibility": Visibility.SHARED})
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert response.url == f"{mine.get_absolute_url()}#entry-{entry.pk}"
    assert (entry.author, entry.visibility, entry.about_id) == (
        people[role], Visibility.SHARED, None)
    page = text_of(client.get(response.url))
    assert "Comment added." in page and f"A word from the {role}." in page


@pytest.mark.parametrize("role", TEAM)
def test_the_team_writes_internal_notes(client, people, role):
    response = as_(client, people, role).post(thread_url(people["mine"]), {
        "body": INTERNAL_TEXT, "visibility": Visibility.INTERNAL})
    assert response.status_code == 302
    assert Entry.objects.get().visibility == Visibility.INTERNAL
    assert "Internal note added." in text_of(client.get(response.url))


@pytest.mark.parametrize("role", [*PARTIES, "sas_lead"])
def test_nobody_else_writes_an_internal_note_and_is_not_offered_one(client, people, role):
    client = as_(client, people, role)
    form = client.get(people["mine"].get_absolute_url()).content.decode()
    assert 'name="body"' in form and 'name="visibility"' not in form

    response = client.post(thread_url(people["mine"]), {
        "body": INTERNAL_TEXT, "visibility": Visibility.INTERNAL})

    assert response.status_code == 403
    assert not Entry.objects.exists()


@pytest.mark.parametrize("role", NO_THREAD)
def test_who_reads_no_thread_cannot_write_in_it(client, people, role):
    response = as_(client, people, role).post(thread_url(people["mine"]), {
        "body": "Forged.", "visibility": Visibility.SHARED})
    assert response.status_code == 404
    assert not Entry.objects.exists()


def test_the_team_chooses_who_sees_it_and_an_empty_message_is_an_error_with_the_text_kept(
    client, people
):
    client = as_(client, people, "onboarding_team")
    response = client.post(thread_url(people["mine"]), {"body": "Half a thought"})
    assert response.status_code == 400
    html = response.content.decode()
    page = text_of(response)
    assert "<title>Error: Conversation: Mine" in html
    assert "Who sees it: Choose who sees it" in page
    assert "Half a thought</textarea>" in html  # what they typed, kept

    response = client.post(thread_url(people["mine"]), {"body": "  ", "visibility": "shared"})
    assert response.status_code == 400
    assert 'href="#entry_body"' in response.content.decode()
    assert "Your message: Write your message." in text_of(response)
    assert not Entry.objects.exists()


def test_a_message_longer_than_the_limit_is_refused(client, people):
    response = as_(client, people, "cor").post(thread_url(people["mine"]),
                                              {"body": "x" * 10_001})
    assert response.status_code == 400
    assert "at most 10000 characters" in text_of(response)
    assert not Entry.objects.exists()


# --- Mentions ------------------------------------------------------------------------------


def test_a_comment_mentioning_the_cor_emails_the_cor_and_nobody_else(client, people):
    cor = people["cor"]
    response = as_(client, people, "onboarding_team").post(thread_url(people["mine"]), {
        "body": SHARED_TEXT, "visibility": "shared", "notify": [cor.pk]})
    assert response.status_code == 302
    assert "1 person was emailed." in text_of(client.get(response.url))
    emails = list(OutboxEmail.objects.filter(template="conversation_mention"))
    assert [e.to for e in emails] == [[cor.email]]
    assert SHARED_TEXT in emails[0].body
    assert emails[0].subject == f"Comment from {people['onboarding_team'].full_name} on Mine"
    entry = Entry.objects.get()
    assert f"/contracts/{people['mine'].pk}/#entry-{entry.pk}" in emails[0].body
    # The page says who was told.
    assert f"Emailed to: {cor.full_name}" in text_of(client.get(people["mine"].get_absolute_url()))


def test_the_form_offers_only_people_who_may_read_the_thread(client, people):
    html = as_(client, people, "cor").get(people["mine"].get_absolute_url()).content.decode()
    for role in ["poc", "so", "spoc", "onboarding_team", "team_lead", "sas_lead"]:
        assert f'value="{people[role].pk}"' in html, role
    for role in ["contractor_user", "outsider", "other_cor", "confluence_lead",
                 "administrator", "cor"]:  # nor the author
        assert f'value="{people[role].pk}"' not in html.split('name="notify"', 1)[-1] \
            .split("</fieldset>")[0], role



def notify_values(html: str) -> list[str]:
    fieldset = html.split('name="notify"', 1)[-1].split("</fieldset>")[0]
    return [v.split('"')[0] for v in ('value="' + fieldset).split('value="')[1:]]


def test_the_form_is_drawn_once_and_each_contract_offers_its_own_people(client, people):
    """Issue 17: an empty form's fields are drawn once a process for what they show (the
    widgets' templates cost a quarter of the contract page), and the people it offers
    are still each contract's own."""
    client = as_(client, people, "onboarding_team")
    client.get(people["mine"].get_absolute_url())
    response = client.get(people["mine"].get_absolute_url())
    assert [t.name for t in response.templates if t.name.startswith("django/forms/")] == []
    mine = notify_values(response.content.decode())
    assert str(people["cor"].pk) in mine

    html = client.get(people["other"].get_absolute_url()).content.decode()
    other = notify_values(html)
    assert str(people["other_cor"].pk) in other
    assert str(people["cor"].pk) not in other
    assert 'id="entry_body"' in html and 'name="visibility" value="internal"' in html

def test_the_form_kept_says_the_upload_limit_of_the_moment(client, people, settings):
    client = as_(client, people, "onboarding_team")
    settings.MAX_UPLOAD_MB = 5
    assert "up to 5 MB each" in client.get(people["mine"].get_absolute_url()).content.decode()
    settings.MAX_UPLOAD_MB = 7
    assert "up to 7 MB each" in client.get(people["mine"].get_absolute_url()).content.decode()

@pytest.mark.parametrize("role", ["cor", "so", "sas_lead"])
def test_an_internal_note_cannot_notify_someone_who_cannot_read_it(client, people, role):
    response = as_(client, people, "onboarding_team").post(thread_url(people["mine"]), {
        "body": INTERNAL_TEXT, "visibility": "internal", "notify": [people[role].pk]})
    assert response.status_code == 400
    page = text_of(response)
    assert (f"Notify by email: An internal note cannot notify {people[role].full_name}: only "
            "the onboarding team and its lead read internal notes.") in page
    assert INTERNAL_TEXT in response.content.decode()  # kept
    assert not Entry.objects.exists()
    assert not OutboxEmail.objects.filter(template="conversation_mention").exists()


def test_an_internal_note_notifies_the_team_lead(client, people):
    lead = people["team_lead"]
    response = as_(client, people, "onboarding_team").post(thread_url(people["mine"]), {
        "body": INTERNAL_TEXT, "visibility": "internal", "notify": [lead.pk]})
    assert response.status_code == 302
    emails = list(OutboxEmail.objects.filter(template="conversation_mention"))
    assert [e.to for e in emails] == [[lead.email]]
    assert emails[0].subject.startswith("Internal note from")
    assert "only the onboarding team reads it" in emails[0].body


def test_a_forged_mention_of_someone_outside_the_thread_is_refused(client, people):
    response = as_(client, people, "cor").post(thread_url(people["mine"]), {
        "body": SHARED_TEXT, "notify": [people["outsider"].pk]})
    assert response.status_code == 400
    assert "Notify by email:" in text_of(response)
    assert not OutboxEmail.objects.filter(template="conversation_mention").exists()


def test_the_service_refuses_a_mention_of_someone_who_cannot_read_the_entry(people):
    with pytest.raises(conversation.ConversationError, match="Cora COR cannot read an internal"):
        write(people, body=INTERNAL_TEXT, visibility=Visibility.INTERNAL,
              notify=[people["cor"]])
    with pytest.raises(conversation.ConversationError, match="Otto Outsider cannot read"):
        write(people, notify=[people["outsider"]])
    assert not Entry.objects.exists()


# --- Attachments --------------------------------------------------------------------------


def test_a_non_pdf_is_refused_with_a_clear_message_and_the_text_kept(client, people):
    fake = pdf_upload("minutes.pdf", content=b"Not a PDF at all, whatever its name says.")
    response = as_(client, people, "cor").post(thread_url(people["mine"]), {
        "body": "The minutes, attached.", "attachments": [fake]})
    assert response.status_code == 400
    page = text_of(response)
    assert "Attach PDFs: minutes.pdf: This file is not a PDF (whatever its name says). " \
           "Upload a PDF." in page
    assert "choose the PDFs again" in page
    assert "The minutes, attached.</textarea>" in response.content.decode()
    assert not Entry.objects.exists() and not Attachment.objects.exists()


def test_an_attached_pdf_is_read_by_who_may_read_the_comment(client, people):
    response = as_(client, people, "poc").post(thread_url(people["mine"]), {
        "body": "Signed form attached.", "attachments": [pdf_upload("signed form.pdf")]})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "signed_form.pdf"
    download = reverse("conversation:attachment", args=[people["mine"].pk, attachment.pk])
    assert download in client.get(people["mine"].get_absolute_url()).content.decode()
    for role in READ_SHARED:
        answer = as_(client, people, role).get(download)
        assert answer.status_code == 200, role
        assert answer["Content-Type"] == "application/pdf"
        assert b"".join(answer.streaming_content).startswith(b"%PDF-")
    for role in NO_THREAD:
        assert as_(client, people, role).get(download).status_code == 404, role


def test_an_internal_notes_attachment_is_the_teams_only(client, people):
    entry = write(people, body=INTERNAL_TEXT, visibility=Visibility.INTERNAL,
                  attachments=[pdf_upload("budget.pdf")])
    download = reverse("conversation:attachment",
                       args=[people["mine"].pk, entry.attachments.get().pk])
    for role in TEAM:
        assert as_(client, people, role).get(download).status_code == 200, role
    for role in [*PARTIES, "sas_lead"]:
        response = as_(client, people, role).get(download)
        assert response.status_code == 403, role
        assert "budget" not in response.content.decode()
    for role in NO_THREAD:
        assert as_(client, people, role).get(download).status_code == 404, role
    # Through another contract's address: not found, even for the team.
    other = reverse("conversation:attachment", args=[people["other"].pk,
                                                     entry.attachments.get().pk])
    assert as_(client, people, "onboarding_team").get(other).status_code == 404


# --- The audit record ----------------------------------------------------------------------


def test_every_entry_is_on_the_audit_record_without_its_words(client, people):
    write(people, notify=[people["cor"]])
    write(people, body=INTERNAL_TEXT, visibility=Visibility.INTERNAL,
          attachments=[pdf_upload("budget.pdf")])
    rows = list(AuditEvent.objects.filter(action__startswith="conversation.").order_by("id"))
    assert [(r.action, r.summary, r.actor) for r in rows] == [
        ("conversation.comment", "Comment written", people["onboarding_team"]),
        ("conversation.internal_note", "Internal note written", people["onboarding_team"]),
    ]
    assert rows[0].after["notified"] == [people["cor"].email]
    assert rows[1].after["attachments"] == ["budget.pdf"] and rows[1].contract == people["mine"]
    # The COR reads the contract's history: the note is there, its words are not.
    history = text_of(as_(client, people, "cor").get(
        reverse("contracts:history", args=[people["mine"].pk])))
    assert "Internal note written" in history and INTERNAL_TEXT not in history


# --- Query counts -------------------------------------------------------------------------


def test_the_contract_pages_queries_do_not_grow_with_its_thread(
    client, people, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mine = people["mine"]
    write(people, notify=[people["cor"]], attachments=[pdf_upload("a.pdf")])
    write(people, body=INTERNAL_TEXT, visibility=Visibility.INTERNAL)
    client = as_(client, people, "onboarding_team")
    client.get(mine.get_absolute_url())
    with CaptureQueriesContext(connection) as first:
        client.get(mine.get_absolute_url())
    for i in range(12):
        write(people, "cor" if i % 2 else "poc", body=f"Comment {i}",
              notify=[people["onboarding_team"], people["so"]],
              attachments=[pdf_upload(f"{i}.pdf")])
    with django_assert_num_queries(len(first)):
        response = client.get(mine.get_absolute_url())
    assert "Comment 11" in text_of(response)


# --- Requests: the onboarding request's questions, the additional-service request ----------


@pytest.fixture
def submitted(people):
    mine = people["mine"]
    mine.organization = OrganizationFactory()
    mine.save()
    return OnboardingRequest.objects.create(contract=mine, created_by=people["cor"],
                                            status=Status.SUBMITTED)


def request_thread(contract):
    return reverse("conversation:onboarding_request", args=[contract.pk])


def test_a_question_and_its_answer_are_entries_of_the_requests_thread(client, people,
                                                                     submitted):
    mine = people["mine"]
    request_page = reverse("onboarding:request", args=[mine.pk])
    team = as_(client, people, "onboarding_team")
    response = team.post(reverse("onboarding:ask_question", args=[mine.pk]), {
        "text": "Which environment?", "version": submitted.version})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.QUESTION
    page = text_of(team.get(request_page))
    assert f"Question from {people['onboarding_team'].full_name}" in page
    assert "Which environment?" in page

    cor = as_(client, people, "cor")
    response = cor.post(reverse("onboarding:answer_question", args=[mine.pk]), {
        "answer": "Production.", "version": submitted.version})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    entries = list(Entry.objects.values_list("kind", "body", "author", "about_id"))
    assert entries == [(Kind.QUESTION, "Which environment?", people["onboarding_team"].pk,
                        submitted.pk),
                       (Kind.ANSWER, "Production.", people["cor"].pk, submitted.pk)]
    page = text_of(cor.get(request_page))
    assert page.index("Which environment?") < page.index(f"Answer from {people['cor'].full_name}")
    # The contract's page shows them too, naming the request.
    page = text_of(cor.get(mine.get_absolute_url()))
    assert "Production." in page and "About the onboarding request" in page


def test_a_comment_on_the_request_page_is_about_the_request(client, people, submitted):
    mine = people["mine"]
    team = as_(client, people, "onboarding_team")
    response = team.post(request_thread(mine), {"body": INTERNAL_TEXT, "visibility": "internal"})
    assert response.url == f"{reverse('onboarding:request', args=[mine.pk])}#entry-" \
                           f"{Entry.objects.get().pk}"
    response = team.post(request_thread(mine), {"body": SHARED_TEXT, "visibility": "shared"})
    assert Entry.objects.filter(about_id=submitted.pk).count() == 2
    # The request's page: its entries; the COR reads the comment, not the note.
    cor_page = text_of(as_(client, people, "cor").get(reverse("onboarding:request",
                                                              args=[mine.pk])))
    assert SHARED_TEXT in cor_page and INTERNAL_TEXT not in cor_page
    # A comment on the contract itself is not on the request's page.
    write(people, body="About the contract as a whole.")
    assert "About the contract as a whole." not in text_of(client.get(
        reverse("onboarding:request", args=[mine.pk])))


def test_the_questions_asked_before_the_conversation_become_its_entries(people, submitted):
    onboarding.ask_question(people["onboarding_team"], submitted, "Old question?")
    onboarding.answer_question(people["poc"], submitted, "Old answer.")
    onboarding.ask_question(people["onboarding_team"], submitted, "Still open?")
    Entry.objects.all().delete()  # as before the conversation existed
    migration = importlib.import_module(
        "muster.onboarding.migrations.0008_questions_in_the_thread")

    migration.forwards(apps, None)

    rows = list(Entry.objects.order_by("created_at", "id").values_list(
        "kind", "body", "author", "visibility", "about_id", "contract"))
    team, poc, mine = people["onboarding_team"].pk, people["poc"].pk, people["mine"].pk
    assert rows == [
        ("question", "Old question?", team, "shared", submitted.pk, mine),
        ("answer", "Old answer.", poc, "shared", submitted.pk, mine),
        ("question", "Still open?", team, "shared", submitted.pk, mine),
    ]
    assert Question.objects.count() == 2  # the questions stay: the open one is answered


@pytest.fixture
def slack_request(people):
    Contract.objects.filter(pk=people["mine"].pk).update(
        stage="active", organization=OrganizationFactory())
    mine = Contract.objects.get(pk=people["mine"].pk)
    req = additional.request_service(
        people["poc"], mine, service=Service.objects.get(slug="slack"),
        organization_name="ACME", justification="Chat.", estimated_users=3)
    return additional.cor_decide(people["cor"], req, True, "Yes.")


def test_the_additional_service_requests_page_has_its_thread(client, people, slack_request):
    mine = people["mine"]
    page_url = reverse("access:service_request", args=[slack_request.pk])
    post_url = reverse("conversation:service_request", args=[slack_request.pk])
    cor = as_(client, people, "cor")
    html = cor.get(page_url).content.decode()
    assert f'action="{post_url}"' in html
    response = cor.post(post_url, {"body": "Three users are enough.",
                                   "notify": [people["onboarding_team"].pk]})
    assert response.status_code == 302
    assert response.url.startswith(page_url)
    assert "Three users are enough." in text_of(cor.get(page_url))
    assert mentions_to(people["onboarding_team"].email)
    page = text_of(as_(client, people, "onboarding_team").get(mine.get_absolute_url()))
    assert "About the additional-service request for Slack" in page
    # Its page shows no other entries of the contract.
    write(people, body="Not about Slack.")
    assert "Not about Slack." not in text_of(cor.get(page_url))


def test_the_contractor_user_reads_no_thread_even_about_a_request(client, people,
                                                                  slack_request):
    response = as_(client, people, "contractor_user").get(
        reverse("conversation:service_request", args=[slack_request.pk]))
    assert response.status_code == 404


def test_a_lead_of_the_requested_service_reads_and_writes_that_requests_thread_only(
    client, people
):
    """The Confluence lead does not see `mine` (it has no Confluence yet), but decides on its
    request for Confluence once the COR approved it: that request's thread is theirs too."""
    Contract.objects.filter(pk=people["mine"].pk).update(
        stage="active", organization=OrganizationFactory())
    mine = Contract.objects.get(pk=people["mine"].pk)
    req = additional.request_service(
        people["cor"], mine, service=Service.objects.get(slug="confluence"),
        organization_name="ACME", justification="A wiki.", estimated_users=4)
    conversation.post_entry(people["cor"], mine, about=req, body="Four editors.")
    write(people, body=INTERNAL_TEXT, visibility=Visibility.INTERNAL)
    lead = as_(client, people, "confluence_lead")
    thread = reverse("conversation:service_request", args=[req.pk])

    page = text_of(lead.get(thread))
    assert "Four editors." in page and INTERNAL_TEXT not in page
    response = lead.post(thread, {"body": "Which space?"})
    assert response.status_code == 302
    assert Entry.objects.filter(author=people["confluence_lead"], about_id=req.pk).exists()
    assert lead.get(thread_url(mine)).status_code == 404  # not the contract's whole thread
    # And the COR may notify them there.
    conversation.post_entry(people["cor"], mine, about=req, body="See above.",
                            notify=[people["confluence_lead"]])
    assert mentions_to(people["confluence_lead"].email)
