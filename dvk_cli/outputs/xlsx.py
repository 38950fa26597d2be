"""Workbooks dvk writes from scratch, with XlsxWriter (the consolidated
workbook): the look of outputs/styles.py (same font, colours, borders,
number formats, row heights, print setup — read from its constants) for a
writer that streams each sheet row by row (constant-memory mode).

A Sheet takes 1-based rows and columns, like openpyxl and like the rest of
dvk, and keeps what the page setup needs to know (column widths, row
heights, the last row and column written). Rows must be written in order:
in constant-memory mode a row is on disk once a later row is written, and
XlsxWriter silently drops anything written to it afterwards.

Text goes through styles.clean_text and is always written with
write_string (never write(), which would take "=…" for a formula); formats
are created once per distinct look and reused (Book.format).

Cells are written through XlsxWriter's undecorated writers (_direct_writers)
when this XlsxWriter has them: the public write_number/write_string/
write_blank only add the parsing of "A1" notation, which dvk never uses,
and they are called once for every cell of the workbook. The big sheets
make their looks once (Book.look) and write a row's texts with one call
(Sheet.write_texts), or a table's whole row — its texts, figures and
height — with one (Sheet.write_record).

In constant-memory mode (the default) the rows themselves are written
by dvk when this XlsxWriter is the one it was checked against (_fast_rows): a
cell dvk writes is kept in XlsxWriter's row table as the XML XlsxWriter would
write for it but its reference and style (_Rows, a tuple of the format and
that XML), and a row goes to the worksheet's file as one string
(_Rows.write_single_row, in place of the worksheet's own). XlsxWriter keeps
everything else: the dimensions, the styles and their numbering, comments,
merges, the sheet's other parts, the zip; a cell it writes itself (a merge, a
text too long or looking like rich text) it also serializes itself.

xlsxwriter is imported inside Book so that importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, partial
from typing import Any

from dvk_cli.outputs import styles

# What XlsxWriter adds to a column width (in characters: 5 pixels of padding
# for 7-pixel digits of the default font); subtracted, the file holds the
# widths the openpyxl writer wrote, so columns are as wide as before.
_WIDTH_PADDING = 5 / 7
_BORDER_INDEX = {"thin": 1, "dotted": 4}
_PX_PER_PT = 4 / 3


def _xl_border(style: str) -> int:
    return _BORDER_INDEX[style]


# Worksheet's cell writers without the A1-notation wrapper, and how many
# arguments each takes (self, row, col, value, format).
_DIRECT_WRITERS = ("_write_number", "_write_string", "_write_blank")


@cache
def _direct_writers() -> bool:
    """Whether this XlsxWriter's Worksheet has the undecorated writers its
    public write_number/write_string/write_blank call, taking the arguments
    dvk passes. They are private: checked once, with the first workbook (when
    xlsxwriter is imported), and the public methods are used when they are
    missing or look different."""
    import inspect

    from xlsxwriter.worksheet import Worksheet

    for name in _DIRECT_WRITERS:
        method = getattr(Worksheet, name, None)
        if not callable(method):
            return False
        try:
            parameters = inspect.signature(method).parameters
        except (TypeError, ValueError):
            return False
        if len(parameters) != 5:
            return False
    return True


# What XlsxWriter changes in an inline string (its _escape_control_characters
# and _escape_data), or may: a text without any is written as it is.
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x")
# What a blank cell is after its reference and style: <c r="A1" s="3"/>
_BLANK_XML = "/>"
# Sheet.text's (text written, its cell's XML after the style, quote prefix)
# for None/NaN: a formatted blank
_NO_TEXT = (None, _BLANK_XML, False)
# The worksheet's state and methods _Rows relies on (checked by _fast_rows)
_WORKSHEET_STATE = ("table", "previous_row", "dim_rowmin", "dim_rowmax", "dim_colmin",
                    "dim_colmax", "row_info", "comments", "xls_rowmax", "xls_colmax",
                    "xls_strmax", "fh", "constant_memory", "default_row_height",
                    "original_row_height", "excel_version")
_WORKSHEET_METHODS = ("_write_single_row", "_write_row", "_write_empty_row", "_write_cell",
                      "_escape_control_characters", "_escape_data")


@cache
def _xml_helpers() -> tuple[Any, Any, Any, int]:
    """XlsxWriter's own escaping of an inline string: control characters,
    then the leading/trailing space test, then the data escaping; and its
    longest string."""
    from xlsxwriter.utility import _preserve_whitespace
    from xlsxwriter.worksheet import Worksheet

    return (Worksheet._escape_control_characters, _preserve_whitespace,
            Worksheet._escape_data, 32767)


def _string_xml(text: str) -> str | None:
    """The XML XlsxWriter writes for a string cell after its reference and
    style, in constant-memory mode (an inline string); None for a text it
    truncates or writes as rich text, left to XlsxWriter."""
    control, preserve, escape, strmax = _xml_helpers()
    if len(text) > strmax // 2:
        return None
    if _ESCAPED.search(text) is None:
        data = text
    else:
        text = control(text)
        if text.startswith("<r>") and text.endswith("</r>"):
            return None
        data = escape(None, text)
    space = ' xml:space="preserve"' if preserve(text) else ""
    return f' t="inlineStr"><is><t{space}>{data}</t></is></c>'


def _number_xml(number: float | int) -> str:
    """The XML XlsxWriter writes for a number cell after its reference and style."""
    return f"><v>{number:.16G}</v></c>"


class _Rows:
    """Writes a constant-memory worksheet's rows in place of its
    _write_single_row (installed on the worksheet): the <row> element as
    XlsxWriter's _write_row writes it (made by it once per kind of row), then
    the cells in column order — dvk's, (format, XML after the style), with
    their reference and style; any other cell by XlsxWriter's _write_cell —
    and the row's XML written at once. The cells of a Sheet.write_record are
    kept out of the table, as their XML (`record`, of row `record_row` from
    column `record_first` on): a row of them only is written in one piece."""

    __slots__ = ("ws", "names", "starts", "styles", "tags", "defaults", "record", "record_row",
                 "record_first")

    def __init__(self, ws: Any):
        self.ws = ws
        self.names: list[str] = []  # column letters
        self.starts: list[str] = []  # '<c r="B' of each column
        self.styles: dict[Any, str] = {}  # format -> ' s="N"'
        self.tags: dict[tuple, str | None] = {}  # row properties -> the <row> tag after r
        self.defaults: tuple = ()
        # a cell's XML, or None where the record's cell is in the table (its
        # format not numbered yet, a text or number XlsxWriter writes)
        self.record: list[str | None] = []
        self.record_row = -1
        self.record_first = 0
        ws._write_single_row = self.write_single_row

    def write_single_row(self, current_row_num: int = 0) -> None:
        """Worksheet._write_single_row: write the row being filled, start
        `current_row_num`."""
        ws = self.ws
        row_num = ws.previous_row
        ws.previous_row = current_row_num
        table = ws.table
        if row_num == self.record_row:
            self._write_record(row_num, table[row_num])
        elif row_num in ws.row_info or row_num in ws.comments or table[row_num]:
            cells = table[row_num]
            if cells:
                self._write(row_num, cells)
            else:  # row properties or comments only
                ws._write_empty_row(row_num, None, ws.row_info[row_num])
        table.clear()

    def keep_record(self, cells: dict[int, Any]) -> None:
        """Put the record's cells in the row's table `cells`, where no cell
        written after them is, and forget it."""
        for col, xml in enumerate(self.record, start=self.record_first):
            if xml is not None:
                cells.setdefault(col, xml)
        self.record, self.record_row = [], -1

    def _write_record(self, row_num: int, cells: dict[int, Any]) -> None:
        if cells:  # cells in the table too: all in column order
            self.keep_record(cells)
            self._write(row_num, cells)
            return
        ws = self.ws
        info = ws.row_info.get(row_num)
        tag = self._tag(info)
        # (the record's columns are in the dimensions: _open put them there;
        # with no cell in the table, none of them is None)
        xml = "".join(self.record)  # type: ignore[arg-type]
        self.record, self.record_row = [], -1
        if tag is None:
            ws._write_row(row_num, None, info)
            ws.fh.write(f"{xml}</row>")
        else:
            ws.fh.write(f'<row r="{row_num + 1}"{tag}{xml}</row>')

    def name_to(self, col: int) -> None:
        """The column letters (and starts of a cell's XML) up to column `col`."""
        from xlsxwriter.utility import xl_col_to_name

        names = self.names
        names.extend(xl_col_to_name(c) for c in range(len(names), col + 1))
        self.starts.extend(f'<c r="{name}' for name in names[len(self.starts):])

    def _tag(self, info: Any) -> str | None:
        """What _write_row writes for a row with properties `info` after
        '<row r="N"', or None to let it write the tag."""
        ws = self.ws
        defaults = (ws.default_row_height, ws.original_row_height, ws.excel_version)
        if defaults != self.defaults:
            self.tags.clear()
            self.defaults = defaults
        if info is None:
            key: tuple = ()
        elif info.row_format is not None:
            return None
        else:
            key = tuple(vars(info).values())
        try:
            return self.tags[key]
        except KeyError:
            pass
        fh = ws.fh
        ws.fh = buffer = io.StringIO()
        try:
            ws._write_row(0, None, info)
        finally:
            ws.fh = fh
        written = buffer.getvalue()
        start = '<row r="1"'
        tag = written[len(start):] if written.startswith(start) else None
        self.tags[key] = tag
        return tag

    def _write(self, row_num: int, cells: dict[int, Any]) -> None:
        ws = self.ws
        info = ws.row_info.get(row_num)
        ref = str(row_num + 1)
        tag = self._tag(info)
        parts: list[str] = []
        if tag is None:
            ws._write_row(row_num, None, info)
        else:
            parts.append(f'<row r="{ref}"{tag}')
        cols = sorted(cells)
        low, high = ws.dim_colmin, ws.dim_colmax
        if cols[0] < low or cols[-1] > high:  # as XlsxWriter: the columns in the dimensions
            cols = [col for col in cols if low <= col <= high]
        names = self.names
        if cols and cols[-1] >= len(names):
            self.name_to(cols[-1])
        style_of = self.styles.get
        append = parts.append
        for col in cols:
            cell = cells[col]
            if cell.__class__ is str:  # a record's, whole (keep_record)
                append(cell)
            elif cell.__class__ is tuple:  # dvk's (format, XML after the style)
                style = style_of(cell[0])
                if style is None:
                    # the format's index is given when its first cell is written,
                    # as XlsxWriter does
                    style = self.styles[cell[0]] = f' s="{cell[0]._get_xf_index()}"'
                append(f'<c r="{names[col]}{ref}"{style}{cell[1]}')
            else:
                if parts:
                    ws.fh.write("".join(parts))
                    parts.clear()
                ws._write_cell(row_num, col, cell)
        parts.append("</row>")
        ws.fh.write("".join(parts))


@cache
def _fast_rows() -> bool:
    """Whether dvk can write the rows of this XlsxWriter's constant-memory
    worksheets (_Rows): the worksheet has the state and methods it relies on,
    and a probe sheet with tricky texts and numbers written both ways comes
    out the same (its rows' XML, dimensions, the formats' numbering). Checked
    once; XlsxWriter writes the rows itself otherwise."""
    try:
        if not _direct_writers():
            return False
        from xlsxwriter.worksheet import Worksheet

        if any(not callable(getattr(Worksheet, name, None)) for name in _WORKSHEET_METHODS):
            return False
        _xml_helpers()
        return _probe(True) == _probe(False)
    except Exception:
        return False


def _probe(fast: bool) -> tuple:
    """A probe sheet written with or without _Rows: what it wrote of its rows
    and what XlsxWriter keeps for the rest of the file. The workbook is not
    closed (that would take longer than the rows): its temporary file goes."""
    import os

    book = Book(io.BytesIO(), fast=fast)
    sh = book.sheet("P")
    ws = sh.ws
    try:
        missing = [name for name in _WORKSHEET_STATE if not hasattr(ws, name)]
        if missing or (sh.rows is None) == fast:
            raise RuntimeError(f"XlsxWriter's worksheet has no {missing}")
        ws.fh = io.StringIO()
        _probe_fill(sh)
        ws._write_single_row()  # as the workbook's close does
        # the rows' properties as set_row keeps them (write_record sets them
        # itself): row_sizes places the comments' boxes
        infos = {r: (info.row_format is None,
                     [(k, v) for k, v in vars(info).items() if k != "row_format"])
                 for r, info in ws.row_info.items()}
        return (ws.fh.getvalue(), ws.dim_rowmin, ws.dim_rowmax, ws.dim_colmin, ws.dim_colmax,
                ws.previous_row, infos, dict(ws.row_sizes), ws.outline_row_level,
                sorted(ws.comments), [f.xf_index for f in book.wb.formats],
                dict(book.wb.xf_format_indices))
    finally:
        with contextlib.suppress(Exception):
            ws.row_data_fh.close()
        with contextlib.suppress(Exception):
            os.unlink(ws.row_data_filename)


def _probe_fill(sh: Sheet) -> None:
    book = sh.book
    sh.set_widths([10, 12, 8, 20])
    texts = ["plain", " lead", "trail ", 'a&b<c>"d"', "x\x01y\x1b", "_x0041_", "<r>r</r>",
             "=1+1", "-x", "", "dòng\nhai", "\ufffe", "\tt", "x" * 17000, None, float("nan"),
             12, "plain"]
    look, center = book.look(), book.look(horizontal="center", shade="E7E6E6")
    figures = [None, float("nan"), float("inf"), 0.0, -0.0, 1.0, -2.5, 1e17, 1e-300,
               123456789.123, 7, True, "3", 2 ** 60, 0.1]
    formats = book.figure_formats("count", horizontal="right")
    sh.title_row(1, "T & <t>", 4)
    for r, start in enumerate(range(0, len(texts), 4), start=3):
        values = texts[start:start + 4]
        written = sh.write_texts(r, 2, values, [look, center, look, center][:len(values)])
        sh.fit_row(r, enumerate(written, start=2))
    r = sh.row + 1
    sh.write_numbers(r, 1, figures, [formats] * len(figures))
    sh.comment(r, 3, "note & <more>")
    sh.put_number(r + 1, 2, 4.5, formats)
    sh.raw_number(r + 1, 3, 3, formats[1])
    sh.number(r + 1, 4, -0.0, "percent")
    sh.text(r + 1, 5, "=x", bold=True)
    sh.put_text(r + 1, 6, "  ", look)
    sh.blank(r + 1, 7)
    sh.plain_text(r + 1, 8, "+list")
    sh.set_height(r + 2, 30)
    sh.text(r + 3, 1, "after a row of height only")
    sh.set_height(r + 3, 45)
    # records (write_record): texts and figures, formats numbered or not yet,
    # the same heights again, cells written before, within and after them
    stt = (formats[1],) * 3
    record = (stt, look, center, formats, look)
    r += 4
    records: list[tuple] = [(1, "a", "b", 2.5, "c"), (2, "x" * 40, None, float("nan"), "y"),
                            (3, "<r>r</r>", "=1+1", 7, "dòng\nhai\nba"),
                            (4, " lead", "\x01", None, "x" * 17000),
                            (5, "plain", "", 1e17, -0.0), (6, "a", "b", True, "c")]
    for i, cells in enumerate(records):
        sh.write_record(r + i, 1, cells, record)
    r += 6
    sh.text(r, 3, "before")
    sh.write_record(r, 2, ("after", "b", 3.0), record[1:4])
    sh.text(r, 3, "over")
    sh.write_record(r, 5, (8, "second"), record[3:])
    sh.comment(r, 2, "note")
    sh.write_record(r + 1, 1, (1, "new look", "z", 0.5, "w"),
                    (stt, book.look(italic=True), center, formats, book.look(italic=True)))
    sh.write_record(r + 2, 1, (1, "a", "b", 2.5, "c"), record)
    sh.set_height(r + 2, 50)


# The deflate level of the workbook's parts. XlsxWriter zips them at zlib's
# default (6); level 2 compresses the parts of a national roll-up (24 MB of
# XML) in 0.08 s instead of 0.25 s, for a file of 2.8 MB instead of 2.2 MB
# (measured on the N = 3,321 bench workbook): a tenth of the write, a quarter
# more bytes on disk.
ZIP_LEVEL = 2


@contextlib.contextmanager
def _zip_level(level: int):
    """XlsxWriter's close zips the workbook with the deflate `level`: the
    ZipFile its workbook module makes is, while this lasts, one with that
    compresslevel. Left as it is when that module does not make its ZipFile
    so (another XlsxWriter): the file is then as XlsxWriter zips it."""
    import zipfile

    from xlsxwriter import workbook as xlsxwriter_workbook

    made = getattr(xlsxwriter_workbook, "ZipFile", None)
    if made is not zipfile.ZipFile:
        yield
        return
    xlsxwriter_workbook.ZipFile = partial(zipfile.ZipFile, compresslevel=level)
    try:
        yield
    finally:
        xlsxwriter_workbook.ZipFile = made


class Book:
    """An XlsxWriter workbook writing to `target` (a path or a binary file),
    its formats cached by look; fast=None: dvk writes the rows of its
    constant-memory worksheets when _fast_rows says it can."""

    def __init__(self, target: Any, *, constant_memory: bool = True, fast: bool | None = None):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(target, {
            "constant_memory": constant_memory,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            # blank cells a clerk types into show the same font as ours
            "default_format_properties": {"font_name": styles.FONT_NAME,
                                          "font_size": styles.FONT_SIZE},
        })
        self.direct = _direct_writers()
        self.fast = constant_memory and self.direct and (_fast_rows() if fast is None else fast)
        self._formats: dict[tuple, Any] = {}
        self._looks: dict[tuple, Look] = {}
        # the same unit names, fields, kinds and files come back on thousands
        # of rows: each text is cleaned once
        self._clean: dict[str, str] = {}
        # Sheet.text's (text written, cell XML after the style, quote prefix)
        # of a value, and of a text once cleaned
        self._text_cells: dict[str, tuple[str | None, str | None, bool]] = {}
        self._cleaned_cells: dict[str, tuple[str | None, str | None, bool]] = {}

    def clean(self, value: object) -> str:
        """styles.clean_text, remembered for the texts of this workbook."""
        if not isinstance(value, str):
            return styles.clean_text(value)
        text = self._clean.get(value)
        if text is None:
            text = self._clean[value] = styles.clean_text(value)
        return text

    def text_cell(self, value: object) -> tuple[str | None, str | None, bool]:
        """What Sheet.text writes for `value`: the text (None for None/NaN, ''
        for no text: both a blank), the cell's XML after its style (None: a
        text XlsxWriter writes itself) and whether it takes the quote prefix."""
        if value.__class__ is str:
            cell = self._text_cells.get(value)
            if cell is None:
                cell = self._text_cells[value] = self._cleaned_cell(self.clean(value))
            return cell
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return _NO_TEXT
        return self._cleaned_cell(self.clean(value))

    def _cleaned_cell(self, text: str) -> tuple[str | None, str | None, bool]:
        cell = self._cleaned_cells.get(text)
        if cell is None:
            if not text:
                cell = (text, _BLANK_XML, False)
            else:
                cell = (text, _string_xml(text), text.startswith(styles.FORMULA_START))
            self._cleaned_cells[text] = cell
        return cell

    def format(self, bold: bool = False, italic: bool = False, size: float | None = None,
               horizontal: str | None = None, vertical: str | None = "center", wrap: bool = True,
               indent: int = 0, border: bool = True, shade: str | None = None,
               num_format: str | None = None, quote: bool = False,
               dotted_bottom: bool = False) -> Any:
        """The format of one look (styles.style's arguments, a number format,
        Excel's quote prefix), created the first time it is asked for."""
        key = (bold, italic, size, horizontal, vertical, wrap, indent, border, shade, num_format,
               quote, dotted_bottom)
        fmt = self._formats.get(key)
        if fmt is None:
            props: dict[str, Any] = {"font_name": styles.FONT_NAME,
                                     "font_size": size or styles.FONT_SIZE}
            if vertical:
                props["valign"] = "vcenter" if vertical == "center" else vertical
            if bold:
                props["bold"] = True
            if italic:
                props["italic"] = True
            if horizontal:
                props["align"] = horizontal
            if wrap:
                props["text_wrap"] = True
            if indent:
                props["indent"] = indent
            if border:
                props["border"] = _xl_border(styles.BORDER_STYLE)
                props["border_color"] = f"#{styles.BORDER_COLOR}"
            elif dotted_bottom:
                props["bottom"] = _xl_border(styles.DOTTED_STYLE)
                props["bottom_color"] = f"#{styles.BORDER_COLOR}"
            if shade:
                props["pattern"] = 1
                props["bg_color"] = f"#{shade}"
            if num_format:
                props["num_format"] = num_format
            if quote:
                props["quote_prefix"] = True
            fmt = self._formats[key] = self.wb.add_format(props)
        return fmt

    def figure_formats(self, type_: str, **look: Any) -> tuple[Any, Any, Any]:
        """The formats Sheet.number gives a figure of type `type_` in `look`
        when it is empty, whole and not whole, for Sheet.put_number and
        Sheet.write_numbers. A figure is one of the three once clean
        (styles.clean_number: None, an int, or a float that is not whole),
        and styles.number_format tells no two figures of a kind apart."""
        return (self.format(**look, num_format=styles.number_format(None, type_)),
                self.format(**look, num_format=styles.number_format(1, type_)),
                self.format(**look, num_format=styles.number_format(0.5, type_)))

    def look(self, **look: Any) -> Look:
        """The Look of text cells in `look` (Book.format's arguments but the
        quote prefix), made once per workbook."""
        key = tuple(look.items())
        found = self._looks.get(key)
        if found is None:
            found = self._looks[key] = Look(self, look)
        return found

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, self.wb.add_worksheet(name))

    def close(self) -> None:
        with _zip_level(ZIP_LEVEL):
            self.wb.close()


