"""Dates in the words pages show them, as Django's `date` filter writes them with "M j, Y"
("Dec 1, 2026"), "D, M j, Y" ("Tue, Dec 1, 2026"), "F j, Y" ("December 1, 2026") and
"l, F j, Y" ("Tuesday, December 1, 2026"): for tables written in Python, and for every
template by the `short_date`, `full_date` and `full_weekday_date` filters (muster_tags).

Issue 17: the filter builds a formatter and parses its format string for every value,
about 130 Python calls a date; a list of 150 rows with two dates each paid that 300 times.
The month and weekday names are Django's own, translated as the filter's are: a page takes
`current()` once and writes each of its dates with it.
"""

import datetime
import functools

from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import get_language


class DateWords:
    """The names of one language, worked out once."""

    def __init__(self):
        self.months = {month: str(MONTHS_3[month]).title() for month in range(1, 13)}
        self.weekdays = {weekday: str(WEEKDAYS_ABBR[weekday]) for weekday in range(7)}
        self.full_months = {month: str(MONTHS[month]) for month in range(1, 13)}
        self.full_weekdays = {weekday: str(WEEKDAYS[weekday]) for weekday in range(7)}

    def day(self, value: datetime.date) -> str:
        """As `date:"M j, Y"`: "Dec 1, 2026"."""
        return f"{self.months[value.month]} {value.day}, {value.year:04d}"

    def weekday(self, value: datetime.date) -> str:
        """As `date:"D, M j, Y"`: "Tue, Dec 1, 2026"."""
        return f"{self.weekdays[value.weekday()]}, {self.day(value)}"

    def full_day(self, value: datetime.date) -> str:
        """As `date:"F j, Y"`: "December 1, 2026"."""
        return f"{self.full_months[value.month]} {value.day}, {value.year:04d}"

    def full_weekday(self, value: datetime.date) -> str:
        """As `date:"l, F j, Y"`: "Tuesday, December 1, 2026"."""
        return f"{self.full_weekdays[value.weekday()]}, {self.full_day(value)}"


@functools.cache
def _in(language: str | None) -> DateWords:
    return DateWords()


def current() -> DateWords:
    """The words of the language active now (the request's)."""
    return _in(get_language())
