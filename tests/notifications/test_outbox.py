"""The outbox: an email is a row written with the change it reports, sent once."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from muster.notifications import delivery
from muster.notifications import services as mail
from muster.notifications.models import OutboxEmail, OutboxRecipient

from ..factories import signed_in


def award_email(people, key="award:test", **kwargs):
    kwargs.setdefault("to", [people["onboarding_team"]])
    return mail.queue("award_notice", key=key, contract=people["mine"],
                      context={"actor": people["cor"]}, **kwargs)


def test_nothing_is_sent_for_a_change_that_rolled_back(people, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        award_email(people)
        raise RuntimeError("the change failed")

    assert not OutboxEmail.objects.exists()
    assert not OutboxRecipient.objects.exists()
    assert delivery.deliver_due().sent == 0
    assert mailoutbox == []


def test_the_same_key_is_queued_once(people, mailoutbox):
    first = award_email(people, key="award:once")
    again = award_email(people, key="award:once", to=["someone.else@example.com"])

    assert again.pk == first.pk
    assert OutboxEmail.objects.count() == 1
    delivery.deliver_due()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [people["onboarding_team"].email]


def test_a_long_key_is_queued_once_too(people):
    key = "award:" + "x" * 300
    first = award_email(people, key=key)
    again = award_email(people, key=key)

    assert again.pk == first.pk
    assert OutboxEmail.objects.count() == 1


def test_deliver_due_sends_each_email_once(people, mailoutbox):
    email = award_email(people)

    first, second = delivery.deliver_due(), delivery.deliver_due()

    assert (first.sent, second.sent) == (1, 0)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == email.subject
    assert "Mine" in message.body
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_at is not None


def test_nobody_to_send_to_queues_nothing(people, mailoutbox):
    assert award_email(people, to=["", "  ", None]) is None
    assert not OutboxEmail.objects.exists()


def test_addresses_are_lowercase_without_repeats(people, mailoutbox):
    cor = people["cor"]
    award_email(
        people,
        to=[cor, "  Someone@Example.COM ", cor.email.upper(), "someone@example.com"],
        cc=[cor, "Copy@Example.com", "copy@example.com", ""],
    )

    email = OutboxEmail.objects.get()
    assert email.to == [cor.email, "someone@example.com"]
    assert email.cc == ["copy@example.com"]  # the COR is already in "to"
    delivery.deliver_due()
    (message,) = mailoutbox
    assert message.to == [cor.email, "someone@example.com"]
    assert message.cc == ["copy@example.com"]
    assert sorted(message.recipients()) == sorted(
        [cor.email, "someone@example.com", "copy@example.com"]
    )


def test_a_single_address_is_one_recipient_not_its_letters(people):
    award_email(people, to="Team@Example.gov")

    assert OutboxEmail.objects.get().to == ["team@example.gov"]


def test_a_recipient_with_an_account_finds_it_in_muster(people, client):
    cor = people["cor"]
    email = award_email(people, to=["team@example.gov"], cc=[cor.email.upper()])
    other = award_email(people, key="award:other", to=["someone@example.com"])
    delivery.deliver_due()

    assert OutboxRecipient.objects.get(email=email, address=cor.email).user == cor
    signed_in(client, cor)
    page = client.get("/notifications/").content.decode()
    assert email.subject in page
    assert f"/notifications/{email.pk}/" in page
    assert f"/notifications/{other.pk}/" not in page
    detail = client.get(f"/notifications/{email.pk}/").content.decode()
    assert "Cora COR recorded the award of Mine" in detail
    assert "Sent" in detail


def test_attachments_are_attached(people, mailoutbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = b"%PDF-1.7\n% a welcome package\n"
    path = default_storage.save("welcome/package-v1.pdf", ContentFile(pdf))
    award_email(people, attachments=[
        {"name": "welcome-package-v1.pdf", "path": path, "mimetype": "application/pdf"},
    ])

    assert delivery.deliver_due().sent == 1
    (message,) = mailoutbox
    assert [(a.filename, a.content, a.mimetype) for a in message.attachments] == [
        ("welcome-package-v1.pdf", pdf, "application/pdf"),
    ]


def test_a_missing_attachment_waits_and_says_why(people, mailoutbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    email = award_email(people, attachments=[
        {"name": "gone.pdf", "path": "welcome/gone.pdf", "mimetype": "application/pdf"},
    ])

    report = delivery.deliver_due()

    assert (report.sent, report.retrying) == (0, 1)
    assert mailoutbox == []
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert "FileNotFoundError" in email.last_error


def test_text_reads_as_typed_not_html_escaped(people, mailoutbox):
    contract = people["mine"]
    contract.name = "O'Brien & Sons <Data>"
    contract.save()
    award_email(people)
    delivery.deliver_due()

    (message,) = mailoutbox
    assert "O'Brien & Sons <Data>" in message.subject
    assert "O'Brien & Sons <Data>" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body


@pytest.mark.parametrize(("attempts", "minutes"), [
    (1, 1), (2, 2), (3, 4), (4, 8), (9, 256), (10, 360), (50, 360),
])
def test_backoff_doubles_up_to_six_hours(attempts, minutes):
    assert delivery.backoff(attempts).total_seconds() == minutes * 60


def test_an_emails_status_is_never_assigned_by_hand(people):
    mail.queue("survey_answered", to=["someone@example.gov"], key="protected:1",
               contract=people["mine"], context={"survey": None})
    email = OutboxEmail.objects.get(key="protected:1")
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        email.status = OutboxEmail.Status.SENT
    email.refresh_from_db()  # FSMModelMixin: reading it again still works
    assert email.status == OutboxEmail.Status.PENDING
