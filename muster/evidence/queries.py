"""What an evidence package says about one contract, read once for the report and the CSV
files alike: each part is a `Table` (its file name, heading, columns and rows of text), so
the PDF and the CSV files cannot disagree.

The number of queries does not grow with the contract's grants, steps or events: every
list is one query (with its people joined), and a grant's history comes from the
contract's audit events already read.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.db.models import Prefetch

from muster.access.models import AccessGrant, AdditionalServiceRequest
from muster.accounts.models import ContractRole
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.closeout.models import Closeout
from muster.contracts.models import Contract, ContractService, DataUseAgreement
from muster.onboarding.models import (
    EligibilityMeeting,
    OnboardingRequest,
    StatusChange,
    WelcomePackage,
)

GRANT_TYPE = AccessGrant._meta.label_lower


@dataclass
class Table:
    name: str  # the CSV file's name without ".csv"
    title: str  # the report's heading
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """A one-row table as (column, value) pairs: the report shows the contract so."""
        return list(zip(self.columns, self.rows[0], strict=True)) if self.rows else []


@dataclass
class Evidence:
    contract: Contract
    tables: list[Table]
    events: list[AuditEvent]  # the contract's audit events, oldest first

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def text(value) -> str:
    """One cell: dates and moments in ISO 8601 (UTC for a moment), nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def person(user) -> str:
    return f"{user.full_name} <{user.email}>" if user is not None else ""


def collect(contract: Contract) -> Evidence:
    contract = Contract.objects.select_related("organization", "process_template").get(
        pk=contract.pk)
    events = list(AuditEvent.objects.filter(contract=contract).order_by("id"))
    tables = [
        _contract(contract),
        _parties(contract),
        _timeline(contract),
        _decisions(contract),
        _welcome_packages(contract),
        *_grants(contract, events),
        _duas(contract),
        _closeout(contract),
    ]
    return Evidence(contract, tables, events)


def _contract(c: Contract) -> Table:
    org = c.organization
    return Table("contract", "Contract", [
        "Name", "Contract number", "Task order number", "Organization",
        "HARP organization name", "Stage", "Estimated award date", "Award date",
        "Period of performance start", "Period of performance end", "Type of work",
        "Process",
    ], [[c.name, c.contract_number, c.task_order_number, org.name if org else "",
         org.harp_name if org else "", c.get_stage_display(), text(c.estimated_award_date),
         text(c.award_date), text(c.pop_start), text(c.pop_end), c.type_of_work,
         c.process_template.name if c.process_template else ""]])


def _parties(c: Contract) -> Table:
    roles = ContractRole.objects.filter(contract=c).select_related("user").order_by(
        "role", "user__full_name", "pk")
    return Table("parties", "Parties", [
        "Role", "Name", "Email", "HARP ID", "EUA background check", "Named on",
    ], [[r.get_role_display(), r.user.full_name, r.user.email, r.user.harp_id,
         r.get_eua_check_display(), text(r.assigned_at)] for r in roles])


def _timeline(c: Contract) -> Table:
    steps = c.steps.select_related("completed_by").order_by("process", "order")

    def state(step) -> str:
        if step.completed_at:
            return "Done"
        return "Cancelled" if step.cancelled_at else "Open"

    return Table("timeline", "Timeline", [
        "Process", "Phase", "Step", "Due date", "Responsible", "State", "Done at", "Done by",
        "Evidence or note",
    ], [[s.get_process_display(), s.phase, s.name, text(s.due_date),
         ", ".join(s.responsible_labels), state(s), text(s.completed_at),
         person(s.completed_by), s.completion_note] for s in steps])


def _decisions(c: Contract) -> Table:
    """Every approval and denial on the contract, with who, when and why, oldest first."""
    rows: list[tuple] = []
    request = (OnboardingRequest.objects.filter(contract=c)
               .select_related("submitted_by", "reviewed_by", "lead_approved_by").first())
    if request is not None:
        for at, by, what in [
            (request.submitted_at, request.submitted_by, "Submitted"),
            (request.reviewed_at, request.reviewed_by, "Reviewed by the onboarding team"),
            (request.lead_approved_at, request.lead_approved_by,
             "Approved by the team lead"),
        ]:
            if at:
                rows.append((at, "Onboarding request", "Intake form", what, by, ""))
        for change in StatusChange.objects.filter(request=request).select_related("by"):
            rows.append((change.at, "Onboarding request", "Intake form",
                         change.get_kind_display(), change.by, change.reason))
        for meeting in EligibilityMeeting.objects.filter(request=request).select_related(
                "recorded_by"):
            rows.append((meeting.recorded_at, "Eligibility meeting",
                         f"Meeting on {meeting.held_on:%Y-%m-%d}",
                         meeting.get_outcome_display(), meeting.recorded_by, meeting.notes))
    for item in ContractService.objects.filter(contract=c).select_related(
            "service", "decided_by"):
        rows.append((item.decided_at, "Service decision", item.service.name,
                     item.get_status_display(), item.decided_by, item.decision_reason))
    for extra in AdditionalServiceRequest.objects.filter(contract=c).select_related(
            "service", "cor_decided_by", "decided_by", "stopped_by", "reopened_by"):
        subject = f"Additional service: {extra.service.name}"
        if extra.cor_decided_at:
            rows.append((extra.cor_decided_at, "Additional service (COR)", subject,
                         "Declined" if extra.status == extra.Status.WITHDRAWN else "Approved",
                         extra.cor_decided_by, extra.cor_note))
        if extra.decided_at:
            rows.append((extra.decided_at, "Additional service (service lead)", subject,
                         extra.get_status_display() if extra.status in (
                             extra.Status.APPROVED, extra.Status.DENIED) else "Decided",
                         extra.decided_by, extra.decision_reason))
        if extra.stopped_at:
            rows.append((extra.stopped_at, "Additional service (stopped)", subject,
                         f"Stopped while “{extra.get_stopped_from_display()}”",
                         extra.stopped_by,
                         extra.stop_reason))
        if extra.reopened_at:
            rows.append((extra.reopened_at, "Additional service (reopened)", subject,
                         "Reopened", extra.reopened_by, extra.reopen_reason))
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    rows.sort(key=lambda r: (r[0] is None, r[0] or far))
    return Table("decisions", "Approvals and denials", [
        "When", "Kind", "Subject", "Decision", "By", "Reason or notes",
    ], [[text(at), kind, subject, decision, person(by), reason]
        for at, kind, subject, decision, by, reason in rows])


