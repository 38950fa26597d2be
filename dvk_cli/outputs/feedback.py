"""Feedback workbooks: for each return with problems, a copy of it in which
every problem cell is filled red (error) or yellow (warning) and carries a
comment in Vietnamese, with a first sheet "Cần sửa" listing the problems.

The original file is only read. An .xlsx/.xlsm return is copied with
openpyxl (formatting, formulas and macros kept); an .xls/.ods return (or an
.xlsx openpyxl cannot open) becomes a new .xlsx holding the values read, laid
out like dvk's form (`lay_out`: widths, borders, number formats by indicator,
A4 print setup), and the "Cần sửa" sheet says so.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.aggregation import SourceStatus
from dvk_cli.core.findings import SEVERITY_LABEL, SEVERITY_ORDER, Finding
from dvk_cli.core.text import fold_label
from dvk_cli.outputs import styles

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Catalog

SHEET = "Cần sửa"
RED = "FFC7CE"
YELLOW = "FFEB9C"
FILLS = {"error": RED, "warning": YELLOW}
SUFFIX = "-can-sua"
_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
HEADERS = ["STT", "Mức độ", "Trang", "Ô", "Chỉ tiêu", "Vấn đề cần sửa"]
WIDTHS = [6, 11, 20, 8, 28, 80]


@dataclass
class FeedbackFile:
    source: str  # the return, as shown in findings
    path: Path  # the feedback workbook written
    units: list[str] = field(default_factory=list)  # unit codes
    problems: int = 0
    converted: bool = False  # values-only copy of an .xls/.ods return


@dataclass
class FeedbackResult:
    written: list[FeedbackFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, Vietnamese reason)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def findings_by_file(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Errors and warnings grouped by the file they are about (errors first)."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.file and f.severity in FILLS and f.open:  # accepted: nothing to send back
            grouped[f.file].append(f)
    for items in grouped.values():
        items.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.sheet, _cell_key(f.cell)))
    return dict(grouped)


def _cell_key(ref: str) -> tuple[int, int]:
    m = _CELL.match(ref or "")
    if not m:
        return (0, 0)
    from openpyxl.utils import column_index_from_string

    return int(m.group(2)), column_index_from_string(m.group(1))


# ------------------------------------------------------------------ opening

def _open_copy(path: Path, catalog: Catalog | None = None):
    """(workbook, converted, sheets): the return itself via openpyxl, or a
    values-only copy read with calamine and laid out like dvk's form;
    `sheets` maps the sheet names the reader saw (NFC) to the copy's worksheets."""
    import openpyxl

    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            wb = openpyxl.load_workbook(path, keep_vba=suffix == ".xlsm", keep_links=True)
        except Exception:  # noqa: BLE001 - fall back on the values calamine reads
            pass
        else:
            return wb, False, {_nfc(ws.title): ws for ws in wb.worksheets}
    return _values_copy(path, catalog)


def _values_copy(path: Path, catalog: Catalog | None = None):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    wb = styles.new_workbook()
    used: set[str] = set()
    sheets = {}
    for meta in book.sheets_metadata:
        if not str(meta.typ).endswith("WorkSheet"):
            continue
        ws = wb.create_sheet(_sheet_title(_nfc(meta.name), used))
        sheets[_nfc(meta.name)] = ws
        sheet = book.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=False)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value in ("", None):
                    continue
                cell = ws.cell(r, c)
                if isinstance(value, str):
                    styles.set_text(cell, value)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.value = styles.clean_number(value)
                elif isinstance(value, (bool, dt.date, dt.datetime, dt.time)):
                    cell.value = value
                    if isinstance(value, dt.datetime):
                        cell.number_format = "dd/mm/yyyy hh:mm"
                    elif isinstance(value, dt.date):
                        cell.number_format = "dd/mm/yyyy"
                else:
                    styles.set_text(cell, str(value))
        try:
            lay_out(ws, catalog)
            _restore_merges(ws, getattr(sheet, "merged_cell_ranges", None))
        except Exception:  # noqa: BLE001 - the values, unformatted, are still worth sending back
            pass
    if not wb.sheetnames:
        wb.create_sheet("Trang 1")
    return wb, True, sheets


