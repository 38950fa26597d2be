"""The consolidated workbook (spec §4): Tổng hợp, Theo đơn vị, So sánh theo
đơn vị (when the store has the earlier period by unit), Danh sách mô hình,
Kiểm tra, Nguồn, Biểu tổng hợp and Xu hướng (two or more stored periods) —
values, never formulas, so the figures are exactly those dvk computed (ratios
recomputed from summed parts). Every sheet prints on A4 fitted to one page
wide, its header rows repeated.

Written with XlsxWriter in constant-memory mode (outputs/xlsx.py): each sheet
row by row, top to bottom; the look is that of outputs/styles.py, which the
openpyxl writers (blank forms, feedback copies) share.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_cli.core.catalog import Group
from dvk_cli.core.findings import SEVERITY_LABEL, Status, sort_findings
from dvk_cli.core.numbers import fmt_percent
from dvk_cli.core.unitstate import UnitState
from dvk_cli.outputs import forms, history_sheets, styles
from dvk_cli.outputs.forms import (
    DECIMAL_ERROR,
    VALUE_ERROR_TITLE,
    WHOLE_ERROR,
    is_exemplary,
    iter_form_rows,
)
from dvk_cli.outputs.report import accepted_note, rejected_text, status_text
from dvk_cli.outputs.xlsx import Book, Sheet

if TYPE_CHECKING:
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


def _titles(sh: Sheet, c: Consolidation, heading: str, ncols: int, note: str = "") -> int:
    """Title line and organisation line; returns the table's header row."""
    return sh.titles(f"{heading} – {_upper_period(c)}", c.organization.name, ncols, note)


def _reported_note(c: Consolidation) -> str:
    """'Tổng hợp từ báo cáo của 5/6 đơn vị (2/6 đơn vị hợp lệ, …)': the states
    in the words of every output (core.unitstate)."""
    return (f"Tổng hợp từ báo cáo của {len(c.units)}/{c.expected} đơn vị "
            f"({c.state_summary()})")


# ------------------------------------------------------------------ Tổng hợp

def _marked(sh: Sheet, row: int, col: int, marks: tuple[Mark, ...]) -> None:
    """A comment on a marked figure's cell: each mark's tag and note."""
    if marks:
        sh.comment(row, col, "\n".join(f"{m.tag} {m.note}" for m in marks))


def _indicator_cells(sh: Sheet, r: int, ind: Indicator, stt: str | int,
                     shade: str | None) -> list[tuple[int, object]]:
    """STT, Chỉ tiêu, Mã, Đơn vị tính of an indicator row (Tổng hợp and the
    form); returns the texts written, for the row height."""
    child = bool(ind.parent)
    texts: list[tuple[int, object]] = []
    if isinstance(stt, int):
        sh.raw_number(r, 1, stt, sh.book.format(horizontal="center", shade=shade))
    else:
        texts.append((1, sh.text(r, 1, stt, horizontal="center", shade=shade)))
    texts.append((2, sh.text(r, 2, ind.label, italic=child, indent=2 if child else 0,
                             shade=shade)))
    texts.append((3, sh.text(r, 3, ind.code, horizontal="center", size=11, shade=shade)))
    texts.append((4, sh.text(r, 4, ind.unit, horizontal="center", shade=shade)))
    return texts


def _group_row(sh: Sheet, r: int, group: Group, stt: str | int, ncols: int) -> None:
    sh.text(r, 1, stt, bold=True, horizontal="center")
    title = sh.text(r, 2, group.title, bold=True)
    for col in range(3, ncols + 1):
        sh.blank(r, col)
    sh.fit_row(r, [(2, title)])


def _form_rows(sh: Sheet, c: Consolidation, marks: Marks, header: int, ncols: int):
    """The catalog's rows in form order below `header`: a group's row is
    written here; for an indicator its STT, label, code and unit are, and
    (row, indicator, is a child row, shade, texts written, its marks) is
    yielded for the caller's figures."""
    r = header
    for obj, stt in iter_form_rows(c.catalog):
        r += 1
        if isinstance(obj, Group):
            _group_row(sh, r, obj, stt, ncols)
            continue
        shade = styles.GREY if obj.computed else None
        yield (r, obj, bool(obj.parent), shade, _indicator_cells(sh, r, obj, stt, shade),
               marks.on(obj.code))


