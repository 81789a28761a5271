"""The metrics page, and each of its tables as CSV and its chart as SVG. For the onboarding
team, its lead and administrators (permissions.may_see_metrics)."""

import csv
import datetime
import io

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.csp import CSP, build_policy
from django.views.decorators.http import require_safe

from muster import clock, kept
from muster.accounts import permissions
from muster.spreadsheets import inert

from . import charts
from .metrics import KEEP_MINUTES, METRICS, Table, all_tables
from .period import Period, period_form


def _allowed(request) -> None:
    if not permissions.may_see_metrics(request.user):
        raise PermissionDenied("The metrics are for the onboarding team, its lead and "
                               "administrators.")


@require_safe
def metrics(request):
    _allowed(request)
    form = period_form(request.GET)
    if not form.is_valid():
        return render(request, "reports/metrics.html", {"form": form, "tables": []},
                      status=400)
    period = form.period()
    tables_html, computed_at = drawn_tables(period, clock.today())
    return render(request, "reports/metrics.html", {
        "form": form, "period": period, "tables_html": tables_html,
        "computed_at": computed_at, "keep_minutes": KEEP_MINUTES,
    })


def drawn_tables(period: Period, today) -> tuple[str, datetime.datetime]:
    """The tables and charts as HTML, and when their figures were worked out.

    Drawing them is most of the page once the figures are kept, and they show nothing of
    the person or the request: they are kept, drawn, as long as their figures are.
    """
    def work_out() -> str:
        tables = all_tables(period, today)
        query = period.query()
        for table in tables:
            table.csv_url = f"{reverse('reports:metric_csv', args=[table.name])}?{query}"
            table.svg_url = f"{reverse('reports:metric_svg', args=[table.name])}?{query}"
        return render_to_string("reports/metric_tables.html", {"tables": tables})

    key = f"reports:metrics:v2:{period.start}:{period.end}:{today}"
    return kept.recent(key, work_out, datetime.timedelta(minutes=KEEP_MINUTES))


def _table(request, name: str) -> tuple[Table, Period] | HttpResponse:
    _allowed(request)
    if name not in METRICS:
        raise Http404("No such table.")
    form = period_form(request.GET)
    if not form.is_valid():
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(f"The period is not right: {problems}",
                            content_type="text/plain; charset=utf-8", status=400)
    period = form.period()
    return METRICS[name](period, clock.today()), period


@require_safe
def metric_csv(request, name):
    found = _table(request, name)
    if isinstance(found, HttpResponse):
        return found
    table, period = found
    out = io.StringIO()
    out.write("\ufeff")  # so Excel reads it as UTF-8
    writer = csv.writer(out)
    writer.writerow([inert(c) for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else inert(v) if isinstance(v, str) else v
                         for v in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"muster-{table.name}-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def metric_svg(request, name):
    found = _table(request, name)
    if isinstance(found, HttpResponse):
        return found
    table, _ = found
    body, style_hashes = charts.svg(table)
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    # The chart's own <style> element (an image cannot load a stylesheet), by its hash;
    # nothing else inline, no script at all (the middleware leaves a policy the view set).
    policy = settings.SECURE_CSP | {
        "script-src": [CSP.NONE],
        "style-src": [CSP.SELF, *style_hashes],
    }
    response.headers[str(CSP.HEADER_ENFORCE)] = build_policy(policy)
    return response
