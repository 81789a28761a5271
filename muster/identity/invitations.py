"""Invitations: how a person Muster names gets in.

Wherever Muster names someone (the intake form's POC, SO and SPOC, closeout scenario 1's
new SO and SPOC, a roster's user, one by one or from a CSV file, a team member the
administrator adds), that place calls `person_named` (a CSV import `people_named`) inside
its own transaction. A person with no usable sign-in (no usable password, no account at
the agency's identity provider) gets an email with a single-use link, valid
INVITATION_DAYS, to set a password or sign in through the provider; a person whose account
the daily sweep closed (no role left, unused) has it back, as a new role reactivates it.

The link's token is never stored: only its sha256 digest (models.token_digest). A new
invitation withdraws the person's earlier ones still pending. The email is confidential:
the outbox never shows its body and forgets it once sent.
"""

import datetime
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse

from muster import bulk, clock
from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit import services as audit
from muster.catalog.models import HelpContact
from muster.compiled import Compiled
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as notifications

from .models import Invitation, token_digest
from .queries import AccountStatus, is_pending, open_invitation_expiry, status_of

REASON_MAX = Invitation._meta.get_field("reason").max_length
# Someone who asks for a new link from the expired-link page gets at most one this often.
ASK_AGAIN_MINUTES = 5
CLOSED_BY_SWEEP = (User.Deactivated.NO_ROLE, User.Deactivated.UNUSED)
CHUNK = 2000

ROLE_NAMES: dict[str, str] = {
    ContractRole.Role.COR: "the Contracting Officer's Representative (COR)",
    ContractRole.Role.POC: "the contractor's point of contact (POC)",
    ContractRole.Role.SO: "the Security Official (SO)",
    ContractRole.Role.SPOC: "the security point of contact (SPOC)",
    ContractRole.Role.CONTRACTOR_USER: "a contractor user",
}


class InvitationError(DomainError):
    pass


def as_role(role: str) -> str:
    """How an invitation says a contract role: "the Security Official (SO)"."""
    return ROLE_NAMES.get(role, role)


def reason_for(as_what: str, contract=None) -> str:
    """ "the Security Official (SO) of Apex Data Support (75FCMC26C0001)"."""
    where = f" of {contract.name} ({contract.contract_number})" if contract else ""
    return f"{as_what}{where}"[:REASON_MAX]


def can_sign_in(user) -> bool:
    """A usable password, or an account at the agency's identity provider."""
    return user.has_usable_password() or SocialAccount.objects.filter(user=user).exists()


def link(token: str) -> str:
    path = reverse("identity:invitation", kwargs={"token": token})
    return settings.MUSTER_BASE_URL.rstrip("/") + path


def _expiry(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.INVITATION_DAYS)


def _email(user, invitation: Invitation, token: str, *, contract=None, resent: bool = False,
           contacts: list | None = None, link_text: str | None = None) -> dict:
    """The invitation's subject and body (plain text), to the person."""
    context = {
        "contract": contract,
        "site_url": settings.MUSTER_BASE_URL.rstrip("/"), "user": user,
        "sent_by": invitation.sent_by, "reason": invitation.reason,
        "link": link(token) if link_text is None else link_text,
        "expires_at": invitation.expires_at, "resent": resent,
        "help_contacts": _help_contacts() if contacts is None else contacts,
    }
    return {
        "subject": notifications.render("emails/invitation_subject.txt", context),
        "body": notifications.render("emails/invitation.txt", context),
        "to": user,
    }


# What differs from one invitation of a batch to the next, as the batch's one drawing holds
# it: characters no name, address or link can hold (NUL).
_LINK_MARK = "linkmark0"  # a token's characters: the URL keeps it as it is
_MARKS = re.compile("\x00(full_name|email|link)\x00")


