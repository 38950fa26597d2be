"""Error values stored in cells (#DIV/0!, #REF!, #N/A …), which calamine reads
as empty strings: found in the file itself and put back into the rows as
`CellError` values, so that an error is reported naming its cell instead of
being read as "not reported".

- .xlsx/.xlsm: a cell `<c t="e">` whose `<v>` holds the code;
- .xls: a BOOLERR record with its error flag, or a FORMULA record whose
  cached result is an error;
- .ods: LibreOffice writes an error result as `calcext:value-type="error"`
  (with office:value-type="string" and an empty string-value, which is what
  calamine reads) and the text shown (#DIV/0!, #N/A, Err:502 …) in text:p.

Positions are those of calamine's `to_python(skip_empty_area=False)` grid,
which starts at A1. The file has passed `guards.archive_problem` already;
any failure here leaves the rows as they are.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
import zipfile
from typing import TYPE_CHECKING

from dvk_cli.core.cells import CellError

if TYPE_CHECKING:
    from dvk_cli.reading.package import Package

# BIFF error codes (MS-XLS 2.5.97.2 BErr)
XLS_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
              0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}

Sheets = list[tuple[str, list[list]]]

_MAX_PART = 64 * 1024 * 1024  # never inflate more than this of one part here


def mark_error_cells(raw: bytes, suffix: str, sheets: Sheets, package: Package | None = None) -> None:
    """Replace, in place, each cell of `sheets` that holds an error value in
    the workbook `raw` by a CellError with the spreadsheet's error code.
    `package`: the same bytes, with the archive opened and the parts the
    guard inflated (package.py), read from there instead of again."""
    try:
        if raw.startswith(b"\xd0\xcf\x11\xe0"):
            _mark_xls(raw, sheets)
        elif raw.startswith(b"PK"):
            if package is not None:
                _mark_zip(package.zip(), sheets, package)
                return
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                _mark_zip(z, sheets, None)
    except Exception:  # noqa: BLE001 - a damaged part only loses this extra check
        return


def _mark_zip(z: zipfile.ZipFile, sheets: Sheets, package: Package | None) -> None:
    names = {n.lower(): n for n in z.namelist()}
    if "content.xml" in names and not any(n.endswith("workbook.xml") for n in names):
        _mark_ods(_read(z, names["content.xml"], package), sheets)
    else:
        _mark_xlsx(z, sheets, package)


def _put(sheets: Sheets, index: dict[str, list[list]], sheet: str, row: int, col: int,
         code: str) -> None:
    rows = index.get(unicodedata.normalize("NFC", sheet))
    if rows is None or row < 0 or col < 0 or row >= len(rows) or col >= len(rows[row]):
        return
    value = rows[row][col]
    if value in ("", None) or (isinstance(value, str) and value.strip() == code):
        rows[row][col] = CellError(code or "#ERROR!")


def _read(z: zipfile.ZipFile, name: str, package: Package | None = None) -> bytes:
    if package is not None:
        kept = package.parts.get(z.getinfo(name))
        if kept is not None:  # the whole part, as zipfile gives it
            return kept[:_MAX_PART]
    with z.open(name) as member:
        data = member.read(_MAX_PART + 1)
    return data[:_MAX_PART]


# ------------------------------------------------------------------ .xlsx

_NOT_SHEETS = ("xl/theme/", "docprops/", "_rels/", "xl/_rels/", "customxml/", "[content_types]")
_NOT_SHEET_FILES = ("styles.xml", "sharedstrings.xml", "workbook.xml", "calcchain.xml")
_ERROR_TYPE = re.compile(rb"\st\s*=\s*[\"']e[\"']")
_XLSX_TAG = re.compile(rb"<(?:[\w.\-]+:)?(c|row)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
                       rb"|</(?:[\w.\-]+:)?(row)\s*>")
_R = re.compile(rb"(?:^|[\s\"'])r\s*=\s*[\"']([A-Za-z]*)([0-9]+)[\"']")
_V = re.compile(rb"<(?:[\w.\-]+:)?v(?:\s[^>]*)?>([^<]*)</(?:[\w.\-]+:)?v\s*>")
_CELL_END = re.compile(rb"</(?:[\w.\-]+:)?c\s*>")


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1


# A quoted e, looked for as a literal: `re` finds one faster than `bytes in
# bytes` does a needle of three bytes (see guards._LT_LT).
_QUOTED_E, _SINGLE_QUOTED_E = re.compile(rb'"e"'), re.compile(rb"'e'")


def _may_hold_errors(data: bytes) -> bool:
    """Whether a part holds t="e" (_ERROR_TYPE): searched only where a
    quoted e ("e" or 'e') occurs. "'e'" holds a single quote: it is looked
    for only in a part that has one, which a one-byte search tells quickly;
    most parts have none."""
    return ((_QUOTED_E.search(data) is not None
             or (b"'" in data and _SINGLE_QUOTED_E.search(data) is not None))
            and _ERROR_TYPE.search(data) is not None)


def _mark_xlsx(z: zipfile.ZipFile, sheets: Sheets, package: Package | None = None) -> None:
    from dvk_cli.reading.guards import workbook_sheets

    # Most files hold no error cell: look for the markup first, in C, before
    # finding which part is which sheet.
    flagged: dict[str, bytes] = {}
    for info in z.infolist():
        low = info.filename.lower()
        if not low.endswith(".xml") or low.startswith(_NOT_SHEETS) or low.endswith(_NOT_SHEET_FILES):
            continue
        data = _read(z, info.filename, package)
        if _may_hold_errors(data):
            flagged[info.filename] = data
    if not flagged:
        return
    index = {name: rows for name, rows in sheets}
    for sheet, part in workbook_sheets(z):
        if part not in flagged or unicodedata.normalize("NFC", sheet) not in index:
            continue
        data = flagged[part]
        row = col = 0
        for m in _XLSX_TAG.finditer(data):
            name, attrs, end = m.groups()
            if end is not None:
                row, col = row + 1, 0
                continue
            ref = _R.search(attrs)
            if name == b"row":
                if ref:
                    row = int(ref.group(2)) - 1
                if attrs.endswith(b"/"):
                    row, col = row + 1, 0
                continue
            r, c = row, col
            if ref:
                r = int(ref.group(2)) - 1
                c = col = _col(ref.group(1)) if ref.group(1) else col
            col += 1
            if attrs.endswith(b"/") or not _ERROR_TYPE.search(attrs):
                continue
            stop = _CELL_END.search(data, m.end())
            v = _V.search(data, m.end(), stop.start() if stop else len(data))
            code = html.unescape(v.group(1).decode("utf-8", "replace")).strip() if v else ""
            _put(sheets, index, sheet, r, c, code)


# ------------------------------------------------------------------ .xls

def _mark_xls(raw: bytes, sheets: Sheets) -> None:
    from dvk_cli.reading.oleguard import sheet_offsets, sheet_records, workbook_stream

    stream = workbook_stream(raw)
    if stream is None:
        return
    index = {name: rows for name, rows in sheets}
    for sheet, offset in sheet_offsets(stream):
        if unicodedata.normalize("NFC", sheet) not in index:
            continue
        for typ, start, end in sheet_records(stream, offset):
            if typ == 0x0205 and end - start >= 8 and stream[start + 7] == 1:  # BOOLERR, fError
                _put(sheets, index, sheet, *_rc(stream, start), XLS_ERRORS.get(stream[start + 6], ""))
            elif (typ == 0x0006 and end - start >= 20 and stream[start + 6] == 0x02
                  and stream[start + 12:start + 14] == b"\xff\xff"):  # FORMULA, cached error
                _put(sheets, index, sheet, *_rc(stream, start), XLS_ERRORS.get(stream[start + 8], ""))


def _rc(stream: bytes, start: int) -> tuple[int, int]:
    return (int.from_bytes(stream[start:start + 2], "little"),
            int.from_bytes(stream[start + 2:start + 4], "little"))


# ------------------------------------------------------------------ .ods

_ODS_TAG = re.compile(
    rb"<(?:[\w.\-]+:)?(table|table-row|table-cell|covered-table-cell)(?=[\s/>])"
    rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    rb"|</(?:[\w.\-]+:)?(table-row|table-cell|covered-table-cell)\s*>")
_ODS_ERROR = re.compile(rb"value-type\s*=\s*[\"']error[\"']")
_ROWS = re.compile(rb"number-rows-repeated\s*=\s*[\"']\s*([0-9]{1,7})")
_COLS = re.compile(rb"number-columns-repeated\s*=\s*[\"']\s*([0-9]{1,7})")
_TABLE_NAME = re.compile(rb"(?:^|\s)(?:[\w.\-]+:)?name\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TAGS = re.compile(rb"<[^>]*>")


def _mark_ods(content: bytes, sheets: Sheets) -> None:
    if not _ODS_ERROR.search(content):
        return
    index = {name: rows for name, rows in sheets}
    sheet = ""
    row = col = 0
    row_repeat = 1
    error_at: tuple[int, int, int] | None = None  # (start of text, col, columns repeated)
    for m in _ODS_TAG.finditer(content):
        name, attrs, end = m.groups()
        if end == b"table-row":
            row += row_repeat
            continue
        if end is not None:  # the end of a cell: its text is the error shown
            if error_at is not None:
                start, c, n = error_at
                text = html.unescape(_TAGS.sub(b"", content[start:m.start()]).decode("utf-8", "replace"))
                for r in range(row, min(row + row_repeat, row + 10_000)):
                    for k in range(c, min(c + n, c + 10_000)):
                        _put(sheets, index, sheet, r, k, text.strip())
                error_at = None
            continue
        if name == b"table":
            found = _TABLE_NAME.search(attrs)
            sheet = html.unescape((found.group(1) or found.group(2)).decode("utf-8", "replace")) if found else ""
            row = 0
        elif name == b"table-row":
            col = 0
            rep = _ROWS.search(attrs)
            row_repeat = int(rep.group(1)) if rep else 1
            if attrs.endswith(b"/"):
                row += row_repeat
        else:
            rep = _COLS.search(attrs)
            n = int(rep.group(1)) if rep else 1
            if _ODS_ERROR.search(attrs) and not attrs.endswith(b"/"):
                error_at = (m.end(), col, n)
            col += n
