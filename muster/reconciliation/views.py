"""The team's reconciliation page and its CSV: every finding (findings.py), grouped by kind
with counts, filtered by kind, each row linked to where it is fixed. A GET never writes:
the page reads what the daily check recorded (models.SeenFinding) only to say since when
each finding is known."""

import csv

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from muster import clock
from muster.accounts import permissions
from muster.spreadsheets import inert

from . import findings
from .forms import FindingFilterForm
from .models import SeenFinding

# Rows shown per kind on the page; the CSV has every one.
PAGE_LIMIT = 200


def _require(request) -> None:
    if not permissions.allows(request.user, "reconciliation.see", None):
        raise PermissionDenied("The reconciliation page is for the onboarding team, its lead "
                               "and administrators.")


def _first_seen() -> dict[str, object]:
    return dict(SeenFinding.objects.filter(resolved_on__isnull=True).values_list(
        "key", "first_seen"))


@require_safe
def findings_page(request):
    _require(request)
    day = clock.today()
    form = FindingFilterForm(request.GET)
    chosen = form.kinds()
    counts = {slug: findings.count(slug, day) for slug in findings.KINDS}
    seen = _first_seen()
    groups = []
    for slug in chosen:
        kind = findings.KINDS[slug]
        rows = [(f, seen.get(f.key)) for f in findings.rows(slug, day, PAGE_LIMIT)]
        groups.append({"kind": kind, "says": kind.says(), "count": counts[slug], "rows": rows,
                       "cut": counts[slug] > len(rows)})
    return render(request, "reconciliation/findings.html", {
        "form": form, "day": day, "groups": groups, "total": sum(counts.values()),
        "summary": [(findings.KINDS[s], n) for s, n in counts.items()],
        "filtered": len(chosen) == 1, "query": request.GET.urlencode(),
        "limit": PAGE_LIMIT,
    })


CSV_COLUMNS = ["Kind", "Contract", "Contract number", "Contractor", "Person", "Email",
               "Service", "Access status", "What is wrong", "Since", "First found by the "
               "daily check", "Fix", "Where"]


class _Echo:
    def write(self, value):
        return value


def _csv_lines(day, kinds, seen):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    base = settings.MUSTER_BASE_URL.rstrip("/")
    for f in findings.every(day, kinds):
        first = seen.get(f.key)
        organization = f.contract.organization
        yield writer.writerow([inert(v) for v in (
            f.label, f.contract.name, f.contract.contract_number,
            organization.name if organization else "",
            f.person.full_name if f.person else "", f.person.email if f.person else "",
            f.service.name if f.service else "",
            f.grant.get_status_display() if f.grant else "", f.detail, f.since.isoformat(),
            first.isoformat() if first else "", f.fix, base + f.url,
        )])


@require_safe
def findings_csv(request):
    _require(request)
    day = clock.today()
    kinds = FindingFilterForm(request.GET).kinds()
    response = StreamingHttpResponse(_csv_lines(day, kinds, _first_seen()),
                                     content_type="text/csv; charset=utf-8")
    name = f"muster-reconciliation-{day:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
