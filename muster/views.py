"""Error pages: a clear message in the site's layout, never a stack trace."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string


def _error(request, status: int, title: str, message: str):
    return render(
        request, "error.html", {"title": title, "message": message, "status": status},
        status=status,
    )


def bad_request(request, exception=None):
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request, exception=None):
    detail = str(exception) if exception and str(exception) else ""
    return _error(
        request, 403, "You do not have access to this",
        detail or "Your role does not allow this. Ask the onboarding team if you need it.",
    )


def page_not_found(request, exception=None):
    return _error(
        request, 404, "Page not found",
        "There is no page here, or you do not have access to it. Check the address, or go "
        "back to your home page.",
    )


def server_error(request):
    title = "Something went wrong"
    message = ("Muster could not finish this. Nothing you saved before is lost. Try again, and "
               "tell the onboarding team if it happens again.")
    try:
        return _error(request, 500, title, message)
    except Exception:
        # The layout's context (the person, the help contacts) reads the database, which may
        # be what failed: the same page without it, rather than a second error (and each
        # middleware reporting one more to Sentry).
        return HttpResponseServerError(render_to_string(
            "error.html", {"title": title, "message": message, "status": 500}))
