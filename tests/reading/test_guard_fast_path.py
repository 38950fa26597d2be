"""The guard's quick count of a sheet part (guards._SheetScan._plain) against
its tokenizer, differentially.

Whenever the quick count answers, it must give what the tokenizer alone gives
for the same part: the cells, the last row and column, or the same refusal
(_BadCell and its fields) once the part is scanned again exactly. Sheet parts
are drawn by hypothesis from the forms the tokenizer reads (prefixes, quoting,
spacing, a missing or second r, duplicates, cells out of order or beyond
XFD1048576, empty cells, '<', '>' and quotes where they hide or end a tag,
comments, CDATA, DOCTYPE, processing instructions) and taken from workbooks
openpyxl writes. archive_problem's verdict on a workbook holding such a part
is the one it gives with the quick count switched off."""

from __future__ import annotations

import io
import zipfile

import pytest
from helpers import consistent_values, return_grid, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dvk_cli.reading import guards
from dvk_cli.reading.guards import Limits, archive_problem

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


# ------------------------------------------------------------------ both ways of measuring a part

def _outcome(scan_part) -> tuple:
    """What measuring a part gives: ("cells", cells, max_row, max_col), or the
    refusal ("bad", ref, outside, row) or ("malformed",)."""
    try:
        scan = scan_part()
    except guards._BadCell as bad:
        return "bad", bad.ref, bad.outside, bad.row
    except guards._Malformed:
        return ("malformed",)
    return "cells", scan.cells, scan.max_row, scan.max_col


def _tokenized(part: bytes, every_cell: bool, check: bool) -> tuple:
    """The tokenizer alone, as _zip_problem runs it: cells out of order make
    it scan the part again, exactly (and checking)."""
    def scan_part():
        scan = guards._SheetScan(every_cell, check=check, limit=10**6)
        try:
            scan._tokenize(part)
        except guards._Unordered:
            scan = guards._SheetScan(every_cell, exact=True, limit=10**6)
            scan._tokenize(part)
        return scan
    return _outcome(scan_part)


def _quick(part: bytes, every_cell: bool, check: bool) -> tuple | None:
    """The quick count's answer; None when it leaves the part to the tokenizer
    (then asking for an exact scan, or not, as it may)."""
    scan = guards._SheetScan(every_cell, check=check, limit=10**6)
    if scan._plain(part):
        return "cells", scan.cells, scan.max_row, scan.max_col
    assert (scan.cells, scan.max_row, scan.max_col) == (0, -1, -1)  # nothing left half-counted
    return None


def _as_the_guard_measures(part: bytes, every_cell: bool, check: bool) -> tuple:
    """The part fed in one chunk, as _zip_problem measures it (the quick
    count first; out of order: again, exactly)."""
    def scan_part():
        scan = guards._SheetScan(every_cell, check=check, limit=10**6)
        try:
            scan.feed(part)
            scan.finish()
        except guards._Unordered:
            scan = guards._SheetScan(every_cell, exact=True, limit=10**6)
            scan.feed(part)
            scan.finish()
        return scan
    return _outcome(scan_part)


def _same_both_ways(part: bytes) -> list[bool]:
    """Assert the quick count agrees with the tokenizer in every mode; which
    modes it answered in."""
    answered = []
    for every_cell in (False, True):
        for check in (True, False):
            slow = _tokenized(part, every_cell, check)
            quick = _quick(part, every_cell, check)
            if quick is not None:
                assert quick == slow, (every_cell, check)
            assert _as_the_guard_measures(part, every_cell, check) == slow, (every_cell, check)
            answered.append(quick is not None)
    return answered


# ------------------------------------------------------------------ sheet parts

USUAL_LETTERS = st.one_of(st.sampled_from(["A", "B", "C", "Z", "AA", "XFD", "XFE", "ZZZ"]),
                          st.text(alphabet="ABCXYZ", min_size=1, max_size=3))
USUAL_DIGITS = st.one_of(st.sampled_from(["1", "2", "3", "12", "1048576", "1048577", "9999999"]),
                         st.integers(1, 40).map(str))
