"""The history store's part of the consolidated workbook: comparison columns
(kỳ trước, cùng kỳ, tăng/giảm, %) on Tổng hợp, a comparison table by unit on
Theo đơn vị, and the sheet Xu hướng with native Excel charts of the main
indicators over the stored periods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dvk_cli.core.comparisons import change, comparison_sets, main_codes
from dvk_cli.outputs import styles

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Indicator

TREND_SHEET = "Xu hướng"
CHANGE_FORMAT = '+#,##0.##;-#,##0.##;0'
PERCENT_FORMAT = '+0.0;-0.0;0.0'
COMPARE_NOTE = ("Số liệu kỳ trước, cùng kỳ lấy từ kho lịch sử dvk.sqlite (báo cáo các đơn vị đã "
                "tổng hợp, hoặc số liệu nền đã nạp). Cột % là mức tăng/giảm so với kỳ đó; với "
                "chỉ tiêu tỷ lệ, cột Tăng/giảm tính bằng điểm phần trăm.")


def sets_for(c: Consolidation) -> list[dict]:
    return comparison_sets(c.compare or {}, c.period)


def headers(c: Consolidation) -> tuple[list[str], list[float]]:
    """Extra column headers and widths for the comparisons available."""
    names: list[str] = []
    widths: list[float] = []
    for s in sets_for(c):
        names += [s["title"], "Tăng/giảm", "%"]
        widths += [16, 12, 9]
    return names, widths


class _CachedStyle:
    """styles.style, but each combination is built once and copied after
    (openpyxl's style objects are slow to create and hash; the table by unit
    has hundreds of rows). The cell's number format is kept."""

    def __init__(self):
        self.done: dict = {}

    def __call__(self, cell, **kwargs):
        from copy import copy

        key = tuple(sorted(kwargs.items()))
        number_format = cell.number_format
        if key in self.done:
            cell._style = copy(self.done[key])
        else:
            styles.style(cell, **kwargs)
            self.done[key] = copy(cell._style)
        cell.number_format = number_format
        return cell


def fill(ws, row: int, col: int, ind: Indicator, now: object, data: dict | None,
         shade: str | None = None, bold: bool = False, style=styles.style) -> int:
    """Write one comparison (value, change, %) from column `col`; returns the next column."""
    before = (data or {}).get(ind.code)
    diff, pct = change(now, before, ind.type)
    cell = styles.set_number(ws.cell(row, col), before, ind.type)
    style(cell, horizontal="right", shade=shade, bold=bold)
    cell = ws.cell(row, col + 1, diff)
    cell.number_format = CHANGE_FORMAT if ind.type != "percent" else PERCENT_FORMAT
    style(cell, horizontal="right", shade=shade, bold=bold)
    cell = ws.cell(row, col + 2, None if pct is None else round(pct, 1))
    cell.number_format = PERCENT_FORMAT
    style(cell, horizontal="right", shade=shade, bold=bold)
    return col + 3


def fill_totals_row(ws, row: int, col: int, c: Consolidation, ind: Indicator,
                    shade: str | None) -> None:
    """The comparison cells of one indicator row on Tổng hợp."""
    for s in sets_for(c):
        col = fill(ws, row, col, ind, c.totals.get(ind.code), s["data"].get("totals", {}),
                   shade=shade)


