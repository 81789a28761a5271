"""The dashboard's counts, each a link to the filtered list that shows what it counts."""

import re

import pytest

from ..factories import signed_in
from .test_my_work import rows

pytestmark = pytest.mark.django_db


def link_count(html: str, href: str) -> int:
    """The number a link to `href` shows (its first digits)."""
    match = re.search(re.escape(f'href="{href}"') + r"[^>]*>(?:<span[^>]*>)?(\d+)", html)
    assert match, f"no count links to {href}"
    return int(match.group(1))


def test_the_dashboard_counts_what_waits_where(client, people, items):
    html = signed_in(client, people["onboarding_team"]).get("/work/dashboard/").content.decode()
    assert "<h1>Dashboard</h1>" in html
    assert link_count(html, "/work/items/") == 5
    assert link_count(html, "/work/items/?due=overdue") == 1
    assert link_count(html, "/work/items/?due=week") == 0  # the next due is Tuesday Dec 1
    assert link_count(html, "/work/items/?assignee=none") == 5
    assert link_count(html, "/work/items/?kind=grant&amp;status=requested") == 2
    assert link_count(html, "/work/items/?kind=onboarding&amp;status=submitted") == 1
    assert link_count(html, "/work/items/?kind=onboarding&amp;status=question") == 0
    assert link_count(html, "/work/items/?kind=closeout") == 1
    # Aging, in business days since each item opened, with its state in words and colour.
    assert link_count(html, "/work/items/?age=0-2") == 3
    assert link_count(html, "/work/items/?age=3-5") == 0
    assert link_count(html, "/work/items/?age=6-10") == 1
    assert link_count(html, "/work/items/?age=over-10") == 1
    assert '<span class="usa-tag bg-secondary-dark">1 overdue</span>' in html
    assert "Over 10 business days" in html
    # Contracts by stage, each a link to the contract list's filter.
    assert link_count(html, "/contracts/?stage=solicitation") == 2


def test_per_assignee_counts_follow_assignments(client, people, items):
    signed_in(client, people["team_lead"])
    client.post(f"/work/grant/{items['late_grant'].pk}/assign/",
                {"assignee": people["onboarding_team"].pk})
    client.post(f"/work/closeout/{items['closeout'].pk}/take/")
    html = client.get("/work/dashboard/").content.decode()
    team = people["onboarding_team"]
    assert link_count(html, f"/work/items/?assignee={team.pk}") == 1
    assert link_count(html, f"/work/items/?assignee={people['team_lead'].pk}") == 1
    assert link_count(html, "/work/items/?assignee=none") == 3
    listed = client.get(f"/work/items/?assignee={team.pk}").content.decode()
    assert rows(listed) == [f"grant-{items['late_grant'].pk}"]
    assert f"assigned to {team.full_name}" in listed


def test_the_filtered_list_shows_what_a_count_counts(client, people, items):
    signed_in(client, people["onboarding_team"])
    overdue = client.get("/work/items/?due=overdue").content.decode()
    assert rows(overdue) == [f"grant-{items['late_grant'].pk}"]
    assert "Overdue by 4 business days" in overdue
    grants = client.get("/work/items/?kind=grant&status=requested").content.decode()
    assert rows(grants) == [f"grant-{items['late_grant'].pk}", f"grant-{items['grant'].pk}"]
    old = client.get("/work/items/?age=over-10").content.decode()
    assert rows(old) == [f"closeout-{items['closeout'].pk}"]
    young = client.get("/work/items/?age=0-2&kind=onboarding").content.decode()
    assert rows(young) == [f"onboarding-{items['onboarding'].pk}"]
    week = client.get("/work/items/?due=week").content.decode()
    assert rows(week) == [] and "No open item matches these filters." in week


def test_due_this_week_counts_up_to_sunday(client, people, items, freeze_today):
    import datetime

    freeze_today(datetime.date(2026, 11, 30))  # Monday: Dec 1 is this week
    html = signed_in(client, people["onboarding_team"]).get("/work/dashboard/").content.decode()
    assert link_count(html, "/work/items/?due=week") == 2
    listed = client.get("/work/items/?due=week").content.decode()
    assert rows(listed) == [f"service-request-{items['request'].pk}",
                            f"grant-{items['grant'].pk}"]
    assert "Due in 1 business day<" in listed


