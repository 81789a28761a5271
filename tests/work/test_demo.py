"""The demo gives some open items to each team member and leaves some for someone to take."""

import pytest

from muster.demo import data as demo
from muster.work.items import KINDS
from muster.work.models import Assignment

pytestmark = pytest.mark.django_db


def test_the_demo_shares_out_the_work_and_leaves_some(client, freeze_today, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    freeze_today()
    demo.load()
    assignees = set(Assignment.objects.values_list("assignee__email", flat=True))
    assert {"team@example.com", "lead@example.com"} <= assignees
    open_items = sum(kind.open_rows().count() for kind in KINDS.values())
    assert 0 < Assignment.objects.count() < open_items  # some are left to take
    client.force_login(demo.User.objects.get(email="team@example.com"))
    html = client.get("/").content.decode()
    assert "Assigned to you" in html and "Nobody yet" in html
