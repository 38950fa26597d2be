"""dvk validate --feedback: a marked copy of each return with problems, and
the terminal summary grouped by unit."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest
from helpers import (
    THREE_UNITS,
    consistent_values,
    find_row,
    return_grid,
    write_config,
    write_ods,
    write_xlsx,
)
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.catalog import default_catalog
from dvk_cli.outputs.feedback import RED, SHEET, YELLOW
from dvk_cli.reading.dispatch import read_return

CAT = default_catalog()
WIDE = {"COLUMNS": "220"}


@pytest.fixture
def folder(folder):
    """The shared working folder (tests/conftest.py) with returns in it."""
    tmp_path = folder
    r = tmp_path / "returns"
    # Bù Đăng: an error (text in a count) and a warning (fields ≠ total)
    grid = return_grid(consistent_values(10, VB_SO="bốn", MH_KT=50))
    write_xlsx(grid, r / "budang.xlsx")
    # Bù Đốp: clean
    write_xlsx(return_grid(consistent_values(8), unit="H. Bù Đốp"), r / "budop.xlsx")
    # Đồng Xoài, as .ods: a warning
    write_ods(return_grid(consistent_values(6, HS_DUNGHAN=250), unit="TP. Đồng Xoài"), r / "dongxoai.ods")
    return tmp_path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill_of(cell):
    return cell.fill.fgColor.rgb[-6:] if cell.fill and cell.fill.fill_type == "solid" else None


def row_of(grid_sheet, code):
    return find_row(grid_sheet, code) + 1  # 1-based Excel row


def test_feedback_workbooks(folder):
    r = folder / "returns"
    before = {p.name: digest(p) for p in r.iterdir()}
    out = CliRunner().invoke(app, ["validate", "returns", "--period", "2024", "--feedback", "phan-hoi"],
                             env=WIDE)
    assert out.exit_code == 1, out.output
    written = sorted(p.name for p in (folder / "phan-hoi").iterdir())
    assert written == ["budang-can-sua.xlsx", "dongxoai-can-sua.xlsx"]  # none for the clean unit
    assert {p.name: digest(p) for p in r.iterdir()} == before  # originals untouched
    assert "Hợp lệ (1): Huyện Bù Đốp" in out.output

    rows = return_grid(consistent_values(10))["Biểu số liệu"]
    vb, kt_total = f"E{row_of(rows, 'VB_SO')}", f"E{row_of(rows, 'MH_TONG')}"
    wb = openpyxl.load_workbook(folder / "phan-hoi" / "budang-can-sua.xlsx")
    assert wb.sheetnames[0] == SHEET and wb.active.title == SHEET
    assert wb.sheetnames[1:] == ["Biểu số liệu"]
    data = wb["Biểu số liệu"]
    assert data[vb].value == "bốn"
    assert fill_of(data[vb]) == RED
    assert "Lỗi:" in data[vb].comment.text and "bốn" in data[vb].comment.text
    assert fill_of(data[kt_total]) == YELLOW
    assert data[kt_total].comment.text.startswith("Cảnh báo: Tổng số mô hình (10) khác tổng theo 4 lĩnh vực")
    unmarked = [c.coordinate for row in data.iter_rows() for c in row
                if fill_of(c) in (RED, YELLOW) and c.coordinate not in (vb, kt_total)]
    assert unmarked == []

    sheet = wb[SHEET]
    texts = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(texts) if row[:4] == ["STT", "Mức độ", "Trang", "Ô"])
    listed = [row for row in texts[header + 1:] if row[0]]
    assert [(row[1], row[2], row[3]) for row in listed] == [
        ("Lỗi", "Biểu số liệu", vb), ("Cảnh báo", "Biểu số liệu", kt_total)]
    assert listed[0][4] == CAT["VB_SO"].label
    assert any("Huyện Bù Đăng – năm 2024" in str(v) for row in texts[:header] for v in row)
    link = sheet.cell(header + 2, 4).hyperlink
    assert link.location == f"'Biểu số liệu'!{vb}"
    assert fill_of(sheet.cell(header + 2, 2)) == RED

    # The copy reads back as the same return: the unit can fix it and send it again.
    copy = read_return(folder / "phan-hoi" / "budang-can-sua.xlsx", CAT)
    original = read_return(r / "budang.xlsx", CAT)
    assert {v.code: v.value for v in copy.values} == {v.code: v.value for v in original.values}


def test_an_ods_return_becomes_a_values_copy(folder):
    CliRunner().invoke(app, ["validate", "returns", "--period", "2024", "--feedback", "phan-hoi"])
    wb = openpyxl.load_workbook(folder / "phan-hoi" / "dongxoai-can-sua.xlsx")
    assert wb.sheetnames == [SHEET, "Biểu số liệu"]
    notes = " ".join(str(c.value) for row in wb[SHEET].iter_rows() for c in row if c.value)
    assert "dạng .ods" in notes and "chỉ gồm các giá trị" in notes
    rows = return_grid(consistent_values(6))["Biểu số liệu"]
    cell = wb["Biểu số liệu"][f"E{row_of(rows, 'HS_DUNGHAN')}"]
    assert cell.value == 250 and fill_of(cell) == YELLOW
    assert "nhiều hơn hồ sơ tiếp nhận" in cell.comment.text
    assert wb["Biểu số liệu"]["B2"].value == "TP. Đồng Xoài"


def test_feedback_json_and_a_sent_back_copy(folder):
    out = CliRunner().invoke(app, ["validate", "returns", "--json", "--feedback", "phan-hoi"])
    data = json.loads(out.stdout)
    assert sorted(p.rsplit("/", 1)[-1] for p in data["feedback"]["written"]) == [
        "budang-can-sua.xlsx", "dongxoai-can-sua.xlsx"]
    # The unit sends the marked copy back unchanged: a new feedback replaces our sheet.
    sent_back = folder / "lan-2"
    sent_back.mkdir()
    (sent_back / "budang.xlsx").write_bytes((folder / "phan-hoi" / "budang-can-sua.xlsx").read_bytes())
    out = CliRunner().invoke(app, ["validate", "lan-2", "--period", "2024", "--feedback", "phan-hoi-2"])
    assert out.exit_code == 1
    wb = openpyxl.load_workbook(folder / "phan-hoi-2" / "budang-can-sua.xlsx")
    assert wb.sheetnames == [SHEET, "Biểu số liệu"]


def test_feedback_folder_inside_the_returns_is_refused(folder):
    out = CliRunner().invoke(app, ["validate", "returns", "--feedback", "returns/phan-hoi"])
    assert out.exit_code == 2
    assert "nằm trong thư mục biểu" in out.output
    assert not (folder / "returns" / "phan-hoi").exists()


def test_unreadable_files_get_no_copy(folder):
    (folder / "returns" / "hong.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    out = CliRunner().invoke(app, ["validate", "returns", "--period", "2024", "--feedback", "phan-hoi"],
                             env=WIDE)
    assert "Không tạo bản phản hồi cho returns/hong.xlsx" in out.output
    assert not (folder / "phan-hoi" / "hong-can-sua.xlsx").exists()


def test_validate_groups_findings_by_unit_errors_first(folder):
    write_config(folder, [*THREE_UNITS, ("CHONTHANH", "Thị xã Chơn Thành", [])])
    out = CliRunner().invoke(app, ["validate", "returns", "--period", "2024"], env=WIDE)
    assert out.exit_code == 1
    text = out.output
    findings = text[text.index("Vấn đề phát hiện, theo đơn vị"):]
    # Bù Đăng (an error) before Đồng Xoài (a warning only); its error before its warning
    assert findings.index("Huyện Bù Đăng") < findings.index("Thành phố Đồng Xoài")
    budang = findings[findings.index("Huyện Bù Đăng"):findings.index("Thành phố Đồng Xoài")]
    assert budang.index("Lỗi") < budang.index("Cảnh báo")
    assert "1/4 đơn vị hợp lệ, 1 đơn vị cần xem lại, 1 đơn vị cần sửa, 1 đơn vị chưa nộp" in text
    assert "Chưa nộp báo cáo (1): Thị xã Chơn Thành" in text
    strict = CliRunner().invoke(app, ["validate", "returns/budop.xlsx", "--period", "2024", "--strict"])
    assert strict.exit_code == 0  # a clean return passes even with --strict
