"""The contractor's users and their access to the contract's approved services.

A roster member is a ContractRole with role "contractor_user" (so permissions treat them
like any other party). Each AccessGrant is one user's access to one service, moving
requested → active → paused → revoked through named transitions called from services.
"""

from django.conf import settings
from django.db import models
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts.models import Stage
from muster.validators import NAME_MAX, SHORT_TEXT_MAX, VISIBLE_ONLY

USER = settings.AUTH_USER_MODEL


class GrantStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    REVOKED = "revoked", "Revoked"


class PauseReason(models.TextChoices):
    DUA_LAPSED = "dua_lapsed", "The Data Use Agreement is not valid"
    OTHER = "other", "Paused by the onboarding team"
    # A re-award whose new period of performance starts after a gap: access carried over
    # on the old end date waits for the new POP (closeout.ending).
    WAITING_FOR_POP = "waiting_for_pop", "The new contract's period of performance has not begun"
    # A recertification campaign's due date passed with this grant not certified
    # (muster/recertification); the SO's late certification resumes it.
    NOT_RECERTIFIED = "not_recertified", "Not recertified by the Security Official"


# A grant that is not revoked: at most one per user and service; it still gives, or waits
# to give, access (a paused one resumes by itself).
UNREVOKED = (GrantStatus.REQUESTED, GrantStatus.ACTIVE, GrantStatus.PAUSED)


class AccessGrant(FSMModelMixin, models.Model):
    """One user's access to one service. `status` moves only through the transitions below
    (protected); FSMModelMixin lets `refresh_from_db` read it again."""

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="access_grants",
        db_index=False,  # (contract, status) serves lookups by it
    )
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="access_grants")
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="access_grants"
    )
    status = FSMField(
        max_length=12, choices=GrantStatus.choices, default=GrantStatus.REQUESTED, db_index=True,
        protected=True,
    )
    eua_job_code = models.CharField(
        "EUA job code", max_length=40, blank=True,
        help_text="Copied from the service when granted (e.g. CONFL_User for Confluence).",
    )
    pause_reason = models.CharField(max_length=16, choices=PauseReason.choices, blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=clock.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = clock.ChangedAt()

    class Meta:
        ordering = ["contract", "user__full_name", "service__order"]
        constraints = [
            # One live grant per user and service; revoked ones are kept as history.
            models.UniqueConstraint(
                fields=["contract", "user", "service"],
                condition=~models.Q(status="revoked"),
                name="one_live_grant_per_service",
            )
        ]
        indexes = [
            models.Index(fields=["contract", "status"]),
            # The grants waiting for confirmation, oldest first (My work, the team's lists):
            # the page's 25 without sorting every one.
            models.Index(fields=["requested_at", "id"], condition=models.Q(status="requested"),
                         name="grant_requested_order"),
            # The same grants by id, for a join that starts from a few assignments (a
            # person's, My work's list of them): each grant's status and order read from
            # this index, instead of every grant waiting for confirmation (7,877 at
            # 10,000 contracts) hashed to find the person's 116 (1.6 to 0.8 ms).
            models.Index(fields=["id", "requested_at"], condition=models.Q(status="requested"),
                         name="requested_grant_by_id"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.service} ({self.get_status_display()})"

    @transition(field=status, source=GrantStatus.REQUESTED, target=GrantStatus.ACTIVE)
    def activate(self):
        pass

    @transition(field=status, source=[GrantStatus.ACTIVE, GrantStatus.REQUESTED],
                target=GrantStatus.PAUSED)
    def pause(self):
        pass

    # A grant paused before it was ever confirmed goes back to waiting for confirmation.
    @transition(field=status, source=GrantStatus.PAUSED,
                target=RETURN_VALUE(GrantStatus.ACTIVE, GrantStatus.REQUESTED))
    def resume(self):
        return GrantStatus.ACTIVE if self.activated_at else GrantStatus.REQUESTED

    @transition(
        field=status,
        source=[GrantStatus.REQUESTED, GrantStatus.ACTIVE, GrantStatus.PAUSED],
        target=GrantStatus.REVOKED,
    )
    def revoke(self):
        pass


def _role_may(action: Action):
    """A transition's `permission`: the person's roles on the request's contract allow it."""
    return lambda req, user: permissions.can(user, action, req.contract)


def _leads_may(req, user) -> bool:
    return permissions.leads_the_service(user, req)


class AdditionalServiceRequest(FSMModelMixin, models.Model):
    """An existing contract asks for one more service: the COR approves first, then the
    service leads decide, then the SO gets a welcome-package addendum.

    Each transition names who may take it (`permission`): a page offers the ones
    `django_fsm.has_transition_perm` allows the person from the request's state now."""

    class Status(models.TextChoices):
        AWAITING_COR = "awaiting_cor", "Waiting for the COR's approval"
        AWAITING_LEADS = "awaiting_leads", "Waiting for the service leads"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        WITHDRAWN = "withdrawn", "Declined by the COR"  # (the value predates withdrawal)
        # Stopped after the COR's approval, before the addendum: the team can reopen it.
        COR_WITHDRAWN = "cor_withdrawn", "Withdrawn by the COR"
        CANCELLED = "cancelled", "Cancelled by the onboarding team"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="additional_requests"
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    organization_name = models.CharField(
        "organization (HARP organization name preferred)", max_length=NAME_MAX,
        validators=VISIBLE_ONLY,
    )
    justification = models.TextField("business justification", max_length=SHORT_TEXT_MAX)
    estimated_users = models.PositiveIntegerField()
    status = FSMField(
        max_length=16, choices=Status.choices, default=Status.AWAITING_COR, db_index=True,
        protected=True,
    )
    version = models.PositiveIntegerField(default=1)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=clock.now)
    cor_decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cor_decided_at = models.DateTimeField(null=True, blank=True)
    cor_note = models.TextField(blank=True, max_length=SHORT_TEXT_MAX)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, max_length=SHORT_TEXT_MAX)
    # The latest withdrawal or cancellation, and the latest reopening (every one is also
    # on the audit record).
    stopped_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_from = models.CharField(max_length=16, choices=Status.choices, blank=True)
    stop_reason = models.CharField(max_length=SHORT_TEXT_MAX, blank=True)
    reopened_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.CharField(max_length=SHORT_TEXT_MAX, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.service} for {self.contract} ({self.get_status_display()})"

    @transition(field=status, source=Status.AWAITING_COR, target=Status.AWAITING_LEADS,
                permission=_role_may(Action.APPROVE_REQUEST_AS_COR))
    def approve_as_cor(self):
        pass

    @transition(field=status, source=Status.AWAITING_COR, target=Status.WITHDRAWN,
                permission=_role_may(Action.APPROVE_REQUEST_AS_COR))
    def decline_as_cor(self):
        pass

    @transition(field=status, source=Status.AWAITING_LEADS, target=Status.APPROVED,
                permission=_leads_may)
    def approve(self):
        pass

    @transition(field=status, source=Status.AWAITING_LEADS, target=Status.DENIED,
                permission=_leads_may)
    def deny(self):
        pass

    # The COR withdraws it before the service lead's decision.
    @transition(field=status, source=Status.AWAITING_LEADS, target=Status.COR_WITHDRAWN,
                permission=_role_may(Action.WITHDRAW_REQUEST))
    def withdraw(self):
        pass

    # The team cancels it before the addendum is sent (queries.cancellable_now).
    @transition(field=status, source=[Status.AWAITING_LEADS, Status.APPROVED],
                target=Status.CANCELLED, permission=_role_may(Action.CANCEL_REQUEST))
    def cancel(self):
        pass

    # Reopened, it waits for the service leads' decision again.
    @transition(field=status, source=[Status.COR_WITHDRAWN, Status.CANCELLED],
                target=Status.AWAITING_LEADS, permission=_role_may(Action.REOPEN_REQUEST))
    def reopen(self):
        pass


