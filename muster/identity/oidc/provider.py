"""django-allauth's OpenID Connect provider, plus the `nonce` it does not send.

allauth's client checks `state` and PKCE, not the ID token's `nonce` (OpenID Connect Core
3.1.2.1, 3.1.3.7). This provider puts a fresh random nonce in every authorization request
and in the state allauth keeps in the session for the callback; the social-account adapter
(muster.identity.sso) refuses a sign-in whose ID token does not carry the same nonce.

Registered through SOCIALACCOUNT_PROVIDERS["openid_connect"]["provider_class"] (allauth's
registry swaps it in for its own class), so allauth's URLs, views and names stay as they
are: /accounts/oidc/<provider_id>/login/ and .../login/callback/.
"""

import logging
import secrets
from http import HTTPStatus

import requests
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.shortcuts import render

log = logging.getLogger(__name__)

# The state key holding the nonce; sso.py reads it back.
NONCE = "nonce"


class AgencyProvider(OpenIDConnectProvider):
    # allauth finds a provider's URLs in its package: keep allauth's own.
    package = "allauth.socialaccount.providers.openid_connect"
    # Signing in with a bare ID token (allauth's headless token flow) has no nonce to
    # check: not offered.
    supports_token_authentication = False

    def get_redirect_from_request_kwargs(self, request):
        """Signing in only: allauth's other processes (connecting a provider account to the
        signed-in person, a bare redirect) are not Muster's."""
        return {**super().get_redirect_from_request_kwargs(request), "process": AuthProcess.LOGIN}

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        try:
            return self._redirect(request, process, next_url, data, **kwargs)
        except requests.RequestException as error:
            # Discovery failed: the provider is down or unreachable. Say so, not a 500.
            log.warning("OpenID provider unreachable: %s", type(error).__name__)
            return render(request, "socialaccount/refused.html", {"reason": "unavailable"},
                          status=HTTPStatus.SERVICE_UNAVAILABLE)

    def _redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params = {**auth_params, NONCE: nonce}
        # allauth stashes every remaining keyword in the state (Provider.stash_redirect_state).
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, **{NONCE: nonce}, **kwargs
        )

