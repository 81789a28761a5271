"""The transactional outbox: an email is a row written in the same transaction as the
change it reports, and the worker delivers it. Nothing is lost if the mail server is down
(the row waits and is retried with backoff). Delivery is at least once: a worker killed
after the server took a message but before Muster recorded it sends it again, with the
same Message-ID (see services.py)."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from muster import clock


class OutboxEmail(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    key = models.CharField(
        max_length=200, unique=True,
        help_text="What this email is about; the same key is never queued twice.",
    )
    template = models.CharField(max_length=80)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    # Holds a personal sign-in link (an invitation, a password reset): never shown in
    # Muster, and the body is forgotten once the email is sent.
    confidential = models.BooleanField(default=False)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="[{name, path, mimetype}] in default storage."
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, null=True, blank=True,
        related_name="emails",
        db_index=False,  # (contract, -created_at) serves lookups by it
    )
    # Protected: never assigned. The worker moves it with conditional UPDATEs (claim,
    # sent, wait again, failed: delivery.py), compare-and-set on the claim, which is what
    # keeps two workers from sending the same email; the team's retry is a transition.
    status = FSMField(max_length=10, choices=Status.choices, default=Status.PENDING,
                      protected=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The id of the request (or command or task run) that queued it: its X-Request-ID
    # header, and the action id on the audit events of the same change.
    request_id = models.CharField(max_length=64, blank=True)
    # Not stored: services.queue sets it on a row it has just created (not on a repeat).
    just_queued: bool

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="outbox_due",
            ),
            models.Index(fields=["contract", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"

    @transition(field=status, source=Status.FAILED, target=Status.PENDING)
    def retry(self) -> None:
        """The team asks for a failed email again: now, with a fresh count of attempts."""
        self.attempts = 0
        self.next_attempt_at = clock.now()


class OutboxRecipient(models.Model):
    """Who an email went to, so a person can find their notifications in Muster."""

    email = models.ForeignKey(OutboxEmail, on_delete=models.CASCADE, related_name="recipients")
    address = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="notifications",
        db_index=False,  # (user, email) serves lookups by it
    )
    # The in-app notification is this same row: None until the person marks it as read
    # (a POST from their list or the email's page; opening it changes nothing).
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "email"]),
            # The header's unread count, on every page: the person's unread rows, and the
            # rows addressed to them before they had an account.
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True),
                         name="recipient_unread"),
            models.Index(fields=["address"], condition=models.Q(user__isnull=True),
                         name="recipient_no_account"),
        ]

    def __str__(self) -> str:
        return self.address


class WorkerHeartbeat(models.Model):
    """A background worker's last sign of life, whatever the task backend: readiness
    (/readyz) and the metrics read it."""

    worker_id = models.CharField(max_length=100, unique=True)
    backend = models.CharField(max_length=40)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.backend}) seen {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ScheduledRun(models.Model):
    """The run of a recurring background task that every worker shares: which run is
    waiting (its task result id) and when it is due, whatever the task backend. Workers
    change it only under a row lock (notifications/schedule.py), so one chain exists."""

    task_path = models.CharField(max_length=200, primary_key=True)
    result_id = models.CharField(max_length=64, blank=True)
    run_after = models.DateTimeField(null=True, blank=True)  # None: as soon as possible
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.task_path}: {self.result_id or 'nothing'} at {self.run_after or 'once'}"
