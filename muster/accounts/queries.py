"""Reads about people: whether repeated failed sign-ins lock an email out for now."""

import datetime

from django.conf import settings

from muster import clock

from .models import LoginFailure


def window_start() -> datetime.datetime:
    """Failures since then count towards a lockout."""
    return clock.now() - datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def normalize_email(email: str) -> str:
    return email.strip().lower()[:254]


def is_locked_out(email: str) -> bool:
    recent = LoginFailure.objects.filter(email=normalize_email(email), at__gte=window_start())
    return recent.count() >= settings.LOGIN_FAILURE_LIMIT