# ------------------------------------------------------------------ layout of a values copy

# Bounds on the unit's own merged ranges carried into the copy: each merged
# cell is an object in openpyxl, so a hostile file's "A1:XFD1048576" is not.
_MAX_MERGES = 2000
_MAX_MERGED_CELLS = 2000


def _restore_merges(ws, ranges) -> None:
    """Merge again the ranges the unit merged (calamine reports them for .xls
    and .xlsx: ((row0, col0), (row1, col1)), 0-based), so a title across its
    table is not squeezed into column A; a range that overlaps one the layout
    merged, or that is too large to be a title or a label, is left as it is."""
    if not ranges:
        return
    taken = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    for (r0, c0), (r1, c1) in list(ranges)[:_MAX_MERGES]:
        top, left, bottom, right = r0 + 1, c0 + 1, r1 + 1, c1 + 1
        if (bottom - top + 1) * (right - left + 1) in (0, 1) or \
                (bottom - top + 1) * (right - left + 1) > _MAX_MERGED_CELLS:
            continue
        if any(top <= b and t <= bottom and left <= rr and ll <= right
               for t, ll, b, rr in taken):
            continue
        ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
        taken.append((top, left, bottom, right))
        cell = ws.cell(top, left)
        if isinstance(cell.value, str) and right > left:
            cell.alignment = styles.alignment(
                "center" if top == 1 else (cell.alignment.horizontal or "left"), "center", True)

# Table header texts (folded) of returns: dvk's form and the usual variants.
_HEADER_WORDS = {
    "stt", "tt", "số tt", "số thứ tự", "chỉ tiêu", "tên chỉ tiêu", "nội dung", "mã", "mã số",
    "mã chỉ tiêu", "đơn vị tính", "đvt", "số liệu", "kết quả", "số lượng", "ghi chú",
    "tên mô hình", "lĩnh vực", "loại", "tiêu biểu", "đơn vị, người thực hiện", "đơn vị",
}
_STT_WORDS = {"stt", "tt", "số tt", "số thứ tự"}
_ROMAN = re.compile(r"^(?=[IVXLC])M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})\.?$")
_MAX_LABEL_WIDTH = 52.0  # the label column of dvk's form
_MAX_WIDTH = 24.0  # any other column: longer texts wrap
_MIN_WIDTH = 5.0
_MAX_HEAD_LABEL = 22.0  # "Đơn vị báo cáo" above the table, followed by its value
_PORTRAIT_WIDTH = 125.0  # characters across an A4 portrait page, as dvk's form (118)


def _grid(ws) -> dict[tuple[int, int], object]:
    return {k: c.value for k, c in ws._cells.items() if c.value not in (None, "")}


def _header_row(grid: dict) -> int | None:
    """The table's header row: the first with three texts, two of them usual headers."""
    rows: dict[int, list[object]] = defaultdict(list)
    for (r, _), v in grid.items():
        rows[r].append(v)
    fallback = None
    for r in sorted(rows):
        texts = [fold_label(v) for v in rows[r] if isinstance(v, str) and v.strip()]
        if len(texts) >= 3:
            if sum(t in _HEADER_WORDS for t in texts) >= 2:
                return r
            if fallback is None and len(rows[r]) >= 3:
                fallback = r
    return fallback


