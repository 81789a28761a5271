"""The API's routes. Its views are reached by token, not by session: Django's
LoginRequiredMiddleware must let them through to the token check (which answers 401)."""

from django.urls import URLPattern, URLResolver

from .api import api


def _token_checked(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            _token_checked(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback.login_required = False  # type: ignore[attr-defined]
    return patterns


def api_urls():
    patterns, app_name, namespace = api.urls
    return _token_checked(patterns), app_name, namespace
