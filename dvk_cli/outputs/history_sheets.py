"""The history store's part of the consolidated workbook: comparison columns
(kỳ trước, cùng kỳ, tăng/giảm, %) on Tổng hợp, the sheet So sánh theo đơn vị
(only when the store holds figures by unit of the period compared with) and
the sheet Xu hướng with native Excel charts of the main indicators (only with
two or more stored periods). Written with XlsxWriter (outputs/xlsx.py),
row by row like the rest of the workbook.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dvk_cli.core.comparisons import change, comparison_sets, main_codes
from dvk_cli.outputs import styles

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Indicator
    from dvk_cli.outputs.xlsx import Look, Sheet

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


def fill(sh: Sheet, row: int, col: int, ind: Indicator, now: object, data: dict | None,
         shade: str | None = None, bold: bool = False, size: float | None = None) -> int:
    """Write one comparison (value, change, %) from column `col`; returns the next column."""
    return _fill(sh, row, col, ind, now, data,
                 _fill_formats(sh, ind, shade=shade, bold=bold, size=size))


def _fill_formats(sh: Sheet, ind: Indicator, shade: str | None = None, bold: bool = False,
                  size: float | None = None) -> tuple[tuple[Any, Any, Any], Any, Any]:
    """The formats of a comparison's cells (fill): the value's (Book.figure_formats),
    the change's and the percentage's; the same on every row of an indicator."""
    book = sh.book
    look: dict[str, Any] = dict(horizontal="right", shade=shade, bold=bold, size=size)
    return (book.figure_formats(ind.type, **look),
            book.format(**look, num_format=CHANGE_FORMAT if ind.type != "percent"
                        else PERCENT_FORMAT),
            book.format(**look, num_format=PERCENT_FORMAT))


def _fill(sh: Sheet, row: int, col: int, ind: Indicator, now: object, data: dict | None,
          formats: tuple[tuple[Any, Any, Any], Any, Any]) -> int:
    """fill in formats made beforehand (_fill_formats)."""
    before = (data or {}).get(ind.code)
    diff, pct = change(now, before, ind.type)
    value_formats, change_format, percent_format = formats
    sh.put_number(row, col, before, value_formats)
    sh.raw_number(row, col + 1, _finite(diff), change_format)
    sh.raw_number(row, col + 2, _finite(None if pct is None else round(pct, 1)),
                  percent_format)
    return col + 3


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def fill_totals_row(sh: Sheet, row: int, col: int, c: Consolidation, ind: Indicator,
                    shade: str | None) -> None:
    """The comparison cells of one indicator row on Tổng hợp."""
    for s in sets_for(c):
        col = fill(sh, row, col, ind, c.totals.get(ind.code), s["data"].get("totals", {}),
                   shade=shade)


def unit_sets(c: Consolidation) -> list[dict]:
    """The comparisons that hold figures by unit for a unit of this period
    (a baseline of province totals only has none)."""
    return [s for s in sets_for(c)
            if any(s["data"].get("per_unit", {}).get(unit) for unit in c.units)]


def has_units_sheet(c: Consolidation) -> bool:
    return bool(unit_sets(c))


def units_sheet(sh: Sheet, c: Consolidation) -> None:
    """The sheet So sánh theo đơn vị: one row per unit and main indicator
    (core.comparisons.main_codes, as on Xu hướng) reported now or then, with
    the comparisons that have figures by unit (the caller writes it only when
    one has: has_units_sheet). Every indicator of each unit is on Theo đơn vị;
    all of them compared would be ten pages and more of print."""
    sets = unit_sets(c)
    cols = ["STT", "Mã đơn vị", "Đơn vị", "Chỉ tiêu", "Mã", "Kỳ này"]
    widths: list[float] = [5, 12, 22, 30, 15, 11]
    for s in sets:
        cols += [s["title"], "Tăng/giảm", "%"]
        widths += [18, 11, 8]
    ncols = len(cols)
    sh.set_widths(widths)
    title = f"SO SÁNH VỚI {' VÀ '.join(s['data']['label'].upper() for s in sets)} THEO ĐƠN VỊ"
    header = sh.titles(f"{title} – {c.period.label.upper()}", c.organization.name, ncols,
                       f"{len(c.units)} đơn vị đã báo cáo")
    sh.header_row(header, cols, size=11)
    r = header
    n = 0
    book = sh.book
    n_fmt = book.format(horizontal="center", size=11)
    unit_looks = [book.look(horizontal="center", size=10), book.look(size=11)]  # Mã, Đơn vị
    indicators = [_IndicatorRow(sh, c.catalog.indicators[code], unit_looks)
                  for code in main_codes(c.catalog)]
    # the figures of this period by unit and indicator, taken a column at a
    # time: DataFrame.at on every row cost more than writing the sheet. The
    # lists hold Python numbers where .at gave NumPy ones, the same figures
    # once clean (styles.clean_number, comparisons.change).
    per_unit = c.per_unit
    positions = {unit: i for i, unit in enumerate(per_unit.index)}
    columns = {row.ind.code: per_unit[row.ind.code].tolist() for row in indicators
               if row.ind.code in per_unit.columns}
    for unit, info in c.units.items():
        at = positions.get(unit)
        thens = [s["data"].get("per_unit", {}).get(unit, {}) for s in sets]
        name_lines = None  # the unit's name, the same on each of its rows
        for row in indicators:
            ind = row.ind
            values = columns.get(ind.code)
            now = None if at is None or values is None else values[at]
            if now is not None and isinstance(now, float) and math.isnan(now):
                now = None
            if now is None and all(then.get(ind.code) is None for then in thens):
                continue
            r += 1
            n += 1
            sh.raw_number(r, 1, n, n_fmt)
            _, name, short, _ = sh.write_texts(r, 2, (unit, info.name, ind.short, ind.code),
                                               row.looks)
            sh.put_number(r, 6, now, row.now_formats)
            col = 7
            for then in thens:
                col = _fill(sh, r, col, ind, now, then, row.fill_formats)
            if name_lines is None:
                name_lines = styles.estimate_lines(name or "", widths[2], 11)
            if row.short_lines is None:
                row.short_lines = styles.estimate_lines(short or "", widths[3], 11)
            sh.set_height(r, max(name_lines, row.short_lines) * 13 + 1)  # 11-point text, compact
    sh.note_row(r + 2, COMPARE_NOTE, ncols)
    sh.ws.autofilter(header - 1, 0, max(r, header) - 1, ncols - 1)
    sh.freeze(header + 1, 4)
    sh.print_setup(title_rows=(header, header))


class _IndicatorRow:
    """What the rows of one indicator on So sánh theo đơn vị share: their
    looks and formats, and the lines of the indicator's name (known once written)."""

    def __init__(self, sh: Sheet, ind: Indicator, unit_looks: list[Look]):
        self.ind = ind
        shade = styles.GREY if ind.computed else None
        book = sh.book
        # Mã đơn vị, Đơn vị, Chỉ tiêu, Mã
        self.looks = [*unit_looks, book.look(shade=shade, size=11),
                      book.look(size=9, horizontal="center", shade=shade)]
        self.now_formats = book.figure_formats(ind.type, horizontal="right", shade=shade,
                                               size=11)
        self.fill_formats = _fill_formats(sh, ind, shade=shade, size=11)
        self.short_lines: int | None = None


