"""{% pagination %}, written in Python, writes what includes/pagination.html wrote, byte for
byte: one page or none (nothing but a line), the first, a middle and the last of several,
with and without the list's filters; filters holding markup read as text."""

from django.core.paginator import Paginator
from django.template import Context, Template
from django.utils.safestring import mark_safe

# The include's text before the tag was written in Python.
TEMPLATE_TEXT = """{% if page.paginator.num_pages > 1 %}
<nav aria-label="Pagination" class="usa-pagination">
  <ul class="usa-pagination__list">
    {% if page.has_previous %}<li class="usa-pagination__item usa-pagination__arrow"><a href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.previous_page_number }}" class="usa-pagination__link usa-pagination__previous-page" aria-label="Previous page"><span class="usa-pagination__link-text">Previous</span></a></li>{% endif %}
    <li class="usa-pagination__item usa-pagination__page-no"><span class="usa-pagination__button usa-current" aria-current="page">Page {{ page.number }} of {{ page.paginator.num_pages }}</span></li>
    {% if page.has_next %}<li class="usa-pagination__item usa-pagination__arrow"><a href="?{% if query %}{{ query }}&amp;{% endif %}page={{ page.next_page_number }}" class="usa-pagination__link usa-pagination__next-page" aria-label="Next page"><span class="usa-pagination__link-text">Next</span></a></li>{% endif %}
  </ul>
</nav>
{% endif %}
"""  # noqa: E501


def _both(context: dict) -> tuple[str, str]:
    tag = Template("{% load muster_tags %}{% pagination %}").render(Context(context))
    return tag, Template(TEMPLATE_TEXT).render(Context(context))


def test_the_tag_writes_the_includes_text_byte_for_byte():
    queries = ["", "q=Claims&stage=active", 'q=<b>"x"</b>&a=1', mark_safe("a=1&amp;b=2"), None]
    contexts: list[dict] = [{}, {"page": None}]
    for count in (0, 1, 25, 26, 120):
        paginator = Paginator(list(range(count)), 25)
        for number in paginator.page_range:
            for query in queries:
                contexts.append({"page": paginator.page(number), "query": query})
    for context in contexts:
        tag, include = _both(context)
        assert tag == include, context
    assert "Page 3 of 5" in _both({"page": Paginator(list(range(120)), 25).page(3)})[0]
