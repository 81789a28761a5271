"""Sign-in lockout: repeated failures for one email lock it for a while (the failures
written here, read in queries.is_locked_out)."""

import datetime

from muster import clock

from .models import LoginFailure
from .queries import normalize_email, window_start


def note_failure(email: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(email=normalize_email(email), at=clock.now(), ip_address=ip_address)
    # Old failures say nothing any more; keep the table small.
    LoginFailure.objects.filter(at__lt=window_start() - datetime.timedelta(days=1)).delete()


def clear_failures(email: str) -> None:
    LoginFailure.objects.filter(email=normalize_email(email)).delete()
