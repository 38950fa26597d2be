"""The reader on returns laid out in many ways, and on broken files."""

from __future__ import annotations

import random
import unicodedata
import zipfile

import pytest
from helpers import (
    consistent_values,
    find_row,
    return_grid,
    write_ods,
    write_xls,
    write_xlsx,
)

from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.cells import cell_ref
from dvk_cli.reading.dispatch import find_returns, read_return

CAT = default_catalog()


def values_of(data):
    return {v.code: v.value for v in data.values}


def rules(data):
    return [f.rule for f in data.findings]


def test_reads_codes_values_header_and_cells(tmp_path):
    grid = return_grid(consistent_values(10), unit="Huyện Bù Đăng", code="BUDANG", period="2024")
    path = write_xlsx(grid, tmp_path / "a.xlsx")
    data = read_return(path, CAT)
    assert data.readable and data.findings == []
    assert values_of(data) == consistent_values(10)
    assert (data.unit_text, data.unit_code_text, data.period_text) == ("Huyện Bù Đăng", "BUDANG", "2024")
    # provenance: the cell of MH_TONG is the Số liệu column (E) of its row
    row = find_row(grid["Biểu số liệu"], "MH_TONG")
    cell = next(v.cell for v in data.values if v.code == "MH_TONG")
    assert cell == cell_ref(row, 4)
    assert data.sheet == "Biểu số liệu"


def test_rows_moved_inserted_deleted_and_sheet_renamed(tmp_path):
    values = consistent_values(10)
    grid = return_grid(values, sheet="Số liệu quý", extra_top=3)
    rows = grid.pop("Số liệu quý")
    header_at = next(i for i, r in enumerate(rows) if r[:1] == ["STT"])
    head, body = rows[: header_at + 1], rows[header_at + 1:]
    random.Random(7).shuffle(body)  # rows moved
    body = [r for r in body if r[2] != "VB_SO"]  # row deleted
    body.insert(5, [None] * 6)  # blank rows inserted
    body.insert(9, ["", "Dòng ghi chú thêm", None, None, "không phải số", None])
    # columns shifted right by two, the value column moved before the unit column
    shifted = [[None, None] + r for r in head + body]
    grid["Số liệu quý"] = shifted
    data = read_return(write_xlsx(grid, tmp_path / "moved.xlsx"), CAT)
    expected = {k: v for k, v in values.items() if k != "VB_SO"}
    assert values_of(data) == expected
    assert "VB_SO" not in values_of(data)  # deleted: not reported, not 0
    assert data.findings == []
    assert data.unit_text == "Huyện Bù Đăng"


@pytest.mark.parametrize("writer,suffix", [(write_xls, ".xls"), (write_ods, ".ods"), (write_xlsx, ".xlsx")])
def test_xls_and_ods(tmp_path, writer, suffix):
    values = consistent_values(12, DUONG_DIEN_KM=33.5)
    models = [{"name": "Tuyến đường nở hoa", "exemplary": True}, {"name": "Camera an ninh"}]
    path = writer(return_grid(values, models=models), tmp_path / f"r{suffix}")
    data = read_return(path, CAT)
    assert data.readable, data.findings
    assert values_of(data) == values
    assert [m["name"] for m in data.models] == ["Tuyến đường nở hoa", "Camera an ninh"]
    assert [m["exemplary"] for m in data.models] == [True, False]


def test_vietnamese_text_numbers(tmp_path):
    values = consistent_values(10)
    values.update({"TCD_LUOT": "7.257", "DUONG_DIEN_KM": "33,5", "NHA_DDK_TIEN": "1.520,5",
                   "DUONG_GT_KM": " 15,15 ", "TT_LUOT": "1 215"})
    data = read_return(write_xlsx(return_grid(values), tmp_path / "t.xlsx"), CAT)
    got = values_of(data)
    assert got["TCD_LUOT"] == 7257
    assert got["DUONG_DIEN_KM"] == 33.5
    assert got["NHA_DDK_TIEN"] == 1520.5
    assert got["DUONG_GT_KM"] == 15.15
    assert got["TT_LUOT"] == 1215


def test_bad_values_are_errors_with_cells_and_not_used(tmp_path):
    values = consistent_values(10, VB_SO="khoảng 5", TCD_LUOT=-3, TCD_DOAN=2.5, DON_NHAN="12 đơn")
    grid = return_grid(values)
    data = read_return(write_xlsx(grid, tmp_path / "bad.xlsx"), CAT)
    got = values_of(data)
    for code in ("VB_SO", "TCD_LUOT", "TCD_DOAN", "DON_NHAN"):
        assert code not in got
    by_code = {f.indicator: f for f in data.findings}
    assert by_code["VB_SO"].rule == "not_a_number"
    assert by_code["VB_SO"].cell == cell_ref(find_row(grid["Biểu số liệu"], "VB_SO"), 4)
    assert "khoảng 5" in by_code["VB_SO"].message
    assert by_code["TCD_LUOT"].rule == "negative"
    assert by_code["TCD_DOAN"].rule == "fractional_count"
    assert all(f.severity == "error" and f.sheet == "Biểu số liệu" for f in data.findings)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    data = read_return(path, CAT)
    assert not data.readable and rules(data) == ["file_empty"]


