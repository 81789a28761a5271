"""Reading what Muster shows in tests: a page as a person reads it, the emails it sent."""

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


def mails_with_subject(mailoutbox, start: str) -> list:
    """The sent emails whose subject starts with `start`."""
    return [m for m in mailoutbox if m.subject.startswith(start)]
