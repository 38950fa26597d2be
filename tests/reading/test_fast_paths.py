"""Each quick path of the reader gives exactly what its general path gives.

For every quick path (a check that decides without the full scan, a
remembered answer, a number read without parse_number), the result is
compared with the one computed with the quick path turned off, on tricky
inputs and on real workbooks whose reading depends on them."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from helpers import find_row, formulas_without_value, return_grid, write_xlsx

from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading import long
from dvk_cli.reading.dispatch import read_return

CAT = default_catalog()


# ------------------------------------------------------------------ formulas without a value

def _needles(refs: set[str]) -> list[bytes]:
    return [f'r="{ref}"'.encode() for ref in refs]


BORDERS = [
    '<c r="E1"></c><c r="E2"><f>1</f></c>',  # the formula is the next cell's
    '<c r="E1"/><c r="E2"><f>1</f><v></v></c>',
    '<c r="E1" </c><f>1</f></c>',  # the start tag runs into "</c>": the content goes on after it
    '<c r="E1"><v>1</v></c><f>1</f>',  # a "<f" after the cell's end
    '<c r="E1"><f>1</f></c>',  # the formula right inside
    '<c r="E1"><is><t>&lt;f</t></is></c>',  # an escaped "<f" is no formula
    '<c r="E1"><is><t>r="E1"</t></is></c><c r="E2"><f>1</f></c>',  # the reference inside a text
    '<c r="E1">' + "<v>1</v>" * 50 + "</c>" + '<c r="E1"></c>' * 20,  # more places than it looks at
    '<c r="E1"><f',  # no end
    '<c r="E1"',  # no end of the start tag
    '<c r="E1\u0111"><f>1</f></c><c r="E1"></c>',
]


@pytest.mark.parametrize("cells", BORDERS)
@pytest.mark.parametrize("refs", [{"E1"}, {"E1", "E2"}, {"E2"}])
def test_no_formula_at_says_none_only_when_the_scan_finds_none(cells, refs):
    xml = f"<worksheet><sheetData><row>{cells}</row></sheetData></worksheet>"
    if long._no_formula_at(xml.encode(), _needles(refs)):
        assert formulas_without_value(xml, refs) == []


def test_no_formula_at_says_none_only_when_the_scan_finds_none_whatever_the_markup():
    rng = random.Random(2024)
    pieces = ['<c', ' r="E1"', ' r="E2"', '>', '/>', '</c>', '<f>', '</f>', '<f/>', '<v>', '</v>',
              '1', ' ', '\u0111', '"', '<c r="E1">', '<c r="E2"><f>1</f></c>', '</c', '<c r="E1" ',
              '<is><t>', '</t></is>', 'r="E1"', '<c r="E3"><f>x</f><v></v></c>']
    said_none = 0
    for _ in range(5000):
        xml = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        refs = rng.choice([{"E1"}, {"E1", "E2"}, {"E2", "E3"}])
        if long._no_formula_at(xml.encode(), _needles(refs)):
            said_none += 1
            assert formulas_without_value(xml, refs) == [], xml
    assert said_none > 500  # the quick answer is given often enough to be tested


def _without_quick_check(monkeypatch) -> None:
    monkeypatch.setattr(long, "_no_formula_at", lambda xml, needles: False)


def _formula_return(tmp_path: Path, formulas: dict[str, str]) -> Path:
    """A return whose value cells `formulas` holds are formulas openpyxl
    saves without a value; the others are numbers or empty."""
    values = {code: i for i, code in enumerate(CAT.input_codes[:6])}
    grid = return_grid(values)
    rows = grid["Biểu số liệu"]
    for code, formula in formulas.items():
        rows[find_row(rows, code)][4] = formula
    return write_xlsx(grid, tmp_path / "f.xlsx")


@pytest.mark.parametrize("formulas", [
    {},
    {CAT.input_codes[7]: "=1+1"},  # an empty input row holding a formula
    {CAT.input_codes[0]: "=E1"},  # a formula on a row with a figure next to empty ones
    {CAT.input_codes[6]: "=2", CAT.input_codes[8]: "=3"},  # around an empty cell
])
def test_a_return_reads_the_same_without_the_quick_formula_check(tmp_path, monkeypatch, formulas):
    path = _formula_return(tmp_path, formulas)
    quick = read_return(path, CAT)
    _without_quick_check(monkeypatch)
    assert read_return(path, CAT) == quick
    unsaved = [f for f in quick.findings if f.rule == "formula_no_value"]
    assert len(unsaved) == len(formulas)  # (openpyxl saves a formula without its value)


def _workbook_parts(sheets: list[tuple[str, str]]) -> tuple[bytes, bytes]:
    wb = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                 for i, (name, _) in enumerate(sheets, start=1))
    rels = "".join(f'<Relationship Id="rId{i}" Target="{target}"/>'
                   for i, (_, target) in enumerate(sheets, start=1))
    return (f"<workbook><sheets>{wb}</sheets></workbook>".encode(),
            f"<Relationships>{rels}</Relationships>".encode())


def test_the_remembered_sheet_part_is_the_one_found_again():
    forms = [[("Biểu", "worksheets/sheet1.xml"), ("Mô hình", "/xl/worksheets/sheet2.xml")],
             [("Biểu", "worksheets/sheet2.xml"), ("Mô hình", "worksheets/sheet1.xml")],
             [("A &amp; B", "worksheets/a.xml"), ("Biểu", "worksheets/b.xml")]]
    # more workbooks than are remembered: the first ones are found again
    forms += [[(f"S{i}", f"worksheets/s{i}.xml")] for i in range(200)]
    for _ in range(2):
        for sheets in forms:
            wb, rels = _workbook_parts(sheets)
            for name in ("Biểu", "Mô hình", "A & B", "S7", "missing"):
                assert long._sheet_part(wb, rels, name) == long._find_sheet_part(wb, rels, name)
    # the same workbook.xml with other relationships names another part
    wb, rels = _workbook_parts(forms[0])
    _, other = _workbook_parts(forms[1])
    assert long._sheet_part(wb, rels, "Biểu") == "xl/worksheets/sheet1.xml"
    assert long._sheet_part(wb, other, "Biểu") == "xl/worksheets/sheet2.xml"


def test_a_long_workbook_part_is_not_remembered():
    wb, rels = _workbook_parts([("Biểu", "worksheets/sheet1.xml")])
    wb = wb.replace(b"<sheets>", b"<sheets>" + b" " * long._MEMO_META)
    long._remembered_part.cache_clear()
    assert long._sheet_part(wb, rels, "Biểu") == "xl/worksheets/sheet1.xml"
    assert long._remembered_part.cache_info().currsize == 0


def test_a_return_is_read_the_same_with_its_sheet_part_remembered(tmp_path):
    path = _formula_return(tmp_path, {CAT.input_codes[7]: "=1+1"})
    long._remembered_part.cache_clear()
    first = read_return(path, CAT)
    assert long._remembered_part.cache_info().currsize == 1
    assert read_return(path, CAT) == first
    with zipfile.ZipFile(path) as z:
        assert "xl/worksheets/sheet1.xml" in z.namelist()


# ------------------------------------------------------------------ numbers Excel stored

class _Float(float):
    """A float take_value cannot tell is a plain float: read the general way."""


class _Int(int):
    """An int take_value cannot tell is a plain int: read the general way."""


def _general(value: object) -> object:
    if type(value) is float:
        return _Float(value)
    if type(value) is int:
        return _Int(value)
    return value


TRICKY_NUMBERS = [
    0.0, -0.0, 1.0, 1.5, 0.1 + 0.2, 5e-324, 12.0, 1e14 + 0.5, 999_999_999_999_999.9,
    1e15, float.fromhex("0x1.c6bf52633ffffp+49"), 1e300, -1.0, -0.5, -1e15,
    float("nan"), float("inf"), float("-inf"),
    0, 7, 10**15 - 1, 10**15, 10**15 + 1, -1, 2**53 + 1, 10**30, -(10**30), 10**5000,
    True, False, "12", " 1.215 ", "１２", "-3", "", "-", "1e3", "nan", None,
]
TYPED_CODES = {  # an indicator of each type, and units of measure its row may give
    "count": (next(c for c, i in CAT.indicators.items() if i.type == "count" and not i.computed),
              ["", "mô hình", "cái gì"]),
    "money": (next(c for c, i in CAT.indicators.items() if i.type == "money" and not i.computed),
              ["", "triệu đồng", "đồng", "tỷ đồng", "đô la"]),
    "computed": (next(c for c, i in CAT.indicators.items() if i.computed), [""]),
}


def _plain_type(value: object) -> type:
    """The type a number has, _Float and _Int taken for what they stand for."""
    return {_Float: float, _Int: int}.get(type(value), type(value))


def _shown(value: object) -> str:
    if isinstance(value, int) and abs(value) > 10**100:
        return f"int of {len(hex(value))} hex digits"
    return repr(value)


def _taken(value: object, code: str, unit_text: str) -> tuple:
    from dvk_cli.reading.returns import ReturnData, take_value

    data = ReturnData(path="r.xlsx")
    empty: dict[str, str] = {}
    try:
        take_value(data, CAT, code, value, "S", "E9", how="mã", label="L", unit_text=unit_text,
                   empty_cells=empty)
    except ValueError as exc:  # (an int of more than 4,300 digits cannot be shown: both raise)
        return type(exc), str(exc)
    values = [(v.code, v.value, _plain_type(v.value), v.note, repr(v.raw)) for v in data.values]
    computed = [(v.code, v.value, _plain_type(v.value), v.note, repr(v.raw)) for v in data.computed]
    return values, computed, data.findings, empty


@pytest.mark.parametrize("value", TRICKY_NUMBERS, ids=_shown)
@pytest.mark.parametrize("kind", sorted(TYPED_CODES))
def test_a_plain_number_is_taken_as_the_general_reading_takes_it(value, kind):
    code, units = TYPED_CODES[kind]
    for unit_text in units:
        assert _taken(value, code, unit_text) == _taken(_general(value), code, unit_text)


def test_a_number_over_the_indicators_bound_is_refused_as_before():
    code = next(c for c, i in CAT.indicators.items() if i.max is not None and not i.computed)
    bound = CAT[code].max
    for value in (bound, bound + 1, float(bound), bound + 0.5, bound - 0.5):
        quick = _taken(value, code, "")
        assert quick == _taken(_general(value), code, "")
        assert any(f.rule == "implausible" for f in quick[2]) == (value > bound)


def test_a_return_of_tricky_cells_reads_the_same_the_general_way(tmp_path, monkeypatch):
    from dvk_cli.reading import returns

    cells = [0, 1.5, -2, 10**15, 999_999_999_999_999, 1e15 - 1, 2**53 + 1, True, "12", "１２",
             "1.215", 12.25, 3, 0.1 + 0.2, None, "-", 7]
    codes = CAT.input_codes
    grid = return_grid(dict(zip(codes, cells, strict=False)))
    rows = grid["Biểu số liệu"]
    rows[find_row(rows, codes[3])][3] = "đồng"  # a unit of measure to convert from
    path = write_xlsx(grid, tmp_path / "n.xlsx")
    quick = read_return(path, CAT)
    real = returns.take_value

    def general(data, catalog, code, value, *args, **kwargs):
        return real(data, catalog, code, _general(value), *args, **kwargs)

    for module in ("long", "wide", "mapping"):
        monkeypatch.setattr(f"dvk_cli.reading.{module}.take_value", general, raising=False)
    slow = read_return(path, CAT)
    assert slow == quick
    assert [_plain_type(v.value) for v in slow.values] == [type(v.value) for v in quick.values]
    assert len(quick.values) >= 5 and len(quick.findings) >= 5


# ------------------------------------------------------------------ header rows

BLANKS = ["", " ", "\u00a0", "\u2000", "\u3000", "\x1c", "\t\n", "\u2028", " \u00a0 "]
HEADER_TEXTS = ["Số liệu", "SỐ LIỆU", "so lieu", "Số  liệu :", "Số liệu：", "So\u0302\u0301 lie\u0323\u0302u",
                "Mã", "Chỉ tiêu", "Tên mô hình", "Tên mô hình, điển hình", "\u00a0Số\u00a0liệu\u00a0",
                "Số liệu (triệu đồng)", "Kết quả", "x", "Số\tliệu", "số liệu\n"]


def _folded_test(row: list, names) -> bool:
    from dvk_cli.reading.returns import folded_cells

    return not names.isdisjoint(folded_cells(row).values())


def _rows(rng: random.Random, n: int) -> list[list]:
    from dvk_cli.core.cells import CellError

    cells = [*BLANKS, *HEADER_TEXTS, None, 0.0, 1, True, CellError("#N/A"), CellError(" Số liệu")]
    return [[rng.choice(cells) for _ in range(rng.randint(0, 6))] for _ in range(n)]


def test_holds_any_is_the_folded_cells_test():
    from dvk_cli.reading.returns import (
        CODE_HEADERS,
        LABEL_HEADERS,
        VALUE_HEADERS,
        holds_any,
    )

    rng = random.Random(7)
    name_sets = [VALUE_HEADERS, CODE_HEADERS | LABEL_HEADERS, {"số liệu", ""}, {""}, set(),
                 frozenset({"x", "mã"})]
    for row in _rows(rng, 3000):
        for names in name_sets:
            assert holds_any(row, names) == _folded_test(row, names), (row, names)


def _find_header_row_as_before(rows, required):
    from dvk_cli.reading.returns import folded_cells

    for r, row in enumerate(rows):
        folded = folded_cells(row)
        if all(not names.isdisjoint(folded.values()) for names in required):
            return r, folded
    return None


def test_find_header_row_finds_the_row_it_found_before():
    from dvk_cli.reading.models import MODEL_NAME_HEADERS
    from dvk_cli.reading.returns import CODE_HEADERS, VALUE_HEADERS, find_header_row

    rng = random.Random(11)
    requireds = [[MODEL_NAME_HEADERS], [VALUE_HEADERS, CODE_HEADERS], [], [{""}], [{"", "mã"}],
                 [VALUE_HEADERS, set()]]
    for _ in range(400):
        rows = _rows(rng, rng.randint(0, 12))
        for required in requireds:
            assert find_header_row(rows, required) == _find_header_row_as_before(rows, required)


def test_a_header_with_blank_and_odd_cells_is_found_in_a_real_workbook(tmp_path, monkeypatch):
    from dvk_cli.reading import long as long_module
    from dvk_cli.reading import models, returns

    grid = return_grid({code: i + 1 for i, code in enumerate(CAT.input_codes[:5])},
                       models=[{"name": "Mô hình A"}, {"name": "Mô hình B", "exemplary": True}])
    rows = grid["Biểu số liệu"]
    header = next(i for i, row in enumerate(rows) if "Số liệu" in row)
    rows[header] = ["\u00a0STT", "CHỈ  TIÊU", "Mã :", "\u3000", "So\u0302\u0301 lie\u0323\u0302u", " "]
    rows.insert(header, ["\u2000", "Kết quả: tốt", None, "số liệu x", None, None])
    grid["Danh sách mô hình"][0][1] = " TÊN MÔ HÌNH："
    path = write_xlsx(grid, tmp_path / "h.xlsx")
    quick = read_return(path, CAT)
    assert len(quick.values) == 5 and len(quick.models) == 2

    def as_before(row, names):
        return _folded_test(row, names)

    monkeypatch.setattr(returns, "holds_any", as_before)
    monkeypatch.setattr(long_module, "holds_any", as_before)
    monkeypatch.setattr(models, "find_header_row", _find_header_row_as_before)
    assert read_return(path, CAT) == quick


# ------------------------------------------------------------------ labels

LABELS = [
    "Văn bản lãnh đạo, chỉ đạo về công tác dân vận ban hành",
    "1. Văn bản lãnh đạo, chỉ đạo về công tác dân vận ban hành",
    "VĂN BẢN LÃNH ĐẠO,  CHỈ ĐẠO VỀ CÔNG TÁC DÂN VẬN BAN HÀNH",
    "Va\u0306n ba\u0309n lãnh đạo, chỉ đạo về công tác dân vận ban hành",  # decomposed
    "Nhà tình nghĩa – trị giá (nghìn đồng)",
    "- Nhà tình nghĩa – trị giá (triệu đồng):",
    "Lĩnh vực văn hoá – xã hội",  # the tone mark placed the old way
    "Lĩnh vực văn hóa – xã hội",
    "Tổng số mô hình “Dân vận khéo” xây dựng mới trong kỳ",
    "Tổng số mô hình \"Dân vận khéo\" xây dựng mới trong kỳ",
    "Mô hình", "Số lượng", "", "   ", "-", "1.", "a)", "x" * 250, "Không có chỉ tiêu này",
]


def _fresh(catalog, text):
    from dvk_cli.reading.labels import LabelIndex

    return LabelIndex(catalog)._match(text)


def test_a_remembered_label_match_is_the_match_itself():
    from dvk_cli.reading.labels import LabelIndex

    index = LabelIndex(CAT)
    for _ in range(3):
        for text in LABELS:
            assert index.match(text) == _fresh(CAT, text), text
    assert any(index.match(text).code for text in LABELS)
    assert any(index.match(text).unit_text for text in LABELS)


def test_a_match_changed_by_its_caller_does_not_change_the_next_one():
    from dvk_cli.reading.labels import LabelIndex

    index = LabelIndex(CAT)
    text = LABELS[0]
    first = index.match(text)
    first.candidates.append("X")
    first.code = None
    assert index.match(text) == _fresh(CAT, text)


def test_the_label_memo_is_bounded_and_still_right_past_its_bound():
    from dvk_cli.reading import labels
    from dvk_cli.reading.labels import LabelIndex

    index = LabelIndex(CAT)
    many = [f"{LABELS[i % 10]} {i}" for i in range(labels._MEMO_SIZE * 2 + 17)]
    for text in many + LABELS + many[:50]:
        assert index.match(text) == _fresh(CAT, text)
        assert len(index._memo) <= labels._MEMO_SIZE


def test_a_label_is_matched_against_its_own_catalog():
    """The memo is the index's own: another catalog (another synonym) gets its own answer."""
    import dataclasses

    from dvk_cli.reading.returns import label_index

    code = CAT.input_codes[0]
    ind = CAT.indicators[code]
    other = dataclasses.replace(CAT, indicators={
        **CAT.indicators, code: dataclasses.replace(ind, synonyms=(*ind.synonyms, "Mô hình"))})
    texts = ["Mô hình", "1. Mô hình", "MÔ HÌNH (cái)"]
    before = [label_index(CAT).match(t) for t in texts]
    after = [label_index(other).match(t) for t in texts]
    assert [m.code for m in after] == [code, code, code]
    assert [m.code for m in before] == [None, None, None]
    assert [label_index(CAT).match(t) for t in texts] == before
    assert after == [_fresh(other, t) for t in texts]


