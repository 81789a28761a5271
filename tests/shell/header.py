"""Reading the header as a person meets it: its top-level items, its groups' links."""

import html
import re
from dataclasses import dataclass, field


@dataclass
class Item:
    label: str
    url: str
    current: bool  # marked as the current section (usa-current)
    aria_current: str  # "page", "true" or ""
    links: list["Item"] = field(default_factory=list)  # a group's links

    @property
    def is_group(self) -> bool:
        return bool(self.links)


def _attr(attrs: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', attrs)
    return html.unescape(found.group(1)) if found else ""


def header(page_html: str) -> list[Item]:
    """The primary navigation's top-level items, each group with its links."""
    nav = re.search(r'<nav aria-label="Primary navigation".*?</nav>', page_html, re.DOTALL)
    assert nav, "no primary navigation on the page"
    items = []
    for chunk in nav.group(0).split('<li class="usa-nav__primary-item">')[1:]:
        top = re.search(r'<a ([^>]*)><span>([^<]+)</span></a>', chunk)
        attrs, label = top.group(1), html.unescape(top.group(2))
        item = Item(label, _attr(attrs, "href"), "usa-current" in _attr(attrs, "class"),
                    _attr(attrs, "aria-current"))
        for sub_attrs, sub_label in re.findall(
                r'<li class="usa-nav__submenu-item"><a ([^>]*)><span>([^<]+)</span>', chunk):
            item.links.append(Item(html.unescape(sub_label), _attr(sub_attrs, "href"),
                                   "usa-current" in _attr(sub_attrs, "class"),
                                   _attr(sub_attrs, "aria-current")))
        items.append(item)
    return items


def every_link(items: list[Item]) -> list[str]:
    """The labels of every link the header offers, in order (a group's, not the group)."""
    return [link.label for item in items for link in (item.links or [item])]