def test_bad_filters_are_ignored_not_errors(client, people, items):
    signed_in(client, people["onboarding_team"])
    for query in ("kind=nothing", "status=submitted", "assignee=x' or 1=1", "age=99",
                  "due=someday", "assignee=99999999999999999999", "page=-1"):
        response = client.get(f"/work/items/?{query}")
        assert response.status_code == 200, query
        assert len(rows(response.content.decode())) == 5, query


@pytest.mark.parametrize("role", ["sas_lead", "cor", "so", "outsider"])
def test_the_dashboard_is_the_teams(client, people, items, role):
    assert signed_in(client, people[role]).get("/work/dashboard/").status_code == 403


def test_a_service_lead_filters_only_their_services_items(client, people, items):
    html = signed_in(client, people["confluence_lead"]).get("/work/items/").content.decode()
    # The Slack request is not theirs: they lead Confluence.
    assert rows(html) == [f"grant-{items['grant'].pk}"]


# On the Friday after Thanksgiving a grant's due ranges and aging buckets have different
# bounds (one requested on the 19th is due this week, one of the 20th is not, both are 3
# to 5 business days old): one number for both (queries._Day.one_column) names each.
@pytest.mark.parametrize("day", [24, 27])
def test_the_dashboards_counts_are_what_its_items_show(people, items, freeze_today, day):
    """The dashboard counts by due range and aging bucket in SQL
    (queries._dashboard_counts: bounds on each row's own timestamp); every count is what
    the open items' own due dates and ages (Kind.item) give, around midnight and the
    week's and the buckets' bounds too."""
    import datetime

    from django.utils import timezone

    from muster import clock
    from muster.work import queries
    from muster.work.items import AGE_BUCKETS, KINDS, end_of_week

    from . import requested_grant

    tz = timezone.get_current_timezone()
    freeze_today(datetime.date(2026, 11, day))
    for requested in range(1, day + 1):
        for hour, minute in ((0, 0), (23, 59)):
            grant = requested_grant(people["mine"], "sas-viya",
                                    datetime.date(2026, 11, requested))
            grant.requested_at = datetime.datetime(2026, 11, requested, hour, minute,
                                                   tzinfo=tz)
            grant.save(update_fields=["requested_at"])
    today = clock.today()
    got = queries.dashboard(today)

    shown = [kind.item(row, today) for kind in KINDS.values() for row in kind.open_rows()]
    overdue = [i for i in shown if i.due is not None and i.due < today]
    this_week = [i for i in shown if i.due is not None and today <= i.due <= end_of_week(today)]
    assert (got["total"], got["overdue"], got["this_week"]) == (
        len(shown), len(overdue), len(this_week))
    assert 0 < len(overdue) < len(shown) and this_week
    for counts in got["kinds"]:
        assert (counts.total, counts.overdue, counts.this_week) == tuple(
            sum(i.kind is counts.kind for i in group) for group in (shown, overdue, this_week))
    for bucket, (key, _, low, high) in zip(got["ages"], AGE_BUCKETS, strict=True):
        aged = {id(i) for i in shown if low <= i.age and (high is None or i.age <= high)}
        assert bucket["key"] == key
        assert (bucket["total"], bucket["overdue"], bucket["this_week"]) == (
            len(aged), sum(id(i) in aged for i in overdue), sum(id(i) in aged for i in this_week))


