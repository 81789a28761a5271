"""The world the authorization matrix visits: two sides, A and B, each with its own COR and
contractor, and contracts in the states the pages need, built through the services (so the
audit record, timelines and outbox are as real use leaves them).

Every side-specific text carries the side's marker ("Alderwood" for A, "Birchwood" for B:
names, organizations, email addresses), so a page that shows another side's data is found
by looking for that marker. Contract numbers are markers too.
"""

import datetime
from dataclasses import dataclass, field

from django.core.files.base import ContentFile

from muster import clock
from muster.access import additional, grants, imports, roster, roster_csv
from muster.accounts.models import ContractRole, TeamRole, User
from muster.catalog.models import Service
from muster.closeout import calendar_feed
from muster.closeout.choice import open_closeout
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Organization
from muster.notifications.models import OutboxEmail
from muster.onboarding import package as welcome
from muster.onboarding import services as onboarding
from muster.onboarding.models import EligibilityMeeting, TouchPointCall
from tests.factories import csv_upload, pdf_bytes, pdf_upload

R = ContractRole.Role
T = TeamRole.Role


def _user(email: str, name: str, harp_id: str = "") -> User:
    user = User.objects.create_user(email, "matrix-password-2026", full_name=name,
                                    harp_id=harp_id)
    return user


@dataclass
class Side:
    """One side of the world: its people, its contracts and the objects the URLs need."""

    label: str  # "A" or "B"
    marker: str  # text every side-specific string carries
    people: dict[str, User] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    objects: dict[str, int | str] = field(default_factory=dict)

    @property
    def markers(self) -> list[str]:
        numbers = [c.contract_number for c in self.contracts.values()]
        return [self.marker.lower(), *numbers]


@dataclass
class World:
    users: dict[str, User]  # the visiting roles (both sides' CORs and the team)
    sides: dict[str, Side]


