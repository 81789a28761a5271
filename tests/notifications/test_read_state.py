"""In-app notifications are the outbox's own rows: the header counts the person's unread
emails; the list marks them, and only a POST (Mark as read, Mark all as read) changes that."""

import re

import pytest
from django.urls import reverse

from muster.notifications import services as mail
from muster.notifications.models import OutboxRecipient

from ..factories import UserFactory
from ..pages import html_of, text_of

pytestmark = pytest.mark.django_db


def queue(people, to, key, cc=()):
    return mail.queue("award_notice", to=to, cc=cc, key=key, contract=people["mine"],
                      context={"actor": people["cor"]})


def unread_in_header(page_html: str) -> str:
    """The account bar's Notifications link as read out: its text, tags removed."""
    link = re.search(r'<a href="/notifications/"[^>]*>(.*?)</a>', page_html, re.DOTALL).group(1)
    # What a screen reader says (the visible count is the same words, hidden from it).
    link = re.sub(r'<span aria-hidden="true">.*</span>', "", link, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", "", link).split())


def test_the_header_counts_unread_notifications_and_mark_as_read_lowers_it(client, people):
    first = queue(people, [people["so"]], "n:1")
    queue(people, [people["so"]], "n:2")
    queue(people, [people["cor"]], "n:3", cc=[people["so"]])
    queue(people, [people["cor"]], "n:4")  # not the SO's
    client.force_login(people["so"])

    assert unread_in_header(html_of(client.get(reverse("home")))) == "Notifications, 3 unread"

    response = client.post(reverse("notifications:mark_read", args=[first.pk]),
                           {"next": reverse("notifications:mine")}, follow=True)

    assert response.redirect_chain == [(reverse("notifications:mine"), 302)]
    assert unread_in_header(html_of(response)) == "Notifications, 2 unread"
    assert "is marked as read" in text_of(response)

    response = client.post(reverse("notifications:mark_all_read"), follow=True)

    assert unread_in_header(html_of(response)) == "Notifications"
    assert "2 notifications marked as read." in text_of(response)
    # The COR's own are still unread: reading is each person's.
    client.force_login(people["cor"])
    assert unread_in_header(html_of(client.get(reverse("home")))) == "Notifications, 2 unread"


def test_the_list_says_which_are_unread_in_words_with_a_button_for_each(client, people):
    read = queue(people, [people["so"]], "n:read")
    unread = queue(people, [people["so"]], "n:unread")
    client.force_login(people["so"])
    client.post(reverse("notifications:mark_read", args=[read.pk]))

    page = html_of(client.get(reverse("notifications:mine")))

    assert "You have 1 unread notification." in text_of(client.get(reverse("notifications:mine")))
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page, re.DOTALL)[1:]
    assert len(rows) == 2
    assert all(">Unread<" not in row for row in rows if f"/notifications/{read.pk}/" in row)
    unread_row, = [row for row in rows if f"/notifications/{unread.pk}/\"" in row]
    assert ">Unread<" in unread_row
    assert reverse("notifications:mark_read", args=[unread.pk]) in unread_row
    assert "Mark all as read" in page


def test_opening_a_notification_does_not_mark_it_read(client, people):
    """A GET never writes: the email's page offers the button instead."""
    email = queue(people, [people["so"]], "n:open")
    client.force_login(people["so"])

    page = client.get(reverse("notifications:detail", args=[email.pk]))
    client.get(reverse("notifications:mine"))

    assert OutboxRecipient.objects.get(email=email).read_at is None
    assert "Unread" in text_of(page)
    assert reverse("notifications:mark_read", args=[email.pk]) in html_of(page)
    response = client.post(reverse("notifications:mark_read", args=[email.pk]),
                           {"next": reverse("notifications:detail", args=[email.pk])},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("notifications:detail", args=[email.pk])
    assert "Read Yes" in text_of(response)


def test_nobody_marks_another_persons_notification(client, people):
    email = queue(people, [people["cor"]], "n:cor")
    client.force_login(people["so"])

    response = client.post(reverse("notifications:mark_read", args=[email.pk]))

    assert response.status_code == 404
    assert OutboxRecipient.objects.get(email=email).read_at is None
    assert client.get(reverse("notifications:mark_read", args=[email.pk])).status_code == 405


def test_an_email_to_the_address_before_the_account_existed_is_theirs_to_read(client, people):
    email = mail.queue("award_notice", to=["later@example.com"], key="n:later",
                       contract=people["mine"], context={"actor": people["cor"]})
    later = UserFactory(email="later@example.com")
    client.force_login(later)

    assert unread_in_header(html_of(client.get(reverse("home")))) == "Notifications, 1 unread"
    client.post(reverse("notifications:mark_read", args=[email.pk]))
    assert unread_in_header(html_of(client.get(reverse("home")))) == "Notifications"


def test_mark_as_read_goes_back_only_within_the_site(client, people):
    email = queue(people, [people["so"]], "n:next")
    client.force_login(people["so"])

    response = client.post(reverse("notifications:mark_read", args=[email.pk]),
                           {"next": "https://evil.example.com/"})

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:mine")


def test_mark_all_with_nothing_unread_says_so(client, people):
    client.force_login(people["so"])

    response = client.post(reverse("notifications:mark_all_read"), follow=True)

    assert "You had no unread notifications." in text_of(response)


def count_queries(client, url, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("url_name", ["home", "notifications:mine"])
def test_the_unread_count_and_the_list_cost_the_same_queries_at_one_and_thirty(
        client, people, url_name, django_assert_num_queries):
    client.force_login(people["so"])
    url = reverse(url_name)
    queue(people, [people["so"]], "n:0")
    client.get(url)
    few = count_queries(client, url, django_assert_num_queries)
    for n in range(1, 30):
        queue(people, [people["so"]], f"n:{n}")

    many = count_queries(client, url, django_assert_num_queries)

    assert len(many) == len(few)
    counting = [sql for sql in many if "notifications_outboxrecipient" in sql
                and "read_at" in sql and "COUNT" in sql.upper()]
    assert len(counting) == 1, "the header's count is one query"
