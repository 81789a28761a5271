"""Single sign-on through the agency's OpenID Connect provider (django-allauth's
socialaccount, with Muster's nonce: muster/identity/oidc/provider.py), and who may still
sign in with a local password.

A provider account signs in only to an account Muster already named, matched on the email
address the provider says it verified (case-insensitive). Nobody signs up this way, and no
link to the provider account is stored: the match is made again at every sign-in, so the
address the team named stays the key. An inactive account is refused as django-allauth
refuses it (the "account inactive" page).
"""

import secrets
from http import HTTPStatus

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render

from muster.accounts import permissions
from muster.accounts.models import User

from .oidc.provider import NONCE

# Why a provider sign-in was refused (the refusal page says what to do for each).
UNKNOWN = "unknown"  # no account in Muster for the provider's verified address
UNVERIFIED = "unverified"  # the provider did not say it verified the address
NONCE_MISMATCH = "nonce"  # the ID token was not issued for this sign-in

PASSWORDS_FOR_ADMINISTRATORS_ONLY = (
    "Password sign-in is for administrators only. Sign in through your agency instead; "
    "if you cannot, ask the onboarding team."
)


def refuse(request, reason: str, email: str = "") -> ImmediateHttpResponse:
    return ImmediateHttpResponse(render(
        request, "socialaccount/refused.html", {"reason": reason, "email": email},
        status=HTTPStatus.FORBIDDEN,
    ))


def nonce_matches(sociallogin) -> bool:
    """The ID token's nonce is the one this browser's sign-in sent (kept in its state)."""
    expected = (sociallogin.state or {}).get(NONCE)
    id_token = (sociallogin.account.extra_data or {}).get("id_token") or {}
    received = id_token.get(NONCE) if isinstance(id_token, dict) else None
    if not isinstance(expected, str) or not isinstance(received, str) or not expected:
        return False
    return secrets.compare_digest(expected.encode(), received.encode())


def verified_emails(sociallogin) -> list[str]:
    """The addresses the provider says it verified (its `email_verified` claim)."""
    return [address.email for address in sociallogin.email_addresses
            if address.verified and address.email]


def named_account(emails: list[str]) -> User | None:
    """The Muster account named with one of these addresses (case-insensitive), active or
    not (an inactive one is refused later, by django-allauth, with its own page)."""
    for email in emails:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is not None:
            return user
    return None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False  # a provider account reaches only a person Muster already named

    def pre_social_login(self, request, sociallogin) -> None:
        """After the provider answered and allauth checked state and PKCE, before anyone is
        signed in: the nonce, then the match on a verified email."""
        if not nonce_matches(sociallogin):
            raise refuse(request, NONCE_MISMATCH)
        emails = verified_emails(sociallogin)
        if not emails:
            claimed = next((a.email for a in sociallogin.email_addresses if a.email), "")
            raise refuse(request, UNVERIFIED, claimed)
        user = named_account(emails)
        if user is None or (sociallogin.is_existing and sociallogin.user != user):
            raise refuse(request, UNKNOWN, emails[0])
        sociallogin.user = user  # existing: allauth signs this person in (or says inactive)


def is_administrator(user) -> bool:
    """Administrators keep their local password when LOCAL_PASSWORDS is off: Muster's
    administrators (the team role, or a superuser) and staff who may use Django's admin site
    (so someone can still get in while the agency's provider is down)."""
    return bool(user.is_staff or permissions.ADMINISTRATOR in permissions.team_roles(user))


def refuse_password_sign_in(user) -> None:
    """Called by the account adapter once a password was right: with LOCAL_PASSWORDS off,
    only administrators sign in with one. Said only after the password was right, so it
    never tells whether an address belongs to an administrator."""
    if user is not None and not settings.LOCAL_PASSWORDS and not is_administrator(user):
        raise ValidationError(PASSWORDS_FOR_ADMINISTRATORS_ONLY, code="local_password_off")
