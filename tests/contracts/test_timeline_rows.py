"""The contract page's timeline rows, written in Python (contracts/timeline_rows.py): every
value the people or the process template wrote reads as text, and the "Mark done" form is
there for whoever may complete an open step, with the page's CSRF token."""

import datetime

import pytest
from django.utils import timezone

from muster.contracts.timeline_rows import timeline_rows
from muster.timeline.queries import timeline

from ..factories import UserFactory, make_contract

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def _url(pk):
    return f"/contracts/1/steps/{pk}/complete/?a=1&b=2"


@pytest.fixture
def steps():
    """A contract's steps: the first done by someone whose name holds markup, with a note
    holding some; the second cancelled; the rest open. Names hold markup too."""
    steps = list(make_contract().steps.order_by("process", "order"))
    for step in steps:
        step.name = f"<b>{step.name}</b>"
        step.evidence = 'Tom & "Jerry"'
        step.phase = "<i>Phase</i>"
    done, cancelled = steps[0], steps[1]
    done.completed_at = timezone.make_aware(datetime.datetime(2026, 11, 20, 12))
    done.completed_by = UserFactory(full_name="<script>alert(1)</script>")
    done.completion_note = "<img src=x>"
    cancelled.cancelled_at = done.completed_at
    return steps


def test_what_people_wrote_reads_as_text(steps):
    html = "".join(timeline_rows(process, _url, True, "token")
                   for process in timeline(steps, TODAY))
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "Done when: Tom &amp; &quot;Jerry&quot;" in html
    assert "by &lt;script&gt;alert(1)&lt;/script&gt;: &lt;img src=x&gt;" in html
    assert "<i>" not in html and html.count("&lt;i&gt;Phase&lt;/i&gt;") == len(
        {step.process for step in steps})  # the phase's name on its first row only
    assert 'action="/contracts/1/steps/' in html and "/complete/?a=1&amp;b=2" in html


def test_the_form_is_for_open_steps_and_whoever_may_complete_them(steps):
    def forms(may, token="token"):
        html = "".join(timeline_rows(process, _url, may, token)
                       for process in timeline(steps, TODAY))
        return html.count("<form "), html

    count, html = forms(True)
    assert count == len(steps) - 2  # not the done step, nor the cancelled one
    assert html.count('<input type="hidden" name="csrfmiddlewaretoken" value="token">') == count
    assert f'id="note-{steps[0].pk}"' not in html and f'id="note-{steps[1].pk}"' not in html
    assert forms(False)[0] == 0
    count, html = forms(True, None)  # no token (as {% csrf_token %} writes none)
    assert count == len(steps) - 2 and "csrfmiddlewaretoken" not in html