# A contract can ask for one more service only while it is running.
REQUESTABLE_STAGES = (Stage.ONBOARDING, Stage.ACTIVE, Stage.CLOSING)
_S = AdditionalServiceRequest.Status
# Requests still waiting for a decision (one per contract and service at a time).
UNDECIDED_REQUESTS = (_S.AWAITING_COR, _S.AWAITING_LEADS)
# Withdrawn by the COR or cancelled by the team after the COR's approval: reopenable.
REOPENABLE_REQUESTS = (_S.COR_WITHDRAWN, _S.CANCELLED)


class RosterImport(FSMModelMixin, models.Model):
    """A CSV file of users the SO uploaded: previewed row by row, saved all at once or not
    at all (preview → imported, or preview → discarded)."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        IMPORTED = "imported", "Imported"
        DISCARDED = "discarded", "Discarded"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="roster_imports"
    )
    filename = models.CharField(max_length=NAME_MAX)
    rows = models.JSONField(help_text="[{line, full_name, email, harp_id, services, errors}]")
    error_count = models.PositiveIntegerField(default=0)
    status = FSMField(max_length=10, choices=Status.choices, default=Status.PREVIEW,
                      protected=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=clock.now)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @transition(field=status, source=Status.PREVIEW, target=Status.IMPORTED)
    def mark_imported(self, at):
        self.imported_at = at

    @transition(field=status, source=Status.PREVIEW, target=Status.DISCARDED)
    def discard(self):
        pass
