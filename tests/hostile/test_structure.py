"""Hostile structure (issue 14): files whose declared extent or internal
structure would make calamine (or openpyxl) allocate without bound, refused
by the guards before any parser sees them — every file generated here.

- .xlsx: the last cell XFD1048576 written in forms a naive size check does
  not see (quoting, spacing, case, no `r`, namespace prefixes, '>' inside a
  value, a comment, a tag split across inflate chunks, the sheet stored
  elsewhere), a shared-strings table declaring 4 billion strings;
- .xls: a compound file whose sector chain loops, a DIMENSIONS record or a
  cell at IV65536;
- .ods: rows and cells repeated into 20 million cells — but not the empty
  repeats LibreOffice writes at the end of every sheet.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers import (
    consistent_values,
    return_grid,
    write_ods,
    write_ods_content,
    write_xls,
    write_xlsx,
)
from hostile_harness import assert_contained, province, run_dvk

from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading import oleguard
from dvk_cli.reading.dispatch import read_return
from dvk_cli.reading.guards import Limits, archive_problem

CAT = default_catalog()
SHEET = "Biểu số liệu"
FAR = 16_384 * 1_048_576  # the grid A1:XFD1048576


# ------------------------------------------------------------------ builders

def valid_xlsx(path: Path) -> Path:
    return write_xlsx(return_grid(consistent_values(3)), path)


def rewrite_zip(src: Path, dst: Path, edit) -> Path:
    """Copy an archive, `edit(name, data)` returning (new name, new data) or None to drop."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            out = edit(info.filename, zin.read(info.filename))
            if out is not None:
                zout.writestr(out[0], out[1])
    return dst


def edit_sheet(src: Path, dst: Path, edit, part: str = "xl/worksheets/sheet1.xml") -> Path:
    return rewrite_zip(src, dst, lambda n, d: (n, edit(d) if n == part else d))


def add_far_cell(cell: bytes, before: bytes = b"</sheetData>"):
    """An edit adding `cell` (markup) at the end of the sheet data."""
    return lambda xml: xml.replace(before, cell + before, 1)


XLSX_VARIANTS = {
    "single quotes": b"<row r='1048576'><c r='XFD1048576' t='n'><v>1</v></c></row>",
    "spaces around =": b'<row r = "1048576"><c r = "XFD1048576" t="n"><v>1</v></c></row>',
    "lowercase": b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>',
    "r after another attribute": b'<row r="1048576"><c t="n" r="XFD1048576"><v>1</v></c></row>',
    "r glued to a value": b'<row r="1048576"><c t="n"r="XFD1048576"><v>1</v></c></row>',
    "'>' inside a value": b'<row r="1048576"><c foo=">" r="XFD1048576"><v>1</v></c></row>',
    "row without r after the last": b'<row r="1048575"><c r="A1048575"><v>1</v></c></row>'
                                    b'<row><c r="XFD1048576"><v>1</v></c></row>',
    "cells without r": b'<row r="1048576"><c r="XFC1048576"><v>1</v></c><c><v>2</v></c></row>',
    "a comment hiding nothing": b'<!-- " --><row r="1048576"><c r="XFD1048576"><v>1</v></c></row><!-- " -->',
    "tag split across chunks": b'<row r="1048576"><c' + b" " * 300_000 + b'r="XFD1048576"><v>1</v></c></row>',
    "a cell placed by its row alone": b'<row r="1048576"><c><v>1</v></c></row>'
                                      b'<row r="7"><c r="XFD7"><v>1</v></c></row>',
}


# ------------------------------------------------------------------ .xlsx: the extent in any form

@pytest.mark.parametrize("variant", XLSX_VARIANTS)
def test_the_last_cell_is_seen_in_any_form(tmp_path, variant):
    src = valid_xlsx(tmp_path / "a.xlsx")
    bad = edit_sheet(src, tmp_path / "bad.xlsx", add_far_cell(XLSX_VARIANTS[variant]))
    problem = archive_problem(bad.read_bytes())
    assert problem is not None, variant
    rule, message = problem
    assert rule == "too_many_cells"
    assert f"“{SHEET}”" in message and "5.000.000 ô" in message


