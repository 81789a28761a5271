"""Demo data: made-up people and companies, a contract at every lifecycle stage.

Dates are relative to today, so the demo always shows a solicitation ahead, an overdue
step, a contract nearing its end, and so on. Everything is written through the services,
so the audit record and the timelines are as real use would leave them.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction

from muster import clock
from muster.accounts.models import ContractRole, TeamRole, User
from muster.catalog.models import Service
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Organization
from muster.timeline import services as timeline

DEMO_PASSWORD = "muster-demo-2026"
DOMAIN = "example.com"


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
}
ORGANIZATIONS = {
    "bluebird": ("Bluebird Analytics LLC", "BLUEBIRD ANALYTICS"),
    "harborlight": ("Harborlight Systems Inc.", "HARBORLIGHT SYSTEMS"),
    "quillmark": ("Quillmark Data Corp.", "QUILLMARK DATA"),
    "tidewater": ("Tidewater Health IT", "TIDEWATER HEALTH IT"),
    "northfield": ("Northfield Digital Services", "NORTHFIELD DIGITAL"),
    "ironbark": ("Ironbark Solutions Group", "IRONBARK SOLUTIONS"),
}
ROLE_BY_LABEL = {
    "POC": ContractRole.Role.POC,
    "SO": ContractRole.Role.SO,
    "SPOC": ContractRole.Role.SPOC,
    "Contractor user": ContractRole.Role.CONTRACTOR_USER,
}


def is_loaded() -> bool:
    return Contract.objects.exists() or User.objects.filter(email=TEAM[0].email).exists()


def sign_ins() -> list[tuple[str, str]]:
    """(role, email) for the printed list of demo sign-ins."""
    people = TEAM + [p for group in CONTRACTOR_PEOPLE.values() for p in group]
    return [(p.role, p.email) for p in people]


def _user(person: Person) -> User:
    user = User.objects.create_user(
        person.email, DEMO_PASSWORD, full_name=person.name, harp_id=person.harp_id,
        phone=person.phone,
    )
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

    def complete(contract: Contract, keys: list[str], actor=team) -> None:
        for step in contract.steps.filter(key__in=keys):
            timeline.complete_step(actor, step, "Recorded when the demo was loaded.")

    def advance(contract: Contract, *transitions: str) -> Contract:
        for name in transitions:
            contract = contracts.change_stage(team, contract, name)
        return contract

    created = {}

    # 1. A solicitation: award expected in 75 days.
    c = contracts.create_contract(
        cor, name="Quality Measures Analytics Support", contract_number="75FCMC26R0042",
        estimated_award_date=days(75),
        requirements_summary="Analytics on quality measures; likely SAS Viya and Confluence.",
    )
    contracts.assign_role(cor, c, cor, ContractRole.Role.COR)
    complete(c, ["notify-solicitation"], cor)
    created["solicitation"] = c

    # 2. Awarded three days ago; the period of performance starts in three weeks.
    c = contracts.create_contract(
        cor2, name="Provider Data Help Desk", contract_number="75FCMC26C0107",
        estimated_award_date=days(-5), award_date=days(-3), pop_start=days(21),
        pop_end=days(21 + 364), type_of_work="Tier 1 and 2 help desk for provider data.",
    )
    contracts.assign_role(cor2, c, cor2, ContractRole.Role.COR)
    contractor("harborlight", c)
    request_services(c, ["jira-service-management", "slack"], approved=False)
    complete(c, ["notify-solicitation", "identify-requirements", "notify-award",
                 "name-so-spoc"], cor2)
    created["awarded"] = advance(c, "award")

    # 3. Onboarding, ten days into its period of performance: the meeting is overdue.
    c = contracts.create_contract(
        cor, name="Hospital Quality Reporting Modernization", contract_number="75FCMC26C0088",
        task_order_number="75FCMC26F0003", estimated_award_date=days(-40),
        award_date=days(-38), pop_start=days(-10), pop_end=days(355),
        type_of_work="Modernize hospital quality reporting pipelines.",
    )
    contracts.assign_role(cor, c, cor, ContractRole.Role.COR)
    contractor("bluebird", c)
    request_services(c, ["sas-viya", "confluence", "slack"], approved=False)
    complete(c, ["notify-solicitation", "identify-requirements", "notify-award",
                 "name-so-spoc", "so-spoc-identified", "submit-intake"], cor)
    created["onboarding"] = advance(c, "award", "start_onboarding")

    # 4. Active: onboarded last spring, a long way from its end.
    c = contracts.create_contract(
        cor, name="Clinical Data Abstraction Center", contract_number="75FCMC25C0311",
        estimated_award_date=days(-230), award_date=days(-225), pop_start=days(-200),
        pop_end=days(530), type_of_work="Abstraction of clinical records for validation.",
    )
    contracts.assign_role(cor, c, cor, ContractRole.Role.COR)
    contractor("tidewater", c)
    request_services(c, ["sas-viya", "confluence", "jira-service-management", "slack"], True)
    complete(c, [s.key for s in c.steps.filter(process="onboarding")])
    created["active"] = advance(c, "award", "start_onboarding", "activate")

    # 5. Closing: 45 days to the end of its period of performance.
    c = contracts.create_contract(
        cor2, name="Quality Improvement Network Support", contract_number="75FCMC24C0190",
        estimated_award_date=days(-700), award_date=days(-695), pop_start=days(-685),
        pop_end=days(45), type_of_work="Support for the quality improvement network.",
    )
    contracts.assign_role(cor2, c, cor2, ContractRole.Role.COR)
    contractor("quillmark", c)
    request_services(c, ["confluence", "slack"], approved=True)
    complete(c, [s.key for s in c.steps.filter(process="onboarding")])
    created["closing"] = advance(c, "award", "start_onboarding", "activate", "begin_closeout")

    # 6. Closed a month ago; all access removed.
    c = contracts.create_contract(
        cor, name="Measure Specification Review", contract_number="75FCMC23C0055",
        estimated_award_date=days(-800), award_date=days(-790), pop_start=days(-760),
        pop_end=days(-30), type_of_work="Review of measure specifications.",
    )
    contracts.assign_role(cor, c, cor, ContractRole.Role.COR)
    contractor("ironbark", c)
    request_services(c, ["confluence"], approved=True)
    complete(c, [s.key for s in c.steps.all()])
    created["closed"] = advance(c, "award", "start_onboarding", "activate", "begin_closeout",
                                "close")

    # Another active contract with a different COR, so lists and filters have variety.
    c = contracts.create_contract(
        cor2, name="Payment Model Evaluation", contract_number="75FCMC25C0420",
        estimated_award_date=days(-150), award_date=days(-148), pop_start=days(-120),
        pop_end=days(610), type_of_work="Evaluation of alternative payment models.",
    )
    contracts.assign_role(cor2, c, cor2, ContractRole.Role.COR)
    contractor("northfield", c)
    request_services(c, ["sas-viya", "slack"], approved=True)
    complete(c, [s.key for s in c.steps.filter(process="onboarding")])
    created["active-2"] = advance(c, "award", "start_onboarding", "activate")
    return created
