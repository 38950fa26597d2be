"""Guards against hostile or broken workbooks, applied before any parser sees them.

An .xlsx/.xlsm/.ods file is a zip archive. A "zip bomb" is small on disk but
expands to gigabytes; a sheet with one cell at XFD1048576 makes a dense
reader build a grid of 17 billion cells; an .ods row repeated 200,000 times
with a cell repeated 100 times is 20 million cells. All are refused here
with a finding, using only the zip central directory and a streaming,
bounded decompression of the parts (never more than `Limits.max_unpacked`
bytes are produced, and they are not kept).

The sheets are measured as calamine's tokenizer sees them: a cell is any
start tag whose local name is `c` (any namespace prefix), its `r` attribute
in any quoting, spacing or case, and a cell or row without `r` follows the
one before; the sheet parts are those the workbook's relationships name,
wherever they are stored. A cell whose figure calamine would replace or
misplace (two cells at one position, a reference beyond XFD1048576) makes
the file refused too, naming the sheet and the cell. .xls files (OLE2
compound files) are checked by `oleguard`.
"""

from __future__ import annotations

import html
import io
import operator
import posixpath
import re
import unicodedata
import zipfile
import zlib
from functools import lru_cache
from typing import TYPE_CHECKING

from dvk_cli.reading.limits import (  # noqa: F401 - re-exported: callers import the limits from here
    DEFAULT_MAX_CELLS,
    DEFAULT_MAX_MEMORY_MB,
    DEFAULT_MAX_SECONDS,
    DEFAULT_MAX_UNPACKED,
    MB,
    Limits,
    _bomb,
    _fmt,
    _too_large,
    _too_many,
    _too_many_total,
    current_limits,
    limits_from,
    set_limits,
)

if TYPE_CHECKING:
    from dvk_cli.reading.package import Package

_CHUNK = 256 * 1024
_DEFLATE_MAX_RATIO = 1100  # deflate's maximum is about 1,032 : 1

_MAX_TAG = 1 * MB  # one tag, comment or CDATA section longer than this: not a workbook
_MAX_META = 16 * MB  # relationships and workbook.xml, read whole to find the sheets
_MAX_COLUMNS = 16_384  # what calamine caps a row of an .ods at
_MAX_DOCPROPS = 4 * MB  # document properties openpyxl parses whole (every_part only)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


class _TooBig(Exception):
    pass


class _Malformed(Exception):
    """A part no spreadsheet program writes (a tag longer than _MAX_TAG …)."""


class _BadCell(Exception):
    """A cell whose figure a reader would lose or replace: two cells at one
    position (`ref`; `row`, when known, the `<row>` of a cell written in
    another row), or a cell beyond the sheet's last column or row."""

    def __init__(self, ref: str, *, outside: bool = False, row: int | None = None) -> None:
        super().__init__(ref)
        self.ref, self.outside, self.row = ref, outside, row


class _Unordered(Exception):
    """A part whose cells are not in increasing order: scan it again, exactly."""


