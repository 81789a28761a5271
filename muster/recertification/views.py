"""The recertification pages: the team's campaigns (list, open one, progress, CSV and PDF
exports) and each contract's page in a campaign, where its SO decides. Thin: authorize,
parse, call a service, render; every POST redirects (PRG)."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act, refused_as_form_error
from muster.contracts.models import Contract
from muster.spreadsheets import inert

from . import queries, services
from .forms import CampaignForm, DecisionForm
from .models import Campaign, Decision


def _require_team(request) -> None:
    if not permissions.allows(request.user, "recertification.run", None):
        raise PermissionDenied("Only the onboarding team, its lead and administrators run "
                               "recertification campaigns.")


def campaigns(request):
    _require_team(request)
    return render(request, "recertification/campaigns.html",
                  {"campaigns": queries.campaigns(), "today": clock.today()})


def campaign_new(request):
    _require_team(request)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refused_as_form_error(form) as refusal:
            opened = services.open_campaign(
                request.user, name=data["name"], due_date=data["due_date"],
                scope=data["scope"], contracts=data["contracts"] or ())
        if not refusal:
            messages.success(request, "Campaign opened: each contract's Security Official "
                                      "was emailed. Decisions are due "
                                      f"{opened.due_date:%B %-d, %Y}.")
            return redirect(opened)
    return render(request, "recertification/campaign_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def campaign(request, pk):
    _require_team(request)
    found = get_object_or_404(Campaign.objects.select_related("opened_by"), pk=pk)
    rows = queries.progress(found)
    return render(request, "recertification/campaign.html", {
        "campaign": found, "rows": rows, "today": clock.today(),
        "totals": {k: sum(getattr(r, k) for r in rows)
                   for k in ("total", "certified", "removed", "waiting", "paused")},
    })


EXPORT_COLUMNS = ["Contract", "Contract number", "User", "Email", "Service",
                  "Access now", "Decision", "Decided by", "Decided at"]


def _export_rows(found: Campaign):
    for item in queries.items_of(found):
        grant = item.grant
        yield [item.contract.name, item.contract.contract_number, grant.user.full_name,
               grant.user.email, grant.service.name, grant.get_status_display(),
               item.get_decision_display() or "Not decided",
               item.decided_by.full_name if item.decided_by else "",
               item.decided_at.isoformat(timespec="minutes") if item.decided_at else ""]


def export_csv(request, pk):
    _require_team(request)
    found = get_object_or_404(Campaign, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"recertification-{found.pk}-{clock.today():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # so Excel reads it as UTF-8
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for row in _export_rows(found):
        writer.writerow([inert(v) for v in row])
    return response


def export_pdf(request, pk):
    _require_team(request)
    found = get_object_or_404(Campaign.objects.select_related("opened_by"), pk=pk)
    html = render_to_string("recertification/report.html", {
        "campaign": found, "rows": queries.progress(found), "columns": EXPORT_COLUMNS,
        "items": list(_export_rows(found)), "made_at": clock.now(),
    })
    # WeasyPrint takes a second to import: loaded when a report is first asked for.
    from weasyprint import HTML

    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="recertification-{found.pk}-{clock.today():%Y-%m-%d}.pdf"')
    return response


# --- A contract's page in a campaign: its SO decides ------------------------------------


def _contract_in_campaign(request, campaign_pk, pk):
    """The contract (404 unless the person sees it) and the campaign (404 unless it covers
    the contract); 403 for a person who sees the contract but is neither its SO nor the
    team."""
    try:
        contract = permissions.visible_contracts(request.user).get(pk=pk)
    except (ValueError, TypeError, Contract.DoesNotExist) as exc:
        raise Http404("No such contract.") from exc
    if not permissions.allows(request.user, "recertification.see_contract", contract):
        raise PermissionDenied("Only the contract's Security Official certifies its access.")
    found = queries.campaign_of_contract(campaign_pk, contract)
    if found is None:
        raise Http404("This campaign does not cover this contract.")
    return found, contract


def contract(request, campaign, pk):
    found, contract_ = _contract_in_campaign(request, campaign, pk)
    return _contract_page(request, found, contract_)


def _contract_page(request, found, contract_, form=None, status=200):
    items = list(queries.items_of(found, contract_))
    return render(request, "recertification/contract.html", {
        "campaign": found, "contract": contract_, "items": items, "form": form,
        "today": clock.today(), "bulk_max": services.BULK_MAX,
        "waiting": sum(1 for i in items if not i.decision and i.grant.status != "revoked"),
        "can_decide": permissions.can(request.user, Action.CERTIFY_ACCESS,
                                      contract_),
        "decisions": Decision.choices,
    }, status=status)


def _done(result: services.Decided) -> str:
    parts = [f"{result.decided} decision(s) saved."]
    if result.revoked:
        parts.append(f"Revoked: {len(result.revoked)}.")
    if result.resumed:
        parts.append("Resumed (it was paused because it was not certified by the due date): "
                     + ", ".join(f"{g.user.full_name} ({g.service.name})"
                                 for g in result.resumed) + ".")
    if result.still_paused:
        parts.append("Still paused for another reason: "
                     + ", ".join(f"{g.user.full_name} ({g.service.name}: "
                                 f"{g.get_pause_reason_display().lower()})"
                                 for g in result.still_paused) + ".")
    return " ".join(parts)


@require_POST
def decide(request, campaign, pk):
    found, contract_ = _contract_in_campaign(request, campaign, pk)
    permissions.contract_for(request.user, contract_.pk, Action.CERTIFY_ACCESS)
    ids = list(found.items.filter(contract=contract_).values_list("pk", flat=True))
    form = DecisionForm(request.POST, item_ids=ids)
    return act(
        request, form=form,
        invalid=lambda f: _contract_page(request, found, contract_, f),
        call=lambda data: services.decide(request.user, found, contract_, data["chosen"],
                                          data["chosen_decision"]),
        done=_done,
        then=reverse("recertification:contract",
                     kwargs={"campaign": found.pk, "pk": contract_.pk}))
