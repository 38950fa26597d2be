"""Hostile corpus, items 4, 10, 11 and 16: what the dispatcher meets before
any table is read — a name that is not UTF-8, a path longer than the OS
allows, a workbook with two full data tables, a file whose extension lies,
a file that makes the spreadsheet parser panic.

Each case runs dvk as its own process beside a valid province and checks
the exit code, that no traceback is shown, that the file is named, the
memory bound, and that the other returns' totals are unchanged."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import openpyxl
from helpers import consistent_values, find_row, return_grid, write_xlsx
from hostile_harness import assert_contained, province, run_dvk

VALIDATE = ("validate", "2026", "--period", "2026", "--json")
# "Bù Đăng" as Windows-1258 writes it (ù = F9, Đ = D0, ă = E3): the name a
# zip made on a Vietnamese Windows gives, not UTF-8.
BU_DANG_1258 = b"B\xf9 \xd0\xe3ng.xlsx"


def test_item4_a_return_named_in_windows_1258_is_read_shown_and_stored(tmp_path):
    p = province(tmp_path, units=3)
    os.rename(p.returns / "budang.xlsx", os.fsencode(p.returns) + b"/" + BU_DANG_1258)
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, p, rc={0})  # still read: Bù Đăng's figures are in the totals
    assert "\ufffd" not in out.stdout  # the JSON is valid UTF-8
    assert out.json()["units"]["BUDANG"]["file"] == "2026/Bù Đăng.xlsx"
    # the store, the workbook and the report take the name too
    out = run_dvk("aggregate", "2026", "--period", "2026", cwd=p.folder)
    assert_contained(out, rc={0})
    with sqlite3.connect(p.folder / "dvk.sqlite") as conn:
        files = {row[0] for row in conn.execute("SELECT file FROM submissions")}
    assert "2026/Bù Đăng.xlsx" in files
    sources = openpyxl.load_workbook(p.folder / "tong-hop-2026.xlsx")["Nguồn"]
    assert any("2026/Bù Đăng.xlsx" in str(c.value) for row in sources.iter_rows() for c in row)


def test_item4_a_folder_deeper_than_the_os_allows_is_a_finding(tmp_path):
    p = province(tmp_path, units=3)
    name = ("thư mục giải nén lồng nhau " * 9).encode()[:230].decode("utf-8", "ignore").strip()
    fd = os.open(p.returns, os.O_RDONLY)
    try:
        for _ in range(20):  # 20 x 231 bytes: past PATH_MAX (4096)
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out_fd = os.open("locninh-ban-sao.xlsx", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out_fd, (p.returns / "locninh.xlsx").read_bytes())
        os.close(out_fd)
    finally:
        os.close(fd)
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, p, rc={1}, names=["thư mục giải nén", "đường dẫn dài", "4096 byte",
                                            "chưa được đọc"])


def test_item10_two_full_tables_in_one_workbook_are_an_error_naming_both(tmp_path):
    p = province(tmp_path, units=3)
    old = return_grid(consistent_values(), unit="Huyện Bù Đăng", period="2026", sheet="cũ")
    old["cũ"][find_row(old["cũ"], "MH_TONG")][4] = 999
    new = return_grid(consistent_values(), unit="Huyện Bù Đăng", period="2026")
    path = write_xlsx({**old, **new}, p.returns / "budang-gui-lai.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["cũ"].sheet_state = "hidden"
    wb.save(path)
    out = run_dvk(*VALIDATE, cwd=p.folder)
    # the 999 of the hidden sheet is not summed (totals unchanged), and it is said
    assert_contained(out, p, rc={1}, names=["budang-gui-lai.xlsx", "trang “cũ” (trang ẩn)",
                                            "trang “Biểu số liệu”", "999"])


def test_item10_the_reading_sheet_setting_says_which_table_counts(tmp_path):
    """dvk.toml [reading] sheet names the data sheet: the other table is not
    read, the file counts, and nothing cries wolf."""
    from realistic import province_figures

    p = province(tmp_path, units=3)
    figures = province_figures(2026)["BUDANG"]
    old = return_grid(figures, unit="Huyện Bù Đăng", period="2026", sheet="cũ")
    old["cũ"][find_row(old["cũ"], "MH_TONG")][4] = 999
    new = return_grid(figures, unit="Huyện Bù Đăng", code="BUDANG", period="2026")
    write_xlsx({**old, **new}, p.returns / "budang.xlsx")
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, rc={1}, names=["trang “cũ”", '[reading] sheet'], totals=False)
    with (p.folder / "dvk.toml").open("a", encoding="utf-8") as f:
        f.write('\n[reading]\nsheet = "Biểu số liệu"\n')
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, p, rc={0})
    assert not [f for f in out.json()["findings"] if f["file"].endswith("budang.xlsx")
                and f["severity"] != "info"]


def _as_xls(src: Path, dest: Path) -> None:
    """The same workbook saved as Excel 97-2003 (values only)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for ws in openpyxl.load_workbook(src, data_only=True).worksheets:
        out = book.add_sheet(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    out.write(cell.row - 1, cell.column - 1, cell.value)
    book.save(str(dest))


def test_item11_a_real_xls_named_xlsx_is_read_and_a_pdf_is_named(tmp_path):
    p = province(tmp_path, units=3)
    real = p.returns / "budang.xlsx"
    _as_xls(real, tmp_path / "budang.xls")
    real.write_bytes((tmp_path / "budang.xls").read_bytes())  # a .xls renamed .xlsx
    (p.returns / "bien-ban-quet.xlsx").write_bytes(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
    out = run_dvk(*VALIDATE, cwd=p.folder)
    # the renamed .xls counts (totals unchanged); only the PDF is an error
    assert_contained(out, p, rc={1}, names=[
        "tệp có đuôi .xlsx nhưng thực chất là tệp Excel 97-2003 (.xls)",
        "bien-ban-quet.xlsx", "không phải bảng tính mà là tệp PDF"])
    errors = [f for f in out.json()["findings"] if f["severity"] == "error"]
    assert {f["file"] for f in errors} == {"2026/bien-ban-quet.xlsx"}
    assert "mật khẩu" not in out.said


def test_item16_a_file_that_makes_the_parser_panic_is_file_corrupt(tmp_path):
    from reading.test_dispatch_hostile import panicking_xls

    p = province(tmp_path, units=3)
    panicking_xls(p.returns / "hong.xls")
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, p, rc={1}, names=["hong.xls"])
    (finding,) = [f for f in out.json()["findings"] if f["file"] == "2026/hong.xls"]
    # calamine panics on it (file_corrupt, the panic named); should the .xls
    # guards learn this flaw, they refuse it first (malformed_workbook)
    assert (finding["rule"], "PanicException" in finding["message"]) in {
        ("file_corrupt", True), ("malformed_workbook", False)}
