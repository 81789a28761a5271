# ruff: noqa: F811
"""Scenario 1 with a new SO and SPOC, walked through the end date with the daily sweep:
who hears about which record, that every link in an email opens for everyone it went to,
what the old record's closeout says after the carry-over, and what both histories and
contract pages tell of the succession."""

import re

from django.urls import reverse

from muster.accounts.models import ContractRole, User
from muster.closeout.models import Closeout
from muster.contracts.models import Contract, DataUseAgreement
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from tests.factories import give_role
from tests.pages import text_of

from .scenes import (
    DAY,
    WEEKDAY_END,
    choose,
    notice_arrives,
    page,
    reaward_data,
    refreshed,
    step,
)

NEW_PEOPLE = {
    "new_so_name": "Nina Newso", "new_so_email": "nina@example.com",
    "new_so_harp_id": "nina.n-01",
    "new_spoc_name": "Sam Newspoc", "new_spoc_email": "sam@example.com",
    "new_spoc_harp_id": "sam.s-02",
}


def reawarded_with_new_people(client, people, scene, sweep_on, mailoutbox, **answers):
    s = scene(WEEKDAY_END)
    notice_arrives(s, people, sweep_on, mailoutbox)
    response = choose(client, people["cor"], s["mine"], 1, reaward_data(
        s["pop_end"], so_spoc_unchanged="no", **{**NEW_PEOPLE, **answers}))
    assert response.status_code == 302
    new = Closeout.objects.get(contract=s["mine"]).successor
    return s, new, User.objects.get(email="nina@example.com"), \
        User.objects.get(email="sam@example.com")


def recipients(email: OutboxEmail) -> set[str]:
    return set(email.to) | set(email.cc)


def links(email: OutboxEmail) -> list[str]:
    return [re.sub(r"^https?://[^/]+", "", url).rstrip(".,")
            for url in re.findall(r"https?://\S+", email.body)]


def stay_in_muster(people, *roles):
    """These people of Mine keep an account after Mine ends (each is a user on another
    contract): a person with no role left is deactivated the day it closes
    (muster/identity/lifecycle.py), and could open none of the links below."""
    for role in roles:
        give_role(people[role], people["other"], ContractRole.Role.CONTRACTOR_USER)


def test_the_people_of_each_record_hear_what_concerns_it_and_can_open_every_link(
    client, people, scene, sweep_on, mailoutbox
):
    s, new, nina, sam = reawarded_with_new_people(
        client, people, scene, sweep_on, mailoutbox, dua_still_valid="no")
    mine, pop_end = s["mine"], s["pop_end"]
    old_so, old_spoc = people["so"].email, people["spoc"].email
    stay_in_muster(people, "so", "spoc")

    # Named: each of them is told at once what the new record is and what it will need.
    deliver_due()
    [to_nina] = OutboxEmail.objects.filter(template="successor_named", to=[nina.email])
    [to_sam] = OutboxEmail.objects.filter(template="successor_named", to=[sam.email])
    assert to_nina.contract == new and to_sam.contract == new
    assert "Security Official (SO) of Mine, the sequel" in to_nina.subject
    assert "December 1, 2027 to November 29, 2028" in to_nina.body
    assert "uploaded on this record's DUA page" in to_nina.body
    assert reverse("access:dua", args=[new.pk]) in to_nina.body

    # The sweep walks the days around the end date.
    for day in range(-4, 4):
        sweep_on(pop_end + day * DAY)

    emails = list(OutboxEmail.objects.filter(contract__in=[mine, new]).order_by("pk"))
    about_new = [e for e in emails if e.contract_id == new.pk]
    about_old = [e for e in emails if e.contract_id == mine.pk]
    for email in about_new:
        assert not recipients(email) & {old_so, old_spoc}, (email.subject, recipients(email))
    for email in about_old:
        assert not recipients(email) & {nina.email, sam.email}, email.subject

    [carried_in] = [e for e in about_new if e.template == "access_carried_in"]
    assert carried_in.to == [nina.email]
    assert sam.email in carried_in.cc and people["cor"].email in carried_in.cc
    assert "Ana Analyst: SAS Viya" in carried_in.body
    assert reverse("access:dua", args=[new.pk]) in carried_in.body
    [carried_over] = [e for e in about_old if e.template == "access_carried_over"]
    assert set(carried_over.to) == {old_so, old_spoc}
    assert "Mine, the sequel" in carried_over.body

    # Every link of every email opens for every person it went to.
    for email in emails:
        for address in recipients(email):
            client.force_login(User.objects.get(email=address))
            for path in links(email):
                status = client.get(path).status_code
                assert status == 200, (email.subject, address, path, status)

    # Nobody was asked to remove access the carry-over moved.
    removal = [e.subject for e in about_old if "Contract removed from services" in e.subject]
    assert removal == []