# ------------------------------------------------------------------ what a sheet's texts say

def _tcvn3(text: str) -> str:
    from dvk_cli.reading.legacy import encode_tcvn3

    return encode_tcvn3(text)


def _vni(text: str) -> str:
    from dvk_cli.reading.legacy import encode_vni

    return encode_vni(text)


def _texts_pool(legacy: bool = True) -> list:
    """Cells of every kind the reader meets: Unicode labels and header names
    written every which way, TCVN3 and VNI text (detected alone or only with
    a file's hint; without `legacy`, only the latter), codes, numbers as
    text, error values, blanks, numbers, dates, and texts longer than any
    memo keeps."""
    import datetime

    from dvk_cli.core.cells import CellError

    unicode_texts = ["Ghi chú", "Tên mô hình", "Số liệu", "SỐ LIỆU :", "So\u0302\u0301 lie\u0323\u0302u",
                     "\u00a0Số\u00a0liệu\u00a0", "Tên mô hình：", "TÊN MÔ HÌNH, ĐIỂN HÌNH", "Kết quả",
                     "Chỉ tiêu", "Mã", "Huyện Bù Đăng", "Café", "Bé", "Tổng – cộng", "Đơn vị tính"]
    detected = [f(t) for t in ("Chỉ tiêu", "Huyện Bù Đăng", "Số liệu", "Tên mô hình", "Mã", "Kết quả")
                for f in (_tcvn3, _vni)] if legacy else []
    return [*unicode_texts, *detected, "bæ sung", _vni("Mã"), "VB_SO", " vb_so ", "12", "１２",
            "1.215", "-", CellError("#N/A"), CellError("Số liệu"), "", " ", "\t\n", None, 0.0, 1.5, 12,
            True, False, datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4),
            datetime.time(1, 2), "x" * 300 + "é", "Số liệu " + " " * 250,
            *([_tcvn3("Huyện Bù Đăng " * 20)] if legacy else [])]