def test_namespace_prefixes_do_not_hide_cells(tmp_path):
    src = valid_xlsx(tmp_path / "a.xlsx")

    def prefixed(xml: bytes) -> bytes:
        xml = xml.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=", 1)
        xml = re.sub(rb"<(/?)(?!x:)([A-Za-z])", rb"<\1x:\2", xml)
        return xml.replace(b"</x:sheetData>",
                           b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
                           b"</x:sheetData>")

    bad = edit_sheet(src, tmp_path / "bad.xlsx", prefixed)
    assert archive_problem(bad.read_bytes())[0] == "too_many_cells"


@pytest.mark.parametrize("target", ["/xl/data/cells.xml", "data/cells.xml", "../xl/data/cells.xml",
                                    "WORKSHEETS/SHEET1.XML"])
def test_a_sheet_stored_under_another_name_is_measured(tmp_path, target):
    """The part a workbook's relationships name is the sheet, wherever it is."""
    src = valid_xlsx(tmp_path / "a.xlsx")
    stored = {"/xl/data/cells.xml": "xl/data/cells.xml", "data/cells.xml": "xl/data/cells.xml",
              "../xl/data/cells.xml": "xl/data/cells.xml",
              "WORKSHEETS/SHEET1.XML": "xl/worksheets/SHEET1.XML"}[target]

    def edit(name: str, data: bytes):
        if name == "xl/worksheets/sheet1.xml":
            return stored, add_far_cell(XLSX_VARIANTS["lowercase"])(data)
        if name == "xl/_rels/workbook.xml.rels":
            return name, data.replace(b'Target="/xl/worksheets/sheet1.xml"', f'Target="{target}"'.encode()
                                      ).replace(b'Target="worksheets/sheet1.xml"', f'Target="{target}"'.encode())
        return name, data

    bad = rewrite_zip(src, tmp_path / "bad.xlsx", edit)
    with zipfile.ZipFile(bad) as z:
        assert target.encode() in z.read("xl/_rels/workbook.xml.rels")
        assert not any(n.startswith("xl/worksheets/sheet1") for n in z.namelist())
    rule, message = archive_problem(bad.read_bytes())
    assert rule == "too_many_cells" and f"“{SHEET}”" in message


def test_harmless_far_markup_is_not_refused(tmp_path):
    """calamine keeps no empty cell and only reserves a small <dimension>: a
    styled empty cell at XFD1048576 and a declared A1:XFD1048576 read fine."""
    src = valid_xlsx(tmp_path / "a.xlsx")
    far = edit_sheet(src, tmp_path / "far.xlsx", lambda x: re.sub(
        rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', x).replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'))
    assert b"XFD1048576" in zipfile.ZipFile(far).read("xl/worksheets/sheet1.xml")
    assert archive_problem(far.read_bytes()) is None
    data = read_return(far, CAT)
    assert data.readable and not [f for f in data.findings if f.severity == "error"]


def test_a_million_rows_of_sixteen_columns_is_refused(tmp_path):
    src = valid_xlsx(tmp_path / "a.xlsx")
    bad = edit_sheet(src, tmp_path / "bad.xlsx", add_far_cell(b'<row r="1000000"><c r="P1000000"><v>1</v></c></row>'))
    rule, message = archive_problem(bad.read_bytes())
    assert rule == "too_many_cells" and "16.000.000 ô" in message
    # dense, not just far: 2,000 rows x 16 columns of numbers against a limit of 10,000
    wb = openpyxl.Workbook()
    for _ in range(2000):
        wb.active.append(list(range(16)))
    wb.save(tmp_path / "dense.xlsx")
    raw = (tmp_path / "dense.xlsx").read_bytes()
    rule, message = archive_problem(raw, Limits(max_cells=10_000))
    assert rule == "too_many_cells" and "32.000 ô" in message
    assert archive_problem(raw, Limits(max_cells=40_000)) is None