def _stream(z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int):
    """Yield the decompressed bytes of a member in chunks, whatever its header
    claims, raising _TooBig once `budget` bytes have been produced."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        # Stored (or a rare method zipfile bounds by the declared size).
        with z.open(info) as member:
            produced = 0
            while chunk := member.read(_CHUNK):
                produced += len(chunk)
                if produced > budget:
                    raise _TooBig
                yield chunk
        return
    # Deflate: inflate the raw compressed bytes ourselves, so that a header
    # understating the size cannot make us stop early (or a parser go on).
    fp = z.fp
    if fp is None:
        raise zipfile.BadZipFile("archive closed")
    fp.seek(info.header_offset)
    header = fp.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_len = int.from_bytes(header[26:28], "little")
    extra_len = int.from_bytes(header[28:30], "little")
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    inflater = zlib.decompressobj(-15)
    produced = 0
    pending = b""
    while left > 0 or pending:
        if not pending:
            pending = fp.read(min(_CHUNK, left))
            left -= len(pending)
            if not pending:
                break
        out = inflater.decompress(pending, _CHUNK)
        pending = inflater.unconsumed_tail
        produced += len(out)
        if produced > budget:
            raise _TooBig
        if out:
            yield out
        if inflater.eof:
            break


# ------------------------------------------------------------------ a tokenizer's view of XML
#
# quick-xml (calamine's XML reader) ends a start tag at the first '>' outside
# quotes, an end tag at the first '>', a comment at '-->', a CDATA section at
# ']]>', a processing instruction at '?>'. The patterns below cut the text the
# same way, in C: everything but the tags of interest is skipped inside the
# regular expression (possessive, so no backtracking), and Python only sees
# the tags it counts.

_PREFIX = rb"(?:[A-Za-z_][\w.\-]*+:)?"
_BODY = rb"[^>\"']*+(?:(?:\"[^\"]*+\"|'[^']*+')[^>\"']*+)*+"  # attributes: '>' ends them outside quotes


def _tokenizer(starts: bytes, ends: bytes, first: bytes = b"") -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """(token, skip): `token` matches, from a position, the markup to skip then
    an interesting tag: group 1 the local name of an end tag among `ends`,
    or group 2 the local name of a start (or empty) tag among `starts`, then
    the groups of `first` (a pattern for its first attribute, optional),
    then the rest of its attributes. `skip` matches only what is skipped."""
    start = (rb"<" + _PREFIX + rb"(" + starts + rb")(?=[\s/>])"
             + (rb"(?:" + first + rb")?" if first else b"") + rb"(" + _BODY + rb")>")
    end = rb"</" + _PREFIX + rb"(" + ends + rb")\s*>"
    skip = (rb"(?:[^<]++"
            rb"|</(?!" + _PREFIX + rb"(?:" + ends + rb")\s*>)[^>]*+>"
            rb"|<(?![/!?]|" + _PREFIX + rb"(?:" + starts + rb")(?=[\s/>]))" + _BODY + rb">"
            rb"|<!--.*?-->"
            rb"|<!\[CDATA\[.*?\]\]>"
            rb"|<\?.*?\?>"
            rb"|<!(?!--|\[CDATA\[)[^>]*+>"
            rb")*+")
    return re.compile(skip + rb"(?:" + end + rb"|" + start + rb")", re.S), re.compile(skip, re.S)


def _attr_pattern(key: bytes) -> re.Pattern[bytes]:
    """An attribute's values in a tag's attribute text, as quick-xml reads
    attributes (any quote, spaces around '='; a key starts after a space or a
    closing quote). A look-alike inside another value only adds a candidate."""
    return re.compile(rb"(?:^|[\s\"'])" + key + rb"\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _values(pattern: re.Pattern[bytes], attrs: bytes) -> list[bytes]:
    return [a or b for a, b in pattern.findall(attrs)]


def _text(value: bytes) -> str:
    return unicodedata.normalize("NFC", html.unescape(value.decode("utf-8", "replace")))


class _Scan:
    """Feed the chunks of one XML part; `start`/`end` see the tags of interest."""

    token: re.Pattern[bytes]
    skip: re.Pattern[bytes]

    def __init__(self) -> None:
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        data = self.carry + chunk if self.carry else chunk
        pos = 0
        match = self.token.match
        while m := match(data, pos):
            pos = m.end()
            if m.group(1) is not None:
                self.end(m.group(1))
            else:
                self.start(m.group(2), m.group(3))
        m = self.skip.match(data, pos)
        self.carry = data[m.end() if m else pos:]
        if len(self.carry) > _MAX_TAG:
            raise _Malformed

    def finish(self) -> None:
        pass

    def start(self, name: bytes, attrs: bytes) -> None:
        raise NotImplementedError

    def end(self, name: bytes) -> None:
        raise NotImplementedError


_R = _attr_pattern(rb"r")
_R_KEY = re.compile(rb"(?:^|[\s\"'])r\s*=")
_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
# The usual form, r="B12" first, is captured by the token itself (groups 3, 4).
_XLSX_TOKEN, _XLSX_SKIP = _tokenizer(rb"c|row", rb"row", rb"\s+r=\"([A-Z]{0,3})([0-9]{1,7})\"")
# A part is "plain" when cutting it at '<' and '>' alone gives the tags the
# tokenizer sees (see `_cut_alike`; no comment, CDATA, DOCTYPE or single quote,
# at most an XML declaration). There the cells are counted in C, without the
# tokenizer, when all have r="B12" first.
_PREFIXED_C = re.compile(rb":c[\s/>]")
# Several bytes looked for in a whole part: `re` finds a literal (it jumps
# to each occurrence of its first byte) two to three times as fast as
# `bytes in bytes` does for a needle of two or three bytes (about 7 against
# 20 µs in a sheet of 23 KB).
_LT_LT, _LT_QUOTE, _LT_BANG = re.compile(rb"<<"), re.compile(rb'<"'), re.compile(rb"<!")


def _prefixed_cell(data: bytes) -> bool:
    """Whether a part holds ":c" then a space, '/' or '>' (a prefixed cell
    tag such as `<x:c r="A1">`). (The expression begins with the literal
    ":c": most parts, which have none, are ruled out at that speed.)"""
    return _PREFIXED_C.search(data) is not None
_NOT_MARK = bytes(sorted(set(range(256)) - set(b'<>"')))  # every byte but '<', '>' and '"'
# The cells of a plain part in one pass: (letters, digits) of one written
# `<c r="B12"` with no "r" then "=" after it (so no second r: the tokenizer's
# `_R_KEY` finds none), two empty groups for any other. A tag ends at its
# first '>' (in a plain part, the tokenizer's too). _KEPT_CELLS leaves out
# `<c .../>`, of any form: calamine keeps no cell for it.
_R_FIRST = rb" r=\"([A-Z]{1,3})([1-9][0-9]{0,6})\"(?![^>]*r\s*=)"
_ALL_CELLS = re.compile(rb"<c(?:" + _R_FIRST + rb"[^>]*+>|(?=[\s/>]))")
_KEPT_CELLS = re.compile(rb"<c(?:" + _R_FIRST + rb"[^>]*+(?<!/)>|(?=[\s/>])[^>]*+(?<!/)>)")
_LETTERS, _DIGITS = operator.itemgetter(0), operator.itemgetter(1)
_COLUMNS: dict[bytes, int] = {}
_LAST_ROW, _LAST_COL = 1_048_575, 16_383  # 0-based: row 1,048,576 and column XFD, Excel's last
# The rest of a cell calamine drops (no value: nothing, or formulas alone), as
# strictly as it can be told; anything else may be a value. (`<v></v>` of a
# number is dropped too, but an empty `<v>` or `<is>` of a string is kept.)
_VALUELESS = re.compile(rb"\s*+(?:<" + _PREFIX + rb"f(?:\s[^<>/]*+)?(?:/>|>[^<]*+</" + _PREFIX
                        + rb"f\s*>)\s*+)*+</" + _PREFIX + rb"c\s*>")


def _letters(col: int) -> str:
    """Column letters of a 0-based column number."""
    out = ""
    col += 1
    while col > 0:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _ref_text(value: bytes) -> str:
    """A reference as written, for a message (shortened if absurdly long)."""
    text = _text(value).strip()
    return text if len(text) <= 24 else text[:20] + "…"


def _position(ref: bytes) -> tuple[int, int] | None:
    """0-based (row, column) of a reference as calamine parses it ('5' is a
    row alone, column 0), or None where calamine fails on it."""
    m = _REF.fullmatch(ref)
    if m is None:
        return None
    if len(ref) > 40:
        return 10**18, 10**18
    row = int(m.group(2)) - 1
    if row < 0:
        return None
    return row, max(_col_number(m.group(1)) - 1, 0)


def _declaration_only(data: bytes) -> bool:
    """No processing instruction ("<?") in a part but, at most, one XML
    declaration at its very start."""
    if b"?" not in data:  # a byte search: much quicker than one for "<?"
        return True
    start = data.find(b"<?")
    if start == -1:
        return True
    if start > 3:
        return False
    # Usually the only other '?' is the declaration's own "?>": a second
    # "<?" would have its '?' right after a '<'.
    mark = data.find(b"?", start + 2)
    if mark == -1:
        return True
    if data.find(b"?", mark + 1) == -1:
        return data[mark - 1] != 0x3C  # '<'
    return data.find(b"<?", start + 1) == -1


def _cut_alike(data: bytes) -> bool:
    """Whether cutting a part at '<' and '>' gives the tags quick-xml reads,
    in a part without single quotes, "<!" or any "<?" but an XML declaration
    at its start (`_declaration_only`).

    quick-xml ends a start tag at the first '>' outside double quotes, an end
    tag at the first '>', the declaration at the first "?>"; a '<' inside a
    tag is part of it. The cut is the same when, after every '<', the next
    '<' or '>' is a '>' and an even number of '"' lie between them (the '>'
    is then outside quotes), and the declaration's first '>' ends its "?>".
    In the marks alone (the part without any byte but '<', '>' and '"'),
    that is: '<', pairs of '"', '>'. Once every '""' is removed (a run of
    quotes loses its pairs: an odd one keeps one '"'), every '<' is followed
    by a '>' exactly then; the quotes and '>' of text, between tags, may stay."""
    start = data.find(b"<?", 0, 5)  # (where _declaration_only allows one)
    if start != -1:
        end = data.find(b">", start)
        if end < start + 3 or data[end - 1] != 0x3F:  # '?'
            return False
    marks = data.translate(None, _NOT_MARK).replace(b'""', b"")
    return (_LT_LT.search(marks) is None and _LT_QUOTE.search(marks) is None
            and not marks.endswith(b"<"))


class _FirstHeld(_Scan):
    """A scan that keeps its part's first chunk until a second one comes: a
    part inflated in one chunk (most are) can be measured whole in `finish`,
    faster than tokenized; a longer one is tokenized (`consume`) as it comes."""

    def __init__(self) -> None:
        super().__init__()
        self.first: bytes | None = None  # the first chunk, kept until we know it is the only one
        self.fed = False

    def feed(self, chunk: bytes) -> None:
        if not self.fed:
            self.fed = True
            self.first = chunk
            return
        if self.first is not None:
            first, self.first = self.first, None
            self.consume(first)
        self.consume(chunk)

    def consume(self, chunk: bytes) -> None:
        super().feed(chunk)


class _SheetScan(_FirstHeld):
    """A worksheet part as calamine reads it: the rows and columns of the
    cells it keeps (those with content; `<c .../>` is empty), their number,
    and, with `every_cell`, empty cells too (openpyxl keeps them).

    calamine: `<row r>` sets the row, `</row>` (or `<row/>`) moves to the next
    one and to column 0; `<c r>` sets row and column, a `<c>` without `r`
    takes the current ones; every `<c>` moves one column on.

    With `check`, a kept cell whose figure a reader would lose raises
    _BadCell: one beyond column XFD or row 1,048,576, or one at the position
    of another (the last silently wins). Valid OOXML lists cells in strictly
    increasing (row, column) order, so only the furthest position so far is
    kept; a cell at or before it raises _Unordered, and the part is scanned
    again `exact`ly, with every position in a set (out-of-order but distinct
    cells are read as they are). The quick count of a plain part (`_plain`)
    checks only that no two kept cells share a reference."""

    token, skip = _XLSX_TOKEN, _XLSX_SKIP

    def __init__(self, every_cell: bool = False, *, check: bool = True, exact: bool = False,
                 limit: int | None = None) -> None:
        super().__init__()
        self.every_cell = every_cell
        self.check = check
        self.row = self.col = 0  # 0-based, where a cell without `r` goes
        self.max_row = self.max_col = -1
        self.cells = 0
        # (row << 14 | column) of the furthest cell kept so far; once exact, a
        # bound no cell reaches, so that every cell goes to `_again`.
        self.last = -1
        self.seen: set[int] | None = None
        self.rows: dict[int, int] = {}  # exact: position -> 0-based <row> of a cell written in another row
        # More positions than this: the part is refused as too big anyway
        # (its area holds them all), the set need not grow.
        self.limit = limit
        self.full = False
        if exact:
            self._exact()

    def _exact(self) -> None:
        self.seen, self.last = set(), 1 << 62

    def consume(self, chunk: bytes) -> None:
        self._tokenize(chunk)

    def finish(self) -> None:
        if self.first is not None:
            first, self.first = self.first, None
            if not self._plain(first):
                self._tokenize(first)

    def _plain(self, data: bytes) -> bool:
        """Count a whole part the quick way; False, leaving it to the
        tokenizer, when it is not plain, when a cell kept is written otherwise
        than `<c r="B12"` with no second r, or when two kept cells share a
        position or one lies beyond the sheet.

        In a plain part the tokenizer reads the tags a cut at '<' and '>'
        gives. When every cell it keeps has its r written "B12" first and
        alone, each is at its own reference (none takes its place from the
        cell or row before), so the count is those tags (`<c .../>` left out
        but with `every_cell`) and the last row and column the largest of
        their references, in order or not: distinct cells out of order are
        read as they are, after an exact scan."""
        # (A byte search is much quicker than one for "<!": '<' is everywhere.)
        if (b"'" in data or (b"!" in data and _LT_BANG.search(data)) or not _declaration_only(data)
                or not _cut_alike(data) or _prefixed_cell(data)):
            return False
        cells = (_ALL_CELLS if self.every_cell else _KEPT_CELLS).findall(data)
        rows = set(map(_DIGITS, cells))
        if b"" in rows:
            return False  # a cell without r, with r in another form or a second r
        if self.check and len(set(cells)) != len(cells):
            # Two cells kept at one position (written the one way "B12" here):
            # the tokenizer tells whether a figure is lost. Out of order but
            # distinct, they are read as they are.
            self._exact()
            return False
        max_row = max(map(int, rows), default=0) - 1
        max_col = max(map(_col_number, set(map(_LETTERS, cells))), default=0) - 1
        if self.check and (max_row > _LAST_ROW or max_col > _LAST_COL):
            return False
        self.cells, self.max_row, self.max_col = len(cells), max_row, max_col
        return True

    def _again(self, key: int, r: int, row: int, data: bytes, pos: int) -> None:
        """A kept cell at or before the furthest so far (every cell, once
        exact); its content starts at data[pos]."""
        seen = self.seen
        if seen is None:
            if self.check:
                raise _Unordered
            return
        if self.full or (not self.every_cell and _VALUELESS.match(data, pos)):
            return  # calamine drops it: it hides no figure (openpyxl would keep it)
        if key in seen:
            there = self.rows.get(key, row if r != row else None)
            raise _BadCell(_letters(key & 0x3FFF) + str((key >> 14) + 1),
                           row=None if there is None else there + 1)
        seen.add(key)
        if r != row:
            self.rows[key] = row
        if self.limit is not None and len(seen) > self.limit:
            self.full = True
            seen.clear()
            self.rows.clear()

    def _outside(self, r: int, c: int, values: list[bytes] | None = None) -> _BadCell:
        for v in values or ():
            p = _position(v)
            if p is not None and (p[0] > _LAST_ROW or p[1] > _LAST_COL):
                return _BadCell(_ref_text(v), outside=True)
        return _BadCell(_letters(c) + str(r + 1), outside=True)

    def _tokenize(self, chunk: bytes) -> None:
        data = self.carry + chunk if self.carry else chunk
        pos = 0
        match = self.token.match
        row, col, max_row, max_col, cells = self.row, self.col, self.max_row, self.max_col, self.cells
        last, check = self.last, self.check
        every, columns = self.every_cell, _COLUMNS
        while m := match(data, pos):
            pos = m.end()
            end, name, letters, digits, rest = m.groups()
            if end is not None:  # </row>
                row += 1
                col = 0
                continue
            if digits is not None and digits[0] != 48 and not _R_KEY.search(rest):
                # r="B12" first and only (not "0…")
                if name == b"row":
                    row = int(digits) - 1
                    if rest.endswith(b"/"):
                        row += 1
                        col = 0
                    continue
                if letters:
                    r = int(digits) - 1
                    c = columns.get(letters)
                    if c is None:
                        c = columns[letters] = _col_number(letters) - 1
                    col = c + 1
                    if rest.endswith(b"/") and not every:
                        continue
                    cells += 1
                    if r > max_row:
                        max_row = r
                        if r > _LAST_ROW and check:
                            raise self._outside(r, c)
                    if c > max_col:
                        max_col = c
                        if c > _LAST_COL and check:
                            raise self._outside(r, c)
                    key = r << 14 | c
                    if key > last:
                        last = key
                    else:
                        self._again(key, r, row, data, pos)
                    continue
            # Any other form: the slow, general reading of the attributes.
            attrs = data[m.end(2):pos - 1]
            values = _values(_R, attrs)
            known = [p for p in map(_position, values) if p is not None]
            closed = attrs.endswith(b"/")
            if name == b"row":
                if known:
                    row = max(r for r, _ in known)
                if closed:
                    row += 1
                    col = 0
                continue
            r, c = row, col
            if known:
                r = max(p[0] for p in known)
                c = col = max(p[1] for p in known)
            at = known[-1] if known else (r, c)  # where calamine puts it: the last r
            col += 1
            if closed and not every:
                continue
            cells += 1
            if r > max_row:
                max_row = r
                if r > _LAST_ROW and check:
                    raise self._outside(r, c, values)
            if c > max_col:
                max_col = c
                if c > _LAST_COL and check:
                    raise self._outside(r, c, values)
            key = at[0] << 14 | at[1]
            if key > last:
                last = key
            else:
                self._again(key, at[0], row, data, pos)
        self.row, self.col, self.max_row, self.max_col, self.cells = row, col, max_row, max_col, cells
        self.last = last
        m = self.skip.match(data, pos)
        self.carry = data[m.end() if m else pos:]
        if len(self.carry) > _MAX_TAG:
            raise _Malformed

    @property
    def area(self) -> int:
        """Cells of the grid from A1 to the last cell kept."""
        return (self.max_row + 1) * (self.max_col + 1)


_ODS_TOKEN, _ODS_SKIP = _tokenizer(rb"table-cell|covered-table-cell|table-row|table",
                                   rb"table-row|table")
_ROWS_REPEATED = _attr_pattern(rb"(?:[\w.\-]+:)?number-rows-repeated")
_COLS_REPEATED = _attr_pattern(rb"(?:[\w.\-]+:)?number-columns-repeated")
_TABLE_NAME = _attr_pattern(rb"(?:[\w.\-]+:)?name")
_HAS_VALUE = re.compile(rb"(?:value|formula)[\w\-]*\s*=")


def _repeat(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    values = _values(pattern, attrs)
    if not values:
        return 1
    best = 1
    for v in values:
        v = v.strip()
        if len(v) > 18:
            return 10**18 if v.lstrip(b"+").isdigit() else 1
        try:
            best = max(best, int(v))
        except ValueError:
            continue
    return best


class _OdsScan(_FirstHeld):
    """content.xml of an .ods as calamine materialises it: per table, rows
    up to the last one holding a value (repeats expanded, trailing empty rows
    and cells dropped) times columns up to the last value."""

    token, skip = _ODS_TOKEN, _ODS_SKIP

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.tables: list[tuple[str, int]] = []  # (table name, cells)
        self.name = ""
        self._reset()

    def finish(self) -> None:
        if self.first is not None:
            first, self.first = self.first, None
            # Without any repeat, no table has more rows than there are row
            # tags, nor more columns than cell tags: a bound found in C.
            bound = first.count(b"table-row") * first.count(b"table-cell")
            if b"repeated" not in first and bound <= self.limit:
                self.tables.append(("", bound))
                return
            self.consume(first)
        self._close()

    def _reset(self) -> None:
        self.rows = 0  # rows before the current one, repeats included
        self.last_row = 0  # rows up to the last one with a value
        self.width = 0  # columns up to the last value
        self.repeat = 0
        self.col = 0
        self.filled = False

    def start(self, name: bytes, attrs: bytes) -> None:
        closed = attrs.endswith(b"/")
        if name == b"table":
            self._close()
            names = _values(_TABLE_NAME, attrs)
            self.name = _text(names[0]) if names else ""
            if closed:
                self._close()
        elif name == b"table-row":
            self._end_row()
            self.repeat = _repeat(_ROWS_REPEATED, attrs) if b"repeated" in attrs else 1
            if closed:
                self._end_row()
        else:  # a cell
            repeat = _repeat(_COLS_REPEATED, attrs) if b"repeated" in attrs else 1
            if not closed or _HAS_VALUE.search(attrs):
                self.filled = True
                self.width = max(self.width, min(self.col + repeat, _MAX_COLUMNS))
            self.col = min(self.col + repeat, _MAX_COLUMNS)

    def end(self, name: bytes) -> None:
        if name == b"table-row":
            self._end_row()
        else:
            self._close()

    def _end_row(self) -> None:
        self.rows += self.repeat
        if self.filled:
            self.last_row = self.rows
        self.repeat = self.col = 0
        self.filled = False

    def _close(self) -> None:
        self._end_row()
        if self.last_row and self.width:
            self.tables.append((self.name, self.last_row * self.width))
        self._reset()


_SST_TOKEN, _SST_SKIP = _tokenizer(rb"sst", rb"sst")
_UNIQUE_COUNT = _attr_pattern(rb"uniqueCount")


class _SharedStringsScan(_Scan):
    """The shared strings' declared count (calamine reserves room for it)."""

    token, skip = _SST_TOKEN, _SST_SKIP

    def __init__(self) -> None:
        super().__init__()
        self.declared = 0

    def start(self, name: bytes, attrs: bytes) -> None:
        for v in _values(_UNIQUE_COUNT, attrs):
            v = v.strip()
            self.declared = max(self.declared, int(v[:19]) if v.isdigit() else 0)

    def end(self, name: bytes) -> None:
        pass


