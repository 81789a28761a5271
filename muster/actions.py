"""The one place a view turns a service's refusal (`muster.errors.DomainError`) into what
the person sees: a message on the page it redirects to, or an error on the form it shows
again. `NotAllowed` is not caught here: it is a 403 (Django's `PermissionDenied`).

    with refused_as_message(request) as refusal:
        done = services.confirm(request.user, item)
    if not refusal:
        messages.success(request, ...)
"""

from contextlib import contextmanager

from django.contrib import messages

from muster.errors import DomainError


class Refusal:
    """What a `with` block ended with: true when the service refused (`error` says why)."""

    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is not None


@contextmanager
def refused_as_message(request, prefix: str = ""):
    """A refusal becomes an error message (after `prefix`) shown on the next page."""
    refusal = Refusal()
    try:
        yield refusal
    except DomainError as error:  # nothing was saved: the service's transaction rolled back
        refusal.error = error
        messages.error(request, f"{prefix}{error}")


@contextmanager
def refused_as_form_error(form, field: str | None = None):
    """A refusal becomes an error on `form`: on the field the error names (or `field`),
    when the form has it, else at the top of the form."""
    refusal = Refusal()
    try:
        yield refusal
    except DomainError as error:
        refusal.error = error
        name = error.field or field
        form.add_error(name if name in form.fields else None, str(error))