def _emails_alike(users: Sequence[User], tokens: Sequence[str], invitation: Invitation,
                  contract) -> list[dict]:
    """`_email` for each of many people invited at once, alike but for their name, address
    and link: the email is drawn once with a mark for each (twice: with and without a
    name, which the greeting tells apart), and the marks are replaced per person in one
    pass, so nothing a name holds is read as a mark. Drawing it 10,000 times was most of a
    CSV import's time."""
    contacts = _help_contacts()
    link_before, link_after = link(_LINK_MARK).split(_LINK_MARK)
    drawn = {}
    for named in {bool(user.full_name) for user in users}:
        stand_in = User(full_name="\x00full_name\x00" if named else "", email="\x00email\x00")
        drawn[named] = _email(stand_in, invitation, "", contract=contract, contacts=contacts,
                              link_text="\x00link\x00")
    emails = []
    for user, token in zip(users, tokens, strict=True):
        values = {"full_name": user.full_name, "email": user.email,
                  "link": link_before + token + link_after}
        email = drawn[bool(user.full_name)]
        emails.append({"subject": _filled(email["subject"], values),
                       "body": _filled(email["body"], values), "to": user})
    return emails


def _filled(drawn: str, values: dict[str, str]) -> str:
    return _MARKS.sub(lambda mark: values[mark.group(1)], drawn)


def _help_contacts() -> list:
    return list(HelpContact.objects.all())


# --- Reactivation ----------------------------------------------------------------------


def reactivate(actor, user, *, contract=None, as_what: str = "") -> bool:
    """A new role reactivates an account the sweep closed (no role left, or unused); never
    one the team disabled. True when it did."""
    if user.is_active or user.deactivated_reason not in CLOSED_BY_SWEEP:
        return False
    before = {"is_active": False, "deactivated_reason": user.deactivated_reason}
    user.is_active, user.deactivated_reason = True, ""
    user.save(update_fields=["is_active", "deactivated_reason"])
    audit.record(actor, "identity.account_reactivated", user,
                 f"Reactivated {user}'s account: named as {as_what}"[:300], contract=contract,
                 before=before, after={"is_active": True, "deactivated_reason": ""})
    return True


# --- Sending ---------------------------------------------------------------------------


def _withdraw_pending(user_ids: Iterable[int], now) -> None:
    Invitation.objects.pending(now).filter(user_id__in=list(user_ids)).update(withdrawn_at=now)


def _send(actor, user, *, reason: str, contract=None, resent: bool = False) -> Invitation:
    now = clock.now()
    _withdraw_pending([user.pk], now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user, token_hash=token_digest(token), reason=reason[:REASON_MAX],
        sent_by=actor if getattr(actor, "pk", None) else None, sent_at=now,
        expires_at=_expiry(now),
    )
    email = _email(user, invitation, token, contract=contract, resent=resent)
    notifications.queue_rendered(
        "invitation", subject=email["subject"], body=email["body"], to=[user.email],
        key=f"invitation:{invitation.pk}", contract=contract, confidential=True,
    )
    event = "identity.invitation_resent" if resent else "identity.invitation_sent"
    verb = "Sent a new invitation to" if resent else "Invited"
    audit.record(actor, event, user, f"{verb} {user} to Muster as {reason}"[:300],
                 contract=contract,
                 after={"reason": invitation.reason, "invitation": invitation.pk,
                        "expires_at": invitation.expires_at})
    return invitation


def person_named(actor, user, *, contract=None, as_what: str) -> Invitation | None:
    """Muster named `user` (`as_what`: "the Security Official (SO)", on `contract`): call
    inside the naming's transaction. Reactivates an account the sweep closed, then invites
    a person with no usable sign-in and no invitation waiting. Returns the invitation sent,
    if one was."""
    reactivate(actor, user, contract=contract, as_what=as_what)
    if not user.is_active or can_sign_in(user):
        return None
    if Invitation.objects.pending().filter(user=user).exists():
        return None  # named again (another screen saved, another role): one link is enough
    return _send(actor, user, reason=reason_for(as_what, contract), contract=contract)


