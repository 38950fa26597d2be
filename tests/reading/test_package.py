"""The archive opened once (reading/package.py): the guard keeps the parts
it inflated whole, and the readers after it (file type, error cells,
formulas without a value) get exactly what zipfile would give them, or
zipfile's own answer when a part was not kept; the guard refuses the same
files whether it is given the bytes or the package."""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest
from helpers import SAMPLE, formulas_without_value, return_grid, write_xlsx
from hostile_mutations import rezip as rezip_part
from python_calamine import CalamineWorkbook

from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading import long, package
from dvk_cli.reading.dispatch import read_return, sniff
from dvk_cli.reading.errorcells import mark_error_cells
from dvk_cli.reading.guards import Limits, archive_problem
from dvk_cli.reading.package import Package

CAT = default_catalog()
SHEET_XML = "xl/worksheets/sheet1.xml"


@pytest.fixture(scope="module")
def ordinary(tmp_path_factory) -> bytes:
    return write_xlsx(return_grid({"VB_SO": 3}), tmp_path_factory.mktemp("p") / "r.xlsx").read_bytes()


def rezip(raw: bytes, edit, part: str = SHEET_XML) -> bytes:
    return rezip_part(raw, part, edit)


def test_the_guard_keeps_each_part_it_inflated_exactly_as_zipfile_reads_it(ordinary):
    pkg = Package(ordinary)
    assert archive_problem(pkg) is None
    z = zipfile.ZipFile(io.BytesIO(ordinary))
    kept = {info.filename for info in pkg.parts}
    assert SHEET_XML in kept and "xl/workbook.xml" in kept and "xl/_rels/workbook.xml.rels" in kept
    for info in z.infolist():
        assert pkg.read(info.filename) == z.read(info.filename)
    with pytest.raises(KeyError):
        pkg.read("xl/worksheets/sheet9.xml")


def test_every_sample_return_reads_the_same_through_the_package():
    for path in sorted(SAMPLE.rglob("*.xls*")) + sorted(SAMPLE.rglob("*.ods")):
        raw = path.read_bytes()
        pkg = Package(raw)
        assert archive_problem(pkg) == archive_problem(raw), path
        assert sniff(raw, pkg) == sniff(raw), path
        if raw.startswith(b"PK"):
            z = zipfile.ZipFile(io.BytesIO(raw))
            for info in z.infolist():
                assert pkg.read(info.filename) == z.read(info.filename), (path, info.filename)


def test_a_part_not_exactly_as_zipfile_reads_it_is_not_kept(ordinary):
    # The local header names another part: zipfile refuses to read it.
    name = SHEET_XML.encode()
    raw = bytearray(ordinary)
    local = raw.index(name)  # the first occurrence is the local header's
    assert raw[local - 30:local - 26] == b"PK\x03\x04"
    raw[local:local + len(name)] = name.replace(b"sheet1", b"sheetX")
    raw = bytes(raw)
    pkg = Package(raw)
    problem = archive_problem(pkg)
    assert problem == archive_problem(raw)
    z = zipfile.ZipFile(io.BytesIO(raw))
    assert z.getinfo(SHEET_XML) not in pkg.parts
    with pytest.raises(zipfile.BadZipFile):
        z.read(SHEET_XML)
    with pytest.raises(zipfile.BadZipFile):
        pkg.read(SHEET_XML)


def test_a_part_whose_crc_differs_is_not_kept(ordinary):
    z = zipfile.ZipFile(io.BytesIO(ordinary))
    info = z.getinfo(SHEET_XML)
    raw = bytearray(ordinary)
    changed = 0
    for m in re.finditer(rb"PK\x01\x02", bytes(raw)):  # the CRC in the central directory entry
        start = m.start()
        length = int.from_bytes(raw[start + 28:start + 30], "little")
        if raw[start + 46:start + 46 + length] == SHEET_XML.encode():
            raw[start + 16:start + 20] = (info.CRC ^ 1).to_bytes(4, "little")
            changed += 1
    assert changed == 1
    raw = bytes(raw)
    pkg = Package(raw)
    assert archive_problem(pkg) == archive_problem(raw)
    assert zipfile.ZipFile(io.BytesIO(raw)).getinfo(SHEET_XML) not in pkg.parts
    with pytest.raises(zipfile.BadZipFile):
        pkg.read(SHEET_XML)


def test_parts_beyond_the_room_are_read_again(ordinary, monkeypatch):
    monkeypatch.setattr(package, "KEEP_MAX", 1)
    pkg = Package(ordinary)
    assert archive_problem(pkg) is None
    assert pkg.kept <= 1
    z = zipfile.ZipFile(io.BytesIO(ordinary))
    assert pkg.read(SHEET_XML) == z.read(SHEET_XML)


@pytest.mark.parametrize("edit", [
    lambda xml: xml.replace('<c r="E7"', '<c r="E7" r="E8"', 1),  # a second r: tokenized
    lambda xml: xml.replace("<sheetData>", "<!-- c --><sheetData>", 1),  # not plain
    lambda xml: re.sub(r'<c r="E(\d+)"', lambda m: f'<c r="E{m[1]}"', xml).replace(
        '<c r="A1"', '<c r="XFE1"', 1),  # beyond the last column
])
def test_the_guard_says_the_same_given_the_bytes_or_the_package(ordinary, edit):
    raw = rezip(ordinary, edit)
    assert archive_problem(Package(raw)) == archive_problem(raw)
    small = Limits(max_cells=50)
    assert archive_problem(Package(raw), small) == archive_problem(raw, small)
    assert archive_problem(Package(raw), small) is not None


