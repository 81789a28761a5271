"""Who sees which notification page."""

import datetime

import pytest

from muster.audit.models import AuditEvent
from muster.notifications import delivery
from muster.notifications import services as mail
from muster.notifications.models import OutboxEmail

from ..factories import signed_in

T0 = datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC)


def queue(people, to, key="award:pages", subject_contract="mine"):
    return mail.queue("award_notice", to=to, key=key, contract=people[subject_contract],
                      context={"actor": people["cor"]})


def failed(people):
    row = queue(people, [people["so"]], key="award:failed")
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=OutboxEmail.Status.FAILED, attempts=delivery.MAX_ATTEMPTS,
        last_error="SMTPRecipientsRefused: mailbox unavailable",
    )
    return row


def test_signed_out_people_are_sent_to_sign_in(client, people):
    row = queue(people, [people["cor"]])
    for url in ["/notifications/", f"/notifications/{row.pk}/", "/notifications/outbox/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_person_sees_only_their_own_notifications(client, people):
    mine = queue(people, [people["cor"]], key="award:cor")
    theirs = queue(people, [people["other_cor"]], key="award:other", subject_contract="other")

    signed_in(client, people["cor"])
    page = client.get("/notifications/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>Your notifications</h1>" in text
    assert mine.subject in text
    assert "Mine" in text  # the contract
    assert "Waiting to be sent" in text
    assert theirs.subject not in text


def test_only_a_recipient_opens_a_notification(client, people):
    row = queue(people, [people["cor"]], key="award:cor")
    OutboxEmail.objects.filter(pk=row.pk).update(status=OutboxEmail.Status.SENT,
                                                 sent_at=T0)

    signed_in(client, people["cor"])
    response = client.get(f"/notifications/{row.pk}/")
    assert response.status_code == 200
    assert row.body.splitlines()[0] in response.content.decode()

    for name in ["other_cor", "outsider", "onboarding_team", "administrator", "poc"]:
        signed_in(client, people[name])
        assert client.get(f"/notifications/{row.pk}/").status_code == 404, name
    assert client.get("/notifications/999999/").status_code == 404


def test_copied_people_and_addresses_without_accounts_count_as_recipients(client, people):
    row = mail.queue("award_notice", to=["list@example.gov"], cc=[people["poc"].email.upper()],
                     key="award:cc", contract=people["mine"], context={"actor": people["cor"]})

    signed_in(client, people["poc"])
    assert client.get(f"/notifications/{row.pk}/").status_code == 200


def test_notifications_are_paginated_newest_first(client, people, time_machine):
    for n in range(30):
        moment = T0 + datetime.timedelta(minutes=n)
        time_machine.move_to(moment, tick=False)
        mail.queue("award_notice", to=[people["cor"]], key=f"award:{n}",
                   contract=people["mine"], context={"actor": people["cor"]})
    ids = list(OutboxEmail.objects.order_by("created_at").values_list("pk", flat=True))

    signed_in(client, people["cor"])
    first = client.get("/notifications/").content.decode()
    second = client.get("/notifications/?page=2").content.decode()

    assert first.count('href="/notifications/') - first.count(
        'href="/notifications/"') - first.count('href="/notifications/outbox/"') == 25
    assert first.index(f'href="/notifications/{ids[-1]}/"') < first.index(
        f'href="/notifications/{ids[-2]}/"')
    assert f'href="/notifications/{ids[0]}/"' in second
    assert f'href="/notifications/{ids[-1]}/"' not in second
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("name", ["onboarding_team", "administrator"])
def test_the_team_and_administrators_see_the_outbox(client, people, name):
    row = failed(people)
    queue(people, [people["cor"]], key="award:waiting")

    signed_in(client, people[name])
    response = client.get("/notifications/outbox/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>Outbox</h1>" in text
    assert "Failed: not sent (1)" in text
    assert "Waiting to be sent (1)" in text
    assert "SMTPRecipientsRefused: mailbox unavailable" in text
    assert f'action="/notifications/outbox/{row.pk}/retry/"' in text
    assert text.index("Failed: not sent") < text.index("Waiting to be sent (1)")


@pytest.mark.parametrize(
    "name", ["cor", "poc", "so", "spoc", "contractor_user", "team_lead", "sas_lead", "outsider"]
)
def test_others_may_not_see_the_outbox_or_retry(client, people, name):
    row = failed(people)
    signed_in(client, people[name])

    assert client.get("/notifications/outbox/").status_code == 403
    assert client.post(f"/notifications/outbox/{row.pk}/retry/").status_code == 403
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED
    assert not AuditEvent.objects.filter(action="notifications.retry").exists()


def test_the_team_sees_a_link_to_the_outbox_and_others_do_not(client, people):
    signed_in(client, people["onboarding_team"])
    assert 'href="/notifications/outbox/"' in client.get("/notifications/").content.decode()
    signed_in(client, people["cor"])
    assert 'href="/notifications/outbox/"' not in client.get("/notifications/").content.decode()


def test_retry_is_post_only(client, people):
    row = failed(people)
    signed_in(client, people["onboarding_team"])

    assert client.get(f"/notifications/outbox/{row.pk}/retry/").status_code == 405
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED

    response = client.post(f"/notifications/outbox/{row.pk}/retry/", follow=True)
    assert "will be sent again in a moment" in response.content.decode()
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING
    assert AuditEvent.objects.filter(action="notifications.retry").count() == 1


def test_retrying_an_email_that_did_not_fail_changes_nothing(client, people):
    row = queue(people, [people["cor"]])
    signed_in(client, people["onboarding_team"])

    response = client.post(f"/notifications/outbox/{row.pk}/retry/", follow=True)

    assert "nothing to retry" in response.content.decode()
    assert not AuditEvent.objects.filter(action="notifications.retry").exists()
    assert client.post("/notifications/outbox/999999/retry/").status_code == 404


def test_retry_needs_the_csrf_token(people):
    from django.test import Client

    row = failed(people)
    client = Client(enforce_csrf_checks=True)
    signed_in(client, people["onboarding_team"])

    assert client.post(f"/notifications/outbox/{row.pk}/retry/").status_code == 403
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED


def test_the_outbox_is_in_the_admin_read_only(client, people):
    from muster.accounts.models import User

    row = failed(people)
    admin = User.objects.create_superuser("root@example.gov", "correct-horse-battery-9")
    signed_in(client, admin)

    assert client.get("/admin/notifications/outboxemail/").status_code == 200
    page = client.get(f"/admin/notifications/outboxemail/{row.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/admin/notifications/outboxemail/add/").status_code == 403