def _said_cell_by_cell(rows: list[list]):
    """What _sheet_texts says of `rows`, found from every cell with the tests
    themselves (without the memos _sheet_texts and _may_convert use)."""
    from dvk_cli.core.text import fold_label
    from dvk_cli.reading import dispatch
    from dvk_cli.reading.legacy import detect_legacy

    cells = [v for row in rows for v in row if isinstance(v, str)]
    legacy = any(not v.isascii() and dispatch._legacy_test(v) and detect_legacy(v) is not None
                 for v in cells)
    return dispatch._Texts(legacy, {fold_label(v) for v in cells} & dispatch._HEADS)


def _random_sheets(rng: random.Random, n: int, legacy: bool = True) -> list[list[list]]:
    pool = _texts_pool(legacy)
    return [[[rng.choice(pool) for _ in range(rng.randint(0, 7))] for _ in range(rng.randint(0, 9))]
            for _ in range(n)]


def test_what_a_sheets_texts_say_is_what_its_cells_say():
    from dvk_cli.reading import dispatch

    rng = random.Random(16)
    sheets = _random_sheets(rng, 1000) + _random_sheets(rng, 500, legacy=False)
    for rows in sheets + sheets[:300]:  # (the second time, many texts are known to say nothing)
        assert dispatch._sheet_texts(rows) == _said_cell_by_cell(rows), rows
    assert any(dispatch._sheet_texts(rows).legacy for rows in sheets)
    assert any(not dispatch._sheet_texts(rows).legacy and dispatch._sheet_texts(rows).heads
               for rows in sheets)


