"""One vocabulary for a unit's state (issue 15, item 8): the terminal's
verdict and per-unit table, the workbook, the Markdown and Word report and
JSON say the same state of each unit, and the verdict's counts add up."""

from __future__ import annotations

import json

import docx
import openpyxl
from helpers import consistent_values, return_grid, write_config, write_ods, write_xlsx
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.unitstate import UnitState

SIX = [
    ("BUDANG", "Huyện Bù Đăng", ["H. Bù Đăng"]),
    ("BUDOP", "Huyện Bù Đốp", ["H. Bù Đốp"]),
    ("DONGXOAI", "Thành phố Đồng Xoài", ["TP. Đồng Xoài"]),
    ("LOCNINH", "Huyện Lộc Ninh", ["H. Lộc Ninh"]),
    ("HONQUAN", "Huyện Hớn Quản", ["H. Hớn Quản"]),
    ("PHUOCLONG", "Thị xã Phước Long", ["TX. Phước Long"]),
]
SUMMARY = ("2/6 đơn vị hợp lệ, 1 đơn vị cần xem lại, 1 đơn vị cần sửa, "
           "1 đơn vị chưa tổng hợp (cần sửa), 1 đơn vị chưa nộp")
WIDE = {"COLUMNS": "400"}


def _province(tmp_path):
    write_config(tmp_path, SIX)
    r = tmp_path / "returns"
    r.mkdir()
    write_xlsx(return_grid(consistent_values(8), unit="H. Bù Đốp"), r / "budop.xlsx")
    write_ods(return_grid(consistent_values(9), unit="H. Lộc Ninh"), r / "locninh.ods")
    # a warning only: dossiers on time above dossiers received
    write_xlsx(return_grid(consistent_values(6, HS_DUNGHAN=250), unit="TP. Đồng Xoài"),
               r / "dongxoai.xlsx")
    # an error: text in a count
    write_xlsx(return_grid(consistent_values(10, VB_SO="bốn")), r / "budang.xlsx")
    # held: two different returns of one unit
    write_xlsx(return_grid(consistent_values(5), unit="H. Hớn Quản"), r / "hq1.xlsx")
    write_xlsx(return_grid(consistent_values(7), unit="H. Hớn Quản"), r / "hq2.xlsx")
    # Phước Long sent nothing
    return tmp_path


def test_every_output_says_the_same_state_of_each_unit(tmp_path, monkeypatch):
    folder = _province(tmp_path)
    monkeypatch.chdir(folder)
    runner = CliRunner()
    out = runner.invoke(app, ["validate", "returns", "--period", "2024", "--no-store"], env=WIDE)
    assert out.exit_code == 1, out.output
    text = out.output
    assert SUMMARY in text
    expected = {"Huyện Bù Đốp": "hợp lệ", "Huyện Lộc Ninh": "hợp lệ",
                "Thành phố Đồng Xoài": "cần xem lại", "Huyện Bù Đăng": "cần sửa",
                "Huyện Hớn Quản": "chưa tổng hợp (cần sửa)", "Thị xã Phước Long": "chưa nộp"}
    table = text[:text.index("Vấn đề phát hiện")]
    for name, label in expected.items():
        row = next(line for line in table.splitlines() if name in line)
        assert row.rstrip(" │").endswith(label), row
    # no word outside the vocabulary
    assert "xem cảnh báo" not in text

    data = json.loads(runner.invoke(app, ["validate", "returns", "--period", "2024", "--json",
                                          "--no-store"]).stdout)
    assert data["summary"] == SUMMARY
    assert data["unit_states"] == {
        "BUDOP": "valid", "LOCNINH": "valid", "DONGXOAI": "review", "BUDANG": "fix",
        "HONQUAN": "held", "PHUOCLONG": "missing"}
    assert {data["units"][c]["state"] for c in ("BUDOP", "LOCNINH")} == {"valid"}
    assert {str(s) for s in UnitState} == set(data["unit_states"].values())

    agg = runner.invoke(app, ["aggregate", "returns", "--period", "2024", "--out", "ket-qua",
                              "--no-store", "--docx"], env=WIDE)
    assert agg.exit_code == 1, agg.output
    assert SUMMARY in agg.output
    wb = openpyxl.load_workbook(folder / "ket-qua" / "tong-hop-2024.xlsx")
    assert f"Tổng hợp từ báo cáo của 4/6 đơn vị ({SUMMARY})" in wb["Tổng hợp"]["A2"].value
    assert SUMMARY in wb["Kiểm tra"]["A2"].value
    sources = {row[1]: row[8] for row in wb["Nguồn"].iter_rows(values_only=True)
               if row[1] and str(row[1]).startswith("returns/")}
    assert sources["returns/budop.xlsx"] == "Đã tổng hợp – hợp lệ"
    assert sources["returns/dongxoai.xlsx"] == "Đã tổng hợp – cần xem lại"
    assert sources["returns/budang.xlsx"] == "Đã tổng hợp – cần sửa"
    md = (folder / "ket-qua" / "bao-cao-2024.md").read_text(encoding="utf-8")
    assert f"Kết quả kiểm tra: {SUMMARY}." in md
    doc = docx.Document(str(folder / "ket-qua" / "bao-cao-2024.docx"))
    assert any(f"Kết quả kiểm tra: {SUMMARY}." in p.text for p in doc.paragraphs)
