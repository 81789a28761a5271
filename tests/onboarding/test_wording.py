"""What a newcomer read and found saying two things, or less than it should: the personal-
data box on the solicitation notice, Confluence's job code, and the DUA upload's limit."""

import re

import pytest

from ..factories import signed_in
from .test_intake import media, mine, screen_url, today  # noqa: F401
from .test_notices import NEW, cor, solicitation, text_of  # noqa: F401
from .test_package import approved, send, url  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_personal_data_box_says_one_thing_once(client, cor):  # noqa: F811
    response = client.post(NEW, solicitation(
        requirements_summary="Questions: call (202) 555-0143 any day."))
    assert response.status_code == 400
    body = text_of(response)
    label = re.search(r'<label[^>]*for="id_confirm_no_pii"[^>]*>(.*?)</label>',
                      response.content.decode(), re.DOTALL).group(1)
    assert " ".join(label.split()) == "The flagged text is not personal data: save it as it is"
    # Nothing else says the box means the opposite, or says again what it means.
    assert "on purpose" not in body
    assert "tick the box and save again" not in body
    assert "Only if the flagged text is not personal data" not in body
    assert body.count("a public help-desk number") == 1  # the box's hint: examples only


def test_confluence_names_its_job_code_once_on_the_services_screen(client, mine):  # noqa: F811
    html = client.get(screen_url(mine, "services")).content.decode()
    [hint] = [h for h in re.findall(r'<p class="usa-hint"[^>]*>(.*?)</p>', html, re.DOTALL)
              if "Confluence wiki" in h]
    assert hint.count("CONFL_User") == 1
    assert "Users need the EUA job code CONFL_User." in hint


def test_the_dua_upload_hint_says_the_size_limit(client, mine, settings):  # noqa: F811
    settings.MAX_UPLOAD_MB = 7
    body = text_of(client.get(screen_url(mine, "dua")))
    assert "PDF only, up to 7 MB." in body
    assert "size limit" not in body



def test_the_print_view_has_a_margin_on_screen(client, approved):  # noqa: F811
    send(client, approved)
    signed_in(client, approved["so"])
    html = client.get(url("package_print", approved, 1)).content.decode()
    screen = re.search(r"@media screen \{(.*?)\n\}", html, re.DOTALL)
    assert screen, "no on-screen rules: the text touches the window's edge"
    assert re.search(r"body \{ padding: 2rem", screen.group(1))
