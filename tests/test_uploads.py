"""PDFs that run or carry something are refused where people upload them: the DUA page and
a touch-point call's documents. Each PDF is built here with pypdf, posted through the real
page, and the test checks the message the person reads and that nothing was stored."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts.models import DataUseAgreement
from muster.notifications.models import OutboxEmail
from muster.onboarding.models import CallDocument, TouchPointCall

from .factories import TODAY, approved_for_onboarding, pdf_bytes, pdf_upload
from .pages import text_of

SCRIPT = ("This PDF contains JavaScript, which Muster does not accept. Print it to a new PDF "
          "(or save a flattened copy) and upload that.")
LAUNCH = ("This PDF contains an action that opens another program or file, which Muster does "
          "not accept.")
EMBEDDED = "This PDF has files embedded in it (attachments), which Muster does not accept."
APPENDED = "This PDF has other data appended after its end, so it is not only a PDF."


# --- PDFs, good and bad -------------------------------------------------------------------


def name(value: str) -> NameObject:
    return NameObject(value)


def action(kind: str, **entries) -> DictionaryObject:
    result = DictionaryObject({name("/Type"): name("/Action"), name("/S"): name(kind)})
    for key, value in entries.items():
        result[name(f"/{key}")] = value
    return result


def javascript(code="app.alert('Your session expired: sign in again');") -> DictionaryObject:
    return action("/JavaScript", JS=TextStringObject(code))


def launch() -> DictionaryObject:
    return action("/Launch", F=TextStringObject("C:\\Windows\\System32\\cmd.exe"))


def blank() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    return writer


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def annotate(writer: PdfWriter, annotation: DictionaryObject) -> PdfWriter:
    """Put `annotation` on the first page (a clickable rectangle, as a link is)."""
    annotation.update({
        name("/Type"): name("/Annot"),
        name("/Rect"): ArrayObject([FloatObject(72), FloatObject(72), FloatObject(300),
                                    FloatObject(100)]),
    })
    annotation.setdefault(name("/Subtype"), name("/Link"))
    writer.pages[0][name("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return writer


def with_document_javascript() -> bytes:
    writer = blank()
    writer.add_open_action(JavaScript("app.alert('hello');"))  # the /Names /JavaScript tree
    return written(writer)


def with_open_action_javascript() -> bytes:
    writer = blank()
    writer._root_object[name("/OpenAction")] = writer._add_object(javascript())
    return written(writer)


def with_open_action_launch() -> bytes:
    writer = blank()
    writer._root_object[name("/OpenAction")] = writer._add_object(launch())
    return written(writer)


def with_document_aa_javascript() -> bytes:
    """Script run when the document is about to close (/AA /WC)."""
    writer = blank()
    writer._root_object[name("/AA")] = DictionaryObject({name("/WC"): javascript()})
    return written(writer)


def with_page_aa_javascript() -> bytes:
    """Script run when the page opens (/AA /O on the page)."""
    writer = blank()
    writer.pages[0][name("/AA")] = DictionaryObject({name("/O"): javascript()})
    return written(writer)


def with_link_launching_a_program() -> bytes:
    return written(annotate(blank(), DictionaryObject({name("/A"): launch()})))


def with_annotation_aa_launch() -> bytes:
    """A launch run when the pointer enters an annotation (/AA /E)."""
    return written(annotate(blank(), DictionaryObject(
        {name("/AA"): DictionaryObject({name("/E"): launch()})})))


def with_script_chained_after_a_link() -> bytes:
    """An ordinary web link whose /Next action is a script."""
    uri = action("/URI", URI=TextStringObject("https://example.com/"), Next=javascript())
    return written(annotate(blank(), DictionaryObject({name("/A"): uri})))


def with_attachment() -> bytes:
    writer = blank()
    writer.add_attachment("payload.exe", b"MZ\x90\x00 not really a program")
    return written(writer)


def with_file_attachment_annotation() -> bytes:
    """A file carried by an annotation (the paperclip icon), not the document's list."""
    writer = blank()
    stream = writer._add_object(_embedded_stream(b"a file inside"))
    spec = DictionaryObject({
        name("/Type"): name("/Filespec"), name("/F"): TextStringObject("notes.txt"),
        name("/EF"): DictionaryObject({name("/F"): stream}),
    })
    return written(annotate(writer, DictionaryObject(
        {name("/Subtype"): name("/FileAttachment"), name("/FS"): spec})))


def _embedded_stream(data: bytes):
    from pypdf.generic import StreamObject

    stream = StreamObject()
    stream.set_data(data)
    stream[name("/Type")] = name("/EmbeddedFile")
    return stream


def with_hex_escaped_script_names() -> bytes:
    """/S /JavaScript and /JS spelled with #xx escapes (/J#61vaScript, /J#53), which PDF
    readers decode: a search of the bytes for '/JavaScript' would miss it."""
    data = with_open_action_javascript()
    plain = re.search(rb"/Type /Action\n/S /JavaScript\n/JS", data).group(0)
    escaped = b"/Type/Action/S/J#61vaScript/J#53".ljust(len(plain))  # offsets unchanged
    data = data.replace(plain, escaped)
    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"
    return data


def with_zip_appended() -> bytes:
    return written(blank()) + b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"hidden archive" * 50


