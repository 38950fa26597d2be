"""The return form written by `dvk template` and the folder written by `dvk init`:
every check opens the real .xlsx again (openpyxl, and calamine as the reader does)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from dvk_cli.core.catalog import catalog_for, default_catalog
from dvk_cli.core.config import Organization, load_config
from dvk_cli.core.periods import parse_period
from dvk_cli.core.units import Unit
from dvk_cli.outputs.forms import (
    build_form,
    fill_form_sheet,
    init_folder,
    write_form,
    write_unit_forms,
)
from dvk_cli.outputs.styles import FONT_NAME, GREY
from dvk_cli.reading.dispatch import read_return

CAT = default_catalog()
HEADERS = ["STT", "Chỉ tiêu", "Mã", "Đơn vị tính", "Số liệu", "Ghi chú"]
MODEL_HEADERS = ["STT", "Tên mô hình", "Lĩnh vực", "Loại", "Tiêu biểu", "Đơn vị, người thực hiện",
                 "Ghi chú"]
ORG = Organization(name="Ban Dân vận Tỉnh ủy Bình Phước", code="BINHPHUOC", place="Đồng Xoài")
FORMULA_LIKE = ["=SUM(A1)", "+84 912", "-abc", "@x"]


# ------------------------------------------------------------------ helpers

def header_row(ws, headers):
    for row in ws.iter_rows():
        texts = [c.value for c in row]
        if all(h in texts for h in headers):
            return row[0].row, {c.value: c.column for c in row if c.value in headers}
    raise AssertionError(f"no header row {headers} on {ws.title}")


def code_rows(ws):
    """{code: row} below the table header, found by the header texts."""
    hrow, cols = header_row(ws, HEADERS)
    out = {}
    for r in range(hrow + 1, ws.max_row + 1):
        value = ws.cell(r, cols["Mã"]).value
        if isinstance(value, str) and value in CAT:
            assert value not in out, f"{value} twice"
            out[value] = r
    return out, cols


def label_value(ws, label):
    """The value in the cell immediately right of a header label."""
    hits = [c for row in ws.iter_rows() for c in row if c.value == label]
    assert len(hits) == 1, f"label {label!r} found {len(hits)} times"
    return ws.cell(hits[0].row, hits[0].column + 1).value


def covering(validations, ref):
    return [dv for dv in validations if any(ref in rng for rng in dv.sqref.ranges)]


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms") / "mau.xlsx"
    assert write_form(path, CAT) == path
    return path


# ------------------------------------------------------------------ layout

def test_sheets_in_order(blank):
    wb = openpyxl.load_workbook(blank)
    assert wb.sheetnames == ["Biểu số liệu", "Danh sách mô hình", "Hướng dẫn"]


def test_header_block_and_table_header(blank):
    ws = openpyxl.load_workbook(blank)["Biểu số liệu"]
    label_cells = {c.value: c for row in ws.iter_rows() for c in row
                   if c.value in ("Đơn vị báo cáo", "Mã đơn vị", "Kỳ báo cáo")}
    assert set(label_cells) == {"Đơn vị báo cáo", "Mã đơn vị", "Kỳ báo cáo"}
    hrow, cols = header_row(ws, HEADERS)
    for cell in label_cells.values():
        assert cell.row < hrow  # the header block is above the table
        # the value cell right of the label is a real (top-left) cell, empty on a blank form
        right = ws.cell(cell.row, cell.column + 1)
        assert not isinstance(right, openpyxl.cell.cell.MergedCell)
        assert right.value is None
    # exact header texts, left to right, in one row
    assert [ws.cell(hrow, c).value for c in range(cols["STT"], cols["STT"] + 6)] == HEADERS


def test_every_code_exactly_once_in_order(blank):
    ws = openpyxl.load_workbook(blank)["Biểu số liệu"]
    hrow, cols = header_row(ws, HEADERS)
    codes = [ws.cell(r, cols["Mã"]).value for r in range(hrow + 1, ws.max_row + 1)]
    codes = [c for c in codes if c]
    assert Counter(codes) == Counter(CAT.codes)
    assert codes == CAT.codes  # catalog (form) order
    rows, _ = code_rows(ws)
    for code, r in rows.items():
        ind = CAT[code]
        assert ws.cell(r, cols["Chỉ tiêu"]).value == ind.label
        assert ws.cell(r, cols["Đơn vị tính"]).value == ind.unit


def test_groups_and_stt(blank):
    ws = openpyxl.load_workbook(blank)["Biểu số liệu"]
    hrow, cols = header_row(ws, HEADERS)
    rows, _ = code_rows(ws)
    titles = {g.title: g.roman for g in CAT.groups.values()}
    found = {}
    for r in range(hrow + 1, ws.max_row + 1):
        label = ws.cell(r, cols["Chỉ tiêu"]).value
        if label in titles:
            found[label] = ws.cell(r, cols["STT"]).value
            assert ws.cell(r, cols["Mã"]).value is None
            assert ws.cell(r, cols["Chỉ tiêu"]).font.b
    assert found == titles
    for code, r in rows.items():
        stt = ws.cell(r, cols["STT"]).value
        if CAT[code].parent:
            assert stt == "-"
            assert ws.cell(r, cols["Chỉ tiêu"]).alignment.indent > 0
        else:
            assert isinstance(stt, int) and stt >= 1
    # STT restarts in each group
    first_of_group = {CAT.in_group(k)[0].code for k in CAT.groups if CAT.in_group(k)}
    assert {ws.cell(rows[c], cols["STT"]).value for c in first_of_group} == {1}


def test_computed_rows_have_formulas_over_their_operands(blank):
    ws = openpyxl.load_workbook(blank)["Biểu số liệu"]
    rows, cols = code_rows(ws)
    vcol = openpyxl.utils.get_column_letter(cols["Số liệu"])
    ref = {code: f"{vcol}{r}" for code, r in rows.items()}
    assert CAT.computed
    for ind in CAT.computed:
        cell = ws[ref[ind.code]]
        formula = cell.value
        assert isinstance(formula, str) and formula.startswith("="), ind.code
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(GREY)
        assert ws.cell(rows[ind.code], cols["Chỉ tiêu"]).fill.fgColor.rgb.endswith(GREY)
        used = set(re.findall(r"\b[A-Z]{1,3}\d+\b", formula))
        assert used == {ref[c] for c in ind.operands}, (ind.code, formula)
        if ind.operation == "sum":
            assert f"SUM({','.join(ref[c] for c in ind.operands)})" in formula
            assert "COUNT(" in formula  # blank when no part is reported
        else:
            num, den = ind.operands
            assert f"{ref[num]}/{ref[den]}*100" in formula
            assert f"N({ref[den]})=0" in formula  # no division by zero
    for code in CAT.input_codes:
        cell = ws[ref[code]]
        assert cell.value is None and cell.fill.fill_type is None


def test_inputs_have_validations(blank):
    ws = openpyxl.load_workbook(blank)["Biểu số liệu"]
    rows, cols = code_rows(ws)
    vcol = openpyxl.utils.get_column_letter(cols["Số liệu"])
    dvs = ws.data_validations.dataValidation
    for code, r in rows.items():
        ref = f"{vcol}{r}"
        found = covering(dvs, ref)
        ind = CAT[code]
        if ind.computed:
            assert not found, code
            continue
        assert len(found) == 1, code
        dv = found[0]
        assert dv.type == ("whole" if ind.type == "count" else "decimal"), code
        assert dv.operator == "greaterThanOrEqual" and dv.formula1 == "0"
        assert dv.showErrorMessage and dv.allow_blank
        assert "không âm" in dv.error and "trống" in dv.error


def test_model_sheet_header_and_dropdowns(blank):
    ws = openpyxl.load_workbook(blank)["Danh sách mô hình"]
    hrow, cols = header_row(ws, MODEL_HEADERS)
    assert [ws.cell(hrow, c).value for c in range(1, 8)] == MODEL_HEADERS
    first = hrow + 1
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]

    def dropdown(header):
        ref = f"{openpyxl.utils.get_column_letter(cols[header])}{first}"
        (dv,) = covering(lists, ref)
        # at least 500 rows are covered
        last = f"{openpyxl.utils.get_column_letter(cols[header])}{first + 499}"
        assert covering([dv], last)
        return [x.strip('"') for x in dv.formula1.strip('"').split(",")]

    assert dropdown("Lĩnh vực") == [c.label for c in CAT.model_fields]
    assert dropdown("Loại") == [c.label for c in CAT.model_kinds]
    assert dropdown("Tiêu biểu") == ["x"]
    assert ws.freeze_panes == f"A{first}"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows == f"${hrow}:${hrow}"


def test_print_setup_freeze_and_fonts(blank):
    ws = openpyxl.load_workbook(blank)["Biểu số liệu"]
    hrow, cols = header_row(ws, HEADERS)
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == f"${hrow}:${hrow}"
    assert ws.freeze_panes == f"A{hrow + 1}"
    rows, _ = code_rows(ws)
    for r in list(rows.values())[:5]:
        for c in range(1, 7):
            cell = ws.cell(r, c)
            assert cell.font.name == FONT_NAME
            assert cell.border.left.style == "thin"
    assert ws.cell(rows["MH_TONG"], cols["Chỉ tiêu"]).alignment.wrap_text
    assert ws.column_dimensions["B"].width >= 40  # room for Vietnamese labels


def test_help_sheet(blank):
    ws = openpyxl.load_workbook(blank)["Hướng dẫn"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for needle in ("triệu đồng", "km", "để trống", "khác với số 0", "“Mã”", "Danh sách mô hình"):
        assert needle in text, needle


# ------------------------------------------------------------------ prefilled

def test_fill_form_sheet_returns_value_cells(tmp_path):
    values = {"MH_TONG": 12, "NHA_DDK_TIEN": 150.5, "DUONG_DIEN_KM": 3.25, "DON_NHAN": 40}
    wb = openpyxl.Workbook()
    refs = fill_form_sheet(wb.active, CAT, unit_name="Huyện Bù Đăng", unit_code="BUDANG",
                           period_text="Năm 2024", values=values)
    assert set(refs) == set(CAT.codes)
    path = tmp_path / "f.xlsx"
    wb.save(path)
    ws = openpyxl.load_workbook(path).active
    rows, cols = code_rows(ws)
    for code, ref in refs.items():
        assert ref == f"{openpyxl.utils.get_column_letter(cols['Số liệu'])}{rows[code]}"
    for code, value in values.items():
        assert ws[refs[code]].value == value
    assert ws[refs["NHA_DDK_TIEN"]].number_format == "#,##0.0#"
    assert ws[refs["MH_TONG"]].number_format == "#,##0"
    assert ws[refs["DON_GQ"]].value is None  # not given: left empty, not 0
    assert label_value(ws, "Đơn vị báo cáo") == "Huyện Bù Đăng"
    assert label_value(ws, "Mã đơn vị") == "BUDANG"


def test_fill_form_sheet_value_mode(tmp_path):
    wb = openpyxl.Workbook()
    refs = fill_form_sheet(wb.active, CAT, values={"DON_NHAN": 10, "DON_GQ": 9, "DON_TYLE": 90},
                           computed="value")
    path = tmp_path / "v.xlsx"
    wb.save(path)
    ws = openpyxl.load_workbook(path).active
    assert ws[refs["DON_TYLE"]].value == 90
    assert ws[refs["DON_TYLE"]].number_format == "0.0"
    assert ws[refs["HS_TYLE"]].value is None  # no formula, no value
    assert not any(isinstance(c.value, str) and c.value.startswith("=")
                   for row in ws.iter_rows() for c in row)


def test_prefilled_form_values_models_and_reader(tmp_path):
    unit = Unit("BUDANG", "Huyện Bù Đăng", "Địa phương")
    period = parse_period("2024-H1")
    values = {"MH_TONG": 4, "MH_TAPTHE": 3, "MH_CANHAN": 1, "NHA_DDK_SO": 2,
              "NHA_DDK_TIEN": 120.5, "DON_NHAN": 10, "DON_GQ": 9}
    models = [
        {"name": name, "field": "Kinh tế", "kind": "Tập thể", "exemplary": i == 0,
         "implementer": "Hội Nông dân xã", "note": ""}
        for i, name in enumerate(FORMULA_LIKE)
    ]
    path = write_form(tmp_path / "bd.xlsx", CAT, unit=unit, period=period, organization=ORG,
                      values=values, models=models)
    wb = openpyxl.load_workbook(path)
    ws = wb["Biểu số liệu"]
    rows, cols = code_rows(ws)
    for code, value in values.items():
        assert ws.cell(rows[code], cols["Số liệu"]).value == value
    assert label_value(ws, "Đơn vị báo cáo") == unit.name
    assert label_value(ws, "Mã đơn vị") == unit.code
    assert parse_period(label_value(ws, "Kỳ báo cáo")) == period

    ms = wb["Danh sách mô hình"]
    hrow, mcols = header_row(ms, MODEL_HEADERS)
    names = [ms.cell(hrow + 1 + i, mcols["Tên mô hình"]) for i in range(len(models))]
    assert [c.value for c in names] == FORMULA_LIKE
    assert all(c.data_type == "s" for c in names)  # text, never formulas
    marks = [ms.cell(hrow + 1 + i, mcols["Tiêu biểu"]).value for i in range(len(models))]
    assert marks == ["x", None, None, None]

    # the reader gets back exactly what was written
    data = read_return(path, CAT)
    assert data.readable and not data.findings
    assert {v.code: v.value for v in data.values} == values
    assert (data.unit_text, data.unit_code_text) == (unit.name, unit.code)
    assert [m["name"] for m in data.models] == FORMULA_LIKE
    assert [m["exemplary"] for m in data.models] == [True, False, False, False]


def test_formula_like_header_text_is_stored_as_text(tmp_path):
    unit = Unit("X1", "=HYPERLINK(\"http://x\")")
    path = write_form(tmp_path / "x.xlsx", CAT, unit=unit)
    ws = openpyxl.load_workbook(path)["Biểu số liệu"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "Đơn vị báo cáo")
    right = ws.cell(cell.row, cell.column + 1)
    assert right.value == unit.name and right.data_type == "s"


def test_calamine_reads_codes_and_labels_in_nfc(tmp_path):
    nfd_name = unicodedata.normalize("NFD", "Huyện Bù Đăng")
    path = write_form(tmp_path / "c.xlsx", CAT, unit=Unit("BUDANG", nfd_name),
                      period=parse_period("2024"))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Biểu số liệu").to_python()
    hrow = next(i for i, row in enumerate(rows) if "Mã" in row and "Số liệu" in row)
    code_col, label_col = rows[hrow].index("Mã"), rows[hrow].index("Chỉ tiêu")
    found = {row[code_col]: row[label_col] for row in rows[hrow + 1:]
             if len(row) > code_col and row[code_col] in CAT}
    assert list(found) == CAT.codes
    for code, label in found.items():
        assert label == unicodedata.normalize("NFC", label) == CAT[code].label
    text = [v for row in rows for v in row if isinstance(v, str)]
    assert "Huyện Bù Đăng" in text  # stored NFC although given NFD
    assert all(v == unicodedata.normalize("NFC", v) for v in text)


# ------------------------------------------------------------------ unit forms

def test_write_unit_forms_one_per_unit(tmp_path):
    units = [Unit("BUDANG", "Huyện Bù Đăng"), Unit("DONGXOAI", "Thành phố Đồng Xoài")]
    period = parse_period("2024-H1")
    paths = write_unit_forms(tmp_path / "bieu", CAT, units, period=period, organization=ORG)
    assert [p.name for p in paths] == ["budang-2024-H1.xlsx", "dongxoai-2024-H1.xlsx"]
    assert sorted(p.name for p in (tmp_path / "bieu").iterdir()) == [p.name for p in paths]
    for unit, path in zip(units, paths, strict=True):
        ws = openpyxl.load_workbook(path)["Biểu số liệu"]
        assert label_value(ws, "Đơn vị báo cáo") == unit.name
        assert label_value(ws, "Mã đơn vị") == unit.code
        assert parse_period(label_value(ws, "Kỳ báo cáo")) == period
    plain = write_unit_forms(tmp_path / "khong-ky", CAT, units[:1])
    assert [p.name for p in plain] == ["budang.xlsx"]
    ws = openpyxl.load_workbook(plain[0])["Biểu số liệu"]
    assert label_value(ws, "Kỳ báo cáo") is None


def test_build_form_without_anything_is_blank():
    wb = build_form(CAT)
    ws = wb["Biểu số liệu"]
    assert label_value(ws, "Đơn vị báo cáo") is None
    assert wb.active.title == "Biểu số liệu"


# ------------------------------------------------------------------ dvk init

def test_init_folder_writes_loadable_config(tmp_path):
    name = 'Ban Dân vận Huyện ủy "Thử"'
    written = init_folder(tmp_path / "lam-viec", organization_name=name)
    config = tmp_path / "lam-viec" / "dvk.toml"
    assert config in written and config.is_file()
    assert (tmp_path / "lam-viec" / "returns").is_dir()
    text = config.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)
    assert "[organization]" in text and "# [[units]]" in text
    cfg = load_config(config)
    assert cfg.organization.name == name
    assert cfg.organization.area == "toàn tỉnh"
    assert list(cfg.registry) == []

    # The commented examples (tables and key = value lines) are valid once uncommented.
    example = re.compile(r"^# ((?:\[\[?[a-z_.]+\]\]?)|(?:[a-z_]+ = .*))$")
    uncommented = "\n".join(
        m.group(1) if (m := example.match(line)) else line for line in text.splitlines()
    )
    config.write_text(uncommented, encoding="utf-8")
    cfg = load_config(config)
    units = list(cfg.registry)
    assert len(units) >= 2 and all(u.code and u.name for u in units)
    catalog = catalog_for(cfg)  # the example indicator extension applies
    assert len(catalog.indicators) > len(default_catalog().indicators)


def test_init_folder_refuses_to_overwrite(tmp_path):
    init_folder(tmp_path)
    config = tmp_path / "dvk.toml"
    config.write_text('[organization]\nname = "Của tôi"\n', encoding="utf-8")
    with pytest.raises(FileExistsError) as exc:
        init_folder(tmp_path, organization_name="Khác")
    assert "dvk.toml" in str(exc.value)
    assert config.read_text(encoding="utf-8") == '[organization]\nname = "Của tôi"\n'
    assert load_config(config).organization.name == "Của tôi"


def test_init_folder_default_name(tmp_path):
    init_folder(tmp_path / "a")
    cfg = load_config(tmp_path / "a" / "dvk.toml")
    assert cfg.organization.name == "Ban Dân vận"


def test_dropdown_labels_with_commas_use_a_hidden_list(tmp_path):
    import dataclasses

    from dvk_cli.core.catalog import ModelCategory
    from dvk_cli.outputs.forms import fill_model_sheet

    fields = [ModelCategory("Kinh tế, dịch vụ", "MH_KT"), ModelCategory("Văn hóa – xã hội", "MH_VHXH")]
    cat = dataclasses.replace(CAT, model_fields=fields)
    wb = openpyxl.Workbook()
    fill_model_sheet(wb.active, cat, validation_rows=50)
    wb.save(tmp_path / "m.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "m.xlsx").active
    hrow, cols = header_row(ws, MODEL_HEADERS)
    ref = f"{openpyxl.utils.get_column_letter(cols['Lĩnh vực'])}{hrow + 1}"
    (dv,) = covering(ws.data_validations.dataValidation, ref)
    assert dv.type == "list" and not dv.formula1.startswith('"')
    listed = [c.value for row in ws[dv.formula1.replace("$", "")] for c in row]
    assert listed == ["Kinh tế, dịch vụ", "Văn hóa – xã hội"]
    letter = dv.formula1.split("$")[1]
    assert ws.column_dimensions[letter].hidden
