"""U.S. federal business-day calendar (pure Python, no Django).

Business days are Monday-Friday that are not observed U.S. federal holidays.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

# Only the DC area gets Inauguration Day off. The package lists it only for subdiv="DC",
# not in the nationwide default; this guards against that default ever changing.
_EXCLUDED = frozenset({"Inauguration Day"})


@lru_cache(maxsize=256)  # a few dozen years in practice; bounded all the same
def _observed(year: int) -> dict[date, str]:
    # Ask for the neighbouring years too: an observed date can cross a year boundary
    # (New Year's Day 2022, a Saturday, was observed Friday 2021-12-31), and we must not
    # depend on which year the package files such a date under.
    raw = holidays.country_holidays("US", years=(year - 1, year, year + 1), observed=True)
    result = {}
    for day, name in raw.items():
        # The package lists both the actual date and the "(observed)" one; a weekend
        # actual date is not a day off, its weekday substitute is.
        if day.year != year or day.weekday() >= 5:
            continue
        # Coinciding holidays are merged into one "A; B" name.
        kept = [part for part in name.split("; ") if part not in _EXCLUDED]
        if kept:
            result[day] = "; ".join(kept)
    return result


def federal_holidays(year: int) -> dict[date, str]:
    """Observed federal holidays whose observed date falls in `year`, mapped to names."""
    return dict(_observed(year))  # copy: callers must not mutate the cache


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _observed(day.year)


def next_business_day(day: date) -> date:
    """`day` itself if it is a business day, else the next one."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


# Pages ask the same few dates again and again (each row's due date and age against
# today): each answer is worked out once per process. Pure, so bounded caches suffice.
@lru_cache(maxsize=8192)
def add_business_days(day: date, n: int) -> date:
    """The n-th business day after (n > 0) or before (n < 0) `day`; n == 0 rolls forward."""
    if n == 0:
        return next_business_day(day)
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    # Linear in n (about 1.4 calendar days per business day); lookups hit the cache.
    while remaining:
        day += step
        if is_business_day(day):
            remaining -= 1
    return day


def _weekdays_up_to(day: date) -> int:
    # Weekdays in [0001-01-01, day]; ordinal 1 is a Monday, so weeks line up with ordinals.
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@lru_cache(maxsize=8192)
def business_days_between(start: date, end: date) -> int:
    """Business days d with start < d <= end; negated (with the bounds swapped) if end < start."""
    if end < start:
        return -business_days_between(end, start)
    # Closed form for weekdays, then subtract holidays (always weekdays) per year: O(years).
    holidays_in_span = sum(
        start < d <= end for y in range(start.year, end.year + 1) for d in _observed(y)
    )
    return _weekdays_up_to(end) - _weekdays_up_to(start) - holidays_in_span


def shift(day: date, offset: int, unit: str) -> date:
    """Move `day` by `offset` calendar days or business days."""
    if unit == "calendar":
        return day + timedelta(days=offset)
    if unit == "business":
        return add_business_days(day, offset)
    raise ValueError(f"unknown unit {unit!r}; expected 'calendar' or 'business'")
