"""The contract's Data Use Agreements: state, history, upload, invalidation, document.
Thin: parse, authorize (accounts.permissions), call one service (access.dua), render or
redirect."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST, require_safe

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error
from muster.contracts.models import ContractService, DataUseAgreement

from .. import dua as service
from ..dua_forms import DuaUploadForm, InvalidateForm


def _page(request, contract, *, upload_form=None, invalidate_form=None, status=200):
    user = request.user
    today = clock.today()
    state = service.dua_status(contract, today)
    can_upload = permissions.can(user, Action.UPLOAD_DUA, contract)
    can_invalidate = permissions.can(user, Action.INVALIDATE_DUA, contract)
    if can_upload and upload_form is None:
        wanted = ContractService.objects.filter(
            contract=contract, service__requires_dua=True,
        ).exclude(status=ContractService.Status.DENIED).values_list("service_id", flat=True)
        upload_form = DuaUploadForm(initial={"services": list(wanted)})
    current = state.dua if state.dua and state.dua.invalidated_at is None else None
    if can_invalidate and current and invalidate_form is None:
        invalidate_form = InvalidateForm()
    duas = (contract.duas.select_related("uploaded_by", "invalidated_by")
            .prefetch_related("services").order_by("-uploaded_at", "-pk"))
    return render(request, "access/dua/page.html", {
        "contract": contract,
        "status": state,
        "today": today,
        "duas": duas,
        "current": current,
        "can_upload": can_upload,
        "can_invalidate": can_invalidate and current is not None,
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
    form = InvalidateForm(request.POST)
    if form.is_valid():
        try:
            paused = service.invalidate_dua(request.user, dua, form.cleaned_data["reason"])
        except service.DuaError as error:
            if dua.invalidated_at is None:
                dua.refresh_from_db()
            if dua.invalidated_at is not None:  # someone else did it meanwhile
                messages.error(request, str(error))
                return redirect("access:dua", contract.pk)
            form.add_error(None, str(error))
        else:
            count = len(paused)
            messages.success(
                request,
                f"DUA {dua.number} is marked invalid. "
                + (f"{count} grant{'s' if count != 1 else ''} paused; " if count
                   else "No access needed pausing; ")
                + "the SO and COR are emailed.",
            )
            return redirect("access:dua", contract.pk)
    return _page(request, contract, invalidate_form=form, status=400)


@require_safe
def document(request, pk, dua_pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    dua = get_object_or_404(DataUseAgreement, pk=dua_pk, contract=contract)
    try:
        handle = dua.document.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("This DUA's document is missing.") from error
    name = get_valid_filename(f"DUA-{dua.number}") or "DUA"
    return FileResponse(handle, as_attachment=True, filename=f"{name}.pdf",
                        content_type="application/pdf")
