"""`manage.py load_demo`: made-up people and a contract at every stage.

Loading the demo takes seconds, so the tests that only read it share one load (in a
transaction around the class, rolled back after it); each test still runs in its own
savepoint.
"""

import datetime
import io
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from muster import clock
from muster.accounts.models import ContractRole, LoginFailure, TeamRole, User
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract, ContractService, Organization, Stage
from muster.demo import data as demo
from muster.notifications.models import OutboxEmail
from muster.timeline.models import ContractStep, StepState
from muster.timeline.services import default_template

from .factories import TODAY, signed_in

pytestmark = pytest.mark.django_db
EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
SIGN_IN = reverse("account_login")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def noon_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=datetime.UTC)


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [User, TeamRole, Organization, Contract, ContractRole, ContractService,
              ContractStep, AuditEvent]
    return {m.__name__: m.objects.count() for m in models}


def overdue_steps(contract) -> list[str]:
    today = clock.today()
    return [s.key for s in contract.steps.all() if s.state(today) == StepState.OVERDUE]


@pytest.fixture(scope="class")
def loaded(django_db_setup, django_db_blocker):
    """`manage.py load_demo` on an empty database as of Tue Nov 24, 2026, with what
    demo.load() returned, rolled back after the class."""
    with (django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS),
          time_machine.travel(noon_of(TODAY), tick=False),
          pytest.MonkeyPatch.context() as monkeypatch):
        real_load, created = demo.load, {}
        monkeypatch.setattr(demo, "load", lambda: created.setdefault("contracts", real_load()))
        outer = transaction.atomic()
        outer.__enter__()
        try:
            assert Contract.objects.count() == 0
            out = load_demo()
            yield SimpleNamespace(out=out, created=created["contracts"])
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(noon_of(TODAY), tick=False)
    return TODAY


