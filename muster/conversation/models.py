"""The thread on a contract and its requests: entries (comments shared with the contract's
people, internal notes only the team reads, and the onboarding team's questions with their
answers), the PDFs attached to them and who was notified of each.

An entry belongs to a contract and may be about one of its requests (the onboarding
request, an additional-service request): a generic reference, since this app sits below
onboarding and access and cannot name their models. Entries are never edited or deleted
through Muster: the thread is a record, as the audit record is."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from muster import clock
from muster.validators import LONG_TEXT_MAX, NAME_MAX

USER = settings.AUTH_USER_MODEL
BODY_MAX = LONG_TEXT_MAX  # a message, a question or an answer
ABOUT_MAX = NAME_MAX


class Visibility(models.TextChoices):
    # Plain values accounts.permissions reads (it imports no app): keep them in step.
    SHARED = "shared", ("Comment shared with the COR, POC, SO and SPOC, the onboarding team "
                        "and the contract's service leads")
    INTERNAL = "internal", "Internal note: only the onboarding team, its lead and administrators"


class Kind(models.TextChoices):
    COMMENT = "comment", "Comment"
    QUESTION = "question", "Question from the onboarding team"
    ANSWER = "answer", "Answer to the onboarding team's question"


class Entry(models.Model):
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="thread_entries",
        db_index=False,  # (contract, about_type, about_id) serves lookups by it
    )
    # What request it is about (none: the contract as a whole).
    about_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    # How the contract's page names the request, written with the entry (no lookup per row).
    about_label = models.CharField(max_length=ABOUT_MAX, blank=True)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    body = models.TextField(max_length=BODY_MAX)
    visibility = models.CharField(max_length=10, choices=Visibility.choices,
                                  default=Visibility.SHARED)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)

    class Meta:
        ordering = ["created_at", "id"]  # a conversation reads oldest first
        verbose_name_plural = "entries"
        indexes = [models.Index(fields=["contract", "about_type", "about_id"])]

    def __str__(self) -> str:
        # Never the body: the audit record (which the COR reads) names the entry by this.
        label = "Internal note" if self.is_internal else self.get_kind_display()
        return f"{label} #{self.pk}"

    @property
    def is_internal(self) -> bool:
        return self.visibility == Visibility.INTERNAL


def attachment_path(instance, filename: str) -> str:
    return f"contracts/{instance.entry.contract_id}/conversation/{instance.entry_id}/{filename}"


class Attachment(models.Model):
    """A PDF attached to an entry: stored through Django's storage API, read only through
    Muster's view, which checks the person may read the entry."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=NAME_MAX)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    """A person the author chose to notify of the entry (they were emailed)."""

    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="mentions",
        db_index=False,  # one_mention_per_person (entry, user) serves lookups by it
    )
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["entry", "user"],
                                               name="one_mention_per_person")]

    def __str__(self) -> str:
        return f"{self.user} on {self.entry}"
