"""The consolidated workbook: built from a hand-made tidy table through
aggregation.consolidate, written, and opened again like a user (or the
reader one level up) would."""

from __future__ import annotations

import io
import os

import openpyxl
import pandas as pd
import pytest

from dvk_cli.aggregation import MODEL_COLUMNS, TIDY_COLUMNS, Source, UnitInfo, consolidate
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.config import Organization
from dvk_cli.core.findings import Finding
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.core.units import Unit
from dvk_cli.outputs.workbook import build_workbook, write_workbook
from dvk_cli.reading.dispatch import read_return

CAT = default_catalog()
# without history: no comparison sheet and no "Xu hướng" (only with two periods or more)
SHEETS = ["Tổng hợp", "Theo đơn vị", "Danh sách mô hình", "Kiểm tra", "Nguồn", "Biểu tổng hợp"]
ORG = Organization(name="Ban Dân vận Tỉnh ủy Thử nghiệm", code="THUNGHIEM", area="toàn tỉnh",
                   place="Đồng Xoài")
NAMES = {"BUDANG": "Huyện Bù Đăng", "BUDOP": "Huyện Bù Đốp", "DONGXOAI": "Thành phố Đồng Xoài",
         "PHUOCLONG": "Thị xã Phước Long"}
DATA = {
    "BUDANG": {"MH_TONG": 10, "MH_TAPTHE": 6, "DON_NHAN": 20, "DON_GQ": 18,
               "NHA_DDK_SO": 2, "NHA_DDK_TIEN": 100.5},
    "BUDOP": {"MH_TONG": 6, "MH_TAPTHE": 2, "DON_NHAN": 30, "DON_GQ": 15,
              "NHA_DDK_TIEN": 20.25, "DUONG_DIEN_KM": 3.5},
    "DONGXOAI": {"MH_TONG": 1, "DON_NHAN": 50, "DON_GQ": 50, "NHA_TN_SO": 1},
}
MODELS = [
    ("BUDANG", "Mô hình “Dân vận khéo” trong xây dựng nông thôn mới", "Kinh tế", "Tập thể", True),
    ("DONGXOAI", "=SUM(A1)", "Văn hóa – xã hội", "Cá nhân", False),
    ("BUDOP", "Tổ tự quản an ninh trật tự", "Quốc phòng – an ninh", "Tập thể", True),
]


def make_consolidation(findings=None, data=DATA, models=MODELS):
    rows = [(u, "2024", code, v, f"{u.lower()}.xlsx", "Biểu số liệu", f"E{10 + i}", "mã", "")
            for u, values in data.items() for i, (code, v) in enumerate(values.items())]
    values = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    mrows = [(u, i + 1, name, field, kind, exemplary, "Hội Nông dân", "", f"{u.lower()}.xlsx",
              "Danh sách mô hình", 4 + i)
             for i, (u, name, field, kind, exemplary) in enumerate(models)]
    model_df = pd.DataFrame(mrows, columns=MODEL_COLUMNS)
    units = {u: UnitInfo(u, NAMES[u], "Địa phương", f"{u.lower()}.xlsx") for u in data}
    if findings is None:
        findings = [
            Finding("warning", "MH_LOAI", "Tổng số mô hình (10) khác tập thể + cá nhân (6)",
                    file="budang.xlsx", sheet="Biểu số liệu", cell="E14", unit="BUDANG",
                    indicator="MH_TONG"),
            Finding("error", "not_a_number", "Văn bản chỉ đạo (VB_SO): “năm” không đọc được là số",
                    file="budop.xlsx", sheet="Biểu số liệu", cell="E10", unit="BUDOP",
                    indicator="VB_SO"),
        ]
    sources = [Source(f"{u.lower()}.xlsx", f"{i:064x}", u, NAMES[u], "2024", "dùng",
                      len(v), sum(1 for m in models if m[0] == u))
               for i, (u, v) in enumerate(data.items(), start=1)]
    sources.append(Source("hong.xlsx", "f" * 64, status="không đọc được"))
    return consolidate(
        values, model_df, units, period=Period(2024, "Y"), organization=ORG, catalog=CAT,
        registry_units=[Unit(code, name) for code, name in NAMES.items()],
        findings=findings, sources=sources,
    )


