"""Calls are limited per token (settings.API_RATE_LIMIT, counted in the shared cache): the
call past the limit is a 429 problem with Retry-After; another token of the same person
is not slowed down; once the window has passed the token answers again."""

import datetime
import threading
import time

import pytest
import time_machine
from django.test import RequestFactory

from muster import clock
from muster.api.api import api
from muster.api.auth import PerToken
from tests.api.conftest import api_client, token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


@pytest.fixture
def three_a_minute(settings):
    settings.API_RATE_LIMIT = "3/min"


@pytest.fixture
def frozen():
    with time_machine.travel(clock.now(), tick=False) as traveller:
        yield traveller


def test_the_call_past_the_limit_is_a_429_problem_with_retry_after(three_a_minute, frozen):
    client = api_client(token_for(UserFactory()))

    answers = [client.get(ME) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == "60"
    problem = refused.json()
    assert problem["status"] == 429
    assert problem["title"] == "Too many requests"
    assert problem["detail"] == "Too many calls with this token: try again in 60 s."


def test_retry_after_counts_down_to_the_first_call_leaving_the_window(three_a_minute,
                                                                       frozen):
    client = api_client(token_for(UserFactory()))
    for _ in range(3):
        client.get(ME)
        frozen.shift(10)

    refused = client.get(ME)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"  # the first call was 30 s ago


def test_another_token_of_the_same_person_is_not_affected(three_a_minute, frozen):
    person = UserFactory()
    busy, other = api_client(token_for(person)), api_client(token_for(person))
    for _ in range(3):
        busy.get(ME)

    assert busy.get(ME).status_code == 429
    assert other.get(ME).status_code == 200


def test_the_token_answers_again_once_the_window_has_passed(three_a_minute, frozen):
    client = api_client(token_for(UserFactory()))
    for _ in range(3):
        client.get(ME)
    assert client.get(ME).status_code == 429

    frozen.shift(datetime.timedelta(seconds=59))
    assert client.get(ME).status_code == 429
    frozen.shift(datetime.timedelta(seconds=2))
    assert client.get(ME).status_code == 200


def test_refused_calls_do_not_extend_the_wait(three_a_minute, frozen):
    """Calls refused with 429 are not counted: a client that retries too early is not
    pushed further back."""
    client = api_client(token_for(UserFactory()))
    for _ in range(3):
        client.get(ME)
    for _ in range(5):
        frozen.shift(10)
        assert client.get(ME).status_code == 429

    frozen.shift(11)
    assert client.get(ME).status_code == 200


def test_a_call_without_a_usable_token_is_a_401_not_a_count(three_a_minute, frozen):
    client = api_client("mst_000000000000_not-a-token")

    assert {client.get(ME).status_code for _ in range(5)} == {401}


def test_two_calls_at_once_each_get_their_own_retry_after(three_a_minute, frozen):
    """The API has one throttle object, shared by the threads of a process. ninja's
    SimpleRateThrottle keeps the call it is checking on the object (key, history, now):
    a second token's call between one call's check and its Retry-After would hand the
    first the second's numbers. PerToken keeps them per call."""
    person = UserFactory()
    full, fresh = token_for(person), token_for(person)
    for _ in range(3):
        api_client(full).get(ME)
    throttle = next(t for t in api.throttle if isinstance(t, PerToken))
    checked, other_done = threading.Event(), threading.Event()
    results = {}

    def request_with(raw):
        from muster.api import tokens

        request = RequestFactory().get(ME)
        request.auth = tokens.find(raw)
        return request

    full_request, fresh_request = request_with(full), request_with(fresh)

    def first():
        results["allowed"] = throttle.allow_request(full_request)
        checked.set()
        other_done.wait(5)
        results["wait"] = throttle.wait()

    def second():
        checked.wait(5)
        results["other_allowed"] = throttle.allow_request(fresh_request)
        other_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results["allowed"] is False and results["other_allowed"] is True
    assert results["wait"] == 60


class SlowToWriteBack:
    """The shared cache, with the time between reading a count and writing it back
    widened (as a busy network would), so calls that do not take turns overlap surely."""

    def __init__(self, cache):
        self.cache = cache

    def get(self, *args, **kwargs):
        value = self.cache.get(*args, **kwargs)
        time.sleep(0.05)
        return value

    def set(self, *args, **kwargs):
        return self.cache.set(*args, **kwargs)


@pytest.mark.xfail(strict=True, reason="known: the count is read and written back, not "
                   "changed atomically; a burst on one token in parallel passes the limit")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_burst_of_parallel_calls_passes_no_more_than_the_limit(settings, monkeypatch):
    """Calls at the same moment on separate connections (as on separate instances) each
    read the count before any writes it back, unless they take turns: with 12 at once and
    a limit of 3, exactly 3 pass."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("parallel connections on one token: SQLite writes one at a time")
    settings.API_RATE_LIMIT = "3/min"
    monkeypatch.setattr(PerToken, "cache", SlowToWriteBack(PerToken.cache))
    raw = token_for(UserFactory())
    throttle = next(t for t in api.throttle if isinstance(t, PerToken))
    start = threading.Barrier(12)
    passed = []

    def call():
        from muster.api import tokens

        request = RequestFactory().get(ME)
        request.auth = tokens.find(raw)
        start.wait(10)
        try:
            passed.append(throttle.allow_request(request))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert passed.count(True) == 3 and len(passed) == 12
