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
from pathlib import Path

from .catalog import Catalog
from .findings import Finding
from .numbers import NotANumber, parse_number

EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods"}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")

# Header texts, folded (lower case, NFC, no trailing colon, single spaces).
UNIT_LABELS = {"đơn vị báo cáo", "tên đơn vị", "đơn vị gửi báo cáo"}
UNIT_CODE_LABELS = {"mã đơn vị"}
PERIOD_LABELS = {"kỳ báo cáo", "kì báo cáo"}
CODE_HEADERS = {"mã", "mã số", "mã chỉ tiêu"}
VALUE_HEADERS = {"số liệu", "số lượng", "kết quả", "thực hiện", "giá trị"}
LABEL_HEADERS = {"chỉ tiêu", "nội dung", "tên chỉ tiêu"}
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
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
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


@dataclass
class CellValue:
    code: str
    value: float | int
    sheet: str
    cell: str


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

    def add(self, severity: str, rule: str, message: str, *, sheet: str = "", cell: str = "",
            indicator: str = "") -> None:
        self.findings.append(Finding(severity, rule, message, file=self.path, sheet=sheet,
                                     cell=cell, indicator=indicator))


def _unreadable(data: ReturnData, rule: str, message: str) -> ReturnData:
    data.readable = False
    data.add("error", rule, f"Tệp {data.path}: {message}")
    return data


def read_return(path: Path, catalog: Catalog, display: str | None = None) -> ReturnData:
    """Read one return. Never raises for bad input: problems become findings."""
    data = ReturnData(path=display or str(path))
    try:
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

    # The data sheet: the one with a "Mã … Số liệu" table holding the most
    # catalog codes (a consolidated workbook also lists codes on other sheets).
    codes = set(catalog.codes)
    best = None
    any_codes = False
    for name, rows in sheets:
        hits = sum(
            1 for row in rows for c in row if isinstance(c, str) and c.strip().upper() in codes
        )
        any_codes = any_codes or bool(hits)
        if not hits or _find_header_row(rows, [CODE_HEADERS, VALUE_HEADERS]) is None:
            continue
        if best is None or hits > best[0]:
            best = (hits, name, rows)
    if best is None:
        if any_codes:
            return _unreadable(
                data, "no_value_column",
                "có mã chỉ tiêu nhưng không tìm thấy hàng tiêu đề có cột “Mã” và cột “Số liệu”.",
            )
        return _unreadable(
            data, "no_indicator_codes",
            "không tìm thấy bảng số liệu có cột “Mã” chứa mã chỉ tiêu. "
            "Đề nghị đơn vị dùng biểu mẫu do dvk tạo (lệnh dvk template).",
        )
    _, sheet_name, rows = best
    data.sheet = sheet_name
    data.readable = True
    _read_header(data, sheet_name, rows)
    _read_table(data, sheet_name, rows, catalog, raw if suffix in {".xlsx", ".xlsm"} else None)
    for name, model_rows in sheets:
        if _read_models(data, name, model_rows):
            break
    return data


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


def _find_header_row(rows: list[list], required: list[set[str]]) -> tuple[int, dict[int, str]] | None:
    for r, row in enumerate(rows):
        folded = {c: fold(v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()}
        if all(any(t in names for t in folded.values()) for names in required):
            return r, folded
    return None


def _read_table(data: ReturnData, sheet: str, rows: list[list], catalog: Catalog,
                xlsx_bytes: bytes | None) -> None:
    header_row, folded = _find_header_row(rows, [CODE_HEADERS, VALUE_HEADERS])
    code_col = next(c for c, t in folded.items() if t in CODE_HEADERS)
    value_col = next(c for c, t in folded.items() if t in VALUE_HEADERS)

    seen: dict[str, str] = {}
    duplicated: set[str] = set()
    empty_cells: dict[str, str] = {}
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        if code_col >= len(row):
            continue
        raw_code = row[code_col]
        if not isinstance(raw_code, str) or not raw_code.strip():
            continue
        code = unicodedata.normalize("NFC", raw_code).strip().upper()
        if code not in catalog:
            if re.fullmatch(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+", code):
                data.add("warning", "unknown_code",
                         f"Mã chỉ tiêu “{code}” không có trong danh mục; dòng này không được tổng hợp.",
                         sheet=sheet, cell=cell_ref(r, code_col))
            continue
        ref = cell_ref(r, value_col)
        if code in seen:
            duplicated.add(code)
            data.add("error", "duplicate_code",
                     f"Mã {code} xuất hiện hai lần (ô {seen[code]} và {ref}); chỉ tiêu này không được dùng.",
                     sheet=sheet, cell=ref, indicator=code)
            continue
        seen[code] = ref
        value = row[value_col] if value_col < len(row) else None
        ind = catalog[code]
        try:
            number = parse_number(value)
        except NotANumber as exc:
            data.add("error", "not_a_number",
                     f"{ind.label} ({code}): {exc}; giá trị không được dùng.",
                     sheet=sheet, cell=ref, indicator=code)
            continue
        if number is None:
            if not ind.computed:
                empty_cells[ref] = code
            continue
        if number < 0:
            data.add("error", "negative",
                     f"{ind.label} ({code}) là số âm ({value}); giá trị không được dùng.",
                     sheet=sheet, cell=ref, indicator=code)
            continue
        if ind.type == "count" and not float(number).is_integer():
            data.add("error", "fractional_count",
                     f"{ind.label} ({code}) phải là số nguyên, ô ghi {value}; giá trị không được dùng.",
                     sheet=sheet, cell=ref, indicator=code)
            continue
        target = data.computed if ind.computed else data.values
        target.append(CellValue(code, number, sheet, ref))
    if duplicated:
        data.values = [v for v in data.values if v.code not in duplicated]
    if empty_cells and xlsx_bytes is not None:
        for ref in _formulas_without_value(xlsx_bytes, sheet, set(empty_cells)):
            code = empty_cells[ref]
            data.add("error", "formula_no_value",
                     f"{catalog[code].label} ({code}): ô có công thức nhưng chưa có giá trị đã tính. "
                     "Đề nghị mở tệp bằng Excel và lưu lại rồi gửi lại.",
                     sheet=sheet, cell=ref, indicator=code)


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
    out: list[Path] = []
    skip = {p.resolve() for p in (skip or set())}
    for item in inputs:
        candidates = [item] if item.is_file() else sorted(p for p in item.rglob("*") if p.is_file())
        for p in candidates:
            if p.suffix.lower() not in EXTENSIONS or p.name.startswith(("~$", ".")):
                continue
            rel_parts = p.relative_to(item).parts if item.is_dir() else ()
            if any(part.startswith(".") for part in rel_parts[:-1]):
                continue
            if item.is_dir() and p.resolve() in skip:
                continue
            out.append(p)
    seen: set[Path] = set()
    unique = []
    for p in out:
        rp = p.resolve()
        if rp not in seen:
            seen.add(rp)
            unique.append(p)
    return unique
