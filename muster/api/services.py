"""What the token pages do: a person's own tokens (at most MAX_ACTIVE usable at once), the
team's provisioning clients' tokens, and the end of a person's tokens with their account.

`tokens.py` makes and ends a token; the rules of who may, how many and when are here.
"""

import datetime

from django.db import transaction
from django.db.models import QuerySet

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import User
from muster.errors import DomainError, NotAllowed

from . import tokens
from .models import ApiToken

# Enough for every script and tool a person runs; more is a sign of tokens left behind.
MAX_ACTIVE = 20
PERSON_SCOPES = (ApiToken.Scope.READ, ApiToken.Scope.READ_WRITE)
MANAGE_CLIENTS = "api.manage_provisioning_clients"


class TooManyTokens(DomainError):
    pass


def usable(queryset: QuerySet) -> QuerySet:
    return queryset.filter(revoked_at__isnull=True, expires_at__gt=clock.now())


# ------------------------------------------------------------------------------ a person's


def tokens_of(person) -> QuerySet:
    return ApiToken.objects.filter(user=person)


def make_personal_token(person, *, name: str, scope: str,
                        expires_at: datetime.datetime) -> tuple[ApiToken, str]:
    """A token acting as `person`; the secret is returned once and never kept."""
    if scope not in PERSON_SCOPES:
        raise ValueError(f"A person's token is read or read_write, not {scope!r}.")
    with transaction.atomic():
        # One at a time per person: two forms sent at once cannot both pass the limit.
        User.objects.select_for_update().filter(pk=person.pk).exists()
        if usable(tokens_of(person)).count() >= MAX_ACTIVE:
            raise TooManyTokens(
                f"You have {MAX_ACTIVE} active tokens, the most you may have. Revoke one you "
                "no longer use, then make this one.")
        return tokens.issue(created_by=person, user=person, name=name, scope=scope,
                            expires_at=expires_at)


def revoke_own(person, token: ApiToken) -> bool:
    if token.user_id != person.pk:
        raise NotAllowed("This is not your token.")
    return tokens.revoke(person, token)


# ------------------------------------------------------------------------------ the team's


def client_tokens() -> QuerySet:
    return ApiToken.objects.filter(user__isnull=True, scope=ApiToken.Scope.SCIM)


def _check_may_manage_clients(actor) -> None:
    if not permissions.allows(actor, MANAGE_CLIENTS, None):
        raise NotAllowed("Only the onboarding team, its lead and administrators manage "
                         "provisioning clients.")


def issue_client_token(actor, *, name: str,
                       expires_at: datetime.datetime) -> tuple[ApiToken, str]:
    """A provisioning client's token (scope scim, no person): it reads /scim/v2/ only."""
    _check_may_manage_clients(actor)
    return tokens.issue(created_by=actor, name=name, scope=ApiToken.Scope.SCIM,
                        expires_at=expires_at)


def revoke_client_token(actor, token: ApiToken) -> bool:
    _check_may_manage_clients(actor)
    if token.user_id is not None:
        raise NotAllowed("This is a person's token, not a provisioning client's.")
    return tokens.revoke(actor, token)


# ------------------------------------------------------------------------------ the account


def end_tokens_of(actor, person_id: int) -> int:
    """Revoke every token of a person whose account ended, so a reactivated account does not
    get them back. `tokens.find` already refuses an inactive person's token; this makes the
    list say so, for good."""
    ended = 0
    for token in ApiToken.objects.filter(user_id=person_id, revoked_at__isnull=True):
        ended += tokens.revoke(actor, token, why="the account was switched off")
    return ended


def account_switched_off(event) -> None:
    """The audit listener (apps.py): any recorded change that leaves a person's account
    inactive (the daily sweep's deactivation, a change in the admin site) ends their
    tokens, in the same transaction."""
    if (event.object_type == User._meta.label_lower
            and event.after.get("is_active") is False):
        end_tokens_of(event.actor, int(event.object_id))
