"""The consolidated workbook (spec §4): Tổng hợp, Theo đơn vị, So sánh theo
đơn vị (when the store has the earlier period by unit), Danh sách mô hình,
Kiểm tra, Nguồn, Biểu tổng hợp and Xu hướng (two or more stored periods) —
values, never formulas, so the figures are exactly those dvk computed (ratios
recomputed from summed parts). Every sheet prints on A4 fitted to one page
wide, its header rows repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_cli.core.catalog import Group
from dvk_cli.core.findings import SEVERITY_LABEL, Status, sort_findings
from dvk_cli.core.numbers import fmt_percent
from dvk_cli.core.unitstate import UnitState
from dvk_cli.outputs import history_sheets, styles
from dvk_cli.outputs.forms import (
    add_signature,
    fill_form_sheet,
    fill_model_sheet,
    is_exemplary,
    iter_form_rows,
)
from dvk_cli.outputs.report import accepted_note, rejected_text, status_text

if TYPE_CHECKING:  # openpyxl is imported lazily
    import openpyxl

    from dvk_cli.aggregation import Consolidation, Source
    from dvk_cli.checks.marks import Mark, Marks
    from dvk_cli.core.catalog import Indicator
    from dvk_cli.core.findings import Finding

SHEETS = ("Tổng hợp", "Theo đơn vị", history_sheets.UNITS_SHEET, "Danh sách mô hình", "Kiểm tra",
          "Nguồn", "Biểu tổng hợp", history_sheets.TREND_SHEET)  # those that apply, in this order
MAIN_TITLE = "TỔNG HỢP SỐ LIỆU CÔNG TÁC DÂN VẬN"
FORM_TITLE = "BIỂU TỔNG HỢP SỐ LIỆU CÔNG TÁC DÂN VẬN"
TOTAL_LABEL = "Tổng cộng"
MISSING_TEXT = "Chưa nộp báo cáo"
SUSPECT_NOTE = ("Ô tô màu cam: số liệu cần kiểm tra vì gồm giá trị có lỗi hoặc cảnh báo chưa xử "
                "lý; chú thích của ô ghi đơn vị, tệp, ô và vấn đề (xem thêm trang Kiểm tra).")
REJECTED_NOTE = ("Ô “bị loại: …” (tô đỏ, chữ nghiêng): giá trị đơn vị ghi không dùng được (ghi "
                 "như trong báo cáo), không được cộng vào tổng; chú thích của ô ghi lý do.")


def _upper_period(c: Consolidation) -> str:
    return c.period.label.upper()


def _titles(ws, c: Consolidation, heading: str, ncols: int, note: str = "") -> int:
    """Title line and organisation line; returns the table's header row."""
    styles.title_row(ws, 1, f"{heading} – {_upper_period(c)}", ncols, size=14)
    second = c.organization.name or ""
    if note:
        second = f"{second} – {note}" if second else note
    if second:
        styles.title_row(ws, 2, second, ncols, size=12, bold=False, italic=True)
    return 4