def _side(label, marker, number_base, cor, own_slug, team, lead, leads_by_slug) -> Side:
    side = Side(label=label, marker=marker)
    low = marker.lower()
    today = clock.today()

    def days(n: int) -> datetime.date:
        return today + datetime.timedelta(days=n)

    org = Organization.objects.create(name=f"{marker} Analytics LLC",
                                      harp_name=f"{marker.upper()} ANALYTICS")
    people = {
        "cor": cor,
        "poc": _user(f"poc@{low}.example.com", f"Pat {marker} POC", f"{low[:4]}poc1"),
        "so": _user(f"so@{low}.example.com", f"Sol {marker} SO", f"{low[:4]}so01"),
        "spoc": _user(f"spoc@{low}.example.com", f"Spike {marker} SPOC", f"{low[:4]}spc1"),
    }
    side.people = people
    services = {s.slug: s for s in Service.objects.all()}
    own = services[own_slug]

    def solicit(name: str, number: str) -> Contract:
        return onboarding.notify_solicitation(
            cor, name=name, contract_number=number, estimated_award_date=days(-40),
            requirements_summary=f"Work for {marker}.",
        )

    def awarded(contract: Contract, pop_end_in: int) -> Contract:
        contract = onboarding.notify_award(cor, contract, award_date=days(-38))
        contract = contracts.update_contract(
            cor, contract, pop_start=days(-14), pop_end=days(pop_end_in),
            type_of_work=f"Analytics for the {marker} programme.", organization=org,
        )
        for role in ("poc", "so", "spoc"):
            extra = {"eua_check": ContractRole.EuaCheck.COMPLETE} if role != "poc" else {}
            contracts.assign_role(team, contract, people[role], role, **extra)
        return Contract.objects.get(pk=contract.pk)

    def with_service_and_dua(contract: Contract) -> Contract:
        ContractService.objects.create(
            contract=contract, service=own, estimated_users=12,
            justification=f"The {marker} team needs {own.name}.",
        )
        dua = DataUseAgreement(contract=contract, number=f"DUA-{marker[:3].upper()}-{contract.pk}",
                               effective_date=days(-30), expiry_date=days(300),
                               uploaded_by=cor)
        dua.document.save(f"{low}-dua.pdf", ContentFile(pdf_bytes()), save=False)
        dua.save()
        if own.requires_dua:
            dua.services.set([own])
        return contract

    # Awarded before Muster started the request at the award: no onboarding request yet.
    unstarted = solicit(f"{marker} Unstarted Intake", f"{number_base}3")
    unstarted = contracts.change_stage(team, contracts.update_contract(
        team, unstarted, award_date=days(-38)), Contract.award)
    for role in ("poc", "so", "spoc"):
        contracts.assign_role(team, unstarted, people[role], role)
    ContractService.objects.create(contract=unstarted, service=own, estimated_users=2,
                                   justification=f"The {marker} team needs {own.name}.")
    # The draft: awarded, the intake form not yet submitted.
    draft = awarded(solicit(f"{marker} Draft Intake", f"{number_base}1"), 360)
    with_service_and_dua(draft)
    # Waiting for the eligibility meeting (the team lead approved the request).
    meeting = awarded(solicit(f"{marker} Meeting Pending", f"{number_base}2"), 360)
    meeting = with_service_and_dua(meeting)
    onboarding.submit(cor, meeting.onboarding_request)
    onboarding.mark_reviewed(team, meeting.onboarding_request)
    onboarding.approve_as_lead(lead, meeting.onboarding_request)

    # The main contract: onboarded, with every related object, then closing.
    main = awarded(solicit(f"{marker} Main Support", f"{number_base}0"), 45)
    main = with_service_and_dua(main)
    request = main.onboarding_request
    onboarding.submit(cor, request)
    onboarding.ask_question(team, request, f"How many {marker} users start in month one?")
    onboarding.answer_question(people["poc"], request, "Four in the first month.")
    onboarding.mark_reviewed(team, request)
    onboarding.approve_as_lead(lead, request)
    onboarding.record_meeting(team, request, onboarding.MeetingRecord(
        held_on=today, attendees=f"The team, the {marker} COR and POC",
        outcome=EligibilityMeeting.Outcome.ELIGIBLE, notes="Eligible.",
    ))
    item = main.services.get(service=own)
    onboarding.decide_service(leads_by_slug[own_slug], item, approve=True)
    package = welcome.send_welcome_package(team, Contract.objects.get(pk=main.pk))
    call = welcome.record_call(
        team, main, held_on=days(-3), topics=[TouchPointCall.Topic.TEMPLATES],
        outcome=f"Templates shared with {marker}.", notes="",
        documents=[pdf_upload(f"{low}-minutes.pdf")],
    )
    main = Contract.objects.get(pk=main.pk)
    # The roster: the contractor user with an active grant, a member whose grant waits.
    so = people["so"]
    roster.add_user(so, main, full_name=f"Cody {marker} User",
                    email=f"user@{low}.example.com", harp_id=f"{low[:4]}usr1")
    member = User.objects.get(email=f"user@{low}.example.com")
    people["contractor_user"] = member
    roster.add_user(so, main, full_name=f"Wren {marker} Waiting",
                    email=f"waiting@{low}.example.com", harp_id=f"{low[:4]}wai1")
    waiting = User.objects.get(email=f"waiting@{low}.example.com")
    active = grants.confirm(team, grants.grant(so, main, member, own))
    requested = grants.grant(so, main, waiting, own)
    # A CSV import waiting in preview.
    csv = (f"full_name,email,harp_id,services\nNew {marker} Person,new@{low}.example.com,"
           f"{low[:4]}new1,{own.name}\n").encode()
    parsed = roster_csv.parse(csv_upload(csv))
    roster_import = imports.start_import(so, main, filename=f"{low}-users.csv", rows=parsed.rows)
    # An additional service the COR approved: waiting for its leads.
    req = additional.request_service(
        people["poc"], main, service=services["slack"],
        organization_name=f"{marker.upper()} ANALYTICS",
        justification=f"Chat for the {marker} team.", estimated_users=3,
    )
    req = additional.cor_decide(cor, req, True, "Yes.")
    # The closeout notice (the contract is now closing), and the COR's calendar link.
    open_closeout(None, main.pk)
    main = Contract.objects.get(pk=main.pk)
    feed = calendar_feed.feed_for(cor)
    email = OutboxEmail.objects.get(key__startswith=f"closeout-notice:{main.pk}:")
    step = main.steps.filter(completed_at__isnull=True).order_by("order", "pk").first()

    side.contracts = {"main": main, "draft": draft, "meeting": meeting,
                      "unstarted": unstarted}
    side.objects = {
        "step": step.pk,
        "version": package.version,
        "call": call.pk,
        "doc": call.documents.get().pk,
        "dua": main.duas.get().pk,
        "member": member.pk,
        "grant_requested": requested.pk,
        "grant_active": active.pk,
        "item": item.pk,
        "req": req.pk,
        "import": roster_import.pk,
        "token": feed.token,
        "email": email.pk,
        "scenario": 3,
        "screen": "contract",
    }
    # work (issue 14): the open onboarding request and closeout an assignment names.
    side.objects.update({
        "work_onboarding": meeting.onboarding_request.pk,
        "work_closeout": main.closeouts.get().pk,
    })
    # shell: the side's COR's saved view of the contract list (its name carries the marker).
    side.objects["saved_view"] = contracts.save_view(
        cor, name=f"{marker} closing", query="stage=closing").pk
    # api (issue 15): the side's COR's own API token, and a provisioning client's token.
    side.objects.update(_api_tokens(marker, cor, team))
    return side


