"""muster.kept.recent: an answer worked out at most so long ago, worked out again by one
visitor while the others are given the previous one."""

import datetime

import pytest
from django.utils import timezone

from muster import kept
from muster.kept import WORKING_AT_MOST, recent

FRESH_FOR = datetime.timedelta(minutes=10)


class Work:
    """Answers 1, 2, 3... and counts how often it was asked."""

    def __init__(self):
        self.done = 0

    def __call__(self) -> int:
        self.done += 1
        return self.done


@pytest.fixture
def later(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC), tick=False)

    def move(**delta) -> None:
        time_machine.move_to(timezone.now() + datetime.timedelta(**delta), tick=False)
    return move


def test_an_answer_is_kept_while_fresh_and_says_when_it_was_worked_out(later):
    work = Work()
    first, at = recent("k", work, FRESH_FOR)
    later(minutes=9)
    assert recent("k", work, FRESH_FOR) == (first, at)
    assert work.done == 1
    later(minutes=2)
    answer, at_again = recent("k", work, FRESH_FOR)
    assert (answer, work.done) == (2, 2)
    assert at_again - at == datetime.timedelta(minutes=11)


def test_while_one_visitor_works_it_out_again_the_others_get_the_previous_answer(later):
    work = Work()
    recent("k", work, FRESH_FOR)
    later(minutes=11)
    seen_meanwhile = []

    def slow_work() -> int:
        # Another visitor comes while this one is working: it is not made to work too.
        seen_meanwhile.append(recent("k", work, FRESH_FOR)[0])
        return 100

    assert recent("k", slow_work, FRESH_FOR)[0] == 100
    assert seen_meanwhile == [1]
    assert work.done == 1
    assert recent("k", work, FRESH_FOR)[0] == 100  # and the new answer is kept


def test_with_nothing_kept_yet_a_visitor_works_it_out_rather_than_wait(later):
    work = Work()
    seen_meanwhile = []

    def slow_work() -> int:
        seen_meanwhile.append(recent("k", work, FRESH_FOR)[0])
        return 100

    recent("k", slow_work, FRESH_FOR)
    assert seen_meanwhile == [1]


def test_a_visitor_that_failed_while_working_does_not_keep_the_others_waiting(later):
    work = Work()
    recent("k", work, FRESH_FOR)
    later(minutes=11)

    def failing() -> int:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        recent("k", failing, FRESH_FOR)
    assert recent("k", work, FRESH_FOR)[0] == 2


def test_a_visitor_whose_process_died_while_working_holds_the_work_at_most_a_while(
        later, monkeypatch):
    work = Work()
    recent("k", work, FRESH_FOR)
    later(minutes=11)

    def killed() -> int:  # its process is killed: it never gives its claim on the work back
        monkeypatch.setattr(kept.cache, "delete", lambda key: None)
        raise SystemExit

    with pytest.raises(SystemExit):
        recent("k", killed, FRESH_FOR)
    monkeypatch.undo()
    assert recent("k", work, FRESH_FOR)[0] == 1  # another is (still) working it out
    later(seconds=WORKING_AT_MOST.total_seconds() + 1)
    assert recent("k", work, FRESH_FOR)[0] == 2
