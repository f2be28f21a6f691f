"""Reading a spreadsheet's CSV export into rows of post fields (`POST /posts/import`, docs/import.md).

Pure: no storage, no clock. What spreadsheets do to a CSV is taken as it comes: a UTF-8 byte order mark,
CRLF line ends, line breaks inside quoted cells, `;` (or tab) as the separator (sniffed from the header
line by `csv.Sniffer`), dates as Excel serial numbers (days since 1899-12-30, the time as the fraction),
blank rows (skipped), and cells that look like formulas (`=HYPERLINK(...)`), which are text and kept
verbatim. Every problem names the line of the file where its row starts (the header is line 1) and the
column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from parley.shared.errors import FieldProblem, ValidationFailed

MAX_ROWS = 1000
COLUMNS = ("text", "channels", "publish_at", "time_zone", "media_urls", "alt_texts", "link", "utm_campaign")
REQUIRED = ("text", "channels")  # publish_at may be left empty per row; its column may be missing
# Other spellings a spreadsheet's header may use, after lower-casing and `_` for spaces and hyphens.
ALIASES = {
    "channel": "channels",
    "time": "publish_at",
    "publish_time": "publish_at",
    "timezone": "time_zone",
    "zone": "time_zone",
    "media": "media_urls",
    "media_url": "media_urls",
    "images": "media_urls",
    "alt_text": "alt_texts",
    "alt": "alt_texts",
    "url": "link",
    "campaign": "utm_campaign",
}
NEXT_SLOT = "next_slot"
_EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0 as Excel counts (its 1900 leap-year bug folded in)
_EXCEL_SERIAL = re.compile(r"^\d{1,6}(\.\d+)?$")
_CHANNEL_SEPARATORS = re.compile(r"[\s|,]+")
_URL_SEPARATORS = re.compile(r"[\s|]+")


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str | None  # None: the row as a whole
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class Row:
    """One row of the file as post fields; `problems` are what is wrong with its cells' forms."""

    line: int
    text: str
    channels: list[str]  # ids or handles, as written
    publish_at: str | None  # ISO (maybe local), or NEXT_SLOT; None: left empty
    time_zone: str | None
    media_urls: list[str] = field(default_factory=list)
    alt_texts: list[str] = field(default_factory=list)
    link: str | None = None
    campaign: str | None = None
    problems: list[RowProblem] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8, with or without a BOM; anything else is refused with where it goes wrong."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationFailed(
            FieldProblem("file", f"line {line} is not UTF-8: save the sheet as 'CSV UTF-8' and try again")
        ) from None


class _Sheet(csv.excel):
    """What spreadsheets write: `"` quotes, doubled inside a quoted cell; the separator is sniffed."""


def dialect_of(text: str) -> type[csv.Dialect]:
    """The separator, sniffed from the header line (its cells are known names, so it cannot mislead). Only the
    separator: a header has no quotes, so what the sniffer would guess of quoting is taken from Excel's."""
    header = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","  # one column, or nothing to tell: commas
    return type("Sheet", (_Sheet,), {"delimiter": delimiter})


def canonical(header: str) -> str:
    name = re.sub(r"[\s-]+", "_", header.strip().lower())
    return ALIASES.get(name, name)


def _header(cells: list[str]) -> list[str]:
    names = [canonical(c) for c in cells]
    problems = []
    unknown = [cells[i].strip() for i, n in enumerate(names) if n not in COLUMNS and n]
    if unknown:
        known = ", ".join(COLUMNS)
        problems.append(FieldProblem("header", f"unknown column(s) {', '.join(unknown)}: the columns are {known}"))
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        problems.append(FieldProblem("header", f"column(s) named twice: {', '.join(twice)}"))
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        problems.append(FieldProblem("header", f"missing column(s): {', '.join(missing)} (line 1 names the columns)"))
    if problems:
        raise ValidationFailed(problems)
    return names


def read(data: bytes, max_rows: int = MAX_ROWS) -> list[Row]:
    """The file's rows (blank ones skipped); file-wide problems (encoding, header, size) raise ValidationFailed."""
    text = decode(data)
    if not text.strip():
        raise ValidationFailed(FieldProblem("file", "is empty: line 1 names the columns, each line after is a post"))
    reader = csv.reader(io.StringIO(text, newline=""), dialect_of(text))
    try:
        names = _header(next(reader))
        rows: list[Row] = []
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue  # a blank row (spreadsheets leave trailing ones)
            if len(rows) == max_rows:
                raise ValidationFailed(FieldProblem("file", f"has more than {max_rows} rows: split it"))
            rows.append(parse_row(line, names, cells))
    except csv.Error as exc:
        raise ValidationFailed(FieldProblem("file", f"line {reader.line_num} cannot be read as CSV: {exc}")) from None
    if not rows:
        raise ValidationFailed(FieldProblem("file", "has no rows after its header"))
    return rows


