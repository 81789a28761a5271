"""Notification pages: a person's own emails, and the outbox the team watches.

Thin: parse, authorize, call a service, render.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from muster.accounts import permissions

from . import queries, services
from .delivery import MAX_ATTEMPTS
from .models import OutboxEmail

PAGE_SIZE = 25


def my_notifications(request):
    emails = queries.emails_to(request.user).order_by("-created_at", "-id")
    page = Paginator(emails, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/mine.html", {
        "page": page, "here": request.get_full_path(),
    })


def notification_detail(request, pk):
    email = queries.emails_to(request.user).filter(pk=pk).first()
    if email is None:
        raise Http404("No such notification for you.")
    return render(request, "notifications/detail.html", {
        "email": email, "here": request.get_full_path(),
    })


def _back(request):
    """Where the person was (their list's page, or the email's page), else their list."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:mine")


@require_POST
def mark_read(request, pk):
    """Marks one of the person's notifications as read. Only a POST does: opening the
    email's page (a GET) changes nothing."""
    email = queries.emails_to(request.user).filter(pk=pk).first()
    if email is None:
        raise Http404("No such notification for you.")
    services.mark_read(request.user, [email.pk])
    messages.success(request, f"“{email.subject}” is marked as read.")
    return _back(request)


@require_POST
def mark_all_read(request):
    changed = services.mark_read(request.user)
    if changed:
        messages.success(request, f"{changed} notification{pluralize(changed)} marked as read.")
    else:
        messages.info(request, "You had no unread notifications.")
    return _back(request)


def outbox(request):
    if not permissions.may_see_outbox(request.user):
        raise PermissionDenied("Only the onboarding team and administrators see the outbox.")
    return render(request, "notifications/outbox.html", {
        **queries.outbox(), "max_attempts": MAX_ATTEMPTS,
    })


@require_POST
def retry(request, pk):
    if not permissions.may_see_outbox(request.user):
        raise PermissionDenied("Only the onboarding team and administrators retry emails.")
    email = get_object_or_404(OutboxEmail, pk=pk)
    if email.status == OutboxEmail.Status.FAILED:
        services.retry_now(request.user, email)
        messages.success(request, f"“{email.subject}” will be sent again in a moment.")
    else:
        messages.info(request, f"“{email.subject}” had not failed "
                               f"({email.get_status_display().lower()}): nothing to retry.")
    return redirect("notifications:outbox")
