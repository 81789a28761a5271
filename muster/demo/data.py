"""Demo data: made-up people and companies, a contract at every lifecycle stage.

Dates are relative to today, so the demo always shows a solicitation ahead, an overdue
step, a contract nearing its end, and so on. Everything is written through the services,
so the audit record and the timelines are as real use would leave them; each action is
played on the day it happened in the story (`_on`), so a request waiting for a week says
it was submitted a week ago, and an overdue step was not done before its date.
"""

import datetime
import functools
import io
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from pypdf import PdfWriter

from muster import clock
from muster.access import additional, dua, grants
from muster.access import roster as access_roster
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit import checkpoints
from muster.catalog.models import Service
from muster.closeout import choice, ending, queries, removal
from muster.closeout.models import Scenario
from muster.closeout.reaward import undo_reaward
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Organization
from muster.onboarding import package as welcome
from muster.onboarding import services as onboarding
from muster.onboarding.evidence import complete_evidence
from muster.onboarding.models import (
    EligibilityMeeting,
    SurveyResponse,
    TouchPointCall,
    WelcomePackage,
)
from muster.timeline import calendar
from muster.timeline import services as timeline
from muster.work.demo import assign_demo_work

from . import campaign, dua_warning, findings
from .story import DOMAIN
from .story import on as _on
from .story import workday as _workday

DEMO_PASSWORD = "muster-demo-2026"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: str  # what the sign-in list says
    harp_id: str = ""
    phone: str = ""