def _totals_sheet(sh: Sheet, c: Consolidation, marks: Marks) -> None:
    headers = ["STT", "Chỉ tiêu", "Mã", "Đơn vị tính", TOTAL_LABEL, "Số đơn vị báo cáo"]
    extra, extra_widths = history_sheets.headers(c)  # kỳ trước, cùng kỳ, tăng/giảm, %
    headers += extra
    ncols = len(headers)
    sh.set_widths([6, 56, 16, 12, 16, 12] + extra_widths)
    header = _titles(sh, c, MAIN_TITLE, ncols, _reported_note(c))
    sh.header_row(header, headers)
    r = header
    for r, ind, child, shade, texts, on in _form_rows(sh, c, marks, header, ncols):
        sh.number(r, 5, c.totals.get(ind.code), ind.type, bold=not child, horizontal="right",
                  shade=styles.SUSPECT_FILL if on else shade)
        _marked(sh, r, 5, on)
        sh.raw_number(r, 6, int(c.reporting.get(ind.code, 0)),
                      sh.book.format(horizontal="center", shade=shade))
        history_sheets.fill_totals_row(sh, r, 7, c, ind, shade)
        sh.fit_row(r, texts, indent={2: 2 if child else 0})
    sh.note_row(
        r + 2,
        "Ô “Tổng cộng” để trống: không đơn vị nào báo cáo chỉ tiêu đó (khác với số 0). "
        "Các dòng tô xám là chỉ tiêu tính toán: tổng được cộng từ các thành phần, "
        "tỷ lệ được tính lại từ tổng số của các thành phần (không cộng tỷ lệ của từng đơn vị).",
        ncols,
    )
    notes = [SUSPECT_NOTE] if marks else []
    if extra:
        notes.append(history_sheets.COMPARE_NOTE)
    for i, note in enumerate(notes, start=3):
        sh.note_row(r + i, note, ncols)
    sh.freeze(header + 1, 1)
    sh.print_setup(title_rows=(header, header))  # landscape when wide


# ------------------------------------------------------------------ Theo đơn vị