def built(c):
    """The workbook of `c` (written by XlsxWriter) as openpyxl reads it back."""
    buffer = io.BytesIO()
    build_workbook(c, buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def hand_totals(data=DATA):
    out = {}
    for values in data.values():
        for code, v in values.items():
            out[code] = out.get(code, 0) + v
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    c = make_consolidation()
    path = write_workbook(c, folder / "tong-hop-2024.xlsx")
    assert path == folder / "tong-hop-2024.xlsx"
    return c, path, openpyxl.load_workbook(path)


def find_header(ws, headers):
    for row in ws.iter_rows():
        texts = [c.value for c in row]
        if all(h in texts for h in headers):
            return row[0].row, {c.value: c.column for c in row if c.value in headers}
    raise AssertionError(f"no header {headers} on {ws.title}")


def rows_after(ws, header_row):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=header_row + 1)]


# ------------------------------------------------------------------ structure

def test_sheet_names_in_order(written):
    _, _, wb = written
    assert wb.sheetnames == SHEETS


def test_print_setup_on_every_sheet(written):
    _, _, wb = written
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        # one page wide; the orientation that takes fewer pages (tests/outputs/test_workbook_print.py)
        # fitToWidth absent is 1, the OOXML default (XlsxWriter writes only other values)
        assert int(ws.page_setup.fitToWidth or 1) == 1, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.orientation in ("portrait", "landscape"), ws.title
        assert ws.print_title_rows, ws.title
        assert ws.freeze_panes, ws.title
        title = ws["A1"]
        assert title.value and title.font.name == "Times New Roman" and title.font.b
    assert wb["Tổng hợp"]["A1"].value == "TỔNG HỢP SỐ LIỆU CÔNG TÁC DÂN VẬN – NĂM 2024"
    assert wb["Theo đơn vị"].print_title_cols == "$A:$C"


def test_no_formulas_anywhere(written):
    _, _, wb = written
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)


# ------------------------------------------------------------------ Tổng hợp

def test_totals_sheet(written):
    c, _, wb = written
    ws = wb["Tổng hợp"]
    hrow, cols = find_header(ws, ["STT", "Chỉ tiêu", "Mã", "Đơn vị tính", "Tổng cộng",
                                  "Số đơn vị báo cáo"])
    assert not any(c.value == "Số liệu" for row in ws.iter_rows() for c in row)
    totals, reporting, fills = {}, {}, {}
    for r in range(hrow + 1, ws.max_row + 1):
        code = ws.cell(r, cols["Mã"]).value
        if code in CAT:
            totals[code] = ws.cell(r, cols["Tổng cộng"]).value
            reporting[code] = ws.cell(r, cols["Số đơn vị báo cáo"]).value
            fills[code] = ws.cell(r, cols["Tổng cộng"]).fill.fill_type
    assert list(totals) == CAT.codes
    expected = hand_totals()
    for code in CAT.input_codes:
        if code in expected:
            assert totals[code] == pytest.approx(expected[code]), code
        else:
            assert totals[code] is None, code  # nobody reported: empty, not 0
    assert totals["NHA_DDK_TIEN"] == pytest.approx(120.75)
    assert totals["NHA_TIEN"] == pytest.approx(120.75)
    assert totals["NHA_SO"] == 3
    # ratio recomputed from the summed parts, not the sum (or mean) of unit ratios
    assert totals["DON_TYLE"] == pytest.approx((18 + 15 + 50) / (20 + 30 + 50) * 100)
    assert totals["DON_TYLE"] != pytest.approx(90 + 50 + 100)
    assert totals["HS_TYLE"] is None
    assert reporting["MH_TONG"] == 3 and reporting["DUONG_DIEN_KM"] == 1
    assert reporting["QUA_SO"] == 0
    assert all(fills[i.code] == "solid" for i in CAT.computed)
    # group rows like the form
    labels = [ws.cell(r, cols["Chỉ tiêu"]).value for r in range(hrow + 1, ws.max_row + 1)]
    for group in CAT.groups.values():
        assert group.title in labels


def test_number_formats(written):
    _, _, wb = written
    ws = wb["Tổng hợp"]
    hrow, cols = find_header(ws, ["Mã", "Tổng cộng"])
    fmt = {ws.cell(r, cols["Mã"]).value: ws.cell(r, cols["Tổng cộng"]).number_format
           for r in range(hrow + 1, ws.max_row + 1)}
    assert fmt["MH_TONG"] == "#,##0"
    assert fmt["NHA_DDK_TIEN"] == "#,##0.0#"
    assert fmt["DON_TYLE"] == "0.0"


# ------------------------------------------------------------------ Theo đơn vị