TEAM = [
    Person(f"admin@{DOMAIN}", "Avery Quinlan", "Administrator"),
    Person(f"team@{DOMAIN}", "Jordan Vale", "Onboarding team"),
    Person(f"lead@{DOMAIN}", "Morgan Ashby", "Onboarding team lead"),
    Person(f"sas-lead@{DOMAIN}", "Dana Whitcombe", "Service lead: SAS Viya, Slack"),
    Person(f"confluence-lead@{DOMAIN}", "Sam Okonkwo-Reyes", "Service lead: Confluence, Jira"),
    Person(f"cor@{DOMAIN}", "Casey Lindqvist", "COR"),
    Person(f"cor2@{DOMAIN}", "Riley Ferrante", "COR"),
]
CONTRACTOR_PEOPLE = {
    "bluebird": [
        Person(f"poc@bluebird.{DOMAIN}", "Taylor Brandt", "POC", "tbrandt01", "555-0101"),
        Person(f"so@bluebird.{DOMAIN}", "Emery Castellanos", "SO", "ecastel02", "555-0102"),
        Person(f"spoc@bluebird.{DOMAIN}", "Kai Oyelaran", "SPOC", "koyela03", "555-0103"),
    ],
    "harborlight": [
        Person(f"poc@harborlight.{DOMAIN}", "Quinn Marchetti", "POC", "qmarch11", "555-0111"),
        Person(f"so@harborlight.{DOMAIN}", "Rowan Aldana", "SO", "raldan12", "555-0112"),
        Person(f"spoc@harborlight.{DOMAIN}", "Sasha Brightwater", "SPOC", "sbrigh13", "555-0113"),
    ],
    "quillmark": [
        Person(f"poc@quillmark.{DOMAIN}", "Devon Haraldsen", "POC", "dharal21", "555-0121"),
        Person(f"so@quillmark.{DOMAIN}", "Ellis Nakamura-Price", "SO", "enakam22", "555-0122"),
        Person(f"spoc@quillmark.{DOMAIN}", "Harper Lusk", "SPOC", "hlusk23", "555-0123"),
    ],
    "tidewater": [
        Person(f"poc@tidewater.{DOMAIN}", "Jesse Corvino", "POC", "jcorvi31", "555-0131"),
        Person(f"so@tidewater.{DOMAIN}", "Logan Petrakis", "SO", "lpetra32", "555-0132"),
        Person(f"spoc@tidewater.{DOMAIN}", "Marlowe Idowu", "SPOC", "midowu33", "555-0133"),
        Person(f"analyst@tidewater.{DOMAIN}", "Noel Trevino", "Contractor user", "ntrevi34"),
    ],
    "northfield": [
        Person(f"poc@northfield.{DOMAIN}", "Parker Vance", "POC", "pvance41", "555-0141"),
        Person(f"so@northfield.{DOMAIN}", "Reese Kowalczyk", "SO", "rkowal42", "555-0142"),
        Person(f"spoc@northfield.{DOMAIN}", "Skyler Abernathy", "SPOC", "sabern43", "555-0143"),
    ],
    "ironbark": [
        Person(f"poc@ironbark.{DOMAIN}", "Tatum Ellery", "POC", "teller51", "555-0151"),
        Person(f"so@ironbark.{DOMAIN}", "Val Odhiambo", "SO", "vodhia52", "555-0152"),
        Person(f"spoc@ironbark.{DOMAIN}", "Wren Castellano", "SPOC", "wcaste53", "555-0153"),
    ],
    "copperline": [
        Person(f"poc@copperline.{DOMAIN}", "Blair Szymanski", "POC", "bszyma61", "555-0161"),
        Person(f"so@copperline.{DOMAIN}", "Cameron Oduya", "SO", "coduya62", "555-0162"),
        Person(f"spoc@copperline.{DOMAIN}", "Drew Halvorsen", "SPOC", "dhalvo63", "555-0163"),
    ],
    "silverleaf": [
        Person(f"poc@silverleaf.{DOMAIN}", "Eden Marsh-Kimura", "POC", "emarsh71", "555-0171"),
        Person(f"so@silverleaf.{DOMAIN}", "Finley Adeyemi", "SO", "fadeye72", "555-0172"),
        Person(f"spoc@silverleaf.{DOMAIN}", "Gray Lindholm", "SPOC", "glindh73", "555-0173"),
    ],
    # The contractors of the demo's history (the metrics page's story).
    "juniper": [
        Person(f"poc@juniper.{DOMAIN}", "Hollis Varga", "POC", "hvarga81", "555-0181"),
        Person(f"so@juniper.{DOMAIN}", "Indigo Saarinen", "SO", "isaari82", "555-0182"),
        Person(f"spoc@juniper.{DOMAIN}", "Jules Okafor-Lind", "SPOC", "jokafo83", "555-0183"),
    ],
    "kestrel": [
        Person(f"poc@kestrel.{DOMAIN}", "Kendall Aranda", "POC", "karand91", "555-0191"),
        Person(f"so@kestrel.{DOMAIN}", "Lane Whitlock", "SO", "lwhitl92", "555-0192"),
        Person(f"spoc@kestrel.{DOMAIN}", "Mackenzie Ferro", "SPOC", "mferro93", "555-0193"),
    ],
    "meridian": [
        Person(f"poc@meridian.{DOMAIN}", "Nico Halloran", "POC", "nhallo61", "555-0196"),
        Person(f"so@meridian.{DOMAIN}", "Oren Castile", "SO", "ocasti62", "555-0197"),
        Person(f"spoc@meridian.{DOMAIN}", "Paige Lindenfeld", "SPOC", "plinde63", "555-0198"),
    ],
}
ORGANIZATIONS = {
    "bluebird": ("Bluebird Analytics LLC", "BLUEBIRD ANALYTICS"),
    "harborlight": ("Harborlight Systems Inc.", "HARBORLIGHT SYSTEMS"),
    "quillmark": ("Quillmark Data Corp.", "QUILLMARK DATA"),
    "tidewater": ("Tidewater Health IT", "TIDEWATER HEALTH IT"),
    "northfield": ("Northfield Digital Services", "NORTHFIELD DIGITAL"),
    "ironbark": ("Ironbark Solutions Group", "IRONBARK SOLUTIONS"),
    "copperline": ("Copperline Research Partners", "COPPERLINE RESEARCH"),
    "silverleaf": ("Silverleaf Consulting Co.", "SILVERLEAF CONSULTING"),
    "juniper": ("Juniper Ridge Informatics", "JUNIPER RIDGE INFORMATICS"),
    "kestrel": ("Kestrel Quality Partners", "KESTREL QUALITY PARTNERS"),
    "meridian": ("Meridian Health Data Co.", "MERIDIAN HEALTH DATA"),
}
ROLE_BY_LABEL = {
    "POC": ContractRole.Role.POC,
    "SO": ContractRole.Role.SO,
    "SPOC": ContractRole.Role.SPOC,
    "Contractor user": ContractRole.Role.CONTRACTOR_USER,
}


@dataclass(frozen=True)
class Onboarded:
    """A contract of the demo's history, onboarded through Muster over the past months, so
    the metrics page tells a true story: each action on the day the numbers say (business
    days after the POP start), some on time, some late."""

    key: str
    name: str
    number: str
    contractor: str
    cor: str  # "cor" or "cor2"
    pop_start: int  # days before today
    services: dict[str, str]  # service slug: "" (approved) or the lead's reason to deny
    meeting: int  # business days after the POP start (due: 5)
    decided: int
    welcome: int  # due: 5
    call: int  # due: 10
    survey: tuple[int, int, str, str] | None  # answered: (day, satisfaction, well, improve)
    dua_expires_in: int = 300  # days from today
    pop_end_in: int = 0  # days from today; 0: a year after the POP start


