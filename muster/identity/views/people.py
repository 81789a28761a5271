"""The accounts page: everyone who may sign in, their roles, last sign-in, second factor
and status, with filters and the filtered list as CSV. For the onboarding team, its lead
and administrators (permissions.may_see_accounts)."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from muster import clock
from muster.accounts import permissions

from .. import directory

PAGE_SIZE = 50


def _filtered(request):
    if not permissions.may_see_accounts(request.user):
        raise PermissionDenied("The accounts page is for the onboarding team and administrators.")
    form = directory.PeopleFilterForm(request.GET)  # bad values are ignored
    return form, directory.people(**form.filters())


@require_safe
@vary_on_headers("HX-Request")
def people(request):
    form, users = _filtered(request)
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": directory.rows(page.object_list),
               "query": query.urlencode()}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "identity/_people_results.html", context)
    return render(request, "identity/people.html", context)


@require_safe
def people_csv(request):
    _, users = _filtered(request)
    response = StreamingHttpResponse(directory.csv_lines(users),
                                     content_type="text/csv; charset=utf-8")
    name = f"muster-accounts-{clock.today():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
