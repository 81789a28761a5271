"""muster/datewords.py writes every date as Django's date filter does."""

import datetime

from django.utils import translation
from django.utils.dateformat import format as date_format

from muster import datewords


def test_every_day_of_a_leap_year_and_a_year_before_1000_read_as_the_filter_writes_them():
    days = [datetime.date(2028, 1, 1) + datetime.timedelta(days=n) for n in range(366)]
    days.append(datetime.date(999, 3, 7))
    words = datewords.current()
    for value in days:
        assert words.day(value) == date_format(value, "M j, Y")
        assert words.weekday(value) == date_format(value, "D, M j, Y")
        assert words.full_day(value) == date_format(value, "F j, Y")
        assert words.full_weekday(value) == date_format(value, "l, F j, Y")


def test_the_words_follow_the_language_active():
    """The names are the translation's, as the filter's: each language its own."""
    with translation.override("fr"):
        value = datetime.date(2026, 12, 1)
        assert datewords.current().weekday(value) == date_format(value, "D, M j, Y")
        assert datewords.current().weekday(value) != "Tue, Dec 1, 2026"
        assert datewords.current().full_weekday(value) == date_format(value, "l, F j, Y")
        assert datewords.current().full_weekday(value) != "Tuesday, December 1, 2026"


def test_the_filters_write_what_the_date_filter_writes_for_dates_instants_and_nothing():
    """{{ x|full_date }}, {{ x|full_weekday_date }} and {{ x|short_date }} as
    {{ x|date:"F j, Y" }}, {{ x|date:"l, F j, Y" }} and {{ x|date:"M j, Y" }}: an instant
    in the current time zone (a minute before midnight in New York is the next day in
    UTC), nothing for None, "" or what is not a date."""
    import zoneinfo

    from django.template import Context, Template
    from django.utils import timezone

    late = datetime.datetime(2026, 12, 1, 23, 59, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    shown = Template('{% load muster_tags %}[{{ x|full_date }}|{{ x|date:"F j, Y" }}]'
                     '[{{ x|full_weekday_date }}|{{ x|date:"l, F j, Y" }}]'
                     '[{{ x|short_date }}|{{ x|date:"M j, Y" }}]')
    for value in (datetime.date(2026, 12, 1), late, late.astimezone(datetime.UTC), None, "",
                  "2026-12-01", 20261201):
        with timezone.override("America/New_York"):
            text = shown.render(Context({"x": value}))
        for pair in text[1:-1].split("]["):
            ours, djangos = pair.split("|")
            assert ours == djangos, text