def _units_sheet(sh: Sheet, c: Consolidation, marks: Marks) -> None:
    book = sh.book
    catalog = c.catalog
    indicators = list(catalog.indicators.values())
    fixed = ["STT", "Mã đơn vị", "Đơn vị"]
    nfixed = len(fixed)
    ncols = nfixed + len(indicators)
    sh.set_widths([5, 12, 26] + [11] * len(indicators))
    top = _titles(sh, c, "SỐ LIỆU CÔNG TÁC DÂN VẬN THEO ĐƠN VỊ", min(ncols, 12),
                  _reported_note(c))
    group_row, label_row, code_row = top, top + 1, top + 2
    groups = [(group, members) for key, group in catalog.groups.items()
              if (members := catalog.in_group(key))]

    # three header rows, written one after the other; the fixed columns'
    # headers are merged down the three
    for i, text in enumerate(fixed, start=1):
        sh.text(group_row, i, text, bold=True, horizontal="center", shade=styles.HEADER_FILL)
        sh.merge_down(group_row, i, code_row)
    col = nfixed
    for group, members in groups:
        title = f"{group.roman}. {group.title}" if group.roman else group.title
        look = dict(bold=True, horizontal="center", shade=styles.HEADER_FILL)
        if len(members) > 1:
            sh.merge(group_row, col + 1, group_row, col + len(members), title, **look)
        else:
            sh.text(group_row, col + 1, title, **look)
        col += len(members)
    sh.set_height(group_row, 36)
    for i in range(1, nfixed + 1):
        sh.blank(label_row, i, shade=styles.HEADER_FILL)
    labels = []
    for j, ind in enumerate(indicators, start=nfixed + 1):
        labels.append((j, sh.text(label_row, j, ind.short, bold=True, size=11,
                                  horizontal="center",
                                  shade=styles.GREY if ind.computed else styles.HEADER_FILL)))
    sh.fit_row(label_row, labels, 11)
    for i in range(1, nfixed + 1):
        sh.blank(code_row, i, shade=styles.HEADER_FILL)
    for j, ind in enumerate(indicators, start=nfixed + 1):
        sh.text(code_row, j, ind.code, size=9, horizontal="center",
                shade=styles.GREY if ind.computed else styles.HEADER_FILL)
    sh.set_height(code_row, 16)

    per_unit = c.per_unit.reindex(index=list(c.units), columns=catalog.codes).to_dict("index")
    marked_units = {m.unit for m in marks} | {unit for unit, _ in marks.rejected}
    reasons = _rejected_findings(c)
    codes = [ind.code for ind in indicators]
    # a plain figure's format follows from its column (type, shade) and from
    # whether it is empty, whole or not: the three are made once per column
    plain = [book.figure_formats(ind.type, horizontal="right",
                                 shade=styles.GREY if ind.computed else None)
             for ind in indicators]
    n_fmt = book.format(horizontal="center")
    looks = [book.look(horizontal="center", size=11), book.look()]  # Mã đơn vị, Đơn vị
    record = (_stt_formats(n_fmt), *looks, *plain)  # a unit's row without marks
    r = code_row
    for n, (unit_code, info) in enumerate(c.units.items(), start=1):
        r += 1
        row = per_unit[unit_code]
        if unit_code not in marked_units:
            sh.write_record(r, 1, (n, unit_code, info.name, *[row[code] for code in codes]),
                            record)
            continue
        sh.raw_number(r, 1, n, n_fmt)
        texts = list(enumerate(sh.write_texts(r, 2, (unit_code, info.name), looks), start=2))
        for j, ind in enumerate(indicators, start=nfixed + 1):
            texts.append((j, _unit_cell(sh, r, j, row[ind.code], marks, reasons,
                                        unit_code, ind)))
        # a value not used is text ("bị loại: …"): the row grows to show it
        sh.fit_row(r, texts)

    r += 1
    sh.merge(r, 1, r, nfixed, TOTAL_LABEL, bold=True, horizontal="center",
             shade=styles.HEADER_FILL)
    for j, ind in enumerate(indicators, start=nfixed + 1):
        # Totals of inputs are sums; computed columns are c.totals (ratios
        # recomputed from summed parts), never a sum of the column.
        on = marks.on(ind.code)
        sh.number(r, j, c.totals.get(ind.code), ind.type, bold=True, horizontal="right",
                  shade=styles.SUSPECT_FILL if on else styles.HEADER_FILL)
        _marked(sh, r, j, on)
    sh.set_height(r, 20)
    notes = ["Ô để trống: đơn vị không báo cáo chỉ tiêu đó. Cột tô xám là chỉ tiêu tính toán; "
             "tỷ lệ ở dòng Tổng cộng được tính lại từ tổng số các thành phần."]
    notes += [SUSPECT_NOTE] if marks else []
    notes += [REJECTED_NOTE] if marks.rejected else []
    for i, note in enumerate(notes):
        sh.note_row(r + 2 + i, note, min(ncols, 12))

    sh.freeze(code_row + 1, nfixed + 1)
    sh.print_setup(landscape=True, title_rows=(group_row, code_row), title_cols=(1, nfixed))


def _stt_formats(fmt: Any) -> tuple[Any, Any, Any]:
    """An STT's formats for Sheet.write_record (a figure's when empty, whole,
    not whole): a whole number in `fmt`, as Sheet.raw_number writes it."""
    return (fmt, fmt, fmt)


def _unit_cell(sh: Sheet, r: int, j: int, value: object, marks: Marks,
               reasons: dict[tuple[str, str], Finding], unit: str, ind: Indicator) -> str | None:
    """A unit's cell of a unit with marks or values not used: the suspect
    fill and comment on a marked figure; a value not used shown as written,
    in italics on red, with the reason. Returns the text written, if any."""
    on = marks.on_unit(unit, ind.code)
    key = (unit, ind.code)
    number = styles.clean_number(value)
    if number is None and key in marks.rejected:
        text = sh.text(r, j, rejected_text(marks.rejected[key]), italic=True,
                       horizontal="right", shade=styles.REJECTED_FILL,
                       num_format=styles.number_format(None, ind.type))
        reason = reasons.get(key)
        if on or reason is None:
            _marked(sh, r, j, on)
        else:
            sh.comment(r, j, " ".join(x for x in (reason.message, accepted_note(reason)) if x))
        return text
    shade = styles.SUSPECT_FILL if on else styles.GREY if ind.computed else None
    sh.number(r, j, number, ind.type, horizontal="right", shade=shade)
    _marked(sh, r, j, on)
    return None


