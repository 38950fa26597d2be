"""The feedback copy of an .ods/.xls return is laid out like dvk's form
(issue 15): column widths, a bordered table, number formats by indicator,
A4 print setup — with the marks and the sheet "Cần sửa" as for an .xlsx."""

from __future__ import annotations

import re
import shutil

import openpyxl
import pytest
from helpers import (
    consistent_values,
    find_row,
    invoke,
    return_grid,
    to_pdf,
    write_ods,
    write_xls,
    xls_book,
)

from dvk_cli.core.catalog import default_catalog
from dvk_cli.outputs.feedback import RED, SHEET, YELLOW

CAT = default_catalog()
MODELS = [{"name": f"Mô hình {i} giúp nhau phát triển kinh tế hộ gia đình", "exemplary": i == 1,
           "kind": "Tập thể" if i <= 5 else "Cá nhân", "implementer": "Hội Nông dân xã"}
          for i in range(1, 11)]
WRITERS = {"ods": write_ods, "xls": write_xls}


def fill_of(cell):
    return cell.fill.fgColor.rgb[-6:] if cell.fill and cell.fill.fill_type == "solid" else None


def bordered(cell):
    b = cell.border
    return all(side is not None and side.style for side in (b.left, b.right, b.top, b.bottom))


@pytest.fixture(params=["ods", "xls"])
def marked(request, folder):
    """A return with a wrong value ("khoảng 30" as VB_SO) and a rate that does
    not match its operands (DON_TYLE 94,11765 % against 16/20), as .ods / .xls;
    (the feedback copy, the return's grid rows)."""
    ext = request.param
    grid = return_grid(consistent_values(10, VB_SO="khoảng 30", DON_GQ=16, DON_TYLE=94.11765,
                                         NHA_DDK_TIEN=120.5), models=MODELS)
    WRITERS[ext](grid, folder / "returns" / f"budang.{ext}")
    result = invoke("validate", "returns", "--feedback", "phan-hoi")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    copy = folder / "phan-hoi" / "budang-can-sua.xlsx"
    assert copy.is_file(), result.output
    return copy, grid["Biểu số liệu"]


def test_the_copy_is_laid_out_like_the_form(marked):
    path, rows = marked
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == SHEET and wb.active.title == SHEET
    ws = wb["Biểu số liệu"]
    header = find_row(rows, "VB_SO")  # 0-based row of VB_SO = 1-based header row
    # widths: the label column wide, the others set
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEF"}
    assert all(w and w >= 5 for w in widths.values()), widths
    assert widths["B"] >= 30 and widths["B"] == max(widths.values())
    assert widths["C"] >= len("NHA_KHAC_TIEN")  # codes never cut
    # the table header: bold, shaded, bordered; every table cell bordered
    for c in range(1, 7):
        cell = ws.cell(header, c)
        assert cell.font.b and fill_of(cell) and bordered(cell), cell.coordinate
    last = header + len(CAT.indicators)
    for r in range(header + 1, last + 1):
        for c in range(1, 7):
            assert bordered(ws.cell(r, c)), ws.cell(r, c).coordinate
    assert ws.cell(header + 1, 2).alignment.wrap_text  # labels wrap
    assert ws.cell(2, 1).font.b  # "Đơn vị báo cáo"
    assert ws.merged_cells.ranges and ws["A1"].font.b  # the title across the table

    def value_cell(code):
        return ws.cell(find_row(rows, code) + 1, 5)

    # number formats by indicator type, as on the form
    rate = value_cell("DON_TYLE")
    assert rate.value == pytest.approx(94.11765)
    assert rate.number_format in ("0.0", "0.0%", '0.0"%"'), rate.number_format
    assert value_cell("VB_SO").value == "khoảng 30"
    assert value_cell("MH_TONG").number_format == "#,##0"
    assert value_cell("NHA_DDK_TIEN").number_format == "#,##0.0#"
    assert ws.cell(find_row(rows, "MH_TONG") + 1, 1).number_format == "General"  # STT as typed
    # the marks: the wrong value red, the rate yellow, each with its comment
    assert fill_of(value_cell("VB_SO")) == RED and "khoảng 30" in value_cell("VB_SO").comment.text
    assert fill_of(rate) in (RED, YELLOW) and rate.comment is not None
    assert bordered(value_cell("VB_SO"))  # marked cells keep the table's borders
    # print setup: A4, one page wide, the header row repeated
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows.replace("$", "") == f"{header}:{header}"
    # the model list is laid out too
    models = wb["Danh sách mô hình"]
    assert models["A1"].font.b and bordered(models["B11"]) and models.column_dimensions["B"].width >= 30
    notes = " ".join(str(c.value) for row in wb[SHEET].iter_rows(max_row=8) for c in row if c.value)
    assert "chỉ gồm các giá trị" in notes and "trình bày lại theo mẫu biểu" in notes


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_the_copy_prints_on_few_pages(marked, tmp_path):
    path, _ = marked
    pdf = to_pdf(path, tmp_path).read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    # "Cần sửa", the figures (one page wide, 39 rows), the model list
    assert 1 <= pages <= 4, pages


def test_the_units_own_merged_cells_are_merged_again(folder):
    """A title the unit merged across its table (here on a guide sheet of an
    .xls) stays merged in the copy, not squeezed into column A; a merge too
    large to be a title is not carried over."""
    wb = xls_book(return_grid(consistent_values(10, VB_SO="khoảng 30")))
    guide = wb.add_sheet("Hướng dẫn")
    guide.write_merge(0, 0, 0, 1, "HƯỚNG DẪN ĐIỀN BIỂU")
    for i in range(1, 6):
        guide.write(i, 0, i)
        guide.write(i, 1, f"Điều {i}: nhập số liệu vào cột “Số liệu”, mỗi chỉ tiêu một ô.")
    guide.write_merge(10, 3000, 3, 8, "")  # 17,946 cells: not a title
    wb.save(str(folder / "returns" / "budang.xls"))

    result = invoke("validate", "returns", "--feedback", "phan-hoi")
    copy = folder / "phan-hoi" / "budang-can-sua.xlsx"
    assert copy.is_file(), result.output
    sheet = openpyxl.load_workbook(copy)["Hướng dẫn"]
    merged = {str(m) for m in sheet.merged_cells.ranges}
    assert "A1:B1" in merged and sheet["A1"].value == "HƯỚNG DẪN ĐIỀN BIỂU"
    assert sheet["A1"].alignment.horizontal == "center"
    assert not any(m.startswith("D11") for m in merged)
