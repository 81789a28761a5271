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
# Every WCAG 2.0, 2.1 and 2.2 level A and AA tag axe-core has: it tags a rule with the
# version and level that added its success criterion, and has no "wcag22a" (no rule checks
# the two level A criteria new in 2.2, 3.2.6 and 3.3.7, which need a person). AAA is out of
# scope. test_accessibility_checks.py fails when axe-core gains a tag missing here.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# WCAG 1.4.10 Reflow: content reads at 320 CSS pixels wide without scrolling sideways.
REFLOW_WIDTH = 320


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
        """Run axe-core's WCAG 2.2 A/AA rules on the page, then check it reflows at 320
        CSS pixels (`reflow`): every page a browser test scans gets both. axe-core runs
        in the page: a page with JavaScript off would wait for it forever, so it is refused."""
        assert getattr(page, "muster_javascript", True), (
            f"{label}: axe-core cannot run in a page with JavaScript off; scan the same page "
            "in a browser with JavaScript on")
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
        self.reflow(page, label)

    def reflow(self, page, label: str) -> None:
        """WCAG 1.4.10: at a viewport 320 CSS pixels wide the page does not scroll
        sideways (the document's scrollWidth fits its width); a data table may scroll
        inside its own container (USWDS's usa-table-container--scrollable), the page may
        not. A failure names the page and its widest overflowing elements. The viewport
        is restored afterwards, whatever happens."""
        before = page.viewport_size or VIEWPORT
        page.set_viewport_size({"width": REFLOW_WIDTH, "height": before["height"]})
        try:
            found = page.evaluate(REFLOW_SCRIPT)
        finally:
            page.set_viewport_size(before)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        if found["scrollWidth"] > found["width"]:
            widest = "\n".join(f"    {e['width']}px wide, right edge at {e['right']}px: "
                               f"{e['path']}\n      html: {e['html']}"
                               for e in found["offenders"])
            self.violations.append(
                f"[reflow] on {label} ({page.url}): at {REFLOW_WIDTH} CSS pixels wide the "
                f"page is {found['scrollWidth']}px wide and scrolls sideways (WCAG 1.4.10). "
                f"Widest overflowing element(s):\n{widest or '    (none found)'}")

    def assert_clean(self) -> None:
        assert not self.violations, (
            f"{len(self.violations)} WCAG 2.2 A/AA violation(s) on {len(self.scanned)} "
            "scanned pages:\n" + "\n".join(self.violations)
        )


# What the page measures at 320 pixels wide: the document's scrollWidth against the
# viewport (the narrower of innerWidth and the root's clientWidth, which leaves out a
# vertical scroll bar), and the widest elements reaching past the right edge, outside any
# element that scrolls or clips on its own (a table's scrollable container) and outside
# what is not rendered. USWDS sets `body {overflow-x: hidden}`, so a page too wide is cut
# off rather than scrollable: scrollWidth still counts what is cut off.
REFLOW_SCRIPT = """() => {
  const root = document.scrollingElement || document.documentElement;
  const width = Math.min(window.innerWidth, document.documentElement.clientWidth);
  const scrollsOnItsOwn = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
    }
    return false;
  };
  const path = e => {
    const parts = [];
    for (let a = e; a && a !== document.body && parts.length < 5; a = a.parentElement) {
      let part = a.tagName.toLowerCase();
      if (a.id) part += "#" + a.id;
      else if (a.classList.length) part += "." + [...a.classList].slice(0, 3).join(".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const over = [];
  for (const e of document.body.querySelectorAll("*")) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // Text that does not wrap (a long word) runs out of its box: scrollWidth counts it.
    const visible = getComputedStyle(e).overflowX === "visible";
    const right = Math.max(box.right, visible ? box.left + e.scrollWidth : 0);
    if (right <= width + 0.5 || box.left >= width) continue;  // usa-sr-only goes left
    if (scrollsOnItsOwn(e)) continue;
    over.push({e, right: Math.round(right), width: Math.round(right - box.left)});
  }
  // The deepest culprits: an element whose child overflows as far is only carrying it.
  const carriers = new Set();
  for (const o of over) {
    for (let a = o.e.parentElement; a; a = a.parentElement) {
      const p = over.find(x => x.e === a);
      if (p && p.right <= o.right) carriers.add(a);
    }
  }
  const offenders = over.filter(o => !carriers.has(o.e))
    .sort((a, b) => b.right - a.right).slice(0, 5)
    .map(o => ({path: path(o.e), right: o.right, width: o.width,
                html: o.e.outerHTML.slice(0, 160).replace(/\\s+/g, " ")}));
  return {scrollWidth: root.scrollWidth, width, offenders};
}"""


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
        page = context.new_page()
        page.muster_javascript = javascript  # what Axe.scan asks
        return page

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
        # The header shows before the page's scripts have run (muster.js, USWDS's menus).
        page.wait_for_load_state("load")
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


def open_header_menu(page, name: str) -> None:
    """Open one of the header's groups (Requests, Reports, Administration) with its USWDS
    button. The header is on screen before the scripts at the end of the page have run:
    wait for the page's load, so USWDS's handler is on the button, and check it opened."""
    from playwright.sync_api import expect

    page.wait_for_load_state("load")
    button = page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "button", name=name)
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
