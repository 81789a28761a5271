"""Which addresses Muster sends webhooks to: the one rule, for the form, the service and
each send."""

from urllib.parse import urlsplit

from django.conf import settings

from .models import URL_MAX_LENGTH


def url_problem(url: str) -> str | None:
    """Why Muster will not send to `url`, or None. Only http and https, and https only in
    production (MUSTER_ENV=production). Host names are not resolved at registration (a
    name's address can change after any check): fencing the receivers' network is the
    operator's job (docs/api.md)."""
    if len(url) > URL_MAX_LENGTH:
        return f"Use at most {URL_MAX_LENGTH} characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// address."
    if settings.PRODUCTION and parts.scheme != "https":
        return "Use an https:// address: in production Muster sends webhooks over HTTPS only."
    if parts.username or parts.password:
        return "Leave the user name and password out of the address."
    return None
