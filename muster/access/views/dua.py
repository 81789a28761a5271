"""The contract's Data Use Agreements: state, history, upload, invalidation, document.
Thin: parse, authorize (accounts.permissions), call one service (access.dua), render or
redirect."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST, require_safe

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act, refused_as_form_error
from muster.contracts.models import DataUseAgreement
from muster.uploads import pdf_download

from .. import dua as service
from .. import queries
from ..dua_forms import DuaUploadForm, InvalidateForm


def _page(request, contract, *, upload_form=None, invalidate_form=None, status=200):
    user = request.user
    today = clock.today()
    state = queries.dua_status(contract, today)
    if upload_form is None and permissions.can(user, Action.UPLOAD_DUA, contract):
        upload_form = DuaUploadForm(initial={"services": queries.dua_services_wanted(contract)})
    current = state.dua if state.dua and state.dua.invalidated_at is None else None
    if (current and invalidate_form is None
            and permissions.can(user, Action.INVALIDATE_DUA, contract)):
        invalidate_form = InvalidateForm()
    return render(request, "access/dua/page.html", {
        "contract": contract,
        "status": state,
        "today": today,
        "duas": queries.duas_of(contract),
        "current": current,
        "upload_form": upload_form,
        "invalidate_form": invalidate_form,
        "has_errors": bool((upload_form is not None and upload_form.errors)
                           or (invalidate_form is not None and invalidate_form.errors)),
    }, status=status)


@require_safe
def dua_page(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    return _page(request, contract)


@require_POST
def upload(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.UPLOAD_DUA)
    form = DuaUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        with refused_as_form_error(form) as refusal:  # on the field the error names
            dua, resumed = service.upload_dua(
                request.user, contract, number=data["number"],
                effective_date=data["effective_date"], expiry_date=data["expiry_date"],
                document=data["document"], services=list(data["services"]),
            )
        if not refusal:
            text = f"DUA {dua.number} is saved."
            if resumed:
                text += (f" {len(resumed)} paused grant{'s' if len(resumed) != 1 else ''} "
                         "resumed; the SO and COR are emailed.")
            elif not dua.is_valid_on(clock.today()):
                text += " It is not in effect yet, so no access changed."
            messages.success(request, text)
            return redirect("access:dua", contract.pk)
    return _page(request, contract, upload_form=form, status=400)


@require_POST
def invalidate(request, pk, dua_pk):
    contract = permissions.contract_for(request.user, pk, Action.INVALIDATE_DUA)
    dua = get_object_or_404(DataUseAgreement, pk=dua_pk, contract=contract)

    def done(paused) -> str:
        count = len(paused)
        return (f"DUA {dua.number} is marked invalid. "
                + (f"{count} grant{'s' if count != 1 else ''} paused; " if count
                   else "No access needed pausing; ")
                + "the SO and COR are emailed.")

    # The form requires the reason, so the service refuses only a DUA someone else marked
    # invalid meanwhile: said on the DUA page.
    return act(request, form=InvalidateForm(request.POST),
               invalid=lambda form: _page(request, contract, invalidate_form=form),
               call=lambda data: service.invalidate_dua(request.user, dua, data["reason"]),
               done=done, then=reverse("access:dua", args=[contract.pk]))


@require_safe
def document(request, pk, dua_pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    dua = get_object_or_404(DataUseAgreement, pk=dua_pk, contract=contract)
    name = get_valid_filename(f"DUA-{dua.number}") or "DUA"
    return pdf_download(dua.document, f"{name}.pdf", "This DUA's document is missing.")
