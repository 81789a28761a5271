"""The Muster-Signature header, and the `verify` receivers copy: the exact body, with the
endpoint's secret, at a recent time; anything else fails. And which addresses Muster
sends to."""

import hashlib
import hmac
import os
import subprocess
import time
from pathlib import Path

import pytest

from muster.webhooks.addresses import url_problem
from muster.webhooks.models import new_secret
from muster.webhooks.signing import header, verify

SECRET = "whsec_test-secret"
BODY = b'{"id":"5b1f","type":"grant.revoked"}'


def test_the_header_is_a_timestamp_and_a_hex_hmac_of_timestamp_dot_body():
    value = header(SECRET, 1_764_000_000, BODY)

    expected = hmac.new(SECRET.encode(), b"1764000000." + BODY, hashlib.sha256).hexdigest()
    assert value == f"t=1764000000,v1={expected}"


def test_a_fresh_signature_verifies():
    assert verify(SECRET, header(SECRET, int(time.time()), BODY), BODY)


@pytest.mark.parametrize("tampered", [
    BODY.replace(b"revoked", b"active"),
    BODY + b" ",
    b"",
])
def test_a_tampered_body_fails(tampered):
    assert not verify(SECRET, header(SECRET, int(time.time()), BODY), tampered)


def test_another_secret_fails():
    assert not verify("whsec_other", header(SECRET, int(time.time()), BODY), BODY)


def test_an_old_timestamp_fails_even_when_correctly_signed():
    now = int(time.time())
    assert verify(SECRET, header(SECRET, now - 299, BODY), BODY)
    assert not verify(SECRET, header(SECRET, now - 301, BODY), BODY)
    assert not verify(SECRET, header(SECRET, now + 301, BODY), BODY)  # nor from the future
    assert verify(SECRET, header(SECRET, now - 3600, BODY), BODY, tolerance=7200)


@pytest.mark.parametrize("value", [
    "", "t=,v1=", "v1=abc", "t=1764000000", "garbage", "t=abc,v1=00",
])
def test_a_malformed_header_fails(value):
    assert not verify(SECRET, value, BODY)


def test_a_header_with_a_signature_for_another_time_fails():
    now = int(time.time())
    forged = header(SECRET, now - 1000, BODY).split(",")[1]
    assert not verify(SECRET, f"t={now},{forged}", BODY)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def docs_block(language: str) -> str:
    """The first code block in `language` of docs/api.md's Webhooks section."""
    section = DOCS.read_text().split("## Webhooks", 1)[1]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_verify_receivers_copy_from_the_docs_works():
    namespace: dict = {}
    exec(docs_block("python"), namespace)  # noqa: S102 (our own docs' example)
    documented = namespace["verify"]
    now = int(time.time())

    assert documented(SECRET, header(SECRET, now, BODY), BODY)
    assert not documented(SECRET, header(SECRET, now, BODY), BODY + b" ")
    assert not documented(SECRET, header(SECRET, now - 301, BODY), BODY)
    assert not documented("whsec_other", header(SECRET, now, BODY), BODY)
    assert not documented(SECRET, "garbage", BODY)


def test_the_shell_example_in_the_docs_computes_the_same_signature(tmp_path):
    """docs/api.md shows openssl for receivers without Python: it must agree."""
    (tmp_path / "body.json").write_bytes(BODY)
    t = 1_764_000_000
    out = subprocess.run(["sh", "-c", docs_block("sh")], capture_output=True, text=True,
                         check=True, cwd=tmp_path,
                         env={**os.environ, "t": str(t), "MUSTER_WEBHOOK_SECRET": SECRET})
    assert f"t={t},v1={out.stdout.strip()}" == header(SECRET, t, BODY)


def test_secrets_are_long_random_and_recognizable():
    one, two = new_secret(), new_secret()
    assert one != two and one.startswith("whsec_") and len(one) >= 40


@pytest.mark.parametrize(("url", "problem"), [
    ("https://hooks.example.org/muster", None),
    ("http://127.0.0.1:8080/hooks", None),
    ("ftp://hooks.example.org/", "Use an http:// or https:// address."),
    ("file:///etc/passwd", "Use an http:// or https:// address."),
    ("javascript:alert(1)", "Use an http:// or https:// address."),
    ("https://", "Use an http:// or https:// address."),
    ("https://user:pw@hooks.example.org/", "Leave the user name and password out"),
    ("https://hooks.example.org:99999/", "Enter a valid URL."),
    ("https://hooks.example.org/" + "a" * 500, "Use at most 500 characters."),
])
def test_which_addresses_muster_sends_to(url, problem, settings):
    settings.PRODUCTION = False
    found = url_problem(url)
    assert (found is None) if problem is None else (found or "").startswith(problem)


def test_production_sends_over_https_only(settings):
    settings.PRODUCTION = True
    assert url_problem("https://hooks.example.org/") is None
    assert "https://" in (url_problem("http://hooks.example.org/") or "")
