"""Reading pages in tests: what a response says, as a person reads it."""

import html
import re


def text_of(response) -> str:
    """The page's text: tags removed, whitespace collapsed, entities decoded."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())



def html_of(response, status: int = 200) -> str:
    """The page's HTML, once its status is the one expected."""
    assert response.status_code == status, response.status_code
    return response.content.decode()