def _welcome_packages(c: Contract) -> Table:
    packages = WelcomePackage.objects.filter(contract=c).select_related("sent_by").order_by(
        "version")
    return Table("welcome_packages", "Welcome package versions", [
        "Version", "Kind", "Sent at", "Sent by", "Sent to", "Services",
    ], [[str(p.version), p.get_kind_display(), text(p.sent_at), person(p.sent_by),
         ", ".join(str(to) for to in p.sent_to),
         ", ".join(s.get("name", "") for s in p.services)] for p in packages])


def _grants(c: Contract, events: list[AuditEvent]) -> list[Table]:
    grants = (AccessGrant.objects.filter(contract=c)
              .select_related("user", "service", "requested_by", "revoked_by")
              .order_by("user__full_name", "service__order", "pk"))
    labels = {}
    rows = []
    for g in grants:
        labels[str(g.pk)] = (g.user.full_name, g.service.name)
        rows.append([str(g.pk), g.user.full_name, g.user.email, g.user.harp_id, g.service.name,
                     g.get_status_display(), g.get_pause_reason_display(), g.eua_job_code,
                     text(g.requested_at), person(g.requested_by), text(g.activated_at),
                     text(g.paused_at), text(g.revoked_at), person(g.revoked_by)])
    history = [[e.object_id, *labels.get(e.object_id, ("", "")), text(e.at), e.actor_label,
                e.action, e.summary, str(e.pk)]
               for e in events if e.object_type == GRANT_TYPE]
    return [
        Table("grants", "Access grants", [
            "Grant", "User", "Email", "HARP ID", "Service", "Status", "Pause reason",
            "EUA job code", "Requested at", "Requested by", "Active since", "Paused at",
            "Revoked at", "Revoked by",
        ], rows),
        Table("grant_history", "History of the access grants", [
            "Grant", "User", "Service", "When", "Who", "Action", "What", "Audit event",
        ], history),
    ]


def _duas(c: Contract) -> Table:
    duas = (DataUseAgreement.objects.filter(contract=c)
            .select_related("uploaded_by", "invalidated_by")
            .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("name")))
            .order_by("uploaded_at", "pk"))
    return Table("duas", "Data Use Agreements", [
        "DUA number", "Effective date", "Expiry date", "Services", "Uploaded at",
        "Uploaded by", "Invalidated at", "Invalidated by", "Reason it was invalidated",
    ], [[d.number, text(d.effective_date), text(d.expiry_date),
         ", ".join(s.name for s in d.services.all()), text(d.uploaded_at),
         person(d.uploaded_by), text(d.invalidated_at), person(d.invalidated_by),
         d.invalidated_reason] for d in duas])


def _closeout(c: Contract) -> Table:
    closeouts = (Closeout.objects.filter(contract=c)
                 .select_related("chosen_by", "removal_confirmed_by", "data_archived_by",
                                 "successor")
                 .order_by("notice_sent_at", "pk"))
    return Table("closeout", "Closeout", [
        "End of performance", "Status", "Notice sent at", "Scenario", "Chosen by",
        "Chosen at", "Answers", "Access removed on", "Removal confirmed by",
        "Removal confirmed at", "Data archived by", "Data archived at", "Archive note",
        "Successor",
    ], [[text(x.pop_end), x.get_status_display(), text(x.notice_sent_at),
         x.get_scenario_display() if x.scenario else "", person(x.chosen_by),
         text(x.chosen_at), text(x.answers) if x.answers else "", text(x.access_removed_on),
         person(x.removal_confirmed_by), text(x.removal_confirmed_at),
         person(x.data_archived_by), text(x.data_archived_at), x.archive_note,
         str(x.successor) if x.successor else ""] for x in closeouts])