def _row_codes(grid: dict, header: int, last: int, catalog: Catalog | None) -> dict[int, str]:
    """Indicator code of each table row: by a column of codes, else by label."""
    if catalog is None:
        return {}
    counts: dict[int, int] = defaultdict(int)
    for (r, c), v in grid.items():
        if r > header and isinstance(v, str) and v.strip().upper() in catalog.indicators:
            counts[c] += 1
    codes: dict[int, str] = {}
    if counts:
        col = max(counts, key=lambda c: counts[c])
        for r in range(header + 1, last + 1):
            v = grid.get((r, col))
            if isinstance(v, str) and v.strip().upper() in catalog.indicators:
                codes[r] = v.strip().upper()
        return codes
    from dvk_cli.reading.returns import label_index

    index = label_index(catalog)
    for (r, _c), v in sorted(grid.items()):
        if r > header and r not in codes and isinstance(v, str) and len(v) > 6:
            match = index.match(v)
            if match.code:
                codes[r] = match.code
    return codes


def _shown_length(value: object) -> float:
    if isinstance(value, str):
        line = max(value.split("\n"), key=len)
        return len(line) * (1.2 if line.isupper() else 1.0)  # capitals are wider: codes
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return len(f"{value:,.2f}") if isinstance(value, float) else len(f"{value:,}")
    return 10.0  # a date


def lay_out(ws, catalog: Catalog | None = None) -> None:
    """Lay out a values copy like dvk's form: column widths, the table's
    header bold and shaded, every table cell bordered, long texts wrapped,
    figures in the number format of their indicator, title rows merged, A4
    fitted to the page width with the header row repeated."""
    grid = _grid(ws)
    if not grid:
        return
    last_row = max(r for r, _ in grid)
    header = _header_row(grid)
    if header is None:
        header = min(r for r, _ in grid)
    codes = _row_codes(grid, header, last_row, catalog)

    # The table ends at its last row with a figure, an indicator or three cells
    # (a signature block below it is left unbordered).
    cells_in: dict[int, int] = defaultdict(int)
    numbers: set[int] = set()
    for (r, _c), v in grid.items():
        cells_in[r] += 1
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            numbers.add(r)
    last = max((r for r in range(header, last_row + 1)
                if r in codes or r in numbers or cells_in[r] >= 3), default=header)
    ncols = max(c for (r, c) in grid if header <= r <= last)
    heads = {c: fold_label(grid[(header, c)]) for c in range(1, ncols + 1)
             if isinstance(grid.get((header, c)), str)}
    stt_cols = {c for c, t in heads.items() if t in _STT_WORDS}

    # Widths: the column with the most text is the label column (wide, wrapped).
    text_total: dict[int, int] = defaultdict(int)
    longest: dict[int, float] = defaultdict(float)
    for (r, c), v in grid.items():
        if header < r <= last and c <= ncols:
            longest[c] = max(longest[c], _shown_length(v))
            if isinstance(v, str):
                text_total[c] += len(v)
    for c, t in heads.items():  # a header wraps between its words, a short one fits
        longest[c] = max(longest[c], len(t) if len(t) <= 12 else max(map(len, t.split())))
    label_col = max(text_total, key=lambda c: text_total[c]) if text_total else None
    widths = []
    for c in range(1, ncols + 1):
        cap = _MAX_LABEL_WIDTH if c == label_col else _MAX_WIDTH
        width = min(cap, longest[c] + 2)
        if c == label_col:
            width = max(width, 30.0)
        for (r, cc), v in grid.items():  # a label above the table followed by its value
            if r < header and cc == c and isinstance(v, str) and (r, c + 1) in grid:
                width = max(width, min(_MAX_HEAD_LABEL, len(v) + 2))
        widths.append(max(_MIN_WIDTH, width))
    styles.set_widths(ws, widths)

    # Above the table: titles (a long text alone on its row) merged across it,
    # labels followed by their value bold.
    for r in range(1, header):
        row = sorted((c, v) for (rr, c), v in grid.items() if rr == r)
        if not row:
            continue
        if len(row) == 1 and row[0][0] == 1 and isinstance(row[0][1], str) and len(row[0][1]) > 20:
            styles.title_row(ws, r, row[0][1], ncols, size=13 if r == min(grid)[0] else 12)
            continue
        for c, v in row:
            cell = ws.cell(r, c)
            text = v if isinstance(v, str) else ""
            labelled = bool(text) and (c == 1 or (r, c + 1) in grid)
            cell.font = styles.font(bold=labelled or c > 1 and isinstance(grid.get((r, c - 1)), str))
            cell.alignment = styles.alignment("left", "center",
                                              labelled and len(text) + 2 > widths[c - 1])
        styles.fit_row_height(ws, r, 1, ncols)

    # The table
    for c in range(1, ncols + 1):
        styles.style(ws.cell(header, c), bold=True, horizontal="center", shade=styles.HEADER_FILL)
    styles.fit_row_height(ws, header, 1, ncols)
    indicators = catalog.indicators if catalog is not None else {}
    for r in range(header + 1, last + 1):
        ind = indicators.get(codes.get(r, ""))
        first = grid.get((r, min(stt_cols) if stt_cols else 1))
        group = isinstance(first, str) and bool(_ROMAN.match(first.strip())) and r not in codes
        shade = styles.GREY if ind is not None and ind.computed else None
        for c in range(1, ncols + 1):
            cell = ws.cell(r, c)
            v = grid.get((r, c))
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if c in stt_cols:
                    styles.style(cell, horizontal="center", shade=shade)
                    continue
                cell.number_format = styles.number_format(v, ind.type if ind else "count")
                styles.style(cell, bold=group, horizontal="right", shade=shade)
            elif isinstance(v, str):
                short = c in stt_cols or (c != label_col and len(v) <= 12)
                styles.style(cell, bold=group, horizontal="center" if short else None, shade=shade,
                             size=11 if ind is not None and v.strip().upper() == ind.code else None)
            else:
                styles.style(cell, bold=group, shade=shade)
        styles.fit_row_height(ws, r, 1, ncols)
    ws.freeze_panes = ws.cell(header + 1, 1).coordinate
    styles.print_setup(ws, landscape=sum(widths) > _PORTRAIT_WIDTH, title_rows=(header, header))


