"""The work items' rows, due dates and controls as muster/work/rows.py writes them: every
value escaped, each due state's words and tag, each control for whoever looks."""

import datetime
from dataclasses import replace
from types import SimpleNamespace

from muster.work import rows
from muster.work.items import KINDS, WorkItem

D = datetime.date
TODAY = D(2026, 11, 24)  # a Tuesday


def item(**changes) -> WorkItem:
    contract = SimpleNamespace(pk=7, name="Acme <Tools> & Co", contract_number="75F<1>")
    obj = SimpleNamespace(pk=12, contract=contract)
    found = replace(WorkItem(
        kind=KINDS["grant"], obj=obj, title="Ann <O'Neil>: Slack", waits_on="Confirmation",
        due=D(2026, 11, 18), opened=D(2026, 11, 10), age=1, assignee_id=None,
        assignee_name="", url="/x?a=1&b=2"), **changes)
    found.describe_due(TODAY)
    found.spoken = "access to confirm of Acme <Tools> & Co"
    found.take_url, found.assign_url, found.unassign_url = "/t/", "/a/", "/u/"
    return found


def test_a_row_escapes_every_value_and_names_its_item():
    html = rows.item_rows([item()], user_pk=1, here="/?page=2&mine=1", csrf="tok")
    assert '<tr id="grant-12">' in html
    assert '<a href="/x?a=1&amp;b=2">Access to confirm</a>' in html
    assert "Ann &lt;O&#x27;Neil&gt;: Slack" in html
    assert '<a href="/contracts/7/">Acme &lt;Tools&gt; &amp; Co</a>' in html
    assert "75F&lt;1&gt;" in html
    assert "1 business day</td>" in html
    assert "<Tools>" not in html


def test_the_due_date_in_words_and_a_tag_for_each_state():
    assert rows.due(item()) == ('Wed, Nov 18, 2026<br><span class="usa-tag bg-secondary-dark">'
                                "Overdue by 4 business days</span>\n")
    assert 'bg-gold text-ink">Due today' in rows.due(item(due=TODAY))
    assert 'bg-green">Due in' in rows.due(item(due=D(2026, 12, 4)))
    assert rows.due(item(due=None)) == '<span class="usa-tag bg-base-dark">No due date</span>\n'


def test_controls_for_an_item_nobody_has():
    found = item(may_take=True)
    html = rows.controls(found, user_pk=1, here="/?p=1&q=2", csrf="tok")
    assert "Nobody yet" in html
    assert ('<form method="post" action="/t/" class="margin-bottom-1"><input type="hidden" '
            'name="csrfmiddlewaretoken" value="tok"><input type="hidden" name="next" '
            'value="/?p=1&amp;q=2">') in html
    assert "Take it<span" in html and "Unassign" not in html and "<select" not in html


def test_controls_for_the_persons_own_item_and_someone_elses():
    own = item(assignee_id=1, assignee_name="Bo <B>", may_unassign=True)
    html = rows.controls(own, user_pk=1, here="/", csrf="tok")
    assert "Bo &lt;B&gt; (you)" in html and "Give it back<span" in html
    theirs = rows.controls(own, user_pk=2, here="/", csrf="tok")
    assert "(you)" not in theirs and "Unassign<span" in theirs


def test_the_choice_of_people_is_labelled_and_keeps_its_options():
    found = item(may_assign=True, candidates=[(3, "Cy")])
    found.options = '<option value="3">Cy</option>'
    html = rows.controls(found, user_pk=1, here="/", csrf="")
    assert '<label class="usa-label margin-top-0" for="assign-grant-12">' in html
    assert '<select class="usa-select" id="assign-grant-12" name="assignee">' in html
    assert '<option value="3">Cy</option>' in html
    assert "csrfmiddlewaretoken" not in html  # no token in the context: none written


def test_rows_escape_as_django_escapes():
    from django.utils.html import escape as django_escape
    from django.utils.translation import gettext_lazy

    for text in ("<b>\"Ann\" & 'Bo'</b>", "&amp;", "plain", 12, None, gettext_lazy("Yes")):
        assert rows.escape(text) == django_escape(text)


def test_rows_escape_every_character_as_django_escapes():
    from django.utils.html import escape as django_escape

    every = "".join(chr(n) for n in range(0x250))
    assert rows.escape(every) == django_escape(every)
    assert rows.escape(every * 2 + "&amp;&lt;") == django_escape(every * 2 + "&amp;&lt;")
