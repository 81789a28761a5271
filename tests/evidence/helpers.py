"""Taking a package through the page, and opening, changing and checking one."""

import io
import zipfile

from django.core.management import CommandError, call_command
from django.urls import reverse

from ..factories import signed_in


def download(client, person, contract):
    return signed_in(client, person).post(reverse("evidence:package", args=[contract.pk]))


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def changed(content: bytes, name: str, old: bytes, new: bytes) -> bytes:
    """The package with `old` replaced by `new` (once) in the member `name`."""
    files = members(content)
    assert old in files[name], f"{old!r} is not in {name}"
    files[name] = files[name].replace(old, new, 1)
    return rezip(files)


def flipped(content: bytes, name: str, at: int | None = None) -> bytes:
    """The package with one byte of `name` changed (the middle one unless `at`)."""
    files = members(content)
    data = bytearray(files[name])
    at = len(data) // 2 if at is None else at
    data[at] = (data[at] + 1) % 256
    files[name] = bytes(data)
    return rezip(files)


def verify(tmp_path, content: bytes, *args) -> tuple[bool, str, str]:
    """(verified, stdout, stderr) of `manage.py verify_evidence` on these bytes."""
    path = tmp_path / "package.zip"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_evidence", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return False, out.getvalue(), err.getvalue() + str(error)
    return True, out.getvalue(), err.getvalue()