def test_cells_counted_past_one_inflate_chunk(tmp_path):
    """A sheet part larger than one chunk is tokenized chunk by chunk, cells
    without r included (the position carries over)."""
    cells = b"".join(b'<row>' + b"<c><v>1</v></c>" * 16 + b"</row>" for _ in range(3000))
    src = valid_xlsx(tmp_path / "a.xlsx")
    bad = edit_sheet(src, tmp_path / "bad.xlsx", add_far_cell(cells))
    assert len(zipfile.ZipFile(bad).read("xl/worksheets/sheet1.xml")) > 256 * 1024
    rows = 3000 + len(return_grid(consistent_values(3))[SHEET])
    rule, message = archive_problem(bad.read_bytes(), Limits(max_cells=rows * 16 - 1))
    assert rule == "too_many_cells" and f"{rows * 16:,} ô".replace(",", ".") in message
    assert archive_problem(bad.read_bytes(), Limits(max_cells=rows * 16)) is None


def test_shared_strings_declaring_billions_are_refused(tmp_path):
    """calamine reserves room for `uniqueCount` strings: 4 billion aborts the process."""
    src = valid_xlsx(tmp_path / "a.xlsx")
    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
           b' count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>')
    bad = rewrite_zip(src, tmp_path / "bad.xlsx", lambda n, d: (n, d))
    with zipfile.ZipFile(bad, "a") as z:
        z.writestr("xl/sharedStrings.xml", sst)
    rule, message = archive_problem(bad.read_bytes())
    assert rule == "too_many_cells" and "4.000.000.000" in message


def test_an_overlong_tag_is_refused(tmp_path):
    src = valid_xlsx(tmp_path / "a.xlsx")
    bad = edit_sheet(src, tmp_path / "bad.xlsx", add_far_cell(b'<c r="A1" x="' + b"y" * (2 * 2**20)))
    assert archive_problem(bad.read_bytes())[0] == "malformed_workbook"


# ------------------------------------------------------------------ .xls (OLE2 compound file)

def _header(raw: bytes) -> dict:
    return {"shift": struct.unpack_from("<H", raw, 30)[0],
            "dir": struct.unpack_from("<I", raw, 48)[0],
            "difat": list(struct.unpack_from("<109I", raw, 76))}


