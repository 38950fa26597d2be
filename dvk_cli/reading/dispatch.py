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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.core.catalog import Catalog
from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import NotANumber, fmt_number, parse_number
from dvk_cli.reading.labels import LabelIndex, strip_stt
from dvk_cli.reading.measures import UnknownMeasure, apply, conversion

if TYPE_CHECKING:
    from dvk_cli.reading.mapping import Mapping

EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods"}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")

# Header texts, folded (lower case, NFC, no trailing colon, single spaces).
UNIT_LABELS = {"đơn vị báo cáo", "tên đơn vị", "đơn vị gửi báo cáo"}
UNIT_CODE_LABELS = {"mã đơn vị"}
PERIOD_LABELS = {"kỳ báo cáo", "kì báo cáo"}
CODE_HEADERS = {"mã", "mã số", "mã chỉ tiêu"}
VALUE_HEADERS = {"số liệu", "số lượng", "kết quả", "thực hiện", "giá trị", "kết quả thực hiện",
                 "số liệu thực hiện", "số liệu báo cáo", "thực hiện trong kỳ", "kết quả đạt được"}
LABEL_HEADERS = {"chỉ tiêu", "nội dung", "tên chỉ tiêu", "nội dung chỉ tiêu", "chỉ tiêu, nội dung"}
MEASURE_HEADERS = {"đơn vị tính", "đvt", "đv tính", "đơn vị đo"}
MODEL_NAME_HEADERS = {"tên mô hình", "tên mô hình, điển hình"}
MODEL_COLUMNS = {
    "stt": {"stt", "số tt", "số thứ tự"},
    "field": {"lĩnh vực"},
    "kind": {"loại", "loại mô hình"},
    "exemplary": {"tiêu biểu"},
    "implementer": {"đơn vị, người thực hiện", "đơn vị thực hiện", "người thực hiện",
                    "đơn vị/người thực hiện", "đơn vị, cá nhân thực hiện"},
    "note": {"ghi chú"},
    "unit_name": {"đơn vị báo cáo"},
}
_EXEMPLARY_MARKS = {"x", "có", "✓", "✔", "v", "1", "tiêu biểu", "tb"}


def fold(value: object) -> str:
    """Lower case, NFC, single spaces, no trailing colon (header labels repeat
    across thousands of files, so the work is cached)."""
    return _fold_text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=1 << 16)
def _fold_text(value: str) -> str:
    text = unicodedata.normalize("NFC", value).replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.rstrip(":：").strip()


def col_letter(index: int) -> str:
    """0-based column index -> Excel letters."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """0-based row/column -> 'E12'."""
    return f"{col_letter(col)}{row + 1}"


@dataclass(slots=True)  # one per value read: 400,000 in a national roll-up
class CellValue:
    code: str
    value: float | int
    sheet: str
    cell: str
    how: str = "mã"  # how the row was recognised: mã | nhãn | ánh xạ | bảng ngang
    note: str = ""  # conversions applied (unit of measure, legacy encoding)
    raw: object = None  # the cell's content as read
    label: str = ""  # the row's label (or column header) as written


@dataclass
class ReturnData:
    """What one file holds, before its unit and period are resolved."""

    path: str
    sha256: str = ""
    readable: bool = False
    sheet: str = ""  # the data sheet
    unit_text: str = ""  # "Đơn vị báo cáo" value
    unit_code_text: str = ""  # "Mã đơn vị" value
    period_text: str = ""  # "Kỳ báo cáo" value
    header_cells: dict[str, str] = field(default_factory=dict)  # unit/code/period -> cell
    values: list[CellValue] = field(default_factory=list)  # input indicators
    computed: list[CellValue] = field(default_factory=list)  # values typed in computed rows
    models: list[dict] = field(default_factory=list)
    model_sheet: str = ""
    findings: list[Finding] = field(default_factory=list)
    layout: str = ""  # biểu dọc | bảng ngang | ánh xạ
    part: str = ""  # for one row of a wide table: "dòng 7"
    parts: list[ReturnData] = field(default_factory=list)  # the rows of a wide table
    legacy_cells: list[tuple[str, str, str]] = field(default_factory=list)  # sheet, cell, encoding

    @property
    def key(self) -> str:
        """Identifies this return among the run's sources (a file, or a row of a wide table)."""
        return f"{self.path} [{self.part}]" if self.part else self.path

    def add(self, severity: str, rule: str, message: str, *, sheet: str = "", cell: str = "",
            indicator: str = "") -> None:
        self.findings.append(Finding(severity, rule, message, file=self.path, sheet=sheet,
                                     cell=cell, indicator=indicator))


