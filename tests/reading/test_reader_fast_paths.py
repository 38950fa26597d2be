"""The reader's quick paths give what the slow ones give.

A sheet part counted "plain" (guards._SheetScan._plain) is measured as the
tokenizer measures it; the tags and attribute values the guard remembers
from one return to the next are those it would read again; the remembered
tests of a text (legacy encodings), of a unit of measure and of a header
cell are the tests themselves."""

from __future__ import annotations

import pytest

from dvk_cli.core.text import fold_label, fold_label_str
from dvk_cli.reading import guards
from dvk_cli.reading.dispatch import _legacy_memo, _legacy_test
from dvk_cli.reading.measures import UnknownMeasure, conversion
from dvk_cli.reading.returns import find_header_row, folded_cells

HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


def _sheet(*cells: bytes, declaration: bytes = b"") -> bytes:
    return declaration + HEAD + b'<row r="1">' + b"".join(cells) + b"</row>" + TAIL


def _measured(part: bytes, *, plain: bool, every_cell: bool = False) -> tuple[int, int, int]:
    scan = guards._SheetScan(every_cell=every_cell)
    if plain:
        assert scan._plain(part)
    else:
        assert not scan._plain(part)
        scan = guards._SheetScan(every_cell=every_cell, exact=scan.seen is not None)
        scan._tokenize(part)
    return scan.cells, scan.max_row, scan.max_col


def _tokenized(part: bytes, every_cell: bool = False) -> tuple[int, int, int]:
    """As the guard measures a part it tokenizes (cells out of order: again, exactly)."""
    scan = guards._SheetScan(every_cell=every_cell)
    try:
        scan._tokenize(part)
    except guards._Unordered:
        scan = guards._SheetScan(every_cell=every_cell, exact=True)
        scan._tokenize(part)
    return scan.cells, scan.max_row, scan.max_col


PLAIN = [
    _sheet(b'<c r="A1" t="n"><v>1</v></c>', b'<c r="C1" s="2"/>', b'<c r="B1"><v>2</v></c>'),
    _sheet(b'<c r="A1"><v>1</v></c>', b'<c r="D1" s="1"/>', declaration=b'<?xml version="1.0"?>'),
    _sheet(b'<c r="AB7" t="s"><v>0</v></c>', b'<c r="Z9"/>'),
    _sheet(),
]


@pytest.mark.parametrize("part", PLAIN)
@pytest.mark.parametrize("every_cell", [False, True])
def test_a_plain_part_is_measured_as_the_tokenizer_measures_it(part, every_cell):
    assert _measured(part, plain=True, every_cell=every_cell) == _tokenized(part, every_cell)


@pytest.mark.parametrize("part", [
    _sheet(b'<c r="A1"><v>1</v></c>', declaration=b'<?xml version="1.0"?><?pi x?>'),  # a second "<?"
    b" " * 8 + _sheet(declaration=b'<?xml version="1.0"?>'),  # a declaration not at the start
    _sheet(b"<!-- a comment --><c r=\"A1\"><v>1</v></c>"),
    _sheet(b"<c r='A1'><v>1</v></c>"),  # a single quote
    _sheet(b'<c r="A1" t="n"><v>1</v></c>', b"<c><v>2</v></c>"),  # a cell without r
    _sheet(b'<c r="A1" x="1" <c t="n"><v>1</v></c>'),  # a '<' inside a tag
    _sheet(b'<c r="A1" x="a>b"><v>1</v></c>'),  # a '>' inside a value
    _sheet(b'<c r= "A1"><v>1</v></c>'),  # "=" then a space
    _sheet(b'<c r="A1" r="B1"><v>1</v></c>'),  # a second r
    _sheet(b'<x:c r="A1"><v>1</v></x:c>'),  # a prefixed cell
])
def test_a_part_that_is_not_plain_goes_to_the_tokenizer(part):
    assert _measured(part, plain=False) == _tokenized(part)


def test_a_closing_slash_in_a_rest_only_drops_the_empty_cell():
    part = _sheet(b'<c r="A1" s="1"/>', b'<c r="B1" t="n"><v>1</v></c>', b'<c r="C1" s="2" />')
    assert _measured(part, plain=True) == _tokenized(part) == (1, 0, 1)
    assert _measured(part, plain=True, every_cell=True) == _tokenized(part, True) == (3, 0, 2)