def _fat(raw: bytes) -> tuple[list[int], list[int]]:
    """(FAT, file offsets of each FAT entry) of a compound file with no DIFAT sectors."""
    h = _header(raw)
    size = 1 << h["shift"]
    fat, where = [], []
    for sector in h["difat"]:
        if sector >= 0xFFFFFFFA:
            continue
        base = size + sector * size
        for i in range(size // 4):
            fat.append(struct.unpack_from("<I", raw, base + 4 * i)[0])
            where.append(base + 4 * i)
    return fat, where


def _chain(fat: list[int], start: int) -> list[int]:
    out = [start]
    while fat[out[-1]] != 0xFFFFFFFE:
        out.append(fat[out[-1]])
    return out


def xls_with_loop(path: Path, which: str) -> Path:
    """A valid .xls whose directory (or Workbook stream) chain loops back to its start."""
    write_xls(return_grid(consistent_values(3)), path)
    raw = bytearray(path.read_bytes())
    fat, where = _fat(bytes(raw))
    if which == "directory":
        chain = _chain(fat, _header(bytes(raw))["dir"])
    else:  # the Workbook stream, declared far longer than it is
        size = 1 << _header(bytes(raw))["shift"]
        dir_sector = _header(bytes(raw))["dir"]
        base = size + dir_sector * size
        for k in range(size // 128):
            entry = base + 128 * k
            if raw[entry:entry + 16] == "Workbook".encode("utf-16-le"):
                start = struct.unpack_from("<I", raw, entry + 116)[0]
                struct.pack_into("<I", raw, entry + 120, 2**31)  # 2 GB
                break
        chain = _chain(fat, start)
    struct.pack_into("<I", raw, where[chain[-1]], chain[0])
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("which", ["directory", "workbook"])
def test_an_xls_whose_sector_chain_loops_is_refused(tmp_path, which):
    bad = xls_with_loop(tmp_path / "vong.xls", which)
    assert bad.stat().st_size < 30_000
    rule, message = archive_problem(bad.read_bytes())
    assert rule == "malformed_workbook" and ".xls" in message
    assert ("quay vòng" in message) if which == "directory" else ("lớn hơn cả tệp" in message)


def test_olefile_does_not_see_a_directory_loop_alone(tmp_path):
    """Why the chains are walked here: olefile opens the looping file (it
    bounds its own reading) without saying anything is wrong with it."""
    import olefile

    bad = xls_with_loop(tmp_path / "vong.xls", "directory")
    try:
        ole = olefile.OleFileIO(bad.read_bytes())
    except OSError:
        return  # a stricter olefile: fine too
    assert ole.exists("Workbook")
    assert archive_problem(bad.read_bytes())[0] == "malformed_workbook"


def _patch_record(raw: bytes, typ: int, patch) -> bytes:
    """Patch the first BIFF record of `typ` in the file (xlwt writes the
    Workbook stream in one contiguous run of sectors)."""
    stream = oleguard.workbook_stream(raw)
    (name, offset), *_ = oleguard.sheet_offsets(stream)
    for t, start, end in oleguard.records(stream, offset):
        if t == typ:
            record = stream[start - 4:end]
            at = raw.index(record)
            return raw[:at] + patch(record) + raw[at + len(record):]
    raise AssertionError(f"no record {typ:#x}")


def test_an_xls_declaring_iv65536_is_refused(tmp_path):
    path = write_xls(return_grid(consistent_values(3)), tmp_path / "a.xls")
    raw = path.read_bytes()
    assert archive_problem(raw) is None
    dims = _patch_record(raw, 0x0200, lambda r: r[:4] + struct.pack("<IIHHH", 0, 65536, 0, 256, 0))
    rule, message = archive_problem(dims)
    assert rule == "too_many_cells" and "DIMENSIONS" in message and "16.777.216" in message
    assert f"“{SHEET}”" in message
    cell = _patch_record(raw, 0x00FD, lambda r: r[:4] + struct.pack("<HH", 65535, 255) + r[8:])  # LABELSST
    rule, message = archive_problem(cell)
    assert rule == "too_many_cells" and "16.777.216 ô" in message


def test_an_xls_with_a_sheet_offset_past_its_stream_is_refused(tmp_path):
    path = write_xls(return_grid(consistent_values(3)), tmp_path / "a.xls")
    raw = path.read_bytes()
    stream = oleguard.workbook_stream(raw)
    for t, start, end in oleguard.records(stream):
        if t == 0x0085:
            record = stream[start - 4:end]
            break
    at = raw.index(record)
    bad = raw[:at + 4] + struct.pack("<I", 10**9) + raw[at + 8:]
    assert archive_problem(bad)[0] == "malformed_workbook"


# ------------------------------------------------------------------ .ods repeats

def ods_content(rows_xml: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            '<office:body><office:spreadsheet><table:table table:name="Biểu số liệu">'
            f"{rows_xml}</table:table></office:spreadsheet></office:body>"
            "</office:document-content>").encode()


def write_raw_ods(path: Path, rows_xml: str) -> Path:
    return write_ods_content(path, ods_content(rows_xml))


CELL = '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
REPEATED = ('<table:table-row table:number-rows-repeated="200000">'
            '<table:table-cell table:number-columns-repeated="100" office:value-type="float" '
            'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>')


def test_ods_repeats_multiplying_into_millions_are_refused(tmp_path):
    bad = write_raw_ods(tmp_path / "bad.ods", REPEATED)
    assert bad.stat().st_size < 5_000
    rule, message = archive_problem(bad.read_bytes())
    assert rule == "too_many_cells" and "20.000.000 ô" in message and f"“{SHEET}”" in message
    # leading empty rows repeated count too: the grid starts at A1
    lead = write_raw_ods(tmp_path / "lead.ods", '<table:table-row table:number-rows-repeated="1000000">'
                         '<table:table-cell/></table:table-row>'
                         f'<table:table-row>{CELL * 6}</table:table-row>')
    assert archive_problem(lead.read_bytes())[0] == "too_many_cells"


def test_ods_trailing_empty_repeats_are_normal(tmp_path):
    """What LibreOffice writes after the data: empty cells to the last column
    and empty rows to the last row. calamine materialises none of them."""
    grid = return_grid(consistent_values(3))
    path = write_ods(grid, tmp_path / "ok.ods")
    tail = ('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
            'table:number-columns-repeated="1016"/></table:table-row>')

    def edit(name: str, data: bytes):
        if name != "content.xml":
            return name, data
        data = data.replace(b"</table:table-row>",
                            b'<table:table-cell table:number-columns-repeated="1016"/></table:table-row>')
        return name, data.replace(b"</table:table>", tail.encode() + b"</table:table>", 1)

    ok = rewrite_zip(path, tmp_path / "lo.ods", edit)
    assert b"1048000" in zipfile.ZipFile(ok).read("content.xml")
    assert archive_problem(ok.read_bytes()) is None
    data = read_return(ok, CAT)
    assert data.readable and data.values == read_return(path, CAT).values


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_a_libreoffice_saved_return_passes(tmp_path):
    src = valid_xlsx(tmp_path / "lo.xlsx")
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    ods = out / "lo.ods"
    content = zipfile.ZipFile(ods).read("content.xml")
    assert b"number-rows-repeated" in content and b"number-columns-repeated" in content
    assert archive_problem(ods.read_bytes()) is None
    data = read_return(ods, CAT)
    assert data.readable and data.values == read_return(src, CAT).values


# ------------------------------------------------------------------ the corpus: dvk as a whole

def test_hostile_structures_are_contained_and_the_others_count(tmp_path):
    """Each file refused with an error naming it; the valid returns' totals
    unchanged; dvk's peak memory under the bound."""
    p = province(tmp_path)
    folder = p.returns
    src = valid_xlsx(tmp_path / "src.xlsx")
    edit_sheet(src, folder / "nhay-don.xlsx", add_far_cell(XLSX_VARIANTS["single quotes"]))
    edit_sheet(src, folder / "khong-r.xlsx", add_far_cell(XLSX_VARIANTS["cells without r"]))
    with zipfile.ZipFile(rewrite_zip(src, folder / "chuoi.xlsx", lambda n, d: (n, d)), "a") as z:
        z.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/'
                   b'spreadsheetml/2006/main" uniqueCount="4000000000"><si><t>x</t></si></sst>')
    xls_with_loop(folder / "vong.xls", "directory")
    xls_with_loop(folder / "dai.xls", "workbook")
    write_raw_ods(folder / "lap.ods", REPEATED)
    names = ["nhay-don.xlsx", "khong-r.xlsx", "chuoi.xlsx", "vong.xls", "dai.xls", "lap.ods"]
    out = run_dvk("validate", "2026", "--period", "2026", "--json", cwd=p.folder)
    assert_contained(out, p, rc={1}, names=names)
    findings = out.json()["findings"]
    for name in names:
        mine = [f for f in findings if f.get("file", "").endswith(name)]
        assert any(f["severity"] == "error" and f["rule"] in ("too_many_cells", "malformed_workbook")
                   for f in mine), (name, mine)


# ------------------------------------------------------------------ --feedback: what openpyxl loads

def test_feedback_copy_is_not_made_of_a_document_property_bomb(tmp_path):
    """docProps/core.xml inflating to 60 MB: calamine never reads it, so the
    return is read; openpyxl would parse it whole, so no marked copy."""
    p = province(tmp_path, units=3)
    values = consistent_values(3)
    values[CAT.input_codes[0]] = "không rõ"  # an error finding: the file gets a feedback copy
    src = write_xlsx(return_grid(values, code="BOMB"), tmp_path / "src.xlsx")
    core = (b'<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
            b'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            b"<dc:title>" + b" " * (60 * 2**20) + b"</dc:title></cp:coreProperties>")
    rewrite_zip(src, p.returns / "bom-thuoc-tinh.xlsx",
                lambda n, d: (n, core if n == "docProps/core.xml" else d))
    write_xlsx(return_grid(values, code="OKAY"), p.returns / "thuong.xlsx")
    assert archive_problem((p.returns / "bom-thuoc-tinh.xlsx").read_bytes()) is None
    out = run_dvk("validate", "2026", "--period", "2026", "--feedback", "phan-hoi", cwd=p.folder)
    assert_contained(out, rc={1}, names=["bom-thuoc-tinh.xlsx", "tệp quá lớn để tạo bản sao đánh dấu"],
                     peak_mb=300)
    made = sorted(f.name for f in (p.folder / "phan-hoi").iterdir())
    assert any("thuong" in name for name in made) and not any("bom" in name for name in made)