def _rejected_findings(c: Consolidation) -> dict[tuple[str, str], Finding]:
    """The finding that explains each value not used, by (unit, indicator)."""
    from dvk_cli.checks.marks import REJECTED_RULES

    return {(f.unit, f.indicator): f for f in c.findings if f.rule in REJECTED_RULES}


# ------------------------------------------------------------------ models

MODEL_KEYS = ("unit_name", "name", "field", "kind", "exemplary", "implementer", "note")


def _model_rows(c: Consolidation) -> list[tuple[object, ...]]:
    """The listed models in the order of c.units (those of a unit not among
    them last, each unit's in the order read), each as the cells of its row
    from Đơn vị to Ghi chú (MODEL_KEYS): the unit's name, the model's fields,
    the exemplary mark, None for a blank. Taken column by column: a dict per
    model (DataFrame.to_dict) takes longer than writing the rows."""
    models = c.models
    if models is None or not len(models):
        return []
    size = len(models)

    def column(key: str) -> list:
        return models[key].tolist() if key in models.columns else [None] * size

    units = column("unit")
    order = {code: i for i, code in enumerate(c.units)}
    ranks = [order.get(code, len(order)) for code in units]
    names = []
    for code in units:
        info = c.units.get(code) if isinstance(code, str) else None
        names.append(info.name if info else (code or ""))
    columns = []
    for key in MODEL_KEYS:
        values = names if key == "unit_name" else column(key)
        if key == "exemplary":
            columns.append([forms.EXEMPLARY_MARK if is_exemplary(v) else None for v in values])
        else:
            # most values are text: blank when empty
            columns.append([(v or None) if v.__class__ is str else
                            None if _blank(v) or v == "" else v for v in values])
    rows = list(zip(*columns, strict=True))
    return [rows[i] for i in sorted(range(size), key=ranks.__getitem__)]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _list_source(labels: list[str], hidden_col: int, first: int) -> tuple[list[str], object]:
    """A dropdown's labels and source (forms._list_validation): inline when
    it fits, else the labels listed in a hidden column from row `first`."""
    from xlsxwriter.utility import xl_col_to_name

    labels = [styles.clean_text(x) for x in labels if str(x).strip()]
    inline = '"' + ",".join(labels) + '"'
    if any("," in x or '"' in x for x in labels) or len(inline) > 255:
        letter = xl_col_to_name(hidden_col - 1)
        return labels, f"=${letter}${first}:${letter}${first + max(len(labels), 1) - 1}"
    return labels, labels