def _note_row(ws, row: int, text: str, ncols: int) -> None:
    cell = ws.cell(row, 1)
    styles.set_text(cell, text)
    cell.font = styles.font(italic=True, size=11)
    cell.alignment = styles.alignment("left", "top", True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    width = sum(styles.column_width(ws, col) for col in range(1, ncols + 1))
    ws.row_dimensions[row].height = styles.estimate_lines(text, width, 11) * 15 + 3


def _reported_note(c: Consolidation) -> str:
    """'Tổng hợp từ báo cáo của 5/6 đơn vị (2/6 đơn vị hợp lệ, …)': the states
    in the words of every output (core.unitstate)."""
    return (f"Tổng hợp từ báo cáo của {len(c.units)}/{c.expected} đơn vị "
            f"({c.state_summary()})")


# ------------------------------------------------------------------ Tổng hợp

def _marked(cell, marks: tuple[Mark, ...]) -> None:
    """A comment on a marked figure's cell: each mark's tag and note."""
    if marks:
        styles.comment(cell, "\n".join(f"{m.tag} {m.note}" for m in marks))


def _totals_sheet(ws, c: Consolidation, marks: Marks) -> None:
    headers = ["STT", "Chỉ tiêu", "Mã", "Đơn vị tính", TOTAL_LABEL, "Số đơn vị báo cáo"]
    extra, extra_widths = history_sheets.headers(c)  # kỳ trước, cùng kỳ, tăng/giảm, %
    headers += extra
    ncols = len(headers)
    styles.set_widths(ws, [6, 56, 16, 12, 16, 12] + extra_widths)
    header = _titles(ws, c, MAIN_TITLE, ncols, _reported_note(c))
    styles.header_row(ws, header, headers)
    r = header
    for obj, stt in iter_form_rows(c.catalog):
        r += 1
        cells = [ws.cell(r, col) for col in range(1, ncols + 1)]
        if isinstance(obj, Group):
            styles.set_text(cells[0], stt)
            styles.style(cells[0], bold=True, horizontal="center")
            styles.set_text(cells[1], obj.title)
            styles.style(cells[1], bold=True)
            for cell in cells[2:]:
                styles.style(cell)
            styles.fit_row_height(ws, r, 2, 2)
            continue
        ind = obj
        child = bool(ind.parent)
        shade = styles.GREY if ind.computed else None
        if isinstance(stt, int):
            cells[0].value = stt
        else:
            styles.set_text(cells[0], stt)
        styles.style(cells[0], horizontal="center", shade=shade)
        styles.set_text(cells[1], ind.label)
        styles.style(cells[1], italic=child, indent=2 if child else 0, shade=shade)
        styles.set_text(cells[2], ind.code)
        styles.style(cells[2], horizontal="center", size=11, shade=shade)
        styles.set_text(cells[3], ind.unit)
        styles.style(cells[3], horizontal="center", shade=shade)
        styles.set_number(cells[4], c.totals.get(ind.code), ind.type)
        on = marks.on(ind.code)
        styles.style(cells[4], bold=not child, horizontal="right",
                     shade=styles.SUSPECT_FILL if on else shade)
        _marked(cells[4], on)
        cells[5].value = int(c.reporting.get(ind.code, 0))
        styles.style(cells[5], horizontal="center", shade=shade)
        history_sheets.fill_totals_row(ws, r, 7, c, ind, shade)
        styles.fit_row_height(ws, r, 1, ncols, indent={2: 2 if child else 0})
    _note_row(
        ws, r + 2,
        "Ô “Tổng cộng” để trống: không đơn vị nào báo cáo chỉ tiêu đó (khác với số 0). "
        "Các dòng tô xám là chỉ tiêu tính toán: tổng được cộng từ các thành phần, "
        "tỷ lệ được tính lại từ tổng số của các thành phần (không cộng tỷ lệ của từng đơn vị).",
        ncols,
    )
    notes = [SUSPECT_NOTE] if marks else []
    if extra:
        notes.append(history_sheets.COMPARE_NOTE)
    for i, note in enumerate(notes, start=3):
        _note_row(ws, r + i, note, ncols)
    ws.freeze_panes = ws.cell(header + 1, 1).coordinate
    styles.print_setup(ws, title_rows=(header, header))  # landscape when wide


# ------------------------------------------------------------------ Theo đơn vị

def _units_sheet(ws, c: Consolidation, marks: Marks) -> None:
    from openpyxl.utils import get_column_letter

    catalog = c.catalog
    indicators = list(catalog.indicators.values())
    fixed = ["STT", "Mã đơn vị", "Đơn vị"]
    nfixed = len(fixed)
    ncols = nfixed + len(indicators)
    styles.set_widths(ws, [5, 12, 26] + [11] * len(indicators))
    top = _titles(ws, c, "SỐ LIỆU CÔNG TÁC DÂN VẬN THEO ĐƠN VỊ", min(ncols, 12),
                  _reported_note(c))
    group_row, label_row, code_row = top, top + 1, top + 2

    for i, text in enumerate(fixed, start=1):
        cell = ws.cell(group_row, i)
        styles.set_text(cell, text)
        styles.style(cell, bold=True, horizontal="center", shade=styles.HEADER_FILL)
        for r in (label_row, code_row):
            styles.style(ws.cell(r, i), shade=styles.HEADER_FILL)
        ws.merge_cells(start_row=group_row, start_column=i, end_row=code_row, end_column=i)

    col = nfixed
    for key, group in catalog.groups.items():
        members = catalog.in_group(key)
        if not members:
            continue
        start = col + 1
        cell = ws.cell(group_row, start)
        styles.set_text(cell, f"{group.roman}. {group.title}" if group.roman else group.title)
        styles.style(cell, bold=True, horizontal="center", shade=styles.HEADER_FILL)
        for ind in members:
            col += 1
            if col > start:
                styles.style(ws.cell(group_row, col), shade=styles.HEADER_FILL)
            label = ws.cell(label_row, col)
            styles.set_text(label, ind.short)
            styles.style(label, bold=True, size=11, horizontal="center",
                         shade=styles.GREY if ind.computed else styles.HEADER_FILL)
            code = ws.cell(code_row, col)
            styles.set_text(code, ind.code)
            styles.style(code, size=9, horizontal="center",
                         shade=styles.GREY if ind.computed else styles.HEADER_FILL)
        if col > start:
            ws.merge_cells(start_row=group_row, start_column=start, end_row=group_row,
                           end_column=col)
    ws.row_dimensions[group_row].height = 36
    styles.fit_row_height(ws, label_row, nfixed + 1, ncols, 11)
    ws.row_dimensions[code_row].height = 16

    per_unit = c.per_unit.reindex(index=list(c.units), columns=catalog.codes).to_dict("index")
    marked_units = {m.unit for m in marks} | {unit for unit, _ in marks.rejected}
    reasons = _rejected_findings(c)
    r = code_row
    for n, (unit_code, info) in enumerate(c.units.items(), start=1):
        r += 1
        styles.style(ws.cell(r, 1, n), horizontal="center", final=True)
        styles.style(styles.set_text(ws.cell(r, 2), unit_code), horizontal="center", size=11,
                     final=True)
        styles.style(styles.set_text(ws.cell(r, 3), info.name), final=True)
        row = per_unit[unit_code]
        for j, ind in enumerate(indicators, start=nfixed + 1):
            cell = styles.set_number(ws.cell(r, j), row[ind.code], ind.type)
            if unit_code in marked_units:
                _unit_cell(cell, marks, reasons, unit_code, ind)
            else:
                styles.style(cell, horizontal="right",
                             shade=styles.GREY if ind.computed else None, final=True)
        # a value not used is text ("bị loại: …"): the row grows to show it
        styles.fit_row_height(ws, r, 1, ncols if unit_code in marked_units else nfixed)

    r += 1
    total = ws.cell(r, 1)
    styles.set_text(total, TOTAL_LABEL)
    for i in range(1, nfixed + 1):
        styles.style(ws.cell(r, i), bold=True, horizontal="center", shade=styles.HEADER_FILL)
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=nfixed)
    for j, ind in enumerate(indicators, start=nfixed + 1):
        # Totals of inputs are sums; computed columns are c.totals (ratios
        # recomputed from summed parts), never a sum of the column.
        cell = styles.set_number(ws.cell(r, j), c.totals.get(ind.code), ind.type)
        on = marks.on(ind.code)
        styles.style(cell, bold=True, horizontal="right",
                     shade=styles.SUSPECT_FILL if on else styles.HEADER_FILL)
        _marked(cell, on)
    ws.row_dimensions[r].height = 20
    notes = ["Ô để trống: đơn vị không báo cáo chỉ tiêu đó. Cột tô xám là chỉ tiêu tính toán; "
             "tỷ lệ ở dòng Tổng cộng được tính lại từ tổng số các thành phần."]
    notes += [SUSPECT_NOTE] if marks else []
    notes += [REJECTED_NOTE] if marks.rejected else []
    for i, note in enumerate(notes):
        _note_row(ws, r + 2 + i, note, min(ncols, 12))

    ws.freeze_panes = ws.cell(code_row + 1, nfixed + 1).coordinate
    styles.print_setup(ws, landscape=True, title_rows=(group_row, code_row),
                       title_cols=f"A:{get_column_letter(nfixed)}")


