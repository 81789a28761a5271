"""Checking an evidence package offline: no database, only the settings' key (for the
manifest's and the checkpoint's signatures; without it, the hashes alone).

Each problem is one line naming the file (and the event, for an event): the manifest's
signature, each file's SHA-256 against the manifest, files missing or added, each audit
event's hash recomputed from its content and prev_hash by the audit record's own code,
consecutive events' links, and the checkpoint's signature and head.
"""

import json
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO

from muster.audit import checkpoints

from . import format as fmt


class NotAPackage(Exception):
    """The input is no evidence package at all (one line says why)."""


@dataclass
class Result:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(source: str | IO[bytes], *, check_signatures: bool = True) -> Result:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise NotAPackage(f"not a zip file ({error})") from error
    with archive:
        names = [info.filename for info in archive.infolist()]
        if fmt.MANIFEST not in names:
            raise NotAPackage(f"not an evidence package: it has no {fmt.MANIFEST}")
        result = Result()
        files = _read_all(archive, names, result)
        _check(files, names, result, check_signatures)
    return result


def _read_all(archive: zipfile.ZipFile, names: list[str], result: Result) -> dict[str, bytes]:
    files = {}
    for name in names:
        if names.count(name) > 1 and name in files:
            result.problems.append(f"{name}: in the zip more than once")
            continue
        try:
            files[name] = archive.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            result.problems.append(f"{name}: damaged in the zip, cannot be read ({error})")
    return files


def _check(files: dict[str, bytes], names: list[str], result: Result,
           check_signatures: bool) -> None:
    manifest_bytes = files.get(fmt.MANIFEST)
    if manifest_bytes is None:
        return  # damaged: already said
    if check_signatures:
        signature = files.get(fmt.SIGNATURE)
        if signature is None:
            if fmt.SIGNATURE not in names:
                result.problems.append(f"{fmt.SIGNATURE}: missing")
        elif not fmt.is_signed(manifest_bytes, signature.decode("ascii", "replace")):
            result.problems.append(
                f"{fmt.MANIFEST}: its signature ({fmt.SIGNATURE}) does not match: the "
                "manifest or its signature was changed, or the package was made with "
                "another key")
    else:
        result.notes.append("The signatures were not checked (--no-key): a package rebuilt "
                            "with new hashes throughout would pass.")
    try:
        manifest = json.loads(manifest_bytes)
        listed = manifest["files"]
        if manifest.get("format") != fmt.FORMAT or not isinstance(listed, dict):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        result.problems.append(f"{fmt.MANIFEST}: not a readable manifest: it was changed")
        return
    result.manifest = manifest
    for name, expected in sorted(listed.items()):
        if name not in names:
            result.problems.append(f"{name}: missing (the manifest lists it)")
        elif name in files and fmt.sha256(files[name]) != expected:
            result.problems.append(f"{name}: changed (its SHA-256 does not match the manifest)")
    for name in sorted(set(names) - set(listed) - fmt.UNLISTED):
        result.problems.append(f"{name}: added (the manifest does not list it)")
    events = _check_events(files.get(fmt.EVENTS), result)
    if fmt.CHECKPOINT in files:
        _check_checkpoint(files[fmt.CHECKPOINT], events, result, check_signatures)


def _check_events(data: bytes | None, result: Result) -> dict[int, str]:
    """Each event's hash recomputed; consecutive records' links. Answers id → hash."""
    hashes: dict[int, str] = {}
    if data is None:
        return hashes
    previous: tuple[int, str] | None = None
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        where = f"{fmt.EVENTS} line {number}"
        try:
            line = json.loads(raw)
            event = fmt.event_from(line)
            digest = event.content_digest()
        except (ValueError, TypeError, AttributeError) as error:
            result.problems.append(f"{where}: not an audit event ({error})")
            continue
        where = f"{fmt.EVENTS} event {event.pk} (line {number})"
        if digest != event.hash:
            result.problems.append(
                f"{where}: changed: its hash does not match its content and prev_hash")
        if previous and event.pk == previous[0] + 1 and event.prev_hash != previous[1]:
            result.problems.append(
                f"{where}: its prev_hash is not the hash of event {previous[0]} before it")
        hashes[event.pk] = event.hash
        previous = (event.pk, event.hash)
    return hashes


def _check_checkpoint(data: bytes, events: dict[int, str], result: Result,
                      check_signatures: bool) -> None:
    heads = checkpoints.parse(data.decode("utf-8", "replace"))
    if not heads:
        result.notes.append(f"{fmt.CHECKPOINT}: holds no checkpoint (none had been made).")
        return
    head = heads[0]
    if check_signatures and not head.is_signed():
        result.problems.append(
            f"{fmt.CHECKPOINT}: checkpoint {head.number} is not signed with this key: it "
            "was changed, or made with another key")
    if head.last_event_id in events and events[head.last_event_id] != head.head_hash:
        result.problems.append(
            f"{fmt.CHECKPOINT}: checkpoint {head.number} names record "
            f"{head.last_event_id} with another hash than {fmt.EVENTS} holds")
