"""Production's static files storage names each file by its hash from the manifest; it
works each name's address out once per process (the layout asks for thirteen a page)."""

import json

import pytest
from django.test import override_settings

from muster.staticfiles import ManifestStorage


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "staticfiles.json").write_text(json.dumps({
        "version": "1.1", "hash": "x",
        "paths": {"muster.css": "muster.0a1b2c3d4e5f.css",
                  "uswds/img/sprite.svg": "uswds/img/sprite.99887766aabb.svg"},
    }))
    with override_settings(STATIC_ROOT=str(tmp_path), STATIC_URL="/static/", DEBUG=False):
        yield ManifestStorage(location=str(tmp_path), base_url="/static/")


def test_each_address_is_the_hashed_one_every_time(storage):
    for _ in range(2):
        assert storage.url("muster.css") == "/static/muster.0a1b2c3d4e5f.css"
        assert storage.url("uswds/img/sprite.svg#lock") == \
            "/static/uswds/img/sprite.99887766aabb.svg#lock"


def test_a_file_missing_from_the_manifest_is_an_error_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="nowhere.css"):
            storage.url("nowhere.css")