# The dashboard's tables as its template's loops wrote them, before muster/work/tables.py.
TEMPLATE_LOOPS = {
    "aging_rows": '{% for bucket in ages %}\n      <tr>\n        <th scope="row" data-label="Open for">{{ bucket.label }}</th>\n        <td data-label="Items"><a href="{{ items_url }}?age={{ bucket.key }}">{{ bucket.total }}<span class="usa-sr-only"> items open {{ bucket.label }}</span></a></td>\n        <td data-label="Overdue"><a href="{{ items_url }}?age={{ bucket.key }}&amp;due=overdue"><span class="usa-tag{% if bucket.overdue %} bg-secondary-dark{% else %} bg-base-dark{% endif %}">{{ bucket.overdue }} overdue</span></a></td>\n        <td data-label="Due this week"><a href="{{ items_url }}?age={{ bucket.key }}&amp;due=week"><span class="usa-tag{% if bucket.this_week %} bg-gold text-ink{% else %} bg-base-dark{% endif %}">{{ bucket.this_week }} due this week</span></a></td>\n        <td data-label="Due later or no date"><span class="usa-tag{% if bucket.later %} bg-green{% else %} bg-base-dark{% endif %}">{{ bucket.later }} on track</span></td>\n      </tr>\n    {% endfor %}',  # noqa: E501
    "status_rows": '{% for counts in kinds %}\n      {% for value, label, n in counts.by_status %}\n      <tr>\n        <th scope="row" data-label="Kind">{{ counts.kind.label }}</th>\n        <td data-label="Waits for">{{ label }}</td>\n        <td data-label="Items"><a href="{{ items_url }}?kind={{ counts.kind.key }}&amp;status={{ value }}">{{ n }}<span class="usa-sr-only"> {{ counts.kind.plural|lower }} waiting for {{ label|lower }}</span></a></td>\n      </tr>\n      {% endfor %}\n    {% endfor %}',  # noqa: E501
    "kind_rows": '{% for counts in kinds %}\n      <tr>\n        <th scope="row" data-label="Kind">{{ counts.kind.plural }}</th>\n        <td data-label="Open"><a href="{{ items_url }}?kind={{ counts.kind.key }}">{{ counts.total }}<span class="usa-sr-only"> open {{ counts.kind.plural|lower }}</span></a></td>\n        <td data-label="Overdue"><a href="{{ items_url }}?kind={{ counts.kind.key }}&amp;due=overdue"><span class="usa-tag{% if counts.overdue %} bg-secondary-dark{% else %} bg-base-dark{% endif %}">{{ counts.overdue }} overdue</span></a></td>\n        <td data-label="Due this week"><a href="{{ items_url }}?kind={{ counts.kind.key }}&amp;due=week"><span class="usa-tag{% if counts.this_week %} bg-gold text-ink{% else %} bg-base-dark{% endif %}">{{ counts.this_week }} due this week</span></a></td>\n        <td data-label="Not assigned"><a href="{{ items_url }}?kind={{ counts.kind.key }}&amp;assignee=none">{{ counts.unassigned }}<span class="usa-sr-only"> {{ counts.kind.plural|lower }} not assigned</span></a></td>\n      </tr>\n    {% endfor %}',  # noqa: E501
    "people_rows": '{% for person in people %}\n      <tr><th scope="row" data-label="Assigned to">{{ person.name }}</th><td data-label="Open items"><a href="{{ items_url }}?assignee={{ person.pk }}">{{ person.n }}<span class="usa-sr-only"> items assigned to {{ person.name }}</span></a></td></tr>\n    {% endfor %}',  # noqa: E501
    "stage_rows": '{% for value, label, n in stages %}\n      <tr><th scope="row" data-label="Stage">{{ label }}</th><td data-label="Contracts"><a href="{{ contracts_url }}?stage={{ value }}">{{ n }}<span class="usa-sr-only"> contracts {{ label|lower }}</span></a></td></tr>\n    {% endfor %}',  # noqa: E501
}


def test_the_tables_written_in_python_are_the_templates(people, items):
    """muster/work/tables.py writes the rows the template's loops wrote, byte for byte:
    with counts in the thousands, none, and a name holding markup (read as text)."""
    from django.template import engines

    from muster import clock
    from muster.work import queries, tables

    counts = queries.dashboard(clock.today())
    counts["people"] = [{"pk": 7, "name": "Ann <b>O'Neil</b> & Co", "n": 1234},
                        {"pk": 8, "name": "Bo", "n": 0}]
    counts["kinds"][0].overdue, counts["kinds"][0].by_status[0] = 12345, ("x<y", "A & <B>", 2000)
    counts["ages"][0]["later"] = 0
    counts["stages"][0] = ("s&t", counts["stages"][0][1], 1001)
    urls = {"items_url": "/work/items/?a=1&b", "contracts_url": "/contracts/"}
    written = tables.dashboard_tables(counts, **urls)
    for name, loop in TEMPLATE_LOOPS.items():
        assert written[name] == engines["django"].from_string(loop).render({**counts, **urls})
    assert "Ann &lt;b&gt;O&#x27;Neil&lt;/b&gt; &amp; Co" in written["people_rows"]
    assert "<b>" not in written["people_rows"]