def test_not_a_workbook(tmp_path):
    path = tmp_path / "thu.xlsx"
    path.write_text("Kính gửi Ban Dân vận", encoding="utf-8")
    data = read_return(path, CAT)
    assert not data.readable and rules(data) == ["not_a_workbook"]
    assert "thu.xlsx" in data.findings[0].message


def test_corrupt_workbook(tmp_path):
    good = write_xlsx(return_grid(consistent_values()), tmp_path / "good.xlsx")
    raw = good.read_bytes()
    path = tmp_path / "hong.xlsx"
    path.write_bytes(raw[: len(raw) // 2])  # truncated download
    data = read_return(path, CAT)
    assert not data.readable and rules(data) == ["file_corrupt"]


def test_workbook_without_data(tmp_path):
    import openpyxl

    path = tmp_path / "trang.xlsx"
    openpyxl.Workbook().save(path)
    data = read_return(path, CAT)
    assert not data.readable and rules(data) == ["file_empty"]


def test_password_protected(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_xlsx(return_grid(consistent_values()), tmp_path / "plain.xlsx")
    path = tmp_path / "matkhau.xlsx"
    with plain.open("rb") as src, path.open("wb") as dst:
        OOXMLFile(src).encrypt("123456", dst)
    data = read_return(path, CAT)
    assert not data.readable and rules(data) == ["file_encrypted"]
    assert "mật khẩu" in data.findings[0].message


def test_formula_without_saved_value(tmp_path):
    grid = return_grid(consistent_values())
    rows = grid["Biểu số liệu"]
    r = find_row(rows, "TCD_NGUOI")
    rows[r][4] = "=E1*2"  # openpyxl writes a formula with no cached value
    data = read_return(write_xlsx(grid, tmp_path / "f.xlsx"), CAT)
    found = [f for f in data.findings if f.rule == "formula_no_value"]
    assert len(found) == 1
    assert found[0].cell == cell_ref(r, 4) and found[0].indicator == "TCD_NGUOI"
    assert "lưu lại" in found[0].message


def test_header_inline_label_and_nfd(tmp_path):
    grid = return_grid(consistent_values(), unit=None, code=None, period=None)
    rows = grid["Biểu số liệu"]
    rows[1][0] = unicodedata.normalize("NFD", "Đơn vị báo cáo: Huyện Bù Đăng")
    rows[3][0] = "Kỳ báo cáo:"
    rows[3][2] = "6 tháng đầu năm 2024"
    data = read_return(write_xlsx(grid, tmp_path / "n.xlsx"), CAT)
    assert data.unit_text == "Huyện Bù Đăng"
    assert unicodedata.is_normalized("NFC", data.unit_text)
    assert data.period_text == "6 tháng đầu năm 2024"


def test_unknown_and_duplicate_codes(tmp_path):
    grid = return_grid(consistent_values())
    rows = grid["Biểu số liệu"]
    rows.append([99, "Chỉ tiêu lạ", "XX_MOI", "cái", 5, None])
    rows.append([100, "Lặp", "VB_SO", "văn bản", 9, None])
    data = read_return(write_xlsx(grid, tmp_path / "d.xlsx"), CAT)
    assert "unknown_code" in rules(data)
    assert "duplicate_code" in rules(data)
    assert "VB_SO" not in values_of(data)  # neither of two conflicting rows is used


def test_find_returns_skips_lock_and_hidden(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ["a.xlsx", "sub/b.ods", "sub/c.xls", "~$a.xlsx", ".x.xlsx", ".hidden/d.xlsx",
                 "note.docx", "e.XLSX"]:
        (tmp_path / name).write_bytes(b"x")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in find_returns([tmp_path]))
    assert found == ["a.xlsx", "e.XLSX", "sub/b.ods", "sub/c.xls"]


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "nen.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "không phải bảng tính")
    data = read_return(path, CAT)
    assert not data.readable
    assert rules(data) == ["file_corrupt"]


def test_a_return_survives_the_trip_from_a_reading_worker(tmp_path):
    """Workers send ReturnData back pickled; CellValue pickles its fields as
    one tuple (__reduce__): every field, whatever the cell held, comes back."""
    import datetime
    import pickle

    from dvk_cli.reading.returns import CellValue

    data = read_return(write_xlsx(return_grid(consistent_values()), tmp_path / "a.xlsx"), CAT)
    assert data.values
    back = pickle.loads(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == data
    odd = [CellValue("A1", 1.5, "Sheet", "C7", "nhãn", "đổi đơn vị", "1,5 tỷ", "Nhà ở"),
           CellValue("A2", 10**30, "", "", raw=datetime.datetime(2024, 1, 2)),
           CellValue("A3", -0.0, "Biểu", "D9", raw=None, label="Ａ")]
    again = pickle.loads(pickle.dumps(odd))
    assert again == odd
    assert [type(v.raw) for v in again] == [str, datetime.datetime, type(None)]
    assert [v.value for v in again] == [1.5, 10**30, -0.0]
