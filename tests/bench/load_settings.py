"""Settings for the load benchmark only (tests/bench/bench_load.py): the product's settings
(run it with MUSTER_ENV=production: DEBUG off) with a URL configuration that adds one bare
view beside the product's pages. Never used by the product or the test suite."""

from muster.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.load_urls"