def test_two_cells_at_one_position_are_left_to_the_exact_scan():
    part = _sheet(b'<c r="A1"><v>1</v></c>', b'<c r="A1"><v>2</v></c>')
    scan = guards._SheetScan()
    assert not scan._plain(part) and scan.seen is not None
    with pytest.raises(guards._BadCell):
        scan._tokenize(part)


@pytest.mark.parametrize("text,expected", [
    (b"", True), (b"<a/>", True), (b'<?xml version="1.0"?><a/>', True), (b"   <?xml?><a>?</a>", True),
    (b'<?xml version="1.0"?><a><?pi?></a>', False), (b"<?a?><?b?>", False), (b"<?x<?", False),
    (b"<a/><?pi?>", False), (b"<a>why?</a><?pi?>", False), (b'<?xml?><a b="?"/>?<?x?>', False),
])
def test_only_an_xml_declaration_at_the_start_is_allowed(text, expected):
    assert guards._declaration_only(text) is expected
    pi = text.find(b"<?")
    assert expected is (pi == -1 or (pi <= 3 and text.find(b"<?", pi + 1) == -1))


RELS = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://x/worksheet" Target="worksheets/sheet1.xml"/>'
        b"<!-- <Relationship Id=\"rId9\" Target=\"x.xml\"/> --></Relationships>")


def test_the_tags_of_a_part_are_the_same_remembered_or_not():
    fresh = guards._TagCollector()
    fresh.consume(RELS)  # tokenized, never remembered
    for _ in range(2):
        scan = guards._TagCollector()
        scan.feed(RELS)
        scan.finish()
        assert scan.tags == fresh.tags and len(scan.tags) == 1  # (the one in the comment is none)
    scan.tags.append((b"x", b""))  # a caller's list is its own
    assert len(guards._part_tags(RELS)) == 1


def test_a_malformed_part_raises_every_time():
    part = b"<Relationships><Relationship " + b"x" * (guards._MAX_TAG + 10)
    for _ in range(2):
        scan = guards._TagCollector()
        scan.feed(part[:guards._CHUNK])
        with pytest.raises(guards._Malformed):
            scan.feed(part[guards._CHUNK:])


@pytest.mark.parametrize("attrs", [b' Id="rId1" Target="a.xml"', b" Id='rId2'  Target = 'b.xml' x:Id=\"c\"", b""])
def test_remembered_attribute_values_are_the_values(attrs):
    for pattern in (guards._ID, guards._TARGET, guards._TYPE, guards._NAME):
        assert list(guards._meta_values(pattern, attrs)) == guards._values(pattern, attrs)
        assert list(guards._meta_values(pattern, attrs)) == guards._values(pattern, attrs)


@pytest.mark.parametrize("text", ["Huyeän Buø Ñaêng", "HuyÖn Bï §¨ng", "Huyện Bù Đăng", "mô hình", "Café",
                                  "Tổng – cộng", "x" * 300 + "é"])
def test_the_remembered_legacy_test_is_the_test(text):
    assert _legacy_memo(text) == _legacy_test(text)
    assert _legacy_memo(text) == _legacy_test(text)


def test_a_remembered_unit_of_measure_converts_as_before_and_an_unknown_one_still_raises():
    first = conversion("money", "nghìn đồng")
    assert first is not None and first.factor == 10**-3 and first.written == "nghìn đồng"
    assert conversion("money", " nghìn đồng ") == first
    assert conversion("count", "nghìn đồng") is None and conversion("money", "  ") is None
    for _ in range(2):
        with pytest.raises(UnknownMeasure):
            conversion("money", "đô la")
    long_text = "(triệu đồng)" + " " * 80 + "/tr.đ"
    assert conversion("money", long_text).factor == 1


def test_folded_cells_fold_as_fold_label():
    row = [1.0, "  Số liệu: ", None, "\u00a0", "MÃ", "Ten\u0301 mô hình", ""]
    assert folded_cells(row) == {c: fold_label(v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()}
    assert all(fold_label_str(v) == fold_label(v) for v in row if isinstance(v, str))
    assert find_header_row([[""], row], [{"số liệu"}, {"mã"}]) == (1, folded_cells(row))
    assert find_header_row([row], [{"tên mô hình"}, {"không có"}]) is None
    assert find_header_row([[], row], []) == (0, {})
