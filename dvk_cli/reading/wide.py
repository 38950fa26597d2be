"""Wide tables: one row per unit, indicators as columns.

A district often sends one sheet with a row per commune. Column headers are
codes or labels, possibly over two header rows where a merged group header
("Nhà tình nghĩa") spans its sub-headers ("Số căn", "Trị giá"). Each unit row
becomes a return of its own, with its own provenance; a total row ("Tổng
cộng", "Cộng") is checked against the sum of the rows and never counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from dvk_cli.core.catalog import Catalog
from dvk_cli.core.cells import cell_ref
from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import NotANumber, fmt_number, parse_number
from dvk_cli.core.text import fold_label
from dvk_cli.reading.labels import LabelIndex
from dvk_cli.reading.models import MODEL_NAME_HEADERS
from dvk_cli.reading.returns import ReturnData, find_header_row, take_value

UNIT_COLUMN_HEADERS = {
    "đơn vị", "tên đơn vị", "đơn vị báo cáo", "địa phương", "địa phương, đơn vị", "đơn vị, địa phương",
    "xã, phường, thị trấn", "xã, phường", "xã", "phường, xã", "tên xã", "tên xã, phường, thị trấn",
    "huyện, thị xã, thành phố", "huyện, thị, thành phố", "huyện", "cơ quan, đơn vị",
}
UNIT_CODE_HEADERS = {"mã đơn vị", "mã đv", "mã xã"}
TOTAL_LABELS = {
    "tổng cộng", "cộng", "tổng", "tổng số", "toàn huyện", "toàn tỉnh", "toàn thành phố", "toàn thị xã",
    "tổng cộng toàn huyện", "tổng cộng toàn tỉnh", "cộng toàn huyện", "cộng toàn tỉnh",
}
_HEADER_SEARCH_ROWS = 25


@dataclass
class _Column:
    col: int
    code: str
    header: str  # as written (both header rows joined)
    unit_text: str


def _text(row: list, c: int) -> str:
    if c >= len(row):
        return ""
    v = row[c]
    return v.strip() if isinstance(v, str) else ""


def _columns(rows: list[list], r: int, two_rows: bool, catalog: Catalog,
             index: LabelIndex) -> tuple[list[_Column], list[tuple[int, str, list[str]]]]:
    """Indicator columns under header row r (and r+1), and ambiguous headers."""
    top_row = rows[r]
    sub_row = rows[r + 1] if two_rows and r + 1 < len(rows) else []
    width = max(len(top_row), len(sub_row))
    found: list[_Column] = []
    ambiguous: list[tuple[int, str, list[str]]] = []
    group = ""  # the merged group header spanning this column
    for c in range(width):
        top, sub = _text(top_row, c), _text(sub_row, c)
        if top:
            group = top
        elif not sub:
            group = ""
        if not top and not sub:
            continue
        head = top or group
        tries = []
        for text in (sub, top):
            if text and text.upper() in catalog:
                tries = [("code", text.upper())]
                break
        if not tries:
            if sub:
                tries = [("label", sub), ("label", f"{head} – {sub}")]
            else:
                tries = [("label", top)]
        for kind, text in tries:
            if kind == "code":
                found.append(_Column(c, text, text, ""))
                break
            m = index.match(text)
            if m.code:
                found.append(_Column(c, m.code, text, m.unit_text))
                break
            if m.candidates:
                ambiguous.append((c, text, m.candidates))
                break
    return found, ambiguous


def _unit_column(rows: list[list], header_rows: list[int], first_data: int,
                 columns: list[_Column]) -> tuple[int | None, int | None]:
    """(unit name column, unit code column)."""
    name_col = code_col = None
    for r in header_rows:
        for c, v in enumerate(rows[r]):
            if not isinstance(v, str):
                continue
            t = fold_label(v)
            if name_col is None and t in UNIT_COLUMN_HEADERS:
                name_col = c
            elif code_col is None and t in UNIT_CODE_HEADERS:
                code_col = c
    if name_col is None:
        taken = {col.col for col in columns}
        first_ind = min(taken)
        for c in range(first_ind):
            texts = [rows[r][c] for r in range(first_data, min(len(rows), first_data + 20))
                     if c < len(rows[r])]
            words = [t for t in texts if isinstance(t, str) and t.strip() and not t.strip().isdigit()]
            if len(words) >= max(1, len([t for t in texts if t not in ("", None)]) // 2):
                if c != code_col:
                    name_col = c
                    break
    return name_col, code_col


def _above_models(rows: list[list]) -> list[list]:
    """The rows above a models list's header ("Tên mô hình" …), all of them
    when the sheet has none. A models list is never a wide table: its
    "Lĩnh vực" and "Loại" over a first model's "Kinh tế" and "Tập thể" read
    as two indicator columns, and each model as a unit with no figure."""
    found = find_header_row(rows, [MODEL_NAME_HEADERS])
    return rows if found is None else rows[:found[0]]


def read_wide(data: ReturnData, sheets: list[tuple[str, list[list]]], catalog: Catalog,
              index: LabelIndex) -> bool:
    """Read the first sheet holding a wide table into data.parts; False if none."""
    best = None
    for name, rows in sheets:
        rows = _above_models(rows)
        for r in range(min(len(rows), _HEADER_SEARCH_ROWS)):
            for two in (False, True):
                cols, amb = _columns(rows, r, two, catalog, index)
                if len(cols) >= 2 and (best is None or len(cols) > len(best[3])):
                    best = (name, rows, r, cols, two, amb)
    if best is None:
        return False
    name, rows, r, columns, two, ambiguous = best
    header_rows = [r, r + 1] if two else [r]
    first_data = header_rows[-1] + 1
    name_col, code_col = _unit_column(rows, header_rows, first_data, columns)
    if name_col is None and code_col is None:
        return False
    data.readable = True
    data.sheet = name
    data.layout = "bảng ngang"
    for c, text, candidates in ambiguous:
        names = "; ".join(f"{code} – {catalog[code].label}" for code in candidates)
        data.add("warning", "label_ambiguous",
                 f"Cột “{text}” khớp với nhiều chỉ tiêu ({names}); dvk không đoán, cột này không "
                 "được tổng hợp.", sheet=name, cell=cell_ref(header_rows[-1], c))
    seen_codes: dict[str, int] = {}
    for col in columns:
        if col.code in seen_codes:
            data.add("error", "duplicate_code",
                     f"Hai cột cùng là chỉ tiêu {col.code} (cột {cell_ref(header_rows[-1], seen_codes[col.code])}"
                     f" và {cell_ref(header_rows[-1], col.col)}); cột sau không được dùng.",
                     sheet=name, cell=cell_ref(header_rows[-1], col.col), indicator=col.code)
        else:
            seen_codes[col.code] = col.col
    columns = [col for col in columns if seen_codes[col.code] == col.col]

    totals_row: int | None = None
    first_ind = min(col.col for col in columns)
    for rr in range(first_data, len(rows)):
        row = rows[rr]
        unit = _text(row, name_col) if name_col is not None else ""
        unit_code = _text(row, code_col) if code_col is not None else ""
        cells = [row[col.col] if col.col < len(row) else None for col in columns]
        if all(v in ("", None) for v in cells):
            continue
        lefts = [fold_label(v) for v in row[:first_ind] if isinstance(v, str) and v.strip()]
        if any(t in TOTAL_LABELS or t.startswith(("tổng cộng", "cộng ")) for t in lefts):
            totals_row = rr
            continue
        if not unit and not unit_code:
            data.add("warning", "wide_row_without_unit",
                     f"Dòng {rr + 1} có số liệu nhưng không ghi tên đơn vị; dòng này không được tổng hợp.",
                     sheet=name, cell=cell_ref(rr, name_col if name_col is not None else 0))
            continue
        part = ReturnData(path=data.path, sha256=data.sha256, readable=True, sheet=name,
                          unit_text=unit, unit_code_text=unit_code, layout="bảng ngang",
                          part=f"dòng {rr + 1}")
        if name_col is not None:
            part.header_cells["unit"] = cell_ref(rr, name_col)
        if code_col is not None:
            part.header_cells["code"] = cell_ref(rr, code_col)
        for col, value in zip(columns, cells, strict=True):
            take_value(part, catalog, col.code, value, name, cell_ref(rr, col.col),
                        how="bảng ngang", label=col.header, unit_text=col.unit_text)
        data.parts.append(part)

    if totals_row is not None:
        _check_total_row(data, rows, totals_row, columns, catalog, name)
    return bool(data.parts)


def _check_total_row(data: ReturnData, rows: list[list], tr: int, columns: list[_Column],
                     catalog: Catalog, sheet: str) -> None:
    row = rows[tr]
    label = _text(row, next((c for c, v in enumerate(row) if isinstance(v, str) and v.strip()), 0))
    for col in columns:
        value = row[col.col] if col.col < len(row) else None
        try:
            typed = parse_number(value)
        except NotANumber:
            continue
        if typed is None:
            continue
        probe = ReturnData(path=data.path)
        take_value(probe, catalog, col.code, value, sheet, cell_ref(tr, col.col),
                    unit_text=col.unit_text)
        stated = next((v.value for v in probe.values + probe.computed), None)
        if stated is None:
            continue
        parts = [v.value for p in data.parts for v in p.values + p.computed if v.code == col.code]
        total = sum(parts)
        if abs(total - stated) > 1e-6 * max(1.0, abs(total)):
            ind = catalog[col.code]
            data.add("warning", "wide_total_mismatch",
                     f"Dòng “{label}” ghi {ind.label} ({col.code}) là {fmt_number(stated, 6)}, nhưng "
                     f"cộng các dòng đơn vị được {fmt_number(total, 6)}; dvk dùng số liệu từng đơn vị, "
                     "không dùng dòng tổng.", sheet=sheet, cell=cell_ref(tr, col.col),
                     indicator=col.code)


def expand_wide(returns: list[ReturnData], findings: list[Finding]) -> list[ReturnData]:
    """A wide table's rows become returns of their own; the table's own
    findings (total row, ambiguous headers) go to `findings`."""
    out: list[ReturnData] = []
    for data in returns:
        if data.parts:
            findings.extend(data.findings)
            for part in data.parts:
                part.legacy_cells = data.legacy_cells
                out.append(part)
        else:
            out.append(data)
    return out
