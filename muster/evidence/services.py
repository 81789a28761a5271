"""Taking a contract's evidence package: built, then put on the audit record with its
manifest's digest, so who took which package, and when, is on the record too."""

from django.db import transaction

from muster import workflow
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts.models import Contract

from .package import Package, build


def export(actor, contract: Contract) -> Package:
    workflow.require(actor, Action.EXPORT_EVIDENCE, contract)
    with transaction.atomic():
        package = build(actor, contract)
        audit.record(
            actor, "evidence.exported", contract,
            f"Downloaded the evidence package {package.filename} ({package.events} audit "
            f"events; manifest SHA-256 {package.manifest_sha256[:16]}…)",
            contract=contract,
            after={"filename": package.filename, "manifest_sha256": package.manifest_sha256,
                   "audit_events": package.events},
        )
    return package
