"""Muster's Content Security Policy: what a page may load, run and send, in one place.

Pages load their scripts, styles, images and fonts from Muster's own origin only; nothing
inline (a nonce where a library's template needs one: Django's admin); no plug-ins; no
framing; forms post back to Muster, or, for single sign-on, to the agency's provider.
"""

import base64
import hashlib
import re
from urllib.parse import urlsplit

from django.utils.csp import CSP

_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL ("" when it has none)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(oidc_issuer_url: str = "") -> dict[str, list[str]]:
    """SECURE_CSP for Django's ContentSecurityPolicyMiddleware.

    The sign-in button of the agency's OpenID Connect provider is a form posted to Muster
    that redirects to the provider: browsers (Chromium) hold a redirect after a form's
    submission to form-action too, so the provider's origin is allowed there."""
    form_action: list[str] = [CSP.SELF]
    if provider := origin_of(oidc_issuer_url):
        form_action.append(provider)
    return {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.NONCE],
        "style-src": [CSP.SELF, CSP.NONCE],
        "img-src": [CSP.SELF, "data:"],  # data: for the authenticator app's QR code
        "form-action": form_action,
        "frame-ancestors": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "object-src": [CSP.NONE],
    }


def allowing_its_own_styles(policy: dict[str, list[str]], html: str) -> dict[str, list[str]]:
    """The policy for a stored document with its own <style> (the welcome package's print
    view, exactly as sent): those style elements, by their hashes, and nothing else inline."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
        for css in _STYLE_ELEMENT.findall(html)
    ]
    return policy | {"style-src": [*policy.get("style-src", [CSP.SELF]), *hashes]}
