"""What `make run` serves, run as `make run` runs it: `manage.py migrate`, `load_demo` and
`runserver $HOST` in their own processes, with the environment a newcomer has (no DEBUG,
no MUSTER_BASE_URL) and HOST set to another port, as `HOST=127.0.0.1:PORT make run` does.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _get(url: str, **headers) -> tuple[int, dict, str]:
    try:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A fresh database with the demo, served by runserver on HOST, as `make run` does."""
    folder = tmp_path_factory.mktemp("make-run")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "MUSTER_BASE_URL", "ALLOWED_HOSTS", "MUSTER_ENV"}}
    env |= {
        "HOST": f"127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MUSTER_VAR_DIR": str(folder / "var"),
        "MEDIA_ROOT": str(folder / "var" / "media"),
    }
    _manage(env, "migrate", "--no-input")
    banner = _manage(env, "load_demo")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", env["HOST"], "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _get(f"{base}/accounts/login/")
                break
            except OSError:
                time.sleep(0.1)
        yield {"env": env, "base": base, "banner": banner, "var": folder / "var"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_unknown_address_shows_musters_page_not_the_url_patterns(served):
    status, _, html = _get(f"{served['base']}/no-such-page/")

    assert status == 404
    assert "Page not found" in html
    assert "Go to your home page" in html
    assert "URLconf" not in html
    assert "admin/" not in html


def test_a_host_not_allowed_gets_musters_bad_request_page(served):
    status, _, html = _get(f"{served['base']}/", Host="muster.elsewhere.example")

    assert status == 400
    assert "Bad request" in html
    assert "DisallowedHost" not in html and "ALLOWED_HOSTS" not in html


def test_static_files_are_served_with_debug_off(served):
    status, headers, css = _get(f"{served['base']}/static/uswds/css/uswds.min.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert ".usa-button" in css

    # And the page that asks for them names them where they are served.
    _, _, page = _get(f"{served['base']}/accounts/login/")
    assert 'href="/static/uswds/css/uswds.min.css"' in page
    assert _get(f"{served['base']}/static/muster.css")[0] == 200


def test_the_banner_and_email_links_follow_host(served):
    base = served["base"]
    assert f"Muster: {base}/" in served["banner"]
    assert "127.0.0.1:8000" not in served["banner"]

    _manage(served["env"], "deliver_outbox")
    mail = "".join(p.read_text() for p in (served["var"] / "outbox").iterdir())
    assert f"{base}/onboarding/" in mail
    assert "127.0.0.1:8000" not in mail


def test_muster_base_url_wins_over_host(served):
    env = served["env"] | {"MUSTER_BASE_URL": "https://muster.agency.example.gov"}
    banner = _manage(env, "load_demo")  # already loaded: prints the sign-ins and address
    assert "Muster: https://muster.agency.example.gov/" in banner