def _unit_cell(cell, marks: Marks, reasons: dict[tuple[str, str], Finding], unit: str,
               ind: Indicator) -> None:
    """Style a unit's cell (value already written) of a unit with marks or
    values not used: the suspect fill and comment on a marked figure; a value
    not used shown as written, in italics on red, with the reason."""
    on = marks.on_unit(unit, ind.code)
    key = (unit, ind.code)
    if cell.value is None and key in marks.rejected:
        styles.set_text(cell, rejected_text(marks.rejected[key]))
        styles.style(cell, italic=True, horizontal="right", shade=styles.REJECTED_FILL)
        reason = reasons.get(key)
        if on or reason is None:
            _marked(cell, on)
        else:
            styles.comment(cell, " ".join(x for x in (reason.message, accepted_note(reason)) if x))
        return
    shade = styles.SUSPECT_FILL if on else styles.GREY if ind.computed else None
    styles.style(cell, horizontal="right", shade=shade)
    _marked(cell, on)


def _rejected_findings(c: Consolidation) -> dict[tuple[str, str], Finding]:
    """The finding that explains each value not used, by (unit, indicator)."""
    from dvk_cli.checks.marks import REJECTED_RULES

    return {(f.unit, f.indicator): f for f in c.findings if f.rule in REJECTED_RULES}


