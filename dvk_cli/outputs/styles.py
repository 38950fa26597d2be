"""Shared look of every workbook dvk writes: Times New Roman, thin borders,
shaded computed rows, A4 print setup, and safe writing of user text.

The styling vocabulary (font, sizes, colours, border styles, print margins,
the page arithmetic) is the plain constants and pure functions here: the
openpyxl helpers below (feedback copies, blank forms) and the XlsxWriter
format factory of outputs/xlsx.py (the consolidated workbook) both read
them, so the two writers cannot drift apart.

openpyxl is imported inside the functions so that importing this module
stays cheap; style objects are cached (openpyxl deduplicates them anyway).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from dvk_cli.core.numbers import EXCEL_DEC, excel_format
from dvk_cli.core.text import safe_text

FONT_NAME = "Times New Roman"
FONT_SIZE = 12
GREY = "E7E6E6"  # computed rows
HEADER_FILL = "DDEBF7"  # table header rows
ERROR_FILL = "F8CBAD"
WARNING_FILL = "FFF2CC"
SUSPECT_FILL = "FFCC99"  # light orange: a figure that includes a value dvk suspects
REJECTED_FILL = "FFC7CE"  # light red: a unit's value that was not used, shown as written
BORDER_COLOR = "808080"
BORDER_STYLE = "thin"  # every table cell
DOTTED_STYLE = "dotted"  # the line under a form's header values
FOOTER_SIZE = 10
FOOTER_TEXT = "Trang &P/&N"
COMMENT_AUTHOR = "dvk"
COMMENT_WIDTH = 360  # points: a cell comment wide enough for a finding's message
DECIMAL_TYPES = ("money", "length")

# Text that a spreadsheet would take for a formula or a signed number.
FORMULA_START = ("=", "+", "-", "@")
_FORMULA_START = FORMULA_START


# ------------------------------------------------------------------ objects

@cache
def font(bold: bool = False, italic: bool = False, size: float | None = None,
         color: str | None = None):
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, size=size or FONT_SIZE, bold=bold, italic=italic, color=color)


@cache
def alignment(horizontal: str | None = None, vertical: str = "center", wrap: bool = True,
              indent: int = 0):
    from openpyxl.styles import Alignment

    return Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap, indent=indent)


@cache
def thin_border():
    from openpyxl.styles import Border, Side

    side = Side(style=BORDER_STYLE, color=BORDER_COLOR)
    return Border(left=side, right=side, top=side, bottom=side)


@cache
def dotted_bottom():
    from openpyxl.styles import Border, Side

    return Border(bottom=Side(style=DOTTED_STYLE, color=BORDER_COLOR))


@cache
def fill(color: str):
    from openpyxl.styles import PatternFill

    return PatternFill(fill_type="solid", start_color=color, end_color=color)


# ------------------------------------------------------------------ workbook

def new_workbook():
    """An empty openpyxl Workbook (no sheets) whose default font is Times New Roman.

    Blank cells a clerk types into then show the same font as ours.
    """
    import openpyxl
    from openpyxl.utils.indexed_list import IndexedList

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    try:  # private API: the first font is the workbook default ("Normal" style)
        base = font()
        wb._fonts = IndexedList([base])
        wb._named_styles["Normal"].font = base
    except Exception:  # pragma: no cover - a newer openpyxl; fonts are set per cell anyway
        pass
    return wb


# ------------------------------------------------------------------ cells

def clean_text(value: object) -> str:
    """NFC text safe to show (core.text.safe_text, line breaks kept): without
    the control characters xlsx cannot hold, escape sequences, bidi overrides,
    or lone surrogates (a file name that is not UTF-8)."""
    return safe_text(str(value), multiline=True)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def set_text(cell, value: object):
    """Write user-provided text as text, never as a formula.

    "=SUM(A1)", "+84 912", "-abc", "@x" are stored as strings (and shown as
    typed, with Excel's quote prefix); None / NaN leave the cell empty.
    """
    if _is_blank(value):
        cell.value = None
        return cell
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True
    return cell


def number_format(value: float | int | None, type_: str) -> str:
    """Excel number format for a value (an empty money/km cell expects decimals)."""
    if value is None and type_ in DECIMAL_TYPES:
        return EXCEL_DEC
    return excel_format(value, type_)


def clean_number(value: object) -> float | int | None:
    """None for blank/NaN; whole floats as int (1215.0 -> 1215)."""
    if _is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:  # numpy scalars
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return int(number) if number.is_integer() else number


def set_number(cell, value: object, type_: str = "count"):
    number = clean_number(value)
    cell.value = number
    cell.number_format = number_format(number, type_)
    return cell


def _array(cell):
    """The cell's own style indices (a new cell has none yet)."""
    if cell._style is None:
        from openpyxl.styles.cell_style import StyleArray

        cell._style = StyleArray()
    return cell._style


def _style_ids(workbook, key: tuple) -> tuple[int, int, int | None, int | None]:
    """The workbook's indices of a style's font, alignment, border and fill.

    Assigning a style object to a cell makes openpyxl hash it to find it in the
    workbook's list (about 0.1 ms a cell: most of the time of a big sheet);
    the index is the same for every cell with the same style, so it is looked
    up once per workbook.
    """
    cache = workbook.__dict__.setdefault("_dvk_style_ids", {})
    ids = cache.get(key)
    if ids is None:
        bold, italic, size, horizontal, wrap, indent, border, shade = key
        ids = cache[key] = (
            workbook._fonts.add(font(bold, italic, size)),
            workbook._alignments.add(alignment(horizontal, "center", wrap, indent)),
            workbook._borders.add(thin_border()) if border else None,
            workbook._fills.add(fill(shade)) if shade else None,
        )
    return ids


def style(cell, *, bold: bool = False, italic: bool = False, size: float | None = None,
          horizontal: str | None = None, wrap: bool = True, indent: int = 0,
          border: bool = True, shade: str | None = None, final: bool = False):
    """Our font, alignment, border and shade on a cell.

    ``final``: nothing will change this cell's style afterwards (its value and
    number format are already set), so it may share its style indices with
    every cell styled the same way: a cell's own copy costs about 100 bytes,
    90 MB over the million cells of a national roll-up.
    """
    workbook = cell.parent.parent
    font_id, alignment_id, border_id, fill_id = _style_ids(
        workbook, (bold, italic, size, horizontal, wrap, indent, border, shade))
    array = _array(cell)
    array.fontId = font_id
    array.alignmentId = alignment_id
    if border_id is not None:
        array.borderId = border_id
    if fill_id is not None:
        array.fillId = fill_id
    if final:
        shared = workbook.__dict__.setdefault("_dvk_shared_arrays", {})
        cell._style = shared.setdefault(tuple(array), array)
    return cell


def comment_height(text: str) -> int:
    """Height (pixels) of a comment COMMENT_WIDTH pixels wide showing `text` whole."""
    return estimate_lines(text, COMMENT_WIDTH / 6, 10) * 14 + 16


def comment(cell, text: str, author: str = COMMENT_AUTHOR):
    """A cell comment (note) holding `text`, sized to show it whole."""
    from openpyxl.comments import Comment

    text = clean_text(text)
    cell.comment = Comment(text, author, height=comment_height(text), width=COMMENT_WIDTH)
    return cell


# ------------------------------------------------------------------ blocks

def title_row(ws, row: int, text: str, ncols: int, *, size: float = 14, bold: bool = True,
              italic: bool = False, height: float | None = None) -> None:
    """A centred line merged across the table width."""
    cell = ws.cell(row, 1)
    set_text(cell, text)
    cell.font = font(bold, italic, size)
    cell.alignment = alignment("center", "center", True)
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    width = sum(column_width(ws, c) for c in range(1, ncols + 1))
    lines = estimate_lines(text, width, size)
    ws.row_dimensions[row].height = height or title_height(lines, size)


def title_height(lines: int, size: float) -> float:
    return max(1, lines) * (size + 6)


def header_row(ws, row: int, headers: list[str], *, start_col: int = 1, size: float | None = None,
               height: float | None = None) -> None:
    """Bold, shaded, bordered, centred table header cells."""
    for i, text in enumerate(headers):
        cell = ws.cell(row, start_col + i)
        set_text(cell, text)
        style(cell, bold=True, size=size, horizontal="center", shade=HEADER_FILL)
    if height:
        ws.row_dimensions[row].height = height
    else:
        fit_row_height(ws, row, start_col, start_col + len(headers) - 1, size or FONT_SIZE)


def set_widths(ws, widths: Sequence[float], start_col: int = 1) -> None:
    from openpyxl.utils import get_column_letter

    ws.__dict__.pop("_dvk_widths", None)
    for i, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(start_col + i)].width = width


