"""The one place a view turns a service's refusal (`muster.errors.DomainError`) into what
the person sees: a message on the page it redirects to, or an error on the form it shows
again. `NotAllowed` is not caught here: it is a 403 (Django's `PermissionDenied`).

A POST action's view authorizes (`permissions.contract_for`), then hands the rest to `act`:

    return act(request, form=WithdrawForm(request.POST), invalid=show_page_again,
               call=lambda data: services.withdraw(request.user, item, data["reason"]),
               done="Withdrawn.", then=item)

    with refused_as_message(request) as refusal:
        done = services.confirm(request.user, item)
    if not refusal:
        messages.success(request, ...)
"""

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

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


class Partial(Protocol):
    """What an htmx request gets instead of the page: the part of the page the action
    changed (a list's row), with `message` (what was done, or why not: `refused`) inside it,
    or with `form`'s errors (nothing was done)."""

    def __call__(self, *, message: str = "", refused: bool = False,
                 form: forms.BaseForm | None = None) -> HttpResponse: ...


def act(request, *, call: Callable[[dict], Any], done: str | Callable[[Any], str], then,
        form: forms.BaseForm | None = None,
        invalid: Callable[[forms.BaseForm], HttpResponse] | None = None,
        partial: Partial | None = None) -> HttpResponse:
    """The POST action after authorization: validate `form` (when invalid, `invalid(form)`
    shows the page again, with a 400), call the service with the cleaned data (`{}` without
    a form), say `done` (a text, or a function of what the service returned) or why it was
    refused, and redirect to `then` (a model, URL or URL name, as `redirect` takes).

    With `partial`, an htmx request (`request.htmx`) gets `partial(...)` instead, a 200 that
    htmx swaps in place: the message is in it, not queued for a next page."""
    if partial is not None and getattr(request, "htmx", False):
        return _act_in_place(call, done, form, partial)
    data: dict = {}
    if form is not None:
        if not form.is_valid():
            assert invalid is not None, "a form needs a page to show its errors on"
            response = invalid(form)
            response.status_code = 400
            return response
        data = form.cleaned_data
    with refused_as_message(request) as refusal:  # nothing saved: say why on the next page
        result = call(data)
    if not refusal:
        messages.success(request, done(result) if callable(done) else done)
    return redirect(then)


def _act_in_place(call: Callable[[dict], Any], done: str | Callable[[Any], str],
                  form: forms.BaseForm | None, partial: Partial) -> HttpResponse:
    if form is not None and not form.is_valid():
        return partial(form=form)  # a 200: htmx swaps 2xx only, and the row shows the errors
    try:
        result = call(form.cleaned_data if form is not None else {})
    except DomainError as error:  # nothing was saved: the service's transaction rolled back
        return partial(message=str(error), refused=True, form=form)
    return partial(message=done(result) if callable(done) else done)


def next_url(request, default: str) -> str:
    """Where a POST action returns: the form's `next` if it is a page of this site, else
    `default` (never another host: an open redirect)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
