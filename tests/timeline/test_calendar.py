from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from muster.timeline.calendar import (
    add_business_days,
    business_days_between,
    federal_holidays,
    is_business_day,
    next_business_day,
    shift,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
offsets = st.integers(min_value=-400, max_value=400)
positive = st.integers(min_value=1, max_value=400)
years = st.integers(min_value=1990, max_value=2060)
# The first lookup of a year builds its holiday table, which can blow the default deadline.
relaxed = settings(deadline=None)


def brute_force_between(start, end):
    if end < start:
        return -brute_force_between(end, start)
    days = (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
    return sum(is_business_day(d) for d in days)


# --- Observed holidays, by example ------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "weekday"),
    [
        (date(2020, 7, 3), FRI),  # Independence Day (Sat) observed Friday
        (date(2021, 7, 5), MON),  # Independence Day (Sun) observed Monday
        (date(2021, 6, 18), FRI),  # Juneteenth (Sat) observed Friday, its first year
        (date(2022, 6, 20), MON),  # Juneteenth (Sun) observed Monday
        (date(2021, 12, 31), FRI),  # New Year's Day 2022 (Sat) observed in 2021
        (date(2023, 1, 2), MON),  # New Year's Day 2023 (Sun) observed Monday
        (date(2026, 11, 26), THU),  # Thanksgiving
        (date(2026, 1, 19), MON),  # Martin Luther King Jr. Day
        (date(2026, 9, 7), MON),  # Labor Day
    ],
)
def test_observed_holidays_are_not_business_days(day, weekday):
    assert day.weekday() == weekday  # guard against a typo making the test vacuous
    assert not is_business_day(day)
    assert day in federal_holidays(day.year)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 11, 27),  # Friday after Thanksgiving
        date(2026, 12, 24),  # Christmas Eve is not a federal holiday
        date(2021, 1, 20),  # Inauguration Day (a Wednesday) is DC-only
        date(2020, 6, 19),  # Juneteenth only became federal in 2021
        date(2026, 3, 10),  # an ordinary Tuesday
    ],
)
def test_ordinary_weekdays_are_business_days(day):
    assert day.weekday() < SAT
    assert is_business_day(day)


def test_weekends_are_not_business_days():
    assert not is_business_day(date(2026, 3, 7))  # Saturday
    assert not is_business_day(date(2026, 3, 8))  # Sunday


def test_cross_year_new_year_observed_belongs_to_the_year_it_falls_in():
    assert federal_holidays(2021)[date(2021, 12, 31)].startswith("New Year's Day")
    assert date(2021, 12, 31) not in federal_holidays(2022)
    assert not any(d.month == 1 and d.day <= 2 for d in federal_holidays(2022))


def test_weekend_actual_dates_are_dropped_in_favour_of_observed_ones():
    july = {d for d in federal_holidays(2020) if d.month == 7}
    assert july == {date(2020, 7, 3)}


def test_juneteenth_starts_in_2021():
    assert not any("Juneteenth" in name for name in federal_holidays(2020).values())
    assert any("Juneteenth" in name for name in federal_holidays(2021).values())


@pytest.mark.parametrize("year", [2021, 2025, 2029])
def test_inauguration_day_is_not_a_federal_holiday(year):
    assert not any("Inauguration" in name for name in federal_holidays(year).values())


def test_federal_holidays_2026_exactly():
    assert sorted(federal_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),  # July 4 2026 is a Saturday
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),
        date(2026, 12, 25),
    ]


def test_federal_holidays_returns_a_copy():
    federal_holidays(2026).clear()
    assert len(federal_holidays(2026)) == 11
    assert not is_business_day(date(2026, 12, 25))


# --- Arithmetic, by example -------------------------------------------------------------


def test_span_across_christmas_and_new_year():
    start = date(2026, 12, 23)  # Wednesday
    # Thu 24 (1), Fri 25 holiday, weekend, Mon 28 (2), Tue 29 (3)
    assert add_business_days(start, 3) == date(2026, 12, 29)
    # Wed 30 (4), Thu 31 (5), Fri Jan 1 holiday, weekend, Mon Jan 4 (6)
    assert add_business_days(start, 6) == date(2027, 1, 4)
    assert business_days_between(start, date(2027, 1, 4)) == 6


def test_long_weekend_labor_day():
    assert add_business_days(date(2026, 9, 4), 1) == date(2026, 9, 8)  # Fri -> Tue


def test_start_day_is_never_counted():
    assert add_business_days(date(2026, 3, 10), 1) == date(2026, 3, 11)  # Tue -> Wed
    assert add_business_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # Sat -> Mon
    assert add_business_days(date(2026, 3, 7), 2) == date(2026, 3, 10)


