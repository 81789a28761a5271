"""The period a metrics page covers: a plain GET form with a start and an end date."""

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from muster import clock
from muster.forms import USWDSMixin

# Long enough for any report the team asks for; short enough that a month-by-month table
# stays readable (and a mistyped year does not ask for ten thousand months).
MAX_YEARS = 5
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def starts_at(self) -> datetime.datetime:
        """The first moment of the start date, in the site's time zone."""
        return _midnight(self.start)

    @property
    def ends_before(self) -> datetime.datetime:
        """The first moment after the end date."""
        return _midnight(self.end + datetime.timedelta(days=1))

    def contains(self, moment: datetime.datetime) -> bool:
        return self.starts_at <= moment < self.ends_before

    def months(self) -> list[datetime.date]:
        """The first day of every month the period touches, in order."""
        month = self.start.replace(day=1)
        result = []
        while month <= self.end:
            result.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return result

    def query(self) -> str:
        return f"start={self.start.isoformat()}&end={self.end.isoformat()}"

    def __str__(self) -> str:
        return f"{self.start:%B %-d, %Y} to {self.end:%B %-d, %Y}"


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=timezone.get_current_timezone())


def default_period(today: datetime.date | None = None) -> Period:
    """The last 12 months: from the same day a year ago (the day after it) to today."""
    today = today or clock.today()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # February 29
        year_ago = today.replace(year=today.year - 1, day=28)
    return Period(year_ago + datetime.timedelta(days=1), today)


class DateInput(forms.DateInput):
    input_type = "date"


class PeriodForm(USWDSMixin, forms.Form):
    start = forms.DateField(
        label="From", widget=DateInput(format="%Y-%m-%d"),
        help_text="The first day of the period, for example 2026-01-31.",
        error_messages={"required": "Give the first day of the period.",
                        "invalid": "Give the first day as a date, for example 2026-01-31."},
    )
    end = forms.DateField(
        label="To", widget=DateInput(format="%Y-%m-%d"),
        help_text="The last day of the period (included).",
        error_messages={"required": "Give the last day of the period.",
                        "invalid": "Give the last day as a date, for example 2026-12-31."},
    )

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, f"Give a date between {FIRST_YEAR} and {LAST_YEAR}.")
                return data
        if start and end:
            if end < start:
                self.add_error("end", "The period must end on or after the day it starts.")
            elif (end - start).days > MAX_YEARS * 366:
                self.add_error("end", f"Choose a period of at most {MAX_YEARS} years.")
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])


def period_form(params) -> PeriodForm:
    """The form for the GET's parameters; with neither date given, the default period."""
    if not params.get("start") and not params.get("end"):
        default = default_period()
        return PeriodForm({"start": default.start.isoformat(), "end": default.end.isoformat()})
    return PeriodForm(params)
