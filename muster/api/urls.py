"""The API's routes. Its views are reached by token, not by session: Django's
LoginRequiredMiddleware must let them through to the token check (which answers 401).
Every answer is a problem at the edges too: an unknown path, a method a path lacks
(problems.at_the_edges)."""

from django.urls import URLPattern, URLResolver, re_path

from . import problems
from .api import api


def _token_checked(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            _token_checked(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback = problems.at_the_edges(entry.callback)
            entry.callback.login_required = False  # type: ignore[attr-defined]
    return patterns


def api_urls():
    patterns, app_name, namespace = api.urls
    unknown = re_path(r"", problems.nothing_here, name="nothing-here")  # last: what is left
    return _token_checked([*patterns, unknown]), app_name, namespace