def _models_sheet(sh: Sheet, c: Consolidation) -> None:
    """The consolidated model list: forms.fill_model_sheet's layout with the
    unit column, dropdowns on Lĩnh vực / Loại / Tiêu biểu over its rows."""
    records = _model_rows(c)
    marked = MODEL_KEYS.index("exemplary")
    exemplary = sum(1 for m in records if m[marked] is not None)
    note = f"{len(records)} mô hình"
    if records:
        note += f", trong đó {exemplary} mô hình tiêu biểu"
    org = c.organization.name
    headers = list(forms.MODEL_HEADERS)
    widths = list(forms.MODEL_WIDTHS)
    headers.insert(1, forms.MODEL_UNIT_HEADER)
    widths.insert(1, forms.MODEL_UNIT_WIDTH)
    ncols = len(headers)
    sh.set_widths(widths)
    sh.title_row(1, f"DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH “DÂN VẬN KHÉO” – {_upper_period(c)}",
                 ncols, size=14)
    sh.title_row(2, f"{org} – {note}" if org else note, ncols, size=12, bold=False,
                 italic=True)
    header = 3
    sh.header_row(header, headers)
    first = header + 1

    # the dropdowns' lists too long to write inline go in hidden columns
    hidden = ncols + 3
    dropdowns = [
        ("Lĩnh vực", [x.label for x in c.catalog.model_fields], "Lĩnh vực"),
        ("Loại", [x.label for x in c.catalog.model_kinds], "Loại mô hình"),
        ("Tiêu biểu", [forms.EXEMPLARY_MARK], "Tiêu biểu"),
    ]
    lists: dict[int, dict[int, str]] = {}  # row -> hidden column -> label
    sources = []
    for i, (name, labels, title) in enumerate(dropdowns):
        labels, source = _list_source(labels, hidden + i, first)
        if isinstance(source, str):
            for k, label in enumerate(labels):
                lists.setdefault(first + k, {})[hidden + i] = label
            sh.hide_column(hidden + i)
        sources.append((headers.index(name) + 1, labels, source, title))

    center = {"kind", "exemplary"}
    n_fmt = sh.book.format(horizontal="center")
    looks = (_stt_formats(n_fmt),
             *[sh.book.look(horizontal="center" if key in center else None) for key in MODEL_KEYS])
    r = first - 1
    for i, model in enumerate(records):
        r = first + i
        sh.write_record(r, 1, (i + 1, *model), looks)
        for col, label in lists.pop(r, {}).items():
            sh.plain_text(r, col, label)
    for row in sorted(lists):
        for col, label in lists[row].items():
            sh.plain_text(row, col, label)
    if not records:
        sh.note_row(4, "Chưa có mô hình nào trong các biểu đã đọc.", 8)
    else:
        last = first + len(records) - 1
        for col, labels, source, title in sources:
            shown = "; ".join(labels)
            sh.ws.data_validation(first - 1, col - 1, last - 1, col - 1, {
                "validate": "list", "source": source, "ignore_blank": True, "dropdown": True,
                "show_input": False, "error_type": "stop", "error_title": title[:32],
                "error_message": f"Chọn trong danh sách: {shown}"[:255]})
    sh.freeze(first, 1)
    sh.print_setup(landscape=True, title_rows=(header, header))


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


