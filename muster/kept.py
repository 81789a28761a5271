"""An answer that is costly to work out and may be a few minutes old (the metrics page's
figures), kept in the shared cache.

When it is older than it may be, one visitor works it out again while the others are
given the previous answer, rather than every visitor of those seconds working it out at
once (which held each of them for seconds under load). The claim on the work is an
atomic add in the shared cache: with Redis one process at a time works it out; the
database cache can let two through.
"""

import datetime
from collections.abc import Callable

from django.core.cache import cache

from muster import clock

# A visitor whose process is killed while working never gives its claim back: after this,
# another may work the answer out.
WORKING_AT_MOST = datetime.timedelta(minutes=5)
# A previous answer is given while another is worked out, up to this old.
KEPT_AT_MOST = datetime.timedelta(days=1)


def recent[T](key: str, work_out: Callable[[], T], fresh_for: datetime.timedelta
           ) -> tuple[T, datetime.datetime]:
    """What work_out() answered, and when: at most `fresh_for` ago, unless another visitor
    is working it out again right now (then the previous answer)."""
    kept = cache.get(key)
    if kept is not None and clock.now() - kept[1] < fresh_for:
        return kept
    claim = f"{key}:working"
    if not cache.add(claim, True, WORKING_AT_MOST.total_seconds()):
        if kept is not None:
            return kept
        # Nothing kept yet (the first visitor of the day): work it out rather than wait.
        return work_out(), clock.now()
    try:
        kept = (work_out(), clock.now())
        cache.set(key, kept, KEPT_AT_MOST.total_seconds())
    finally:
        cache.delete(claim)
    return kept