def _sheet_title(name: str, used: set[str]) -> str:
    title = _BAD_TITLE.sub("_", name).strip("'")[:31] or "Trang"
    base, n = title, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


# ------------------------------------------------------------------ marking

def _target_cell(ws, ref: str):
    """The cell to mark; the top-left cell of a merged range it lies in."""
    from openpyxl.cell.cell import MergedCell

    cell = ws[ref]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if ref in rng:
                return ws.cell(rng.min_row, rng.min_col)
    return cell


def mark_cells(sheets: dict, findings: list[Finding]) -> int:
    """Fill and comment every cell a finding names (`sheets`: sheet name as
    the reader saw it -> worksheet); returns the number of cells marked."""
    from openpyxl.comments import Comment

    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        ref = (f.cell or "").replace("$", "").upper()
        if f.sheet and _CELL.match(ref) and _nfc(f.sheet) in sheets:
            by_cell[(_nfc(f.sheet), ref)].append(f)
    for (sheet, ref), items in by_cell.items():
        cell = _target_cell(sheets[sheet], ref)
        worst = min(items, key=lambda f: SEVERITY_ORDER.get(f.severity, 9)).severity
        cell.fill = styles.fill(FILLS[worst])
        text = "\n\n".join(f"{SEVERITY_LABEL[f.severity]}: {styles.clean_text(f.message)}"
                           for f in items)
        if cell.comment is not None and cell.comment.text:
            text = f"{text}\n\n(Ghi chú cũ: {cell.comment.text})"
        lines = sum(max(1, len(part) // 45 + 1) for part in text.split("\n"))
        comment = Comment(text, "dvk", width=360, height=min(600, 18 * lines + 20))
        cell.comment = comment
    return len(by_cell)


# ------------------------------------------------------------------ the "Cần sửa" sheet

def add_problem_sheet(wb, findings: list[Finding], *, unit_name: str, period_label: str,
                      source: str, organization: str = "", converted: bool = False,
                      catalog=None, today: dt.date | None = None,
                      sheets: dict | None = None) -> None:
    """Insert the sheet "Cần sửa" first, listing every problem, and make it active."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    if SHEET in wb.sheetnames:  # a feedback copy sent back again
        del wb[SHEET]
    ws = wb.create_sheet(SHEET, 0)
    ncols = len(HEADERS)
    styles.set_widths(ws, WIDTHS)
    styles.title_row(ws, 1, "CÁC VẤN ĐỀ CẦN SỬA TRONG BIỂU BÁO CÁO", ncols, size=14)
    who = " – ".join(x for x in (unit_name, period_label) if x)
    styles.title_row(ws, 2, who or source, ncols, size=12, bold=False, italic=True)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    checked = (today or dt.date.today()).strftime("%d/%m/%Y")
    notes = [
        f"Tệp gốc: {source}. Kiểm tra ngày {checked}"
        + (f" ({organization})" if organization else "")
        + f": {errors} lỗi, {warnings} cảnh báo.",
        "Ô tô đỏ: lỗi, phải sửa. Ô tô vàng: cảnh báo, đề nghị kiểm tra lại. Di chuột vào ô tô màu "
        "để đọc ghi chú; bấm vào địa chỉ ô ở cột “Ô” để đến ô đó.",
    ]
    if converted:
        notes.append(
            f"Tệp gốc dạng {Path(source).suffix or 'khác'} nên bản này là tệp .xlsx chỉ gồm các giá trị "
            "dvk đọc được, trình bày lại theo mẫu biểu của dvk (không giữ định dạng, công thức của tệp "
            "gốc). Đề nghị sửa trên tệp gốc của đơn vị rồi gửi lại.")
    notes.append("Sửa trực tiếp trong biểu (hoặc trên tệp gốc), có thể xóa trang này, rồi gửi lại.")
    r = 3
    for text in notes:
        cell = ws.cell(r, 1)
        styles.set_text(cell, text)
        cell.font = styles.font(italic=True, size=11)
        cell.alignment = styles.alignment("left", "top", True)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        width = sum(WIDTHS)
        ws.row_dimensions[r].height = styles.estimate_lines(text, width, 11) * 15 + 3
        r += 1
    header = r + 1
    styles.header_row(ws, header, HEADERS)
    sheets = {k: ws for k, ws in (sheets or {}).items() if ws.title != SHEET}
    for n, f in enumerate(findings, start=1):
        row = header + n
        ind = catalog.indicators.get(f.indicator) if catalog is not None and f.indicator else None
        styles.style(ws.cell(row, 1, n), horizontal="center")
        level = styles.set_text(ws.cell(row, 2), SEVERITY_LABEL.get(f.severity, f.severity))
        styles.style(level, bold=True, horizontal="center", shade=FILLS.get(f.severity))
        styles.style(styles.set_text(ws.cell(row, 3), f.sheet or None), size=11)
        ref = styles.set_text(ws.cell(row, 4), f.cell or None)
        styles.style(ref, horizontal="center", size=11)
        if f.cell and _CELL.match(f.cell) and _nfc(f.sheet) in sheets:
            target = sheets[_nfc(f.sheet)].title.replace("'", "''")
            ref.hyperlink = Hyperlink(ref=ref.coordinate, location=f"'{target}'!{f.cell}")
            ref.font = styles.font(size=11, color="0563C1")
        label = ind.label if ind else (f.indicator or None)
        styles.style(styles.set_text(ws.cell(row, 5), label), size=11)
        styles.style(styles.set_text(ws.cell(row, 6), f.message))
        styles.fit_row_height(ws, row, 1, ncols)
    ws.freeze_panes = ws.cell(header + 1, 1).coordinate
    styles.print_setup(ws, landscape=True, title_rows=(header, header))
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    wb.active = 0


# ------------------------------------------------------------------ the whole run

def _output_name(stem: str, suffix: str, units: list[str], taken: set[str]) -> str:
    prefix = f"{units[0]}-" if len(units) == 1 and not stem.upper().startswith(units[0]) else ""
    name = f"{prefix}{stem}{SUFFIX}{suffix}"
    n = 2
    while name.lower() in taken:
        name = f"{prefix}{stem}{SUFFIX}-{n}{suffix}"
        n += 1
    taken.add(name.lower())
    return name


def write_feedback(c: Consolidation, out_dir: Path, *, today: dt.date | None = None) -> FeedbackResult:
    """Write one feedback workbook per return with errors or warnings into `out_dir`."""
    from dvk_cli.core.files import save_workbook_atomic
    from dvk_cli.reading.guards import archive_problem, openpyxl_limits

    out_dir = Path(out_dir)
    result = FeedbackResult()
    status = {s.path: s for s in c.sources}
    names = {u.code: u.name for u in (*c.missing, *c.held)}
    names.update({code: info.name for code, info in c.units.items()})
    taken: set[str] = set()
    for source, findings in findings_by_file(c.findings).items():
        path = Path(source)
        src = status.get(source)
        if (src is not None and src.status == SourceStatus.UNREADABLE) or not path.is_file():
            result.skipped.append((source, "tệp không đọc được, không tạo được bản sao để đánh dấu"))
            continue
        raw = path.read_bytes()
        if archive_problem(raw):
            result.skipped.append((source, "tệp vượt giới hạn an toàn, không mở"))
            continue
        # openpyxl parses every part whole and keeps an object per cell (the
        # values copy of an .xls/.ods too): every part, every cell, tighter limits.
        if problem := archive_problem(raw, openpyxl_limits(), every_part=True):
            result.skipped.append((source, "tệp quá lớn để tạo bản sao đánh dấu (" + problem[1].split(";")[0]
                                   + "); xem các lỗi trong báo cáo kiểm tra"))
            continue
        try:
            wb, converted, sheets = _open_copy(path, c.catalog)
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
            result.skipped.append((source, f"không mở được tệp ({type(exc).__name__})"))
            continue
        units = list(dict.fromkeys(f.unit for f in findings if f.unit))
        if not units and src is not None and src.unit:
            units = [src.unit]
        unit_name = ", ".join(names.get(u, u) for u in units)
        if SHEET in sheets and sheets[SHEET].title == SHEET:
            del sheets[SHEET]  # our own sheet in a feedback copy sent back: replaced
        mark_cells(sheets, findings)
        add_problem_sheet(wb, findings, unit_name=unit_name, period_label=c.period.label,
                          source=source, organization=c.organization.name,
                          converted=converted, catalog=c.catalog, today=today, sheets=sheets)
        suffix = ".xlsm" if path.suffix.lower() == ".xlsm" and not converted else ".xlsx"
        target = out_dir / _output_name(path.stem, suffix, units, taken)
        save_workbook_atomic(wb, target)
        result.written.append(FeedbackFile(source, target, units, len(findings), converted))
    return result


def check_feedback_dir(out_dir: Path, inputs: list[Path]) -> None:
    """Refuse a feedback folder inside an input folder: the next run would read
    the feedback copies as returns (UsageError, exit code 2)."""
    from dvk_cli.core.errors import UsageError

    target = Path(out_dir).resolve()
    if target.exists() and not target.is_dir():
        raise UsageError(f"“{out_dir}” là một tệp; --feedback cần một thư mục.")
    for item in inputs:
        folder = Path(item).resolve()
        if folder.is_dir() and (target == folder or folder in target.parents):
            raise UsageError(
                f"Thư mục phản hồi “{out_dir}” nằm trong thư mục biểu “{item}”: lần kiểm tra sau sẽ đọc "
                "nhầm các bản phản hồi như biểu báo cáo. Hãy chọn thư mục khác, ví dụ ../phan-hoi.")
