"""Recertification campaigns through their pages and the daily sweep, the clock frozen:
the team opens a campaign, each SO decides per grant (one by one or in bulk), reminders go
out before the due date, the due date pauses what nobody certified, and a late "still
needed" resumes it."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.audit.models import AuditEvent
from muster.notifications.models import OutboxEmail
from muster.recertification.models import Campaign, CampaignItem, Decision
from tests.factories import TODAY
from tests.pages import mails_with_subject, text_of

from .conftest import DUE

pytestmark = pytest.mark.django_db


def open_campaign(client, world, *, contracts=None, due=DUE, name="Access review Q4"):
    client.force_login(world["onboarding_team"])
    data = {"name": name, "due_date": due.isoformat(), "scope": "all"}
    if contracts is not None:
        data.update(scope="chosen", contracts=[c.pk for c in contracts])
    response = client.post(reverse("recertification:campaign_new"), data)
    return response


def opened(client, world, **kwargs) -> Campaign:
    response = open_campaign(client, world, **kwargs)
    assert response.status_code == 302, text_of(response)
    return Campaign.objects.get()


def page_of(campaign, contract) -> str:
    return reverse("recertification:contract", kwargs={"campaign": campaign.pk,
                                                        "pk": contract.pk})


def decide_url(campaign, contract) -> str:
    return reverse("recertification:decide", kwargs={"campaign": campaign.pk,
                                                       "pk": contract.pk})


def item_of(campaign, grant) -> CampaignItem:
    return CampaignItem.objects.get(campaign=campaign, grant=grant)


def fresh(grant) -> AccessGrant:
    return AccessGrant.objects.get(pk=grant.pk)


# --- Opening ---------------------------------------------------------------------------


def test_the_team_opens_a_campaign_over_every_active_contract(client, world):
    campaign = opened(client, world)

    granted = {item.grant_id for item in campaign.items.all()}
    assert granted == {g.pk for g in world["g"].values()}  # revoked grant left out
    assert campaign.opened_by == world["onboarding_team"]
    event = AuditEvent.objects.get(action="recertification.opened")
    assert event.after["items"] == 5
    page = text_of(client.get(campaign.get_absolute_url()))
    assert "Access review Q4" in page and world["mine"].name in page
    assert world["other"].name in page
    # Each contract's SO is told once, the COR copied, with the link to their page.
    mine_email = OutboxEmail.objects.get(key=f"recertification:{campaign.pk}:"
                                             f"{world['mine'].pk}:opened")
    assert mine_email.to == [world["so"].email] and world["cor"].email in mine_email.cc
    assert page_of(campaign, world["mine"]) in mine_email.body
    assert "4 grants of your users need your decision" in mine_email.body
    assert OutboxEmail.objects.filter(template="recertification_opened").count() == 2


def test_the_team_opens_a_campaign_over_chosen_contracts(client, world):
    campaign = opened(client, world, contracts=[world["other"]])

    assert [i.grant_id for i in campaign.items.all()] == [world["g"]["dan_confluence"].pk]
    assert OutboxEmail.objects.filter(template="recertification_opened").count() == 1
    assert "Dan Distant" not in text_of(client.get(campaign.get_absolute_url()))


@pytest.mark.parametrize(("due", "says"), [
    (TODAY, "The due date must be after today."),
    (datetime.date(2026, 12, 5), "is not a business day"),  # a Saturday
    (datetime.date(2026, 12, 25), "is not a business day"),  # Christmas
])
def test_the_due_date_is_a_future_business_day(client, world, due, says):
    response = open_campaign(client, world, due=due)

    assert response.status_code == 400
    assert says in text_of(response)
    assert not Campaign.objects.exists()


def test_a_chosen_scope_needs_a_contract(client, world):
    response = open_campaign(client, world, contracts=[])

    assert response.status_code == 400
    assert "Choose at least one contract." in text_of(response)


def test_grants_added_after_opening_are_not_in_the_campaign(client, world):
    from .conftest import grant

    campaign = opened(client, world)
    later = grant(world["mine"], world["ben"], world["slack"], world["so"])

    assert not CampaignItem.objects.filter(grant=later).exists()
    client.force_login(world["so"])
    page = text_of(client.get(page_of(campaign, world["mine"])))
    assert "4 of 4 grants left to certify" in page and "Slack" in page  # Cody's Slack
    assert "Ben Baker, Confluence" in page and "Ben Baker, Slack" not in page


# --- The SO's page ---------------------------------------------------------------------


def test_the_so_sees_only_their_contracts_users_and_their_services(client, world):
    campaign = opened(client, world)
    client.force_login(world["so"])

    page = text_of(client.get(page_of(campaign, world["mine"])))

    assert "Cody User" in page and "Ben Baker" in page and "Cyd Clark" in page
    assert "Dan Distant" not in page
    assert "4 of 4 grants left to certify" in page
    home = text_of(client.get(reverse("home")))
    assert "4 of 4 grants to certify by December 8, 2026" in home
    contract_page = text_of(client.get(world["mine"].get_absolute_url()))
    assert "4 of 4 grants to certify by December 8, 2026" in contract_page


@pytest.mark.parametrize("who", ["other_so", "cor", "contractor_user", "outsider"])
def test_no_one_else_decides(client, world, who):
    campaign = opened(client, world)
    client.force_login(world[who])
    item = item_of(campaign, world["g"]["ada_confluence"])

    seen = client.get(page_of(campaign, world["mine"]))
    decided = client.post(decide_url(campaign, world["mine"]), {"one": f"{item.pk}:remove"})

    assert seen.status_code in (403, 404) and decided.status_code in (403, 404)
    expected = 403 if who == "cor" else 404
    assert seen.status_code == expected
    assert fresh(world["g"]["ada_confluence"]).status == GrantStatus.ACTIVE
    assert item_of(campaign, world["g"]["ada_confluence"]).decision == ""


def test_another_contracts_campaign_page_is_not_found(client, world):
    campaign = opened(client, world, contracts=[world["other"]])
    client.force_login(world["so"])

    assert client.get(page_of(campaign, world["mine"])).status_code == 404


def test_the_so_decides_one_by_one_and_changes_a_decision(client, world):
    campaign = opened(client, world)
    client.force_login(world["so"])
    item = item_of(campaign, world["g"]["ada_confluence"])

    response = client.post(decide_url(campaign, world["mine"]), {"one": f"{item.pk}:keep"},
                           follow=True)

    assert "1 decision(s) saved." in text_of(response)
    item.refresh_from_db()
    assert item.decision == Decision.KEEP and item.decided_by == world["so"]
    assert item.decided_at is not None
    event = AuditEvent.objects.get(action="recertification.certified")
    assert event.after["campaign"] == campaign.pk
    assert event.after["grant"] == world["g"]["ada_confluence"].pk
    assert event.after["decision"] == "keep"
    assert fresh(world["g"]["ada_confluence"]).status == GrantStatus.ACTIVE
    assert "3 of 4 grants left to certify" in text_of(response)

    client.post(decide_url(campaign, world["mine"]), {"one": f"{item.pk}:remove"})

    item.refresh_from_db()
    assert item.decision == Decision.REMOVE
    assert fresh(world["g"]["ada_confluence"]).status == GrantStatus.REVOKED


def test_remove_revokes_through_access_with_its_audit_and_email(client, world):
    campaign = opened(client, world)
    client.force_login(world["so"])
    item = item_of(campaign, world["g"]["cyd_confluence"])

    client.post(decide_url(campaign, world["mine"]), {"one": f"{item.pk}:remove"})

    grant = fresh(world["g"]["cyd_confluence"])
    assert grant.status == GrantStatus.REVOKED and grant.revoked_by == world["so"]
    assert AuditEvent.objects.filter(action="access.revoked", object_id=str(grant.pk)).exists()
    email = OutboxEmail.objects.get(template="access_changed")
    assert "Cyd Clark" in email.body
    # A revoked grant cannot be decided again.
    again = client.post(decide_url(campaign, world["mine"]), {"one": f"{item.pk}:keep"},
                        follow=True)
    assert "Access already revoked cannot be certified again" in text_of(again)
    assert item_of(campaign, grant).decision == Decision.REMOVE


def test_the_so_decides_in_bulk(client, world):
    campaign = opened(client, world)
    client.force_login(world["so"])
    chosen = [item_of(campaign, world["g"][k]).pk
              for k in ("ada_confluence", "ada_slack", "ben_confluence")]

    response = client.post(decide_url(campaign, world["mine"]),
                           {"items": chosen, "decision": "keep", "bulk": "1"}, follow=True)

    assert "3 decision(s) saved." in text_of(response)
    assert CampaignItem.objects.filter(pk__in=chosen, decision=Decision.KEEP).count() == 3
    assert AuditEvent.objects.filter(action="recertification.certified").count() == 3
    assert "1 of 4 grants left to certify" in text_of(response)


def test_a_bulk_decision_without_a_choice_shows_the_errors(client, world):
    campaign = opened(client, world)
    client.force_login(world["so"])

    response = client.post(decide_url(campaign, world["mine"]), {"bulk": "1"})

    assert response.status_code == 400
    page = text_of(response)
    assert "Choose at least one grant." in page and "Choose “Still needed” or “Remove”." in page


def test_a_bulk_decision_cannot_name_another_contracts_grant(client, world):
    campaign = opened(client, world)
    client.force_login(world["so"])
    theirs = item_of(campaign, world["g"]["dan_confluence"]).pk

    response = client.post(decide_url(campaign, world["mine"]),
                           {"items": [theirs], "decision": "remove"})

    assert response.status_code == 400
    assert fresh(world["g"]["dan_confluence"]).status == GrantStatus.ACTIVE


# --- The sweep: reminders, pauses, late certification ---------------------------------


def test_reminders_go_once_per_threshold(client, world, sweep_on, mailoutbox):
    campaign = opened(client, world)
    client.force_login(world["so"])
    for key in ("ada_confluence", "ada_slack", "ben_confluence", "cyd_confluence"):
        if key != "cyd_confluence":
            client.post(decide_url(campaign, world["mine"]),
                        {"one": f"{item_of(campaign, world['g'][key]).pk}:keep"})
    mailoutbox.clear()

    sweep_on(DUE - datetime.timedelta(days=8))
    assert mails_with_subject(mailoutbox, "Reminder") == []
    report = sweep_on(DUE - datetime.timedelta(days=7))
    assert report.recertification_reminders == 2  # mine (1 left) and other (1 left)
    mine = [m for m in mails_with_subject(mailoutbox, "Reminder")
            if world["mine"].name in m.subject]
    assert len(mine) == 1 and mine[0].to == [world["so"].email]
    assert world["cor"].email in mine[0].cc
    assert "1 grant of" in mine[0].body and "(7 days from now)" in mine[0].body
    sweep_on(DUE - datetime.timedelta(days=6))
    sweep_on(DUE - datetime.timedelta(days=6))
    assert len(mails_with_subject(mailoutbox, "Reminder")) == 2
    sweep_on(DUE - datetime.timedelta(days=2))
    assert len(mails_with_subject(mailoutbox, "Reminder")) == 4
    sweep_on(DUE - datetime.timedelta(days=1))
    assert len(mails_with_subject(mailoutbox, "Reminder")) == 4


def test_a_contract_with_nothing_left_gets_no_reminder(client, world, sweep_on, mailoutbox):
    campaign = opened(client, world, contracts=[world["other"]])
    client.force_login(world["other_so"])
    item = item_of(campaign, world["g"]["dan_confluence"])
    client.post(decide_url(campaign, world["other"]), {"one": f"{item.pk}:keep"})

    report = sweep_on(DUE - datetime.timedelta(days=7))

    assert report.recertification_reminders == 0
    assert mails_with_subject(mailoutbox, "Reminder") == []


def test_after_missed_days_only_the_most_pressing_reminder_goes(client, world, sweep_on,
                                                                 mailoutbox):
    opened(client, world, contracts=[world["mine"]])
    sweep_on(DUE - datetime.timedelta(days=12))

    sweep_on(DUE - datetime.timedelta(days=1))  # the 7- and 2-day thresholds both missed

    [reminder] = mails_with_subject(mailoutbox, "Reminder")
    assert "(1 day from now)" in reminder.body
    sweep_on(DUE - datetime.timedelta(days=1))
    assert len(mails_with_subject(mailoutbox, "Reminder")) == 1


def test_the_due_date_pauses_the_undecided_and_tells_so_and_cor_once(client, world,
                                                                      sweep_on, mailoutbox):
    campaign = opened(client, world, contracts=[world["mine"]])
    client.force_login(world["so"])
    kept = item_of(campaign, world["g"]["ada_confluence"])
    client.post(decide_url(campaign, world["mine"]), {"one": f"{kept.pk}:keep"})

    sweep_on(DUE - datetime.timedelta(days=1))
    assert fresh(world["g"]["ada_slack"]).status == GrantStatus.ACTIVE
    report = sweep_on(DUE)

    assert report.recertification_pauses == 3
    assert fresh(world["g"]["ada_confluence"]).status == GrantStatus.ACTIVE
    for key in ("ada_slack", "ben_confluence", "cyd_confluence"):
        grant = fresh(world["g"][key])
        assert grant.status == GrantStatus.PAUSED  # paused, not revoked
        assert grant.pause_reason == PauseReason.NOT_RECERTIFIED
    assert AuditEvent.objects.filter(action="access.grant_paused").count() == 3
    [told] = mails_with_subject(mailoutbox, "Access paused: not recertified")
    assert set(told.to) == {world["so"].email, world["cor"].email}
    assert "Ben Baker" in told.body and "Cyd Clark" in told.body
    # Idempotent: the next days pause nothing more and tell no one again.
    assert sweep_on(DUE).recertification_pauses == 0
    assert sweep_on(DUE + datetime.timedelta(days=1)).recertification_pauses == 0
    assert len(mails_with_subject(mailoutbox, "Access paused: not recertified")) == 1
    page = text_of(client.get(page_of(campaign, world["mine"])))
    assert "the due date has passed" in page.lower()


def test_a_late_still_needed_resumes_the_grant(client, world, sweep_on):
    campaign = opened(client, world, contracts=[world["mine"]])
    sweep_on(DUE)
    client.force_login(world["so"])
    ben = item_of(campaign, world["g"]["ben_confluence"])
    cyd = item_of(campaign, world["g"]["cyd_confluence"])

    response = client.post(decide_url(campaign, world["mine"]),
                           {"items": [ben.pk, cyd.pk], "decision": "keep"}, follow=True)

    assert "Resumed" in text_of(response) and "Ben Baker" in text_of(response)
    # Ben's was never confirmed: it waits for confirmation again; Cyd's is active.
    assert fresh(world["g"]["ben_confluence"]).status == GrantStatus.REQUESTED
    cyd_grant = fresh(world["g"]["cyd_confluence"])
    assert cyd_grant.status == GrantStatus.ACTIVE and cyd_grant.pause_reason == ""
    assert AuditEvent.objects.filter(action="access.grant_resumed").count() == 2
    # A late "remove" revokes.
    slack = item_of(campaign, world["g"]["ada_slack"])
    client.post(decide_url(campaign, world["mine"]), {"one": f"{slack.pk}:remove"})
    assert fresh(world["g"]["ada_slack"]).status == GrantStatus.REVOKED
    # Decided, they are not paused again.
    assert sweep_on(DUE + datetime.timedelta(days=1)).recertification_pauses == 0


def test_a_grant_paused_for_its_dua_is_not_resumed_by_certification(client, world, sweep_on):
    campaign = opened(client, world, contracts=[world["mine"]])
    grant = world["g"]["cyd_confluence"]
    AccessGrant.objects.filter(pk=grant.pk).update(status=GrantStatus.PAUSED,
                                                  pause_reason=PauseReason.DUA_LAPSED)
    sweep_on(DUE)
    assert fresh(grant).pause_reason == PauseReason.DUA_LAPSED  # not live: left alone
    client.force_login(world["so"])
    item = item_of(campaign, grant)

    response = client.post(decide_url(campaign, world["mine"]), {"one": f"{item.pk}:keep"},
                           follow=True)

    assert "Still paused for another reason" in text_of(response)
    assert fresh(grant).status == GrantStatus.PAUSED
    assert fresh(grant).pause_reason == PauseReason.DUA_LAPSED
    assert item_of(campaign, grant).decision == Decision.KEEP


# --- The team's progress and exports --------------------------------------------------


def test_the_progress_page_counts_per_contract(client, world, sweep_on):
    campaign = opened(client, world)
    client.force_login(world["so"])
    ada = item_of(campaign, world["g"]["ada_confluence"])
    cyd = item_of(campaign, world["g"]["cyd_confluence"])
    client.post(decide_url(campaign, world["mine"]), {"one": f"{ada.pk}:keep"})
    client.post(decide_url(campaign, world["mine"]), {"one": f"{cyd.pk}:remove"})
    sweep_on(DUE)
    client.force_login(world["onboarding_team"])

    page = text_of(client.get(campaign.get_absolute_url()))

    mine = world["mine"]
    assert f"{mine.name} {mine.contract_number} 4 1 1 2 2" in page
    assert "2 of 5 grants decided" in page
    listing = text_of(client.get(reverse("recertification:campaigns")))
    assert "Access review Q4" in listing
    # The team may read the SO's page, not decide on it.
    team_view = client.get(page_of(campaign, mine))
    assert team_view.status_code == 200 and "Apply to the chosen grants" not in text_of(team_view)
    assert client.post(decide_url(campaign, mine), {"one": f"{ada.pk}:remove"}).status_code == 403


def _more_contracts(world, n):
    from muster.accounts.models import ContractRole
    from tests.access import approve
    from tests.factories import UserFactory, activate, give_role, make_contract

    from .conftest import grant, member

    for i in range(n):
        contract = activate(make_contract(name=f"Extra {i}"))
        so = UserFactory()
        give_role(so, contract, ContractRole.Role.SO)
        service = approve(contract, "confluence")
        grant(contract, member(contract, f"Extra User {i}"), service, so)


# Session, user, team roles, header and messages, then the campaign and its two reads (the
# footer's help contacts were read by the request before: once a minute a process).
PROGRESS_QUERIES = 7


@pytest.mark.parametrize("extra", [0, 4])
def test_the_progress_pages_queries_do_not_grow_with_contracts(
        client, world, extra, django_assert_num_queries):
    _more_contracts(world, extra)
    campaign = opened(client, world)
    client.get(campaign.get_absolute_url())

    with django_assert_num_queries(PROGRESS_QUERIES):
        page = text_of(client.get(campaign.get_absolute_url()))

    assert f"of {5 + extra} grants decided" in page


def test_the_result_exports_as_csv(client, world):
    campaign = opened(client, world)
    client.force_login(world["so"])
    item = item_of(campaign, world["g"]["ada_confluence"])
    client.post(decide_url(campaign, world["mine"]), {"one": f"{item.pk}:keep"})
    world["ben"].full_name = "=HYPERLINK(\"http://evil\")"
    world["ben"].save()
    client.force_login(world["onboarding_team"])
    before = AuditEvent.objects.count()

    response = client.get(reverse("recertification:export_csv", kwargs={"pk": campaign.pk}))

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Contract", "Contract number", "User"]
    assert len(rows) == 6
    ada = next(r for r in rows if r[2] == "Cody User" and r[4] == "Confluence")
    assert ada[6] == "Still needed" and ada[7] == world["so"].full_name and ada[8]
    assert any(r[2] == "'=HYPERLINK(\"http://evil\")" for r in rows)
    assert AuditEvent.objects.count() == before  # a GET writes nothing


def test_the_result_exports_as_a_tagged_pdf(client, world):
    campaign = opened(client, world)
    client.force_login(world["onboarding_team"])

    response = client.get(reverse("recertification:export_pdf", kwargs={"pk": campaign.pk}))

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and str(root["/Lang"]).startswith("en")
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Access review Q4" in text and "Cyd Clark" in text and "Dan Distant" in text


@pytest.mark.parametrize("name", ["campaigns", "campaign_new"])
def test_the_teams_pages_are_the_teams(client, world, name):
    client.force_login(world["so"])
    assert client.get(reverse(f"recertification:{name}")).status_code == 403


# Session, user, roles, header, messages, the contract, the campaign, the items, panels (the
# footer's help contacts were read by the request before: once a minute a process).
SO_PAGE_QUERIES = 9


@pytest.mark.parametrize("extra", [0, 5])
def test_the_sos_pages_queries_do_not_grow_with_users(client, world, extra,
                                                       django_assert_num_queries):
    from .conftest import grant, member

    for i in range(extra):
        grant(world["mine"], member(world["mine"], f"More User {i}"), world["slack"],
              world["so"])
    campaign = opened(client, world, contracts=[world["mine"]])
    client.force_login(world["so"])
    items = list(campaign.items.values_list("pk", flat=True))
    client.post(decide_url(campaign, world["mine"]), {"items": items[:3], "decision": "keep"})
    url = page_of(campaign, world["mine"])
    client.get(url)

    with django_assert_num_queries(SO_PAGE_QUERIES):
        page = text_of(client.get(url))

    assert f"{1 + extra} of {4 + extra} grants left to certify" in page

