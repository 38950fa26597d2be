"""The history store's part of the consolidated workbook: comparison columns
(kỳ trước, cùng kỳ, tăng/giảm, %) on Tổng hợp, the sheet So sánh theo đơn vị
(only when the store holds figures by unit of the period compared with) and
the sheet Xu hướng with native Excel charts of the main indicators (only with
two or more stored periods).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dvk_cli.core.comparisons import change, comparison_sets, main_codes
from dvk_cli.outputs import styles

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Indicator

TREND_SHEET = "Xu hướng"
UNITS_SHEET = "So sánh theo đơn vị"
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
         shade: str | None = None, bold: bool = False, style=styles.style,
         size: float | None = None) -> int:
    """Write one comparison (value, change, %) from column `col`; returns the next column."""
    before = (data or {}).get(ind.code)
    diff, pct = change(now, before, ind.type)
    cell = styles.set_number(ws.cell(row, col), before, ind.type)
    style(cell, horizontal="right", shade=shade, bold=bold, size=size)
    cell = ws.cell(row, col + 1, diff)
    cell.number_format = CHANGE_FORMAT if ind.type != "percent" else PERCENT_FORMAT
    style(cell, horizontal="right", shade=shade, bold=bold, size=size)
    cell = ws.cell(row, col + 2, None if pct is None else round(pct, 1))
    cell.number_format = PERCENT_FORMAT
    style(cell, horizontal="right", shade=shade, bold=bold, size=size)
    return col + 3


def fill_totals_row(ws, row: int, col: int, c: Consolidation, ind: Indicator,
                    shade: str | None) -> None:
    """The comparison cells of one indicator row on Tổng hợp."""
    for s in sets_for(c):
        col = fill(ws, row, col, ind, c.totals.get(ind.code), s["data"].get("totals", {}),
                   shade=shade)


def unit_sets(c: Consolidation) -> list[dict]:
    """The comparisons that hold figures by unit for a unit of this period
    (a baseline of province totals only has none)."""
    return [s for s in sets_for(c)
            if any(s["data"].get("per_unit", {}).get(unit) for unit in c.units)]


def has_units_sheet(c: Consolidation) -> bool:
    return bool(unit_sets(c))


def units_sheet(ws, c: Consolidation) -> None:
    """The sheet So sánh theo đơn vị: one row per unit and main indicator
    (core.comparisons.main_codes, as on Xu hướng) reported now or then, with
    the comparisons that have figures by unit (the caller writes it only when
    one has: has_units_sheet). Every indicator of each unit is on Theo đơn vị;
    all of them compared would be ten pages and more of print."""
    import math

    sets = unit_sets(c)
    cols = ["STT", "Mã đơn vị", "Đơn vị", "Chỉ tiêu", "Mã", "Kỳ này"]
    widths: list[float] = [5, 12, 22, 30, 15, 11]
    for s in sets:
        cols += [s["title"], "Tăng/giảm", "%"]
        widths += [18, 11, 8]
    ncols = len(cols)
    styles.set_widths(ws, widths)
    title = f"SO SÁNH VỚI {' VÀ '.join(s['data']['label'].upper() for s in sets)} THEO ĐƠN VỊ"
    styles.title_row(ws, 1, f"{title} – {c.period.label.upper()}", ncols, size=14)
    note = f"{len(c.units)} đơn vị đã báo cáo"
    if c.organization.name:
        note = f"{c.organization.name} – {note}"
    styles.title_row(ws, 2, note, ncols, size=12, bold=False, italic=True)
    header = 4
    styles.header_row(ws, header, cols, size=11)
    r = header
    n = 0
    per_unit = c.per_unit
    style = _CachedStyle()
    indicators = [c.catalog.indicators[code] for code in main_codes(c.catalog)]
    for unit, info in c.units.items():
        for ind in indicators:
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
            style(ws.cell(r, 1, n), horizontal="center", size=11)
            style(styles.set_text(ws.cell(r, 2), unit), horizontal="center", size=10)
            style(styles.set_text(ws.cell(r, 3), info.name), size=11)
            style(styles.set_text(ws.cell(r, 4), ind.short), shade=shade, size=11)
            style(styles.set_text(ws.cell(r, 5), ind.code), size=9, horizontal="center",
                  shade=shade)
            style(styles.set_number(ws.cell(r, 6), now, ind.type), horizontal="right",
                  shade=shade, size=11)
            col = 7
            for s in sets:
                col = fill(ws, r, col, ind, now, s["data"].get("per_unit", {}).get(unit, {}),
                           shade=shade, style=style, size=11)
            lines = max(styles.estimate_lines(info.name, widths[2], 11),
                        styles.estimate_lines(ind.short, widths[3], 11))
            ws.row_dimensions[r].height = lines * 13 + 1  # 11-point text, compact
    note_row = r + 2
    cell = styles.set_text(ws.cell(note_row, 1), COMPARE_NOTE)
    cell.font = styles.font(italic=True, size=11)
    cell.alignment = styles.alignment("left", "top", True)
    ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=ncols)
    width = sum(styles.column_width(ws, col) for col in range(1, ncols + 1))
    ws.row_dimensions[note_row].height = styles.estimate_lines(COMPARE_NOTE, width, 11) * 15 + 3
    ws.auto_filter.ref = f"A{header}:{_letter(ncols)}{max(r, header)}"
    ws.freeze_panes = ws.cell(header + 1, 4).coordinate
    styles.print_setup(ws, title_rows=(header, header))


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def trend_series(c: Consolidation) -> list[dict]:
    return list((c.history or {}).get("trend") or [])


def has_trend_sheet(c: Consolidation) -> bool:
    """Xu hướng is written only with two or more periods to draw."""
    return len(trend_series(c)) >= 2


CHART_GAP_PT = 12.0  # between two charts, across and down


def _column_edges(ws, ncols: int) -> list[int]:
    """Left edge (EMU) of columns 1..ncols+1, as Excel draws a width of w
    characters (w * 7 + 5 pixels)."""
    edges = [0]
    for col in range(1, ncols + 1):
        edges.append(edges[-1] + int((styles.column_width(ws, col) * 7 + 5) * 9525))
    return edges


def _anchor(ws, edges: list[int], x: int, row: int, width: int, height: int):
    """A one-cell anchor `x` EMU from the sheet's left edge, at the top of `row`."""
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
    from openpyxl.drawing.xdr import XDRPositiveSize2D

    col = max(i for i, edge in enumerate(edges[:-1]) if edge <= x)
    marker = AnchorMarker(col=col, colOff=x - edges[col], row=row - 1, rowOff=0)
    return OneCellAnchor(_from=marker, ext=XDRPositiveSize2D(width, height))


