"""The scale-out proof is slow (it starts HAProxy, two gunicorn instances and two workers,
and walks a contract's life in Chromium through them): the suite leaves it out unless it is
asked for with `-m scaleout`:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_test \\
        .venv/bin/pytest -m scaleout tests/scaleout

`.ci/run` runs it once, on PostgreSQL, as a step of its own. Its figures (the walk's time,
requests per instance, ...) are printed at the end of the run.
"""

HOW_TO_RUN = ("the scale-out proof is slow: run it with `pytest -m scaleout tests/scaleout` "
              "on PostgreSQL (DATABASE_URL=postgres://...)")

_asked = False
FIGURES: dict[str, str] = {}  # what the proof measured, printed at the end of the run


def pytest_configure(config):
    global _asked
    config.addinivalue_line(
        "markers", "scaleout: the scale-out proof (tests/scaleout), run only with -m scaleout"
    )
    _asked = "scaleout" in (config.option.markexpr or "")


def asked() -> bool:
    return _asked


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("scale-out figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
