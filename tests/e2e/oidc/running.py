"""Start the real OpenID provider (provider.mjs, npm's `oidc-provider`) for a test, and walk
its sign-in and consent pages without a browser.

Used by the single sign-on tests in the browser (tests/e2e/test_sso.py) and without one
(tests/identity/test_sso*.py). Nothing here is mocked: Muster's client talks HTTP to the
node process, which signs real ID tokens.
"""

import json
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "muster-tests"
CLIENT_SECRET = "muster-tests-secret-not-for-production"
PROVIDER_ID = "agency"
BUTTON_LABEL = "Sign in with your agency account"
CALLBACK_PATH = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"
LOGIN_PATH = f"/accounts/oidc/{PROVIDER_ID}/login/"
# The provider's people: a named one (her address in another case than Muster's), one Muster
# never named, one whose email the provider has not verified, one whose account is gone.
ACCOUNTS = {
    "sam": {"email": "Sam.Okafor@Example.GOV", "email_verified": True, "name": "Sam Okafor"},
    "stranger": {"email": "stranger@example.gov", "email_verified": True},
    "unchecked": {"email": "pat.unverified@example.gov", "email_verified": False},
    "gone": {"email": "gone@example.gov", "email_verified": True},
}


def node_unavailable() -> str | None:
    if shutil.which("node") is None:
        return "single sign-on tests need node on the PATH (the OpenID provider is npm's)"
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        return "single sign-on tests need node_modules: `make install` (npm ci)"
    return None


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen

    def socialaccount_providers(self) -> dict:
        """SOCIALACCOUNT_PROVIDERS pointing Muster at this provider (as settings.py builds it
        from OIDC_* environment variables)."""
        from django.conf import settings

        base = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]
        return {"openid_connect": {**base, "APPS": [{
            "provider_id": PROVIDER_ID, "name": BUTTON_LABEL, "client_id": CLIENT_ID,
            "secret": CLIENT_SECRET, "settings": {"server_url": self.issuer},
        }]}}


@contextmanager
def running_provider(redirect_uris: list[str], accounts: dict[str, dict]):
    """The provider on 127.0.0.1 (a free port), answering once its discovery document does."""
    config = {"port": 0, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uris": redirect_uris, "accounts": accounts}
    process = subprocess.Popen(
        ["node", str(SCRIPT)], cwd=ROOT, env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        issuer = _wait_for_issuer(process)
        discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
        discovery.raise_for_status()
        yield RunningProvider(issuer=issuer, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_issuer(process: subprocess.Popen, timeout: float = 15) -> str:
    found: list[str] = []

    def read():
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("listening "):
                found.append(line.split(" ", 1)[1].strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        process.kill()
        raise RuntimeError("the OpenID provider (tests/e2e/oidc/provider.mjs) did not start")
    return found[0]


def sign_in_at_provider(authorize_url: str, sub: str, *, until: str = CALLBACK_PATH) -> str:
    """What a person does at the provider, without a browser: open the authorization URL,
    sign in as `sub` (any password), consent. Returns the URL the provider sends the browser
    back to (Muster's callback, with code and state), without opening it."""
    session = requests.Session()
    url = authorize_url
    for _ in range(12):
        if urlsplit(url).path == until:
            return url
        response = session.get(url, allow_redirects=False, timeout=5)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            continue
        response.raise_for_status()
        action = _form_action(response.text)
        prompt = "login" if 'name="login"' in response.text else "consent"
        data = {"prompt": prompt, "login": sub, "password": "any"} if prompt == "login" else {
            "prompt": "consent"}
        response = session.post(urljoin(url, action), data=data, allow_redirects=False,
                                timeout=5)
        assert response.is_redirect, response.text[:500]
        url = urljoin(url, response.headers["Location"])
    raise AssertionError(f"the provider never sent the browser back: {url}")


def _form_action(html: str) -> str:
    marker = 'action="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)].replace("&#x2F;", "/").replace("&amp;", "&")


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