def test_negative_offsets():
    assert add_business_days(date(2020, 7, 6), -1) == date(2020, 7, 2)  # skips observed Jul 3
    assert add_business_days(date(2023, 1, 3), -1) == date(2022, 12, 30)  # skips Jan 2
    assert add_business_days(date(2027, 1, 4), -6) == date(2026, 12, 23)
    assert add_business_days(date(2026, 3, 8), -1) == date(2026, 3, 6)  # Sun -> Fri


def test_zero_offset_rolls_forward():
    assert add_business_days(date(2026, 3, 7), 0) == date(2026, 3, 9)  # Sat -> Mon
    assert add_business_days(date(2026, 1, 17), 0) == date(2026, 1, 20)  # Sat -> Tue (MLK)
    assert add_business_days(date(2026, 3, 10), 0) == date(2026, 3, 10)


def test_next_business_day():
    assert next_business_day(date(2020, 7, 3)) == date(2020, 7, 6)
    assert next_business_day(date(2021, 12, 31)) == date(2022, 1, 3)
    assert next_business_day(date(2026, 11, 27)) == date(2026, 11, 27)


def test_business_days_between_examples():
    assert business_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1  # Fri -> Mon
    assert business_days_between(date(2026, 3, 9), date(2026, 3, 6)) == -1
    # 2026 has 261 weekdays and 11 observed holidays; both Jan 1 endpoints are holidays.
    assert business_days_between(date(2026, 1, 1), date(2027, 1, 1)) == 261 - 11
    assert business_days_between(date(2026, 9, 4), date(2026, 9, 8)) == 1


def test_large_offsets():
    start = date(2026, 1, 2)
    end = add_business_days(start, 500)
    assert business_days_between(start, end) == 500
    assert add_business_days(end, -500) == start  # start is a business day
    assert add_business_days(date(2026, 1, 1), 250) == date(2026, 12, 31)  # all of 2026


def test_shift():
    day = date(2026, 9, 4)
    assert shift(day, 1, "calendar") == date(2026, 9, 5)
    assert shift(day, -5, "calendar") == date(2026, 8, 30)
    assert shift(day, 1, "business") == date(2026, 9, 8)
    assert shift(day, -1, "business") == date(2026, 9, 3)
    with pytest.raises(ValueError, match="unit"):
        shift(day, 1, "weeks")


# --- Properties ---------------------------------------------------------------------------


@relaxed
@given(dates, offsets.filter(bool))
def test_result_is_a_business_day_on_the_right_side(day, n):
    result = add_business_days(day, n)
    assert is_business_day(result)
    assert (result > day) if n > 0 else (result < day)


@relaxed
@given(dates, positive)
def test_between_inverts_add(day, n):
    assert business_days_between(day, add_business_days(day, n)) == n


@relaxed
@given(dates.map(next_business_day), offsets)
def test_between_inverts_add_both_directions_from_a_business_day(day, n):
    assert business_days_between(day, add_business_days(day, n)) == n
    assert add_business_days(add_business_days(day, n), -n) == day


@relaxed
@given(dates, offsets, offsets)
def test_add_is_monotonic_in_n(day, a, b):
    a, b = sorted((a, b))
    lo, hi = add_business_days(day, a), add_business_days(day, b)
    assert lo <= hi
    if a != b and a != 0 and b != 0:
        assert lo < hi


@relaxed
@given(dates.map(next_business_day), positive, positive)
def test_composition(day, a, b):
    assert add_business_days(add_business_days(day, a), b) == add_business_days(day, a + b)


@relaxed
@given(dates, st.integers(min_value=-800, max_value=800))
def test_between_matches_brute_force(start, span):
    end = start + timedelta(days=span)
    assert business_days_between(start, end) == brute_force_between(start, end)


@relaxed
@given(dates)
def test_next_business_day_skips_only_non_business_days(day):
    result = next_business_day(day)
    assert result >= day
    assert is_business_day(result)
    assert not any(is_business_day(day + timedelta(days=i)) for i in range((result - day).days))


@relaxed
@given(years)
def test_observed_holidays_are_weekdays_in_their_year(year):
    observed = federal_holidays(year)
    assert observed
    for day in observed:
        assert day.year == year
        assert day.weekday() < SAT
        assert not is_business_day(day)


@relaxed
@given(years)
def test_holiday_count_per_year(year):
    # 10 federal holidays until Juneteenth (2021), 11 after. New Year's Day on a Saturday is
    # observed on Dec 31 of the previous year, moving one holiday across the year boundary.
    base = 11 if year >= 2021 else 10
    expected = base - (date(year, 1, 1).weekday() == SAT) + (date(year + 1, 1, 1).weekday() == SAT)
    count = len(federal_holidays(year))
    assert count == expected
    if year >= 2021:
        assert 10 <= count <= 12