def test_the_texts_known_to_say_nothing_are_bounded_and_right_past_the_bound(monkeypatch):
    from dvk_cli.reading import dispatch

    monkeypatch.setattr(dispatch, "_PLAIN_TEXTS", set())
    monkeypatch.setattr(dispatch, "_PLAIN_MAX", 50)
    rng = random.Random(17)
    many = [f"Dòng {i} của biểu" for i in range(400)]
    pool = _texts_pool()
    for _ in range(300):
        rows = [[rng.choice(many), rng.choice(pool)] for _ in range(rng.randint(1, 6))]
        assert dispatch._sheet_texts(rows) == _said_cell_by_cell(rows)
        assert len(dispatch._PLAIN_TEXTS) <= 50
    # a text that says something (a header name, legacy text) or is long is never kept
    dispatch._PLAIN_TEXTS.clear()
    long_text = "Ghi chú " * 40
    assert dispatch._sheet_texts([["Ghi chú", long_text, "Số liệu", _tcvn3("Chỉ tiêu")]]) == \
        dispatch._Texts(True, {"số liệu"})
    assert dispatch._PLAIN_TEXTS == {"Ghi chú"}


def test_a_sheet_whose_cells_cannot_all_be_told_apart_is_gone_through_cell_by_cell(monkeypatch):
    from decimal import Decimal

    from dvk_cli.reading import dispatch

    class Text(str):
        pass

    class EqualsEverything:
        __hash__ = object.__hash__

        def __eq__(self, other):
            return True

    for odd in ([1, 2], Decimal(1), Text("Số liệu"), EqualsEverything(), b"x", 1j):
        assert dispatch._sheet_texts([["Số liệu", "x"], [odd, "Mã"]]) is None
    monkeypatch.setattr(dispatch, "_TEXTS_MAX_CELLS", 6)
    assert dispatch._sheet_texts([["Số liệu", "Mã", 1.0], ["a", "b", "c"]]) is not None
    assert dispatch._sheet_texts([["Số liệu", "Mã", 1.0], ["a", "b", "c", "d"]]) is None