def trend_series(c: Consolidation) -> list[dict]:
    return list((c.history or {}).get("trend") or [])


def has_trend_sheet(c: Consolidation) -> bool:
    """Xu hướng is written only with two or more periods to draw."""
    return len(trend_series(c)) >= 2


CHART_GAP_PT = 12.0  # between two charts, across and down
EMU_PER_PX = 9525
EMU_PER_PT = 12700


def _table_width_emu(sh: Sheet, ncols: int) -> int:
    """Width (EMU) of columns 1..ncols, as Excel draws a width of w
    characters (w * 7 + 5 pixels)."""
    return sum(int((sh.width(col) * 7 + 5) * EMU_PER_PX) for col in range(1, ncols + 1))


def _chart_name(text: str) -> str:
    """A chart or axis title: text, never a reference (XlsxWriter takes a
    name starting with "=" for one)."""
    text = styles.clean_text(text)
    return f" {text}" if text.startswith("=") else text


def trend_sheet(sh: Sheet, c: Consolidation) -> None:
    """Xu hướng: the main indicators over the stored periods, a table and one
    native chart per indicator. Each band of charts is one row as tall as the
    charts, so no chart is cut by a page break (a row is never split)."""
    series = trend_series(c)
    codes = [code for code in main_codes(c.catalog)
             if any(code in p["totals"] for p in series)]
    ncols = 3 + len(series)
    sh.set_widths([6, 44, 12] + [14] * len(series))
    header = sh.titles(f"XU HƯỚNG CÁC CHỈ TIÊU CHỦ YẾU – {c.period.label.upper()}",
                       c.organization.name, ncols, f"{len(series)} kỳ có trong kho lịch sử")
    sh.header_row(header, ["STT", "Chỉ tiêu", "Đơn vị tính"]
                  + [styles_title(p["label"]) for p in series])
    n_fmt = sh.book.format(horizontal="center")
    values: dict[str, list] = {}  # the charts' cached data: constant-memory mode cannot read it back
    r = header
    for n, code in enumerate(codes, start=1):
        ind = c.catalog.indicators[code]
        r += 1
        sh.raw_number(r, 1, n, n_fmt)
        texts = [(2, sh.text(r, 2, ind.label)), (3, sh.text(r, 3, ind.unit, horizontal="center"))]
        values[code] = [sh.number(r, j, p["totals"].get(code), ind.type, horizontal="right")
                        for j, p in enumerate(series, start=4)]
        sh.fit_row(r, texts)
    sh.freeze(header + 1, 3)

    # charts: as many across as the table's width holds at 5.5 cm or more each
    total = _table_width_emu(sh, ncols)
    gap = int(CHART_GAP_PT * EMU_PER_PT)
    across = max(2, min(4, int(total // (5.5 * 360000))))
    width = (total - (across - 1) * gap) // across
    height = int(min(width * 0.7, 5.5 * 360000))
    band_pt = height / EMU_PER_PT + CHART_GAP_PT
    name = sh.ws.get_name()
    band = r + 1
    for i, code in enumerate(codes):
        ind = c.catalog.indicators[code]
        row = header + 1 + i
        kind = "line" if len(series) >= 3 else "column"
        chart = sh.book.wb.add_chart({"type": kind})
        chart.add_series({
            "categories": [name, header - 1, 3, header - 1, ncols - 1],
            "values": [name, row - 1, 3, row - 1, ncols - 1],
            # what the cells hold, cached in the chart as Excel does
            "categories_data": [styles.clean_text(styles_title(p["label"])) for p in series],
            "values_data": values[code],
        })
        chart.set_title({"name": _chart_name(ind.short),
                         "name_font": {"size": 10, "bold": True}})
        y_axis: dict = {"name": _chart_name(ind.unit), "name_font": {"size": 8, "bold": False},
                        "num_font": {"size": 8}}
        if kind == "column":
            y_axis["min"] = 0  # bars from zero, not from the smallest value
        chart.set_y_axis(y_axis)
        chart.set_x_axis({"num_font": {"size": 8}})
        chart.set_legend({"none": True})
        chart.set_size({"width": width / EMU_PER_PX, "height": height / EMU_PER_PX})
        if i % across == 0:
            band += 1
            # the band's row: an empty cell writes it (constant-memory mode
            # writes only rows that hold a cell), its height holds the charts
            sh.blank(band, 1, border=False, wrap=False, vertical=None)
            sh.set_height(band, band_pt)
        sh.ws.insert_chart(band - 1, 0, chart, {
            "x_offset": (i % across) * (width + gap) / EMU_PER_PX, "y_offset": 0,
            "object_position": 2})  # moves with its cells, keeps its size
    sh.print_setup(title_rows=(1, 2), last_row=band)
def styles_title(label: str) -> str:
    return label[:1].upper() + label[1:]
