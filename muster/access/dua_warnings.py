"""Warnings before a DUA expires (settings.DUA_WARNING_DAYS), sent by the daily sweep."""

import datetime


def send_due(day: datetime.date, since: datetime.date) -> int:
    """The warnings due on `day` (catching up since the last run); how many were queued."""
    return 0