def column_width(ws, col: int) -> float:
    from openpyxl.utils import get_column_letter

    width = ws.column_dimensions[get_column_letter(col)].width
    return width or 9.0


def _width(ws, col: int) -> float:
    """column_width, remembered per sheet (set_widths forgets)."""
    widths = ws.__dict__.setdefault("_dvk_widths", {})
    width = widths.get(col)
    if width is None:
        width = widths[col] = column_width(ws, col)
    return width


def estimate_lines(text: str, width: float, size: float = FONT_SIZE) -> int:
    """Lines a wrapped text needs in a column `width` characters wide."""
    if not text:
        return 1
    per_line = chars_per_line(width, size)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def chars_per_line(width: float, size: float = FONT_SIZE) -> float:
    """How many characters of a `size` font one line of a column `width`
    characters wide holds (estimate_lines)."""
    return max(4.0, width * 1.1 * FONT_SIZE / size)


def row_height(lines: int, size: float = FONT_SIZE) -> float:
    """The height (points) of a row whose tallest cell wraps to `lines` lines."""
    return lines * (size + 4) + 4


def fit_row_height(ws, row: int, first_col: int, last_col: int, size: float = FONT_SIZE,
                   indent: dict[int, int] | None = None) -> None:
    """Set a row's height from its longest wrapped text (Excel does not autofit
    rows of files it did not write)."""
    lines = 1
    cells = ws._cells  # read only the cells that exist (ws.cell would create them)
    for col in range(first_col, last_col + 1):
        cell = cells.get((row, col))
        value = None if cell is None else cell.value
        if isinstance(value, str) and not value.startswith("="):
            width = _width(ws, col) - 2 * (indent or {}).get(col, 0)
            lines = max(lines, estimate_lines(value, width, size))
    ws.row_dimensions[row].height = row_height(lines, size)