class Look:
    """How a text cell looks (Book.look): its format, and the same with
    Excel's quote prefix for text a spreadsheet would take for a formula or a
    sign (made the first time such a text comes, as Sheet.text always did).
    Made once, a look spares each cell the format's lookup by its arguments."""

    __slots__ = ("_book", "_look", "fmt", "_quoted")

    def __init__(self, book: Book, look: dict[str, Any]):
        self._book = book
        self._look = look
        self.fmt = book.format(**look)
        self._quoted: Any = None

    @property
    def quoted(self) -> Any:
        if self._quoted is None:
            self._quoted = self._book.format(**self._look, quote=True)
        return self._quoted


class Sheet:
    """One worksheet, 1-based, measuring itself for the page setup."""

    def __init__(self, book: Book, ws: Any):
        self.book = book
        self.ws = ws
        self.widths: dict[int, float] = {}
        self.heights: dict[int, float] = {}
        self.max_row = 0
        self.max_col = 0
        self.row = 0  # the row being written: an earlier one is on disk already
        # the cell writers, 0-based (row, col, value, format); blank's value is None
        if book.direct:
            self._number, self._raw_string, self._blank = (
                ws._write_number, ws._write_string, ws._write_blank)
        else:
            self._number, self._raw_string, self._blank = (
                ws.write_number, ws.write_string, ws.write_blank)
        string = self._raw_string

        def text_cell(r: int, c: int, text: str, fmt: Any) -> Any:
            # XlsxWriter writes a string that starts with <r> and ends with </r>
            # into the sheet's XML as it is, taking it for its own rich text: a
            # name in a return could add cells or break the file. Such a text is
            # written as three runs of plain text (their XML escaped), which
            # show and read back as the text itself.
            if text.startswith("<r>") and text.endswith("</r>"):
                runs = (text[:1], text[1:2], text[2:])
                return ws.write_rich_string(r, c, *runs, *(() if fmt is None else (fmt,)))
            return string(r, c, text, fmt)

        self._string = text_cell
        self._cleaned = book._clean
        # dvk writes the rows (_Rows) when the book can
        self.rows = _Rows(ws) if book.fast and book.direct else None
        self._figure_formats_ok: object = None  # write_numbers' formats, checked
        # fit_row's (width, characters per line) of a column, by font size;
        # forgotten when widths change
        self._fits: dict[float, dict[int, tuple[float, float]]] = {}
        # write_record's looks whose figure formats are all made, checked once
        self._record_looks: list[tuple] = []
        # what XlsxWriter's set_row keeps for a row of a given height (its
        # row_info and row_sizes entries): write_record makes the row heights
        # of a table from a handful of line counts
        self._row_heights: dict[float, tuple[Any, list]] = {}

    # ---------------------------------------------------------- geometry

    def set_widths(self, widths: Sequence[float], start_col: int = 1) -> None:
        self._fits.clear()
        for i, width in enumerate(widths):
            col = start_col + i
            self.widths[col] = width
            self.ws.set_column(col - 1, col - 1, max(0.0, width - _WIDTH_PADDING))

    def hide_column(self, col: int) -> None:
        width = self.widths.get(col)
        self.ws.set_column(col - 1, col - 1,
                           None if width is None else width - _WIDTH_PADDING, None,
                           {"hidden": True})

    def width(self, col: int) -> float:
        return self.widths.get(col) or 9.0

    def set_height(self, row: int, height: float) -> None:
        self._in_order(row)
        self.heights[row] = height
        self.ws.set_row(row - 1, height)

    def fit_row(self, row: int, texts: Iterable[tuple[int, object]],
                size: float = styles.FONT_SIZE, indent: Mapping[int, int] | None = None) -> None:
        """styles.fit_row_height for the texts of a row (column, value) as written."""
        lines = 1
        fits = self._fits_of(size)
        for col, value in texts:
            if isinstance(value, str) and value and not value.startswith("="):
                if indent and indent.get(col):
                    width = self.width(col) - 2 * indent[col]
                    per_line = styles.chars_per_line(width, size)
                else:  # a column's width and line length, worked out once
                    width, per_line = fits.get(col) or self._fit(fits, col, size)
                # a text shorter than a line of its column is one line; one
                # longer, of one paragraph, is styles.estimate_lines' count inline
                if "\n" in value:
                    lines = max(lines, styles.estimate_lines(value, width, size))
                elif len(value) > per_line:
                    lines = max(lines, math.ceil(len(value) / per_line))
        self.set_height(row, styles.row_height(lines, size))

    def _fits_of(self, size: float) -> dict[int, tuple[float, float]]:
        fits = self._fits.get(size)
        if fits is None:
            fits = self._fits[size] = {}
        return fits

    def _fit(self, fits: dict[int, tuple[float, float]], col: int,
             size: float) -> tuple[float, float]:
        """A column's (width, characters per line) for fit_row, kept in `fits`."""
        width = self.width(col)
        fit = fits[col] = (width, styles.chars_per_line(width, size))
        return fit

    def _in_order(self, row: int) -> None:
        """Refuse to write above the current row (XlsxWriter would drop it silently)."""
        if row < self.row:
            raise RuntimeError(f"{self.ws.name}: row {row} written after row {self.row}")
        self.row = row

    def _seen(self, row: int, col: int) -> None:
        self._in_order(row)
        if row > self.max_row:
            self.max_row = row
        if col > self.max_col:
            self.max_col = col

    # ---------------------------------------------------------- cells

    def text(self, row: int, col: int, value: object, **look: Any) -> str | None:
        """User text as text (styles.set_text) in the look `look` (Book.format's
        arguments): cleaned, never a formula, with Excel's quote prefix on text
        a spreadsheet would take for a formula or a sign; None/NaN leave a
        formatted blank. Returns the text written."""
        self._seen(row, col)
        return self._text(row - 1, col - 1, value, self.book.look(**look))

    def put_text(self, row: int, col: int, value: object, look: Look) -> str | None:
        """Sheet.text in a Look made beforehand (Book.look)."""
        self._seen(row, col)
        return self._text(row - 1, col - 1, value, look)

    def write_texts(self, row: int, col: int, values: Sequence[object],
                    looks: Sequence[Look]) -> list[str | None]:
        """Sheet.text for the cells of a row from column `col` on, each value in
        its Look (Book.look); returns the texts written."""
        self._seen(row, col + len(values) - 1)
        r = row - 1
        cells = self._open(r, col - 1, col + len(values) - 2)
        if cells is None:
            put = self._text
            return [put(r, c, value, look)
                    for c, (value, look) in enumerate(zip(values, looks, strict=True),
                                                      start=col - 1)]
        book = self.book
        text_cell, known, written = book.text_cell, book._text_cells, []
        c = col - 1
        for value, look in zip(values, looks, strict=True):
            # most values: a text met before (Book.text_cell, its lookup inline)
            if value.__class__ is str:
                text, xml, quoted = known.get(value) or text_cell(value)
            else:
                text, xml, quoted = _NO_TEXT if value is None else text_cell(value)
            if xml is None:
                assert text is not None  # (a blank has its XML)
                self._string(r, c, text, look.quoted if quoted else look.fmt)
            else:
                cells[c] = (look.quoted if quoted else look.fmt, xml)
            written.append(text)
            c += 1
        return written

    def write_record(self, row: int, col: int, values: Sequence[object],
                     looks: Sequence[Any]) -> None:
        """A row of a table from column `col` on, as tall as its texts: each
        value a text in its Look (Sheet.put_text) or a figure in its formats
        (a tuple, Book.figure_formats: Sheet.put_number), then Sheet.fit_row
        over the texts written, in the default font. It writes what those
        calls write (_record_by_cells), in one pass: on the sheets of a row
        per unit, model or finding the calls cost more than the cells."""
        last = col + len(values) - 1
        self._seen(row, last)
        r = row - 1
        cells = None
        if len(values) == len(looks) and self._looks_made(looks):
            cells = self._open(r, col - 1, last - 1)
        if cells is None:
            self._record_by_cells(row, col, values, looks)
            return
        rows = self.rows
        assert rows is not None  # (_open gave the row)
        if rows.record_row == r:  # a second record on the row
            rows.keep_record(cells)
        if cells:  # cells written before in the record's columns: the record's replace them
            for k in range(col - 1, last):
                cells.pop(k, None)
        if last > len(rows.starts):
            rows.name_to(last - 1)
        # a cell whose format is numbered already is kept as its XML, whole;
        # one that is not yet as _Rows keeps it in the table: its format gets
        # its number when the row is written, in the order XlsxWriter numbers formats
        starts, style_of, ref = rows.starts, rows.styles.get, f'{row}"'
        record: list[str | None] = []
        add = record.append
        book = self.book
        text_cell, known = book.text_cell, book._text_cells
        size = styles.FONT_SIZE
        fits = self._fits_of(size)
        isfinite = math.isfinite
        lines = 1
        c = col - 1
        for value, look in zip(values, looks, strict=False):  # (their lengths checked)
            if look.__class__ is Look:
                # write_texts' cell (Book.text_cell, its lookup inline) ...
                if value.__class__ is str:
                    text, xml, quoted = known.get(value) or text_cell(value)
                else:
                    text, xml, quoted = _NO_TEXT if value is None else text_cell(value)
                fmt = look.quoted if quoted else look.fmt
                # ... and fit_row's lines for it
                if text and not text.startswith("="):
                    width, per_line = fits.get(c + 1) or self._fit(fits, c + 1, size)
                    if "\n" in text:
                        lines = max(lines, styles.estimate_lines(text, width, size))
                    elif len(text) > per_line:
                        lines = max(lines, math.ceil(len(text) / per_line))
                if xml is None:  # a text XlsxWriter writes itself
                    assert text is not None  # (a blank has its XML)
                    self._string(r, c, text, fmt)
                    add(None)
                    c += 1
                    continue
            # Sheet._put_figure's cell for most figures: a float (NaN, an
            # infinity: a blank), an int (an STT, a count), None
            elif value.__class__ is float:
                if not isfinite(value):
                    fmt, xml = look[0], _BLANK_XML
                elif value.is_integer():
                    fmt, xml = look[1], f"><v>{int(value):.16G}</v></c>"
                else:
                    fmt, xml = look[2], f"><v>{value:.16G}</v></c>"
            elif value.__class__ is int:
                fmt, xml = look[1], f"><v>{value:.16G}</v></c>"
            elif value is None:
                fmt, xml = look[0], _BLANK_XML
            else:
                self._put_figure(cells, r, c, value, look)
                add(None)
                c += 1
                continue
            style = style_of(fmt)
            if style is None:
                cells[c] = (fmt, xml)
                add(None)
            else:
                add(f"{starts[c]}{ref}{style}{xml}")
            c += 1
        rows.record, rows.record_row, rows.record_first = record, r, col - 1
        height = styles.row_height(lines, size)
        self.heights[row] = height
        self._row_height(r, height)

    def _looks_made(self, looks: Sequence[Any]) -> bool:
        """Whether every figure of a record in `looks` has its formats (one
        missing goes through XlsxWriter, which writes no blank without a
        format). A tuple of looks, which cannot change, is checked once."""
        if any(looks is made for made in self._record_looks):
            return True
        if any(look.__class__ is not Look and None in look for look in looks):
            return False
        if looks.__class__ is tuple and len(self._record_looks) < 8:
            self._record_looks.append(looks)
        return True

    def _row_height(self, r: int, height: float) -> None:
        """ws.set_row(r, height) on the row _open gave: what it keeps for a
        height, made by XlsxWriter the first time, is given to the later
        rows that height. Those rows are in the sheet, not above the row
        being written, within the dimensions: set_row would check them, set
        nothing else, and store a row_info and row_sizes entry equal to the
        first (compared for this XlsxWriter by _probe)."""
        ws = self.ws
        made = self._row_heights.get(height)
        if made is None:
            if ws.set_row(r, height) == 0:
                self._row_heights[height] = (ws.row_info[r], ws.row_sizes[r])
        else:
            # one RowInfo for the rows of a height (XlsxWriter never changes
            # one, set_row makes a new one); row_sizes' [height, hidden] list each
            ws.row_info[r] = made[0]
            ws.row_sizes[r] = made[1][:]

    def _record_by_cells(self, row: int, col: int, values: Sequence[object],
                         looks: Sequence[Any]) -> None:
        """write_record cell by cell, and its row height by fit_row: when
        XlsxWriter writes the rows, or a figure has no format."""
        texts = []
        for c, (value, look) in enumerate(zip(values, looks, strict=True), start=col):
            if isinstance(look, Look):
                texts.append((c, self.put_text(row, c, value, look)))
            else:
                self.put_number(row, c, value, look)
        self.fit_row(row, texts)

    def _open(self, r: int, first: int, last: int) -> dict[int, Any] | None:
        """The row table XlsxWriter keeps for 0-based row `r`, when dvk writes
        its cells `first`..`last` itself (_Rows), each with a format: the
        dimensions as XlsxWriter's writers set them, the row before written
        out. None: the cells go through XlsxWriter's writers (no _Rows, no
        cells, or cells it would refuse: outside the sheet, on a row written
        already)."""
        ws = self.ws
        if self.rows is None:
            return None
        previous = ws.previous_row
        if (r < previous or first < 0 or last < first or last >= ws.xls_colmax
                or r >= ws.xls_rowmax):
            return None
        if ws.dim_rowmin is None or r < ws.dim_rowmin:
            ws.dim_rowmin = r
        if ws.dim_rowmax is None or r > ws.dim_rowmax:
            ws.dim_rowmax = r
        if ws.dim_colmin is None or first < ws.dim_colmin:
            ws.dim_colmin = first
        if ws.dim_colmax is None or last > ws.dim_colmax:
            ws.dim_colmax = last
        if r > previous:
            ws._write_single_row(r)
        return ws.table[r]

    def _text(self, r: int, c: int, value: object, look: Look) -> str | None:
        """Sheet.text at 0-based (r, c), the row's order already checked."""
        cells = self._open(r, c, c)
        if cells is not None:
            text, xml, quoted = self.book.text_cell(value)
            if xml is None:
                assert text is not None  # (a blank has its XML)
                self._string(r, c, text, look.quoted if quoted else look.fmt)
            else:
                cells[c] = (look.quoted if quoted else look.fmt, xml)
            return text
        if value.__class__ is str:  # most cells: a text already cleaned once (Book.clean)
            text = self._cleaned.get(value)
            if text is None:
                text = self.book.clean(value)
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            self._blank(r, c, None, look.fmt)
            return None
        else:
            text = self.book.clean(value)
        if not text:
            self._blank(r, c, None, look.fmt)
        elif text.startswith(styles.FORMULA_START):
            self._string(r, c, text, look.quoted)
        else:
            self._string(r, c, text, look.fmt)
        return text

    def number(self, row: int, col: int, value: object, type_: str = "count",
               fmt: Any = None, **look: Any) -> float | int | None:
        """A figure (styles.set_number): its number format from its type and value."""
        number = styles.clean_number(value)
        if number is not None and not math.isfinite(number):
            number = None
        if fmt is None:
            fmt = self.book.format(**look, num_format=styles.number_format(number, type_))
        self.raw_number(row, col, number, fmt)
        return number

    def raw_number(self, row: int, col: int, number: float | int | None, fmt: Any) -> None:
        """A number already clean (or None: a formatted blank) in a given format."""
        self._seen(row, col)
        if fmt is not None and (number is None or number.__class__ is int or (
                number.__class__ is float and math.isfinite(number))):
            cells = self._open(row - 1, col - 1, col - 1)
            if cells is not None:
                cells[col - 1] = (fmt, _BLANK_XML if number is None else _number_xml(number))
                return
        if number is None:
            self._blank(row - 1, col - 1, None, fmt)
        else:
            self._number(row - 1, col - 1, number, fmt)

    def put_number(self, row: int, col: int, value: object,
                   formats: tuple[Any, Any, Any]) -> float | int | None:
        """Sheet.number in formats made beforehand (Book.figure_formats)."""
        self._seen(row, col)
        cells = self._open(row - 1, col - 1, col - 1) if None not in formats else None
        if cells is not None:
            return self._put_figure(cells, row - 1, col - 1, value, formats)
        return self._figure(row - 1, col - 1, value, formats)

    def write_numbers(self, row: int, col: int, values: Sequence[object],
                      formats: Sequence[tuple[Any, Any, Any]]) -> None:
        """Sheet.number for the cells of a row from column `col` on, each value
        in its column's formats (Book.figure_formats)."""
        self._seen(row, col + len(values) - 1)
        r = row - 1
        cells = None
        if formats is self._figure_formats_ok or all(None not in f for f in formats):
            cells = self._open(r, col - 1, col + len(values) - 2)
        if cells is None:
            figure = self._figure
            for c, (value, figure_formats) in enumerate(zip(values, formats, strict=True),
                                                        start=col - 1):
                figure(r, c, value, figure_formats)
            return
        self._figure_formats_ok = formats  # the same formats come on every row
        isfinite, put = math.isfinite, self._put_figure
        c = col - 1
        for value, figure_formats in zip(values, formats, strict=True):
            if value.__class__ is float and isfinite(value):
                # most figures: styles.clean_number's work for a float, inline
                if value.is_integer():
                    cells[c] = (figure_formats[1], f"><v>{int(value):.16G}</v></c>")
                else:
                    cells[c] = (figure_formats[2], f"><v>{value:.16G}</v></c>")
            else:
                put(cells, r, c, value, figure_formats)
            c += 1

    def _put_figure(self, cells: dict[int, Any], r: int, c: int, value: object,
                    formats: tuple[Any, Any, Any]) -> float | int | None:
        """Sheet._figure in a row _open gave."""
        number: float | int | None
        if type(value) is float and math.isfinite(value):
            number = int(value) if value.is_integer() else value
        else:
            number = styles.clean_number(value)
            if number is not None and not math.isfinite(number):
                number = None
        if number is None:
            cells[c] = (formats[0], _BLANK_XML)
        elif number.__class__ is int or number.__class__ is float:
            cells[c] = (formats[1] if isinstance(number, int) else formats[2],
                        _number_xml(number))
        else:  # another kind of number (numpy's): as XlsxWriter takes it
            self._number(r, c, number, formats[1] if isinstance(number, int) else formats[2])
        return number

    def _figure(self, r: int, c: int, value: object,
                formats: tuple[Any, Any, Any]) -> float | int | None:
        """Sheet.number at 0-based (r, c), the row's order already checked;
        `formats`: for an empty, a whole and a fractional figure."""
        number: float | int | None
        if type(value) is float and math.isfinite(value):
            # most figures: styles.clean_number's work for a float, inline
            number = int(value) if value.is_integer() else value
        else:
            number = styles.clean_number(value)
            if number is not None and not math.isfinite(number):
                number = None
        if number is None:
            self._blank(r, c, None, formats[0])
        else:
            self._number(r, c, number, formats[1] if isinstance(number, int) else formats[2])
        return number

    def plain_text(self, row: int, col: int, text: str) -> None:
        """Text (already clean) in the workbook's default look, like a cell
        openpyxl writes without a style (a dropdown's list in a hidden column)."""
        self._seen(row, col)
        fmt = (self.book.format(border=False, wrap=False, vertical=None, quote=True)
               if text.startswith(styles.FORMULA_START) else None)
        self._string(row - 1, col - 1, text, fmt)

    def blank(self, row: int, col: int, **look: Any) -> None:
        """A formatted empty cell."""
        self._seen(row, col)
        self._blank(row - 1, col - 1, None, self.book.format(**look))

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int,
              value: object, **look: Any) -> None:
        """Merge a block of one row: `value` (text, cleaned) in its first cell,
        formatted blanks in the others."""
        if first_row != last_row:
            raise ValueError("Sheet.merge merges within a row; use merge_down")
        text = "" if value is None else styles.clean_text(value)
        fmt = self.book.format(**look, quote=text.startswith(styles.FORMULA_START))
        self._seen(first_row, last_col)
        self.ws.merge_range(first_row - 1, first_col - 1, last_row - 1, last_col - 1, "", fmt)
        if text:
            self._string(first_row - 1, first_col - 1, text, fmt)

    def merge_down(self, first_row: int, col: int, last_row: int) -> None:
        """Record a merge of rows first_row..last_row of one column whose cells
        are written (or are being written) row by row. XlsxWriter's
        merge_range would write the lower rows' cells at once, before the
        rest of the upper rows in constant-memory mode, so the range is
        recorded as merge_range records it (its merge list)."""
        self._in_order(first_row)
        self.max_row = max(self.max_row, last_row)
        self.ws.merge.append([first_row - 1, col - 1, last_row - 1, col - 1])

    def comment(self, row: int, col: int, text: str) -> None:
        """A note on the cell (styles.comment), written with the cell's row."""
        self._in_order(row)
        text = styles.clean_text(text)
        self.ws.write_comment(row - 1, col - 1, text, {
            "author": styles.COMMENT_AUTHOR, "width": styles.COMMENT_WIDTH,
            "height": styles.comment_height(text)})

    # ---------------------------------------------------------- blocks

    def titles(self, heading: str, organization: str, ncols: int, note: str = "") -> int:
        """A sheet's title line and the organisation's line (with `note`);
        returns the row of the table's header."""
        self.title_row(1, heading, ncols, size=14)
        second = organization or ""
        if note:
            second = f"{second} – {note}" if second else note
        if second:
            self.title_row(2, second, ncols, size=12, bold=False, italic=True)
        return 4

    def title_row(self, row: int, text: str, ncols: int, *, size: float = 14,
                  bold: bool = True, italic: bool = False, horizontal: str = "center",
                  height: float | None = None) -> None:
        """styles.title_row: a line merged across the table width."""
        look = dict(bold=bold, italic=italic, size=size, horizontal=horizontal, border=False)
        if ncols > 1:
            self.merge(row, 1, row, ncols, text, **look)
        else:
            self.text(row, 1, text, **look)
        width = sum(self.width(c) for c in range(1, ncols + 1))
        lines = styles.estimate_lines(styles.clean_text(text), width, size)
        self.set_height(row, height or styles.title_height(lines, size))

    def header_row(self, row: int, headers: Sequence[str], *, start_col: int = 1,
                   size: float | None = None, height: float | None = None) -> None:
        """styles.header_row: bold, shaded, bordered, centred header cells."""
        for i, text in enumerate(headers):
            self.text(row, start_col + i, text, bold=True, size=size, horizontal="center",
                      shade=styles.HEADER_FILL)
        if height:
            self.set_height(row, height)
        else:
            self.fit_row(row, ((start_col + i, t) for i, t in enumerate(headers)),
                         size or styles.FONT_SIZE)

    def note_row(self, row: int, text: str, ncols: int, size: float = 11) -> None:
        """A note in italics merged across the table, as tall as its text."""
        self.merge(row, 1, row, ncols, text, italic=True, size=size, horizontal="left",
                   vertical="top", border=False)
        width = sum(self.width(col) for col in range(1, ncols + 1))
        self.set_height(row, styles.estimate_lines(styles.clean_text(text), width, size) * 15 + 3)

    def freeze(self, row: int, col: int) -> None:
        """Freeze above `row` and left of `col` (openpyxl's freeze_panes at that cell)."""
        self.ws.freeze_panes(row - 1, col - 1)

    # ---------------------------------------------------------- paper

    def sheet_width(self, last_col: int) -> float:
        return sum(styles.column_points(self.width(col)) for col in range(1, last_col + 1))

    def sheet_height(self, first_row: int, last_row: int) -> float:
        return sum(self.heights.get(r) or styles.DEFAULT_ROW_PT
                   for r in range(first_row, last_row + 1))

    def is_wide(self, last_row: int | None = None,
                title_rows: tuple[int, int] | None = None) -> bool:
        """styles.is_wide, measured on what this sheet wrote."""
        width = self.sheet_width(self.max_col)
        height = self.sheet_height(1, last_row or self.max_row)
        repeated = self.sheet_height(*title_rows) if title_rows else 0
        return styles.wide_pages(width, height, repeated)

    def print_setup(self, *, landscape: bool | None = None,
                    title_rows: tuple[int, int] | None = None,
                    title_cols: tuple[int, int] | None = None, fit_width: int = 1,
                    last_row: int | None = None) -> None:
        """styles.print_setup: A4, `fit_width` pages wide, header rows (and
        columns) repeated, page numbers, centred; landscape None: the way
        that takes fewer pages."""
        ws = self.ws
        if landscape is None:
            landscape = self.is_wide(last_row=last_row, title_rows=title_rows)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(fit_width, 0)
        ws.center_horizontally()
        left, right, top, bottom = (m / 72 for m in styles.MARGINS)
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
        if title_rows:
            ws.repeat_rows(title_rows[0] - 1, title_rows[1] - 1)
        if title_cols:
            ws.repeat_columns(title_cols[0] - 1, title_cols[1] - 1)
        margin = styles.HEADER_FOOTER_MARGIN / 72
        ws.set_header("", {"margin": margin})
        ws.set_footer(f'&C&"{styles.FONT_NAME}"&{styles.FOOTER_SIZE}{styles.FOOTER_TEXT}',
                      {"margin": margin})

    def print_area(self, last_row: int, last_col: int) -> None:
        self.ws.print_area(0, 0, last_row - 1, last_col - 1)


def points_to_pixels(points: float) -> int:
    return int(round(points * _PX_PER_PT))