LETTERS = st.one_of(USUAL_LETTERS, st.sampled_from(["a", "b", "", "AAAA", "Ab"]))
DIGITS = st.one_of(USUAL_DIGITS, st.sampled_from(["0", "01", "", "10000000", "1 ", "+1"]))
VALUE = st.sampled_from([
    b"<v>1</v>", b"<v></v>", b"", b"<f>SUM(A1:B2)</f>", b"<f>A1</f><v>2</v>",
    b'<is><t>a "quoted" text &lt; &gt; &amp; x=1 > y</t></is>', b'<is><t xml:space="preserve"> </t></is>',
    b"<f/>", b'<f t="shared" si="0"/>', b"<v>r=2</v>",
])
NOISE = st.sampled_from([
    b"<!-- <c r=\"A9\"><v>1</v></c> -->", b"<![CDATA[<c r=\"A9\">]]>", b"<!DOCTYPE x>", b"<?pi x?>",
    b'<x a"<c r="B9">"><v>1</v></x>', b'</x <c r="B9"><v>1</v>', b'<x <c r="B9"><v>1</v>',
    b'<x a="<c r=&quot;B9&quot;>"/>', b'<x a="1>2"/>', b"<x a='<c r=\"B9\">'/>", b'<x a="1" b"/>',
    b"<x:c r=\"A9\"><v>1</v></x:c>", b"<_a.b-:c r=\"A9\"/>", b"<col min=\"1\" max=\"3\"/>",
    b'<mergeCell ref="A1:B2"/>', b"text > text", b'"', b">", b"<", b'<y r="A9"/>',
    b'<c:x r="A9"/>', b"<cc r=\"A9\"/>",
])


@st.composite
def cell(draw) -> bytes:
    """A cell tag in any form the tokenizer reads."""
    prefix = draw(st.sampled_from([b"", b"", b"", b"", b"x:", b"_p.q-:"]))
    space = draw(st.sampled_from([b" ", b" ", b" ", b"  ", b"\t", b"\n"]))
    quote = draw(st.sampled_from([b'"', b'"', b'"', b"'"]))
    eq = draw(st.sampled_from([b"=", b"=", b"=", b" = ", b"= ", b" ="]))
    key = draw(st.sampled_from([b"r", b"r", b"r", b"r", b"R", b"x:r"]))
    r_attr = space + key + eq + quote + draw(LETTERS).encode() + draw(DIGITS).encode() + quote
    attrs = [r_attr] if draw(st.integers(0, 9)) else []  # now and then no r
    for extra in draw(st.lists(st.sampled_from([
            b' s="1"', b' t="n"', b' t="inlineStr"', b' t="str"', b' r="B2"', b" r='C3'", b'r="A1"',
            b' x="r="', b' t="s" ', b' cm="1"', b' t="e"', b" r = \"D4\"", b' s="a>b"', b' s="a/"']),
            max_size=3)):
        attrs.insert(draw(st.integers(0, len(attrs))), extra)
    return _closed(draw, b"<" + prefix + b"c" + b"".join(attrs), prefix)


@st.composite
def usual_cell(draw) -> bytes:
    """A cell tag as spreadsheet programs write it: r="B12" first (or beyond
    the sheet's last row or column, now and then)."""
    attrs = draw(st.lists(st.sampled_from([b' s="1"', b' t="n"', b' t="inlineStr"', b' t="s"', b' cm="1"']),
                          max_size=2, unique=True))
    ref = (draw(USUAL_LETTERS) + draw(USUAL_DIGITS)).encode()
    return _closed(draw, b'<c r="' + ref + b'"' + b"".join(attrs), b"")


def _closed(draw, start: bytes, prefix: bytes) -> bytes:
    if draw(st.booleans()):
        return start + draw(st.sampled_from([b"/>", b" />", b"/ >"]))
    return start + b">" + draw(VALUE) + b"</" + prefix + b"c>"


@st.composite
def row(draw) -> bytes:
    cells = b"".join(draw(st.lists(usual_cell(), max_size=6)))
    r = draw(st.sampled_from([b"", b' r="1"', b' r="2"', b' r="7"', b' r="1048577"', b" r='3'"]))
    if not cells and draw(st.booleans()):
        return b"<row" + r + b"/>"
    return b"<row" + r + b">" + cells + b"</row>"


