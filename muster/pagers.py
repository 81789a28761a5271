"""A list's pager as USWDS draws it (its "Previous" and "Next" links around "Page n of m"),
written in Python for every page of rows: the general `{% pagination %}` (muster_tags) and
My work's two lists (work/rows.py). Drawn by templates, a pager cost some 250 to 400
Python calls a list (issue 17)."""

from collections.abc import Callable

from muster.escaping import escape


def nav(page, label: str, href_of: Callable[[int], str]) -> str:
    """The `<nav>` of `page` (a Django Page of more than one), named `label`;
    `href_of(number)` is the escaped address of page `number`."""
    previous = next_ = ""
    if page.has_previous():
        previous = (
            '<li class="usa-pagination__item usa-pagination__arrow"><a href="'
            f'{href_of(page.previous_page_number())}" class="usa-pagination__link '
            'usa-pagination__previous-page" aria-label="Previous page"><span '
            'class="usa-pagination__link-text">Previous</span></a></li>')
    if page.has_next():
        next_ = (
            '<li class="usa-pagination__item usa-pagination__arrow"><a href="'
            f'{href_of(page.next_page_number())}" class="usa-pagination__link '
            'usa-pagination__next-page" aria-label="Next page"><span '
            'class="usa-pagination__link-text">Next</span></a></li>')
    return (
        f'<nav aria-label="{escape(label)}" class="usa-pagination">\n'
        '  <ul class="usa-pagination__list">\n'
        f"    {previous}\n"
        '    <li class="usa-pagination__item usa-pagination__page-no"><span '
        'class="usa-pagination__button usa-current" aria-current="page">'
        f"Page {page.number} of {page.paginator.num_pages}</span></li>\n"
        f"    {next_}\n"
        "  </ul>\n</nav>")
