"""Uploaded files: PDFs only, checked by content (not by name), size-capped, and free of
what a PDF can run or carry: JavaScript, launch actions, embedded files, data appended
after its end."""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

# What the PDF format counts as white space (ISO 32000-1, 7.2.2): a writer may pad with it.
PDF_WHITESPACE = b"\x00\t\n\x0c\r "
EOF_MARKER = b"%%EOF"
TAIL_CHUNK = 64 * 1024

SCRIPT = ValidationError(
    "This PDF contains JavaScript, which Muster does not accept. Print it to a new PDF (or "
    "save a flattened copy) and upload that.", code="pdf_javascript",
)
LAUNCH = ValidationError(
    "This PDF contains an action that opens another program or file, which Muster does not "
    "accept. Print it to a new PDF and upload that.", code="pdf_launch",
)
EMBEDDED = ValidationError(
    "This PDF has files embedded in it (attachments), which Muster does not accept. Save a "
    "copy without the attachments, or print it to a new PDF, and upload that.",
    code="pdf_embedded_file",
)
APPENDED = ValidationError(
    "This PDF has other data appended after its end, so it is not only a PDF. Save it "
    "again as a PDF (or print it to a new PDF) and upload that copy.", code="pdf_appended",
)


def validate_pdf(upload) -> None:
    """Raise ValidationError unless `upload` is a readable PDF within the size cap, with
    nothing after its end and nothing that runs or carries other files."""
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(
            f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest accepted is "
            f"{settings.MAX_UPLOAD_MB} MB.",
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" not in head:
        raise ValidationError(
            "This file is not a PDF (whatever its name says). Upload a PDF.",
            code="not_pdf",
        )
    try:
        if not _ends_at_eof_marker(upload):
            raise APPENDED
        # From memory (at most MAX_UPLOAD_MB): pypdf reads a byte at a time, and through
        # Django's file wrapper that is several times slower.
        upload.seek(0)
        reader = PdfReader(io.BytesIO(upload.read()), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                "This PDF is password-protected. Upload a copy without a password.",
                code="encrypted",
            )
        if len(reader.pages) < 1:
            raise ValidationError("This PDF has no pages.", code="empty_pdf")
        _refuse_active_content(reader)
    except ValidationError:
        raise
    # What a malformed file makes pypdf raise: any of them means the file is damaged.
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError, AttributeError,
            OSError, RecursionError) as error:
        raise ValidationError(
            "This PDF is damaged and cannot be read. Save it again and upload the new copy.",
            code="bad_pdf",
        ) from error
    finally:
        upload.seek(0)


def _ends_at_eof_marker(upload) -> bool:
    """True when the last thing in the file, white space aside, is %%EOF: a PDF reader
    ignores whatever follows it, which is how a PDF smuggles another file (a ZIP, say)."""
    end = upload.size
    while end > 0:  # step back over trailing white space, a chunk at a time
        start = max(0, end - TAIL_CHUNK)
        upload.seek(start)
        kept = upload.read(end - start).rstrip(PDF_WHITESPACE)
        if kept:
            end = start + len(kept)
            break
        end = start
    upload.seek(max(0, end - len(EOF_MARKER)))
    return upload.read(min(end, len(EOF_MARKER))) == EOF_MARKER


def _refuse_active_content(reader: PdfReader) -> None:
    """Walk every object reachable from the trailer (catalog, names, pages, annotations,
    form fields, outlines, actions and their /Next chains) and refuse JavaScript, launch
    actions and embedded files wherever they are, however the file nests them."""
    for obj in _reachable_dictionaries(reader):
        action, kind = _resolved(obj, "/S"), _resolved(obj, "/Type")
        if "/JS" in obj or "/JavaScript" in obj or action == "/JavaScript":
            raise SCRIPT
        if action == "/Launch":
            raise LAUNCH
        if "/EmbeddedFiles" in obj or "/EF" in obj or kind == "/EmbeddedFile":
            raise EMBEDDED


def _resolved(obj: DictionaryObject, key: str):
    """The value, followed if it is a reference to another object (dict.get does not)."""
    value = dict.get(obj, key)
    return value.get_object() if value is not None else None


def _reachable_dictionaries(reader: PdfReader):
    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            # dict's own view: the raw values, references not yet resolved.
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))


def pdf_problems(uploads) -> list[str]:
    """What is wrong with each of several uploaded PDFs, as "<file name>: <why>" lines
    (empty when every one passes validate_pdf)."""
    problems: list[str] = []
    for upload in uploads:
        try:
            validate_pdf(upload)
        except ValidationError as error:
            problems.extend(f"{upload.name}: {message}" for message in error.messages)
    return problems


def pdf_download(stored_file, filename: str, missing: str):
    """A stored PDF as a download; 404 saying `missing` when storage no longer has it."""
    try:
        handle = stored_file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404(missing) from error
    return FileResponse(handle, as_attachment=True, filename=filename,
                        content_type="application/pdf")
