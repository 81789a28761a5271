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


def test_the_words_follow_the_language_active():
    """The names are the translation's, as the filter's: each language its own."""
    with translation.override("fr"):
        value = datetime.date(2026, 12, 1)
        assert datewords.current().weekday(value) == date_format(value, "D, M j, Y")
        assert datewords.current().weekday(value) != "Tue, Dec 1, 2026"
