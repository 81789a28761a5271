"""Reading and writing the roster as CSV.

`parse` turns an uploaded file into rows (it checks the file, not the people: the rows are
checked against Muster by `checking.check_rows`). `write` writes the roster export, with
every cell that a spreadsheet would run as a formula made inert.
"""

import csv
import io
from dataclasses import dataclass, field

from muster.spreadsheets import inert

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
REQUIRED = ("full_name", "email", "harp_id")
OPTIONAL = ("services",)
# Header spellings people type, mapped to the column they mean.
ALIASES = {
    "full_name": "full_name", "fullname": "full_name", "name": "full_name",
    "email": "email", "email_address": "email", "e-mail": "email",
    "harp_id": "harp_id", "harpid": "harp_id", "harp": "harp_id", "harp_user_id": "harp_id",
    "services": "services", "service": "services",
}
# The import reads the first four (by name); it reports the others as ignored columns, so
# an export can be uploaded again as it is. eua_check last: files read by position before
# it was added keep their columns.
EXPORT_COLUMNS = ("full_name", "email", "harp_id", "service", "status", "eua_job_code",
                  "eua_check")

FORMAT_HINT = (
    "Upload a CSV file (comma-separated, UTF-8) whose first row names the columns "
    "full_name, email, harp_id and, if you like, services."
)


class CsvError(Exception):
    """The file cannot be read as a roster; the message tells the person what to do."""


@dataclass
class ParsedFile:
    rows: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _sniff_binary(data: bytes) -> None:
    if data.startswith(b"PK\x03\x04"):
        raise CsvError(
            "This looks like an Excel workbook (.xlsx), not a CSV file. In Excel choose "
            "File › Save As › “CSV UTF-8 (Comma delimited)” and upload that file."
        )
    if data.startswith(b"%PDF"):
        raise CsvError(f"This is a PDF, not a CSV file. {FORMAT_HINT}")
    if b"\x00" in data[:4096]:
        raise CsvError(f"This file is not text, so it is not a CSV file. {FORMAT_HINT}")


def _header_name(cell: str) -> str:
    key = cell.strip().lower().replace(" ", "_")
    return ALIASES.get(key, key)


def split_services(cell: str) -> list[str]:
    """'SAS Viya; confluence' → ['SAS Viya', 'confluence'] (blanks and repeats dropped)."""
    seen = {}
    for part in (cell or "").split(";"):
        part = part.strip()
        if part and part.lower() not in seen:
            seen[part.lower()] = part
    return list(seen.values())


def parse(upload) -> ParsedFile:
    """Rows of an uploaded CSV file: [{line, full_name, email, harp_id, services, errors}].

    UTF-8 with or without a byte-order mark; LF or CRLF line ends; a header row required.
    Raises CsvError (with what to do) for a file that is not such a CSV file.
    """
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CsvError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into "
            f"files of at most {MAX_ROWS:,} users."
        )
    if not data.strip():
        raise CsvError(f"The file is empty. {FORMAT_HINT}")
    _sniff_binary(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvError(
            "The file is not UTF-8 text. In Excel choose “CSV UTF-8 (Comma delimited)” "
            "when you save it, then upload it again."
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next((row for row in reader if any(c.strip() for c in row)), None)
        if header is None:
            raise CsvError(f"The file is empty. {FORMAT_HINT}")
        columns = [_header_name(c) for c in header]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise CsvError(
                "The first row must name the columns full_name, email and harp_id "
                f"(missing: {', '.join(missing)}). {FORMAT_HINT}"
            )
        repeated = sorted({c for c in columns if c and columns.count(c) > 1})
        if repeated:
            raise CsvError(f"The first row names a column twice: {', '.join(repeated)}.")
        parsed = ParsedFile(
            ignored_columns=[h.strip() for h, c in zip(header, columns, strict=True)
                             if c not in REQUIRED + OPTIONAL and h.strip()]
        )
        index = {name: i for i, name in enumerate(columns)}
        width = len(columns)
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(parsed.rows) >= MAX_ROWS:
                raise CsvError(
                    f"The file has more than {MAX_ROWS:,} users. Split it into smaller files."
                )

            def cell(name, cells=cells):
                i = index.get(name)
                return cells[i].strip() if i is not None and i < len(cells) else ""

            errors = []
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                errors.append("This row has more cells than the first row has columns.")
            parsed.rows.append({
                "line": reader.line_num,
                "full_name": cell("full_name"),
                "email": cell("email"),
                "harp_id": cell("harp_id"),
                "services": split_services(cell("services")),
                "errors": errors,
            })
    except csv.Error as error:
        raise CsvError(
            f"Line {reader.line_num} cannot be read as CSV ({error}). Check its quotes, "
            "or save the file again as CSV."
        ) from error
    if not parsed.rows:
        raise CsvError("The file has a header row but no users under it.")
    return parsed



def write(stream, rows) -> None:
    """Write the export: a header, then one row per (member, grant) tuple of strings."""
    writer = csv.writer(stream)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([inert(v) for v in row])