def people_named(actor, *, new: Sequence[User] = (), known_ids: Sequence[int] = (),
                 contract, as_what: str) -> int:
    """`person_named` for many people at once (a roster's CSV import): a few queries per
    2,000 people, one outbox row per invitation. `new`: people just added (no password, no
    provider account, nothing pending, never deactivated: nothing to read about them);
    `known_ids`: people already in Muster, read a chunk at a time. Returns how many were
    invited."""
    now = clock.now()
    invited = list(new)
    reactivated: list[tuple] = []
    if known_ids:
        more, reactivated = _still_to_invite(known_ids, as_what=as_what, now=now)
        invited += more
    if not invited:
        audit.record_many(actor, contract, reactivated)
        return 0
    reason = reason_for(as_what, contract)
    sender = actor if getattr(actor, "pk", None) else None
    tokens = [secrets.token_urlsafe(32) for _ in invited]
    expires_at = _expiry(now)
    sender_id = sender.pk if sender else None  # once: the actor is often a lazy object
    ids = bulk.insert(
        Invitation, ("user_id", "token_hash", "reason", "sent_by_id", "sent_at", "expires_at"),
        [(user.pk, token_digest(token), reason, sender_id, now, expires_at)
         for user, token in zip(invited, tokens, strict=True)],
    )
    # What every email says of its invitation (the same for all: only the link differs).
    invitation = Invitation(reason=reason, sent_by=sender, sent_at=now, expires_at=expires_at)
    emails = [
        {**email, "key": f"invitation:{pk}"}
        for email, pk in zip(_emails_alike(invited, tokens, invitation, contract),
                             ids, strict=True)
    ]
    notifications.queue_rendered_many("invitation", emails, contract=contract,
                                      confidential=True)
    audit.record_many(actor, contract, reactivated + [
        ("identity.invitation_sent", "accounts.user", user.pk, str(user),
         f"Invited {user} to Muster as {reason}"[:300],
         {"reason": reason, "invitation": pk, "expires_at": expires_at})
        for user, pk in zip(invited, ids, strict=True)
    ])
    return len(ids)


def _still_to_invite(user_ids: Sequence[int], *, as_what: str,
                     now) -> tuple[list[User], list[tuple]]:
    """Of people already in Muster (one query per chunk): those to invite (active, or
    reactivated now, with no usable sign-in and nothing pending), and the audit entries of
    those reactivated."""
    ids = sorted(user_ids)
    users: list = []  # annotated with has_provider and waiting
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        users += list(
            User.objects.filter(pk__in=chunk)
            .annotate(has_provider=Exists(SocialAccount.objects.filter(user=OuterRef("pk"))),
                      waiting=Exists(Invitation.objects.pending(now)
                                     .filter(user=OuterRef("pk"))))
            .only("pk", "email", "full_name", "password", "is_active", "deactivated_reason"))
    closed = [u for u in users if not u.is_active and u.deactivated_reason in CLOSED_BY_SWEEP]
    entries = []
    if closed:
        before = {u.pk: u.deactivated_reason for u in closed}
        for user in closed:
            user.is_active, user.deactivated_reason = True, ""
        User.objects.bulk_update(closed, ["is_active", "deactivated_reason"], batch_size=CHUNK)
        entries = [
            ("identity.account_reactivated", "accounts.user", u.pk, str(u),
             f"Reactivated {u}'s account: named as {as_what}"[:300],
             {"is_active": True, "deactivated_reason": "", "was": before[u.pk]})
            for u in closed
        ]
    invited = [u for u in users if u.is_active and not u.has_usable_password()
               and not u.has_provider and not u.waiting]
    return invited, entries


# --- Reading: who can get in ---------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """A person's account as rosters and party lists show it."""

    status: AccountStatus
    invitable: bool  # active, with no usable sign-in: an invitation can be sent


def _sign_in_rows(ids: list[int]) -> QuerySet:
    """What sign_in_of reads of each person, as plain values: the provider account is an
    id (None: none) rather than an EXISTS, which would take its SELECT 1 as a parameter
    (see SIGN_IN_BATCH)."""
    return (User.objects.filter(pk__in=ids)
            .annotate(provider=Subquery(SocialAccount.objects.filter(user=OuterRef("pk"))
                                        .order_by().values("pk")[:1]),
                      invitation_expiry=open_invitation_expiry())
            .order_by()
            .values_list("pk", "is_active", "last_login", "password", "provider",
                         "invitation_expiry"))


# Up to this many people (a roster's page) are read by a query built once per process,
# their ids padded with one no one has. No more: psycopg parses a query once per process
# when it has at most 50 parameters, else on every run (700 Python calls).
SIGN_IN_BATCH = 50
_NO_ONE = 0
_SIGN_IN = Compiled(lambda **ids: _sign_in_rows(list(ids.values())),
                    **{f"id{n}": int for n in range(SIGN_IN_BATCH)})