def test_the_contracts_by_stage_built_once_are_the_orms(people, items):
    from django.db.models import Count

    from muster import clock
    from muster.contracts.models import Contract
    from muster.work import queries

    from ..factories import activate, make_contract

    activate(make_contract())
    by_orm = Contract.objects.values_list("stage").annotate(n=Count("pk")).order_by()
    counted = [(stage, n) for kind, stage, *_, n in queries._day(clock.today()).counts.rows()
               if kind == queries.STAGE]
    assert sorted(counted) == sorted(by_orm) and len(by_orm) > 1


def test_the_counts_by_status_and_assignee_are_the_orms(client, people, items):
    """The dashboard's one query (queries._dashboard_counts) counts each kind's open items
    by status and by who works on them as the ORM's open rows give them."""
    from collections import Counter

    from muster import clock
    from muster.work import queries
    from muster.work.items import KINDS

    signed_in(client, people["team_lead"])
    client.post(f"/work/grant/{items['late_grant'].pk}/assign/",
                {"assignee": people["onboarding_team"].pk})
    client.post(f"/work/grant/{items['grant'].pk}/take/")
    client.post(f"/work/closeout/{items['closeout'].pk}/take/")
    got = queries.dashboard(clock.today())
    people_by_orm: Counter = Counter()
    for counts in got["kinds"]:
        rows = counts.kind.open_rows()
        by_status = Counter(rows.values_list("status", flat=True))
        assert [(value, n) for value, _, n in counts.by_status] == [
            (value, by_status[value]) for value in counts.kind.statuses]
        assert counts.unassigned == rows.filter(work_assignment__isnull=True).count()
        people_by_orm.update(pk for pk in rows.values_list("assignee_pk", flat=True) if pk)
    assert {p["pk"]: p["n"] for p in got["people"]} == dict(people_by_orm) == {
        people["onboarding_team"].pk: 1, people["team_lead"].pk: 2}
    assert [p["name"] for p in got["people"]] == [
        people["team_lead"].full_name, people["onboarding_team"].full_name]
    assert got["unassigned"] == sum(c.unassigned for c in got["kinds"]) == 2
    assert set(KINDS) == {c.kind.key for c in got["kinds"]}


def test_a_finished_items_assignment_is_not_counted(client, people, items):
    """An assignment stays with its item when the item is finished (a grant confirmed, a
    closeout done): the dashboard counts each person's items, and those of nobody, among
    the open items only. Here each kind has an item assigned to someone, to someone else,
    to nobody, or finished while assigned."""
    import datetime

    from muster import clock
    from muster.access.models import AccessGrant
    from muster.closeout.models import Closeout
    from muster.onboarding.models import Status
    from muster.work import queries
    from muster.work.items import KINDS

    from . import submitted_request

    team, lead = people["onboarding_team"], people["team_lead"]
    question = submitted_request(people["other"], people["other_cor"],
                                 datetime.date(2026, 11, 19),
                                 status=Status.QUESTION)
    signed_in(client, lead)
    for key, item, person in (("grant", items["late_grant"], lead),
                              ("grant", items["grant"], team),
                              ("onboarding", items["onboarding"], team),
                              ("onboarding", question, lead),
                              ("closeout", items["closeout"], lead)):
        client.post(f"/work/{key}/{item.pk}/assign/", {"assignee": person.pk})
    AccessGrant.objects.filter(pk=items["late_grant"].pk).update(status="active")
    Closeout.objects.filter(pk=items["closeout"].pk).update(
        status=Closeout.Status.ACCESS_REMOVED)

    got = queries.dashboard(clock.today())
    assert {c.kind.key: (c.total, c.unassigned) for c in got["kinds"]} == {
        "onboarding": (2, 0), "service-request": (1, 1), "grant": (1, 0), "closeout": (0, 0)}
    assert {p["pk"]: p["n"] for p in got["people"]} == {team.pk: 2, lead.pk: 1}
    assert got["unassigned"] == 1 and got["total"] == 4
    for counts in got["kinds"]:  # as the ORM's open rows give them
        rows = counts.kind.open_rows()
        assert counts.total == rows.count() == sum(n for *_, n in counts.by_status)
        assert counts.unassigned == rows.filter(work_assignment__isnull=True).count()
    assert set(KINDS) == {c.kind.key for c in got["kinds"]}
    html = client.get("/work/dashboard/").content.decode()
    assert link_count(html, "/work/items/?assignee=none") == 1
    assert link_count(html, f"/work/items/?assignee={team.pk}") == 2
    assert link_count(html, f"/work/items/?assignee={lead.pk}") == 1