def _unreadable(data: ReturnData, rule: str, message: str) -> ReturnData:
    data.readable = False
    data.add("error", rule, f"Tệp {data.path}: {message}")
    return data


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
            return _unreadable(data, "file_too_large",
                               f"tệp quá lớn ({size / 2**20:,.0f} MB, giới hạn {limit / 2**20:,.0f} MB "
                               "theo [limits] max_unpacked_mb), không đọc. Đề nghị đơn vị kiểm tra lại tệp."
                               .replace(",", "."))
        raw = Path(path).read_bytes()
    except OSError as exc:
        return _unreadable(data, "file_unreadable", f"không mở được tệp ({exc.strerror}).")
    data.sha256 = hashlib.sha256(raw).hexdigest()
    if not raw:
        return _unreadable(data, "file_empty", "tệp rỗng (0 byte), không có dữ liệu.")
    suffix = Path(path).suffix.lower()
    if raw.startswith(_OLE_MAGIC) and (suffix in {".xlsx", ".xlsm"} or _ENCRYPTION_STREAM in raw):
        return _unreadable(
            data, "file_encrypted",
            "tệp được đặt mật khẩu. Đề nghị đơn vị gỡ mật khẩu (File > Info > Protect Workbook) rồi gửi lại.",
        )
    if not (raw.startswith(_OLE_MAGIC) or raw.startswith(_ZIP_MAGIC)):
        return _unreadable(
            data, "not_a_workbook",
            "không phải tệp Excel hoặc ODS (có thể là tệp khác bị đổi đuôi). Đề nghị đơn vị gửi lại tệp .xlsx.",
        )
    from dvk_cli.reading.guards import (
        archive_problem,  # zip bombs, huge sheets: refused before parsing
    )

    if hostile := archive_problem(raw):
        return _unreadable(data, *hostile)

    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheets = []
        for meta in workbook.sheets_metadata:
            if str(meta.typ).endswith("WorkSheet"):
                rows = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
                sheets.append((unicodedata.normalize("NFC", meta.name), rows))
    except PasswordError:
        return _unreadable(data, "file_encrypted", "tệp được đặt mật khẩu. Đề nghị đơn vị gỡ mật khẩu rồi gửi lại.")
    except (CalamineError, zipfile.BadZipFile, ValueError, OSError) as exc:
        return _unreadable(
            data, "file_corrupt",
            f"tệp bị hỏng, không đọc được ({type(exc).__name__}). Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại.",
        )
    except Exception as exc:  # calamine raises plain exceptions for some damaged files
        return _unreadable(data, "file_corrupt", f"tệp bị hỏng, không đọc được ({exc}).")

    if not any(any(c not in ("", None) for c in row) for _, rows in sheets for row in rows):
        return _unreadable(data, "file_empty", "bảng tính không có dữ liệu.")

    _convert_legacy(data, sheets)
    if mapping is not None:
        from dvk_cli.reading.mapping import read_with_mapping

        read_with_mapping(data, sheets, catalog, mapping)
        _read_any_models(data, sheets)
        return data

    # The data sheet: the one whose long table ("Mã"/"Chỉ tiêu" … "Số liệu")
    # recognises the most indicators (a consolidated workbook also lists
    # codes on other sheets).
    index = label_index(catalog)
    codes = set(catalog.codes)
    best = None
    any_codes = False
    for name, rows in sheets:
        layout = _long_layout(rows, catalog, index)
        if layout is None:
            any_codes = any_codes or any(
                isinstance(c, str) and c.strip().upper() in codes for row in rows for c in row)
            continue
        if best is None or layout[0] > best[0][0]:
            best = (layout, name, rows)
    if best is None:
        from dvk_cli.reading.wide import read_wide

        if read_wide(data, sheets, catalog, index):
            _read_header(data, data.sheet, dict(sheets)[data.sheet])
            for part in data.parts:
                part.period_text = part.period_text or data.period_text
                part.header_cells.setdefault("period", data.header_cells.get("period", ""))
            return data
        if any_codes:
            return _unreadable(
                data, "no_value_column",
                "có mã chỉ tiêu nhưng không tìm thấy hàng tiêu đề có cột “Mã” và cột “Số liệu”.",
            )
        return _unreadable(
            data, "no_indicator_codes",
            "không tìm thấy bảng số liệu (cột “Mã” hoặc “Chỉ tiêu” và cột “Số liệu”) có chỉ tiêu "
            "nào trong danh mục. Đề nghị đơn vị dùng biểu mẫu do dvk tạo (lệnh dvk template), "
            "hoặc khai báo tệp ánh xạ (xem dvk inspect).",
        )
    (_, header_row, cols), sheet_name, rows = best
    data.sheet = sheet_name
    data.readable = True
    data.layout = "biểu dọc"
    _read_header(data, sheet_name, rows)
    _read_table(data, sheet_name, rows, catalog, index, header_row, cols,
                raw if suffix in {".xlsx", ".xlsm"} else None)
    _read_any_models(data, sheets)
    return data