def test_units_sheet(written):
    c, _, wb = written
    ws = wb["Theo đơn vị"]
    code_row = next(row[0].row for row in ws.iter_rows() if any(x.value == "MH_TONG" for x in row))
    col = {ws.cell(code_row, j).value: j for j in range(1, ws.max_column + 1)
           if ws.cell(code_row, j).value in CAT}
    assert list(col) == CAT.codes
    # the short label is right above its code
    for code, j in col.items():
        assert ws.cell(code_row - 1, j).value == CAT[code].short
    hrow, fixed = find_header(ws, ["STT", "Mã đơn vị", "Đơn vị"])
    assert hrow < code_row
    units = {}
    total_row = None
    for r in range(code_row + 1, ws.max_row + 1):
        if ws.cell(r, 1).value == "Tổng cộng":
            total_row = r
            break
        units[ws.cell(r, fixed["Mã đơn vị"]).value] = r
    assert list(units) == list(DATA)  # c.units order
    for u, r in units.items():
        assert ws.cell(r, fixed["Đơn vị"]).value == NAMES[u]
        for code in CAT.input_codes:
            # Bù Đốp's VB_SO was not used (not_a_number): said, never a bare blank
            expected = "bị loại" if (u, code) == ("BUDOP", "VB_SO") else DATA[u].get(code)
            assert ws.cell(r, col[code]).value == expected, (u, code)
        assert ws.cell(r, col["DON_TYLE"]).value == pytest.approx(
            DATA[u]["DON_GQ"] / DATA[u]["DON_NHAN"] * 100)
    assert total_row is not None
    expected = hand_totals()
    for code in CAT.input_codes:
        value = ws.cell(total_row, col[code]).value
        assert value == (pytest.approx(expected[code]) if code in expected else None), code
    assert ws.cell(total_row, col["DON_TYLE"]).value == pytest.approx(83.0)
    assert ws.cell(total_row, col["NHA_SO"]).value == 3
    assert ws.freeze_panes == f"D{code_row + 1}"


# ------------------------------------------------------------------ models

def test_models_sheet(written):
    _, _, wb = written
    ws = wb["Danh sách mô hình"]
    header = ["STT", "Đơn vị báo cáo", "Tên mô hình", "Lĩnh vực", "Loại", "Tiêu biểu",
              "Đơn vị, người thực hiện", "Ghi chú"]
    hrow, cols = find_header(ws, header)
    assert [ws.cell(hrow, j).value for j in range(1, 9)] == header
    rows = [r for r in rows_after(ws, hrow) if r[cols["Tên mô hình"] - 1]]
    got = [(r[cols["Đơn vị báo cáo"] - 1], r[cols["Tên mô hình"] - 1], r[cols["Tiêu biểu"] - 1])
           for r in rows]
    # in c.units order, with unit names
    assert got == [
        ("Huyện Bù Đăng", MODELS[0][1], "x"),
        ("Huyện Bù Đốp", MODELS[2][1], "x"),
        ("Thành phố Đồng Xoài", "=SUM(A1)", None),
    ]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "=SUM(A1)")
    assert cell.data_type == "s"


# ------------------------------------------------------------------ Kiểm tra

def test_checks_sheet(written):
    _, _, wb = written
    ws = wb["Kiểm tra"]
    headers = ["STT", "Mức độ", "Đơn vị", "Tệp", "Trang", "Ô", "Chỉ tiêu", "Nội dung"]
    hrow, cols = find_header(ws, headers)
    rows = rows_after(ws, hrow)
    first, second = rows[0], rows[1]
    assert first[cols["Mức độ"] - 1] == "Lỗi"  # errors first
    assert first[cols["Đơn vị"] - 1] == "Huyện Bù Đốp"
    assert first[cols["Tệp"] - 1] == "budop.xlsx"
    assert first[cols["Ô"] - 1] == "E10"
    assert "VB_SO" in first[cols["Chỉ tiêu"] - 1]
    assert "năm" in first[cols["Nội dung"] - 1]
    assert second[cols["Mức độ"] - 1] == "Cảnh báo"
    assert second[cols["Trang"] - 1] == "Biểu số liệu"
    missing = [r for r in rows if "Chưa nộp báo cáo" in r]
    assert len(missing) == 1 and NAMES["PHUOCLONG"] in missing[0]


def test_checks_sheet_without_findings(tmp_path):
    c = make_consolidation(findings=[])
    ws = built(c)["Kiểm tra"]
    text = [str(x.value) for row in ws.iter_rows() for x in row if x.value]
    assert any("Không phát hiện" in t for t in text)
    assert "Lỗi" not in text and "Cảnh báo" not in text


