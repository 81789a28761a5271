"""{% primary_navigation %}: the header's items (context_processors.navigation's `nav`)
written in Python. Every page draws them, some twenty links; the template's loop cost
about 3,000 Python calls a page (issue 17). tests/test_navigation_html.py holds it to that
loop, byte for byte."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from muster.escaping import escape

register = template.Library()


@register.simple_tag(takes_context=True)
def primary_navigation(context) -> SafeString:
    # Every label, address and id is escaped as it is written (_item, _submenu_link).
    return mark_safe("".join(_item(item) for item in context["nav"]))  # noqa: S308


def _item(item: dict) -> str:
    current = " usa-current" if item["current"] else ""
    label, url = escape(str(item["label"])), escape(item["url"])
    if not item["links"]:
        page = ' aria-current="page"' if item["page"] else ""
        return (f'<li class="usa-nav__primary-item"><a class="usa-nav-link{current}" '
                f'href="{url}"{page}><span>{label}</span></a></li>\n          ')
    group = escape(item["id"])
    shown = ' aria-current="true"' if item["current"] else ""
    links = "".join(_submenu_link(link) for link in item["links"])
    return (f'<li class="usa-nav__primary-item">\n            '
            f'<a class="usa-nav-link usa-nav__link muster-nav-group{current}" href="{url}" '
            f'data-nav-button="{group}"{shown}><span>{label}</span></a>\n            '
            f'<ul id="{group}" class="usa-nav__submenu" hidden>\n              {links}'
            f'\n            </ul>\n          </li>\n          ')


def _submenu_link(link: dict) -> str:
    current = ' class="usa-current"' if link["current"] else ""
    page = ' aria-current="page"' if link["page"] else ""
    return (f'<li class="usa-nav__submenu-item"><a href="{escape(link["url"])}"{current}'
            f'{page}><span>{escape(str(link["label"]))}</span></a></li>\n              ')
