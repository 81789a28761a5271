"""{% once %} (identity/templatetags/layout_tags.py): the layout's fixed text and static
addresses, drawn the first time and kept; anything that could differ between two people
or two pages is refused when the template is read."""

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.templatetags.static import static

LOADS = "{% load static layout_tags %}"


def test_it_draws_its_text_and_static_addresses_as_written():
    template = Template(LOADS + "{% once %}<script src=\"{% static 'muster.js' %}\"></script>"
                        "\n  <p>Here’s how</p>{% endonce %}")
    expected = f'<script src="{static("muster.js")}"></script>\n  <p>Here’s how</p>'
    assert template.render(Context()) == expected
    assert template.render(Context({"anything": "else"})) == expected


@pytest.mark.parametrize("inside", [
    "{{ user.full_name }}",
    "{% if user %}x{% endif %}",
    "{% static path %}",
    "{% static 'muster.js' as js %}",
    "{% static 'muster.js'|upper %}",
    "{% csrf_token %}",
])
def test_anything_that_could_differ_between_pages_is_refused(inside):
    with pytest.raises(TemplateSyntaxError, match=r"\{% once %\} holds only text"):
        Template(LOADS + "{% once %}<p>" + inside + "</p>{% endonce %}")


def test_the_layout_keeps_the_whole_page_s_fixed_parts_in_once_blocks():
    # Drawn once and kept with the compiled template: the same node answers the next page.
    base = Engine.get_default().get_template("base.html")
    blocks = [node for node in base.nodelist if type(node).__name__ == "OnceNode"]
    assert len(blocks) == 3
    drawn = [block.render(Context()) for block in blocks]
    assert [block.html for block in blocks] == drawn
    assert "usa-banner" in drawn[1] and static("muster.js") in drawn[2]