# ------------------------------------------------------------------ where the sheets are

_REL_TOKEN, _REL_SKIP = _tokenizer(rb"Relationship|sheet", rb"Relationships")
_TARGET = _attr_pattern(rb"Target")
_TYPE = _attr_pattern(rb"Type")
_ID = _attr_pattern(rb"(?:[\w.\-]+:)?[Ii]d")
_NAME = _attr_pattern(rb"name")


class _TagCollector(_FirstHeld):
    """The relationship and sheet tags of a part. A part inflated in one
    chunk (they all are but in odd files) is looked up in `_part_tags`:
    the relationships and workbook.xml of returns made from one form are
    the same bytes, file after file."""

    token, skip = _REL_TOKEN, _REL_SKIP

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[bytes, bytes]] = []

    def finish(self) -> None:
        if self.first is not None:
            first, self.first = self.first, None
            if len(first) <= _MEMO_PART:
                self.tags = list(_part_tags(first))
            else:
                self.consume(first)

    def start(self, name: bytes, attrs: bytes) -> None:
        if len(self.tags) < 100_000:
            self.tags.append((name, attrs))

    def end(self, name: bytes) -> None:
        pass


_MEMO_PART = 64 * 1024  # parts longer than this are tokenized each time


@lru_cache(maxsize=64)
def _part_tags(part: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """The tags a _TagCollector collects from a part given in one chunk (a
    part that raises is not remembered: it raises again)."""
    scan = _TagCollector()
    scan.consume(part)
    return tuple(scan.tags)


def _norm(name: str) -> str:
    """A part name as calamine looks it up: case-insensitive, '\\' as '/'."""
    return name.replace("\\", "/").lower()


def _tags(z: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], name: str,
          package: Package | None = None) -> tuple[tuple[bytes, bytes], ...]:
    info = members.get(_norm(name))
    if info is None:
        return ()
    scan = _TagCollector()
    try:
        _read_part(z, info, scan, _MAX_META, package)
    except _TooBig:
        raise _Malformed from None
    return tuple(scan.tags)