def _read_any_models(data: ReturnData, sheets) -> None:
    for name, model_rows in sheets:
        if _read_models(data, name, model_rows):
            break


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


def _right_value(row: list, col: int) -> tuple[object, int] | None:
    for j in range(col + 1, min(len(row), col + 8)):
        if row[j] not in ("", None):
            return row[j], j
    return None


def _read_header(data: ReturnData, sheet: str, rows: list[list]) -> None:
    wanted = {"unit": UNIT_LABELS, "code": UNIT_CODE_LABELS, "period": PERIOD_LABELS}
    for r, row in enumerate(rows[:40]):
        for c, value in enumerate(row):
            if not isinstance(value, str) or not value.strip():
                continue
            text = fold(value)
            label, _, inline = text.partition(":")
            for key, labels in wanted.items():
                if key in data.header_cells:
                    continue
                if text in labels:
                    found = _right_value(row, c)
                    if found is not None:
                        setattr(data, f"{key}_text" if key != "code" else "unit_code_text",
                                unicodedata.normalize("NFC", str(found[0])).strip())
                        data.header_cells[key] = cell_ref(r, found[1])
                elif label.strip() in labels and inline.strip():
                    original = unicodedata.normalize("NFC", value).split(":", 1)[1].strip()
                    setattr(data, f"{key}_text" if key != "code" else "unit_code_text", original)
                    data.header_cells[key] = cell_ref(r, c)
    if isinstance(data.period_text, str) and data.period_text.endswith(".0"):
        data.period_text = data.period_text[:-2]
    if "period" not in data.header_cells:
        _period_from_title(data, rows)


def _period_from_title(data: ReturnData, rows: list[list]) -> None:
    """No "Kỳ báo cáo" cell: take the period from the title ("… NĂM 2024") when
    the first rows name exactly one."""
    from dvk_cli.core.periods import parse_period

    found: dict[object, tuple[str, str]] = {}
    for r, row in enumerate(rows[:12]):
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) < 200 and not value.strip().isdigit():
                p = parse_period(value)
                if p is not None:
                    found.setdefault(p, (cell_ref(r, c), unicodedata.normalize("NFC", value).strip()))
    if len(found) == 1:
        ((ref, text),) = found.values()
        data.period_text = text
        data.header_cells["period"] = ref


