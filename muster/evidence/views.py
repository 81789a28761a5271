"""The evidence package's page: GET explains what the package holds (and writes nothing);
POST builds it, records the download on the audit record and answers the zip."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from muster.accounts import permissions
from muster.accounts.permissions import Action

from . import format as fmt
from . import services


def package(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.EXPORT_EVIDENCE)
    if request.method != "POST":
        return render(request, "evidence/package.html", {"contract": contract, "fmt": fmt})
    built = services.export(request.user, contract)
    response = HttpResponse(built.content, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, built.filename)
    response["Cache-Control"] = "no-store"
    return response
