"""Calendar feeds: the page that makes and turns off a person's link, and the two feeds.

The feeds are read by calendar apps, which cannot sign in: the private token in the
address is the only key, so an unknown or turned-off token is a plain 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from muster.accounts import permissions
from muster.accounts.permissions import Action

from .. import calendar_feed

PAGE_SIZE = 25


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request):
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "create":
            calendar_feed.feed_for(user)
            messages.success(request, "Your calendar link is ready. Add it to your calendar "
                             "app as a subscription.")
            return redirect("closeout:calendar")
        if action == "revoke":
            if calendar_feed.revoke(user):
                messages.success(request, "Your calendar link is turned off. Calendars "
                                 "subscribed to it no longer update. You can make a new link.")
            else:
                messages.info(request, "You had no calendar link to turn off.")
            return redirect("closeout:calendar")
    feed = calendar_feed.live_feed(user)
    contracts = permissions.visible_contracts(user).only("pk", "name", "contract_number")
    page = Paginator(contracts.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"contract": c, "url": calendar_feed.contract_feed_url(feed, c) if feed else ""}
        for c in page.object_list
    ]
    feed_url = calendar_feed.person_feed_url(feed) if feed else ""
    bad = request.method == "POST"  # a POST with no known action
    return render(request, "closeout/calendar/manage.html", {
        "feed": feed,
        "feed_url": feed_url,
        "webcal_url": calendar_feed.webcal_url(feed_url) if feed else "",
        "due_count": len(calendar_feed.person_events(user)) if feed else 0,
        "page": page,
        "rows": rows,
        "bad_request": bad,
    }, status=400 if bad else 200)


def _ics(name: str, events, filename: str) -> HttpResponse:
    response = HttpResponse(calendar_feed.render_ics(name, events),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # A private address: never cached by a shared proxy, never indexed.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_not_required
@require_safe
def person_feed(request, token):
    feed = calendar_feed.feed_by_token(token)
    user = feed.user
    return _ics(f"Muster — {user.get_full_name() or user.email}",
                calendar_feed.person_events(user), "muster.ics")


@login_not_required
@require_safe
def contract_feed(request, token, pk):
    feed = calendar_feed.feed_by_token(token)
    try:
        contract = permissions.contract_for(feed.user, pk, Action.VIEW_CONTRACT)
    except PermissionDenied as exc:  # the feed says nothing about contracts one cannot view
        raise Http404 from exc
    return _ics(f"Muster — {contract.name}",
                calendar_feed.contract_events(feed.user, contract),
                f"muster-contract-{contract.pk}.ics")