def _converted(sheets: list[list[list]], with_texts: bool) -> tuple:
    import copy

    from dvk_cli.reading import dispatch
    from dvk_cli.reading.returns import ReturnData

    named = [(f"S{i}", copy.deepcopy(rows)) for i, rows in enumerate(sheets)]
    data = ReturnData(path="r.xlsx")
    texts = [dispatch._sheet_texts(rows) for _, rows in named] if with_texts else None
    dispatch._convert_legacy(data, named, texts)
    return named, data.legacy_cells, data.findings


def test_legacy_text_is_converted_as_the_cell_by_cell_way_converts_it():
    rng = random.Random(18)
    files = [_random_sheets(rng, rng.randint(1, 3), legacy=rng.random() < 0.5) for _ in range(600)]
    # ambiguous texts only ("bæ sung", VNI "Mã"): converted only with a file's hint
    files += [[[["bæ sung", _vni("Mã"), "Ghi chú"]]],
              [[["bæ sung", _vni("Mã")]], [[_vni("Huyện Bù Đăng")]]],
              [[["Ghi chú", "Tên mô hình", "Bé", "Café"]]]]
    converted = 0
    for sheets in files:
        quick = _converted(sheets, with_texts=True)
        assert quick == _converted(sheets, with_texts=False), sheets
        converted += bool(quick[1])
    assert 100 < converted < len(files) - 100  # both ways of ending are tested


