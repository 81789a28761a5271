"""Notification pages: a person's own emails, and the outbox the team watches.

Thin: parse, authorize, call a service, render.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from muster.accounts import permissions

from . import services
from .models import OutboxEmail, OutboxRecipient

PAGE_SIZE = 25
# The outbox lists at most this many rows per status; the admin has the rest.
OUTBOX_LIMIT = 100
OUTBOX_ROLES = frozenset({permissions.ONBOARDING_TEAM, permissions.ADMINISTRATOR})


def _mine(user):
    """Emails the person received: addressed to their account, or to their address."""
    to_them = OutboxRecipient.objects.filter(email=OuterRef("pk")).filter(
        Q(user=user) | Q(address=user.email.strip().lower())
    )
    return OutboxEmail.objects.filter(Exists(to_them)).select_related("contract")


def _may_see_outbox(user) -> bool:
    return bool(permissions.team_roles(user) & OUTBOX_ROLES)


def my_notifications(request):
    emails = _mine(request.user).order_by("-created_at", "-id")
    page = Paginator(emails, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/mine.html", {
        "page": page, "may_see_outbox": _may_see_outbox(request.user),
    })


def notification_detail(request, pk):
    email = _mine(request.user).filter(pk=pk).first()
    if email is None:
        raise Http404("No such notification for you.")
    return render(request, "notifications/detail.html", {"email": email})


def outbox(request):
    if not _may_see_outbox(request.user):
        raise PermissionDenied("Only the onboarding team and administrators see the outbox.")
    Status = OutboxEmail.Status
    counts = dict(
        OutboxEmail.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    rows = OutboxEmail.objects.select_related("contract")
    return render(request, "notifications/outbox.html", {
        "counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        "failed": rows.filter(status=Status.FAILED).order_by("-next_attempt_at", "-id")[
            :OUTBOX_LIMIT],
        "waiting": rows.filter(status__in=[Status.PENDING, Status.SENDING]).order_by(
            "next_attempt_at", "id")[:OUTBOX_LIMIT],
        "failed_count": counts.get(Status.FAILED, 0),
        "waiting_count": counts.get(Status.PENDING, 0) + counts.get(Status.SENDING, 0),
        "limit": OUTBOX_LIMIT,
        "max_attempts": services.MAX_ATTEMPTS,
    })


@require_POST
def retry(request, pk):
    if not _may_see_outbox(request.user):
        raise PermissionDenied("Only the onboarding team and administrators retry emails.")
    email = get_object_or_404(OutboxEmail, pk=pk)
    if email.status == OutboxEmail.Status.FAILED:
        services.retry_now(request.user, email)
        messages.success(request, f"“{email.subject}” will be sent again in a moment.")
    else:
        messages.info(request, f"“{email.subject}” had not failed "
                               f"({email.get_status_display().lower()}): nothing to retry.")
    return redirect("notifications:outbox")
