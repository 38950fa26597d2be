"""The consolidated workbook as XlsxWriter writes it (issue 16): streamed row
by row (inline strings, constant-memory mode), a handful of formats whatever
its size, text never a formula, and the look of outputs/styles.py — widths,
merged headers, dropdowns, the form's validations — read back with openpyxl."""

from __future__ import annotations

import dataclasses
import re
import zipfile

import openpyxl
import pytest
from test_workbook import make_consolidation

from dvk_cli.core.catalog import ModelCategory
from dvk_cli.outputs import styles
from dvk_cli.outputs.workbook import write_workbook

NAMES = {"BUDANG": "=HYPERLINK(\"http://x\")", "BUDOP": "+84 912", "DONGXOAI": "@cmd",
         "PHUOCLONG": "Thị xã Phước Long"}


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return write_workbook(make_consolidation(), tmp_path_factory.mktemp("x") / "tong-hop-2024.xlsx")


def sheet_xml(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name).decode("utf-8") for name in z.namelist()
                if name.startswith("xl/worksheets/sheet")}


def test_written_by_xlsxwriter_row_by_row(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        app = z.read("docProps/app.xml").decode("utf-8")
    assert "xl/sharedStrings.xml" not in names  # constant-memory mode: strings inline
    assert all('t="inlineStr"' in xml for xml in sheet_xml(path).values())
    assert "<Application>Microsoft Excel</Application>" in app


def test_no_formula_even_from_hostile_unit_names(tmp_path):
    c = make_consolidation()
    units = {code: dataclasses.replace(info, name=NAMES[code]) for code, info in c.units.items()}
    c = dataclasses.replace(c, units=units)
    target = write_workbook(c, tmp_path / "t.xlsx")
    for name, xml in sheet_xml(target).items():
        assert "<f>" not in xml and "<f " not in xml, name
    wb = openpyxl.load_workbook(target)
    cells = [cell for row in wb["Theo đơn vị"].iter_rows() for cell in row
             if cell.value in set(NAMES.values())]
    assert {cell.value for cell in cells} == {v for k, v in NAMES.items() if k in units}
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells
               if cell.value[0] in "=+-@")


def test_formats_are_few_and_shared(path):
    """Formats are created once per look: the style table does not grow
    with the number of cells."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/styles.xml").decode("utf-8")
    count = int(re.search(r'<cellXfs count="(\d+)"', xml).group(1))
    assert count < 80


def test_look_of_styles_py(path):
    wb = openpyxl.load_workbook(path)
    ws = wb["Tổng hợp"]
    assert ws.column_dimensions["B"].width == 56  # as set, not XlsxWriter's padded width
    title = ws["A1"]
    assert (title.font.name, title.font.sz, title.font.b) == (styles.FONT_NAME, 14, True)
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    header = ws["A4"]
    assert header.fill.fgColor.rgb[-6:] == styles.HEADER_FILL
    assert header.border.left.style == styles.BORDER_STYLE
    assert header.border.left.color.rgb[-6:] == styles.BORDER_COLOR
    assert ws.oddFooter.center.font == styles.FONT_NAME and ws.oddFooter.center.size == 10
    assert ws.page_margins.left == pytest.approx(styles.MARGINS[0] / 72)
    units = wb["Theo đơn vị"]
    merged = {str(r) for r in units.merged_cells.ranges}
    assert {"A4:A6", "B4:B6", "C4:C6"} <= merged  # the fixed headers merged down
    assert units["A4"].value == "STT" and units["D5"].value  # and the rows beside them written
    assert units.row_dimensions[4].height == 36


def test_form_sheet_validations_and_signature(path):
    ws = openpyxl.load_workbook(path)["Biểu tổng hợp"]
    kinds = {dv.type: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert set(kinds) == {"whole", "decimal"}
    code_col, value_col = 3, 5
    rows = {ws.cell(r, code_col).value: r for r in range(1, ws.max_row + 1)}
    whole = set(kinds["whole"].split())
    assert f"E{rows['MH_TONG']}" in whole and f"E{rows['NHA_DDK_TIEN']}" in kinds["decimal"]
    assert f"E{rows['DON_TYLE']}" not in whole | set(kinds["decimal"].split())  # computed
    assert ws.cell(rows["DON_TYLE"], 6).value == "Tính lại từ số liệu thành phần"
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "THỦ TRƯỞNG ĐƠN VỊ" in texts and "Đồng Xoài, ngày …… tháng …… năm ……" in texts
    assert ws.print_area == f"'Biểu tổng hợp'!$A$1:$F${ws.max_row}"
    assert ws.cell(rows["MH_TONG"], value_col).number_format == "#,##0"


def test_model_dropdowns_from_a_hidden_column_when_labels_have_commas(tmp_path):
    c = make_consolidation()
    fields = [ModelCategory("Kinh tế, nông nghiệp", "KT"), ModelCategory("Văn hóa – xã hội", "VH")]
    c = dataclasses.replace(c, catalog=dataclasses.replace(c.catalog, model_fields=fields))
    ws = openpyxl.load_workbook(write_workbook(c, tmp_path / "t.xlsx"))["Danh sách mô hình"]
    hidden = [letter for letter, d in ws.column_dimensions.items() if d.hidden]
    assert len(hidden) == 1
    letter = hidden[0]
    assert [ws[f"{letter}{r}"].value for r in (4, 5)] == [f.label for f in fields]
    field = next(dv for dv in ws.data_validations.dataValidation if dv.errorTitle == "Lĩnh vực")
    assert field.formula1 == f"${letter}$4:${letter}$5"
    assert str(field.sqref) == "D4:D6"
    kind = next(dv for dv in ws.data_validations.dataValidation if dv.errorTitle == "Loại mô hình")
    assert kind.formula1.startswith('"')  # short and without commas: inline