def _general_texts(monkeypatch) -> None:
    """Every sheet gone through cell by cell (no text known to say nothing)."""
    from dvk_cli.reading import dispatch

    monkeypatch.setattr(dispatch, "_sheet_texts", lambda rows: None)


def _workbooks(tmp_path: Path) -> list[Path]:
    """Returns whose reading depends on what their texts say: a models list
    first, on the data sheet, or missing; header names written oddly or as
    an error value; legacy text (the headers themselves typed in TCVN3, found
    only once converted); codes without a header row; two tables."""
    values = {code: i + 1 for i, code in enumerate(CAT.input_codes)}
    models = [{"name": "Mô hình A"}, {"name": "Mô hình B", "exemplary": True}]
    out = []

    def add(name: str, grid: dict) -> None:
        out.append(write_xlsx(grid, tmp_path / name))

    add("plain.xlsx", return_grid(values, models=models))
    add("no-models.xlsx", return_grid(values))
    grid = return_grid(values, models=models)
    add("models-first.xlsx", {"Danh sách mô hình": grid["Danh sách mô hình"],
                              "Biểu số liệu": grid["Biểu số liệu"]})
    grid = return_grid(values, models=models)
    rows = grid["Biểu số liệu"]
    rows += [[None] * 6, ["STT", "Tên mô hình：", "Lĩnh vực"], [1, "Mô hình C", "Kinh tế"]]
    add("models-below-the-table.xlsx", {"Biểu số liệu": rows})
    grid = return_grid(values, models=models)
    rows = grid["Biểu số liệu"]
    header = next(i for i, row in enumerate(rows) if "Số liệu" in row)
    rows[header] = ["STT", "CHỈ  TIÊU", "Mã :", "ĐVT", "So\u0302\u0301 lie\u0323\u0302u", "#N/A"]
    grid["Danh sách mô hình"][0][1] = "\u00a0TÊN MÔ HÌNH, ĐIỂN HÌNH :"
    add("odd-headers.xlsx", grid)
    grid = return_grid(values, models=models)
    rows = grid["Biểu số liệu"]
    rows[header][4] = "#N/A"  # an error value where the header is: no table
    add("error-header.xlsx", grid)
    for encode in (_tcvn3, _vni):
        grid = return_grid(values, unit=encode("Huyện Bù Đăng"), models=models)
        for sheet in grid.values():
            for row in sheet:
                for c, v in enumerate(row):
                    if isinstance(v, str) and not v.isascii():
                        row[c] = encode(v)
        add(f"legacy-{encode.__name__}.xlsx", grid)
    grid = return_grid(values, models=models)
    grid["Biểu số liệu"] = [row for row in grid["Biểu số liệu"] if "Số liệu" not in row]
    add("codes-without-header.xlsx", grid)
    add("codes-on-the-second-sheet.xlsx", {"Hướng dẫn": [["Ghi chú", "Nhập số liệu vào cột E"]],
                                           "Biểu": grid["Biểu số liệu"]})
    grid = return_grid(values, models=models)
    grid["Cũ"] = return_grid({code: v + 1 for code, v in values.items()})["Biểu số liệu"]
    add("two-tables.xlsx", grid)
    add("instructions-only.xlsx", {"Hướng dẫn": [["Ghi chú", "Số liệu nhập ở cột E"], ["Mã", None]]})
    return out


