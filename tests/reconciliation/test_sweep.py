"""The daily sweep's reconciliation: the team gets one email when something new appears,
never twice for the same finding; a finding resolved and back is new again."""

import datetime

import pytest

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.closeout import sweep
from muster.reconciliation import services
from tests.factories import TODAY
from tests.pages import mails_with_subject, text_of

pytestmark = pytest.mark.django_db

WEDNESDAY = TODAY + datetime.timedelta(days=1)
# What the sweep leaves to find on TODAY: its own end of performance revokes Eddie Ended's
# grant (Dogwood ended on the 20th) and its DUA check pauses Dara Dua's SAS Viya.
FOUND_BY_THE_SWEEP = ["Una Unapproved", "Cleo Closed", "Ian InProgress", "Tomas Two",
                      "Una Waiting"]


@pytest.fixture
def sweep_on(freeze_today):
    def run(day):
        freeze_today(day)
        return sweep.run(day)
    return run


def summaries(mailoutbox) -> list:
    return mails_with_subject(mailoutbox, "Reconciliation:")


def leave_no_new_finding_tomorrow(scene):
    """Fay Five's request (November 17) turns 6 business days old on Wednesday: revoke it."""
    AccessGrant.objects.filter(pk__in=[scene.grants["five_days"].pk]).update(
        status=GrantStatus.REVOKED)


def test_the_sweep_emails_the_team_the_new_findings_once(scene, sweep_on, mailoutbox, client):
    report = sweep_on(TODAY)

    assert report.reconciliation_new_findings == 6
    [email] = summaries(mailoutbox)
    assert email.subject == "Reconciliation: 6 new findings on November 24, 2026"
    assert email.to == ["tess@example.com"]
    for name in FOUND_BY_THE_SWEEP:
        assert name in email.body
    for name in ("Eddie Ended", "Dara Dua", "Fay Five", "Sam Same", "Cam Complete"):
        assert name not in email.body
    assert "- On the rosters of two contractors: 2" in email.body
    assert "http://testserver/reconciliation/" in email.body or "/reconciliation/" in email.body
    assert "/access/contracts/" in email.body  # each finding's fix

    again = sweep_on(TODAY)

    assert again.reconciliation_new_findings == 0
    assert len(summaries(mailoutbox)) == 1

    leave_no_new_finding_tomorrow(scene)
    tomorrow = sweep_on(WEDNESDAY)

    assert tomorrow.reconciliation_new_findings == 0
    assert len(summaries(mailoutbox)) == 1
    # The page says since when the check knows each finding.
    client.force_login(scene.team)
    assert "Found by the daily check on Nov 24, 2026" in text_of(client.get("/reconciliation/"))


def test_a_new_finding_the_next_day_is_emailed_alone(scene, sweep_on, mailoutbox):
    sweep_on(TODAY)

    report = sweep_on(WEDNESDAY)  # Fay Five's request is now 6 business days old

    assert report.reconciliation_new_findings == 1
    first, second = summaries(mailoutbox)
    assert second.subject == "Reconciliation: 1 new finding on November 25, 2026"
    assert "Fay Five" in second.body
    for name in FOUND_BY_THE_SWEEP:
        assert name not in second.body


def test_a_finding_resolved_and_back_is_new_again(scene, sweep_on, mailoutbox):
    ian = ContractRole.objects.filter(user=scene.people["Ian InProgress"])
    sweep_on(TODAY)
    leave_no_new_finding_tomorrow(scene)
    ian.update(eua_check=ContractRole.EuaCheck.COMPLETE)

    assert sweep_on(WEDNESDAY).reconciliation_new_findings == 0

    ian.update(eua_check=ContractRole.EuaCheck.INITIATED)
    # Thanksgiving: Fran Four's request (November 18) is still 5 business days old.
    report = sweep_on(WEDNESDAY + datetime.timedelta(days=1))

    assert report.reconciliation_new_findings == 1
    last = summaries(mailoutbox)[-1]
    assert "Ian InProgress" in last.body and "“Initiated”" in last.body


def test_past_the_limit_the_email_says_how_many_more(scene, sweep_on, mailoutbox, monkeypatch):
    monkeypatch.setattr(services, "EMAIL_LIMIT", 2)

    sweep_on(TODAY)

    [email] = summaries(mailoutbox)
    assert "And 4 more: every finding is on the reconciliation page." in email.body
    assert "3. " not in email.body
