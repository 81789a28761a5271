"""A thread's own page (GET: read it and write in it; POST: add an entry), for a contract
or one of its requests, and an attachment's download. Thin: find and authorize the
subject, validate the form, call the service, say what happened. The contract's page and
the requests' pages show the same thread and form, posting here; a form with errors comes
back on this page, with what the person typed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error
from muster.uploads import pdf_download

from . import queries, services
from .forms import EntryForm
from .models import Attachment, Visibility
from .subjects import ONBOARDING_REQUEST, SERVICE_REQUEST, SUBJECTS


def _thread_page(request, contract, about, *, action: str, back: str, title: str):
    """GET: the thread and its form. POST: the entry, then back to `back` (the page the
    thread is on); with errors, this page again with the form as it was sent."""
    user = request.user
    if not permissions.may_read_thread(user, contract, about):
        raise PermissionDenied("Your role on this contract does not include its conversation.")
    form = None
    if request.method == "POST":
        if (request.POST.get("visibility") == Visibility.INTERNAL
                and not permissions.may_write_internal_note(user, contract)):
            raise PermissionDenied("Only the onboarding team, its lead and administrators "
                                   "write internal notes.")
        form = EntryForm(request.POST, request.FILES,
                         candidates=queries.candidates(contract, about, exclude=user),
                         internal=permissions.may_write_internal_note(user, contract))
        if form.is_valid():
            data = form.cleaned_data
            with refused_as_form_error(form) as refusal:
                entry = services.post_entry(
                    user, contract, body=data["body"], visibility=form.chosen_visibility,
                    about=about, notify=form.people(), attachments=data["attachments"])
            if not refusal:
                notified = len(entry.mentions.all())
                kind = "Internal note" if entry.is_internal else "Comment"
                messages.success(request, f"{kind} added." + (
                    f" {notified} {'person was' if notified == 1 else 'people were'} "
                    "emailed." if notified else ""))
                return redirect(f"{back}#entry-{entry.pk}")
    shown = queries.thread(user, contract, about, form=form, action=action)
    return render(request, "conversation/page.html", {
        "contract": contract, "about": about, "thread": shown, "back": back,
        "title": title, "error_form": form if form is not None and form.errors else None,
    }, status=400 if form is not None and form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def contract_thread(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    return _thread_page(request, contract, None,
                        action=reverse("conversation:contract", args=[contract.pk]),
                        back=contract.get_absolute_url(),
                        title=f"Conversation: {contract.name}")


@require_http_methods(["GET", "HEAD", "POST"])
def onboarding_thread(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    subject = SUBJECTS[ONBOARDING_REQUEST]
    about = subject.model().objects.filter(contract=contract).first()
    if about is None:
        raise Http404("This contract has no onboarding request yet.")
    about.contract = contract
    return _thread_page(request, contract, about,
                        action=reverse("conversation:onboarding_request", args=[contract.pk]),
                        back=subject.page(contract.pk, about.pk),
                        title=f"Conversation on the onboarding request: {contract.name}")


@require_http_methods(["GET", "HEAD", "POST"])
def service_request_thread(request, req_pk):
    subject = SUBJECTS[SERVICE_REQUEST]
    about = (subject.model().objects.select_related("contract", "service")
             .filter(pk=req_pk).first())
    if about is None or not permissions.may_see_service_request(request.user, about):
        raise Http404("No such request.")
    contract = about.contract
    return _thread_page(request, contract, about,
                        action=reverse("conversation:service_request", args=[about.pk]),
                        back=subject.page(contract.pk, about.pk),
                        title=f"Conversation on {about.service} for {contract.name}")


@require_safe
def attachment(request, pk, attachment_pk):
    """A PDF attached to an entry, for whoever may read the entry: 404 to whoever cannot
    see the contract (nothing says it exists), 403 to whoever sees it but not the entry
    (an internal note's attachment to the COR)."""
    user = request.user
    found = (Attachment.objects.select_related("entry", "entry__contract")
             .filter(pk=attachment_pk, entry__contract_id=pk).first())
    if found is None:
        raise Http404("No such attachment.")
    entry = found.entry
    if not permissions.may_read_entry(user, entry):
        sees = permissions.visible_contracts(user).filter(pk=pk).exists()
        if entry.visibility == Visibility.INTERNAL and sees:
            raise PermissionDenied("This file is on an internal note of the onboarding team.")
        if sees and permissions.may_read_thread(user, entry.contract):
            raise PermissionDenied("You cannot read the message this file is attached to.")
        raise Http404("No such attachment.")
    return pdf_download(found.file, found.name, "This attachment is missing.")
