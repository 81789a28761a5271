"""Static files: Django's staticfiles app, leaving out what no page asks for.

USWDS's dist/ holds 2,100 Material icons and its Sass sources; Muster's pages and USWDS's
CSS use neither (the CSS's icons are usa-icons). Left out, `collectstatic` hashes and
compresses a sixth of the files it would (docs/deploy.md, "Static files")."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class MusterStaticFilesConfig(StaticFilesConfig):
    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "material-icons",
        "material-icons-deprecated",
        "scss",
    ]
