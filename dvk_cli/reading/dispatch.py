"""Reading returns: one workbook (.xlsx, .xlsm, .xls, .ods) in, plain data out.

The reader never relies on fixed cell addresses. It looks for the header
labels ("Đơn vị báo cáo", "Mã đơn vị", "Kỳ báo cáo") and for the table header
("Mã" … "Số liệu") anywhere on any sheet, then reads every row whose Mã cell
holds a catalog code. Everything it cannot read without guessing becomes a
finding naming the file, sheet and cell.
"""

from __future__ import annotations

import errno
import hashlib
import io
import math
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, NamedTuple

from dvk_cli.core.catalog import Catalog
from dvk_cli.core.cells import CellError, cell_ref
from dvk_cli.core.files import readable_path, resolve, resolve_folder
from dvk_cli.core.numbers import fmt_number
from dvk_cli.core.text import fold_label_str
from dvk_cli.reading.header import read_header
from dvk_cli.reading.long import long_layout, read_table
from dvk_cli.reading.models import MODEL_NAME_HEADERS, read_any_models
from dvk_cli.reading.returns import (
    VALUE_HEADERS,
    ReturnData,
    find_header_row,
    label_index,
    unreadable,
)

if TYPE_CHECKING:
    from dvk_cli.reading.mapping import Mapping
    from dvk_cli.reading.package import Package

EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods"}


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_ZIP_MAGIC = b"PK\x03\x04"


_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


@dataclass(frozen=True)
class Content:
    """What a file holds, from its bytes (never from its name)."""

    kind: str  # xlsx | xls | xlsb | ods | encrypted | zip (unknown archive) | other
    suffix: str  # the extension that content has (".xls"), "" when not a workbook
    label: str  # Vietnamese, for messages: "tệp Excel 97-2003 (.xls)"


_WORKBOOK_LABELS = {
    ".xlsx": "tệp Excel (.xlsx)",
    ".xlsm": "tệp Excel có macro (.xlsm)",
    ".xlsb": "tệp Excel nhị phân (.xlsb)",
    ".xls": "tệp Excel 97-2003 (.xls)",
    ".ods": "bảng tính OpenDocument (.ods)",
}


def _workbook(suffix: str) -> Content:
    kind = {".xlsm": "xlsx"}.get(suffix, suffix.lstrip("."))
    return Content(kind, suffix, _WORKBOOK_LABELS[suffix])


def _other(label: str) -> Content:
    return Content("other", "", label)


def sniff(raw: bytes, package: Package | None = None) -> Content:
    """The file type from the content: OLE2 (.xls, or an encrypted Office
    file), zip (.xlsx/.xlsm/.xlsb/.ods, or a Word/PowerPoint file), or
    something else named as well as it can be (PDF, HTML, text, image).
    `package`: the same bytes with the archive already opened (package.py)."""
    if raw.startswith(_OLE_MAGIC):
        return _ole_content(raw)
    if raw.startswith(b"PK"):
        return _zip_content(raw, package)
    return _other_content(raw)


def _ole_content(raw: bytes) -> Content:
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(raw)) as ole:
            names = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # noqa: BLE001 - a damaged directory: fall back on the bytes
        names = None
    if names is None:
        if _ENCRYPTION_STREAM in raw:
            return Content("encrypted", "", "tệp được đặt mật khẩu")
        return _workbook(".xls")  # calamine says whether it is one
    if "encryptioninfo" in names or "encryptedpackage" in names:
        return Content("encrypted", "", "tệp được đặt mật khẩu")
    if "workbook" in names or "book" in names:
        return _workbook(".xls")
    if "worddocument" in names:
        return _other("tài liệu Word 97-2003 (.doc)")
    if "powerpoint document" in names:
        return _other("bản trình chiếu PowerPoint 97-2003 (.ppt)")
    return _workbook(".xls")  # an unknown OLE2 file: calamine says whether it is a workbook


_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "văn bản OpenDocument (.odt)",
    "application/vnd.oasis.opendocument.presentation": "bản trình chiếu OpenDocument (.odp)",
}


def _zip_content(raw: bytes, package: Package | None = None) -> Content:
    try:
        if package is None:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                names = set(z.namelist())
                mimetype = ""
                if "mimetype" in names and z.getinfo("mimetype").file_size < 200:
                    mimetype = z.read("mimetype").decode("ascii", "replace").strip()
        else:
            z = package.zip()
            names = set(z.namelist())
            mimetype = ""
            if "mimetype" in names and z.getinfo("mimetype").file_size < 200:
                mimetype = package.read("mimetype").decode("ascii", "replace").strip()
    except Exception:  # noqa: BLE001 - damaged: the parser reports it
        return Content("zip", "", "tệp nén")
    if "xl/workbook.xml" in names:
        return _workbook(".xlsm" if "xl/vbaProject.bin" in names else ".xlsx")
    if "xl/workbook.bin" in names:
        return _workbook(".xlsb")
    if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return _workbook(".ods")
    if "word/document.xml" in names:
        return _other("tài liệu Word (.docx)")
    if "ppt/presentation.xml" in names:
        return _other("bản trình chiếu PowerPoint (.pptx)")
    for prefix, label in _OPENDOCUMENT.items():
        if mimetype.startswith(prefix):
            return _other(label)
    return Content("zip", "", "tệp nén")


_MAGIC_LABELS = (
    (b"%PDF", "tệp PDF"),
    (b"{\\rtf", "tài liệu RTF (Word)"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"GIF8", "ảnh GIF"),
    (b"Rar!", "tệp nén RAR (cần giải nén)"),
    (b"7z\xbc\xaf\x27\x1c", "tệp nén 7z (cần giải nén)"),
    (b"\x1f\x8b", "tệp nén gzip (cần giải nén)"),
)