def _resolve(base: str, target: str) -> set[str]:
    """The part names a relationship target may mean (calamine joins it to
    the workbook's folder, or strips the '/' of an absolute one)."""
    joined = target[1:] if target.startswith("/") else base + target
    return {_norm(joined), _norm(posixpath.normpath(joined))}


def workbook_sheets(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name) of each sheet an .xlsx/.xlsm workbook.xml lists,
    the part as stored in the archive ('' when absent). Raises _Malformed
    (an Exception) for relationship parts no program writes."""
    members = {_norm(i.filename): i for i in z.infolist()}
    return [(name, members[part].filename if part in members else "")
            for name, part in _sheet_parts(z, members)[0]]


def _meta_values(pattern: re.Pattern[bytes], attrs: bytes) -> list[bytes] | tuple[bytes, ...]:
    """`_values` of a relationship or sheet tag: the same tags come back in
    every return made from one form, so those of usual length are remembered."""
    if len(attrs) > _MEMO_ATTRS:
        return _values(pattern, attrs)
    return _remembered_values(pattern, attrs)


_MEMO_ATTRS = 4096


@lru_cache(maxsize=1024)
def _remembered_values(pattern: re.Pattern[bytes], attrs: bytes) -> tuple[bytes, ...]:
    return tuple(_values(pattern, attrs))


_Tags = tuple[tuple[bytes, bytes], ...]


def _sheet_parts(z: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                 package: Package | None = None) -> tuple[list[tuple[str, str]], frozenset[str]]:
    """([(sheet name, normalised part)], every normalised part a sheet may be
    read from): what calamine would read, resolved every way it may.

    The parts are read here (_rels/.rels, then each workbook folder's
    relationships and workbook.xml); what their tags say is worked out by
    `_bases` and `_sheets_named`, remembered for the usual workbook: the
    returns made from one form hold the same tags, file after file."""
    rels = _tags(z, members, "_rels/.rels", package)
    bases = _bases(rels) if len(rels) > _MEMO_TAGS else _remembered_bases(rels)
    books = tuple((base, _tags(z, members, base + "_rels/workbook.xml.rels", package),
                   _tags(z, members, base + "workbook.xml", package)) for base in bases)
    if sum(len(links) + len(sheets) for _, links, sheets in books) > _MEMO_TAGS:
        named, parts = _sheets_named(books)
    else:
        named, parts = _remembered_sheets_named(books)
    # Of the parts a sheet may be read from, the first stored in this archive.
    return [(sheet, next((p for p in found if p in members), "")) for sheet, found in named], parts


def _bases(rels: _Tags) -> tuple[str, ...]:
    """The workbook folders (at most 8) the package relationships may name."""
    bases = {"xl/"}
    for name, attrs in rels:
        types = _meta_values(_TYPE, attrs)
        if name == b"Relationship" and any(t.endswith(b"/officeDocument") for t in types):
            for target in _meta_values(_TARGET, attrs)[:4]:
                t = _text(target)
                folder = t[: t.rfind("/") + 1].lstrip("/")
                bases.add(folder)
                bases.add(_norm(folder))
    return tuple(sorted(bases)[:8])


def _sheets_named(books: tuple[tuple[str, _Tags, _Tags], ...],
                  ) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], frozenset[str]]:
    """For each (folder, its relationship tags, its workbook.xml tags): the
    sheets workbook.xml names, each with the parts it may be read from
    (sorted), and every part a sheet may be read from."""
    named: list[tuple[str, tuple[str, ...]]] = []
    parts: set[str] = set()
    for base, links, sheets in books:
        targets: dict[bytes, set[str]] = {}
        for name, attrs in links:
            if name != b"Relationship":
                continue
            resolved: set[str] = set()
            for target in _meta_values(_TARGET, attrs):
                for t in {target.decode("utf-8", "replace"), _text(target)}:
                    resolved |= _resolve(base, t)
            if any(t.endswith(b"sheet") for t in _meta_values(_TYPE, attrs)):
                parts |= resolved  # worksheet, chartsheet, dialogsheet
            for rid in _meta_values(_ID, attrs):
                targets.setdefault(rid, set()).update(resolved)
        for name, attrs in sheets:
            if name != b"sheet":
                continue
            names = _meta_values(_NAME, attrs)
            sheet = _text(names[0]) if names else ""
            found: set[str] = set()
            for rid in _meta_values(_ID, attrs):
                found |= targets.get(rid, set())
            parts |= found  # whatever its type says, a part a sheet names is read as one
            named.append((sheet, tuple(sorted(found))))
    return tuple(named), frozenset(parts)


_MEMO_TAGS = 2_000  # workbooks whose meta parts hold more tags are worked out each time
_remembered_bases = lru_cache(maxsize=64)(_bases)
_remembered_sheets_named = lru_cache(maxsize=64)(_sheets_named)


# ------------------------------------------------------------------ the guard

def openpyxl_limits(limits: Limits | None = None) -> Limits:
    """What a workbook may hold for openpyxl to load it (a Python object per
    cell, every part parsed whole): a quarter of the bytes, a tenth of the
    cells calamine may read."""
    limits = limits or current_limits()
    return Limits(max_unpacked=max(limits.max_unpacked // 4, 1), max_cells=max(limits.max_cells // 10, 1),
                  max_memory_mb=limits.max_memory_mb, max_seconds=limits.max_seconds)


def archive_problem(raw: bytes | Package, limits: Limits | None = None, *,
                    every_part: bool = False) -> tuple[str, str] | None:
    """(rule, Vietnamese message) when a workbook must not be parsed; else None.

    A zip (.xlsx/.xlsm/.ods): the sizes the central directory declares, then
    the real size of the parts inflated in bounded chunks, measuring each
    sheet as calamine would materialise it (and, with `every_part`, every
    part and every cell, empty ones too: what openpyxl loads). An OLE2 file
    (.xls): see `oleguard.ole_problem`.

    Given a `Package` (the file's bytes), the archive it opens and the parts
    it inflates whole are kept in it for the readers after the guard, when
    the guard went through the whole archive (see package.py).
    """
    limits = limits or current_limits()
    package = None
    if not isinstance(raw, (bytes, bytearray)):
        package, raw = raw, raw.raw
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if len(raw) > limits.max_unpacked:
            return "file_too_large", _too_large(limits)
        from dvk_cli.reading.oleguard import ole_problem

        return ole_problem(raw, limits)
    if not raw.startswith(b"PK"):
        if len(raw) > limits.max_unpacked:
            return "file_too_large", _too_large(limits)
        return None
    if package is not None:
        try:
            z = package.zip()
        except (zipfile.BadZipFile, ValueError, OSError):
            return None  # the parser reports a damaged file in its own words
        try:
            return _zip_problem(z, len(raw), limits, every_part, package)
        except _Malformed:
            return "malformed_workbook", _malformed()
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
                RuntimeError, ValueError):
            package.drop()  # the readers after it read the archive as it is
            return None  # damaged: the parser reports it
        except BaseException:
            package.drop()
            raise
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # the parser reports a damaged file in its own words
    with z:
        try:
            return _zip_problem(z, len(raw), limits, every_part)
        except _Malformed:
            return "malformed_workbook", _malformed()
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
                RuntimeError, ValueError):
            return None  # damaged: the parser reports it


def _zip_problem(z: zipfile.ZipFile, size: int, limits: Limits,
                 every_part: bool, package: Package | None = None) -> tuple[str, str] | None:
    infos = z.infolist()
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_unpacked:
        return "zip_bomb", _bomb(declared, limits)
    budget = limits.max_unpacked
    # Deflate expands at most ~1,032 times: a small file cannot exceed the
    # budget, whatever its headers say; only its sheets need a look.
    small = (size * _DEFLATE_MAX_RATIO <= limits.max_unpacked
             and all(i.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in infos))
    members = {_norm(i.filename): i for i in infos}
    named, parts = _sheet_parts(z, members, package)
    label = {part: name for name, part in reversed(named)}
    total = 0
    for info in infos:
        norm = _norm(info.filename)
        scan: _Scan | None
        sheet = label.get(norm) or info.filename.rsplit("/", 1)[-1]
        if norm in parts or "worksheets/" in norm:
            # A part no sheet reads loses no figure: measured, not checked.
            scan = _SheetScan(every_cell=every_part, check=norm in parts, limit=limits.max_cells)
        elif norm == "content.xml":
            scan = _OdsScan(limits.max_cells)
        elif norm.endswith("sharedstrings.xml"):
            scan = _SharedStringsScan()
        else:
            scan = None
            if small or not (every_part or norm.endswith(".xml")) or (
                    not every_part and norm.startswith(("xl/theme/", "docprops/"))):
                continue  # parts no parser of ours reads, or that cannot be too big
        part_budget = budget
        if every_part and norm.startswith(("docprops/", "customxml/")):
            part_budget = min(budget, _MAX_DOCPROPS)
        try:
            try:
                budget -= _read_part(z, info, scan, part_budget, package)
            except _Unordered:  # cells out of order: again, checking every position
                scan = _SheetScan(every_cell=every_part, exact=True, limit=limits.max_cells)
                budget -= _read_part(z, info, scan, part_budget, package)
        except _TooBig:
            return "zip_bomb", _bomb(limits.max_unpacked + 1, limits)
        except _BadCell as bad:
            return "malformed_workbook", _bad_cell(sheet, bad)
        if isinstance(scan, _SheetScan):
            # A dense reader builds the grid from A1 to the last cell.
            area = max(scan.area, scan.cells)
            if area > limits.max_cells:
                return "too_many_cells", _too_many(sheet, area, limits)
            total += area
        elif isinstance(scan, _OdsScan):
            for sheet, area in scan.tables:
                if area > limits.max_cells:
                    return "too_many_cells", _too_many(sheet, area, limits)
                total += area
        elif isinstance(scan, _SharedStringsScan) and scan.declared > limits.max_cells:
            return "too_many_cells", _too_many_strings(scan.declared, limits)
        if total > limits.max_cells:
            return "too_many_cells", _too_many_total(total, limits)
    return None


def _read_part(z: zipfile.ZipFile, info: zipfile.ZipInfo, scan: _Scan | None, budget: int,
               package: Package | None = None) -> int:
    """Inflate a part into `scan` (if any); the bytes it holds. With a
    `package`, the part is kept there when small enough (see package.py)."""
    produced = 0
    kept: list[bytes] | None = [] if package is not None and info not in package.parts else None
    room = 0 if package is None else min(info.file_size, package.room())
    for chunk in _stream(z, info, budget):
        produced += len(chunk)
        if kept is not None:
            if produced <= room:
                kept.append(chunk)
            else:
                kept = None
        if scan is not None:
            scan.feed(chunk)
    if scan is not None:
        scan.finish()
    if kept is not None and package is not None:
        package.keep(info, kept)
    return produced


def _bad_cell(sheet: str, bad: _BadCell) -> str:
    if bad.outside:
        what = (f"ô {bad.ref} nằm ngoài giới hạn của trang tính (cột XFD, dòng 1.048.576); "
                "tệp bị sửa hoặc hỏng cấu trúc,")
    else:
        where = "" if bad.row is None else f", một ô trong số đó lại nằm ở dòng {bad.row}"
        what = f"hai ô cùng địa chỉ {bad.ref}{where} (tệp bị sửa hoặc hỏng cấu trúc);"
    return (f"trang “{sheet}” có {what} dvk không đọc tệp này để khỏi lấy nhầm số. "
            "Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại.")


def _too_many_strings(declared: int, limits: Limits) -> str:
    return (f"bảng chuỗi dùng chung (sharedStrings.xml) khai báo {_fmt(declared)} chuỗi, vượt giới hạn "
            f"{_fmt(limits.max_cells)}; tệp bị hỏng hoặc được tạo để làm cạn bộ nhớ, dvk không đọc. "
            "Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại.")


def _malformed() -> str:
    return ("cấu trúc bên trong tệp bất thường (một thẻ XML hoặc một phần mô tả dài hàng megabyte), "
            "không chương trình bảng tính nào tạo ra như vậy; dvk không đọc tệp này. Đề nghị đơn vị "
            "mở bằng Excel, lưu lại và gửi lại.")