def sign_in_of(user_ids: Iterable[int]) -> dict[int, SignIn]:
    """Each person's account status and whether a link can be sent to them: one query for
    a whole page of people, rows of plain values rather than users."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    if len(ids) > SIGN_IN_BATCH:
        rows = list(_sign_in_rows(ids))
    else:
        padded = ids + [_NO_ONE] * (SIGN_IN_BATCH - len(ids))
        rows = _SIGN_IN.rows(**{f"id{n}": pk for n, pk in enumerate(padded)})
    now = clock.now()
    return {
        pk: SignIn(status_of(is_active, last_login, is_pending(expiry, now)),
                   is_active and provider is None and not is_password_usable(password))
        for pk, is_active, last_login, password, provider, expiry in rows
    }


# --- Resending -------------------------------------------------------------------------


@transaction.atomic
def resend(actor, role: ContractRole) -> Invitation:
    """The team (anyone named on a contract) or the SO (their roster's users) sends a new
    link; the earlier one stops working."""
    if not permissions.may_resend_invitation(actor, role):
        raise NotAllowed("Only the onboarding team, or the SO for the roster's users, can "
                         "send an invitation.")
    user = User.objects.select_for_update().get(pk=role.user_id)
    if not user.is_active:
        raise InvitationError(f"{user}'s account is disabled: ask the onboarding team to "
                              "restore it first.")
    if can_sign_in(user):
        raise InvitationError(f"{user} can already sign in. If they forgot their password, "
                              "they can reset it from the sign-in page.")
    return _send(actor, user, reason=reason_for(as_role(role.role), role.contract),
                 contract=role.contract, resent=True)


@transaction.atomic
def ask_for_new_link(email: str) -> None:
    """Someone whose link ran out asks for a new one. Whatever the address, nothing is said
    here: a person with an active account, no usable sign-in and an invitation before gets
    a new link, at most once every ASK_AGAIN_MINUTES (one named before invitations existed
    too, if they hold a role)."""
    user = (User.objects.select_for_update()
            .filter(email__iexact=email.strip(), is_active=True).first())
    if user is None or can_sign_in(user):
        return
    last = Invitation.objects.filter(user=user).order_by("-sent_at").first()
    if last is not None and last.sent_at > clock.now() - datetime.timedelta(
            minutes=ASK_AGAIN_MINUTES):
        return
    reason = last.reason if last is not None else _named_as(user)
    if reason:  # else named nowhere: nobody to let in
        _send(None, user, reason=reason, contract=None, resent=True)


def _named_as(user) -> str:
    """Why a person named before invitations existed is in Muster: their latest role."""
    role = (ContractRole.objects.filter(user=user).select_related("contract")
            .order_by("-assigned_at").first())
    if role is not None:
        return reason_for(as_role(role.role), role.contract)
    team = TeamRole.objects.filter(user=user).first()
    if team is not None:
        return f"a member of the agency's team ({team.get_role_display()})"
    return ""


# --- Using one -------------------------------------------------------------------------


def find(token: str) -> Invitation | None:
    """The pending invitation this link's token names, for an active person; else None
    (unknown, used, withdrawn, expired)."""
    if not token or len(token) > 100:
        return None
    invitation = (Invitation.objects.pending().select_related("user", "sent_by")
                  .filter(token_hash=token_digest(token)).first())
    if invitation is None or not invitation.user.is_active:
        return None
    return invitation


@transaction.atomic
def accept(token: str, password: str | None) -> User | None:
    """Use the link once: set the password (already validated) and mark it used. None when
    the link no longer works (used a moment ago, withdrawn, expired)."""
    invitation = (Invitation.objects.pending().select_for_update()
                  .filter(token_hash=token_digest(token)).first())
    if invitation is None:
        return None
    user = User.objects.select_for_update().get(pk=invitation.user_id)
    if not user.is_active:
        return None
    now = clock.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    _withdraw_pending([user.pk], now)
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    audit.record(user, "identity.invitation_used", user,
                 f"{user} used their invitation and set a password",
                 after={"invitation": invitation.pk})
    return user


def team_member_added(sender, *, actor, team_role, **kwargs) -> None:
    """An administrator gave someone a team role in the administration site."""
    person_named(actor, team_role.user,
                 as_what=f"a member of the agency's team ({team_role.get_role_display()})")
