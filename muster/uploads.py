"""Uploaded files: PDFs only, checked by content (not by name), size-capped."""

from django.conf import settings
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import PdfReadError


def validate_pdf(upload) -> None:
    """Raise ValidationError unless `upload` is a readable PDF within the size cap."""
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
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                "This PDF is password-protected. Upload a copy without a password.",
                code="encrypted",
            )
        if len(reader.pages) < 1:
            raise ValidationError("This PDF has no pages.", code="empty_pdf")
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        raise ValidationError(
            "This PDF is damaged and cannot be read. Save it again and upload the new copy.",
            code="bad_pdf",
        ) from error
    finally:
        upload.seek(0)