def _other_content(raw: bytes) -> Content:
    for magic, label in _MAGIC_LABELS:
        if raw.startswith(magic):
            return _other(label)
    head = raw[:4096]
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom):].decode(codec, "replace")
            break
    else:
        if b"\x00" in head:
            return _other("")
        text = head.decode("utf-8", "replace")
    folded = text.lstrip().lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in folded:
        return _other("bảng tính XML 2003 (XML Spreadsheet)")
    if folded.startswith(("<!doctype html", "<html", "<table", "<meta", "<head")) or "<html" in folded[:512]:
        return _other("trang HTML (thường do phần mềm xuất ra)")
    if folded.startswith("<?xml"):
        return _other("tệp XML")
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.95 * max(len(text), 1):
        lines = [line for line in text.splitlines() if line.strip()][:10]
        if len(lines) >= 2 and all(any(sep in line for sep in ",;\t") for line in lines):
            return _other("tệp văn bản CSV")
        return _other("tệp văn bản")
    return _other("")


def _same_family(suffix: str, content: Content) -> bool:
    ooxml = {".xlsx", ".xlsm"}
    return suffix == content.suffix or (suffix in ooxml and content.suffix in ooxml)


def read_return(path: Path, catalog: Catalog, display: str | None = None,
                mapping: Mapping | None = None, *, sheet: str | None = None) -> ReturnData:
    """Read one return. Never raises for bad input: problems become findings.

    With a `mapping` (a layout nothing else can read), the cells it names are
    read instead of looking for the table. `sheet` (dvk.toml [reading]
    sheet) names the data sheet of any workbook that has a sheet so named.

    Whatever the file does to the parsers (an OS error, a Rust panic, an
    overflow, a recursion too deep) becomes a finding naming the file; only
    KeyboardInterrupt, SystemExit and MemoryError (which the worker that
    reads the file reports with its limit) propagate.
    """
    data = ReturnData(path=readable_path(display or str(path)))
    try:
        return _read(Path(path), catalog, data, mapping, sheet)
    except (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
        raise
    except BaseException as exc:  # a Rust panic (PanicException) is a BaseException
        return _failed(ReturnData(path=data.path, sha256=data.sha256), Path(path), exc)


def _read(path: Path, catalog: Catalog, data: ReturnData, mapping: Mapping | None,
          sheet: str | None) -> ReturnData:
    from dvk_cli.reading.guards import current_limits

    info = path.stat()
    if stat.S_ISDIR(info.st_mode):  # a folder find_returns could not list
        return _folder_unreadable(data, path)
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device never ends: never read one
        return unreadable(data, "not_a_workbook", "không phải tệp thông thường (thiết bị, ống dẫn…), "
                                                   "không đọc.")
    limit = current_limits().max_unpacked
    if info.st_size > limit:  # never read a file larger than any return could be into memory
        return _too_large(data, info.st_size, limit)
    with open(path, "rb") as fh:
        raw = fh.read(info.st_size)  # (never read(limit): that allocates the whole limit)
        while more := fh.read(1 << 20):  # bounded even if the file grows while it is read
            raw += more
            if len(raw) > limit:
                return _too_large(data, len(raw), limit)
    data.sha256 = hashlib.sha256(raw).hexdigest()
    if not raw:
        return unreadable(data, "file_empty", "tệp rỗng (0 byte), không có dữ liệu.")
    from dvk_cli.reading.package import Package

    package = Package(raw)  # a zip's directory read and its parts inflated once
    try:
        return _parse(path, catalog, data, mapping, sheet, package)
    finally:
        package.close()


def _parse(path: Path, catalog: Catalog, data: ReturnData, mapping: Mapping | None,
           sheet: str | None, package: Package) -> ReturnData:
    raw = package.raw
    named = path.suffix.lower()
    from dvk_cli.reading.guards import (
        archive_problem,  # zip bombs, huge sheets: refused before parsing
    )

    if hostile := archive_problem(package):
        return unreadable(data, *hostile)
    content = sniff(raw, package)
    if content.kind == "encrypted":
        return unreadable(
            data, "file_encrypted",
            "tệp được đặt mật khẩu. Đề nghị đơn vị gỡ mật khẩu (File > Info > Protect Workbook) rồi gửi lại.",
        )
    if content.kind == "other":
        if content.label:
            return unreadable(
                data, "not_a_workbook",
                f"không phải bảng tính mà là {content.label} được đặt đuôi {named or '(không đuôi)'}. "
                "Đề nghị đơn vị gửi lại biểu báo cáo dạng .xlsx (nếu tệp mở được bằng Excel: "
                "chọn Lưu thành – Save As – “Excel Workbook (.xlsx)”).",
            )
        return unreadable(
            data, "not_a_workbook",
            "không phải tệp Excel hoặc ODS (có thể là tệp khác bị đổi đuôi). Đề nghị đơn vị gửi lại tệp .xlsx.",
        )
    if content.suffix and named and not _same_family(named, content):
        data.add("info", "extension_mismatch",
                 f"Tệp {data.path}: tệp có đuôi {named} nhưng thực chất là {content.label}; dvk đọc "
                 "theo nội dung thật của tệp. Đề nghị đơn vị lưu lại đúng định dạng khi gửi lần sau.")
    suffix = content.suffix or named  # what errorcells and the formula check parse

    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    hidden: set[str] = set()
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheets = []
        for meta in workbook.sheets_metadata:
            if str(meta.typ).endswith("WorkSheet"):
                rows = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
                name = unicodedata.normalize("NFC", meta.name)
                sheets.append((name, rows))
                if not str(meta.visible).endswith(".Visible"):
                    hidden.add(name)
    except PasswordError:
        return unreadable(data, "file_encrypted", "tệp được đặt mật khẩu. Đề nghị đơn vị gỡ mật khẩu rồi gửi lại.")
    except (CalamineError, zipfile.BadZipFile, ValueError, OSError) as exc:
        return unreadable(
            data, "file_corrupt",
            f"tệp bị hỏng, không đọc được ({type(exc).__name__}). Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại.",
        )
    except (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
        raise
    except BaseException as exc:  # calamine raises plain exceptions, or panics, on some damaged files
        return _corrupt(data, exc)

    if not any(any(c not in ("", None) for c in row) for _, rows in sheets for row in rows):
        return unreadable(data, "file_empty", "bảng tính không có dữ liệu.")

    from dvk_cli.reading.errorcells import mark_error_cells

    mark_error_cells(raw, suffix, sheets, package)
    # What each sheet's texts say (legacy text, header names), each distinct
    # text looked at once (_sheet_texts); found again when _convert_legacy
    # changed texts in place.
    texts = [_sheet_texts(rows) for _, rows in sheets]
    _convert_legacy(data, sheets, texts)
    if data.legacy_cells:
        texts = [_sheet_texts(rows) for _, rows in sheets]
    if mapping is not None:
        from dvk_cli.reading.mapping import read_with_mapping

        read_with_mapping(data, sheets, catalog, mapping)
        read_any_models(data, sheets)
        return data

    # The data sheet: the one whose long table ("Mã"/"Chỉ tiêu" … "Số liệu")
    # holds the most values, then recognises the most indicators (a
    # consolidated workbook also lists codes on other sheets). Two full
    # tables that disagree are an error, never a choice; a smaller one with
    # other figures is a warning, the file summed from the fuller one (see
    # _pick_table and _other_table).
    index = label_index(catalog)
    tables: list[_Table] = []
    chosen = _named_sheet(sheets, sheet)
    for (name, rows), said in zip(sheets, texts, strict=True):
        if chosen is not None and name != chosen:
            continue
        if said is not None and VALUE_HEADERS.isdisjoint(said.heads):
            # No cell folds into a value header ("Số liệu" …): long_layout
            # looks for a table only below a row holding one, and gives None.
            continue
        layout = long_layout(rows, catalog, index)
        if layout is None:
            continue
        score, header_row, cols = layout
        tables.append(_Table(name, rows, score, header_row, cols, hidden=name in hidden))
    if not tables:
        if chosen is not None:
            return unreadable(
                data, "no_indicator_codes",
                f"trang “{chosen}” (trang số liệu theo dvk.toml, mục [reading] sheet) không có bảng "
                "số liệu (cột “Mã” hoặc “Chỉ tiêu” và cột “Số liệu”) có chỉ tiêu nào trong danh mục.",
            )
        from dvk_cli.reading.wide import read_wide

        if read_wide(data, sheets, catalog, index):
            read_header(data, data.sheet, dict(sheets)[data.sheet])
            for part in data.parts:
                part.period_text = part.period_text or data.period_text
                part.header_cells.setdefault("period", data.header_cells.get("period", ""))
            return data
        # (no sheet chosen and no table: every sheet was looked at, none holds one)
        if _any_code(sheets, catalog):
            return unreadable(
                data, "no_value_column",
                "có mã chỉ tiêu nhưng không tìm thấy hàng tiêu đề có cột “Mã” và cột “Số liệu”.",
            )
        if any(not MODEL_NAME_HEADERS.isdisjoint(said.heads) if said is not None
               else find_header_row(rows, [MODEL_NAME_HEADERS]) is not None
               for (_, rows), said in zip(sheets, texts, strict=True)):
            return unreadable(
                data, "no_indicator_codes",
                "tệp chỉ có danh sách mô hình, không có bảng số liệu (cột “Mã” hoặc “Chỉ tiêu” "
                "và cột “Số liệu”). Đề nghị đơn vị gửi biểu đủ cả trang số liệu (lệnh dvk "
                "template tạo biểu mẫu có cả hai trang).",
            )
        return unreadable(
            data, "no_indicator_codes",
            "không tìm thấy bảng số liệu (cột “Mã” hoặc “Chỉ tiêu” và cột “Số liệu”) có chỉ tiêu "
            "nào trong danh mục. Đề nghị đơn vị dùng biểu mẫu do dvk tạo (lệnh dvk template), "
            "hoặc khai báo tệp ánh xạ (xem dvk inspect).",
        )
    best = _pick_table(data, tables, catalog, index)
    if best is None:
        return data  # two full tables disagree: said in data.findings
    data.sheet = best.name
    data.readable = True
    data.layout = "biểu dọc"
    read_header(data, best.name, best.rows)
    read_table(data, best.name, best.rows, catalog, index, best.header_row, best.cols,
                package if suffix in {".xlsx", ".xlsm"} else None)
    # A sheet where no cell folds into a models header ("Tên mô hình") has no
    # models list: read_models reads one only below a row holding one (and is
    # False, having changed nothing, on the others).
    read_any_models(data, [sheet for sheet, said in zip(sheets, texts, strict=True)
                           if said is None or not MODEL_NAME_HEADERS.isdisjoint(said.heads)])
    return data


def _any_code(sheets: list[tuple[str, list[list]]], catalog: Catalog) -> bool:
    """Whether a text cell of any sheet is a catalog code (said apart from a
    file without any: "codes but no header row"). Only a file with no table
    needs it, so it is looked for only then."""
    codes = set(catalog.codes)
    return any(isinstance(c, str) and c.strip().upper() in codes
               for _, rows in sheets for row in rows for c in row)


@dataclass
class _Table:
    """A long table found on one sheet."""

    name: str
    rows: list[list]
    score: int  # rows recognised as indicators
    header_row: int
    cols: dict
    hidden: bool = False
    values: dict[str, tuple[float | int, str]] | None = None  # code -> (value, cell)


# A second table is "full" when it holds at least this share of the values
# of the fullest one: a small summary (a few key figures) next to the data
# table is not a rival, an old copy of the whole table is.
_RIVAL_SHARE = 0.5


def _pick_table(data: ReturnData, tables: list[_Table], catalog: Catalog, index) -> _Table | None:
    """The table to read, or None (with an error in data) when the workbook
    holds two full tables with different figures: an old hidden sheet "cũ"
    first and the visible "Biểu số liệu" second must not be summed silently.

    One table: it. Several: each is read on the side; the one with the most
    values wins (then the most indicators, then the first); another one
    holding at least half as many values, and different ones, is a rival.
    A hidden table never wins silently over a visible one that has values.
    A smaller table whose figures differ from the winner's is a warning
    (other_data_table), never silence.
    """
    if len(tables) == 1:
        return tables[0]
    for table in tables:
        scratch = ReturnData(path=data.path)
        read_table(scratch, table.name, table.rows, catalog, index, table.header_row, table.cols, None)
        table.values = {v.code: (v.value, v.cell) for v in (*scratch.values, *scratch.computed)}
    best = max(tables, key=lambda t: (len(t.values or {}), t.score))
    most = len(best.values or {})
    if most == 0:
        return max(tables, key=lambda t: t.score)  # blank forms only: as before
    rivals = [t for t in tables if t is not best and t.values and (
        # a hidden table never wins silently over a visible one that has values
        (best.hidden and not t.hidden and _numbers(t) != _numbers(best))
        # a table half as full with other figures; one that repeats part of
        # the table read with the same figures is no rival
        or (len(t.values) >= _RIVAL_SHARE * most and _differences(best, t, catalog)))]
    if not rivals:
        if best.hidden and not any(t.values for t in tables if not t.hidden):
            data.add("info", "data_sheet_hidden",
                     f"Tệp {data.path}: bảng số liệu nằm ở trang ẩn “{best.name}”; dvk đọc trang này "
                     "vì không trang hiện nào có số liệu.", sheet=best.name)
        for table in tables:
            if table is not best:
                _other_table(data, best, table, catalog)
        return best
    _two_tables(data, [t for t in tables if t is best or t in rivals], catalog)
    return None


# A smaller table that is not a rival is still compared with the one read.
# For this purpose a "table" is a sheet where long_layout finds a header
# ("Mã"/"Chỉ tiêu" … "Số liệu") and the rows below it give at least one
# catalog indicator a number (read_table's values, typed computed ones
# included): a blank form, a sheet of labels or codes without figures, a
# models list (no "Số liệu" column) are never tables, so never compared.
# Its figures "differ" when, for an indicator it gives a number, the table
# read gives another number, or none for an input indicator (a figure the
# file holds that would not be summed). Indicators only the table read has
# are not a difference: a summary repeating a few rows of it, with the same
# figures, says nothing.
def _differences(best: _Table, other: _Table, catalog: Catalog) -> list[str]:
    """The codes whose figures in `other` differ from `best`'s (see above):
    a copy of part of the table with the same figures has none."""
    mine, theirs = best.values or {}, other.values or {}
    return [code for code in catalog.codes if code in theirs and (
        not _same(mine[code][0], theirs[code][0]) if code in mine
        else not catalog[code].computed)]


def _other_table(data: ReturnData, best: _Table, other: _Table, catalog: Catalog) -> None:
    """A warning when a smaller table (`other`, not a rival) gives figures
    that differ from those of the table read (`best`): the file is summed
    from `best`, and the unit, or the person running dvk, is told which
    sheet that is, what the other one says, and how to choose it instead."""
    mine, theirs = best.values or {}, other.values or {}
    differ = _differences(best, other, catalog)
    if not differ:
        return
    # the example: the first indicator both give a number for, else the first one
    code = next((c for c in differ if c in mine), differ[0])
    if code in mine:
        example = f"{code}: {_where(theirs[code], other)}, {_where(mine[code], best)}"
        sheet, cell = best.name, mine[code][1]
    else:
        example = f"{code}: {_where(theirs[code], other)}, không có số liệu ở trang {best.name}"
        sheet, cell = other.name, theirs[code][1]
    named = f"trang “{other.name}”" + (" (trang ẩn)" if other.hidden else "")
    kept = f"trang “{best.name}”" + (" (trang ẩn)" if best.hidden else "")
    data.add("warning", "other_data_table",
             f"Tệp {data.path}: {named} có một bảng số liệu nhỏ hơn ({len(theirs)} chỉ tiêu có số liệu), "
             f"trong đó {len(differ)} số liệu khác bảng dvk đọc ở {kept} (ví dụ {example}). dvk tổng hợp tệp "
             f"theo {kept}. Đề nghị đơn vị xóa trang thừa (kể cả trang ẩn) hoặc sửa cho khớp rồi gửi "
             f"lại; nếu bảng ở {named} mới đúng, ghi trong dvk.toml: [reading] sheet = "
             f"{_toml_string(other.name)}.",
             sheet=sheet, cell=cell, indicator=code)


def _same(a: float | int, b: float | int) -> bool:
    """The same figure (a float's last bit, as a formula may leave it, is not a difference)."""
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _numbers(table: _Table) -> dict[str, float | int]:
    return {code: value for code, (value, _) in (table.values or {}).items()}


def _two_tables(data: ReturnData, tables: list[_Table], catalog: Catalog) -> None:
    def named(t: _Table) -> str:
        return f"trang “{t.name}”" + (" (trang ẩn)" if t.hidden else "")

    listed = ", ".join(named(t) for t in tables[:-1]) + f" và {named(tables[-1])}"
    first, second = tables[0], tables[1]
    a, b = first.values or {}, second.values or {}
    example, sheet, cell = "", first.name, ""
    for code in catalog.codes:
        va, vb = a.get(code), b.get(code)
        if (va is not None or vb is not None) and (va is None or vb is None or va[0] != vb[0]):
            example = f" (ví dụ {code}: {_where(va, first)}, {_where(vb, second)})"
            sheet, cell = (first.name, va[1]) if va is not None else (second.name, vb[1] if vb else "")
            break
    visible = [t for t in tables if not t.hidden]
    keep = (visible or tables)[-1].name
    data.readable = False
    data.add("error", "two_data_tables",
             f"Tệp {data.path}: có {len(tables)} bảng số liệu đầy đủ với số liệu khác nhau — {listed}"
             f"{example}. dvk không đoán bảng nào đúng nên chưa tổng hợp tệp này. Đề nghị đơn vị xóa "
             "trang thừa (kể cả trang ẩn) rồi gửi lại, hoặc ghi trang cần đọc trong dvk.toml: "
             f"[reading] sheet = {_toml_string(keep)}.", sheet=sheet, cell=cell)


def _toml_string(text: str) -> str:
    """`text` as a TOML basic string, as it is to be typed in dvk.toml."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _where(value: tuple[float | int, str] | None, table: _Table) -> str:
    if value is None:
        return f"để trống ở trang {table.name}"
    return f"{fmt_number(value[0], 6)} ở ô {table.name}!{value[1]}"


def _named_sheet(sheets: list[tuple[str, list[list]]], wanted: str | None) -> str | None:
    """The sheet of this workbook that dvk.toml [reading] sheet names, if it has one."""
    if not wanted:
        return None
    key = unicodedata.normalize("NFC", wanted).strip().casefold()
    return next((name for name, _ in sheets if name.strip().casefold() == key), None)


def _too_large(data: ReturnData, size: int, limit: int) -> ReturnData:
    return unreadable(data, "file_too_large",
                       f"tệp quá lớn ({size / 2**20:,.0f} MB, giới hạn {limit / 2**20:,.0f} MB "
                       "theo [limits] max_unpacked_mb), không đọc. Đề nghị đơn vị kiểm tra lại tệp."
                       .replace(",", "."))


def _limit(name: str, default: int) -> int:
    try:
        return int(os.pathconf("/", name))
    except (OSError, ValueError, AttributeError):
        return default


def _os_reason(exc: OSError) -> str:
    """An OS error in Vietnamese (the system's own text is English)."""
    reasons = {
        errno.ENOENT: "tệp không còn ở đó (đã bị xóa, đổi tên hoặc là liên kết hỏng)",
        errno.EACCES: "không có quyền đọc",
        errno.EPERM: "không có quyền đọc",
        errno.ELOOP: "liên kết tượng trưng (symlink) vòng lặp",
        errno.EIO: "lỗi đọc đĩa",
        errno.ENOTDIR: "đường dẫn có phần không phải thư mục",
    }
    if exc.errno in reasons:
        return reasons[exc.errno]
    return f"lỗi hệ điều hành: {readable_path(exc.strerror or type(exc).__name__)}"


def _folder_unreadable(data: ReturnData, path: Path) -> ReturnData:
    try:
        with os.scandir(path):
            pass
        reason = "không liệt kê được nội dung"
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return _too_long(data, path, folder=True)
        reason = _os_reason(exc)
    data.readable = False
    data.add("error", "folder_unreadable",
             f"Thư mục {data.path}: không mở được ({reason}); các biểu trong thư mục này (nếu có) "
             "chưa được đọc.")
    return data


def _is_folder(path: Path) -> bool | None:
    """Whether a path too long to stat is a folder: walked one name at a
    time (each open is relative to the folder before), None if unknown."""
    fds: list[int] = []
    try:
        fds.append(os.open(path.anchor or ".", os.O_RDONLY))
        for part in path.parts[1 if path.anchor else 0:-1]:
            fds.append(os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0), dir_fd=fds[-1]))
        return stat.S_ISDIR(os.stat(path.name, dir_fd=fds[-1]).st_mode)
    except (OSError, NotImplementedError, ValueError):
        return None
    finally:
        for fd in fds:
            os.close(fd)


def _too_long(data: ReturnData, path: Path, folder: bool | None = None) -> ReturnData:
    if folder is None:
        folder = _is_folder(path)
    length = len(os.fsencode(path))
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    name_max, path_max = _limit("PC_NAME_MAX", 255), _limit("PC_PATH_MAX", 4096)
    shown = data.path if len(data.path) <= 160 else f"{data.path[:60]}…{data.path[-90:]}"
    what = {True: "Thư mục", False: "Tệp", None: "Đường dẫn"}[folder]
    if longest > name_max:
        why = (f"một tên trong đường dẫn dài {longest} byte, hệ điều hành cho phép tối đa {name_max} "
               "byte; đề nghị đổi tên ngắn hơn")
    else:
        why = (f"đường dẫn dài {length} byte, hệ điều hành cho phép tối đa {path_max} byte; đề nghị "
               "chuyển lên thư mục nông hơn hoặc rút ngắn tên các thư mục")
    data.readable = False
    data.add("error", "path_too_long",
             f"{what} {shown}: không mở được vì {why}, rồi chạy lại."
             + (" Các biểu trong thư mục này (nếu có) chưa được đọc." if folder else ""))
    return data


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic in a parser (pyo3's PanicException, a BaseException)."""
    return type(exc).__name__ == "PanicException"


def _detail(exc: BaseException) -> str:
    text = readable_path(" ".join(str(exc).split()))
    text = text if len(text) <= 120 else text[:119] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _corrupt(data: ReturnData, exc: BaseException) -> ReturnData:
    why = "bộ đọc bảng tính dừng giữa chừng" if _is_panic(exc) else "không đọc được"
    return unreadable(
        data, "file_corrupt",
        f"tệp bị hỏng, {why} ({_detail(exc)}). Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại.",
    )


def _failed(data: ReturnData, path: Path, exc: BaseException) -> ReturnData:
    """The finding for a file whose reading raised: never the end of the run."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENAMETOOLONG:
            return _too_long(data, path)
        return unreadable(data, "file_unreadable", f"không mở được tệp ({_os_reason(exc)}).")
    if _is_panic(exc):
        return _corrupt(data, exc)
    if isinstance(exc, RecursionError):
        return unreadable(data, "file_corrupt",
                          "tệp có cấu trúc lồng nhau quá sâu, dvk không đọc được. Đề nghị đơn vị mở "
                          "bằng Excel, lưu lại và gửi lại.")
    return unreadable(
        data, "read_failed",
        f"dvk gặp lỗi khi đọc tệp ({_detail(exc)}); tệp chưa được tổng hợp. Đề nghị đơn vị mở bằng "
        "Excel, lưu lại và gửi lại; nếu vẫn lỗi, báo cho người phát triển kèm tệp này.",
    )


# Characters an 8-bit legacy font's bytes turn into (Latin-1 and the cp1252
# extras); a string with none of them cannot be TCVN3 or VNI text.
_LEGACY_HINT = re.compile("[\x80-\xff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                          "\u02c6\u02dc\u2013-\u2026\u2030\u2039\u203a\u20ac\u2122]")


# Letters only Unicode Vietnamese has beyond Latin-1 (ă đ ĩ ũ ơ ư and the
# Vietnamese block ạ ả ấ …): a string with one is Unicode already. The
# Windows-1252 extras (Œ Š Ÿ ƒ) are deliberately not in this set.
_UNICODE_VI = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169"
                         "\u01a0\u01a1\u01af\u01b0\u1ea0-\u1eff]")


def _legacy_test(text: str) -> bool:
    """A text that may be TCVN3 or VNI: some legacy font's character, and no
    letter only Unicode Vietnamese has."""
    return _LEGACY_HINT.search(text) is not None and _UNICODE_VI.search(text) is None


# The same labels and headers come back in every file: the test of a short
# text is remembered (a bounded cache; a long text is tested each time).
_MEMO_LENGTH = 200
_legacy_memo = lru_cache(maxsize=1 << 12)(_legacy_test)


def _may_be_legacy(text: str) -> bool:
    """_legacy_test, remembered for a short text; an ASCII text holds none
    of _LEGACY_HINT's characters: isascii, O(1), skips it."""
    return not text.isascii() and (_legacy_memo(text) if len(text) <= _MEMO_LENGTH
                                   else _legacy_test(text))


def _detected_alone(text: str) -> bool:
    """Whether `text` is detected as TCVN3 or VNI text by itself (without a hint)."""
    from dvk_cli.reading.legacy import detect_legacy

    return detect_legacy(text) is not None


_detected_memo = lru_cache(maxsize=1 << 12)(_detected_alone)


def _may_convert(text: str) -> bool:
    """Whether _convert_legacy could convert a cell holding `text` in some
    file: a candidate that is detected by itself (remembered for a short text)."""
    return _may_be_legacy(text) and (_detected_memo(text) if len(text) <= _MEMO_LENGTH
                                     else _detected_alone(text))


class _Texts(NamedTuple):
    """What the texts of one sheet say (_sheet_texts)."""

    legacy: bool  # one of them may be converted from a legacy encoding (_may_convert)
    heads: set[str]  # the value and models header names they fold into (fold_label)


_HEADS = VALUE_HEADERS | MODEL_NAME_HEADERS


# Texts met before that say nothing to _sheet_texts: not legacy text
# (_may_convert) and folding into no name of _HEADS. Most labels and codes
# of a form are such texts, met in every return, and taken out of a sheet's
# texts in one set difference. Both facts depend on the text alone. Bounded
# (emptied when full); a long text is never kept.
_PLAIN_TEXTS: set[str] = set()
_PLAIN_MAX = 1 << 13


# The types of the cells calamine gives (None for an empty cell in some
# readers), and CellError (mark_error_cells puts one in): no value of them
# but a text equals a text, and a CellError equals the plain text of its
# code, which the tests of a text treat alike.
_CELL_TYPES = frozenset({str, CellError, float, int, bool, datetime, date, time, timedelta,
                         type(None)})


# A sheet with more cells is gone through cell by cell, as before: the set
# of its values would add to the memory a big file takes (a return has
# about 500 cells).
_TEXTS_MAX_CELLS = 50_000


def _sheet_texts(rows: list[list]) -> _Texts | None:
    """What a sheet's texts say (_Texts), each distinct text looked at once:
    every cell is put in a set (in C), the texts known to say nothing are
    taken out (in C), and the rest is looked at. None (the callers then go
    through the cells) for a sheet of more than _TEXTS_MAX_CELLS cells, or
    when a cell is of a type calamine never gives: a text equal to it (or
    it, equal to a text) might be left out of the set."""
    if sum(map(len, rows)) > _TEXTS_MAX_CELLS:
        return None
    if not _CELL_TYPES.issuperset(map(type, chain.from_iterable(rows))):
        return None
    values = set(chain.from_iterable(rows))
    legacy = False
    heads: set[str] = set()
    for v in values - _PLAIN_TEXTS:
        if not isinstance(v, str):
            continue
        head = fold_label_str(v)
        if head in _HEADS:
            heads.add(head)
        if _may_convert(v):
            legacy = True
        elif head not in _HEADS and len(v) <= _MEMO_LENGTH:
            if len(_PLAIN_TEXTS) >= _PLAIN_MAX:
                _PLAIN_TEXTS.clear()
            _PLAIN_TEXTS.add(v)
    return _Texts(legacy, heads)


def _convert_legacy(data: ReturnData, sheets: list[tuple[str, list[list]]],
                    texts: list[_Texts | None] | None = None) -> None:
    """Turn TCVN3 (.VnTime) and VNI text into Unicode, in place, and say where.

    A file is typed in one legacy font, so the encoding most of its texts read
    in decides the ambiguous short ones ("Bé" is Unicode "bé" or TCVN3 "bộ").
    Texts that already read as Unicode Vietnamese are never touched.

    `texts`: what each sheet's texts say (_sheet_texts), when known. When no
    candidate among them is detected by itself (_may_convert), file_encoding
    counts none (the hint is None) and to_unicode, without a hint, converts
    none: nothing changes, and the cells are not gone through. (Unicode
    labels such as "Ghi chú" are candidates in almost every file; they are
    not detected.)
    """
    if texts is not None and all(t is not None and not t.legacy for t in texts):
        return
    candidates = [(name, rows, r, c, v)
                  for name, rows in sheets
                  for r, row in enumerate(rows)
                  for c, v in enumerate(row)
                  if isinstance(v, str) and _may_be_legacy(v)]
    if not candidates:
        return
    from dvk_cli.reading.legacy import ENCODING_NAMES, file_encoding, to_unicode

    hint = file_encoding(v for *_, v in candidates)
    for name, rows, r, c, v in candidates:
        text, encoding = to_unicode(v, hint)
        if encoding:
            rows[r][c] = text
            data.legacy_cells.append((name, cell_ref(r, c), encoding))
    if data.legacy_cells:
        encodings = sorted({e for _, _, e in data.legacy_cells})
        shown = ", ".join(f"{s}!{ref}" for s, ref, _ in data.legacy_cells[:5])
        more = len(data.legacy_cells) - 5
        data.add("info", "legacy_encoding",
                 f"Tệp {data.path}: {len(data.legacy_cells)} ô gõ bằng bảng mã "
                 f"{' và '.join(ENCODING_NAMES.get(e, e) for e in encodings)} đã được chuyển sang Unicode "
                 f"({shown}{f' và {more} ô khác' if more > 0 else ''}).",
                 sheet=data.legacy_cells[0][0], cell=data.legacy_cells[0][1])


def find_returns(inputs: list[Path], skip: set[Path] | None = None) -> list[Path]:
    """Workbooks under the INPUT paths, sorted; lock (~$) and hidden files skipped.

    Never raises for what it finds: a folder it cannot list (no permission,
    a path longer than the OS allows) and a workbook it cannot even stat are
    listed too, so that reading them gives a finding naming them (see
    read_return) instead of a return silently missing. Only an INPUT folder
    that cannot be listed at all is an error (UsageError).
    """
    out: list[tuple[Path, str]] = []
    skip_keys = {_same_file(_resolved(p)) for p in (skip or set())}
    for item in inputs:
        try:
            if item.is_dir():
                out.extend(found for found in _walk(item) if found[1] not in skip_keys)
                continue
            listed = item.is_file()
        except OSError:  # e.g. a name longer than the OS allows: read_return says so
            listed = True
        if listed and _is_return_name(item.name):
            out.append((item, _same_file(_resolved(item))))
    seen: set[str] = set()
    unique = []
    for p, key in out:
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _is_return_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in EXTENSIONS and not name.startswith(("~$", "."))


# dvk's own working files and what the OS leaves in a shared folder: never a unit's return.
_WORKING_NAMES = {"thumbs.db", "desktop.ini"}
_WORKING_SUFFIXES = {".toml", ".md", ".j2", ".sqlite", ".sqlite-wal", ".sqlite-shm",
                     ".sqlite-journal"}
_OWN_OUTPUT = re.compile(r"(tong-hop|bao-cao)-(?P<period>.+)\.(xlsx|md|docx|pdf)", re.IGNORECASE)


def _is_other_name(name: str) -> bool:
    """A file a unit may have sent that dvk does not read (.pdf, .docx, an
    image, an archive …): not a workbook, not hidden or a lock file, not
    dvk's own output (tong-hop-2024.xlsx, bao-cao-2024.md/.docx/.pdf) or
    working file (dvk.toml, dvk.sqlite, mapping files)."""
    if name.startswith(("~$", ".")) or _is_return_name(name):
        return False
    lower = name.lower()
    if lower in _WORKING_NAMES or lower.startswith("dvk.sqlite"):
        return False
    if os.path.splitext(lower)[1] in _WORKING_SUFFIXES:
        return False
    own = _OWN_OUTPUT.fullmatch(name)
    if own is not None:
        from dvk_cli.core.periods import parse_period

        return parse_period(own["period"]) is None
    return True


def find_unread(inputs: list[Path], skip: set[Path] | None = None) -> list[Path]:
    """The files under the INPUT paths that `find_returns` leaves out but a
    unit may have sent as its return (.pdf, .docx, .doc, images, .zip, .rar,
    .csv …), sorted; hidden folders and files, lock files, dvk's own outputs
    and working files are left out. Never raises: a folder it cannot list is
    find_returns' business."""
    out: list[Path] = []
    seen: set[Path] = set()
    skip = {_resolved(p) for p in (skip or set())}
    for item in inputs:
        try:
            if item.is_dir():
                found = _walk_other(item)
            elif item.is_file() and _is_other_name(item.name):
                found = [item]
            else:
                found = []
        except OSError:
            continue
        for p in found:
            rp = _resolved(p)
            if rp not in skip and rp not in seen:
                seen.add(rp)
                out.append(p)
    return out


def _walk_other(top: Path) -> list[Path]:
    """`_walk` for the files dvk does not read (folders it cannot list skipped)."""
    found = [(place, folder, entry.name)
             for place, folder, entry, is_file in _files_below(top, lambda *unlisted: None)
             if is_file and _is_other_name(entry.name)]
    found.sort(key=lambda item: item[0])
    return [folder / name for _, folder, name in found]


_SNIFF_LIMIT = 64 * 1024 * 1024  # bigger files are named by their extension alone


def describe_unread(path: Path) -> Content | None:
    """What an unread file holds, from its bytes (None when it cannot be
    read or is too big to look into): a workbook under another name
    (budop.xlsx.pdf, an .xlsx sent without extension) shows here."""
    try:
        if path.stat().st_size > _SNIFF_LIMIT:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    return sniff(raw)


def _files_below(top: Path, unlisted: Callable[[Path, str, OSError], None]
                 ) -> Iterator[tuple[str, Path, os.DirEntry[str], bool | None]]:
    """Every file below `top` (hidden entries skipped, symlinked folders not
    followed) as (its place, its folder, its entry, is a file); is a file is
    None when it cannot even be looked at. A folder that cannot be listed is
    given to unlisted(folder, its place, error). Sorting by the place sorts
    as the files' Paths sort (_place); no Path is made for a file here, as
    most are left out or only a few are kept (find_unread)."""
    folders = [(top, "")]
    while folders:
        folder, place = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            unlisted(folder, place, exc)
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((folder / name, _place(place, name)))
                    continue
                is_file: bool | None = entry.is_file()
            except OSError:
                is_file = None
            yield _place(place, name), folder, entry, is_file


# Path compares (sorts, and is equal) by its list of components, each case-
# folded where the OS ignores case (Windows): the text of a place below a
# folder joins the names with "\0", which sorts before any character a name
# may hold, so that ["a", "b"] < ["a-b", "c"] holds for the texts too
# ("a\0b" < "a-b\0c"; "a/b" > "a-b/c"). Every place below one folder has the
# folder's own components in front, the same for all, and left out.
_IGNORES_CASE = PurePath("A") == PurePath("a")


def _place(folder: str, name: str) -> str:
    """The place of `name` in a folder whose place is `folder` ("" for the top)."""
    if _IGNORES_CASE:
        name = name.lower()
    return f"{folder}\0{name}" if folder else name


def _walk(top: Path) -> list[tuple[Path, str]]:
    """The workbooks below `top` (hidden folders skipped, symlinked folders
    not followed), and the folders below it that could not be listed, each
    with its resolved path as _same_file gives it, in Path order."""
    found: list[tuple[str, Path, str]] = []

    def unlisted(folder: Path, place: str, exc: OSError) -> None:
        if folder is top:
            from dvk_cli.core.errors import UsageError

            raise UsageError(f"Không đọc được thư mục “{readable_path(str(top))}” "
                             f"({_os_reason(exc)}).") from None
        # read_return says why it could not be listed
        found.append((place, folder, _same_file(_resolved(folder))))

    resolved: tuple[Path, str | None] | None = None  # the last folder met, resolved
    for place, folder, entry, is_file in _files_below(top, unlisted):
        # a file that cannot even be looked at is tried: read_return says why
        if is_file is not False and _is_return_name(entry.name):
            if resolved is None or resolved[0] is not folder:  # a folder's entries come together
                resolved = folder, _resolved_folder(folder)
            path = folder / entry.name
            found.append((place, path, _entry_key(path, entry, resolved[1])))
    found.sort(key=lambda item: item[0])
    return [(path, key) for _, path, key in found]


def _resolved(path: Path) -> Path:
    """`path` resolved, or made absolute when it cannot be (a symlink loop, a
    path too long); within `files.resolving()` each folder is resolved once."""
    try:
        return resolve(path)
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _same_file(resolved: Path) -> str:
    """A resolved path as text that is equal where the Paths are equal: the
    files met twice are told apart by it without making a Path for each."""
    text = str(resolved)
    return text.lower() if _IGNORES_CASE else text


def _resolved_folder(folder: Path) -> str | None:
    """`folder` resolved, as text; None when it cannot be (then each of its
    files is resolved as _resolved resolves it)."""
    try:
        return str(resolve_folder(folder))
    except (OSError, RuntimeError):
        return None


def _entry_key(path: Path, entry: os.DirEntry[str], folder: str | None) -> str:
    """_same_file(_resolved(path)) for a folder's `entry` at `path`, its folder
    resolved as `folder` (_resolved_folder): what is not a symlink resolves
    to its name in the resolved folder (files.resolve), known without a
    Path.resolve or a look at the file (thousands of files, a few folders)."""
    try:
        link = entry.is_symlink()
    except OSError:  # as os.path.islink: what cannot be looked at is no link
        link = False
    if folder is None or link:
        return _same_file(_resolved(path))
    text = os.path.join(folder, entry.name)
    return text.lower() if _IGNORES_CASE else text
