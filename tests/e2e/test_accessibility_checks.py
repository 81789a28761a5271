"""The browser tests' own accessibility checks (conftest.py's Axe), checked on pages made
for the purpose: axe-core runs every WCAG 2.x level A and AA tag it has, and every scan
also checks the page reflows at 320 CSS pixels (WCAG 1.4.10), naming what is too wide,
while a data table may scroll inside its own container. No server or database: the pages
are set in the browser."""

import re

import pytest

from .conftest import REFLOW_WIDTH, VIEWPORT, WCAG_TAGS, Axe

# USWDS's own rule: a page too wide is cut off on the right, not scrollable.
PAGE = """<!doctype html><html lang="en"><head><title>Reflow</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ margin: 0; overflow-x: hidden; }} .scrollable {{ overflow-x: auto; }}</style>
</head><body><main><h1>Reflow</h1>{body}</main></body></html>"""
WIDE_TABLE = ("<table><caption>Numbers</caption><tr>"
              + "".join(f"<td>column{i}-with-a-long-value</td>" for i in range(12))
              + "</tr></table>")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def test_every_wcag_a_and_aa_tag_of_axe_core_is_run(page):
    axe = Axe()
    page.set_content(PAGE.format(body="<p>Text</p>"))
    page.evaluate(axe.script)
    tags = set(page.evaluate("axe.getRules().flatMap(r => r.tags)"))
    levels = {t for t in tags if re.fullmatch(r"wcag2\d*a{1,2}", t)}  # AAA is out of scope
    assert {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"} <= levels
    assert levels <= set(WCAG_TAGS), f"axe-core has tags the scans leave out: {levels}"


def test_a_page_wider_than_320_pixels_fails_naming_the_element(page):
    axe = Axe()
    page.set_content(PAGE.format(
        body='<p>Fits.</p><div id="too-wide"><span>x</span></div>'
             '<p id="long">Averyveryveryverylongwordwithoutanyplacetobreakitatallanywhere</p>'))
    page.add_style_tag(content="#too-wide { width: 600px; height: 10px; }")

    axe.scan(page, "a wide page")

    assert axe.scanned == ["a wide page"]
    assert len(axe.violations) == 1, axe.violations
    failure = axe.violations[0]
    assert failure.startswith(f"[reflow] on a wide page (about:blank): at {REFLOW_WIDTH} CSS "
                              "pixels wide the page is 600px wide and scrolls sideways")
    assert "600px wide, right edge at 600px: main > div#too-wide" in failure
    assert "p#long" in failure  # every offender, widest first
    assert failure.index("div#too-wide") < failure.index("p#long")
    assert page.viewport_size == VIEWPORT  # restored
    with pytest.raises(AssertionError, match="reflow"):
        axe.assert_clean()


def test_a_table_scrolling_in_its_own_container_passes(page):
    axe = Axe()
    page.set_content(PAGE.format(
        body=f'<div class="scrollable" tabindex="0" role="region" aria-label="Numbers">'
             f"{WIDE_TABLE}</div>"))
    axe.scan(page, "a wide table in a scrollable container")
    axe.assert_clean()


def test_the_same_table_outside_a_container_fails(page):
    axe = Axe()
    page.set_content(PAGE.format(body=WIDE_TABLE))
    axe.scan(page, "a wide table")
    assert [v for v in axe.violations if v.startswith("[reflow] on a wide table")]
    assert "table" in axe.violations[-1]


def test_a_page_with_javascript_off_is_refused_rather_than_waited_for(page, browser):
    """axe-core runs in the page: with JavaScript off its promise would never settle."""
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    off = context.new_page()
    off.muster_javascript = False  # as Browsing.new_page marks it
    with pytest.raises(AssertionError, match="JavaScript off"):
        Axe().scan(off, "a page without JavaScript")
    context.close()
