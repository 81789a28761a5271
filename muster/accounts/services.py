"""Sign-in lockout: repeated failures for one email lock it for a while."""

import datetime

from django.conf import settings

from muster import clock

from .models import LoginFailure


def _window_start() -> datetime.datetime:
    return clock.now() - datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _normalize(email: str) -> str:
    return email.strip().lower()[:254]


def is_locked_out(email: str) -> bool:
    recent = LoginFailure.objects.filter(email=_normalize(email), at__gte=_window_start())
    return recent.count() >= settings.LOGIN_FAILURE_LIMIT


def note_failure(email: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(email=_normalize(email), at=clock.now(), ip_address=ip_address)
    # Old failures say nothing any more; keep the table small.
    LoginFailure.objects.filter(at__lt=_window_start() - datetime.timedelta(days=1)).delete()


def clear_failures(email: str) -> None:
    LoginFailure.objects.filter(email=_normalize(email)).delete()
