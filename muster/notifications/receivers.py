"""Emails for events of lower layers, which announce them with signals (they cannot import
the outbox): the audit record's checkpoints and its alarms go to AUDIT_EMAIL."""

import hashlib

from django.conf import settings
from django.dispatch import receiver

from muster import clock
from muster.audit.checkpoints import Head, checkpoint_written, loss_found

from . import services as mail


@receiver(checkpoint_written, dispatch_uid="muster.notifications.audit_checkpoint")
def email_audit_checkpoint(sender, checkpoint, token, accepted_loss, **kwargs):
    if not settings.AUDIT_EMAIL:
        return
    mail.queue(
        "audit_checkpoint", to=settings.AUDIT_EMAIL, key=f"audit-checkpoint:{checkpoint.signature}",
        context={"head": Head.of(checkpoint), "token": token, "accepted_loss": accepted_loss},
    )


@receiver(loss_found, dispatch_uid="muster.notifications.audit_loss")
def email_audit_loss(sender, findings, **kwargs):
    if not settings.AUDIT_EMAIL:
        return
    # One alarm a day while the loss stands (the daily sweep finds it again each day).
    details = hashlib.sha256(" ".join(f.detail for f in findings).encode()).hexdigest()
    mail.queue(
        "audit_loss", to=settings.AUDIT_EMAIL,
        key=f"audit-loss:{clock.today().isoformat()}:{details[:16]}",
        context={"findings": findings},
    )