HISTORY = [
    Onboarded(
        "history-readmission", "Readmission Measures Analytics", "75FCMC25C0501", "juniper",
        "cor", 320,
        {"sas-viya": "",
         "slack": "The contractor's own workspace serves this team: no CMS Slack workspace "
                  "is needed."},
        meeting=3, decided=4, welcome=5, call=8,
        survey=(9, 4, "The eligibility meeting was quick and clear.",
                "Tell us sooner which services need a DUA."),
        dua_expires_in=25),
    Onboarded(
        "history-hospice", "Hospice Quality Data Validation", "75FCMC25C0517", "kestrel",
        "cor2", 255, {"confluence": "", "jira-service-management": ""},
        meeting=6, decided=8, welcome=9, call=12,
        survey=(15, 2, "The service leads' decisions were clear.",
                "The welcome package came days after its date, and nobody told us why."),
        pop_end_in=40),
    Onboarded(
        "history-nursing-home", "Nursing Home Compare Refresh", "75FCMC26C0523", "meridian",
        "cor", 190,
        {"confluence": "",
         "sas-viya": "The refresh uses published, de-identified files only: no SAS Viya "
                     "workspace is needed."},
        meeting=2, decided=3, welcome=4, call=7, survey=None, dua_expires_in=75),
    Onboarded(
        "history-home-health", "Home Health Star Ratings Support", "75FCMC26C0530", "juniper",
        "cor2", 125, {"slack": "", "confluence": ""},
        meeting=7, decided=9, welcome=10, call=13,
        survey=(14, 3, "Good templates for the security deliverables.",
                "The eligibility meeting was booked late and the whole schedule slipped.")),
    Onboarded(
        "history-dialysis", "Dialysis Facility Reporting Analytics", "75FCMC26C0544",
        "meridian", "cor2", 65,
        {"sas-viya": "",
         "jira-service-management": "Requests for this program go through the QPP "
                                    "ServiceNow queue, not Jira Service Management."},
        meeting=2, decided=4, welcome=5, call=9,
        survey=(10, 5, "Everything arrived on the dates we were promised.", ""),
        dua_expires_in=50),
]


def is_loaded() -> bool:
    return Contract.objects.exists() or User.objects.filter(email=TEAM[0].email).exists()


def sign_ins() -> list[tuple[str, str]]:
    """(role, email) for the printed list of demo sign-ins."""
    people = TEAM + [p for group in CONTRACTOR_PEOPLE.values() for p in group]
    known = {p.email for p in people}
    return [(p.role, p.email) for p in people] + [
        ("Contractor user", email) for _, email, _ in ROSTER if email not in known
    ]


ROSTER = [
    ("Noel Trevino", f"analyst@tidewater.{DOMAIN}", "ntrevi34"),
    ("Oakley Fairbanks", f"abstractor1@tidewater.{DOMAIN}", "ofairb35"),
    ("Pax Delacroix", f"abstractor2@tidewater.{DOMAIN}", "pdelac36"),
    ("Quinn Ravensworth", f"former@tidewater.{DOMAIN}", "qraven37"),
]


def roster(contract: Contract, so: User, team: User) -> Contract:
    """The SO's users: active grants, SAS Viya paused because the DUA lapsed, a revoked
    grant, one waiting for confirmation, and an additional service waiting for the COR."""
    today = clock.today()
    services = {s.slug: s for s in Service.objects.all()}
    with _on(_workday(today, 120)):  # some weeks after the welcome package
        users = _roster_users(contract, so)

        def grant(email, slug, confirm=True):
            g = grants.grant(so, contract, users[email], services[slug])
            return grants.confirm(team, g) if confirm else g

        for email in (f"analyst@tidewater.{DOMAIN}", f"abstractor1@tidewater.{DOMAIN}"):
            grant(email, "sas-viya")
            grant(email, "confluence")
        grant(f"abstractor2@tidewater.{DOMAIN}", "slack")
        former = grant(f"former@tidewater.{DOMAIN}", "confluence")
    with _on(_workday(today, 40)):
        grants.revoke(so, former)
    with _on(_workday(today, 2)):
        grant(f"abstractor2@tidewater.{DOMAIN}", "jira-service-management", confirm=False)
    # The DUA lapsed two days ago (its expiry date moved back to show it): the next day's
    # sweep paused every SAS Viya grant and told the SO and COR.
    lapsed = today - datetime.timedelta(days=2)
    DataUseAgreement.objects.filter(contract=contract).update(expiry_date=lapsed)
    with _on(lapsed + datetime.timedelta(days=1), hour=settings.SWEEP_HOUR) as day:
        dua.pause_lapsed(day)
    poc = User.objects.get(email=f"poc@tidewater.{DOMAIN}")
    with _on(_workday(today, 1), hour=14):
        additional.request_service(
            poc, contract, service=services["pecos"], organization_name="TIDEWATER HEALTH IT",
            justification="Provider enrollment look-ups for the abstraction work.",
            estimated_users=4,
        )
    return Contract.objects.get(pk=contract.pk)