def test_after_the_carry_over_the_old_closeout_says_where_access_went_and_its_step_is_done(
    client, people, scene, sweep_on, mailoutbox
):
    s, new, _nina, _sam = reawarded_with_new_people(client, people, scene, sweep_on,
                                                    mailoutbox)
    mine, pop_end = s["mine"], s["pop_end"]
    sweep_on(pop_end)
    sweep_on(pop_end + 3 * DAY)

    done = step(mine, "remove-access")
    assert done.completed_at is not None
    assert "Access carried over to Mine, the sequel" in done.completion_note
    assert "3 grant(s) moved" in done.completion_note

    text = text_of(page(client, people["onboarding_team"], mine))
    assert "Access was already removed" not in text
    assert "Confirm the removal of access" not in text
    assert "Carried over to the new contract record Mine, the sequel" in text
    assert "Access carried over to the new contract record Mine, the sequel" in text

    response = client.post(reverse("closeout:confirm_removal", args=[mine.pk]),
                           {"note": "Checked."}, follow=True)
    assert "Nothing to confirm: access carried over" in text_of(response)
    assert refreshed(Closeout.objects.get(contract=mine)).removal_confirmed_at is None


def test_both_histories_tell_the_succession_and_link_each_other(
    client, people, scene, sweep_on, mailoutbox
):
    s, new, _nina, _sam = reawarded_with_new_people(
        client, people, scene, sweep_on, mailoutbox, dua_still_valid="no")
    mine, pop_end = s["mine"], s["pop_end"]
    sweep_on(pop_end)

    client.force_login(people["cor"])
    old_history = client.get(reverse("contracts:history", args=[mine.pk]))
    old_text = text_of(old_history)
    assert "Created the new contract record Mine, the sequel (75FCMC27C0099)" in old_text
    assert "Ana Analyst's SAS Viya access carried over to Mine, the sequel" in old_text
    assert "Ana Analyst's Confluence access carried over to Mine, the sequel" in old_text
    assert "Paused SAS Viya for Ana Analyst on Mine, the sequel" in old_text
    assert "Access carried over to Mine, the sequel" in old_text
    assert f'href="{new.get_absolute_url()}"' in old_history.content.decode()

    new_history = client.get(reverse("contracts:history", args=[new.pk]))
    new_text = text_of(new_history)
    assert f"Created contract Mine, the sequel (75FCMC27C0099), following {mine}" in new_text
    assert f'href="{mine.get_absolute_url()}"' in new_history.content.decode()
    assert f"Ana Analyst's SAS Viya access carried over from {mine}" in new_text
    assert f"Access of {mine} carried over to this contract: 3 grant(s)" in new_text
    onboarding = new.steps.filter(process="onboarding").count()
    assert new_text.count("Completed “") >= onboarding > 0


def test_the_contract_pages_link_predecessor_and_successor_for_those_who_may_open_them(
    client, people, scene, sweep_on, mailoutbox
):
    s, new, nina, _sam = reawarded_with_new_people(client, people, scene, sweep_on,
                                                   mailoutbox)
    mine = s["mine"]

    client.force_login(people["cor"])
    old_page = client.get(mine.get_absolute_url()).content.decode()
    new_page = client.get(new.get_absolute_url()).content.decode()
    assert "Followed by" in old_page and f'href="{new.get_absolute_url()}"' in old_page
    assert "Follows" in new_page and f'href="{mine.get_absolute_url()}"' in new_page

    # The new SO is not on the old record: no link that would answer 404.
    client.force_login(nina)
    nina_page = client.get(new.get_absolute_url()).content.decode()
    assert f'href="{mine.get_absolute_url()}"' not in nina_page
    assert client.get(mine.get_absolute_url()).status_code == 404
    assert Contract.objects.filter(pk=new.pk).exists()


def test_access_paused_on_the_old_record_arrives_paused_and_the_new_so_is_told_what_to_upload(
    client, people, scene, sweep_on, mailoutbox
):
    s, new, nina, _sam = reawarded_with_new_people(client, people, scene, sweep_on,
                                                   mailoutbox)
    mine, pop_end = s["mine"], s["pop_end"]
    # The DUA (kept on both records) expires ten days before the end.
    DataUseAgreement.objects.filter(number="DUA-1").update(expiry_date=pop_end - 10 * DAY)

    sweep_on(pop_end - 9 * DAY)
    [lapsed] = OutboxEmail.objects.filter(template="dua_lapsed")
    assert lapsed.contract == mine and people["so"].email in lapsed.to
    assert nina.email not in recipients(lapsed)

    sweep_on(pop_end)
    [carried_in] = OutboxEmail.objects.filter(template="access_carried_in")
    assert carried_in.to == [nina.email]
    assert "paused until a new signed DUA" in carried_in.body
    assert "- Ana Analyst: SAS Viya" in carried_in.body.split("paused until")[1]
    assert reverse("access:dua", args=[new.pk]) in carried_in.body


def test_the_closeout_pages_link_only_the_records_each_person_may_open(
    client, people, scene, sweep_on, mailoutbox
):
    s, new, nina, _sam = reawarded_with_new_people(client, people, scene, sweep_on,
                                                   mailoutbox)
    mine = s["mine"]
    stay_in_muster(people, "so")
    sweep_on(s["pop_end"])

    # The old SO reads where access went, with no link that answers 404.
    old_so_page = page(client, people["so"], mine)
    assert "Carried over to the new contract record Mine, the sequel" in text_of(old_so_page)
    assert f'href="{new.get_absolute_url()}"' not in old_so_page.content.decode()
    assert client.get(new.get_absolute_url()).status_code == 404

    nina_page = page(client, nina, new).content.decode()
    assert reverse("closeout:closeout", args=[mine.pk]) not in nina_page

    cor_page = page(client, people["cor"], new).content.decode()
    assert reverse("closeout:closeout", args=[mine.pk]) in cor_page