def units_table(ws, c: Consolidation, top: int) -> int:
    """Comparison by unit below the table of Theo đơn vị: one row per unit and
    indicator reported now or then. Returns the last row written (or top - 1)."""
    import math

    sets = sets_for(c)
    if not sets:
        return top - 1
    cols = ["STT", "Mã đơn vị", "Đơn vị", "Chỉ tiêu", "Mã", "Kỳ này"]
    for s in sets:
        cols += [s["title"], "Tăng/giảm", "%"]
    ncols = len(cols)
    styles.title_row(ws, top, f"SO SÁNH VỚI {' VÀ '.join(s['data']['label'].upper() for s in sets)}"
                     " THEO ĐƠN VỊ", min(ncols, 12), size=12)
    styles.header_row(ws, top + 1, cols)
    r = top + 1
    n = 0
    per_unit = c.per_unit
    style = _CachedStyle()
    for unit, info in c.units.items():
        for ind in c.catalog.indicators.values():
            now = per_unit.at[unit, ind.code] if (unit in per_unit.index and
                                                  ind.code in per_unit.columns) else None
            if now is not None and isinstance(now, float) and math.isnan(now):
                now = None
            befores = [s["data"].get("per_unit", {}).get(unit, {}).get(ind.code) for s in sets]
            if now is None and all(b is None for b in befores):
                continue
            r += 1
            n += 1
            shade = styles.GREY if ind.computed else None
            style(ws.cell(r, 1, n), horizontal="center")
            style(styles.set_text(ws.cell(r, 2), unit), horizontal="center", size=11)
            style(styles.set_text(ws.cell(r, 3), info.name))
            style(styles.set_text(ws.cell(r, 4), ind.short), shade=shade)
            style(styles.set_text(ws.cell(r, 5), ind.code), size=9, horizontal="center",
                  shade=shade)
            style(styles.set_number(ws.cell(r, 6), now, ind.type), horizontal="right",
                  shade=shade)
            col = 7
            for s in sets:
                col = fill(ws, r, col, ind, now, s["data"].get("per_unit", {}).get(unit, {}),
                           shade=shade, style=style)
            styles.fit_row_height(ws, r, 1, 6)
    ws.auto_filter.ref = f"A{top + 1}:{_letter(ncols)}{r}"
    return r


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def trend_sheet(ws, c: Consolidation) -> None:
    """Xu hướng: the main indicators over the stored periods of this kind, as a
    table and one native Excel chart per indicator (a line from three periods
    on, bars below that)."""
    from openpyxl.chart import BarChart, LineChart, Reference

    series = (c.history or {}).get("trend") or [
        {"period": c.period.code, "label": c.period.label, "totals": dict(c.totals)}]
    codes = [code for code in main_codes(c.catalog)
             if any(code in p["totals"] for p in series)]
    ncols = 3 + len(series)
    styles.set_widths(ws, [6, 44, 12] + [14] * len(series))
    styles.title_row(ws, 1, f"XU HƯỚNG CÁC CHỈ TIÊU CHỦ YẾU – {c.period.label.upper()}",
                     max(ncols, 6), size=14)
    note = (f"{len(series)} kỳ có trong kho lịch sử" if len(series) > 1 else
            "Kho lịch sử chưa có số liệu các kỳ trước cùng loại; chỉ có số liệu kỳ này.")
    if c.organization.name:
        note = f"{c.organization.name} – {note}"
    styles.title_row(ws, 2, note, max(ncols, 6), size=12, bold=False, italic=True)
    header = 4
    styles.header_row(ws, header, ["STT", "Chỉ tiêu", "Đơn vị tính"]
                      + [styles_title(p["label"]) for p in series])
    r = header
    for n, code in enumerate(codes, start=1):
        ind = c.catalog.indicators[code]
        r += 1
        styles.style(ws.cell(r, 1, n), horizontal="center")
        styles.style(styles.set_text(ws.cell(r, 2), ind.label))
        styles.style(styles.set_text(ws.cell(r, 3), ind.unit), horizontal="center")
        for j, p in enumerate(series, start=4):
            styles.style(styles.set_number(ws.cell(r, j), p["totals"].get(code), ind.type),
                         horizontal="right")
        styles.fit_row_height(ws, r, 1, ncols)
    ws.freeze_panes = ws.cell(header + 1, 3).coordinate
    styles.print_setup(ws, landscape=True, title_rows=(header, header))

    categories = Reference(ws, min_col=4, max_col=3 + len(series), min_row=header, max_row=header)
    anchor_row = r + 3
    for i, code in enumerate(codes):
        ind = c.catalog.indicators[code]
        row = header + 1 + i
        chart = LineChart() if len(series) >= 3 else BarChart()
        if isinstance(chart, BarChart):
            chart.y_axis.scaling.min = 0  # bars from zero, not from the smallest value
        chart.title = ind.short
        chart.y_axis.title = ind.unit
        chart.legend = None
        chart.height, chart.width = 6.5, 12.5
        chart.add_data(Reference(ws, min_col=4, max_col=3 + len(series), min_row=row,
                                 max_row=row), from_rows=True, titles_from_data=False)
        chart.set_categories(categories)
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        column = "B" if i % 2 == 0 else "F"
        ws.add_chart(chart, f"{column}{anchor_row + (i // 2) * 14}")


def styles_title(label: str) -> str:
    return label[:1].upper() + label[1:]