def test_a_refused_or_damaged_archive_leaves_nothing_kept(ordinary):
    damaged = ordinary[:len(ordinary) // 2] + bytes(len(ordinary) - len(ordinary) // 2)
    pkg = Package(damaged)
    assert archive_problem(pkg) == archive_problem(damaged)
    assert not pkg.parts


def test_error_cells_are_marked_the_same_through_the_package(ordinary, tmp_path):
    def with_error(xml: str) -> str:
        return re.sub(r'<c r="E7"([^>]*?)(/>|>.*?</c>)', '<c r="E7" t="e"><v>#DIV/0!</v></c>', xml,
                      count=1, flags=re.S)

    raw = rezip(ordinary, with_error)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(raw))

    def sheets():
        return [(m.name, wb.get_sheet_by_name(m.name).to_python(skip_empty_area=False))
                for m in wb.sheets_metadata]

    plain, through = sheets(), sheets()
    mark_error_cells(raw, ".xlsx", plain)
    pkg = Package(raw)
    assert archive_problem(pkg) is None
    mark_error_cells(raw, ".xlsx", through, pkg)
    assert plain == through
    assert any(type(c).__name__ == "CellError" for _, rows in through for row in rows for c in row)
    path = tmp_path / "e.xlsx"
    path.write_bytes(raw)
    data = read_return(path, CAT)
    assert any(f.rule == "cell_error" or "#DIV/0!" in f.message for f in data.findings)


# ------------------------------------------------------------------ formulas without a value

def _workbook(sheet_xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


@pytest.mark.parametrize("cells", [
    '<c r="E1"><f>1</f><v></v></c>',
    '<c\u0111 r="E1"><f>x</f></c><c r="E2"><f>x</f></c>',  # "<cđ" is no cell for the text
    '<c x\u0111r="E1" r="E2"><f>x</f></c>',  # "đr=" has no word boundary
    '<c r="E1\u0663"><f>x</f></c><c r="E2"><f/></c>',  # an Arabic-Indic digit is a digit to \\d
    '<c r="E1"><f>x</f><v>\xa0</v></c>',  # a no-break space is blank to str.strip
    '<c r="E1" <c r="E2"><f>x</f></c>',
    '<c r="E1"><is><t>\u0111<f</t></is></c>',
    '<c r="E1"/><c r="E2"><f>1</f><v>0</v></c>',
])
def test_formulas_are_found_in_the_bytes_as_in_the_text(cells):
    xml = f"<worksheet><sheetData><row>{cells}</row></sheetData></worksheet>"
    refs = {"E1", "E2", "E1\u0663"}
    assert long._formulas_without_value(_workbook(xml.encode()), "S", refs) == formulas_without_value(xml, refs)


def test_formulas_found_in_the_bytes_as_in_the_text_whatever_the_markup():
    rng = random.Random(16)
    pieces = ['<c', ' r="E1"', ' r="E2"', '>', '/>', '</c>', '<f>', '</f>', '<v>', '</v>', '1', ' ',
              '\u0111', '\u0663', '\xa0', 'x', '"', 'r="', '<c\u0111', 'E', '\u00e9r="E1"',
              ' r="E3"', '</c', '</c>>', '<c r="E1">', '<c r="E2"><f>1</f></c>', '<c r="E1" ']
    for _ in range(3000):
        xml = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        refs = rng.choice([{"E1", "E2"}, {"E2"}, {"E1", "E3"}])
        raw = _workbook(xml.encode())
        assert long._formulas_without_value(raw, "S", refs) == formulas_without_value(xml, refs), xml
        pkg = Package(raw)
        archive_problem(pkg)
        assert long._formulas_without_value(pkg, "S", refs) == formulas_without_value(xml, refs), xml


def test_a_formula_without_its_value_is_still_reported(ordinary, tmp_path):
    def unsaved(xml: str) -> str:
        return re.sub(r'<c r="E7"([^>]*?)(/>|>.*?</c>)', '<c r="E7"><f>1+1</f><v></v></c>', xml,
                      count=1, flags=re.S)

    path = tmp_path / "f.xlsx"
    path.write_bytes(rezip(ordinary, unsaved))
    data = read_return(path, CAT)
    assert [f.cell for f in data.findings if f.rule == "formula_no_value"] == ["E7"]


def test_the_package_is_closed_after_reading(ordinary, tmp_path, monkeypatch):
    closed: list[Package] = []
    real = Package.close

    def close(self: Package) -> None:
        closed.append(self)
        real(self)

    monkeypatch.setattr(Package, "close", close)
    path = tmp_path / "r.xlsx"
    path.write_bytes(ordinary)
    assert read_return(path, CAT).readable
    assert len(closed) == 1 and not closed[0].parts


def test_sample_returns_are_unchanged(tmp_path):
    """Reading through the package gives what the sample returns always gave (a smoke check)."""
    paths = sorted(Path(SAMPLE).rglob("*.xlsx"))[:3]
    assert paths
    for p in paths:
        assert read_return(p, CAT).readable or read_return(p, CAT).findings
