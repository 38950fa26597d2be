"""Reading returns: one workbook (.xlsx, .xlsm, .xls, .ods) in, plain data out.

The reader never relies on fixed cell addresses. It looks for the header
labels ("Đơn vị báo cáo", "Mã đơn vị", "Kỳ báo cáo") and for the table header
("Mã" … "Số liệu") anywhere on any sheet, then reads every row whose Mã cell
holds a catalog code. Everything it cannot read without guessing becomes a
finding naming the file, sheet and cell.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.core.catalog import Catalog
from dvk_cli.core.cells import cell_ref
from dvk_cli.reading.header import read_header
from dvk_cli.reading.long import long_layout, read_table
from dvk_cli.reading.models import read_any_models
from dvk_cli.reading.returns import ReturnData, label_index, unreadable

if TYPE_CHECKING:
    from dvk_cli.reading.mapping import Mapping

EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods"}


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_ZIP_MAGIC = b"PK\x03\x04"


_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def read_return(path: Path, catalog: Catalog, display: str | None = None,
                mapping: Mapping | None = None) -> ReturnData:
    """Read one return. Never raises for bad input: problems become findings.

    With a `mapping` (a layout nothing else can read), the cells it names are
    read instead of looking for the table.
    """
    data = ReturnData(path=display or str(path))
    from dvk_cli.reading.guards import current_limits

    try:
        size = Path(path).stat().st_size
        limit = current_limits().max_unpacked
        if size > limit:  # never read a file larger than any return could be into memory
            return unreadable(data, "file_too_large",
                               f"tệp quá lớn ({size / 2**20:,.0f} MB, giới hạn {limit / 2**20:,.0f} MB "
                               "theo [limits] max_unpacked_mb), không đọc. Đề nghị đơn vị kiểm tra lại tệp."
                               .replace(",", "."))
        raw = Path(path).read_bytes()
    except OSError as exc:
        return unreadable(data, "file_unreadable", f"không mở được tệp ({exc.strerror}).")
    data.sha256 = hashlib.sha256(raw).hexdigest()
    if not raw:
        return unreadable(data, "file_empty", "tệp rỗng (0 byte), không có dữ liệu.")
    suffix = Path(path).suffix.lower()
    if raw.startswith(_OLE_MAGIC) and (suffix in {".xlsx", ".xlsm"} or _ENCRYPTION_STREAM in raw):
        return unreadable(
            data, "file_encrypted",
            "tệp được đặt mật khẩu. Đề nghị đơn vị gỡ mật khẩu (File > Info > Protect Workbook) rồi gửi lại.",
        )
    if not (raw.startswith(_OLE_MAGIC) or raw.startswith(_ZIP_MAGIC)):
        return unreadable(
            data, "not_a_workbook",
            "không phải tệp Excel hoặc ODS (có thể là tệp khác bị đổi đuôi). Đề nghị đơn vị gửi lại tệp .xlsx.",
        )
    from dvk_cli.reading.guards import (
        archive_problem,  # zip bombs, huge sheets: refused before parsing
    )

    if hostile := archive_problem(raw):
        return unreadable(data, *hostile)

    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheets = []
        for meta in workbook.sheets_metadata:
            if str(meta.typ).endswith("WorkSheet"):
                rows = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
                sheets.append((unicodedata.normalize("NFC", meta.name), rows))
    except PasswordError:
        return unreadable(data, "file_encrypted", "tệp được đặt mật khẩu. Đề nghị đơn vị gỡ mật khẩu rồi gửi lại.")
    except (CalamineError, zipfile.BadZipFile, ValueError, OSError) as exc:
        return unreadable(
            data, "file_corrupt",
            f"tệp bị hỏng, không đọc được ({type(exc).__name__}). Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại.",
        )
    except Exception as exc:  # calamine raises plain exceptions for some damaged files
        return unreadable(data, "file_corrupt", f"tệp bị hỏng, không đọc được ({exc}).")

    if not any(any(c not in ("", None) for c in row) for _, rows in sheets for row in rows):
        return unreadable(data, "file_empty", "bảng tính không có dữ liệu.")

    from dvk_cli.reading.errorcells import mark_error_cells

    mark_error_cells(raw, suffix, sheets)
    _convert_legacy(data, sheets)
    if mapping is not None:
        from dvk_cli.reading.mapping import read_with_mapping

        read_with_mapping(data, sheets, catalog, mapping)
        read_any_models(data, sheets)
        return data

    # The data sheet: the one whose long table ("Mã"/"Chỉ tiêu" … "Số liệu")
    # recognises the most indicators (a consolidated workbook also lists
    # codes on other sheets).
    index = label_index(catalog)
    codes = set(catalog.codes)
    best = None
    any_codes = False
    for name, rows in sheets:
        layout = long_layout(rows, catalog, index)
        if layout is None:
            any_codes = any_codes or any(
                isinstance(c, str) and c.strip().upper() in codes for row in rows for c in row)
            continue
        if best is None or layout[0] > best[0][0]:
            best = (layout, name, rows)
    if best is None:
        from dvk_cli.reading.wide import read_wide

        if read_wide(data, sheets, catalog, index):
            read_header(data, data.sheet, dict(sheets)[data.sheet])
            for part in data.parts:
                part.period_text = part.period_text or data.period_text
                part.header_cells.setdefault("period", data.header_cells.get("period", ""))
            return data
        if any_codes:
            return unreadable(
                data, "no_value_column",
                "có mã chỉ tiêu nhưng không tìm thấy hàng tiêu đề có cột “Mã” và cột “Số liệu”.",
            )
        return unreadable(
            data, "no_indicator_codes",
            "không tìm thấy bảng số liệu (cột “Mã” hoặc “Chỉ tiêu” và cột “Số liệu”) có chỉ tiêu "
            "nào trong danh mục. Đề nghị đơn vị dùng biểu mẫu do dvk tạo (lệnh dvk template), "
            "hoặc khai báo tệp ánh xạ (xem dvk inspect).",
        )
    (_, header_row, cols), sheet_name, rows = best
    data.sheet = sheet_name
    data.readable = True
    data.layout = "biểu dọc"
    read_header(data, sheet_name, rows)
    read_table(data, sheet_name, rows, catalog, index, header_row, cols,
                raw if suffix in {".xlsx", ".xlsm"} else None)
    read_any_models(data, sheets)
    return data


# Characters an 8-bit legacy font's bytes turn into (Latin-1 and the cp1252
# extras); a string with none of them cannot be TCVN3 or VNI text.
_LEGACY_HINT = re.compile("[\x80-\xff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                          "\u02c6\u02dc\u2013-\u2026\u2030\u2039\u203a\u20ac\u2122]")


# Letters only Unicode Vietnamese has beyond Latin-1 (ă đ ĩ ũ ơ ư and the
# Vietnamese block ạ ả ấ …): a string with one is Unicode already. The
# Windows-1252 extras (Œ Š Ÿ ƒ) are deliberately not in this set.
_UNICODE_VI = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169"
                         "\u01a0\u01a1\u01af\u01b0\u1ea0-\u1eff]")


def _convert_legacy(data: ReturnData, sheets: list[tuple[str, list[list]]]) -> None:
    """Turn TCVN3 (.VnTime) and VNI text into Unicode, in place, and say where.

    A file is typed in one legacy font, so the encoding most of its texts read
    in decides the ambiguous short ones ("Bé" is Unicode "bé" or TCVN3 "bộ").
    Texts that already read as Unicode Vietnamese are never touched.
    """
    candidates = [(name, rows, r, c, v)
                  for name, rows in sheets
                  for r, row in enumerate(rows)
                  for c, v in enumerate(row)
                  if isinstance(v, str) and _LEGACY_HINT.search(v) and not _UNICODE_VI.search(v)]
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
    """Workbooks under the INPUT paths, sorted; lock (~$) and hidden files skipped."""
    out: list[tuple[Path, Path]] = []
    skip = {p.resolve() for p in (skip or set())}
    for item in inputs:
        candidates = [item] if item.is_file() else sorted(p for p in item.rglob("*") if p.is_file())
        for p in candidates:
            if p.suffix.lower() not in EXTENSIONS or p.name.startswith(("~$", ".")):
                continue
            rel_parts = p.relative_to(item).parts if item.is_dir() else ()
            if any(part.startswith(".") for part in rel_parts[:-1]):
                continue
            rp = p.resolve()
            if item.is_dir() and rp in skip:
                continue
            out.append((p, rp))
    seen: set[Path] = set()
    unique = []
    for p, rp in out:
        if rp not in seen:
            seen.add(rp)
            unique.append(p)
    return unique