# ------------------------------------------------------------------ models

def _model_records(c: Consolidation) -> list[dict]:
    if c.models is None or not len(c.models):
        return []
    order = {code: i for i, code in enumerate(c.units)}
    records = c.models.to_dict("records")
    for m in records:
        code = m.get("unit")
        info = c.units.get(code) if isinstance(code, str) else None
        m["unit_name"] = info.name if info else (code or "")
    return sorted(records, key=lambda m: order.get(m.get("unit"), len(order)))


def _models_sheet(ws, c: Consolidation) -> None:
    records = _model_records(c)
    exemplary = sum(1 for m in records if is_exemplary(m.get("exemplary")))
    note = f"{len(records)} mô hình"
    if records:
        note += f", trong đó {exemplary} mô hình tiêu biểu"
    org = c.organization.name
    fill_model_sheet(
        ws, c.catalog, records, unit_column=True, validation_rows=len(records),
        title=f"DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH “DÂN VẬN KHÉO” – {_upper_period(c)}",
        subtitle=f"{org} – {note}" if org else note,
    )
    if not records:
        _note_row(ws, 4, "Chưa có mô hình nào trong các biểu đã đọc.", 8)


# ------------------------------------------------------------------ Kiểm tra

def _checks_note(c: Consolidation) -> str:
    """'1 lỗi, 2 cảnh báo đang mở, 1 đã chấp nhận, 3 ghi nhận, 1 đã khắc phục; …'."""
    infos = sum(1 for f in c.findings if f.severity == "info")
    note = f"{len(c.errors)} lỗi, {len(c.warnings)} cảnh báo đang mở"
    for n, word in ((len(c.accepted), "đã chấp nhận"), (infos, "ghi nhận"),
                    (len(c.resolved), "đã khắc phục")):
        if n:
            note += f", {n} {word}"
    return f"{note}; {c.state_summary()}"