def _checks_sheet(sh: Sheet, c: Consolidation) -> None:
    headers = ["STT", "Mức độ", "Đơn vị", "Tệp", "Trang", "Ô", "Chỉ tiêu", "Nội dung",
               "Tình trạng", "Ảnh hưởng"]
    ncols = len(headers)
    sh.set_widths([5, 11, 24, 28, 16, 7, 24, 64, 26, 12])
    # by severity, open before accepted, largest impact first (as c.findings
    # is from a run); those an earlier run raised and this one no longer does last
    findings = [*sort_findings(c.findings), *c.resolved]
    header = _titles(sh, c, "KẾT QUẢ KIỂM TRA SỐ LIỆU", ncols, _checks_note(c))
    sh.header_row(header, headers)

    names = {u.code: u.name for u in (*c.missing, *c.held)}
    names.update({code: info.name for code, info in c.units.items()})
    n_fmt = sh.book.format(horizontal="center")

    def look(j: int, shade: str | None = None):
        return sh.book.look(bold=j == 2, horizontal="center" if j in (2, 6, 11) else None,
                            size=11 if j in (4, 5) else None, shade=shade)

    # the looks of columns 1 to 10; an open error's or warning's Mức độ is shaded
    looks = (_stt_formats(n_fmt), *[look(j) for j in range(2, ncols + 1)])
    shaded = {severity: (looks[0], look(2, fill), *looks[2:])
              for severity, fill in (("error", styles.ERROR_FILL),
                                     ("warning", styles.WARNING_FILL))}
    r = header
    for n, f in enumerate(findings, start=1):
        r += 1
        ind = c.catalog.indicators.get(f.indicator) if f.indicator else None
        values: list[str | None] = [
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
        row_looks = shaded.get(f.severity, looks) if f.status == Status.OPEN else looks
        sh.write_record(r, 1, (n, *[value or None for value in values]), row_looks)
    if not findings:
        r += 1
        sh.blank(r, 1, horizontal="center")
        sh.merge(r, 2, r, ncols, "Không phát hiện lỗi hay điểm bất thường nào "
                                 "trong các biểu đã đọc.", italic=True)
        sh.set_height(r, 20)

    if c.missing:
        r += 2
        sh.title_row(r, f"ĐƠN VỊ CHƯA NỘP BÁO CÁO ({len(c.missing)})", ncols, size=12,
                     horizontal="left")
        for n, unit in enumerate(c.missing, start=1):
            r += 1
            values = [SEVERITY_LABEL["info"], unit.name, None, None, None, None,
                      MISSING_TEXT, None, None]
            sh.raw_number(r, 1, n, n_fmt)
            texts = [(j, sh.text(r, j, value, horizontal="center" if j == 2 else None))
                     for j, value in enumerate(values, start=2)]
            sh.fit_row(r, texts)

    sh.freeze(header + 1, 1)
    sh.print_setup(landscape=True, title_rows=(header, header))


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


def _sources_sheet(sh: Sheet, c: Consolidation) -> None:
    headers = ["STT", "Tệp", "SHA-256", "Mã đơn vị", "Đơn vị", "Kỳ báo cáo",
               "Số chỉ tiêu đọc được", "Số mô hình", "Tình trạng"]
    ncols = len(headers)
    sh.set_widths([5, 36, 46, 13, 26, 20, 11, 10, 24])
    used = sum(1 for s in c.sources if s.used)
    states = c.unit_states()
    header = _titles(sh, c, "CÁC TỆP ĐÃ ĐỌC", ncols,
                     f"{len(c.sources)} tệp, {used} tệp được tổng hợp")
    sh.header_row(header, headers)
    book = sh.book
    center = book.format(horizontal="center")
    # Tệp, SHA-256, Mã đơn vị, Đơn vị, Kỳ báo cáo; Tình trạng, shaded when not used
    looks = [book.look(size=11), book.look(size=8, wrap=False),
             book.look(horizontal="center", size=11), book.look(),
             book.look(horizontal="center")]
    status_looks = {True: book.look(shade=None), False: book.look(shade=styles.WARNING_FILL)}
    stt = _stt_formats(center)  # STT, Số chỉ tiêu đọc được, Số mô hình
    records = {used: (stt, *looks, stt, stt, status) for used, status in status_looks.items()}
    periods: dict[str, str] = {}  # the same period on most files: its title worked out once
    r = header
    for n, s in enumerate(c.sources, start=1):
        r += 1
        period = periods.get(s.period)
        if period is None:
            period = periods[s.period] = _period_text(s.period)
        sh.write_record(r, 1, (n, s.path, s.sha256 or None, s.unit or None,
                               s.unit_name or None, period or None, int(s.values),
                               int(s.models), _status_text(s, states) or None),
                        records[bool(s.used)])
    if not c.sources:
        r += 1
        for j in range(1, ncols + 1):
            if j == 2:
                sh.text(r, j, "Không có tệp nào được đọc.", italic=True, wrap=False,
                        vertical=None)
            else:
                sh.blank(r, j, wrap=False, vertical=None)
    sh.freeze(header + 1, 1)
    sh.print_setup(landscape=True, title_rows=(header, header))


# ------------------------------------------------------------------ Biểu tổng hợp

def _form_sheet(sh: Sheet, c: Consolidation, marks: Marks) -> None:
    """The return form filled with the totals (what goes one level up), in
    the layout of forms.fill_form_sheet (computed="value") and
    forms.add_signature; a marked total keeps its value and gets the
    suspect fill and comment."""
    from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

    org = c.organization
    note = f"Tổng hợp từ biểu của {len(c.units)} đơn vị"
    ncols = len(forms.FORM_HEADERS)
    sh.set_widths(forms.FORM_WIDTHS)
    sh.title_row(1, FORM_TITLE, ncols, size=14)
    sh.title_row(2, f"{note} – {org.name}" if org.name else note, ncols, size=12,
                 bold=False, italic=True)

    # header block: label, then its value in the cell immediately to the right
    row = 4
    for label, value in ((forms.UNIT_LABEL, org.name), (forms.UNIT_CODE_LABEL, org.code),
                         (forms.PERIOD_LABEL, c.period.title)):
        sh.text(row, 2, label, bold=True, horizontal="right", border=False)
        sh.merge(row, 3, row, ncols, value or None, bold=bool(value), horizontal="left",
                 border=False, dotted_bottom=True)
        sh.set_height(row, 20)
        row += 1

    header = row + 1
    sh.header_row(header, forms.FORM_HEADERS)
    first = header + 1
    whole: list[str] = []
    decimal: list[str] = []
    value_col = forms.VALUE_COL
    r = header
    for r, ind, child, shade, texts, on in _form_rows(sh, c, marks, header, ncols):
        total = c.totals.get(ind.code)
        if ind.computed:
            sh.number(r, value_col, total, ind.type, bold=not child, horizontal="right",
                      shade=styles.SUSPECT_FILL if on else shade)
            texts.append((6, sh.text(r, 6, "Tính lại từ số liệu thành phần", italic=True,
                                     size=10, shade=shade)))
        else:
            sh.number(r, value_col, total, ind.type, horizontal="right",
                      shade=styles.SUSPECT_FILL if on else None)
            sh.blank(r, 6)
            (whole if ind.type == "count" else decimal).append(
                xl_rowcol_to_cell(r - 1, value_col - 1))
        _marked(sh, r, value_col, on)
        sh.fit_row(r, texts, indent={2: 2 if child else 0})
    for cells, validate, error in ((whole, "integer", WHOLE_ERROR),
                                   (decimal, "decimal", DECIMAL_ERROR)):
        if cells:
            row0, col0 = xl_cell_to_rowcol(cells[0])
            sh.ws.data_validation(row0, col0, row0, col0, {
                "validate": validate, "criteria": ">=", "value": 0, "ignore_blank": True,
                "show_input": False, "error_type": "stop", "error_title": VALUE_ERROR_TITLE,
                "error_message": error, "multi_range": " ".join(cells)})
    sh.freeze(first, 1)
    sh.print_setup(landscape=False, title_rows=(header, header))

    # forms.add_signature: '…, ngày … tháng … năm …', Người lập biểu / Thủ trưởng đơn vị
    row = r + 2
    place = org.place or "……………"
    lines: list[tuple[int, str | None, str, dict[str, Any]]] = [
        (row, None, f"{place}, ngày …… tháng …… năm ……", dict(italic=True)),
        (row + 1, "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", dict(bold=True)),
        (row + 2, "(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)", dict(italic=True, size=11)),
    ]
    for line, left, right, font in lines:
        look = {**font, "horizontal": "center", "wrap": False, "border": False}
        if left is not None:
            sh.text(line, 2, left, **look)
        sh.merge(line, 4, line, ncols, right, **look)
    sh.print_area(row + 2, ncols)


# ------------------------------------------------------------------ public

def build_workbook(c: Consolidation, target: Any) -> None:
    """Write the consolidated workbook to `target` (a path or a binary file)."""
    from dvk_cli.checks.marks import marks_for

    book = Book(target)
    marks = marks_for(c)  # once: the same marks on every sheet
    builders: tuple[Callable[[Sheet, Consolidation], None] | None, ...] = (
        partial(_totals_sheet, marks=marks), partial(_units_sheet, marks=marks),
        history_sheets.units_sheet if history_sheets.has_units_sheet(c) else None,
        _models_sheet, _checks_sheet, _sources_sheet, partial(_form_sheet, marks=marks),
        history_sheets.trend_sheet if history_sheets.has_trend_sheet(c) else None)
    try:
        for name, build in zip(SHEETS, builders, strict=True):
            if build is not None:
                build(book.sheet(name), c)
    except BaseException:
        with contextlib.suppress(Exception):  # its temp files; the output is not kept
            book.close()
        raise
    book.close()


def write_workbook(c: Consolidation, path) -> Path:
    """Write the consolidated workbook atomically to `path` (tong-hop-<period>.xlsx)."""
    from dvk_cli.core.files import atomic_path

    target = Path(path)
    with atomic_path(target) as tmp:
        build_workbook(c, str(tmp))
    return target