@st.composite
def sheet_part(draw) -> bytes:
    """Rows of usual cells, and now and then an odd cell, tag or text."""
    pieces = draw(st.lists(row(), max_size=8))
    for odd in draw(st.lists(st.one_of(cell(), NOISE), max_size=2)):
        pieces.insert(draw(st.integers(0, len(pieces))), odd)
    declaration = draw(st.sampled_from([
        b"", b"", b"", b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n',
        b"\xef\xbb\xbf<?xml version=\"1.0\"?>", b'<?xml version="1.0" > <c r="B9"><v>1</v> ?>',
        b"<?xml?><?x?>", b"   <?xml?>", b"<??>", b"<?>"]))
    return declaration + HEAD + b"".join(pieces) + TAIL


@st.composite
def plain_part(draw) -> bytes:
    """A part like the ones Excel and openpyxl write: cells r="B12" first,
    in or out of order, twice at one position now and then."""
    refs = draw(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D", "AB", "XFD", "XFE"]),
                                   st.sampled_from([1, 2, 3, 10, 1048576, 1048577])), max_size=12))
    cells = []
    for letters, number in refs:
        tail = draw(st.sampled_from([b' s="1"/>', b"/>", b' t="n"><v>1</v></c>', b"><v>2</v></c>",
                                     b' t="inlineStr"><is><t>x</t></is></c>', b' s="2"></c>',
                                     b' s="1"/>', b"/>", b' t="n"><v>1</v></c>', b"><v>2</v></c>",
                                     b' r="XFD2"><v>3</v></c>', b' t="n"r="B1"/>']))
        cells.append(b'<c r="' + f"{letters}{number}".encode() + b'"' + tail)
    return HEAD + b'<row r="1">' + b"".join(cells) + b"</row>" + TAIL


@SETTINGS
@given(sheet_part())
def test_the_quick_count_answers_as_the_tokenizer_for_any_part(part):
    _same_both_ways(part)


@SETTINGS
@given(plain_part())
def test_the_quick_count_answers_as_the_tokenizer_for_a_plain_part(part):
    _same_both_ways(part)


# ------------------------------------------------------------------ cases written out

def _sheet(*cells: bytes, declaration: bytes = b"") -> bytes:
    return declaration + HEAD + b'<row r="1">' + b"".join(cells) + b"</row>" + TAIL


ODD_PARTS = [
    # A cell the tokenizer reads inside another tag, or another tag's quotes.
    _sheet(b'<x a"<c r="B1">"><v>1</v></x>'),
    _sheet(b'</x <c r="B1"><v>1</v>'),
    _sheet(b'<x <c r="B1"><v>1</v>'),
    _sheet(declaration=b'<?xml version="1.0" > <c r="B1"><v>1</v> ?>'),
    # A cell's tag ended by a '>' inside quotes: a value, not `<c .../>`.
    _sheet(b'<c r="XFD1048576" x"/>"><v>1</v></c>'),
    _sheet(b'<c r="A1" x="a>b"><v>1</v></c>'),
    _sheet(b'<c r="A1" x="a/>"><v>1</v></c>'),
    # A second r, in any spacing.
    _sheet(b'<c r="A1" r="XFD1"><v>1</v></c>'),
    _sheet(b'<c r="A1" t="n"r="B1"><v>1</v></c>'),
    _sheet(b'<c r="A1" r ="B1"><v>1</v></c>'),
    # A cell without r (kept unless `<c .../>`: `<c/ >` is kept).
    _sheet(b'<c r="A1"><v>1</v></c>', b"<c/ >"),
    _sheet(b"<c><v>1</v></c>"),
    _sheet(b"<c/>", b'<c r="B1"><v>1</v></c>', b"<c\t/>"),
    # Two cells at one position, kept or empty; out of order; beyond the sheet.
    _sheet(b'<c r="A1"><v>1</v></c>', b'<c r="A1"><v>2</v></c>'),
    _sheet(b'<c r="A1"/>', b'<c r="A1"><v>2</v></c>'),
    _sheet(b'<c r="B1"><v>1</v></c>', b'<c r="A1"><v>2</v></c>'),
    _sheet(b'<c r="XFE1"><v>1</v></c>'),
    _sheet(b'<c r="A1048577"><v>1</v></c>'),
    _sheet(b'<c r="A1048577"/>', b'<c r="XFE1" s="1"/>'),
]


