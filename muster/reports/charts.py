"""Each metrics table pictured as SVG by pygal (docs/adr/0007-charts-with-pygal.md).

The page shows a chart as an <img> of its own URL: an SVG loaded as an image runs no
script and loads nothing, and the page itself keeps its policy (nothing inline). The SVG
carries its own <style> (an image cannot load a stylesheet): its response allows exactly
that element by its hash, so the SVG also keeps the policy when opened on its own. pygal's
scripts (its tooltips) are switched off, and what it would still write for them (a config
<script>, the tooltip's style attribute) is taken out of the tree before it is written.

Colour is never the only carrier of meaning: each series after the first has its own
pattern (stripes, dots, cross-hatch) on the bars and in the legend, each bar is labelled
with its value, and the table beside the chart holds every number.
"""

import base64
import hashlib
import math
from xml.etree import ElementTree

import pygal
from pygal.style import Style

from .metrics import Chart, Table

# USWDS colours with at least 3:1 contrast against white (WCAG 1.4.11), for the marks.
COLOURS = ("#005ea2", "#8b4a00", "#4d8055", "#71767a")
# Patterns for series 2, 3 and 4, drawn in the series' colour over white.
PATTERNS = (
    None,
    '<pattern id="muster-stripes" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/>'
    '<rect width="4" height="8" fill="{colour}"/></pattern>',
    '<pattern id="muster-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#ffffff"/><circle cx="3" cy="3" r="2" fill="{colour}"/>'
    '</pattern>',
    '<pattern id="muster-cross" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#ffffff"/><path d="M0 0L8 8M8 0L0 8" '
    'stroke="{colour}" stroke-width="2"/></pattern>',
)
PATTERN_IDS = (None, "muster-stripes", "muster-dots", "muster-cross")

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#565c65",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    font_family="'Source Sans Pro Web', 'Helvetica Neue', Helvetica, Roboto, Arial, sans-serif",
    title_font_size=20,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    value_font_size=13,
    value_label_font_size=13,
    tooltip_font_size=13,
    guide_stroke_color="#dfe1e2",
    major_guide_stroke_color="#a9aeb1",
)


def _pattern_css(n: int) -> str:
    rules = []
    for i in range(1, min(n, len(PATTERN_IDS))):
        fill = f"fill:url(#{PATTERN_IDS[i]}) !important;stroke:{COLOURS[i]} !important;"
        rules.append(f".color-{i} .rect,rect.color-{i}{{{fill}stroke-width:1px}}")
    # Values printed on the bars stay legible over any fill.
    rules.append(".text-overlay text.value{fill:#1b1b1b !important;"
                 "paint-order:stroke;stroke:#ffffff;stroke-width:3px}")
    return "".join(rules)


def _whole_ticks(chart: Chart) -> list[int]:
    """Ticks at whole numbers, about eight of them, for charts that count things."""
    columns = [[v or 0 for v in s.values] for s in chart.series]
    if chart.kind.startswith("stacked"):
        top = max((sum(vs) for vs in zip(*columns, strict=True)), default=0)
    else:
        top = max((max(vs, default=0) for vs in columns), default=0)
    top = max(1, math.ceil(top))
    step = max(1, math.ceil(top / 8))
    return list(range(0, top + step, step))


def _graph(chart: Chart, title: str):
    n = len(chart.series)
    config = {
        "title": title,
        "style": STYLE,
        "js": [],  # no tooltips: the picture is still, the table is the data
        "disable_xml_declaration": True,
        "show_legend": n > 1,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": min(n, 4),
        "print_values": chart.kind != "line",
        "print_zeroes": False,
        "truncate_label": 42,
        "truncate_legend": -1,
        "width": chart.width,
        "height": chart.height,
        "margin": 16,
        # The value axis: pygal's "y" axis is the horizontal one in a horizontal chart.
        ("x_title" if "hbar" in chart.kind else "y_title"): chart.unit,
        "defs": [p.format(colour=COLOURS[i]) for i, p in enumerate(PATTERNS[:n]) if p],
        "css": ["file://style.css", "file://graph.css", "inline:" + _pattern_css(n)],
        "no_data_text": "No data in this period",
        "include_x_axis": True,
    }
    if chart.range:
        config["range"] = chart.range
    if chart.counts:
        config["y_labels"] = _whole_ticks(chart)
    if chart.kind == "line":
        config.update(show_dots=True, dots_size=5, x_label_rotation=-40,
                      allow_interruptions=True, print_values=False)
    if chart.kind == "bar":
        config.update(x_label_rotation=-30 if len(chart.labels) > 6 else 0)
    kind = {"hbar": pygal.HorizontalBar, "stacked_hbar": pygal.HorizontalStackedBar,
            "bar": pygal.Bar, "line": pygal.Line}[chart.kind]
    graph = kind(**config)
    if chart.kind in ("hbar", "stacked_hbar"):
        # pygal draws horizontal bars from the bottom up: reverse, so they read as the
        # table does, top to bottom.
        graph.x_labels = list(reversed(chart.labels))
        for series in chart.series:
            graph.add(series.name, list(reversed(series.values)))
    else:
        graph.x_labels = chart.labels
        for series in chart.series:
            graph.add(series.name, series.values)
    return graph


def _strip_scripts_and_inline_styles(tree) -> None:
    """What pygal writes for its tooltips even with js=[]: a config <script> and the
    tooltip group's style attribute (the page's policy allows neither)."""
    parents = {child: parent for parent in tree.iter() for child in parent}
    for element in list(tree.iter()):
        if not isinstance(element.tag, str):  # a comment
            continue
        tag = element.tag.rsplit("}", 1)[-1]
        classes = (element.get("class") or "").split()
        if tag == "script" or "tooltip-overlay" in classes:
            parents[element].remove(element)
    for element in tree.iter():
        element.attrib.pop("style", None)


def svg(table: Table) -> tuple[bytes, list[str]]:
    """The chart of `table` as SVG bytes, and the sha256 sources of its <style> elements
    (for the response's Content Security Policy)."""
    if table.chart is None:
        raise ValueError(f"{table.name} has no chart")
    tree = _graph(table.chart, table.title).render_tree()
    _strip_scripts_and_inline_styles(tree)
    # pygal's tree names its elements without a namespace and writes the SVG one as an
    # attribute of the root: ours do the same.
    title = ElementTree.Element("title")
    title.text = f"{table.title}. {table.summary}"
    tree.insert(0, title)
    tree.set("role", "img")
    tree.set("aria-label", title.text)
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256((style.text or "").encode()).digest())
        .decode() + "'"
        for style in tree.iter("style")
    ]
    body = ElementTree.tostring(tree, encoding="unicode")
    return body.encode(), hashes
