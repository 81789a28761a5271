"""A DUA PDF chosen on the re-award form, kept while the COR confirms what will be created,
so it need not be chosen again. The stored file is named by a signed token (bound to the
contract) the confirmation page carries; it is deleted once the scenario is saved, and the
daily sweep deletes any left by a confirmation never made."""

import datetime
import secrets
from dataclasses import dataclass

from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from muster import clock

SALT = "closeout.pending-dua"
MAX_AGE = datetime.timedelta(days=1)
FOLDER = "closeout/pending"


@dataclass
class PendingDua:
    token: str
    name: str
    filename: str


def keep(contract, upload, pending: PendingDua | None = None) -> PendingDua | None:
    """Store the chosen PDF (unless it is the one already kept) and sign its name."""
    if not upload or (pending is not None and upload.name == pending.filename):
        return pending
    upload.seek(0)
    name = default_storage.save(f"{FOLDER}/{secrets.token_hex(16)}.pdf", upload)
    upload.seek(0)
    token = signing.dumps([contract.pk, name, upload.name], salt=SALT)
    return PendingDua(token, name, upload.name)


def restore(contract, token: str) -> tuple[PendingDua, SimpleUploadedFile] | None:
    """The kept PDF as an upload the form checks again, or None (unknown, tampered with,
    another contract's, expired or deleted)."""
    try:
        pk, name, filename = signing.loads(token, salt=SALT,
                                           max_age=MAX_AGE)
        if pk != contract.pk or not name.startswith(f"{FOLDER}/"):
            return None
        with default_storage.open(name, "rb") as stored:
            content = stored.read()
    except (signing.BadSignature, OSError, ValueError, TypeError):
        return None
    upload = SimpleUploadedFile(filename, content, "application/pdf")
    return PendingDua(token, name, filename), upload


def discard(pending: PendingDua | None) -> None:
    if pending is not None:
        default_storage.delete(pending.name)


def discard_stale() -> int:
    """Delete kept PDFs older than MAX_AGE (their tokens have expired)."""
    try:
        _dirs, files = default_storage.listdir(FOLDER)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    cutoff, removed = clock.now() - MAX_AGE, 0
    for filename in files:
        name = f"{FOLDER}/{filename}"
        if default_storage.get_modified_time(name) < cutoff:
            default_storage.delete(name)
            removed += 1
    return removed