@pytest.mark.usefixtures("today")
class TestTheLoadedDemo:
    def test_it_has_a_contract_in_every_stage(self, loaded):
        assert f"Loaded {Contract.objects.count()} demo contracts." in loaded.out
        assert demo.DEMO_PASSWORD in loaded.out
        assert set(Contract.objects.values_list("stage", flat=True)) >= set(Stage.values)

        steps = default_template().steps.count()
        for contract in Contract.objects.all():
            assert contract.steps.count() == steps, contract
            assert contract.roles.filter(role=ContractRole.Role.COR).count() == 1, contract
            assert AuditEvent.objects.filter(contract=contract).exists(), contract
        # A closed contract is finished: nothing left open.
        for closed in Contract.objects.filter(stage=Stage.CLOSED):
            assert not closed.steps.filter(completed_at__isnull=True).exists(), closed
        # A solicitation's award is still ahead.
        for solicitation in Contract.objects.filter(stage=Stage.SOLICITATION):
            assert solicitation.estimated_award_date > clock.today()
            assert solicitation.award_date is None

    def test_the_onboarding_contract_has_an_overdue_step_today(self, loaded):
        onboarding = Contract.objects.get(pk=loaded.created["onboarding"].pk)
        assert onboarding.stage == Stage.ONBOARDING
        assert overdue_steps(onboarding)

    def test_it_uses_only_example_com_addresses(self, loaded):
        emails = list(User.objects.values_list("email", flat=True))
        assert sorted(emails) == sorted(email for _, email in demo.sign_ins())
        domains = {e.rsplit("@", 1)[1] for e in emails}
        # Email addresses written anywhere in the audit record count too.
        for event in AuditEvent.objects.all():
            domains |= set(EMAIL.findall(f"{event.actor_label} {event.before} {event.after}"))
        assert "bluebird.example.com" in domains
        outside = {d for d in domains if d != "example.com" and not d.endswith(".example.com")}
        assert outside == set()

    def test_it_has_a_recertification_campaign_half_done(self, loaded):
        from muster.recertification.models import Campaign, Decision

        campaign = Campaign.objects.get()
        assert campaign.due_date > clock.today()
        decisions = list(campaign.items.values_list("decision", flat=True))
        assert Decision.KEEP in decisions and Decision.REMOVE in decisions
        assert "" in decisions  # some still waiting

    def test_loading_it_again_changes_nothing(self, loaded):
        first = counts()
        assert "Demo data already loaded" in load_demo()
        assert counts() == first

    def test_the_audit_record_verifies(self, loaded):
        assert AuditEvent.objects.count() > Contract.objects.count()
        out = io.StringIO()
        call_command("verify_audit", stdout=out, stderr=io.StringIO())
        assert "intact" in out.getvalue()

    @pytest.mark.parametrize(
        "email",
        ["admin@example.com", "team@example.com", "cor2@example.com",
         "so@bluebird.example.com", "analyst@tidewater.example.com"],
    )
    def test_demo_people_sign_in_with_the_demo_password(self, loaded, client, email):
        assert email in {e for _, e in demo.sign_ins()}

        wrong = client.post(SIGN_IN, {"login": email, "password": "not-the-password"})
        assert wrong.status_code == 200
        assert "The email address or password is not right" in wrong.content.decode()

        response = client.post(SIGN_IN, {"login": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302
        assert response.url == reverse("home")
        home = client.get(response.url)
        name = User.objects.get(email=email).full_name
        assert f"Signed in as {name}" in home.content.decode()
        assert not LoginFailure.objects.filter(email=email).exists()

    # access governance (issue 16): a DUA inside its warning window, the SO and COR warned.
    def test_a_dua_inside_its_warning_window_is_shown_and_was_emailed(self, loaded, client):
        from muster.notifications.models import OutboxEmail

        contract = Contract.objects.get(pk=loaded.created["history-readmission"].pk)
        [email] = OutboxEmail.objects.filter(template="dua_expiring", contract=contract)
        assert "expires in 30 days" in email.subject
        assert "SAS Viya" in email.body
        assert AuditEvent.objects.filter(action="access.dua_expiry_warned",
                                         contract=contract).count() == 1
        cor = contract.roles.get(role=ContractRole.Role.COR).user
        signed_in(client, cor)
        page = " ".join(client.get(contract.get_absolute_url()).content.decode().split())
        assert "(in 25 days): SAS Viya access for 2 users will pause." in page
        assert "Upload the renewed DUA" in page

    # reports (issue 14): the demo's history makes every chart of the metrics page tell a
    # true, non-empty story.
    def test_the_metrics_page_has_numbers_in_every_chart(self, loaded, client):
        from .reports.test_metrics import section, table_rows, text_of

        signed_in(client, User.objects.get(email="lead@example.com"))
        response = client.get(reverse("reports:metrics"))
        assert response.status_code == 200
        html = response.content.decode()
        for name in ("cycle-times", "on-time", "survey-satisfaction", "survey-response",
                     "service-decisions", "grants", "dua-expiry", "closeouts"):
            assert "Nothing to count." not in section(html, name), name
            assert client.get(reverse("reports:metric_svg", args=[name])).status_code == 200

        def number(cell: str) -> float:
            return float(cell.rstrip("%")) if cell not in ("—", "") else 0

        def total(name: str, column: int) -> float:
            return sum(number(cells[column]) for cells in table_rows(html, name).values())

        cycle = table_rows(html, "cycle-times")
        end_to_end = cycle["Onboarding end to end (intake submitted to welcome package sent)"]
        assert int(end_to_end[2]) >= 5 and number(end_to_end[3]) > 0
        assert total("on-time", 2) > 0 and total("on-time", 3) > 0  # on time, and late
        assert total("survey-satisfaction", 0) >= 5
        averages = {c[1] for c in table_rows(html, "survey-satisfaction").values() if c[0] != "0"}
        assert len(averages) >= 3  # satisfaction varies from month to month
        sent, answered = total("survey-response", 0), total("survey-response", 1)
        assert sent > answered > 0  # answered, and not all of them
        decisions = table_rows(html, "service-decisions")
        assert total("service-decisions", 1) > 0  # denied at intake, with reasons
        assert total("service-decisions", 2) > 0 and total("service-decisions", 3) > 0
        assert sum(number(c[0]) for c in decisions.values()) > 0
        assert total("grants", 1) > 0
        assert number(table_rows(html, "dua-expiry")["Within 30 days"][1]) >= 1
        assert number(table_rows(html, "dua-expiry")["Within 90 days"][1]) >= 3
        closeouts = table_rows(html, "closeouts")
        for scenario in ("Re-awarded to the incumbent", "Awarded to another contractor",
                         "Ends with no new award", "Period of performance extended"):
            assert number(closeouts[scenario][0]) >= 1, scenario
        assert "No step or onboarding request was completed" not in text_of(html)
        denied = ContractService.objects.filter(status=ContractService.Status.DENIED)
        assert denied.exists() and all(item.decision_reason for item in denied)

    # evidence (issue 16): a package of a demo contract carries a signed checkpoint.
    def test_the_audit_record_is_signed_up_to_its_newest_event(self, loaded):
        from muster.audit import checkpoints

        head = checkpoints.latest()
        assert head is not None
        assert head.last_event_id == AuditEvent.objects.order_by("-pk").values_list(
            "pk", flat=True).first()

    # reconciliation (issue 16): findings of a few kinds, on the team's page.
    def test_the_reconciliation_page_has_findings_of_a_few_kinds(self, loaded, client):
        signed_in(client, User.objects.get(email="team@example.com"))
        response = client.get(reverse("reconciliation:findings"))
        assert response.status_code == 200
        page = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
        for kind in ("EUA background check not complete", "On the rosters of two contractors",
                     "Access requested and never confirmed"):
            assert re.search(rf"{kind} \([1-9]\d*\)", page), kind
        assert "Noel Trevino" in page
        assert "Found by the daily check on" in page
        summary = OutboxEmail.objects.get(template="reconciliation_new_findings")
        assert "team@example.com" in summary.to


def test_the_demo_shows_an_overdue_step_even_after_a_holiday(freeze_today):
    freeze_today(datetime.date(2026, 11, 30))
    assert Contract.objects.count() == 0
    assert overdue_steps(demo.load()["onboarding"])
