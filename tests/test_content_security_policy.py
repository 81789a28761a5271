"""Every page carries the Content Security Policy (in every environment, so the browser
tests run under production's policy): Muster's own scripts, styles and images only,
nothing inline, no framing. tests/e2e fails any page the browser finds breaking it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from muster.security import allowing_its_own_styles, content_security_policy

from .factories import UserFactory, signed_in

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [*ROOT.glob("muster/**/templates/**/*.html")]
# Not browser pages of Muster's own: documents rendered only for WeasyPrint (the welcome
# package's print view allows its styles by their hashes, test_package.py; the evidence
# report and a campaign's report are never served as HTML).
PDF_DOCUMENTS = {ROOT / "muster" / path for path in (
    "onboarding/templates/onboarding/welcome_package_document.html",
    "evidence/templates/evidence/report.html",
    "recertification/templates/recertification/report.html",
)}


def directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.django_db
def test_a_signed_out_page_has_the_policy(client):
    response = client.get(reverse("account_login"))

    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce: the page has nothing inline
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_a_signed_in_page_and_an_error_page_have_it_too(client):
    signed_in(client, UserFactory())

    assert "default-src 'self'" in client.get(reverse("home"))["Content-Security-Policy"]
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "default-src 'self'" in missing["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_admin_gets_a_nonce_for_its_own_inline_style(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    signed_in(client, admin)

    response = client.get(reverse("admin:accounts_user_changelist"))

    script_src = directives(response["Content-Security-Policy"])["script-src"]
    nonce = next(v for v in script_src if v.startswith("'nonce-"))[len("'nonce-"):-1]
    assert f'nonce="{nonce}"' in response.content.decode()


def test_single_sign_on_may_hand_the_form_over_to_the_agency_provider():
    policy = content_security_policy("https://login.agency.example.gov/realms/muster/")

    assert policy["form-action"] == ["'self'", "https://login.agency.example.gov"]


def test_the_policy_follows_the_issuer_from_the_environment():
    env = {**os.environ, "OIDC_ISSUER_URL": "https://idp.example.gov:8443/oidc",
           "DJANGO_SETTINGS_MODULE": "muster.settings"}
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(' '.join(settings.SECURE_CSP['form-action']))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert run.stdout.strip() == "'self' https://idp.example.gov:8443", run.stderr


def test_a_stored_document_may_use_only_its_own_style_elements():
    html = "<html><head><style>\nbody { margin: 0; }\n</style></head><body></body></html>"

    policy = allowing_its_own_styles(content_security_policy(), html)

    # sha256 of "\nbody { margin: 0; }\n", as a browser hashes the element's text.
    assert policy["style-src"][-1] == "'sha256-BeV07h7Or3rliDJdB74kikp/Q+Xuz7ktQCSkE5C72Vk='"
    assert content_security_policy()["style-src"] == policy["style-src"][:-1]


@pytest.mark.parametrize(
    "path", [p for p in TEMPLATES if p not in PDF_DOCUMENTS], ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_template_has_inline_script_or_style(path):
    import re

    html = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html, "a <style> element"
    assert not re.search(r"\sstyle=", html), "a style attribute"
    assert not re.search(r"\son[a-z]+=", html), "an event handler attribute"
    assert "hx-on" not in html and "javascript:" not in html