def box(ws, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    """Thin borders (and our font) on every cell of a block, filled or not."""
    workbook = ws.parent
    border_id = workbook._borders.add(thin_border())
    ours = {i for i, f in enumerate(workbook._fonts) if f.name == FONT_NAME}
    plain = workbook._fonts.add(font())
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_col,
                            max_col=last_col):
        for cell in row:
            array = _array(cell)
            array.borderId = border_id
            if array.fontId not in ours:
                array.fontId = plain


# A4 in points, the margins print_setup sets, and what one character of
# column width takes on paper (Times New Roman 12): enough to choose an
# orientation and to know what fits on a page, not to lay out type.
A4 = (595.0, 842.0)
MARGINS = (0.5 * 72, 0.4 * 72, 0.6 * 72, 0.6 * 72)  # left, right, top, bottom
HEADER_FOOTER_MARGIN = 0.5 * 72  # the footer's distance from the page edge
FOOTER_PT = 18.0
CHAR_PT = 6.0
DEFAULT_ROW_PT = 16.0


def printable(landscape: bool) -> tuple[float, float]:
    """Width and height (points) of an A4 page inside the margins and footer."""
    width, height = (A4[1], A4[0]) if landscape else A4
    left, right, top, bottom = MARGINS
    return width - left - right, height - top - bottom - FOOTER_PT


def column_points(width: float) -> float:
    """The width (points) on paper of a column `width` characters wide."""
    return width * CHAR_PT + 4


def sheet_width(ws, last_col: int) -> float:
    """The width (points) of columns A..last_col on paper."""
    return sum(column_points(column_width(ws, col)) for col in range(1, last_col + 1))


def sheet_height(ws, first_row: int, last_row: int) -> float:
    return sum(ws.row_dimensions[r].height or DEFAULT_ROW_PT
               for r in range(first_row, last_row + 1))


def page_count(width: float, height: float, landscape: bool, repeated: float = 0) -> int:
    """Pages a sheet `width` x `height` points needs fitted to one page wide
    (rows repeated on each page take `repeated` points)."""
    page_w, page_h = printable(landscape)
    scale = min(1.0, page_w / width) if width else 1.0
    per_page = page_h / scale - repeated
    return max(1, math.ceil((height - repeated) / per_page)) if per_page > 0 else 99


def is_wide(ws, last_col: int | None = None, last_row: int | None = None,
            title_rows: tuple[int, int] | None = None) -> bool:
    """Landscape when the sheet needs fewer pages that way; when both take as
    many, landscape only if portrait would shrink the text below 70 %."""
    last_col = last_col or ws.max_column
    width = sheet_width(ws, last_col)
    height = sheet_height(ws, 1, last_row or ws.max_row)
    repeated = sheet_height(ws, *title_rows) if title_rows else 0
    return wide_pages(width, height, repeated)


def wide_pages(width: float, height: float, repeated: float = 0) -> bool:
    """is_wide from a sheet's size in points (any writer can measure it)."""
    portrait, landscape = (page_count(width, height, wide, repeated) for wide in (False, True))
    if portrait != landscape:
        return landscape < portrait
    return width * 0.7 > printable(False)[0]


def print_setup(ws, *, landscape: bool | None = None, title_rows: tuple[int, int] | None = None,
                title_cols: str | None = None, fit_width: int = 1,
                last_row: int | None = None) -> None:
    """A4, fitted to `fit_width` pages wide (as many pages long as it takes),
    header rows repeated, page numbers; landscape None: whichever way the
    sheet (down to `last_row`) takes fewer pages (is_wide)."""
    if landscape is None:
        landscape = is_wide(ws, last_row=last_row, title_rows=title_rows)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = fit_width
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left, ws.page_margins.right = (m / 72 for m in MARGINS[:2])
    ws.page_margins.top, ws.page_margins.bottom = (m / 72 for m in MARGINS[2:])
    ws.page_margins.header = ws.page_margins.footer = HEADER_FOOTER_MARGIN / 72
    if title_rows:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    if title_cols:
        ws.print_title_cols = title_cols
    ws.oddFooter.center.text = FOOTER_TEXT
    ws.oddFooter.center.font = FONT_NAME
    ws.oddFooter.center.size = FOOTER_SIZE