def _api_tokens(marker: str, cor: User, team: User) -> dict[str, int]:
    from muster.api import tokens

    expires = clock.now() + datetime.timedelta(days=90)
    own, _ = tokens.issue(created_by=cor, user=cor, name=f"{marker} script", scope="read",
                          expires_at=expires)
    client, _ = tokens.issue(created_by=team, name=f"{marker} Okta", scope="scim",
                             expires_at=expires)
    return {"api_token": own.pk, "client_token": client.pk}


def build_world() -> World:
    services = {s.slug: s for s in Service.objects.all()}

    def team_member(email, name, role, service=None):
        user = _user(email, name)
        TeamRole.objects.create(user=user, role=role, service=service)
        return user

    users = {
        "onboarding_team": team_member("team@matrix.example.com", "Tess Team", T.ONBOARDING_TEAM),
        "team_lead": team_member("lead@matrix.example.com", "Lee Lead", T.TEAM_LEAD),
        "administrator": team_member("admin@matrix.example.com", "Ada Admin", T.ADMINISTRATOR),
        "sas_lead": team_member("sas-lead@matrix.example.com", "Sasha Lead", T.SERVICE_LEAD,
                                services["sas-viya"]),
        "confluence_lead": team_member("conf-lead@matrix.example.com", "Connie Lead",
                                       T.SERVICE_LEAD, services["confluence"]),
        "outsider": _user("outsider@matrix.example.com", "Otto Outsider"),
        # Both CORs hold the COR team role (they may notify solicitations).
        "cor": team_member("cor@alderwood.example.com", "Cora Alderwood COR", T.COR),
        "other_cor": team_member("cor@birchwood.example.com", "Olga Birchwood COR", T.COR),
    }
    leads = {"sas-viya": users["sas_lead"], "confluence": users["confluence_lead"]}
    team, lead = users["onboarding_team"], users["team_lead"]
    a = _side("A", "Alderwood", "75FCMC26C710", users["cor"], "sas-viya", team, lead, leads)
    b = _side("B", "Birchwood", "75FCMC26C720", users["other_cor"], "confluence", team, lead,
              leads)
    for role in ("poc", "so", "spoc", "contractor_user"):
        users[role] = a.people[role]
    for side in (a, b):
        _conversation(side, team)
        _webhook(side, team)
        _campaign(side, team)
    return World(users=users, sides={"A": a, "B": b})


# --- conversation: each side's thread (issue 14) ------------------------------------------
# Words only an internal note holds: a page showing them to anyone outside the team leaks
# it (tests/test_authorization_matrix.py checks every answer for them).
INTERNAL_MARKER = "Quagmire-internal"


def _conversation(side: Side, team: User) -> None:
    """A shared comment mentioning the COR, an internal note with a PDF attached (its
    download is the matrix's "attachment"), and a comment on the additional-service
    request."""
    from muster.access.models import AdditionalServiceRequest
    from muster.conversation import services as conversation

    main = side.contracts["main"]
    cor = main.roles.get(role=R.COR).user
    conversation.post_entry(team, main, body=f"{side.marker} comment: the DUA is filed.",
                            notify=[cor], attachments=[pdf_upload(f"{side.marker}-memo.pdf")])
    note = conversation.post_entry(
        team, main, visibility="internal", attachments=[pdf_upload("note.pdf")],
        body=f"{side.marker} {INTERNAL_MARKER} note: the COR is slow to answer.")
    req = AdditionalServiceRequest.objects.get(pk=side.objects["req"])
    conversation.post_entry(cor, main, about=req, body=f"{side.marker} asks: when is Slack on?")
    side.objects["attachment"] = note.attachments.get().pk


# --- webhooks (issue 15): an endpoint per side and one delivery of the side's contract -----


def _webhook(side: Side, team: User) -> None:
    from muster.audit.models import AuditEvent
    from muster.webhooks import services as webhooks
    from muster.webhooks.models import Delivery

    endpoint, _ = webhooks.register(
        team, url=f"https://hooks.{side.marker.lower()}.example.org/muster",
        description=f"{side.marker} identity system", event_types=["grant.revoked"])
    main = side.contracts["main"]
    event = AuditEvent.objects.filter(contract=main).order_by("-id").first()
    delivery = Delivery.objects.create(
        endpoint=endpoint, event_type="grant.revoked", audit_event=event,
        payload={"type": "grant.revoked", "contract": {"id": main.pk, "name": main.name}})
    side.objects["webhook_endpoint"] = endpoint.pk
    side.objects["webhook_delivery"] = delivery.pk


# --- recertification (issue 16): a campaign per side over its main contract --------------


def _campaign(side: Side, team: User) -> None:
    from muster.recertification import services as recertification
    from muster.timeline import calendar

    main = side.contracts["main"]
    campaign = recertification.open_campaign(
        team, name=f"{side.marker} access review",
        due_date=calendar.add_business_days(clock.today(), 10), scope="chosen",
        contracts=[main])
    side.objects["campaign"] = campaign.pk
    side.objects["campaign_item"] = campaign.items.order_by("pk").first().pk
