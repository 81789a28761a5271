"""muster.escaping.escape writes what django.utils.html.escape writes, for every character,
text already escaped, numbers, None and lazy text."""

from django.utils.html import escape as django_escape
from django.utils.translation import gettext_lazy

from muster.escaping import escape


def test_escape_as_django_escapes():
    for text in ("<b>\"Ann\" & 'Bo'</b>", "&amp;", "plain", 12, None, gettext_lazy("Yes")):
        assert escape(text) == django_escape(text)


def test_escape_every_character_as_django_escapes():
    every = "".join(chr(n) for n in range(0x250))
    assert escape(every) == django_escape(every)
    assert escape(every * 2 + "&amp;&lt;") == django_escape(every * 2 + "&amp;&lt;")


def test_text_with_nothing_to_escape_is_given_back_as_it_is():
    assert escape("Alpha Analytics 2026-11") == "Alpha Analytics 2026-11"
    assert escape("") == ""
