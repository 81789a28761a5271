"""A second-factor code works once across every process that serves Muster, not once per
process: two gunicorn instances on one database, the person signing in through one and an
attacker who saw the code replaying it through the other within its 30 seconds."""

import re
import time

import pytest
import requests
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.factories import PASSWORD, UserFactory
from tests.identity.totp import totp

from .servers import Gunicorn

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the servers must reach the test's database: PostgreSQL only "
        "(DATABASE_URL=postgres://...)",
    ),
    # Committed, for the servers to see; the catalog and content types come back from the
    # serialized copy after the flush, as the other tests that commit have them.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def two_instances(tmp_path):
    database = connection.settings_dict
    env = {"DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
                           f"{database['PORT']}/{database['NAME']}",
           "MUSTER_VAR_DIR": str(tmp_path)}
    first = Gunicorn(env, tmp_path / "a.log")
    try:
        second = Gunicorn(env, tmp_path / "b.log")
    except BaseException:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def form_token(session, url) -> str:
    page = session.get(url, timeout=30)
    return CSRF.search(page.text).group(1)


def sign_in_with_code(port: int, email: str, code: str) -> requests.Response:
    """Password, then the code, on one instance; the answer to the code."""
    base = f"http://127.0.0.1:{port}"
    with requests.Session() as session:
        session.post(f"{base}/accounts/login/", timeout=30, allow_redirects=False, data={
            "login": email, "password": PASSWORD,
            "csrfmiddlewaretoken": form_token(session, f"{base}/accounts/login/")})
        step = f"{base}/accounts/2fa/authenticate/"
        return session.post(step, timeout=30, allow_redirects=False, data={
            "code": code, "csrfmiddlewaretoken": form_token(session, step)})


def test_a_code_used_on_one_instance_is_refused_on_the_other(two_instances):
    first, second = two_instances
    person = UserFactory()
    # The servers know the production hashers, not the tests' fast one.
    person.password = PBKDF2PasswordHasher().encode(PASSWORD, "sharedcachesalt")
    person.save(update_fields=["password"])
    TOTP.activate(person, SECRET)
    if 30 - time.time() % 30 < 15:  # both sign-ins within one 30-second step
        time.sleep(30 - time.time() % 30 + 0.5)
    code = totp(SECRET)

    signed_in = sign_in_with_code(first.port, person.email, code)
    replayed = sign_in_with_code(second.port, person.email, code)

    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    assert replayed.status_code == 200, "the other instance took the used code"
    assert "That code is not right" in replayed.text
