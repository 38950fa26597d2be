"""Each quick path of the reader gives exactly what its general path gives.

For every quick path (a check that decides without the full scan, a
remembered answer, a number read without parse_number), the result is
compared with the one computed with the quick path turned off, on tricky
inputs and on real workbooks whose reading depends on them."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest
from helpers import find_row, return_grid, write_xlsx

from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading import long
from dvk_cli.reading.dispatch import read_return

CAT = default_catalog()


# ------------------------------------------------------------------ formulas without a value

_CELL = re.compile(r'<c\b[^>]*\br="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)


def _scan(xml: str, refs: set[str]) -> list[str]:
    """The full scan of the cells, on the decoded text (the reference)."""
    out = []
    for m in _CELL.finditer(xml):
        ref, body = m.group(1), m.group(2) or ""
        if ref in refs and "<f" in body:
            v = re.search(r"<v>([^<]*)</v>", body)
            if not v or not v.group(1).strip():
                out.append(ref)
    return out


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
        assert _scan(xml, refs) == []


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
            assert _scan(xml, refs) == [], xml
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
