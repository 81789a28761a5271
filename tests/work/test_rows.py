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


# work/_pager.html, which rows.pager replaced.
PAGER_TEMPLATE = '{# Pages of one list on a page that may hold two: `param` names its page number in the address. #}\n{% if page.paginator.num_pages > 1 %}\n<nav aria-label="{{ label }}" class="usa-pagination">\n  <ul class="usa-pagination__list">\n    {% if page.has_previous %}<li class="usa-pagination__item usa-pagination__arrow"><a href="{% if param == \'mine\' %}{% querystring mine=page.previous_page_number %}{% else %}{% querystring page=page.previous_page_number %}{% endif %}" class="usa-pagination__link usa-pagination__previous-page" aria-label="Previous page"><span class="usa-pagination__link-text">Previous</span></a></li>{% endif %}\n    <li class="usa-pagination__item usa-pagination__page-no"><span class="usa-pagination__button usa-current" aria-current="page">Page {{ page.number }} of {{ page.paginator.num_pages }}</span></li>\n    {% if page.has_next %}<li class="usa-pagination__item usa-pagination__arrow"><a href="{% if param == \'mine\' %}{% querystring mine=page.next_page_number %}{% else %}{% querystring page=page.next_page_number %}{% endif %}" class="usa-pagination__link usa-pagination__next-page" aria-label="Next page"><span class="usa-pagination__link-text">Next</span></a></li>{% endif %}\n  </ul>\n</nav>\n{% endif %}\n'  # noqa: E501


def test_the_pager_written_in_python_is_the_templates(rf):
    """rows.pager writes what the include of work/_pager.html wrote, byte for byte: one
    page, the first, a middle and the last page, for either list's page number, with the
    address's other values kept (and escaped)."""
    from django.core.paginator import Paginator
    from django.template import engines

    template = engines["django"].from_string(PAGER_TEMPLATE)
    for address in ("/", "/?mine=2", "/work/items/?kind=grant&q=a%26b<c>&page=2&mine=3"):
        request = rf.get(address)
        for size in (5, 75):
            paginator = Paginator(list(range(size)), 25)
            for number in range(1, paginator.num_pages + 1):
                for param in ("mine", "page"):
                    page = paginator.page(number)
                    label = "Pages of <the> work & more"
                    by_template = template.render(
                        {"page": page, "param": param, "label": label}, request)
                    assert rows.pager(page, param, label, request.GET) == by_template
