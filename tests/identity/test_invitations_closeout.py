"""Closeout scenario 1 names a new SO and SPOC on the new contract record: the one with no
way to sign in is invited, the one who can sign in is not."""

import pytest

from muster.closeout.models import Closeout
from muster.identity.models import Invitation
from muster.notifications.models import OutboxEmail
from tests.closeout.scenes import WEEKDAY_END, choose, notice_arrives, reaward_data

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_reaward_naming_a_new_so_invites_them_to_the_new_contract(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    notice_arrives(s, people, sweep_on, mailoutbox)
    existing = UserFactory(full_name="Sue Spoc", harp_id="")  # has a password

    response = choose(client, people["cor"], s["mine"], 1, reaward_data(
        s["pop_end"], so_spoc_unchanged="no",
        new_so_name="Nina Newso", new_so_email="nina@example.com", new_so_harp_id="nina01",
        new_spoc_name="Sue Spoc", new_spoc_email=existing.email, new_spoc_harp_id="sue_s",
    ))

    assert response.status_code == 302
    new = Closeout.objects.get(contract=s["mine"]).successor
    [email] = OutboxEmail.objects.filter(template="invitation")
    assert email.to == ["nina@example.com"] and email.confidential
    assert email.contract == new
    assert "the Security Official (SO) of Mine, the sequel" in email.body
    assert Invitation.objects.get().user.email == "nina@example.com"