def with_html_after_a_second_eof_marker() -> bytes:
    """Appended data that starts with a %%EOF of its own: what follows is still extra."""
    return written(blank()) + b"\n%%EOF\n<script>alert(1)</script>\n"


BAD_PDFS = [
    pytest.param(with_document_javascript, SCRIPT, id="document-javascript"),
    pytest.param(with_open_action_javascript, SCRIPT, id="open-action-javascript"),
    pytest.param(with_document_aa_javascript, SCRIPT, id="document-aa-javascript"),
    pytest.param(with_page_aa_javascript, SCRIPT, id="page-aa-javascript"),
    pytest.param(with_script_chained_after_a_link, SCRIPT, id="next-action-javascript"),
    pytest.param(with_hex_escaped_script_names, SCRIPT, id="hex-escaped-javascript"),
    pytest.param(with_open_action_launch, LAUNCH, id="open-action-launch"),
    pytest.param(with_link_launching_a_program, LAUNCH, id="link-launch"),
    pytest.param(with_annotation_aa_launch, LAUNCH, id="annotation-aa-launch"),
    pytest.param(with_attachment, EMBEDDED, id="embedded-file"),
    pytest.param(with_file_attachment_annotation, EMBEDDED, id="file-attachment-annotation"),
    pytest.param(with_zip_appended, APPENDED, id="zip-appended"),
    pytest.param(with_html_after_a_second_eof_marker, APPENDED, id="html-appended"),
]


def plain_pdf() -> bytes:
    return pdf_bytes()


def with_web_link_and_page_destination() -> bytes:
    """What ordinary PDFs have: a web link, and an /OpenAction that shows page 1."""
    writer = annotate(blank(), DictionaryObject(
        {name("/A"): action("/URI", URI=TextStringObject("https://www.cms.gov/"))}))
    writer._root_object[name("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, name("/Fit")])
    return written(writer)


def with_trailing_white_space() -> bytes:
    """Writers pad after %%EOF with line ends or NUL bytes: white space to a PDF."""
    return written(blank()) + b"\r\n\x00\x00\x00\n  \n"


def with_incremental_update() -> bytes:
    """A PDF saved again in place (a second revision after the first %%EOF): a signed PDF
    is often made this way."""
    first = io.BytesIO(plain_pdf())
    writer = PdfWriter(first, incremental=True)
    writer.add_metadata({"/Title": "Data Use Agreement, signed"})
    data = written(writer)
    assert data.count(b"%%EOF") == 2
    return data


GOOD_PDFS = [
    pytest.param(plain_pdf, id="plain"),
    pytest.param(with_web_link_and_page_destination, id="web-link-and-destination"),
    pytest.param(with_trailing_white_space, id="trailing-white-space"),
    pytest.param(with_incremental_update, id="incremental-update"),
]


# --- Through the pages ------------------------------------------------------------------


@pytest.fixture
def contract(people, freeze_today):
    """`mine`, onboarding, SAS Viya (needs a DUA) approved, its request approved."""
    freeze_today(TODAY)
    mine = people["mine"]
    approved_for_onboarding(mine, people["cor"])
    return mine


def upload_dua(client, people, contract, content: bytes):
    client.force_login(people["so"])
    return client.post(reverse("access:dua_upload", args=[contract.pk]), {
        "number": "DUA-2", "effective_date": "2026-11-20", "expiry_date": "2027-11-30",
        "services": [Service.objects.get(slug="sas-viya").pk],
        "document": pdf_upload("signed-dua.pdf", content),
    })


def record_call(client, people, contract, content: bytes):
    client.force_login(people["onboarding_team"])
    return client.post(reverse("onboarding:calls", args=[contract.pk]), {
        "held_on": "2026-11-20", "topics": ["templates"],
        "outcome": "Templates shared with the SO.",
        "documents": [pdf_upload("minutes.pdf", content)],
    })


def stored_files(settings) -> list:
    media = settings.MEDIA_ROOT
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.mark.parametrize(("build", "message"), BAD_PDFS)
def test_the_dua_page_refuses_a_pdf_that_runs_or_carries_something(
        client, people, contract, settings, build, message):
    response = upload_dua(client, people, contract, build())

    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    assert f"Signed DUA (PDF): {message}" in page  # the error summary names the field
    assert 'value="DUA-2"' in response.content.decode()  # what was typed is kept
    assert not DataUseAgreement.objects.exists()
    assert not AuditEvent.objects.filter(action="access.dua_uploaded").exists()
    assert not OutboxEmail.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(("build", "message"), BAD_PDFS)
def test_a_call_document_that_runs_or_carries_something_is_refused(
        client, people, contract, settings, build, message):
    response = record_call(client, people, contract, build())

    assert response.status_code == 400
    page = text_of(response)
    assert f"minutes.pdf: {message}" in page
    assert "Templates shared with the SO." in page
    assert not TouchPointCall.objects.exists()
    assert not CallDocument.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("build", GOOD_PDFS)
def test_ordinary_pdfs_are_still_accepted_on_both_pages(client, people, contract, build):
    content = build()

    dua_response = upload_dua(client, people, contract, content)
    call_response = record_call(client, people, contract, content)

    assert dua_response.status_code == 302, text_of(dua_response)
    assert call_response.status_code == 302, text_of(call_response)
    dua = DataUseAgreement.objects.get()
    with dua.document.open("rb") as stored:
        assert stored.read() == content
    assert CallDocument.objects.get().name == "minutes.pdf"

