"""The team's webhook pages: endpoints (list, register, change, enable or disable, rotate
the secret, delete), an endpoint's deliveries, one delivery, and "Send again".

Thin: authorize, parse, call a service, render. Every POST redirects (PRG) and is audited
by its service. A signing secret is shown once, in the message after registering or
rotating: the next page (a GET) shows it and nothing keeps it for later.
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from muster.accounts import permissions
from muster.actions import act, refused_as_form_error

from . import sending, services
from .forms import EndpointForm
from .models import Delivery, Endpoint

PAGE_SIZE = 25


def _require(request) -> None:
    if not permissions.may_manage_webhooks(request.user):
        raise PermissionDenied("Only the onboarding team, its lead and administrators "
                               "manage webhooks.")


def _secret_message(request, endpoint: Endpoint, secret: str, what: str) -> None:
    messages.success(request, f"{what} The signing secret of {endpoint.url} is {secret} — "
                              "copy it into the receiving system now: Muster will not show "
                              "it again.")


def endpoints(request):
    _require(request)
    waiting = Q(deliveries__status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED])
    rows = Endpoint.objects.annotate(
        waiting=Count("deliveries", filter=waiting),
        gave_up=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.GAVE_UP)),
    )
    return render(request, "webhooks/endpoints.html", {"endpoints": rows})


def _form_page(request, form, endpoint=None, status=200):
    return render(request, "webhooks/endpoint_form.html",
                  {"form": form, "endpoint": endpoint}, status=status)


def endpoint_new(request):
    _require(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refused_as_form_error(form) as refusal:
            endpoint, secret = services.register(request.user, **form.cleaned_data)
        if not refusal:
            _secret_message(request, endpoint, secret, "Endpoint registered.")
            return redirect("webhooks:endpoint", pk=endpoint.pk)
    return _form_page(request, form, status=400 if request.method == "POST" else 200)


def endpoint_edit(request, pk):
    _require(request)
    endpoint = get_object_or_404(Endpoint, pk=pk)
    initial = {"url": endpoint.url, "description": endpoint.description,
               "event_types": endpoint.event_types}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refused_as_form_error(form) as refusal:
            services.update(request.user, endpoint, **form.cleaned_data)
        if not refusal:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:endpoint", pk=endpoint.pk)
    return _form_page(request, form, endpoint, status=400 if request.method == "POST" else 200)


def endpoint(request, pk):
    _require(request)
    found = get_object_or_404(Endpoint.objects.select_related("created_by"), pk=pk)
    deliveries = found.deliveries.annotate(tries=Count("attempt_log")).order_by(
        "-created_at", "-id")
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webhooks/endpoint.html", {
        "endpoint": found, "page": page, "max_attempts": sending.MAX_ATTEMPTS,
    })


@require_POST
def endpoint_active(request, pk):
    _require(request)
    found = get_object_or_404(Endpoint, pk=pk)
    active = request.POST.get("active") == "1"
    return act(request, call=lambda _: services.set_active(request.user, found, active),
               done="Endpoint enabled: deliveries waiting for it go out now." if active
               else "Endpoint disabled: it gets no new deliveries until enabled again.",
               then=found.get_absolute_url())


@require_POST
def endpoint_rotate(request, pk):
    _require(request)
    found = get_object_or_404(Endpoint, pk=pk)
    secret = services.rotate_secret(request.user, found)
    _secret_message(request, found, secret, "Signing secret rotated: the old one no longer "
                                            "signs anything.")
    return redirect(found.get_absolute_url())


def endpoint_delete(request, pk):
    """A GET asks to confirm; the POST deletes."""
    _require(request)
    found = get_object_or_404(Endpoint, pk=pk)
    if request.method == "POST":
        services.delete(request.user, found)
        messages.success(request, f"Endpoint {found.url} deleted, with its deliveries.")
        return redirect("webhooks:endpoints")
    return render(request, "webhooks/endpoint_delete.html", {
        "endpoint": found, "deliveries": found.deliveries.count(),
    })


def delivery(request, pk):
    _require(request)
    found = get_object_or_404(Delivery.objects.select_related("endpoint", "audit_event"),
                              pk=pk)
    return render(request, "webhooks/delivery.html", {
        "delivery": found, "attempts": found.attempt_log.all(),
        "payload": json.dumps(found.payload, indent=2, sort_keys=True),
        "max_attempts": sending.MAX_ATTEMPTS,
    })


@require_POST
def delivery_replay(request, pk):
    _require(request)
    found = get_object_or_404(Delivery, pk=pk)
    return act(request, call=lambda _: services.replay(request.user, found),
               done="It will be sent again in a moment, with the same delivery id.",
               then=found.get_absolute_url())