def test_returns_read_the_same_when_every_cell_is_gone_through(tmp_path, monkeypatch):
    paths = _workbooks(tmp_path)
    quick = [read_return(path, CAT) for path in paths]
    _general_texts(monkeypatch)
    assert [read_return(path, CAT) for path in paths] == quick
    by_name = {path.name: data for path, data in zip(paths, quick, strict=True)}
    assert all(len(by_name[n].models) == 2 for n in ("plain.xlsx", "models-first.xlsx",
                                                      "odd-headers.xlsx", "legacy-_tcvn3.xlsx"))
    assert len(by_name["models-below-the-table.xlsx"].models) == 1
    assert by_name["legacy-_vni.xlsx"].legacy_cells and len(by_name["legacy-_vni.xlsx"].values) > 20
    assert len(by_name["odd-headers.xlsx"].values) > 20
    for name in ("codes-without-header.xlsx", "codes-on-the-second-sheet.xlsx"):
        assert [f.rule for f in by_name[name].findings] == ["no_value_column"]
    assert [f.rule for f in by_name["instructions-only.xlsx"].findings] == ["no_indicator_codes"]
    assert "two_data_tables" in [f.rule for f in by_name["two-tables.xlsx"].findings]


def test_returns_read_the_same_with_a_sheet_chosen_or_a_mapping(tmp_path, monkeypatch):
    from dvk_cli.reading.mapping import Mapping

    paths = _workbooks(tmp_path)
    mapping = Mapping(path="m.toml", unit_cell="B2",
                      cells={code: (f"E{8 + i}", "") for i, code in enumerate(CAT.input_codes[:5])})

    def read_all() -> list:
        return [read_return(path, CAT, **how) for path in paths
                for how in ({"sheet": "Danh sách mô hình"}, {"sheet": "Biểu số liệu"},
                            {"mapping": mapping})]

    quick = read_all()
    _general_texts(monkeypatch)
    assert read_all() == quick
    assert sum(bool(data.legacy_cells) for data in quick) >= 6