def _chart_text(text: str, size: float, bold: bool = False):
    """A chart or axis title in `size` points (the default 14 fills a small chart)."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import (
        CharacterProperties,
        Paragraph,
        ParagraphProperties,
        RegularTextRun,
    )

    props = CharacterProperties(sz=int(size * 100), b=bold)
    run = RegularTextRun(rPr=props, t=styles.clean_text(text))
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[run])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _axis_text(size: float):
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties

    props = CharacterProperties(sz=int(size * 100))
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def trend_sheet(ws, c: Consolidation) -> None:
    """Xu hướng: the main indicators over the stored periods, a table and one
    native chart per indicator. Each band of charts is one row as tall as the
    charts, so no chart is cut by a page break (a row is never split)."""
    from openpyxl.chart import BarChart, LineChart, Reference

    series = trend_series(c)
    codes = [code for code in main_codes(c.catalog)
             if any(code in p["totals"] for p in series)]
    ncols = 3 + len(series)
    styles.set_widths(ws, [6, 44, 12] + [14] * len(series))
    styles.title_row(ws, 1, f"XU HƯỚNG CÁC CHỈ TIÊU CHỦ YẾU – {c.period.label.upper()}",
                     ncols, size=14)
    note = f"{len(series)} kỳ có trong kho lịch sử"
    if c.organization.name:
        note = f"{c.organization.name} – {note}"
    styles.title_row(ws, 2, note, ncols, size=12, bold=False, italic=True)
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

    # charts: as many across as the table's width holds at 5.5 cm or more each
    edges = _column_edges(ws, ncols)
    gap = int(CHART_GAP_PT * 12700)
    across = max(2, min(4, int(edges[-1] // (5.5 * 360000))))
    width = (edges[-1] - (across - 1) * gap) // across
    height = int(min(width * 0.7, 5.5 * 360000))
    band_pt = height / 12700 + CHART_GAP_PT
    categories = Reference(ws, min_col=4, max_col=ncols, min_row=header, max_row=header)
    band = r + 1
    for i, code in enumerate(codes):
        ind = c.catalog.indicators[code]
        row = header + 1 + i
        chart = LineChart() if len(series) >= 3 else BarChart()
        if isinstance(chart, BarChart):
            chart.y_axis.scaling.min = 0  # bars from zero, not from the smallest value
        chart.title = _chart_text(ind.short, 10, bold=True)
        chart.y_axis.title = _chart_text(ind.unit, 8)
        for axis in (chart.x_axis, chart.y_axis):
            axis.txPr = _axis_text(8)
        chart.legend = None
        chart.add_data(Reference(ws, min_col=4, max_col=ncols, min_row=row, max_row=row),
                       from_rows=True, titles_from_data=False)
        chart.set_categories(categories)
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        if i % across == 0:
            band += 1
            ws.row_dimensions[band].height = band_pt
        chart.anchor = _anchor(ws, edges, (i % across) * (width + gap), band, width, height)
        ws.add_chart(chart)
    styles.print_setup(ws, title_rows=(1, 2), last_row=band)


def styles_title(label: str) -> str:
    return label[:1].upper() + label[1:]
