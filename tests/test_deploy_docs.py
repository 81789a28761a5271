"""docs/deploy.md names every setting Muster and its gunicorn configuration read from the
environment, in its one table: an operator never has to read settings.py to find one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READERS = [ROOT / "muster" / "settings.py", ROOT / "deploy" / "gunicorn.conf.py"]
READ = re.compile(
    r'(?:environ\.get\(|environ\[|env_bool\(|env_list\(|env_int\()\s*"([A-Z][A-Z0-9_]+)"'
)


def variables_read() -> set[str]:
    return {name for path in READERS for name in READ.findall(path.read_text())}


def documented() -> set[str]:
    table = (ROOT / "docs" / "deploy.md").read_text()
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", table, re.MULTILINE))


def test_every_environment_variable_is_in_the_settings_table():
    read = variables_read()
    assert {"SECRET_KEY", "DATABASE_URL", "GUNICORN_BIND"} <= read  # the pattern finds them

    assert sorted(read - documented()) == []
