"""Error values in cells (#DIV/0!, #REF!, #N/A …): calamine reads them as
empty strings; mark_error_cells puts them back as CellError at their place
in the grid, from the file itself (.xlsx, .xls, .ods), for every file
generated here."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from helpers import (
    SAMPLE,
    consistent_values,
    find_row,
    return_grid,
    write_ods_content,
    write_xls,
    write_xlsx,
)
from python_calamine import CalamineWorkbook

from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.cells import CellError, cell_ref
from dvk_cli.reading import oleguard
from dvk_cli.reading.errorcells import mark_error_cells

CAT = default_catalog()
SHEET = "Biểu số liệu"
CODES = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"]
BIFF = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D,
        "#NUM!": 0x24, "#N/A": 0x2A}
VALUE_COL = 4  # "Số liệu" in helpers.return_grid


def read(path: Path) -> list[tuple[str, list[list]]]:
    """The sheets as dispatch.read_return gets them from calamine, then marked."""
    wb = CalamineWorkbook.from_path(str(path))
    sheets = [(m.name, wb.get_sheet_by_name(m.name).to_python(skip_empty_area=False))
              for m in wb.sheets_metadata]
    mark_error_cells(path.read_bytes(), path.suffix.lower(), sheets)
    return sheets


def errors(sheets) -> dict[tuple[str, str], str]:
    return {(name, cell_ref(r, c)): (v, type(v)) for name, rows in sheets
            for r, row in enumerate(rows) for c, v in enumerate(row) if isinstance(v, CellError)}


def grid_and_rows():
    grid = return_grid(consistent_values(3))
    rows = [find_row(grid[SHEET], code) for code in CAT.input_codes]
    return grid, [r for r in rows if grid[SHEET][r][VALUE_COL] not in (None, 0)][:len(CODES) + 1]


# ------------------------------------------------------------------ .xlsx

def xlsx_with_errors(path: Path, cells: dict[str, str], form: str = 'r="{ref}" t="e"') -> Path:
    grid, _ = grid_and_rows()
    src = write_xlsx(grid, path.with_name("src-" + path.name))
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                for ref, code in cells.items():
                    attrs = form.format(ref=ref).encode()
                    data, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(),
                                      b"<c " + attrs + b"><v>" + code.encode() + b"</v></c>", data)
                    assert n == 1, ref
            zout.writestr(info, data)
    return path


def test_xlsx_error_cells_come_back_as_cell_errors(tmp_path):
    _, rows = grid_and_rows()
    cells = {cell_ref(r, VALUE_COL): code for r, code in zip(rows, CODES, strict=False)}
    path = xlsx_with_errors(tmp_path / "loi.xlsx", cells)
    plain = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    assert all(plain[r][VALUE_COL] == "" for r in rows[:len(CODES)])  # what calamine alone gives
    assert errors(read(path)) == {(SHEET, ref): (code, CellError) for ref, code in cells.items()}


@pytest.mark.parametrize("form", ["r='{ref}' t='e'", 't = "e" r = "{ref}"', 'r="{ref}" s="0" t="e"'])
def test_xlsx_error_cells_in_other_spellings(tmp_path, form):
    _, rows = grid_and_rows()
    ref = cell_ref(rows[0], VALUE_COL)
    path = xlsx_with_errors(tmp_path / "loi.xlsx", {ref: "#REF!"}, form)
    assert errors(read(path)) == {(SHEET, ref): ("#REF!", CellError)}


def test_xlsx_sheet_without_errors_is_untouched_and_cheap():
    path = sorted((SAMPLE / "2024").glob("*.xlsx"))[0]
    sheets = read(path)
    wb = CalamineWorkbook.from_path(str(path))
    assert sheets == [(m.name, wb.get_sheet_by_name(m.name).to_python(skip_empty_area=False))
                      for m in wb.sheets_metadata]
    raw = path.read_bytes()
    best = min(_timed(lambda: mark_error_cells(raw, ".xlsx", sheets)) for _ in range(5))
    assert best < 0.005, f"{best * 1000:.2f} ms"


def _timed(f, n: int = 20) -> float:
    t = time.process_time()
    for _ in range(n):
        f()
    return (time.process_time() - t) / n


# ------------------------------------------------------------------ .xls

def test_xls_boolerr_and_formula_errors(tmp_path):
    import xlwt

    grid, rows = grid_and_rows()
    path = write_xls(grid, tmp_path / "src.xls")
    # BOOLERR records, written by xlwt itself
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(SHEET)
    for r, row in enumerate(grid[SHEET]):
        for c, v in enumerate(row):
            if v is not None and not (c == VALUE_COL and r in rows):
                ws.write(r, c, v)
    rows, formula_row = rows[:-1], rows[-1]
    for r, code in zip(rows, CODES, strict=True):
        ws.row(r).set_cell_error(VALUE_COL, BIFF[code])
    ws.write(formula_row, VALUE_COL, xlwt.Formula("1/1"))
    book.save(str(path))
    # the formula's cached result patched into #DIV/0! (what Excel stores)
    raw = path.read_bytes()
    stream = oleguard.workbook_stream(raw)
    (_, offset), = oleguard.sheet_offsets(stream)
    record = next(stream[s - 4:e] for t, s, e in oleguard.records(stream, offset) if t == 0x0006)
    patched = record[:10] + bytes([0x02, 0, BIFF["#DIV/0!"], 0, 0, 0, 0xFF, 0xFF]) + record[18:]
    at = raw.index(record)
    path.write_bytes(raw[:at] + patched + raw[at + len(record):])
    want = {(SHEET, cell_ref(r, VALUE_COL)): (code, CellError) for r, code in zip(rows, CODES, strict=True)}
    want[(SHEET, cell_ref(formula_row, VALUE_COL))] = ("#DIV/0!", CellError)
    assert errors(read(path)) == want


# ------------------------------------------------------------------ .ods

ODS_ROWS = (
    '<table:table-row><table:table-cell office:value-type="string"><text:p>Mã</text:p></table:table-cell>'
    '<table:table-cell table:number-columns-repeated="3"/>'
    '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
    'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
    '<table:table-cell table:number-columns-repeated="1019"/></table:table-row>'
    '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="1024"/>'
    '</table:table-row>'
    '<table:table-row><table:covered-table-cell/><table:table-cell office:value-type="float" '
    'office:value="5"><text:p>5</text:p></table:table-cell>'
    '<table:table-cell table:formula="of:=SQRT(-1)" office:value-type="string" office:string-value="" '
    'calcext:value-type="error"><text:p>Err:502</text:p></table:table-cell></table:table-row>'
    '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
    'table:number-columns-repeated="1024"/></table:table-row>')


def test_ods_error_results_as_libreoffice_writes_them(tmp_path):
    """LibreOffice: office:value-type="string" with an empty string-value (what
    calamine reads) and calcext:value-type="error", the text shown in text:p."""
    path = tmp_path / "loi.ods"
    write_ods_content(path, (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
            'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
            'office:version="1.2"><office:body><office:spreadsheet>'
            f'<table:table table:name="{SHEET}">{ODS_ROWS}</table:table>'
            "</office:spreadsheet></office:body></office:document-content>").encode())
    assert errors(read(path)) == {(SHEET, "E1"): ("#DIV/0!", CellError), (SHEET, "C4"): ("Err:502", CellError)}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_ods_and_xlsx_saved_by_libreoffice(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"], ws["B2"], ws["C3"], ws["D4"], ws["B5"] = "Mã", "=1/0", "=NA()", "=SQRT(-1)", 7
    wb.save(tmp_path / "err.xlsx")  # openpyxl stores no results: LibreOffice computes them
    for fmt, out in (("ods", "ods"), ("xlsx:Calc MS Excel 2007 XML", "lo")):
        subprocess.run(["soffice", "--headless", "--convert-to", fmt, "--outdir", str(tmp_path / out),
                        str(tmp_path / "err.xlsx")], check=True, capture_output=True, timeout=180)
    got_ods = errors(read(tmp_path / "ods" / "err.ods"))
    assert got_ods == {(SHEET, "B2"): ("#DIV/0!", CellError), (SHEET, "C3"): ("#N/A", CellError),
                       (SHEET, "D4"): ("Err:502", CellError)}
    got_xlsx = errors(read(tmp_path / "lo" / "err.xlsx"))
    assert got_xlsx == {(SHEET, "B2"): ("#DIV/0!", CellError), (SHEET, "C3"): ("#N/A", CellError),
                        (SHEET, "D4"): ("#VALUE!", CellError)}


# ------------------------------------------------------------------ end to end

def test_validate_names_the_error_cell(tmp_path, monkeypatch):
    from helpers import THREE_UNITS, invoke, said, write_config

    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, THREE_UNITS)
    (tmp_path / "returns").mkdir()
    _, rows = grid_and_rows()
    ref = cell_ref(rows[0], VALUE_COL)
    xlsx_with_errors(tmp_path / "returns" / "loi.xlsx", {ref: "#DIV/0!"})
    (tmp_path / "returns" / "src-loi.xlsx").unlink()
    out = invoke("validate", "returns", "--period", "2024")
    assert out.exit_code == 1
    assert ref in said(out) and "#DIV/0!" in said(out), said(out)