# ------------------------------------------------------------------ Nguồn

def test_sources_sheet(written):
    c, _, wb = written
    ws = wb["Nguồn"]
    headers = ["STT", "Tệp", "SHA-256", "Mã đơn vị", "Đơn vị", "Kỳ báo cáo",
               "Số chỉ tiêu đọc được", "Số mô hình", "Tình trạng"]
    hrow, cols = find_header(ws, headers)
    assert [ws.cell(hrow, j).value for j in range(1, 10)] == headers
    rows = [r for r in rows_after(ws, hrow) if r[cols["Tệp"] - 1]]
    assert len(rows) == len(c.sources) == 4
    by_file = {r[cols["Tệp"] - 1]: r for r in rows}
    bd = by_file["budang.xlsx"]
    assert bd[cols["SHA-256"] - 1] == f"{1:064x}"
    assert bd[cols["Mã đơn vị"] - 1] == "BUDANG" and bd[cols["Đơn vị"] - 1] == "Huyện Bù Đăng"
    assert parse_period(bd[cols["Kỳ báo cáo"] - 1]) == Period(2024, "Y")
    assert bd[cols["Số chỉ tiêu đọc được"] - 1] == len(DATA["BUDANG"])
    assert bd[cols["Số mô hình"] - 1] == 1
    assert by_file["hong.xlsx"][cols["Tình trạng"] - 1] == "Không đọc được"


# ------------------------------------------------------------------ Biểu tổng hợp

def test_form_sheet_carries_the_totals(written):
    c, _, wb = written
    ws = wb["Biểu tổng hợp"]
    hrow, cols = find_header(ws, ["STT", "Chỉ tiêu", "Mã", "Đơn vị tính", "Số liệu", "Ghi chú"])
    values = {}
    for r in range(hrow + 1, ws.max_row + 1):
        code = ws.cell(r, cols["Mã"]).value
        if code in CAT:
            values[code] = ws.cell(r, cols["Số liệu"]).value
    assert list(values) == CAT.codes
    for code in CAT.codes:
        if code in c.totals:
            assert values[code] == pytest.approx(c.totals[code]), code
        else:
            assert values[code] is None, code
    labels = {x.value: x for row in ws.iter_rows() for x in row
              if x.value in ("Đơn vị báo cáo", "Mã đơn vị", "Kỳ báo cáo")}
    right = {k: ws.cell(v.row, v.column + 1).value for k, v in labels.items()}
    assert right["Đơn vị báo cáo"] == ORG.name and right["Mã đơn vị"] == ORG.code
    assert parse_period(right["Kỳ báo cáo"]) == c.period


def test_workbook_reads_back_as_a_return(written):
    """One level up, the consolidated file is itself a return."""
    c, path, _ = written
    data = read_return(path, CAT)
    assert data.readable and data.sheet == "Biểu tổng hợp"
    assert not data.findings
    assert (data.unit_text, data.unit_code_text) == (ORG.name, ORG.code)
    assert parse_period(data.period_text) == c.period
    got = {v.code: v.value for v in data.values}
    assert got == pytest.approx({k: v for k, v in c.totals.items() if not CAT[k].computed})
    assert {v.code: v.value for v in data.computed} == pytest.approx(
        {k: v for k, v in c.totals.items() if CAT[k].computed})
    assert len(data.models) == len(MODELS)


def test_write_is_atomic_and_replaces(tmp_path):
    target = tmp_path / "tong-hop-2024.xlsx"
    target.write_bytes(b"old")
    write_workbook(make_consolidation(), target)
    assert os.listdir(tmp_path) == ["tong-hop-2024.xlsx"]  # no temp file left
    assert openpyxl.load_workbook(target).sheetnames == SHEETS


def test_empty_consolidation(tmp_path):
    c = make_consolidation(findings=[], data={}, models=[])
    assert c.totals == {}
    wb = openpyxl.load_workbook(write_workbook(c, tmp_path / "t.xlsx"))
    ws = wb["Tổng hợp"]
    hrow, cols = find_header(ws, ["Mã", "Tổng cộng"])
    assert all(ws.cell(r, cols["Tổng cộng"]).value is None for r in range(hrow + 1, ws.max_row + 1))
    missing = [r for r in rows_after(wb["Kiểm tra"], 1) if "Chưa nộp báo cáo" in r]
    assert len(missing) == len(NAMES)
