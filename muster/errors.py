"""Muster's domain errors, one hierarchy for every app.

A service refuses an action in one of two ways:
- `NotAllowed`: the person's role does not allow it. It is Django's `PermissionDenied`, so
  a view lets it pass and the 403 handler (`muster.views.permission_denied`) shows its
  message on Muster's 403 page.
- `DomainError` (each app's own subclass): not possible now, for a reason the message
  tells the person; the view shows it as a message or a form error (`muster.actions`).

This module imports nothing from the apps, so every layer may import it.
"""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """An action refused for a reason the message tells the person; nothing was saved.
    `field` names the form field the problem belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotAllowed(PermissionDenied):
    """The person's role does not allow the action: a 403 page with this message."""
