"""Contract pages through HTTP: home, the list (search, filters, sort, pages), a contract's
page, editing it, and completing a step. Signed in as the onboarding team unless said."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.accounts.models import ContractRole, TeamRole
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts import services
from muster.contracts.models import Contract, ContractService
from muster.timeline import services as timeline
from muster.timeline.models import ContractStep
from tests.pages import html_of

from ..factories import (
    OrganizationFactory,
    UserFactory,
    give_role,
    make_contract,
    request_service,
    signed_in,
    team_member,
)

pytestmark = pytest.mark.django_db
D = datetime.date
HOME = reverse("home")
LIST = reverse("contracts:list")


@pytest.fixture
def team(client):
    user = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")
    signed_in(client, user)
    return user


def listed(html: str) -> list[str]:
    """Contract names in the order the contract table shows them."""
    return re.findall(r'data-label="Contract"><a href="[^"]+">([^<]+)</a>', html)


def row(html: str, text: str) -> str:
    """The one table row that contains text."""
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.DOTALL) if text in r]
    assert len(rows) == 1, f"{len(rows)} rows contain {text!r}"
    return rows[0]


def advance(contract, *transitions):
    for name in transitions:
        contract = services.change_stage(None, contract, name)
    return contract


CLOSE = (Contract.award, Contract.start_onboarding, Contract.activate, Contract.close)


# --- Home ---------------------------------------------------------------------------------


@pytest.fixture
def three_open(freeze_today):
    """As of Tue Nov 24, 2026: Zulu is overdue, Alpha is next due Dec 10, Bravo on Jan 29."""
    freeze_today(D(2026, 11, 24))
    alpha = make_contract(name="Alpha", estimated_award_date=D(2027, 2, 8))
    bravo = make_contract(name="Bravo", estimated_award_date=D(2027, 1, 30))
    timeline.complete_step(None, bravo.steps.get(key="notify-solicitation"), "Filed")
    zulu = make_contract(name="Zulu", estimated_award_date=D(2027, 1, 10))
    return alpha, bravo, zulu


def cor_of(client, *contracts):
    """Signed in as the COR of every one of `contracts`: the contracts home is the home of
    everyone but the team, whose home is My work (issue 14, muster/work)."""
    cor = UserFactory(full_name="Cora COR")
    for contract in contracts:
        give_role(cor, contract, ContractRole.Role.COR)
    return signed_in(client, cor)


def test_home_lists_open_contracts_overdue_first_with_their_next_step(client, three_open):
    cor_of(client, *three_open)
    html = html_of(client.get(HOME))
    assert listed(html) == ["Zulu", "Alpha", "Bravo"]

    zulu = row(html, ">Zulu<")
    assert "Notify of contract solicitation" in zulu
    assert "due Wed, Nov 11, 2026" in zulu
    assert "overdue" in zulu
    alpha = row(html, ">Alpha<")
    assert "Notify of contract solicitation" in alpha
    assert "due Thu, Dec 10, 2026" in alpha
    assert "overdue" not in alpha
    assert re.search(r"<span class=\"text-base-dark\">COR</span>", alpha)
    bravo = row(html, ">Bravo<")
    assert "Identify contract requirements" in bravo
    assert "due Fri, Jan 29, 2027" in bravo
    assert "COR, Onboarding team" in bravo


def test_home_leaves_out_closed_contracts(client, three_open):
    finished = advance(make_contract(name="Finished"), *CLOSE)  # its old steps are overdue
    cor_of(client, *three_open, finished)
    html = html_of(client.get(HOME))
    assert listed(html) == ["Zulu", "Alpha", "Bravo"]
    assert "Finished" not in html


def test_home_shows_a_cor_only_their_own_contracts(client, three_open):
    alpha, _, zulu = three_open
    cor = UserFactory(full_name="Cora COR")
    give_role(cor, alpha, ContractRole.Role.COR)
    give_role(cor, zulu, ContractRole.Role.COR)
    signed_in(client, cor)
    html = html_of(client.get(HOME))
    assert listed(html) == ["Zulu", "Alpha"]
    assert "Bravo" not in html


def test_home_for_someone_without_a_role_lists_nothing(client, three_open):
    signed_in(client, UserFactory())
    html = html_of(client.get(HOME))
    assert listed(html) == []
    assert "You hold no role on an open contract" in html


# --- The contract list: search, filters, sort ---------------------------------------------


@pytest.fixture
def catalog(freeze_today, team):
    freeze_today(D(2026, 11, 24))
    cor_a = UserFactory(full_name="Ana Cor")
    cor_b = UserFactory(full_name="Ben Cor")
    far = D(2027, 6, 1)  # nothing due before April 2027
    alpha = make_contract(
        name="Alpha Analytics", contract_number="75FCMC26C1001", pop_end=D(2027, 6, 30),
        organization=OrganizationFactory(name="Bluebird Analytics LLC", harp_name="BLUEBIRD"),
    )  # estimated award in March 2026: its first steps are overdue
    bravo = make_contract(
        name="Bravo Help Desk", contract_number="75FCMC26C2002", pop_end=D(2027, 3, 31),
        estimated_award_date=far,
        organization=OrganizationFactory(name="Harborlight Systems Inc.",
                                         harp_name="HARBORLIGHT-HARP"),
    )
    charlie = make_contract(name="charlie Review", contract_number="75FCMC26C3003",
                            estimated_award_date=far)
    advance(bravo, Contract.award)
    give_role(cor_a, alpha, ContractRole.Role.COR)
    give_role(cor_b, bravo, ContractRole.Role.COR)
    give_role(cor_a, charlie, ContractRole.Role.COR)
    request_service(alpha, "sas-viya")
    request_service(bravo, "confluence")
    return {"cor_a": cor_a, "cor_b": cor_b}


def list_names(client, **params) -> list[str]:
    return listed(html_of(client.get(LIST, params)))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("alpha", ["Alpha Analytics"]),  # name, any case
        ("HELP DESK", ["Bravo Help Desk"]),
        ("c3003", ["charlie Review"]),  # contract number
        ("analytics llc", ["Alpha Analytics"]),  # organization name
        ("harborlight-harp", ["Bravo Help Desk"]),  # HARP organization name
        ("nothing like this", []),
        # Words are found within one name or number, never across two of them.
        ("review 75fcmc", []),
        ("desk\x1f75fcmc", []),
        ("llc\x1fbluebird", []),
        ("c_003", []),  # `_` and `%` are characters to find, not wildcards
        ("26c%", []),
    ],
)
def test_search(client, catalog, q, expected):
    assert list_names(client, q=q) == expected


def test_search_with_no_match_says_so(client, catalog):
    html = html_of(client.get(LIST, {"q": "zzz-no-match"}))
    assert "0 contracts" in html
    assert "No contract matches" in html


def test_filters(client, catalog):
    assert list_names(client, stage="awarded") == ["Bravo Help Desk"]
    assert list_names(client, stage="solicitation") == ["Alpha Analytics", "charlie Review"]
    assert list_names(client, cor=catalog["cor_a"].pk) == ["Alpha Analytics", "charlie Review"]
    assert list_names(client, cor=catalog["cor_b"].pk) == ["Bravo Help Desk"]
    confluence = Service.objects.get(slug="confluence")
    assert list_names(client, service=confluence.pk) == ["Bravo Help Desk"]
    assert list_names(client, overdue="on") == ["Alpha Analytics"]
    assert list_names(client, cor=catalog["cor_a"].pk, overdue="on") == ["Alpha Analytics"]


def test_the_filters_show_what_was_chosen_after_filtering(client, catalog):
    html = html_of(client.get(LIST, {"cor": catalog["cor_b"].pk, "stage": "awarded"}))
    # The COR filter is a text field (tests/contracts/test_cor_filter.py): a COR chosen by
    # id shows as their name and email, which filters by them alone.
    cor_field = re.search(r'<input[^>]*name="cor"[^>]*>', html).group(0)
    assert f'value="Ben Cor &lt;{catalog["cor_b"].email}&gt;"' in cor_field
    assert '<option value="awarded" selected>' in html
    assert 'id="id_cor"' in cor_field and 'class="usa-input"' in cor_field


def test_the_list_shows_each_contracts_cor(client, catalog):
    html = html_of(client.get(LIST))
    assert "Ana Cor" in row(html, "Alpha Analytics")
    assert "Ben Cor" in row(html, "Bravo Help Desk")


def test_a_cor_finds_only_their_own_contracts(client, catalog):
    signed_in(client, catalog["cor_b"])
    assert list_names(client) == ["Bravo Help Desk"]
    assert list_names(client, q="alpha") == []


def test_sort(client, catalog):
    assert list_names(client) == ["Alpha Analytics", "Bravo Help Desk", "charlie Review"]
    assert list_names(client, sort="name") == [
        "Alpha Analytics", "Bravo Help Desk", "charlie Review"]
    assert list_names(client, sort="-name") == [
        "charlie Review", "Bravo Help Desk", "Alpha Analytics"]
    # Soonest end first; a contract without an end date last.
    assert list_names(client, sort="pop_end") == [
        "Bravo Help Desk", "Alpha Analytics", "charlie Review"]


@pytest.mark.parametrize(
    "params",
    [
        {"stage": "bogus"},
        {"cor": "999999"},
        {"service": "abc"},
        {"sort": "zzz"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "999"},
        {"q": "x" * 500},
    ],
)
def test_bad_query_values_never_break_the_list(client, catalog, params):
    # COR words that match no COR filter to nothing: tests/contracts/test_cor_filter.py.
    response = client.get(LIST, params)
    assert response.status_code == 200
    names = listed(response.content.decode())
    if "q" not in params:
        assert names == ["Alpha Analytics", "Bravo Help Desk", "charlie Review"]


def test_sorting_by_name_ignores_case(client, team):
    for name in ("Zulu Support", "acme Review", "Bravo Desk"):
        make_contract(name=name)
    assert list_names(client, sort="name") == ["acme Review", "Bravo Desk", "Zulu Support"]


def test_a_bad_value_does_not_cancel_a_valid_search(client, catalog):
    assert list_names(client, q="alpha", sort="zzz") == ["Alpha Analytics"]


def test_pagination_at_25_per_page(client, team):
    for n in range(1, 31):
        make_contract(name=f"Paged {n:02d}", contract_number=f"75FCMC26P{n:04d}")

    first = html_of(client.get(LIST))
    assert listed(first) == [f"Paged {n:02d}" for n in range(1, 26)]
    assert "Page 1 of 2" in first
    assert "30 contracts" in first

    second = html_of(client.get(LIST, {"page": 2}))
    assert listed(second) == [f"Paged {n:02d}" for n in range(26, 31)]
    assert "Page 2 of 2" in second

    assert listed(html_of(client.get(LIST, {"page": "abc"}))) == listed(first)
    assert listed(html_of(client.get(LIST, {"page": 999}))) == listed(second)

    # The next-page link keeps the search.
    searched = html_of(client.get(LIST, {"q": "paged", "sort": "-name"}))
    assert 'href="?q=paged&amp;sort=-name&amp;page=2"' in searched
    assert listed(searched)[0] == "Paged 30"


def test_the_list_reads_a_constant_number_of_queries(client, team, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            contract = make_contract(organization=OrganizationFactory())
            give_role(UserFactory(), contract, ContractRole.Role.COR)
            request_service(contract, "slack")

    add(5)
    client.get(LIST)  # warm up per-process caches
    with CaptureQueriesContext(connection) as five:
        assert len(listed(html_of(client.get(LIST)))) == 5
    add(25)
    with django_assert_num_queries(len(five.captured_queries)):
        assert len(listed(html_of(client.get(LIST)))) == 25


# --- A contract's page --------------------------------------------------------------------


@pytest.fixture
def awarded(freeze_today, team):
    """Awarded Dec 1, 2026, POP from Fri Dec 18; today is Tue Dec 22, 2026."""
    freeze_today(D(2026, 12, 22))
    org = OrganizationFactory(name="Bluebird Analytics LLC", harp_name="BLUEBIRD ANALYTICS")
    contract = make_contract(
        name="Quality Measures Support", contract_number="75FCMC26C0042",
        task_order_number="75FCMC26F0001", organization=org,
        estimated_award_date=D(2026, 11, 20), award_date=D(2026, 12, 1),
        pop_start=D(2026, 12, 18), pop_end=D(2027, 12, 17),
        type_of_work="Analytics on quality measures.",
    )
    contract = advance(contract, Contract.award)
    people = {
        "cor": UserFactory(full_name="Cora Cor", harp_id="ccor01"),
        "poc": UserFactory(full_name="Pat Poc", harp_id="ppoc02"),
        "so": UserFactory(full_name="Sol So", harp_id="sso003"),
        "spoc": UserFactory(full_name="Spike Spoc", harp_id="sspoc4"),
        "contractor_user": UserFactory(full_name="Cody User", harp_id="cuser5"),
    }
    for role, user in people.items():
        eua = {"so": ContractRole.EuaCheck.COMPLETE, "spoc": ContractRole.EuaCheck.INITIATED}
        ContractRole.objects.create(contract=contract, user=user, role=role,
                                    eua_check=eua.get(role, ContractRole.EuaCheck.NOT_STARTED))
    request_service(contract, "sas-viya", ContractService.Status.APPROVED)
    request_service(contract, "confluence")
    for key in ("notify-solicitation", "notify-award"):
        timeline.complete_step(team, contract.steps.get(key=key), f"Filed {key}")
    return contract


def detail(client, contract) -> str:
    return html_of(client.get(reverse("contracts:detail", args=[contract.pk])))


def test_contract_page_shows_identity_parties_and_services(client, awarded):
    html = detail(client, awarded)
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert "<h1>Quality Measures Support</h1>" in html
    assert "75FCMC26C0042, task order 75FCMC26F0001" in html
    assert "Bluebird Analytics LLC (HARP: BLUEBIRD ANALYTICS)" in html
    assert '<span class="usa-tag">Awarded</span>' in html
    assert "December 18, 2026 to December 17, 2027" in html

    cor = row(html, "Cora Cor")
    assert "ccor01" in cor and "—" in cor and "Contracting Officer" in cor
    so = row(html, "Sol So")
    assert "sso003" in so and "Complete" in so and "Security Official (SO)" in so
    spoc = row(html, "Spike Spoc")
    assert "sspoc4" in spoc and "Initiated" in spoc
    poc = row(html, "Pat Poc")
    assert "ppoc02" in poc and "Not started" not in poc
    # Parties in the order people look for them: COR, POC, SO, SPOC, users.
    order = [html.index(n) for n in ("Cora Cor", "Pat Poc", "Sol So", "Spike Spoc", "Cody User")]
    assert order == sorted(order)

    service_row = '<th scope="row" data-label="Service">{}</th>'.format
    assert "Approved" in row(html, service_row("SAS Viya"))
    assert "A valid Data Use Agreement" in row(html, service_row("SAS Viya"))
    assert "Requested" in row(html, service_row("Confluence"))


@pytest.mark.parametrize("viewer", ["team", "cor"])
def test_contract_page_names_the_first_ten_contractor_users_and_counts_the_rest(
        client, awarded, viewer):
    """A roster of 2,000 is the roster page's (50 a page): the contract page names the
    parties and the first ten users put on the roster, and says how many more there are."""
    for n in range(1, 13):
        ContractRole.objects.create(contract=awarded, user=UserFactory(full_name=f"Roster {n:02}"),
                                    role=ContractRole.Role.CONTRACTOR_USER)
    if viewer == "cor":
        signed_in(client, awarded.roles.get(role="cor").user)

    html = detail(client, awarded)

    for name in ["Cora Cor", "Pat Poc", "Sol So", "Spike Spoc", "Cody User",
                 *(f"Roster {n:02}" for n in range(1, 10))]:
        assert name in html, name
    for n in (10, 11, 12):
        assert f"Roster {n}" not in html
    assert "And 3 more contractor users: the contract’s roster lists everyone." in html


def test_step_states_are_tags_coloured_by_what_they_ask_of_the_reader(client, awarded):
    html = detail(client, awarded)
    steps = {s.key: s for s in awarded.steps.all()}

    def tag_in(key):
        return re.search(r'<span class="usa-tag[^"]*">[^<]+</span>',
                         row(html, f'id="step-{steps[key].pk}"')).group(0)

    assert tag_in("notify-award") == '<span class="usa-tag bg-green">✓ Done</span>'
    assert tag_in("name-so-spoc") == '<span class="usa-tag bg-secondary-dark">Overdue</span>'
    assert tag_in("eligibility-meeting") == (
        '<span class="usa-tag bg-gold text-ink">Due soon</span>')
    assert tag_in("touch-point-calls") == '<span class="usa-tag bg-base-dark">Not yet due</span>'


def test_contract_page_timeline_rows(client, awarded):
    html = detail(client, awarded)
    steps = {s.key: s for s in awarded.steps.all()}

    def step_row(key):
        return row(html, f'id="step-{steps[key].pk}"')

    done = step_row("notify-award")
    assert "Contract awarded" in done  # first step of its phase shows the phase
    assert "Tue, Dec 1, 2026" in done
    assert "✓ Done" in done
    assert "Dec 22, 2026 by Tess Team: Filed notify-award" in done

    overdue = step_row("name-so-spoc")
    assert "Wed, Dec 2, 2026" in overdue
    assert "Award date + 1 calendar day" in overdue
    assert ">Contractor<" in overdue
    assert "Overdue" in overdue
    assert "Mark done" in overdue  # the team can complete it

    # Fri Dec 18 + 5 business days skips Christmas: Mon Dec 28, within 5 business days.
    due = step_row("eligibility-meeting")
    assert "Within 5 business days" in due
    assert "Mon, Dec 28, 2026" in due
    assert "Period of performance start + 5 business days" in due
    assert "Onboarding team, COR, Contractor" in due
    assert "Due soon" in due

    later = step_row("touch-point-calls")
    assert "Tue, Jan 5, 2027" in later
    assert "Not yet due" in later

    # The next-step box names the earliest open step.
    box = html[html.index("next-step-heading"):html.index("identity-heading")]
    assert "Identify contract requirements" in box
    assert "Monday, November 30, 2026" in box
    assert "Overdue" in box


def test_a_step_without_its_date_says_so(client, team):
    contract = make_contract(estimated_award_date=None)
    html = detail(client, contract)
    step = contract.steps.get(key="submit-intake")
    assert "Date not set" in row(html, f'id="step-{step.pk}"')


def test_contract_page_reads_the_same_number_of_queries_for_more_parties_and_steps(
    client, team, freeze_today, django_assert_num_queries, django_assert_max_num_queries,
):
    freeze_today(D(2026, 12, 22))
    small = make_contract(estimated_award_date=D(2026, 11, 20), pop_start=D(2026, 12, 18))
    give_role(UserFactory(), small, ContractRole.Role.COR)

    big = make_contract(estimated_award_date=D(2026, 11, 20), pop_start=D(2026, 12, 18),
                        organization=OrganizationFactory())
    for role in ContractRole.Role.values:
        give_role(UserFactory(), big, role)
    for slug in ("sas-viya", "confluence", "slack"):
        request_service(big, slug)
    for step in big.steps.order_by("order")[:4]:
        timeline.complete_step(UserFactory(), step, "Done")
    assert big.steps.count() == 13 and big.roles.count() == 5

    detail(client, small)  # warm up per-process caches
    with CaptureQueriesContext(connection) as baseline:
        detail(client, small)
    # 22: the page's own, its thread's two (its entries; the team members one may notify:
    # muster/conversation/queries.py), and the header's unread notifications.
    with django_assert_max_num_queries(22):
        detail(client, small)
    # One more, and no more for its parties and steps: big asks for SAS Viya, so it needs
    # a DUA and its access panel counts the grants paused for it; small needs none and
    # holds none, so it shows no DUA state and counts nothing.
    with django_assert_num_queries(len(baseline.captured_queries) + 1):
        html = detail(client, big)
    assert html.count("✓ Done") == 4
    assert "DUA missing" in html


def test_contract_page_of_a_contract_you_cannot_see_is_not_found(client, awarded):
    signed_in(client, UserFactory())
    response = client.get(reverse("contracts:detail", args=[awarded.pk]))
    assert response.status_code == 404
    assert "Quality Measures Support" not in response.content.decode()


# --- Editing a contract -------------------------------------------------------------------


def form_data(contract, **changes) -> dict:
    data = {
        "name": contract.name,
        "contract_number": contract.contract_number,
        "task_order_number": contract.task_order_number,
        "estimated_award_date": contract.estimated_award_date or "",
        "award_date": contract.award_date or "",
        "pop_start": contract.pop_start or "",
        "pop_end": contract.pop_end or "",
        "type_of_work": contract.type_of_work,
    }
    data.update(changes)
    return data


def edit_url(contract):
    return reverse("contracts:edit", args=[contract.pk])


def test_edit_page_shows_the_current_values(client, awarded):
    html = html_of(client.get(edit_url(awarded)))
    assert 'value="Quality Measures Support"' in html
    assert 'value="2026-12-18"' in html


def test_a_valid_edit_saves_redirects_and_is_recorded(client, awarded, team):
    response = client.post(edit_url(awarded), form_data(
        awarded, name="Quality Measures Support II", pop_end="2028-01-31"), follow=True)
    assert response.redirect_chain == [(awarded.get_absolute_url(), 302)]
    html = html_of(response)
    assert "Contract saved." in html
    assert "<h1>Quality Measures Support II</h1>" in html
    assert "January 31, 2028" in html

    awarded.refresh_from_db()
    assert awarded.name == "Quality Measures Support II"
    assert awarded.pop_end == D(2028, 1, 31)
    event = AuditEvent.objects.get(action="contract.updated")
    assert event.actor == team
    assert event.before == {"name": "Quality Measures Support", "pop_end": "2027-12-17"}
    assert event.after == {"name": "Quality Measures Support II", "pop_end": "2028-01-31"}
    # The POP end moved, so did the offboarding steps.
    assert awarded.steps.get(key="remove-access").due_date == D(2028, 1, 31)


def test_pop_end_before_its_start_is_refused_with_the_typed_values_kept(client, awarded):
    events = AuditEvent.objects.count()
    response = client.post(edit_url(awarded), form_data(
        awarded, name="Typed new name", pop_start="2027-01-04", pop_end="2026-12-31"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "<title>Error: " in html
    message = "The period of performance must end on or after its start."
    assert re.search(r'<span class="usa-error-message" id="id_pop_end_error">'
                     + re.escape(message), html)
    assert 'value="Typed new name"' in html
    assert 'value="2027-01-04"' in html
    assert 'value="2026-12-31"' in html

    saved = Contract.objects.get(pk=awarded.pk)
    assert (saved.name, saved.pop_start, saved.pop_end) == (
        "Quality Measures Support", D(2026, 12, 18), D(2027, 12, 17))
    assert AuditEvent.objects.count() == events


def test_pop_start_before_the_award_is_refused(client, awarded):
    response = client.post(edit_url(awarded), form_data(awarded, pop_start="2026-11-30"))
    assert response.status_code == 400
    assert "The period of performance cannot start before the award." in (
        response.content.decode())
    assert Contract.objects.get(pk=awarded.pk).pop_start == D(2026, 12, 18)


def test_a_duplicate_contract_number_is_a_clear_error(client, awarded):
    make_contract(name="Someone else's", contract_number="75FCMC26C9999")
    response = client.post(edit_url(awarded), form_data(awarded, contract_number="75FCMC26C9999"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "already exists" in html
    assert Contract.objects.get(pk=awarded.pk).contract_number == "75FCMC26C0042"


def test_a_cor_cannot_edit_the_contract(client, awarded):
    cor = awarded.roles.get(role=ContractRole.Role.COR).user
    signed_in(client, cor)
    assert client.get(edit_url(awarded)).status_code == 403
    response = client.post(edit_url(awarded), form_data(awarded, name="Hijacked"))
    assert response.status_code == 403
    assert Contract.objects.get(pk=awarded.pk).name == "Quality Measures Support"


# --- Completing a step --------------------------------------------------------------------


def complete_url(step):
    return reverse("contracts:step_complete", args=[step.contract_id, step.pk])


@pytest.mark.parametrize("note", ["", "   "])
def test_completing_a_step_without_a_note_is_refused(client, awarded, note):
    step = awarded.steps.get(key="name-so-spoc")
    response = client.post(complete_url(step), {"note": note}, follow=True)
    html = html_of(response)
    assert "To complete “Contractor names the SO and SPOC”, say what shows it is done." in html
    assert "Overdue" in row(html, f'id="step-{step.pk}"')
    step.refresh_from_db()
    assert step.completed_at is None


def test_completing_a_step_with_a_note_shows_it_done_by_whom(client, awarded):
    step = awarded.steps.get(key="name-so-spoc")
    response = client.post(complete_url(step), {"note": "SO and SPOC named by email"},
                           follow=True)
    html = html_of(response)
    assert "“Contractor names the SO and SPOC” is done." in html
    done = row(html, f'id="step-{step.pk}"')
    assert "✓ Done" in done
    assert "by Tess Team: SO and SPOC named by email" in done
    assert "Mark done" not in done

    # A second submission (a double click) is a clear message, not an error page.
    again = html_of(client.post(complete_url(step), {"note": "again"}, follow=True))
    assert "was already completed" in again
    step.refresh_from_db()
    assert step.completion_note == "SO and SPOC named by email"


def test_a_cor_cannot_complete_steps(client, awarded):
    step = awarded.steps.get(key="name-so-spoc")
    signed_in(client, awarded.roles.get(role=ContractRole.Role.COR).user)
    html = detail(client, awarded)
    assert "Mark done" not in html
    assert client.post(complete_url(step), {"note": "done"}).status_code == 403
    assert ContractStep.objects.get(pk=step.pk).completed_at is None


def test_completing_a_step_of_another_contract_is_not_found(client, awarded):
    other = make_contract()
    step = other.steps.get(key="notify-award")
    url = reverse("contracts:step_complete", args=[awarded.pk, step.pk])
    assert client.post(url, {"note": "done"}).status_code == 404
    assert ContractStep.objects.get(pk=step.pk).completed_at is None


# --- The filter form is rendered once for each thing it shows (issue 17) --------------------


def service_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="service".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_service_filter_shows_a_renamed_or_added_service_at_once(client, catalog):
    before = service_options(html_of(client.get(LIST)))
    confluence = Service.objects.get(slug="confluence")
    confluence.name = "Confluence Wiki"
    confluence.save()
    Service.objects.create(slug="zulu", name="Zulu Chat", order=999)

    after = service_options(html_of(client.get(LIST)))

    assert "Confluence" in before and "Confluence Wiki" not in before
    assert "Confluence Wiki" in after and "Zulu Chat" in after


def test_the_filter_form_shows_what_each_request_chose_and_its_own_errors(client, catalog):
    first = html_of(client.get(LIST, {"q": "alpha", "cor": "nobody at all"}))
    second = html_of(client.get(LIST, {"q": "bravo"}))
    again = html_of(client.get(LIST, {"q": "alpha", "cor": "nobody at all"}))

    assert 'value="alpha"' in first and "No COR of the contracts you can see matches" in first
    assert 'value="bravo"' in second and "No COR of the contracts" not in second
    assert 'value="alpha"' not in second
    assert filter_form(again) == filter_form(first)


def filter_form(html: str) -> str:
    return re.search(r'<form[^>]*id="contract-filters".*?</form>', html, re.S).group(0)


def test_search_by_organization_keeps_contracts_without_one_out(client, catalog):
    # An organization's name matches through the organizations (contracts.queries): a
    # contract without an organization never matches by it.
    make_contract(name="Delta Orphan", contract_number="75FCMC26C3004")
    assert list_names(client, q="analytics llc") == ["Alpha Analytics"]
    assert list_names(client, q="orphan") == ["Delta Orphan"]


def test_a_row_says_why_it_names_no_organization_and_no_cor(client, team):
    # The rows are written in Python (contracts/rows.py): every case the template had.
    make_contract(name="Unawarded & <Co>")
    awarded = make_contract(name="Awarded Without", award_date=D(2026, 3, 2))
    advance(awarded, Contract.award)

    html = html_of(client.get(LIST))

    unawarded = row(html, "Unawarded &amp; &lt;Co&gt;")
    assert 'data-label="Organization">Not yet awarded<' in unawarded
    assert 'data-label="COR">—<' in unawarded
    assert 'data-label="Stage">Solicitation<' in unawarded
    assert 'data-label="Organization">Not given yet<' in row(html, "Awarded Without")
    assert f'href="{reverse("contracts:detail", args=[awarded.pk])}"' in html


def test_the_lists_service_filter_offers_every_service_in_the_catalogs_order(client, team):
    def options() -> list[str]:
        select = re.search(r'<select name="service".*?</select>',
                           html_of(client.get(LIST)), re.DOTALL)
        assert select, "the list has no service filter"
        return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))

    assert options() == ["Any service", *Service.objects.values_list("name", flat=True)]
    Service.objects.create(slug="zz-new", name="A new service", description="New")
    assert "A new service" in options()
    assert options() == ["Any service", *Service.objects.values_list("name", flat=True)]
