"""{% breadcrumbs %}, written in Python, writes what its template (includes/breadcrumbs.html)
wrote, byte for byte: links by path or URL name, none or several; a label holding markup
reads as text, one marked safe as the markup it is."""

from django.template import Context, Template
from django.urls import reverse
from django.utils.safestring import mark_safe

# The inclusion tag's template before the tag was written in Python.
TEMPLATE_TEXT = """<nav class="usa-breadcrumb" aria-label="Breadcrumbs"><ol class="usa-breadcrumb__list">
  {% for label, url in links %}<li class="usa-breadcrumb__list-item"><a class="usa-breadcrumb__link" href="{{ url }}"><span>{{ label }}</span></a></li>
  {% endfor %}<li class="usa-breadcrumb__list-item usa-current" aria-current="page"><span>{{ current }}</span></li>
</ol></nav>
"""  # noqa: E501

MARKUP = '<b>"Tom" & \'Jerry\'</b>'


def _as_the_template_wrote(*trail) -> str:
    *pairs, current = trail
    links = [(label, target if str(target).startswith("/") else reverse(target))
             for label, target in zip(pairs[::2], pairs[1::2], strict=True)]
    return Template(TEMPLATE_TEXT).render(Context({"links": links, "current": current}))


def _as_the_tag_writes(*trail) -> str:
    names = [f"v{n}" for n in range(len(trail))]
    text = "{% load muster_tags %}{% breadcrumbs " + " ".join(names) + " %}"
    return Template(text).render(Context(dict(zip(names, trail, strict=True))))


def test_the_tag_writes_the_templates_text_byte_for_byte():
    trails = [
        ("Home",),
        ("Contracts", "contracts:list", MARKUP),
        ("Contracts", "contracts:list", MARKUP, "/contracts/7/?a=1&b=<2>", "Edit"),
        (MARKUP, "/x/", mark_safe("<em>Safe</em>"), "/y/", 42),
    ]
    for trail in trails:
        written = _as_the_tag_writes(*trail)
        assert written == _as_the_template_wrote(*trail)
    assert "&lt;b&gt;" in _as_the_tag_writes("Contracts", "contracts:list", MARKUP)
    assert "<em>Safe</em>" in _as_the_tag_writes("Home", "/", mark_safe("<em>Safe</em>"))