@pytest.mark.parametrize("part", ODD_PARTS)
def test_a_part_that_hides_or_alters_a_cell_is_measured_as_the_tokenizer_measures_it(part):
    _same_both_ways(part)


def test_the_quick_count_answers_for_ordinary_parts():
    """(Else the tests above would pass with a quick count that never answers.)"""
    parts = [
        _sheet(b'<c r="A1" t="n"><v>1</v></c>', b'<c r="C1" s="2"/>', b'<c r="B1"><v>2</v></c>'),
        _sheet(b'<c r="AB7" t="inlineStr"><is><t>a "b" &lt;</t></is></c>', b'<c r="Z9"/>',
               declaration=b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'),
        _sheet(b'<c r="A1"><f>IF(B1="x",1,2)</f><v>1</v></c>'),
        _sheet(),
    ]
    for part in parts:
        assert all(_same_both_ways(part))


# ------------------------------------------------------------------ workbooks

@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> bytes:
    return write_xlsx(return_grid(consistent_values(10)), tmp_path_factory.mktemp("w") / "w.xlsx").read_bytes()


def _sheets(raw: bytes) -> list[bytes]:
    z = zipfile.ZipFile(io.BytesIO(raw))
    return [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]


def _with_sheet(raw: bytes, part: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, part if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    return out.getvalue()


def _verdicts(raw: bytes, monkeypatch) -> list:
    limits = [Limits(), Limits(max_cells=40), Limits(max_cells=2)]
    quick = [archive_problem(raw, lim, every_part=every) for lim in limits for every in (False, True)]
    with monkeypatch.context() as m:
        m.setattr(guards._SheetScan, "_plain", lambda self, data: False)
        slow = [archive_problem(raw, lim, every_part=every) for lim in limits for every in (False, True)]
    return [quick, slow]


def test_the_sheets_of_a_written_workbook_are_counted_quickly_and_alike(workbook, monkeypatch):
    sheets = _sheets(workbook)
    assert sheets
    for part in sheets:
        assert all(_same_both_ways(part))
    quick, slow = _verdicts(workbook, monkeypatch)
    assert quick == slow and quick[0] is None


@pytest.mark.parametrize("part", ODD_PARTS)
def test_a_workbook_holding_an_odd_part_gets_the_verdict_it_gets_without_the_quick_count(
        workbook, monkeypatch, part):
    real = _sheets(workbook)[0]
    rows = real.find(b"</sheetData>")
    for sheet in (part, real[:rows] + part[len(HEAD):-len(TAIL)] + real[rows:]):
        quick, slow = _verdicts(_with_sheet(workbook, sheet), monkeypatch)
        assert quick == slow


def test_a_cell_beyond_the_sheet_behind_a_quoted_slash_is_refused(workbook):
    # calamine's tokenizer reads `x"/>"` as an attribute: the cell is kept, the
    # grid reaches XFD1048576.
    part = _sheet(b'<c r="XFD1048576" x"/>"><v>1</v></c>')
    assert archive_problem(_with_sheet(workbook, part))[0] == "too_many_cells"


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(part=st.one_of(sheet_part(), plain_part()), where=st.integers(0, 10**6))
def test_a_workbook_holding_any_part_gets_the_verdict_it_gets_without_the_quick_count(
        workbook, monkeypatch, part, where):
    # The drawn cells go into the workbook's own sheet part, or replace it.
    real = _sheets(workbook)[0]
    rows = real.find(b"</sheetData>")
    inner = part[len(HEAD):-len(TAIL)] if part.startswith(HEAD) else part
    sheet = real[:rows] + inner + real[rows:] if where % 2 else part
    quick, slow = _verdicts(_with_sheet(workbook, sheet), monkeypatch)
    assert quick == slow


def test_the_sheets_a_workbook_names_are_the_same_remembered_or_not(workbook, monkeypatch):
    z = zipfile.ZipFile(io.BytesIO(workbook))
    members = {guards._norm(i.filename): i for i in z.infolist()}
    remembered = [guards._sheet_parts(z, members) for _ in range(2)]
    monkeypatch.setattr(guards, "_MEMO_TAGS", -1)  # worked out afresh
    assert remembered[0] == remembered[1] == guards._sheet_parts(z, members)
    named, parts = remembered[0]
    assert named and all(part in parts and part in members for _, part in named)