def _checks_sheet(ws, c: Consolidation) -> None:
    headers = ["STT", "Mức độ", "Đơn vị", "Tệp", "Trang", "Ô", "Chỉ tiêu", "Nội dung",
               "Tình trạng", "Ảnh hưởng"]
    ncols = len(headers)
    styles.set_widths(ws, [5, 11, 24, 28, 16, 7, 24, 64, 26, 12])
    # by severity, open before accepted, largest impact first (as c.findings
    # is from a run); those an earlier run raised and this one no longer does last
    findings = [*sort_findings(c.findings), *c.resolved]
    header = _titles(ws, c, "KẾT QUẢ KIỂM TRA SỐ LIỆU", ncols, _checks_note(c))
    styles.header_row(ws, header, headers)

    names = {u.code: u.name for u in (*c.missing, *c.held)}
    names.update({code: info.name for code, info in c.units.items()})
    r = header
    for n, f in enumerate(findings, start=1):
        r += 1
        ind = c.catalog.indicators.get(f.indicator) if f.indicator else None
        texts: list[str | None] = [
            SEVERITY_LABEL.get(f.severity, f.severity),
            names.get(f.unit, f.unit),
            f.file,
            f.sheet,
            f.cell,
            f"{ind.short} ({ind.code})" if ind else f.indicator,
            f.message,
            status_text(f),
            fmt_percent(f.impact * 100) if f.impact is not None else None,
        ]
        styles.style(ws.cell(r, 1, n), horizontal="center")
        for j, text in enumerate(texts, start=2):
            cell = styles.set_text(ws.cell(r, j), text or None)
            shade = None
            if j == 2 and f.status == Status.OPEN:
                shade = {"error": styles.ERROR_FILL, "warning": styles.WARNING_FILL}.get(f.severity)
            styles.style(cell, bold=j == 2, horizontal="center" if j in (2, 6, 11) else None,
                         size=11 if j in (4, 5) else None, shade=shade)
        styles.fit_row_height(ws, r, 1, ncols)
    if not findings:
        r += 1
        styles.style(ws.cell(r, 1), horizontal="center")
        cell = styles.set_text(ws.cell(r, 2), "Không phát hiện lỗi hay điểm bất thường nào "
                                              "trong các biểu đã đọc.")
        for j in range(2, ncols + 1):
            styles.style(ws.cell(r, j), italic=True)
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=ncols)
        ws.row_dimensions[r].height = 20

    if c.missing:
        r += 2
        styles.title_row(ws, r, f"ĐƠN VỊ CHƯA NỘP BÁO CÁO ({len(c.missing)})", ncols, size=12)
        cell = ws.cell(r, 1)
        cell.alignment = styles.alignment("left", "center", True)
        for n, unit in enumerate(c.missing, start=1):
            r += 1
            texts = [SEVERITY_LABEL["info"], unit.name, None, None, None, None,
                     MISSING_TEXT, None, None]
            styles.style(ws.cell(r, 1, n), horizontal="center")
            for j, text in enumerate(texts, start=2):
                styles.style(styles.set_text(ws.cell(r, j), text),
                             horizontal="center" if j == 2 else None)
            styles.fit_row_height(ws, r, 1, ncols)

    ws.freeze_panes = ws.cell(header + 1, 1).coordinate
    styles.print_setup(ws, landscape=True, title_rows=(header, header))


# ------------------------------------------------------------------ Nguồn

def _status_text(source: Source, states: dict[str, UnitState]) -> str:
    """'Đã tổng hợp – cần xem lại': a used file with its unit's state."""
    if source.used:
        state = states.get(source.unit)
        return "Đã tổng hợp" + (f" – {state.label}" if state else "")
    status = source.status_text
    return status[:1].upper() + status[1:] if status else ""


def _period_text(code: str) -> str:
    from dvk_cli.core.periods import parse_period

    period = parse_period(code) if code else None
    return period.title if period else code