def _find_header_row(rows: list[list], required: list[set[str]]) -> tuple[int, dict[int, str]] | None:
    for r, row in enumerate(rows):
        folded = {c: fold(v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()}
        if all(any(t in names for t in folded.values()) for names in required):
            return r, folded
    return None


_INDEX_CACHE: dict[int, tuple[Catalog, LabelIndex]] = {}


def label_index(catalog: Catalog) -> LabelIndex:
    """The catalog's label index, built once per catalog."""
    cached = _INDEX_CACHE.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        cached = (catalog, LabelIndex(catalog))
        _INDEX_CACHE[id(catalog)] = cached
    return cached[1]


def _long_layout(rows: list[list], catalog: Catalog, index: LabelIndex):
    """(score, header row, columns) of a long table on this sheet, or None.

    The header row has a value column ("Số liệu", "Kết quả"…) and a code
    column ("Mã") or a label column ("Chỉ tiêu", "Nội dung"); the score is
    the number of rows below it recognised as indicators.
    """
    for r, row in enumerate(rows):
        folded = {c: fold(v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()}
        value_col = next((c for c, t in folded.items() if t in VALUE_HEADERS), None)
        if value_col is None:
            continue
        code_col = next((c for c, t in folded.items() if t in CODE_HEADERS), None)
        label_col = next((c for c, t in folded.items() if t in LABEL_HEADERS), None)
        if code_col is None and label_col is None:
            continue
        measure_col = next((c for c, t in folded.items() if t in MEASURE_HEADERS), None)
        cols = {"code": code_col, "label": label_col, "value": value_col, "measure": measure_col}
        score = 0
        for below in rows[r + 1:]:
            code = _cell(below, code_col)
            if isinstance(code, str) and code.strip().upper() in catalog:
                score += 1
            elif (label := _row_label(below, cols)) and index.match(label).code:
                score += 1
        if score:
            return score, r, cols
    return None


def _cell(row: list, col: int | None) -> object:
    if col is None or col >= len(row):
        return None
    return row[col]


def _row_label(row: list, cols: dict) -> str:
    """The row's label: the Chỉ tiêu cell, else the first text cell left of the value."""
    cell = _cell(row, cols["label"])
    if isinstance(cell, str) and cell.strip():
        return cell.strip()
    for c in range(min(cols["value"], len(row))):
        v = row[c]
        if c in (cols["code"], cols["measure"]) or not isinstance(v, str):
            continue
        text = v.strip()
        if text and strip_stt(text + " x") != "x":  # not a bare item number
            return text
    return ""


def _read_table(data: ReturnData, sheet: str, rows: list[list], catalog: Catalog,
                index: LabelIndex, header_row: int, cols: dict,
                xlsx_bytes: bytes | None) -> None:
    code_col, value_col, measure_col = cols["code"], cols["value"], cols["measure"]
    seen: dict[str, str] = {}
    duplicated: set[str] = set()
    empty_cells: dict[str, str] = {}
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        value = _cell(row, value_col)
        raw_code = _cell(row, code_col)
        how, label, unit_text = "mã", "", ""
        if isinstance(raw_code, str) and raw_code.strip():
            code = unicodedata.normalize("NFC", raw_code).strip().upper()
            if code not in catalog:
                if code in catalog.retired:
                    if value not in ("", None):
                        data.add("info", "retired_code",
                                 f"Chỉ tiêu {code} đã bỏ khỏi danh mục (biểu mẫu cũ); số liệu {value} "
                                 "ở dòng này không được tổng hợp.", sheet=sheet,
                                 cell=cell_ref(r, value_col))
                elif re.fullmatch(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+", code):
                    data.add("warning", "unknown_code",
                             f"Mã chỉ tiêu “{code}” không có trong danh mục; dòng này không được tổng hợp.",
                             sheet=sheet, cell=cell_ref(r, code_col))
                continue
        else:
            label = _row_label(row, cols)
            if not label:
                continue
            match = index.match(label)
            has_value = value not in ("", None) and not (
                isinstance(value, str) and value.strip() in ("", "-", "–", "—"))
            if match.code is None:
                if has_value and match.candidates:
                    names = "; ".join(f"{c} – {catalog[c].label}" for c in match.candidates)
                    data.add("warning", "label_ambiguous",
                             f"Dòng “{label}” khớp với nhiều chỉ tiêu ({names}); dvk không đoán, số liệu "
                             "dòng này không được tổng hợp. Ghi mã chỉ tiêu vào cột Mã hoặc dùng tệp ánh xạ.",
                             sheet=sheet, cell=cell_ref(r, value_col))
                elif has_value and _is_number(value):
                    data.add("warning", "label_unknown",
                             f"Không nhận ra chỉ tiêu “{label}” trong danh mục; số liệu dòng này "
                             f"({fmt_number(parse_number(value), 6)}) không được tổng hợp.",
                             sheet=sheet, cell=cell_ref(r, value_col))
                continue
            code, how, unit_text = match.code, "nhãn", match.unit_text
        ind = catalog[code]
        ref = cell_ref(r, value_col)
        if code in seen:
            duplicated.add(code)
            data.add("error", "duplicate_code",
                     f"Chỉ tiêu {code} xuất hiện hai lần (ô {seen[code]} và {ref}); chỉ tiêu này "
                     "không được dùng.", sheet=sheet, cell=ref, indicator=code)
            continue
        seen[code] = ref
        measure = _cell(row, measure_col)
        if isinstance(measure, str) and measure.strip():
            unit_text = measure.strip()
        _take_value(data, catalog, code, value, sheet, ref, how=how, label=label or ind.label,
                    unit_text=unit_text, empty_cells=empty_cells)
    if duplicated:
        data.values = [v for v in data.values if v.code not in duplicated]
    if empty_cells and xlsx_bytes is not None:
        for ref in _formulas_without_value(xlsx_bytes, sheet, set(empty_cells)):
            code = empty_cells[ref]
            data.add("error", "formula_no_value",
                     f"{catalog[code].label} ({code}): ô có công thức nhưng chưa có giá trị đã tính. "
                     "Đề nghị mở tệp bằng Excel và lưu lại rồi gửi lại.",
                     sheet=sheet, cell=ref, indicator=code)


def _is_number(value: object) -> bool:
    try:
        return parse_number(value) is not None
    except NotANumber:
        return False


def _take_value(data: ReturnData, catalog: Catalog, code: str, value: object, sheet: str,
                ref: str, *, how: str = "mã", label: str = "", unit_text: str = "",
                empty_cells: dict[str, str] | None = None) -> None:
    """Check one value cell and record it (or the finding that stops it)."""
    ind = catalog[code]
    try:
        number = parse_number(value)
    except NotANumber as exc:
        data.add("error", "not_a_number",
                 f"{ind.label} ({code}): {exc}; giá trị không được dùng.",
                 sheet=sheet, cell=ref, indicator=code)
        return
    if number is None:
        if not ind.computed and empty_cells is not None:
            empty_cells[ref] = code
        return
    if number < 0:
        data.add("error", "negative",
                 f"{ind.label} ({code}) là số âm ({value}); giá trị không được dùng.",
                 sheet=sheet, cell=ref, indicator=code)
        return
    note = ""
    if unit_text:
        try:
            conv = conversion(ind.type, unit_text)
        except UnknownMeasure:
            data.add("error", "unit_of_measure",
                     f"{ind.label} ({code}): không hiểu đơn vị tính “{unit_text}” (danh mục dùng "
                     f"{ind.unit}); giá trị không được dùng.", sheet=sheet, cell=ref, indicator=code)
            return
        if conv is not None and not conv.identity and number != 0:
            converted = apply(number, conv)
            note = (f"đã đổi {fmt_number(number, 6)} {conv.written} thành "
                    f"{fmt_number(converted, 6)} {ind.unit}")
            data.add("info", "unit_converted",
                     f"{ind.label} ({code}): {note}.", sheet=sheet, cell=ref, indicator=code)
            number = converted
    if ind.type == "count" and not float(number).is_integer():
        data.add("error", "fractional_count",
                 f"{ind.label} ({code}) phải là số nguyên, ô ghi {value}; giá trị không được dùng.",
                 sheet=sheet, cell=ref, indicator=code)
        return
    target = data.computed if ind.computed else data.values
    target.append(CellValue(code, number, sheet, ref, how=how, note=note, raw=value, label=label))


def _formulas_without_value(raw: bytes, sheet: str, refs: set[str]) -> list[str]:
    """Cells among `refs` that hold a formula with no saved result (xlsx only)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            wb_xml = z.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            rid = None
            for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", wb_xml):
                tag = m.group(0)
                name = re.search(r'\bname="([^"]*)"', tag)
                if name and _xml_unescape(name.group(1)) == sheet:
                    rid_m = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', tag)
                    rid = rid_m and (rid_m.group(1) or rid_m.group(2))
                    break
            if not rid:
                return []
            target = None
            for m in re.finditer(r"<Relationship\b[^>]*>", rels):
                tag = m.group(0)
                if f'Id="{rid}"' in tag:
                    target = re.search(r'Target="([^"]*)"', tag).group(1)
            if not target:
                return []
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            xml = z.read(part).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, AttributeError):
        return []
    out = []
    for m in re.finditer(r'<c\b[^>]*\br="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', xml, re.S):
        ref, body = m.group(1), m.group(2) or ""
        if ref in refs and "<f" in body:
            v = re.search(r"<v>([^<]*)</v>", body)
            if not v or not v.group(1).strip():
                out.append(ref)
    return out


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _read_models(data: ReturnData, sheet: str, rows: list[list]) -> bool:
    found = _find_header_row(rows, [MODEL_NAME_HEADERS])
    if found is None:
        return False
    header_row, folded = found
    name_col = next(c for c, t in folded.items() if t in MODEL_NAME_HEADERS)
    cols = {key: next((c for c, t in folded.items() if t in names), None)
            for key, names in MODEL_COLUMNS.items()}
    data.model_sheet = sheet

    def text(row, key):
        c = cols[key]
        if c is None or c >= len(row) or row[c] in ("", None):
            return ""
        v = row[c]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return unicodedata.normalize("NFC", str(v)).strip()

    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        name = row[name_col] if name_col < len(row) else ""
        if name in ("", None) or not str(name).strip():
            continue
        data.models.append({
            "stt": text(row, "stt"),
            "name": unicodedata.normalize("NFC", str(name)).strip(),
            "field": text(row, "field"),
            "kind": text(row, "kind"),
            "exemplary": fold(text(row, "exemplary")) in _EXEMPLARY_MARKS,
            "implementer": text(row, "implementer"),
            "note": text(row, "note"),
            "unit_name": text(row, "unit_name"),
            "sheet": sheet,
            "row": r + 1,
        })
    return True


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