def parse_row(line: int, names: list[str], cells: list[str]) -> Row:
    problems = []
    extra = [c for c in cells[len(names) :] if c.strip()]
    if extra:
        problems.append(RowProblem(line, None, f"has {len(cells)} cells, the header names {len(names)} columns"))
    values = {n: c for n, c in zip(names, cells, strict=False) if n}
    text = values.get("text", "")
    channels = [c.lstrip("@") for c in _CHANNEL_SEPARATORS.split(values.get("channels", "")) if c]
    if not channels:
        problems.append(
            RowProblem(line, "channels", "name at least one channel (ids or handles, space- or |-separated)")
        )
    zone = values.get("time_zone", "").strip() or None
    publish_at = publish_time(values.get("publish_at", ""))
    urls = [u for u in _URL_SEPARATORS.split(values.get("media_urls", "")) if u]
    alts = [a.strip() for a in values.get("alt_texts", "").split("|")] if values.get("alt_texts", "").strip() else []
    if len(alts) > len(urls):
        problems.append(
            RowProblem(line, "alt_texts", f"{len(alts)} alt texts for {len(urls)} media URLs (separate them with |)")
        )
    link = values.get("link", "").strip() or None
    campaign = values.get("utm_campaign", "").strip() or None
    return Row(line, text, channels, publish_at, zone, urls, alts, link, campaign, problems)


def publish_time(cell: str) -> str | None:
    """The cell as publish_at: ISO as written, an Excel serial as its local date-time, `next_slot`; None if empty."""
    value = cell.strip()
    if not value:
        return None
    if value.lower() == NEXT_SLOT:
        return NEXT_SLOT
    if _EXCEL_SERIAL.match(value):
        return excel_serial(float(value))
    return value


def excel_serial(serial: float) -> str:
    """An Excel date serial (46023.375) as the local date-time it shows (2026-01-01T09:00:00), to the second."""
    moment = _EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))
    return moment.isoformat()


def with_link(text: str, link: str | None) -> str:
    """The post's text with the row's link at its end (not added twice)."""
    if not link or link in text:
        return text
    return f"{text.rstrip()} {link}" if text.strip() else link


@dataclass(frozen=True)
class Part:
    """Some of a file's rows with its header, as the file has them: a request of its own (`parley posts import`
    sends a large file in parts so that each fits a request's time). `lines` maps each row's first line in the
    part to its line in the file."""

    header: str
    rows: tuple[tuple[int, str], ...]  # (the row's first line in the file, its text as in the file)

    @property
    def body(self) -> bytes:
        return (self.header + "".join(text for _, text in self.rows)).encode("utf-8")

    @property
    def lines(self) -> dict[int, int]:
        line = self.header.count("\n") + 1
        found = {}
        for file_line, text in self.rows:
            found[line] = file_line
            line += text.count("\n")
        return found

    def halves(self) -> list[Part]:
        middle = len(self.rows) // 2
        return [Part(self.header, self.rows[:middle]), Part(self.header, self.rows[middle:])]


def parts(data: bytes, size: int) -> list[Part]:
    """The file's rows (blank ones left out) in parts of `size`, each with the header; file-wide problems raise
    ValidationFailed as `read` does (the server reads each part again: this split only keeps rows whole)."""
    read(data)  # the same refusals as one request would give (encoding, header, size)
    text = decode(data)
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), dialect_of(text))
    next(reader)
    header_end = reader.line_num
    if not lines[header_end - 1].endswith(("\n", "\r")):
        lines[header_end - 1] += "\r\n"
    rows: list[tuple[int, str]] = []
    start = header_end + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if any(c.strip() for c in cells):
            row_text = "".join(lines[line - 1 : reader.line_num])
            rows.append((line, row_text if row_text.endswith(("\n", "\r")) else row_text + "\r\n"))
    header = "".join(lines[:header_end])
    return [Part(header, tuple(rows[i : i + size])) for i in range(0, len(rows), size)]
