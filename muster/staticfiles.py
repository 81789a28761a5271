"""Static files: Django's staticfiles app, leaving out what no page asks for.

USWDS's dist/ holds 2,100 Material icons and its Sass sources; Muster's pages and USWDS's
CSS use neither (the CSS's icons are usa-icons). Left out, `collectstatic` hashes and
compresses a sixth of the files it would (docs/deploy.md, "Static files")."""

from django.contrib.staticfiles.apps import StaticFilesConfig
from whitenoise.storage import CompressedManifestStaticFilesStorage


class MusterStaticFilesConfig(StaticFilesConfig):
    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "material-icons",
        "material-icons-deprecated",
        "scss",
    ]


class ManifestStorage(CompressedManifestStaticFilesStorage):
    """Production's storage (WhiteNoise's: hashed names, compressed copies), working each
    name's address out once per process: the manifest is read when the process starts and
    does not change under it, and the layout asks for thirteen addresses a page (about 90
    Python calls each)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._addresses: dict[tuple[str, bool], str] = {}

    def url(self, name, force=False):
        key = (name, force)
        if key not in self._addresses:
            self._addresses[key] = super().url(name, force)
        return self._addresses[key]
