"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's
live server, with axe-core (bundled by axe-playwright-python) scanning the pages.

Without /usr/bin/chromium every test here skips, saying how to enable them. Never run
`playwright install`: it cannot download browsers on this machine, and Debian's build is
the one CI uses.
"""

import os
from pathlib import Path

import pytest

from ..factories import PASSWORD  # every factory user's password

# Playwright's sync API leaves an event loop running in the main thread; Django then
# refuses database work from it (SynchronousOnlyOperation) in this test and every later
# one. The tests are synchronous code, so tell Django so.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("MUSTER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_ENABLE = (
    f"browser tests need Debian's Chromium at {CHROMIUM}: install it with "
    "`sudo apt-get install -y chromium` (or set MUSTER_CHROMIUM to a Chromium binary); "
    "never `playwright install`"
)
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return HOW_TO_ENABLE
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        return (
            "browser tests need the dev dependencies: `uv sync` (playwright, axe-playwright-python)"
        )
    return None


@pytest.fixture
def browser():
    """Chromium for one test, started after the test database is ready and stopped before
    it is flushed. Function-scoped on purpose: while Playwright's event loop runs in this
    thread, asgiref's Local hands Django a different connection object, one without the
    serialized copy that `serialized_rollback` restores, so a browser left running would
    leave every later transactional test (here or in other folders) an empty catalog."""
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Plain launch: Playwright gives Chromium a fresh, temporary user-data dir of its own.
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception:
        manager.stop()
        raise
    yield browser
    browser.close()
    # Close the connections Django opened in Playwright's context (see above), or they
    # stay open to the end of the run (PostgreSQL then cannot drop the test database).
    from django.db import connections

    connections.close_all()
    manager.stop()


@pytest.fixture(autouse=True)
def _e2e_needs_chromium(request):
    """Skip before the database and live server are set up when there is no browser."""
    reason = _unavailable()
    if reason:
        pytest.skip(reason)


class Axe:
    """Scan pages with axe-core; collect every WCAG 2.2 A/AA violation across a walk.

    axe-core comes from axe-playwright-python; Browsing adds it to every page as an init
    script (parsed once per page load, never sent again), so a scan only runs it."""

    OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe as AxeRunner

        self.script = AxeRunner().axe_script
        self.violations: list[str] = []
        self.scanned: list[str] = []

    def scan(self, page, label: str) -> None:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(self.script)
        violations = page.evaluate("options => axe.run(document, options)", self.OPTIONS)[
            "violations"
        ]
        self.scanned.append(label)
        for rule in violations:
            for node in rule["nodes"]:
                self.violations.append(
                    f"[{rule['id']}] on {label} ({page.url}): {rule['help']}\n"
                    f"    target: {' '.join(map(str, node['target']))}\n"
                    f"    {node.get('failureSummary', '').replace(chr(10), ' ')}\n"
                    f"    html: {node['html'][:200]}"
                )

    def assert_clean(self) -> None:
        assert not self.violations, (
            f"{len(self.violations)} WCAG 2.2 A/AA violation(s) on {len(self.scanned)} "
            "scanned pages:\n" + "\n".join(self.violations)
        )


@pytest.fixture
def axe():
    return Axe()


class Browsing:
    """One browser context (own cookies) per person, signed in through the real form.

    Every page runs under Muster's Content Security Policy, as served (never bypassed):
    Chromium reports each violation on the console, with JavaScript on or off, and a test
    whose pages broke the policy fails at its end, naming each violation and its page."""

    def __init__(self, browser, live_server, axe):
        self.browser, self.base, self.axe = browser, live_server.url, axe
        self.contexts = []
        self.csp_violations: list[str] = []

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(f"{message.location.get('url')}: {message.text}")

    def new_page(self, *, javascript: bool = True):
        context = self.browser.new_context(
            viewport=VIEWPORT, locale="en-US", timezone_id="America/New_York",
            java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        # axe-core arrives through the DevTools protocol, which the policy does not govern.
        context.add_init_script(script=self.axe.script)
        context.on("console", self._console)
        self.contexts.append(context)
        return context.new_page()

    def url(self, path: str) -> str:
        return self.base + path

    def sign_in(self, user, password: str = PASSWORD, *, javascript: bool = True):
        """A new page for `user`, signed in through the sign-in form (`javascript=False`:
        in a browser with JavaScript off)."""
        from playwright.sync_api import expect

        page = self.new_page(javascript=javascript)
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"Signed in as {user.full_name}")).to_be_visible()
        return page

    def close(self):
        for context in self.contexts:
            context.close()

    def assert_no_csp_violation(self) -> None:
        assert not self.csp_violations, (
            f"{len(self.csp_violations)} Content Security Policy violation(s):\n"
            + "\n".join(self.csp_violations)
        )


@pytest.fixture
def browsing(browser, live_server, axe):
    session = Browsing(browser, live_server, axe)
    yield session
    session.close()
    session.assert_no_csp_violation()


def shoot(page, name: str, *, full_page: bool = True) -> None:
    """Save docs/screenshots/<name>.png (overwritten on every run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
