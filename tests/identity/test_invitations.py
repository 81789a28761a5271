"""Invitations (issue 12): a person Muster names with no way to sign in gets a single-use
link to choose a password; the link works once, for INVITATION_DAYS; a used or expired
one leads to a page that asks for a new one; the team and the SO can send one again."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from muster.access.models import RosterImport
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit.models import AuditEvent
from muster.identity.models import Invitation
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from tests.access import approve
from tests.factories import PASSWORD, TODAY, UserFactory, give_role, signed_in, team_member
from tests.pages import text_of

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+?/accounts/invitation/([A-Za-z0-9_\-]{20,})/")
STRONG = "a-long-walk-by-the-river-42"


@pytest.fixture(autouse=True)
def today(freeze_today):
    return freeze_today(TODAY)


def invitations_to(email: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(template="invitation", to=[email]))


def token_in(mailoutbox, email: str) -> str:
    """Deliver the outbox (as the worker would) and read the link from the email sent."""
    deliver_due()
    [mail] = [m for m in mailoutbox if m.to == [email]]
    match = LINK.search(mail.body)
    assert match, mail.body
    return match.group(1)


def accept_url(token: str) -> str:
    return reverse("identity:invitation", kwargs={"token": token})


def add_to_roster(client, contract, **data):
    fields = {"full_name": "Ada Lovelace", "email": "ada@example.com", "harp_id": "ALOVE01"}
    return client.post(reverse("access:add_user", args=[contract.pk]), {**fields, **data})


def nobody(**fields) -> User:
    """A person Muster has named, with no password (and no provider account)."""
    user = UserFactory(**fields)
    user.set_unusable_password()
    user.save()
    return user


# --- Naming invites ---------------------------------------------------------------------


def test_adding_a_person_to_the_roster_emails_them_a_confidential_invitation(
    client, people, mailoutbox
):
    mine = people["mine"]
    signed_in(client, people["so"])

    assert add_to_roster(client, mine).status_code == 302

    [email] = invitations_to("ada@example.com")
    assert email.confidential
    assert email.subject == "You are invited to Muster, for Mine"
    assert "Sol SO" in email.body and "a contractor user of Mine" in email.body
    ada = User.objects.get(email="ada@example.com")
    [invitation] = Invitation.objects.filter(user=ada)
    assert invitation.sent_by == people["so"]
    assert invitation.expires_at == invitation.sent_at + datetime.timedelta(days=7)
    token = token_in(mailoutbox, "ada@example.com")
    assert invitation.token_hash != token and token not in invitation.token_hash
    [mail] = [m for m in mailoutbox if m.to == ["ada@example.com"]]
    assert "Tuesday, December 1, 2026" in mail.body  # 7 days on
    # The link shows nowhere in Muster: not on the outbox's page of it, nor in the audit.
    signed_in(client, people["onboarding_team"])
    outbox = client.get(reverse("notifications:outbox"))
    assert outbox.status_code == 200 and token not in outbox.content.decode()
    signed_in(client, ada)
    shown = client.get(reverse("notifications:detail", args=[email.pk]))
    assert shown.status_code == 200 and token not in shown.content.decode()
    event = AuditEvent.objects.get(action="identity.invitation_sent", object_id=str(ada.pk))
    assert event.contract == mine
    assert token not in str(event.after) and token not in event.summary


def test_naming_someone_who_can_sign_in_sends_no_invitation(client, people):
    signed_in(client, people["so"])
    known = UserFactory(email="known@example.com", harp_id="")  # has a password
    add_to_roster(client, people["mine"], email=known.email)
    assert invitations_to("known@example.com") == []
    assert not Invitation.objects.exists()


def test_the_intake_form_invites_a_newly_named_so_once(client, people):
    mine = people["mine"]
    signed_in(client, people["cor"])
    client.post(reverse("onboarding:award", args=[mine.pk]), {"award_date": "2026-11-23"})
    parties = {
        "cor_phone": "202-555-0100",
        "poc_name": "Pat POC", "poc_email": people["poc"].email, "poc_phone": "410-555-0101",
        "so_name": "Sam Secure", "so_email": "sam.secure@acme.example",
        "so_phone": "410-555-0102", "so_harp_id": "SAM.SECURE-1", "so_eua_check": "initiated",
        "spoc_name": "Spike SPOC", "spoc_email": people["spoc"].email,
        "spoc_phone": "(410) 555-0103", "spoc_harp_id": people["spoc"].harp_id,
        "spoc_eua_check": "in_progress",
    }
    screen = reverse("onboarding:intake_screen", args=[mine.pk, "parties"])

    assert client.post(screen, parties).status_code == 302
    assert client.post(screen, parties).status_code == 302  # saved again: no second email

    [email] = OutboxEmail.objects.filter(template="invitation")
    assert email.to == ["sam.secure@acme.example"] and email.confidential
    assert "the Security Official (SO) of Mine" in email.body
    assert "Cora COR" in email.body


def test_a_csv_import_invites_everyone_without_a_way_in_in_few_queries(
    client, people, django_assert_max_num_queries
):
    mine = people["mine"]
    approve(mine, "confluence")
    UserFactory(email="has.password@example.com", harp_id="")
    closed = nobody(email="closed@example.com", harp_id="", is_active=False,
                    deactivated_reason=User.Deactivated.NO_ROLE)
    content = "full_name,email,harp_id,services\n" + "".join(
        f"User {n},user{n}@example.com,UHARP{n:05d},Confluence\n" for n in range(300)
    ) + "Has Password,has.password@example.com,HASPW01,\nClosed One,closed@example.com,CLOSED1,\n"
    signed_in(client, people["so"])
    client.post(reverse("access:import", args=[mine.pk]), {
        "file": SimpleUploadedFile("users.csv", content.encode(), content_type="text/csv")})
    roster_import = RosterImport.objects.get()

    # The import's own queries (tests/access: 50 at most for 2,000 rows) and a handful for
    # the invitations and the reactivation, however many people.
    with django_assert_max_num_queries(60):
        client.post(reverse("access:import_preview", args=[mine.pk, roster_import.pk]),
                    {"action": "confirm"})

    assert OutboxEmail.objects.filter(template="invitation", confidential=True).count() == 301
    assert Invitation.objects.count() == 301
    assert invitations_to("has.password@example.com") == []
    closed.refresh_from_db()
    assert closed.is_active and closed.deactivated_reason == ""  # a new role reactivates it
    assert len(invitations_to("closed@example.com")) == 1
    assert AuditEvent.objects.filter(action="identity.account_reactivated",
                                     object_id=str(closed.pk)).count() == 1
    assert AuditEvent.objects.filter(action="identity.invitation_sent").count() == 301
    assert all(e.recipients.count() == 1 for e in OutboxEmail.objects.filter(
        template="invitation")[:5])


def test_a_team_member_added_in_the_administration_site_is_invited(client):
    admin = team_member(TeamRole.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    newcomer = nobody(email="tara@agency.example", full_name="Tara Team")
    signed_in(client, admin)

    response = client.post(reverse("admin:accounts_teamrole_add"), {
        "user": newcomer.pk, "role": TeamRole.Role.ONBOARDING_TEAM, "service": "",
    })

    assert response.status_code == 302, text_of(response)[:2000]
    [email] = invitations_to("tara@agency.example")
    assert email.confidential and "Onboarding team" in email.body
    # One with a password is not.
    known = UserFactory(email="kim@agency.example")
    client.post(reverse("admin:accounts_teamrole_add"), {
        "user": known.pk, "role": TeamRole.Role.TEAM_LEAD, "service": ""})
    assert TeamRole.objects.filter(user=known).exists()
    assert invitations_to("kim@agency.example") == []


# --- Reactivation -----------------------------------------------------------------------


def test_a_new_role_reactivates_an_account_the_sweep_closed_but_never_one_the_team_disabled(
    client, people
):
    mine = people["mine"]
    unused = nobody(email="unused@example.com", harp_id="", is_active=False,
                    deactivated_reason=User.Deactivated.UNUSED)
    disabled = nobody(email="disabled@example.com", harp_id="", is_active=False,
                      deactivated_reason=User.Deactivated.BY_TEAM)
    signed_in(client, people["so"])

    add_to_roster(client, mine, full_name="Una Used", email=unused.email, harp_id="UNUSED1")
    add_to_roster(client, mine, full_name="Dee Sabled", email=disabled.email, harp_id="DIS1")

    unused.refresh_from_db()
    disabled.refresh_from_db()
    assert unused.is_active and unused.deactivated_reason == ""
    assert len(invitations_to(unused.email)) == 1
    assert not disabled.is_active and disabled.deactivated_reason == "by_team"
    assert invitations_to(disabled.email) == []
    event = AuditEvent.objects.get(action="identity.account_reactivated")
    assert event.object_id == str(unused.pk)
    assert event.before == {"is_active": False, "deactivated_reason": "unused"}


# --- Using the link ---------------------------------------------------------------------


@pytest.fixture
def invited(client, people, mailoutbox):
    """Ada, added to the roster by the SO; the token from her email; the client signed out."""
    signed_in(client, people["so"])
    add_to_roster(client, people["mine"])
    token = token_in(mailoutbox, "ada@example.com")
    client.logout()
    return User.objects.get(email="ada@example.com"), token


def test_the_link_shows_the_form_and_changes_nothing(client, invited):
    ada, token = invited
    events = AuditEvent.objects.count()

    page = client.get(accept_url(token))

    assert page.status_code == 200
    body = text_of(page)
    assert "Get in to Muster" in body and "Welcome, Ada Lovelace" in body
    assert "Sol SO named you in Muster as a contractor user of Mine" in body
    assert "ada@example.com" in body and "Choose a password" in body
    assert page["Referrer-Policy"] == "same-origin"
    assert page.content.decode().count("<h1") == 1
    assert Invitation.objects.get(user=ada).used_at is None
    assert AuditEvent.objects.count() == events
    ada.refresh_from_db()
    assert not ada.has_usable_password()


def test_a_weak_password_is_refused_with_a_clear_message(client, invited):
    ada, token = invited

    response = client.post(accept_url(token), {"password1": "short", "password2": "short"})

    assert response.status_code == 400
    body = text_of(response)
    assert "Error: Get in to Muster" in body
    assert "This password is too short. It must contain at least 12 characters." in body
    assert "short" not in re.findall(r'value="([^"]*)"', response.content.decode())
    response = client.post(accept_url(token), {"password1": STRONG, "password2": STRONG + "x"})
    assert "The two passwords are not the same" in text_of(response)
    response = client.post(accept_url(token), {"password1": "ada@example.com-lovelace",
                                               "password2": "ada@example.com-lovelace"})
    assert "too similar" in text_of(response)
    ada.refresh_from_db()
    assert not ada.has_usable_password()
    assert Invitation.objects.get(user=ada).used_at is None


def test_setting_the_password_signs_the_person_in_and_the_link_works_once(client, invited):
    ada, token = invited

    response = client.post(accept_url(token), {"password1": STRONG, "password2": STRONG},
                           follow=True)

    assert response.status_code == 200
    assert "Signed in as Ada Lovelace" in text_of(response)
    assert "Your password is set. Welcome to Muster." in text_of(response)
    ada.refresh_from_db()
    assert ada.check_password(STRONG) and ada.last_login is not None
    invitation = Invitation.objects.get(user=ada)
    assert invitation.used_at is not None
    event = AuditEvent.objects.get(action="identity.invitation_used")
    assert event.actor_id == ada.pk and token not in str(event.after)
    # Once: the same link now asks for a new one, and sets nothing.
    client.logout()
    again = client.get(accept_url(token))
    assert "This invitation link no longer works" in text_of(again)
    client.post(accept_url(token), {"password1": "another-long-pass-99",
                                    "password2": "another-long-pass-99"})
    ada.refresh_from_db()
    assert ada.check_password(STRONG)


def test_an_expired_or_unknown_link_asks_for_a_new_one(client, invited, freeze_today):
    ada, token = invited
    assert "This invitation link no longer works" in text_of(client.get(accept_url("x" * 43)))
    freeze_today(TODAY + datetime.timedelta(days=8))

    page = client.get(accept_url(token))

    assert page.status_code == 200
    body = text_of(page)
    assert "This invitation link no longer works" in body
    assert "Your email address" in body
    assert client.post(accept_url(token), {"password1": STRONG, "password2": STRONG}
                       ).status_code == 200
    ada.refresh_from_db()
    assert not ada.has_usable_password()


def test_asking_for_a_new_link_answers_the_same_for_any_address(
    client, invited, freeze_today, mailoutbox
):
    ada, old_token = invited
    freeze_today(TODAY + datetime.timedelta(days=8))
    url = reverse("identity:invitation_new")
    mailoutbox.clear()

    unknown = client.post(url, {"email": "nobody@example.com"})
    known = client.post(url, {"email": "ADA@example.com"})

    assert unknown.status_code == known.status_code == 200
    assert (text_of(unknown).replace("nobody@example.com", "X")
            == text_of(known).replace("ADA@example.com", "X"))
    assert "Check your email" in text_of(known)
    new_token = token_in(mailoutbox, "ada@example.com")
    assert new_token != old_token
    [mail] = mailoutbox
    assert mail.subject == "A new link to get in to Muster"
    assert AuditEvent.objects.filter(action="identity.invitation_resent").count() == 1
    # Asked again at once: no third email (one every few minutes at most).
    client.post(url, {"email": "ada@example.com"})
    assert Invitation.objects.filter(user=ada).count() == 2
    # The new link works.
    page = client.get(accept_url(new_token))
    assert "Choose a password" in text_of(page)
    # An invalid address is the form again, with its error.
    bad = client.post(url, {"email": "not an address"})
    assert bad.status_code == 400 and "Enter a valid email address" in text_of(bad)


def test_someone_named_before_invitations_existed_can_ask_for_a_link(client, people):
    cody = people["contractor_user"]  # on mine's roster, never invited
    cody.set_unusable_password()
    cody.save()
    stranger = nobody(email="stranger@example.com")  # no role anywhere

    client.post(reverse("identity:invitation_new"), {"email": cody.email})
    client.post(reverse("identity:invitation_new"), {"email": stranger.email})

    [email] = OutboxEmail.objects.filter(template="invitation")
    assert email.to == [cody.email] and email.confidential
    assert "a contractor user of Mine" in email.body


def test_the_link_offers_only_the_identity_provider_when_local_passwords_are_off(
    client, invited, settings
):
    ada, token = invited
    settings.LOCAL_PASSWORDS = False

    page = client.get(accept_url(token))

    assert "Choose a password" not in text_of(page)
    assert "Sign in with your agency's account" in text_of(page)
    client.post(accept_url(token), {"password1": STRONG, "password2": STRONG})
    ada.refresh_from_db()
    assert not ada.has_usable_password()


# --- Sending again, and the account status on rosters and party lists ---------------------


def resend_url(contract, user) -> str:
    return reverse("identity:resend_invitation", args=[contract.pk, user.pk])


def test_the_so_resends_an_invitation_to_a_roster_user(client, people, invited):
    ada, old_token = invited
    mine = people["mine"]
    signed_in(client, people["so"])
    roster = client.get(reverse("access:roster", args=[mine.pk]))
    assert "Invited" in text_of(roster)
    assert "Send Ada Lovelace a new invitation" in text_of(roster)

    response = client.post(resend_url(mine, ada), {"next": reverse("access:roster",
                                                                    args=[mine.pk])},
                           follow=True)

    assert "A new invitation is on its way to Ada Lovelace (ada@example.com)" in text_of(
        response)
    assert len(invitations_to("ada@example.com")) == 2
    first, second = Invitation.objects.filter(user=ada).order_by("pk")
    assert first.withdrawn_at is not None and second.withdrawn_at is None
    assert "This invitation link no longer works" in text_of(client.get(accept_url(old_token)))
    assert AuditEvent.objects.filter(action="identity.invitation_resent",
                                     object_id=str(ada.pk)).count() == 1


def test_only_the_team_or_the_rosters_so_resend(client, people, invited):
    ada, _token = invited
    mine = people["mine"]
    pat = people["poc"]
    pat.set_unusable_password()
    pat.save()
    before = Invitation.objects.count()

    assert client.get(resend_url(mine, ada)).status_code == 302  # signed out: sign in
    signed_in(client, people["so"])
    assert client.get(resend_url(mine, ada)).status_code == 405
    assert client.post(resend_url(mine, pat)).status_code == 403  # a party: the team's
    signed_in(client, people["cor"])
    assert client.post(resend_url(mine, ada)).status_code == 403
    signed_in(client, people["contractor_user"])
    assert client.post(resend_url(mine, ada)).status_code == 404
    signed_in(client, people["other_cor"])
    assert client.post(resend_url(mine, ada)).status_code == 404
    signed_in(client, people["onboarding_team"])
    assert client.post(resend_url(people["mine"], people["outsider"])).status_code == 404
    assert Invitation.objects.count() == before

    assert client.post(resend_url(mine, pat)).status_code == 302
    assert len(invitations_to(pat.email)) == 1


def test_resending_to_someone_who_can_sign_in_is_refused_with_a_reason(client, people):
    signed_in(client, people["onboarding_team"])
    response = client.post(resend_url(people["mine"], people["so"]), follow=True)
    assert "Sol SO can already sign in" in text_of(response)
    assert not Invitation.objects.exists()


def test_the_contract_page_shows_the_team_each_partys_account(client, people):
    mine = people["mine"]
    so = people["so"]
    ContractRole.objects.filter(contract=mine, role="poc").delete()
    newcomer = nobody(full_name="Nia Newcomer")
    give_role(newcomer, mine, "poc")
    User.objects.filter(pk=so.pk).update(last_login=TODAY_NOON)
    User.objects.filter(pk=people["spoc"].pk).update(is_active=False)
    signed_in(client, people["onboarding_team"])

    body = text_of(client.get(reverse("contracts:detail", args=[mine.pk])))

    assert "Role Name and contact HARP ID EUA check Account" in body
    assert re.search(r"Security Official \(SO\) Sol SO \S+ \S+ Not started Active", body)
    assert re.search(r"Spike SPOC \S+ \S+ Not started Disabled Contractor user", body)
    assert re.search(r"Nia Newcomer \S+ \S+ — Never signed in "
                     r"Send Nia Newcomer a new invitation", body)
    assert "Send Sol SO a new invitation" not in body
    # The contract's parties see the plain table.
    signed_in(client, so)
    body = text_of(client.get(reverse("contracts:detail", args=[mine.pk])))
    assert "Role Name and contact HARP ID EUA check Contracting" in body
    assert "Never signed in" not in body


TODAY_NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=datetime.UTC)


def test_a_person_with_a_password_is_never_signed_in_until_they_do(client, people):
    """The statuses: invited (a link waits), never signed in, active, disabled."""
    signed_in(client, people["so"])
    add_to_roster(client, people["mine"])
    ada = User.objects.get(email="ada@example.com")
    roster = reverse("access:roster", args=[people["mine"].pk])
    assert re.search(r"Ada Lovelace ada@example.com Account: Invited", text_of(
        client.get(roster)))
    Invitation.objects.update(expires_at=TODAY_NOON)
    assert "Account: Never signed in" in text_of(client.get(roster))
    ada.set_password(PASSWORD)
    ada.save()
    body = text_of(client.get(roster))
    assert "Send Ada Lovelace a new invitation" not in body


def test_a_batch_of_invitations_reads_as_each_one_written_alone(people):
    """A CSV import writes its invitations from one drawing of the email (only the
    greeting and the link differ): each must read exactly as the email written for that
    person alone, whatever their name holds."""
    from muster.identity import invitations

    names = ["Ada Lovelace", "", "O'Brien & Sons {{ link }}", "Zoë «Ω» \\1 $1", "%(x)s {}"]
    users = [UserFactory(full_name=name, email=f"batch{n}@example.com", harp_id="")
             for n, name in enumerate(names)]
    for user in users:
        user.set_unusable_password()
        user.save()

    assert invitations.people_named(people["so"], new=users, contract=people["mine"],
                                    as_what="a contractor user") == len(users)

    for user in users:
        [email] = invitations_to(user.email)
        token = LINK.search(email.body).group(1)
        alone = invitations._email(
            user, Invitation.objects.get(user=user), token, contract=people["mine"])
        assert email.body == alone["body"].strip() + "\n"
        assert email.subject == " ".join(alone["subject"].split())
        assert f"Hello {user.full_name or user.email}," in email.body


def test_the_contract_pages_party_rows_read_names_as_text_and_come_back_to_the_page(
    client, people
):
    """Its rows are written in Python (identity.panels.party_rows): a name holding markup
    reads as text, in its cells and its button, and each form carries the page's CSRF
    token and comes back to the page."""
    mine = people["mine"]
    marked = nobody(full_name='<b>Bold</b> & "Co"', phone="<i>555</i>")
    give_role(marked, mine, "contractor_user")
    signed_in(client, people["onboarding_team"])
    page = reverse("contracts:detail", args=[mine.pk])
    html = client.get(page + "?a=1&b=2").content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*?&lt;b&gt;Bold.*?</tr>", html, re.DOTALL).group()
    assert "<b>" not in row and "<i>" not in row
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Co&quot;<br>" in row
    assert "<br>&lt;i&gt;555&lt;/i&gt;</td>" in row
    assert "Send &lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Co&quot; a new invitation</button>" in row
    assert f'<input type="hidden" name="next" value="{page}?a=1&amp;b=2">' in row
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', row).group(1)
    assert html.count(token) >= 2  # the page's one token, in the layout's forms too
