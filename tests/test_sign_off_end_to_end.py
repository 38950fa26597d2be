"""Issue 13's acceptance, through the command line on a realistic province
(tests/realistic.py: units of different sizes whose every figure follows
their size, two years): suspect figures are marked in every output, the
lock waits for them, extra copies never drop a unit, a wrong --period is the
clerk's slip, comparisons say who is missing, and checks do not cry wolf."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from helpers import copy_sample, find_row, invoke, return_grid, said, write_xlsx
from realistic import Fault, write_province

MARK = "[CẦN KIỂM TRA"


def as_json(*args) -> tuple[int, dict]:
    result = invoke(*args, "--json")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def open_warnings(data: dict) -> list[dict]:
    return [f for f in data["findings"] if f["severity"] in ("error", "warning")
            and f["status"] == "open"]


@pytest.fixture
def province(tmp_path, monkeypatch):
    """The realistic province with three faults in 2026: Bù Đăng's house value
    in đồng, Lộc Ninh's gifts' value in nghìn đồng, Đồng Phú's models by kind
    two more than its total; 2025 aggregated first, so 2026 has a history."""
    p = write_province(tmp_path / "tinh", faults=[
        Fault.in_dong("BUDANG", "NHA_DDK_TIEN"),
        Fault.in_nghin_dong("LOCNINH", "QUA_TIEN"),
        Fault.kinds_off("DONGPHU"),
    ])
    monkeypatch.chdir(p.config.parent)
    code, first = as_json("aggregate", p.returns[2025], "-p", "2025", "-o", "out-2025")
    assert open_warnings(first) == []  # a clean year raises nothing
    return p


def test_suspect_figures_are_marked_and_the_lock_waits_for_them(province):
    code, data = as_json("aggregate", province.returns[2026], "-p", "2026", "-o", "out", "--docx")
    found = {(f["rule"], f["unit"], f["indicator"]) for f in open_warnings(data)}
    faults = {("unit_slip", "BUDANG", "NHA_DDK_TIEN"), ("unit_slip", "LOCNINH", "QUA_TIEN"),
              ("MH_LOAI", "DONGPHU", "MH_TONG")}
    assert faults <= found
    assert len(found - faults) <= 1  # no flood: the small town raises nothing
    assert not [f for f in open_warnings(data) if f["unit"] == "THANHLUONG"]
    slip = next(f for f in data["findings"] if f["rule"] == "unit_slip" and f["unit"] == "BUDANG")
    assert slip["impact"] > 0.5  # the slip is most of the published house value

    # Markdown: the sentences and table rows that include them carry the marks
    md = (province.config.parent / "out" / "bao-cao-2026.md").read_text(encoding="utf-8")
    sentences = [s for s in md.split("\n") if MARK + ":" in s]
    assert any("tổng trị giá" in s and "Huyện Bù Đăng" in s for s in sentences)
    assert any("mô hình “Dân vận khéo”" in s and "Huyện Đồng Phú" in s for s in sentences)
    assert any("phần quà" in s and "Huyện Lộc Ninh" in s for s in sentences)
    rows = [r for r in md.split("\n") if r.startswith("|") and MARK in r]
    assert any("Đại đoàn kết" in r for r in rows) and any("Tổng số mô hình" in r for r in rows)
    assert "có 3 số liệu" in md or "3 số liệu" in md  # the draft notice counts them

    # Word: the marks are highlighted runs
    from docx import Document

    document = Document(str(province.config.parent / "out" / "bao-cao-2026.docx"))
    highlighted = [r.text for p in document.paragraphs for r in p.runs
                   if MARK in r.text and r.font.highlight_color is not None]
    assert any("Huyện Bù Đăng" in t for t in highlighted)
    assert any("Huyện Đồng Phú" in t for t in highlighted)
    figures = document.tables[0] if document.tables else None
    tagged = [row.cells[0].text for table in document.tables for row in table.rows
              if any(MARK in cell.text for cell in row.cells)]
    assert figures is not None and any("Đại đoàn kết" in label for label in tagged)
    assert any("Tổng số mô hình" in label for label in tagged)

    # Workbook: the Tổng hợp total cells carry a comment naming the return and cell
    ws = openpyxl.load_workbook(province.config.parent / "out" / "tong-hop-2026.xlsx")["Tổng hợp"]
    by_code = {ws.cell(r, 3).value: ws.cell(r, 5) for r in range(1, ws.max_row + 1)}
    for code, who in (("NHA_DDK_TIEN", "Huyện Bù Đăng"), ("QUA_TIEN", "Huyện Lộc Ninh"),
                      ("MH_TONG", "Huyện Đồng Phú")):
        assert by_code[code].comment is not None and who in by_code[code].comment.text
    assert by_code["VB_SO"].comment is None

    # the lock waits; accept each, with a reason; then it locks
    refused = invoke("lock", "2026", "--why", "Báo cáo số 45-BC/BDVTU")
    assert refused.exit_code == 1 and "Chưa khóa" in refused.output
    reasons = {}
    for f in open_warnings(data):
        why = f"Đã gọi điện xác minh với đơn vị ({f['rule']})"
        accepted = invoke("accept", f["unit"], "-p", "2026", "--rule", f["rule"], "--why", why)
        assert accepted.exit_code == 0, accepted.output
        reasons[f["unit"], f["rule"]] = why
    code, listed = as_json("accept", "--list", "-p", "2026")
    assert {(f["unit"], f["rule"]): f["accepted"]["why"] for f in listed["findings"]} == reasons
    assert invoke("lock", "2026", "--why", "Báo cáo số 45-BC/BDVTU").exit_code == 0

    # locked: a changed copy of a stored return changes no total and is named
    totals = as_json("aggregate", province.returns[2026], "-p", "2026", "-o", "out")[1]["totals"]
    grid = return_grid(province.figures[2026]["BUDOP"], unit="Huyện Bù Đốp", period="2026")
    rows_ = grid["Biểu số liệu"]
    rows_[find_row(rows_, "VB_SO")][4] = 999
    write_xlsx(grid, province.returns[2026] / "budop.xlsx")
    code, after = as_json("aggregate", province.returns[2026], "-p", "2026", "-o", "out")
    assert after["totals"] == totals
    named = [f for f in after["findings"] if f["rule"] == "period_locked" and f["unit"] == "BUDOP"]
    assert named and "budop.xlsx" in named[0]["message"]
    # accepted figures carry no mark any more
    md = (province.config.parent / "out" / "bao-cao-2026.md").read_text(encoding="utf-8")
    assert MARK not in md


def test_a_second_copy_in_an_unlocked_period_keeps_the_unit(province):
    grid = return_grid(province.figures[2025]["BUDOP"], unit="Huyện Bù Đốp", period="2025")
    rows = grid["Biểu số liệu"]
    rows[find_row(rows, "VB_SO")][4] = 99
    write_xlsx(grid, province.returns[2025] / "Bù Đốp 2025 bổ sung.xlsx")
    code, data = as_json("aggregate", province.returns[2025], "-p", "2025", "-o", "out-2025")
    assert "BUDOP" in data["units"]
    assert data["units"]["BUDOP"]["values"]["VB_SO"] == province.figures[2025]["BUDOP"]["VB_SO"]
    named = [f for f in data["findings"] if f["unit"] == "BUDOP" and f["rule"] == "resubmission"]
    assert "Bù Đốp 2025 bổ sung.xlsx" in named[0]["message"]
    assert "--replace BUDOP" in named[0]["message"]


def test_a_wrong_period_exits_2_and_writes_no_feedback(province, tmp_path):
    feedback = tmp_path / "phan-hoi"
    result = invoke("validate", province.returns[2026], "--period", "2022", "--feedback", feedback)
    assert result.exit_code == 2
    assert "các biểu đều là năm 2026 — có phải --period 2026?" in said(result)
    assert not feedback.exists()


def test_a_comparison_with_one_unit_missing_says_its_basis(province, tmp_path):
    partial = tmp_path / "thieu"
    shutil.copytree(province.returns[2026], partial)
    (partial / "tinhdoan.xlsx").unlink()
    code, data = as_json("report", partial, "-p", "2026", "--format", "md", "-o", tmp_path / "r")
    basis = data["compare"]["previous"]["basis"]
    assert basis["missing"] == ["TINHDOAN"] and "TINHDOAN" not in basis["units"]
    assert len(basis["units"]) == 10
    md = (tmp_path / "r" / "bao-cao-2026.md").read_text(encoding="utf-8")
    assert "năm nay chưa có báo cáo của Tỉnh Đoàn; so sánh trên cùng 10 đơn vị" in md


def test_the_clean_sample_stays_clean_with_its_history(tmp_path, monkeypatch):
    folder = copy_sample(tmp_path / "binh-phuoc")
    monkeypatch.chdir(folder)
    for year in ("2023", "2024"):
        result = invoke("aggregate", year, "-p", year, "-o", "out", "--docx")
        assert result.exit_code == 0, result.output
        assert "11/11 đơn vị hợp lệ — 0 lỗi, 0 cảnh báo" in said(result)
    md = (folder / "out" / "bao-cao-2024.md").read_text(encoding="utf-8")
    assert MARK not in md
    assert invoke("lock", "2024", "--why", "đã ký").exit_code == 0
