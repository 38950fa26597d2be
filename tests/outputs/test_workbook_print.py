"""The consolidated workbook on paper (issue 15): which sheets are written
with one and with two stored periods, each sheet's page setup, and the
sample's workbook printed by LibreOffice on at most 12 A4 pages."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest
from helpers import copy_sample, to_pdf
from test_workbook import built, make_consolidation
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.comparisons import PREVIOUS, SAME_LAST_YEAR, main_codes
from dvk_cli.outputs import styles

runner = CliRunner()
ONE_PERIOD = ["Tổng hợp", "Theo đơn vị", "Danh sách mô hình", "Kiểm tra", "Nguồn",
              "Biểu tổng hợp"]
TWO_PERIODS = ["Tổng hợp", "Theo đơn vị", "So sánh theo đơn vị", "Danh sách mô hình", "Kiểm tra",
               "Nguồn", "Biểu tổng hợp", "Xu hướng"]
MAX_PAGES = 12


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample aggregated twice: 2024 alone (a fresh store), and 2023 then
    2024 (two periods in the store). Returns {"one": path, "two": path}."""
    base = tmp_path_factory.mktemp("print")
    paths = {}
    for case, years in (("one", ["2024"]), ("two", ["2023", "2024"])):
        folder = copy_sample(base / case / "binh-phuoc")
        for year in years:
            result = runner.invoke(app, ["aggregate", str(folder / year), "--period", year,
                                         "--out", str(base / case / "out")])
            assert result.exit_code == 0, result.output
        paths[case] = base / case / "out" / "tong-hop-2024.xlsx"
    return paths


def open_wb(path):
    return openpyxl.load_workbook(path)


# ------------------------------------------------------------------ sheets

def test_sheets_with_one_period(sample):
    assert open_wb(sample["one"]).sheetnames == ONE_PERIOD


def test_sheets_with_two_periods(sample):
    wb = open_wb(sample["two"])
    assert wb.sheetnames == TWO_PERIODS
    # the comparison by unit is no longer under the table of Theo đơn vị
    units = [r[0] for r in wb["Theo đơn vị"].iter_rows(values_only=True)]
    assert not any(isinstance(v, str) and v.startswith("SO SÁNH") for v in units)
    ws = wb["So sánh theo đơn vị"]
    assert ws["A1"].value.startswith("SO SÁNH VỚI NĂM 2023 THEO ĐƠN VỊ")
    assert [c.value for c in ws[4]][:9] == ["STT", "Mã đơn vị", "Đơn vị", "Chỉ tiêu", "Mã",
                                           "Kỳ này", "Kỳ trước, cùng kỳ (năm 2023)",
                                           "Tăng/giảm", "%"]


def _compare(per_unit: bool) -> dict:
    data = {"period": "2023", "label": "năm 2023", "totals": {"MH_TONG": 12, "DON_NHAN": 80}}
    if per_unit:
        data["per_unit"] = {"BUDANG": {"MH_TONG": 8, "DON_NHAN": 25}}
    return {PREVIOUS: data, SAME_LAST_YEAR: data}


def test_no_comparison_by_unit_when_only_totals_are_on_record():
    c = make_consolidation()
    c.compare = _compare(per_unit=False)
    wb = built(c)
    assert "So sánh theo đơn vị" not in wb.sheetnames and "Xu hướng" not in wb.sheetnames
    # the totals are still compared on Tổng hợp
    assert "Kỳ trước, cùng kỳ (năm 2023)" in [cell.value for cell in wb["Tổng hợp"][4]]


def test_comparison_by_unit_when_the_store_has_units():
    c = make_consolidation()
    c.compare = _compare(per_unit=True)
    wb = built(c)
    assert "So sánh theo đơn vị" in wb.sheetnames and "Xu hướng" not in wb.sheetnames
    rows = {(r[1], r[4]): r for r in wb["So sánh theo đơn vị"].iter_rows(min_row=5,
                                                                         values_only=True)}
    assert rows[("BUDANG", "MH_TONG")][5:8] == (10, 8, 2)


def test_trend_sheet_only_with_two_periods():
    c = make_consolidation()
    one = [{"period": "2024", "label": "năm 2024", "totals": dict(c.totals)}]
    c.history = {"trend": one}
    assert "Xu hướng" not in built(c).sheetnames
    c.history = {"trend": [{"period": "2023", "label": "năm 2023",
                            "totals": {"MH_TONG": 12, "DON_NHAN": 80}}, *one]}
    wb = built(c)
    assert wb.sheetnames[-1] == "Xu hướng"
    shown = [code for code in main_codes(c.catalog) if code in c.totals]
    assert "MH_TONG" in shown and len(wb["Xu hướng"]._charts) == len(shown)  # one a main figure


# ------------------------------------------------------------------ page setup

@pytest.mark.parametrize("case", ["one", "two"])
def test_page_setup_of_every_sheet(sample, case):
    wb = open_wb(sample[case])
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert int(setup.paperSize) == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(setup.fitToWidth or 1) == 1, ws.title  # absent: 1, the OOXML default
        assert int(setup.fitToHeight) == 0, ws.title  # as many pages long as it takes
        assert ws.print_title_rows, ws.title
        assert ws.oddFooter.center.text == "Trang &P/&N", ws.title
    orientation = {ws.title: ws.page_setup.orientation for ws in wb.worksheets}
    # the wide tables in landscape; the narrow ones upright
    for title in ("Theo đơn vị", "Danh sách mô hình", "Kiểm tra", "Nguồn"):
        assert orientation[title] == "landscape", title
    for title in ("Tổng hợp", "Biểu tổng hợp", "So sánh theo đơn vị", "Xu hướng"):
        assert orientation.get(title, "portrait") == "portrait", title
    assert wb["Theo đơn vị"].print_title_rows == "$4:$6"
    assert wb["Theo đơn vị"].print_title_cols == "$A:$C"


def test_trend_charts_sit_in_their_own_rows(sample):
    """Each band of charts is one row at least as tall as its charts: a row is
    never split by a page break, so neither is a chart."""
    ws = open_wb(sample["two"])["Xu hướng"]
    assert ws.print_title_rows == "$1:$2"  # the title, not the table header, over the charts
    last_table_row = max(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value)
    for chart in ws._charts:
        anchor = chart.anchor
        row = anchor._from.row + 1
        assert row > last_table_row + 1
        assert anchor._from.rowOff == 0
        # anchored by both corners (moving with its cells, keeping its size):
        # the chart ends inside the row it starts in
        assert anchor.to.row == anchor._from.row
        assert anchor.to.rowOff / 12700 <= ws.row_dimensions[row].height


def test_orientation_follows_width():
    wb = styles.new_workbook()
    narrow, wide = wb.create_sheet("a"), wb.create_sheet("b")
    styles.set_widths(narrow, [6, 50, 12, 14])
    styles.set_widths(wide, [13] * 40)
    for ws, ncols in ((narrow, 4), (wide, 40)):
        for r in range(1, 41):
            ws.cell(r, ncols, r)
    assert not styles.is_wide(narrow)
    assert styles.is_wide(wide)


# ------------------------------------------------------------------ LibreOffice

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_sample_prints_on_at_most_twelve_pages(sample, tmp_path):
    pdf = to_pdf(sample["two"], tmp_path)
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                              check=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines()
                         if line.startswith("Pages:")))
    else:  # count the page objects
        pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert 1 <= pages <= MAX_PAGES
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        joined = " ".join(text.split())
        # the notes print whole
        assert "(không cộng tỷ lệ của từng đơn vị)." in joined
        assert "tính bằng điểm phần trăm." in joined
