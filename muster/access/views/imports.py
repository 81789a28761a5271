"""The roster as a CSV file: the SO's import (upload, preview, confirm or discard) and the
export. Thin: parse, authorize (accounts.permissions), call one service, render or
redirect."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error, refused_as_message

from .. import imports, queries, roster_csv
from ..forms import ImportForm
from ..models import RosterImport
from .roster import page_of

PREVIEW_PAGE_SIZE = 100


def import_csv(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with refused_as_form_error(form) as refusal:
            roster_import = imports.start_import(
                request.user, contract, filename=form.cleaned_data["file"].name,
                rows=form.parsed.rows,
            )
        if not refusal:
            return redirect("access:import_preview", contract.pk, roster_import.pk)
    return render(request, "access/roster/import.html", {
        "contract": contract, "form": form,
        "approved": queries.approved_services(contract),
        "max_rows": roster_csv.MAX_ROWS,
    }, status=400 if form.errors else 200)


def import_preview(request, pk, import_pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    roster_import = get_object_or_404(RosterImport, pk=import_pk, contract=contract)
    if request.method == "POST":
        return _decide(request, contract, roster_import)
    rows = sorted(roster_import.rows, key=lambda r: (not r.get("errors"), r.get("line", 0)))
    grants = sum(len(r.get("services") or []) for r in roster_import.rows)
    return render(request, "access/roster/import_preview.html", {
        "contract": contract,
        "roster_import": roster_import,
        "page": page_of(request, rows, PREVIEW_PAGE_SIZE),
        "total": len(rows),
        "with_errors": roster_import.error_count,
        "grants": grants,
        "ready": roster_import.status == RosterImport.Status.PREVIEW
        and not roster_import.error_count,
    })


def _decide(request, contract, roster_import):
    action = request.POST.get("action")
    if action not in ("confirm", "discard"):
        messages.error(request, "Choose to import the file or discard it.")
        return redirect("access:import_preview", contract.pk, roster_import.pk)
    with refused_as_message(request) as refusal:
        if action == "confirm":
            result = imports.confirm_import(request.user, roster_import)
        else:
            imports.discard_import(request.user, roster_import)
    if refusal:
        return redirect("access:import_preview", contract.pk, roster_import.pk)
    if action == "discard":
        messages.success(request, f"Discarded {roster_import.filename}. No one was added.")
        return redirect("access:roster", contract.pk)
    if result.errors:
        messages.error(request, f"Nothing was imported: {result.errors} row(s) have errors "
                       "now. Fix the file and upload it again.")
        return redirect("access:import_preview", contract.pk, roster_import.pk)
    messages.success(request, f"Imported {result.imported} user(s) "
                     f"({result.created_users} new to Muster) and requested "
                     f"{result.grants} access grant(s).")
    return redirect("access:roster", contract.pk)


def export_csv(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_ROSTER)
    rows = queries.export_rows(contract)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"roster-{contract.contract_number}-{clock.today():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # so Excel reads it as UTF-8
    roster_csv.write(response, rows)
    return response