def _roster_users(contract: Contract, so: User) -> dict[str, User]:
    users = {}
    for name, email, harp_id in ROSTER:
        user = User.objects.filter(email=email).first()
        if user is None or not contract.roles.filter(user=user).exists():
            access_roster.add_user(so, contract, full_name=name, email=email, harp_id=harp_id)
        users[email] = User.objects.get(email=email)
        if not users[email].has_usable_password():
            users[email].password = _demo_password_hash()
            users[email].save(update_fields=["password"])
    return users


def _blank_pdf() -> bytes:
    """A one-page PDF standing in for a signed DUA."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _known[T](value: T | None) -> T:
    """A value the story itself set (a contract's dates, the closeout it opened)."""
    if value is None:
        raise ValueError("The demo's story expected a value here and found none.")
    return value


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow (~0.3 s); every demo account shares one password.
    return make_password(DEMO_PASSWORD)


def _user(person: Person) -> User:
    user = User.objects.create_user(
        person.email, None, full_name=person.name, harp_id=person.harp_id, phone=person.phone,
    )
    user.password = _demo_password_hash()
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def load() -> dict[str, Contract]:
    today = clock.today()
    users = {p.email: _user(p) for p in TEAM}
    admin = users[f"admin@{DOMAIN}"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    team = users[f"team@{DOMAIN}"]
    TeamRole.objects.create(user=admin, role=TeamRole.Role.ADMINISTRATOR)
    TeamRole.objects.create(user=team, role=TeamRole.Role.ONBOARDING_TEAM)
    TeamRole.objects.create(user=users[f"lead@{DOMAIN}"], role=TeamRole.Role.TEAM_LEAD)
    services = {s.slug: s for s in Service.objects.all()}
    for email, slugs in [(f"sas-lead@{DOMAIN}", ["sas-viya", "slack"]),
                         (f"confluence-lead@{DOMAIN}", ["confluence", "jira-service-management"])]:
        for slug in slugs:
            TeamRole.objects.create(
                user=users[email], role=TeamRole.Role.SERVICE_LEAD, service=services[slug]
            )
    cor, cor2 = users[f"cor@{DOMAIN}"], users[f"cor2@{DOMAIN}"]

    def days(n: int) -> datetime.date:
        return today + datetime.timedelta(days=n)

    def contractor(key: str, contract: Contract) -> None:
        name, harp_name = ORGANIZATIONS[key]
        org, _ = Organization.objects.get_or_create(harp_name=harp_name, defaults={"name": name})
        contracts.update_contract(team, contract, organization=org)
        for person in CONTRACTOR_PEOPLE[key]:
            user = User.objects.filter(email=person.email).first() or _user(person)
            extra = {}
            if person.role in ("SO", "SPOC"):
                extra["eua_check"] = ContractRole.EuaCheck.COMPLETE
            contracts.assign_role(team, contract, user, ROLE_BY_LABEL[person.role], **extra)

    def request_services(contract: Contract, slugs: list[str], approved: bool) -> None:
        for slug in slugs:
            ContractService.objects.create(
                contract=contract, service=services[slug], estimated_users=12,
                justification=f"The team's work needs {services[slug].name}.",
                status=ContractService.Status.APPROVED if approved
                else ContractService.Status.REQUESTED,
            )

    def onboarded(contract: Contract) -> Contract:
        """Every onboarding step done on its due date, the stage moving with them: awarded
        on the award date, onboarding from the POP start, active once the steps are done."""
        stages = [(Contract.award, _known(contract.award_date)),
                  (Contract.start_onboarding, _known(contract.pop_start))]
        steps = contract.steps.filter(process="onboarding", completed_at__isnull=True)
        for step in sorted(steps, key=lambda s: (_known(s.due_date), s.order)):
            due = _known(step.due_date)
            while stages and stages[0][1] <= due:
                transition, day = stages.pop(0)
                with _on(day, hour=8):
                    contract = contracts.change_stage(team, contract, transition)
            with _on(due):
                timeline.complete_step(team, step, "Done on its due date.")
                last_day = due
        for transition, _ in stages:
            with _on(last_day, hour=8):
                contract = contracts.change_stage(team, contract, transition)
        with _on(last_day, hour=16):
            return contracts.change_stage(team, contract, Contract.activate)

    for cor_user in (cor, cor2):
        TeamRole.objects.create(user=cor_user, role=TeamRole.Role.COR)
    lead = users[f"lead@{DOMAIN}"]
    leads = {slug: users[email] for email, slugs in
             [(f"sas-lead@{DOMAIN}", ["sas-viya", "slack"]),
              (f"confluence-lead@{DOMAIN}", ["confluence", "jira-service-management"])]
             for slug in slugs}
    created = {}

    def solicit(actor, name, number, estimated_award, summary) -> Contract:
        # Filed about 60 days before the award, as the timeline asks (or today).
        with _on(min(today, estimated_award - datetime.timedelta(days=61))):
            return onboarding.notify_solicitation(
                actor, name=name, contract_number=number, estimated_award_date=estimated_award,
                requirements_summary=summary,
            )

    def awarded(actor, contract, award_date, pop_start, pop_end, work) -> Contract:
        with _on(award_date):
            contract = onboarding.notify_award(actor, contract, award_date=award_date)
            return contracts.update_contract(
                actor, contract, pop_start=pop_start, pop_end=pop_end, type_of_work=work
            )

    def dua(contract, actor, number, expiry) -> None:
        agreement = DataUseAgreement(
            contract=contract, number=number, expiry_date=expiry, uploaded_by=actor,
            effective_date=clock.today() - datetime.timedelta(days=30), uploaded_at=clock.now(),
        )
        agreement.document.save(f"{number}.pdf", ContentFile(_blank_pdf()), save=False)
        agreement.save()

    def submitted(contract, key, slugs, actor, on: datetime.date) -> Contract:
        with _on(on):
            contractor(key, contract)
            request_services(contract, slugs, approved=False)
            if any(services[s].requires_dua for s in slugs):
                dua(contract, actor, f"DUA-{contract.pk:05d}", days(300))
            onboarding.submit(actor, contract.onboarding_request)
        return Contract.objects.get(pk=contract.pk)

    def through_meeting(contract, reviewed: datetime.date, held: datetime.date) -> None:
        """Reviewed and approved by the lead on `reviewed`, eligible at a meeting on `held`."""
        request = contract.onboarding_request
        with _on(reviewed):
            onboarding.mark_reviewed(team, request)
            onboarding.approve_as_lead(lead, request)
        with _on(held):
            onboarding.record_meeting(team, request, onboarding.MeetingRecord(
                held_on=held,
                attendees="Jordan Vale (onboarding team)\nThe COR\nThe contractor's POC and SO",
                outcome=EligibilityMeeting.Outcome.ELIGIBLE,
                notes="Eligibility confirmed for every requested service.",
            ))

    def after_pop_start(contract, n: int) -> datetime.date:
        return calendar.add_business_days(contract.pop_start, n)

    # 1. A solicitation, filed today: award expected in 75 days.
    created["solicitation"] = solicit(
        cor, "Quality Measures Analytics Support", "75FCMC26R0042", days(75),
        "Analytics on quality measures; likely SAS Viya and Confluence.",
    )

    # 2. Awarded three days ago, the period of performance starts in three weeks: the COR
    # has started the intake form (a draft), and the contractor named its SO and SPOC.
    c = solicit(cor2, "Provider Data Help Desk", "75FCMC26C0107", days(-5),
                "Help desk for provider data; Jira Service Management and Slack.")
    c = awarded(cor2, c, days(-3), days(21), days(21 + 364),
                "Tier 1 and 2 help desk for provider data.")
    with _on(days(-2)):
        contractor("harborlight", c)
        complete_evidence(cor2, c, "name-so-spoc", "SO and SPOC named on the contract.")
    created["awarded"] = c

    # 3. Onboarding, two weeks into its period of performance, waiting for the service
    # leads (one has decided): completing onboarding (POP start + 5 business days) is
    # overdue whatever the weekday and holidays. Submitted before the POP started.
    c = solicit(cor, "Hospital Quality Reporting Modernization", "75FCMC26C0088", days(-40),
                "Reporting pipelines; SAS Viya, Confluence and Slack.")
    c = awarded(cor, c, days(-38), days(-14), days(351),
                "Modernize hospital quality reporting pipelines.")
    c = submitted(c, "bluebird", ["sas-viya", "confluence", "slack"], cor,
                  on=calendar.add_business_days(_known(c.pop_start), -3))
    through_meeting(c, reviewed=calendar.add_business_days(_known(c.pop_start), -1),
                    held=after_pop_start(c, 2))
    with _on(after_pop_start(c, 4)):
        onboarding.decide_service(leads["slack"], c.services.get(service__slug="slack"),
                                  approve=True)
    created["onboarding"] = c

    # 3a. Submitted four business days ago: still waiting for the onboarding team's review.
    c = solicit(cor2, "Beneficiary Experience Research", "75FCMC26C0131", days(-30),
                "Survey research; Confluence and Slack.")
    c = awarded(cor2, c, days(-28), days(-1), days(363),
                "Research on beneficiary experience with quality reporting.")
    created["waiting-review"] = submitted(c, "copperline", ["confluence", "slack"], cor2,
                                          on=_workday(today, 4))

    # 3b. Submitted a week ago; a question from the team has waited two days for the COR.
    c = solicit(cor, "Measure Testing Laboratory", "75FCMC26C0140", days(-20),
                "Measure testing; SAS Viya and Jira Service Management.")
    c = awarded(cor, c, days(-18), days(-2), days(362),
                "Testing of new quality measures against historical data.")
    c = submitted(c, "silverleaf", ["sas-viya", "jira-service-management"], cor,
                  on=_workday(today, 5))
    with _on(_workday(today, 2)):
        onboarding.ask_question(
            team, c.onboarding_request,
            "How many of the 12 estimated SAS Viya users need access in the first month?",
        )
    created["question-open"] = c

    # 3c. Onboarded through Muster: welcome package sent, a call and the survey recorded.
    c = solicit(cor, "Clinical Data Abstraction Center", "75FCMC25C0311", days(-230),
                "Abstraction of clinical records; SAS Viya, Confluence, Jira, Slack.")
    c = awarded(cor, c, days(-225), days(-200), days(530),
                "Abstraction of clinical records for validation.")
    c = submitted(c, "tidewater",
                  ["sas-viya", "confluence", "jira-service-management", "slack"], cor,
                  on=calendar.add_business_days(_known(c.pop_start), -5))
    through_meeting(c, reviewed=calendar.add_business_days(_known(c.pop_start), -3),
                    held=after_pop_start(c, 1))
    with _on(after_pop_start(c, 3)):
        for item in c.services.all():
            onboarding.decide_service(leads[item.service.slug], item, approve=True)
    with _on(after_pop_start(c, 4)):
        welcome.send_welcome_package(team, c)
    with _on(after_pop_start(c, 8)) as call_day:
        welcome.record_call(
            team, c, held_on=call_day,
            topics=[TouchPointCall.Topic.SECURITY_DELIVERABLES,
                    TouchPointCall.Topic.HARDWARE_SOFTWARE],
            outcome="Security deliverable templates shared; laptops delivered and imaged.",
            notes="Next call only if the SO asks.",
        )
    so = User.objects.get(email=f"so@tidewater.{DOMAIN}")
    with _on(after_pop_start(c, 9)):
        welcome.answer_survey(so, c.survey, satisfaction=5, went_well="Clear steps and dates.",
                              to_improve="Send the welcome package as soon as it is ready.")
    created["active"] = roster(Contract.objects.get(pk=c.pk), so, team)

    # 5. Closing: 45 days to the end of its period of performance; the sweep sent the
    # closeout notice 15 days ago, and the COR has not chosen a scenario yet.
    with _on(days(-761)):  # the notice of solicitation, 60 days before the award
        c = contracts.create_contract(
            cor2, name="Quality Improvement Network Support", contract_number="75FCMC24C0190",
            estimated_award_date=days(-700), award_date=days(-695), pop_start=days(-685),
            pop_end=days(45), type_of_work="Support for the quality improvement network.",
        )
        contracts.assign_role(cor2, c, cor2, ContractRole.Role.COR)
        contractor("quillmark", c)
        request_services(c, ["confluence", "slack"], approved=True)
    onboarded(c)
    with _on(days(-15), hour=settings.SWEEP_HOUR):
        choice.open_closeout(None, c.pk)  # the sweep's 60-day notice
    created["closing"] = Contract.objects.get(pk=c.pk)

    # 6. Closed a month ago; all access removed.
    with _on(days(-861)):
        c = contracts.create_contract(
            cor, name="Measure Specification Review", contract_number="75FCMC23C0055",
            estimated_award_date=days(-800), award_date=days(-790), pop_start=days(-760),
            pop_end=days(-30), type_of_work="Review of measure specifications.",
        )
        contracts.assign_role(cor, c, cor, ContractRole.Role.COR)
        contractor("ironbark", c)
        request_services(c, ["confluence"], approved=True)
    onboarded(c)
    with _on(days(-90), hour=settings.SWEEP_HOUR):
        choice.open_closeout(None, c.pk)
    with _on(days(-75)):
        choice.choose_scenario(cor, c, Scenario.NO_AWARD, {
            "pop_end_confirmed": c.pop_end, "data_to_archive": "Measure review workpapers.",
        })
    with _on(days(-30), hour=settings.SWEEP_HOUR):
        ending.end_contract(None, c.pk, _known(c.pop_end))
    record = _known(queries.current_closeout(c))
    with _on(days(-30)):
        removal.confirm_removal(team, record)
    with _on(days(-27)):
        removal.record_archive(team, record, "Workpapers archived to the CMS records share.")
    created["closed"] = Contract.objects.get(pk=c.pk)

    # 7. Re-awarded to the incumbent: ends in 30 days. The COR's first answer had the
    # task order's number as the new contract number; the team undid that re-award (its
    # record is kept, withdrawn) and the COR chose again. The new record waits for its POP.
    with _on(days(-411)):  # the notice of solicitation, 60 days before the award
        c = contracts.create_contract(
            cor, name="Hospital Quality Reporting Support", contract_number="75FCMC25C0310",
            estimated_award_date=days(-350), award_date=days(-345), pop_start=days(-335),
            pop_end=days(30), type_of_work="Support for hospital quality reporting.",
        )
        contracts.assign_role(cor, c, cor, ContractRole.Role.COR)
        contractor("northfield", c)
        request_services(c, ["confluence"], approved=True)
    onboarded(c)
    with _on(days(-30), hour=settings.SWEEP_HOUR):
        choice.open_closeout(None, c.pk)
    reaward = {
        "new_pop_start": days(31), "new_pop_end": days(31 + 364), "pop_start_reason": "",
        "dua_still_valid": True, "so_spoc_unchanged": True, "same_data_needed": True,
        "data_to_archive": "None: the same work continues.",
    }
    with _on(days(-20)):
        choice.apply_scenario(cor, c, Scenario.REAWARD_INCUMBENT,
                                {**reaward, "new_contract_number": "TO-0310-02"})
    with _on(days(-19)):
        withdrawn = undo_reaward(
            team, _known(queries.current_closeout(c)),
            "The COR gave the task order's number as the contract number.")
    with _on(days(-18)):
        chosen = choice.apply_scenario(cor, c, Scenario.REAWARD_INCUMBENT, {
            **reaward, "new_contract_number": "75FCMC26C0311",
            "new_task_order_number": "TO-0310-02"})
    created["reaward"] = Contract.objects.get(pk=c.pk)
    created["reawarded"] = Contract.objects.get(pk=_known(chosen.successor_id))
    created["reaward-withdrawn"] = withdrawn

    def onboarded_in_muster(h: Onboarded) -> Contract:
        """Solicitation, award, intake, review, meeting, decisions, welcome package, call
        and survey, each through its service on its day (see HISTORY)."""
        actor = cor if h.cor == "cor" else cor2
        pop_start = days(-h.pop_start)
        award = pop_start - datetime.timedelta(days=21)
        pop_end = days(h.pop_end_in) if h.pop_end_in else pop_start + datetime.timedelta(364)
        c = solicit(actor, h.name, h.number, award, "Quality reporting work; services to be "
                    "confirmed at intake.")
        c = awarded(actor, c, award, pop_start, pop_end, f"{h.name} for CMS quality programs.")
        with _on(award + datetime.timedelta(days=1)):
            contractor(h.contractor, c)
            complete_evidence(actor, c, "name-so-spoc", "SO and SPOC named on the contract.")
        with _on(calendar.add_business_days(pop_start, -3)):
            request_services(c, list(h.services), approved=False)
            if any(services[s].requires_dua for s in h.services):
                dua(c, actor, f"DUA-{c.pk:05d}", days(h.dua_expires_in))
            onboarding.submit(actor, c.onboarding_request)
        c = Contract.objects.get(pk=c.pk)
        through_meeting(c, reviewed=calendar.add_business_days(pop_start, -2),
                        held=after_pop_start(c, h.meeting))
        with _on(after_pop_start(c, h.decided)):
            for item in c.services.select_related("service"):
                reason = h.services[item.service.slug]
                onboarding.decide_service(leads[item.service.slug], item, approve=not reason,
                                          reason=reason)
        with _on(after_pop_start(c, h.welcome)):
            welcome.send_welcome_package(team, c)
        with _on(after_pop_start(c, h.call)) as call_day:
            welcome.record_call(
                team, c, held_on=call_day, topics=[TouchPointCall.Topic.SECURITY_DELIVERABLES],
                outcome="Security deliverable templates and points of contact shared.")
        if h.survey:
            day, satisfaction, went_well, to_improve = h.survey
            so = User.objects.get(email=f"so@{h.contractor}.{DOMAIN}")
            with _on(after_pop_start(c, day)):
                welcome.answer_survey(so, SurveyResponse.objects.get(contract=c),
                                      satisfaction=satisfaction, went_well=went_well,
                                      to_improve=to_improve)
        return Contract.objects.get(pk=c.pk)

    def additional_request(contract: Contract, slug: str, asked: int, reason: str = ""):
        """The POC asks for one more service `asked` business days after the POP start; the
        COR approves the next day, the service lead decides two days later (denied with
        `reason`)."""
        poc = contract.roles.get(role=ContractRole.Role.POC).user
        with _on(after_pop_start(contract, asked)):
            req = additional.request_service(
                poc, contract, service=services[slug],
                organization_name=_known(contract.organization).harp_name,
                justification=f"The team's analysts now need {services[slug].name}.",
                estimated_users=5)
        with _on(after_pop_start(contract, asked + 1)):
            additional.cor_decide(cor if contract.roles.filter(user=cor).exists() else cor2,
                                  req, True, "Agreed: within the contract's scope.")
        with _on(after_pop_start(contract, asked + 3)):
            additional.lead_decide(leads[slug], req, not reason, reason)
            # The approval asked for the addendum; the worker's part, done here at once.
            for package in contract.welcome_packages.filter(
                    state=WelcomePackage.State.PREPARING):
                welcome.finish_now(package)

    # The demo's history, for the metrics page: five contracts onboarded through Muster over
    # the past months (on time and late, surveys answered high and low and one never,
    # services denied with reasons), additional services approved and denied, a POP
    # extended (scenario 4) and a contract ended for another contractor (scenario 2).
    for h in HISTORY:
        created[h.key] = onboarded_in_muster(h)
    additional_request(created["history-readmission"], "confluence", 30)
    additional_request(created["history-nursing-home"], "sas-viya", 25,
                       reason="Still no identifiable data in scope: the published files are "
                              "enough for this work.")
    c = created["history-hospice"]
    with _on(days(-20), hour=settings.SWEEP_HOUR):
        choice.open_closeout(None, c.pk)
    with _on(days(-12)):
        choice.apply_scenario(cor2, c, Scenario.EXTENSION, {
            "new_pop_end": days(40 + 365), "dua_valid_through_new_end": True})
    created["history-hospice"] = Contract.objects.get(pk=c.pk)
    with _on(days(-560)):
        c = contracts.create_contract(
            cor2, name="ESRD Quality Reporting Support", contract_number="75FCMC24C0233",
            estimated_award_date=days(-500), award_date=days(-495), pop_start=days(-470),
            pop_end=days(-10), type_of_work="Support for ESRD quality reporting.",
        )
        contracts.assign_role(cor2, c, cor2, ContractRole.Role.COR)
        contractor("kestrel", c)
        request_services(c, ["confluence"], approved=True)
    onboarded(c)
    with _on(days(-70), hour=settings.SWEEP_HOUR):
        choice.open_closeout(None, c.pk)
    with _on(days(-55)):
        choice.choose_scenario(cor2, c, Scenario.OTHER_CONTRACTOR, {
            "pop_end_confirmed": c.pop_end, "new_contractor_needs_data": True,
            "data_to_archive": "Reporting workpapers and the measure calculation logs.",
        })
    with _on(days(-10), hour=settings.SWEEP_HOUR):
        ending.end_contract(None, c.pk, _known(c.pop_end))
    record = _known(queries.current_closeout(c))
    with _on(days(-10)):
        removal.confirm_removal(team, record)
    with _on(days(-7)):
        removal.record_archive(team, record, "Workpapers archived for the new contractor.")
    created["history-other-contractor"] = Contract.objects.get(pk=c.pk)

    # Another active contract with a different COR, so lists and filters have variety.
    with _on(days(-211)):
        c = contracts.create_contract(
            cor2, name="Payment Model Evaluation", contract_number="75FCMC25C0420",
            estimated_award_date=days(-150), award_date=days(-148), pop_start=days(-120),
            pop_end=days(610), type_of_work="Evaluation of alternative payment models.",
        )
        contracts.assign_role(cor2, c, cor2, ContractRole.Role.COR)
        contractor("northfield", c)
        request_services(c, ["sas-viya", "slack"], approved=True)
    created["active-2"] = onboarded(c)
    # Access governance (issue 16): each its own module, in the story's past.
    dua_warning.show(created)
    campaign.show(created)
    findings.show(created)
    assign_demo_work()  # the team's work, as of now: some items given to each team member
    # Signed as the daily sweep signs it: an evidence package of the demo has a checkpoint.
    checkpoints.make()
    return created