def _sources_sheet(ws, c: Consolidation) -> None:
    headers = ["STT", "Tệp", "SHA-256", "Mã đơn vị", "Đơn vị", "Kỳ báo cáo",
               "Số chỉ tiêu đọc được", "Số mô hình", "Tình trạng"]
    ncols = len(headers)
    styles.set_widths(ws, [5, 36, 46, 13, 26, 20, 11, 10, 24])
    used = sum(1 for s in c.sources if s.used)
    states = c.unit_states()
    header = _titles(ws, c, "CÁC TỆP ĐÃ ĐỌC", ncols,
                     f"{len(c.sources)} tệp, {used} tệp được tổng hợp")
    styles.header_row(ws, header, headers)
    r = header
    for n, s in enumerate(c.sources, start=1):
        r += 1
        styles.style(ws.cell(r, 1, n), horizontal="center")
        styles.style(styles.set_text(ws.cell(r, 2), s.path), size=11)
        styles.style(styles.set_text(ws.cell(r, 3), s.sha256 or None), size=8, wrap=False)
        styles.style(styles.set_text(ws.cell(r, 4), s.unit or None), horizontal="center", size=11)
        styles.style(styles.set_text(ws.cell(r, 5), s.unit_name or None))
        styles.style(styles.set_text(ws.cell(r, 6), _period_text(s.period) or None),
                     horizontal="center")
        styles.style(ws.cell(r, 7, int(s.values)), horizontal="center")
        styles.style(ws.cell(r, 8, int(s.models)), horizontal="center")
        shade = None if s.used else styles.WARNING_FILL
        styles.style(styles.set_text(ws.cell(r, 9), _status_text(s, states) or None), shade=shade)
        styles.fit_row_height(ws, r, 1, ncols)
    if not c.sources:
        r += 1
        styles.set_text(ws.cell(r, 2), "Không có tệp nào được đọc.")
        styles.box(ws, r, r, 1, ncols)
        ws.cell(r, 2).font = styles.font(italic=True)
    ws.freeze_panes = ws.cell(header + 1, 1).coordinate
    styles.print_setup(ws, landscape=True, title_rows=(header, header))


# ------------------------------------------------------------------ Biểu tổng hợp

def _form_sheet(ws, c: Consolidation, marks: Marks) -> None:
    """The return form filled with the totals (what goes one level up); a
    marked total keeps its value and gets the suspect fill and comment."""
    from openpyxl.utils import get_column_letter

    org = c.organization
    note = f"Tổng hợp từ biểu của {len(c.units)} đơn vị"
    cells = fill_form_sheet(
        ws, c.catalog,
        unit_name=org.name, unit_code=org.code, period_text=c.period.title,
        values=c.totals, computed="value",
        title=FORM_TITLE, subtitle=f"{note} – {org.name}" if org.name else note,
    )
    for code, address in cells.items():
        on = marks.on(code)
        if on:
            ws[address].fill = styles.fill(styles.SUSPECT_FILL)
            _marked(ws[address], on)
    add_signature(ws, ws.max_row + 2, org.place)
    ws.print_area = f"A1:{get_column_letter(6)}{ws.max_row}"


# ------------------------------------------------------------------ public

def build_workbook(c: Consolidation) -> openpyxl.Workbook:
    from dvk_cli.checks.marks import marks_for

    wb = styles.new_workbook()
    marks = marks_for(c)  # once: the same marks on every sheet
    builders: tuple[Callable[[Any, Consolidation], None] | None, ...] = (
        partial(_totals_sheet, marks=marks), partial(_units_sheet, marks=marks),
        history_sheets.units_sheet if history_sheets.has_units_sheet(c) else None,
        _models_sheet, _checks_sheet, _sources_sheet, partial(_form_sheet, marks=marks),
        history_sheets.trend_sheet if history_sheets.has_trend_sheet(c) else None)
    for name, build in zip(SHEETS, builders, strict=True):
        if build is not None:
            build(wb.create_sheet(name), c)
    wb.active = 0
    return wb


def write_workbook(c: Consolidation, path) -> Path:
    """Write the consolidated workbook atomically to `path` (tong-hop-<period>.xlsx)."""
    import gc

    from dvk_cli.core.files import save_workbook_atomic

    written = save_workbook_atomic(build_workbook(c), Path(path))
    # openpyxl's cells and sheets refer to each other: only the cycle collector
    # frees them, and what comes next (report, JSON) should reuse that memory.
    gc.collect()
    return written
