"""The dispatcher on hostile input (issue 14): names that are not UTF-8,
paths longer than the OS allows, a file type the extension lies about, two
full data tables in one workbook, a parser that panics, and any other
exception: each becomes a finding naming the file, never the end of a run."""

from __future__ import annotations

import io
import os
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from helpers import consistent_values, find_row, return_grid, write_ods, write_xls, write_xlsx

from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.files import display_path, readable_path, relative_path
from dvk_cli.reading import dispatch
from dvk_cli.reading.dispatch import find_returns, read_return, sniff

CAT = default_catalog()
# "Bù Đốp" as Windows-1258 writes it (Đ = D0, ô = F4, combining acute = EC):
# what a zip made on a Vietnamese Windows holds, and Python shows as surrogates.
BU_DOP_1258 = b"B\xf9 \xd0\xf4\xecp"


def values_of(data):
    return {v.code: v.value for v in data.values}


def rules(data):
    return [f.rule for f in data.findings]


def _bytes_path(folder: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


# ------------------------------------------------------------------ names that are not UTF-8

def test_readable_path_reads_windows_1258_bytes_and_leaves_utf8_names_alone():
    shown = readable_path(os.fsdecode(b"2026/" + BU_DOP_1258 + b".xlsx"))
    assert shown == "2026/Bù Đốp.xlsx"
    shown.encode("utf-8")  # no surrogate left: printable, JSON, SQLite
    # a byte Windows-1258 lacks is shown, not dropped or guessed
    assert readable_path(os.fsdecode(b"a\x81b.xlsx")) == "a\\x81b.xlsx"
    assert readable_path("Huyện Bù Đốp.xlsx") == "Huyện Bù Đốp.xlsx"
    assert readable_path("x\ud800y") == "x\\ud800y"


def test_a_file_named_in_windows_1258_is_read_and_named_readably(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _bytes_path(tmp_path, BU_DOP_1258 + b".xlsx")
    write_xlsx(return_grid(consistent_values(), unit="Huyện Bù Đốp"), path)
    assert [p.name for p in find_returns([tmp_path])] == [path.name]
    shown = display_path(path)
    assert shown == "Bù Đốp.xlsx"
    data = read_return(path, CAT, shown)
    assert data.readable and values_of(data)["MH_TONG"] == 10
    assert data.path == "Bù Đốp.xlsx"
    # whatever the caller passes as the name shown, it comes out printable
    data = read_return(path, CAT, str(path))
    assert data.path.endswith("/Bù Đốp.xlsx") and data.path.encode("utf-8")
    assert relative_path(path, tmp_path) == "Bù Đốp.xlsx"


def test_an_unreadable_file_with_such_a_name_is_named_readably(tmp_path):
    path = _bytes_path(tmp_path, BU_DOP_1258 + b".xlsx")
    path.write_bytes(b"%PDF-1.7 scanned")
    data = read_return(path, CAT)
    assert rules(data) == ["not_a_workbook"]
    message = data.findings[0].message
    assert "Bù Đốp.xlsx" in message and "tệp PDF" in message
    message.encode("utf-8")


# ------------------------------------------------------------------ paths longer than the OS allows

def _deep_folder(top: Path, levels: int = 20) -> Path:
    """A chain of folders whose full path is longer than PATH_MAX (4096 bytes),
    made one level at a time relative to the one before (as unzip does)."""
    name = "thư mục lồng rất sâu của đơn vị " * 6
    name = name.encode()[:230].decode("utf-8", "ignore").strip()
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        data = write_xlsx(return_grid(consistent_values()), top.parent / "tmp-deep.xlsx").read_bytes()
        out = os.open("lost.xlsx", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, data)
        os.close(out)
    finally:
        os.close(fd)
    return top.joinpath(*[name] * levels)


def test_a_folder_deeper_than_path_max_is_a_finding_not_a_crash(tmp_path):
    returns = tmp_path / "returns"
    returns.mkdir()
    write_xlsx(return_grid(consistent_values()), returns / "ok.xlsx")
    _deep_folder(returns)
    found = find_returns([returns])
    assert found[0].name == "ok.xlsx" and len(found) == 2
    problem = next(p for p in found if p.name != "ok.xlsx")
    assert len(os.fsencode(problem)) > 4096
    data = read_return(problem, CAT)
    assert not data.readable and rules(data) == ["path_too_long"]
    message = data.findings[0].message
    assert message.startswith("Thư mục ") and "4096" in message and "chưa được đọc" in message
    assert len(message) < 600  # the 4,000-byte path is shortened in the message


def test_names_longer_than_255_bytes_are_findings(tmp_path):
    long_name = tmp_path / ("Báo cáo công tác dân vận " * 12 + ".xlsx")
    data = read_return(long_name, CAT)
    assert not data.readable and rules(data) == ["path_too_long"]
    assert "255 byte" in data.findings[0].message and "đổi tên" in data.findings[0].message
    # given on the command line, it is listed (and the reader says why it cannot be read)
    assert find_returns([long_name]) == [long_name]


def test_a_symlink_loop_and_a_fifo_are_findings_and_never_hang(tmp_path):
    loop = tmp_path / "vong.xlsx"
    os.symlink(loop, loop)
    os.mkfifo(tmp_path / "ong.xlsx")
    # the loop is listed (reading it says why it fails); a FIFO is no file, as before
    assert [p.name for p in find_returns([tmp_path])] == ["vong.xlsx"]
    data = read_return(loop, CAT)
    assert rules(data) == ["file_unreadable"] and "vòng lặp" in data.findings[0].message
    data = read_return(tmp_path / "ong.xlsx", CAT)
    assert rules(data) == ["not_a_workbook"] and "không phải tệp thông thường" in data.findings[0].message


def test_an_input_folder_that_cannot_be_listed_is_a_clear_usage_error(tmp_path, monkeypatch):
    from dvk_cli.core.errors import UsageError

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(dispatch.os, "scandir", denied)
    with pytest.raises(UsageError, match="Không đọc được thư mục .*không có quyền đọc"):
        find_returns([tmp_path])


# ------------------------------------------------------------------ the file type from the content

def _grid():
    return return_grid(consistent_values(12), unit="Huyện Bù Đăng", period="2024")


@pytest.mark.parametrize("writer,real,named,label", [
    (write_xls, ".xls", ".xlsx", "tệp Excel 97-2003 (.xls)"),
    (write_xlsx, ".xlsx", ".xls", "tệp Excel (.xlsx)"),
    (write_ods, ".ods", ".xlsx", "bảng tính OpenDocument (.ods)"),
])
def test_a_workbook_with_the_wrong_extension_is_read_by_its_content(tmp_path, writer, real, named, label):
    right = writer(_grid(), tmp_path / f"dung{real}")
    wrong = tmp_path / f"sai{named}"
    shutil.copy(right, wrong)
    expected = read_return(right, CAT)
    data = read_return(wrong, CAT)
    assert data.readable and values_of(data) == values_of(expected) and values_of(data)
    assert not [f for f in data.findings if f.severity == "error"]
    info = [f for f in data.findings if f.rule == "extension_mismatch"]
    assert len(info) == 1 and info[0].severity == "info"
    assert f"tệp có đuôi {named} nhưng thực chất là {label}" in info[0].message
    assert "extension_mismatch" not in rules(expected)


def test_xlsx_and_xlsm_are_one_family(tmp_path):
    path = write_xlsx(_grid(), tmp_path / "r.xlsm")
    assert "extension_mismatch" not in rules(read_return(path, CAT))


def _docx_bytes() -> bytes:
    import docx

    buf = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Báo cáo công tác dân vận")
    document.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("content,said", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "tệp PDF"),
    ("<!DOCTYPE html><html><body><table><tr><td>Mã</td></tr></table></body></html>".encode(),
     "trang HTML"),
    ("Mã,Số liệu\nMH_TONG,5\nVB_SO,3\n".encode(), "tệp văn bản CSV"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "ảnh PNG"),
    (None, "tài liệu Word (.docx)"),
])
def test_other_files_renamed_xlsx_are_named_for_what_they_are(tmp_path, content, said):
    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(_docx_bytes() if content is None else content)
    data = read_return(path, CAT)
    assert not data.readable and rules(data) == ["not_a_workbook"]
    assert f"mà là {said}" in data.findings[0].message and "bao-cao.xlsx" in data.findings[0].message


def test_sniff_tells_encrypted_ooxml_from_a_real_xls(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_xlsx(_grid(), tmp_path / "plain.xlsx")
    encrypted = io.BytesIO()
    with plain.open("rb") as src:
        OOXMLFile(src).encrypt("123456", encrypted)
    assert sniff(encrypted.getvalue()).kind == "encrypted"
    assert sniff(write_xls(_grid(), tmp_path / "r.xls").read_bytes()).suffix == ".xls"
    renamed = tmp_path / "matkhau.xls"
    renamed.write_bytes(encrypted.getvalue())
    assert rules(read_return(renamed, CAT)) == ["file_encrypted"]


# ------------------------------------------------------------------ two full data tables

def _two_tables(path: Path, *, old_value=999, hide_old=True, old_values=None) -> Path:
    old = return_grid(old_values if old_values is not None else consistent_values(), sheet="cũ")
    rows = old["cũ"]
    if old_value is not None:
        rows[find_row(rows, "MH_TONG")][4] = old_value
    grid = {**old, **return_grid(consistent_values())}
    write_xlsx(grid, path)
    if hide_old:
        wb = openpyxl.load_workbook(path)
        wb["cũ"].sheet_state = "hidden"
        wb.save(path)
    return path


def test_two_full_tables_that_disagree_are_an_error_naming_both_sheets(tmp_path):
    path = _two_tables(tmp_path / "hai-bang.xlsx")
    data = read_return(path, CAT)
    assert not data.readable and not data.values
    assert rules(data) == ["two_data_tables"]
    finding = data.findings[0]
    row = find_row(return_grid({}, sheet="cũ")["cũ"], "MH_TONG")
    assert (finding.sheet, finding.cell) == ("cũ", f"E{row + 1}")
    assert "trang “cũ” (trang ẩn) và trang “Biểu số liệu”" in finding.message
    assert f"MH_TONG: 999 ở ô cũ!E{row + 1}, 10 ở ô Biểu số liệu!E{row + 1}" in finding.message
    assert '[reading] sheet = "Biểu số liệu"' in finding.message


def test_a_sheet_setting_says_which_table_to_read(tmp_path):
    path = _two_tables(tmp_path / "hai-bang.xlsx")
    data = read_return(path, CAT, sheet="Biểu số liệu")
    assert data.readable and data.sheet == "Biểu số liệu" and values_of(data)["MH_TONG"] == 10
    data = read_return(path, CAT, sheet="CŨ")  # case and spacing as typed in dvk.toml
    assert data.readable and values_of(data)["MH_TONG"] == 999
    # a workbook without that sheet is read as usual
    plain = write_xlsx(_grid(), tmp_path / "mot-bang.xlsx")
    assert read_return(plain, CAT, sheet="Biểu cũ").readable


def test_visible_tables_disagreeing_are_also_an_error(tmp_path):
    data = read_return(_two_tables(tmp_path / "x.xlsx", hide_old=False), CAT)
    assert rules(data) == ["two_data_tables"]
    assert "(trang ẩn)" not in data.findings[0].message


def test_legit_workbooks_with_several_tables_do_not_cry_wolf(tmp_path):
    # identical copies: no doubt about the figures
    same = _two_tables(tmp_path / "same.xlsx", old_value=None, hide_old=False)
    data = read_return(same, CAT)
    assert data.readable and values_of(data)["MH_TONG"] == 10 and "two_data_tables" not in rules(data)
    # a blank form before the filled one: the filled one is read
    grid = {**return_grid({}, sheet="Mẫu"), **return_grid(consistent_values())}
    data = read_return(write_xlsx(grid, tmp_path / "blank.xlsx"), CAT)
    assert data.readable and data.sheet == "Biểu số liệu" and values_of(data)["MH_TONG"] == 10
    # a small summary repeating key figures of the full table is not a rival, and says
    # nothing (one with other figures is a warning: see other_data_table below)
    grid = {**return_grid({"MH_TONG": 10, "VB_SO": 4}, sheet="Tóm tắt"),
            **return_grid(consistent_values())}
    data = read_return(write_xlsx(grid, tmp_path / "summary.xlsx"), CAT)
    assert data.readable and data.sheet == "Biểu số liệu" and rules(data) == []


def test_a_hidden_table_never_wins_silently_over_a_visible_one_with_values(tmp_path):
    # the hidden old table is the fuller one, the visible has few figures
    path = _two_tables(tmp_path / "x.xlsx", old_value=None)
    wb = openpyxl.load_workbook(path)
    ws = wb["Biểu số liệu"]
    for row in ws.iter_rows(min_row=7):
        if row[2].value not in ("MH_TONG", "VB_SO"):
            row[4].value = None
    wb.save(path)
    data = read_return(path, CAT)
    assert rules(data) == ["two_data_tables"] and "(trang ẩn)" in data.findings[0].message
    # a hidden table is read when no visible one has figures, and that is said
    write_xlsx({**return_grid(consistent_values(), sheet="cũ"), **return_grid({})}, path)
    wb = openpyxl.load_workbook(path)
    wb["cũ"].sheet_state = "hidden"
    wb.save(path)
    data = read_return(path, CAT)
    assert data.readable and data.sheet == "cũ" and rules(data) == ["data_sheet_hidden"]


# ------------------------------------------------------------------ panics and any other exception

def panicking_xls(path: Path) -> Path:
    """A real .xls that makes calamine (0.37, in python-calamine 0.9.1) panic:
    a return whose one formula declares 65,535 bytes of formula tokens in a
    record that holds a few (xls.rs `parse_formula` slices `&rgce[2..2 + cce]`
    unchecked, while loading the workbook)."""
    import olefile
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in return_grid(consistent_values()).items():
        ws = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
        ws.write(0, 8, xlwt.Formula("1+2"))
    book.save(str(path))
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        at = 0
        while at + 4 <= len(stream):
            typ = int.from_bytes(stream[at:at + 2], "little")
            size = int.from_bytes(stream[at + 2:at + 4], "little")
            if typ == 0x0006:  # Formula: 20 bytes, then cce (u16) and the tokens
                stream[at + 24:at + 26] = (0xFFFF).to_bytes(2, "little")
                break
            at += 4 + size
        else:
            raise AssertionError("no Formula record")
        ole.write_stream("Workbook", bytes(stream))
    return path


def test_a_file_that_makes_calamine_panic_is_file_corrupt(tmp_path, monkeypatch):
    path = panicking_xls(tmp_path / "hong.xls")
    from python_calamine import CalamineWorkbook

    from dvk_cli.reading import guards

    # the file must reach calamine even once the .xls guards learn this flaw
    monkeypatch.setattr(guards, "archive_problem", lambda raw, limits=None: None)

    with pytest.raises(BaseException) as raised:  # noqa: PT011 - the point: not an Exception
        CalamineWorkbook.from_path(str(path))
    assert type(raised.value).__name__ == "PanicException"
    assert not isinstance(raised.value, Exception)
    data = read_return(path, CAT)
    assert not data.readable and rules(data) == ["file_corrupt"]
    assert "hong.xls" in data.findings[0].message and "PanicException" in data.findings[0].message


@pytest.mark.parametrize("exc,rule,said", [
    (OverflowError("int too large to convert to float"), "read_failed", "OverflowError"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "read_failed",
     "UnicodeDecodeError"),
    (RecursionError("maximum recursion depth exceeded"), "file_corrupt", "lồng nhau quá sâu"),
    (OSError(5, "Input/output error"), "file_unreadable", "lỗi đọc đĩa"),
])
def test_any_exception_while_reading_becomes_a_finding_on_the_file(tmp_path, monkeypatch, exc, rule,
                                                                    said):
    path = write_xlsx(_grid(), tmp_path / "r.xlsx")

    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(dispatch, "long_layout", boom)
    data = read_return(path, CAT)
    assert not data.readable and not data.values and rules(data) == [rule]
    assert said in data.findings[0].message and "r.xlsx" in data.findings[0].message


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, MemoryError])
def test_interrupts_and_memory_errors_still_propagate(tmp_path, monkeypatch, exc):
    path = write_xlsx(_grid(), tmp_path / "r.xlsx")

    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(dispatch, "long_layout", boom)
    with pytest.raises(exc):
        read_return(path, CAT)


# ------------------------------------------------------------------ a smaller table with other figures

def _partial_copy(values: dict, *, sheet: str = "Sheet1", keep: int = 3) -> dict[str, list[list]]:
    """The first `keep` rows of a return's table on another sheet (its header kept)."""
    rows = return_grid(values, sheet=sheet)[sheet]
    header = next(i for i, r in enumerate(rows) if r[2] == "Mã")
    return {sheet: rows[:header + 1 + keep]}


def _write(grid: dict, path: Path, hidden: tuple[str, ...] = ()) -> Path:
    writer = {".xlsx": write_xlsx, ".xls": write_xls, ".ods": write_ods}[path.suffix]
    writer(grid, path)
    if hidden:
        wb = openpyxl.load_workbook(path)
        for name in hidden:
            wb[name].sheet_state = "hidden"
        wb.save(path)
    return path


@pytest.mark.parametrize("suffix,hide", [(".xlsx", True), (".xlsx", False), (".xls", False),
                                         (".ods", False)])
def test_a_smaller_table_with_other_figures_is_a_warning_and_the_file_is_summed(tmp_path, suffix,
                                                                                  hide):
    main = consistent_values(VB_SO=0, TT_BUOI=3, TT_LUOT=50)
    copy = {**main, "VB_SO": 15, "TT_BUOI": 9}  # rows 1-3: VB_SO, TT_BUOI differ, TT_LUOT agrees
    grid = {**_partial_copy(copy), **return_grid(main)}
    path = _write(grid, tmp_path / f"ban-sao{suffix}", ("Sheet1",) if hide else ())
    data = read_return(path, CAT)
    # summed from the full table, as before, and said
    assert data.readable and data.sheet == "Biểu số liệu"
    assert values_of(data) == {c: v for c, v in main.items() if v is not None}
    assert rules(data) == ["other_data_table"]
    finding = data.findings[0]
    assert finding.severity == "warning" and finding.file == data.path
    row = find_row(return_grid({})["Biểu số liệu"], "VB_SO")
    assert (finding.sheet, finding.cell, finding.indicator) == ("Biểu số liệu", f"E{row + 1}", "VB_SO")
    message = finding.message
    assert f"ban-sao{suffix}" in message
    assert ("trang “Sheet1” (trang ẩn)" in message) == hide
    assert "trang “Sheet1”" in message and "(3 chỉ tiêu có số liệu), trong đó 2 số liệu khác" in message
    assert f"VB_SO: 15 ở ô Sheet1!E{row + 1}, 0 ở ô Biểu số liệu!E{row + 1}" in message
    assert "dvk tổng hợp tệp theo trang “Biểu số liệu”" in message
    assert '[reading] sheet = "Sheet1"' in message
    assert message == unicodedata.normalize("NFC", message)
    # the setting it names reads the other table, without a word
    data = read_return(path, CAT, sheet="Sheet1")
    assert data.readable and data.sheet == "Sheet1" and values_of(data)["VB_SO"] == 15
    assert "other_data_table" not in rules(data)


def test_a_summary_with_other_figures_or_a_figure_the_table_leaves_blank_is_a_warning(tmp_path):
    grid = {**return_grid({"MH_TONG": 7, "VB_SO": 4}, sheet="Tóm tắt"),
            **return_grid(consistent_values())}
    data = read_return(write_xlsx(grid, tmp_path / "tom-tat.xlsx"), CAT)
    assert data.readable and values_of(data)["MH_TONG"] == 10 and rules(data) == ["other_data_table"]
    row = find_row(return_grid({})["Biểu số liệu"], "MH_TONG")
    assert f"MH_TONG: 7 ở ô Tóm tắt!E{row + 1}, 10 ở ô Biểu số liệu!E{row + 1}" in data.findings[0].message
    assert "trong đó 1 số liệu khác" in data.findings[0].message  # VB_SO agrees
    # a figure only the smaller table holds would not be summed: said, on its own cell
    main = consistent_values()
    del main["TCD_LUOT"]
    grid = {**return_grid({"TCD_LUOT": 100}, sheet="Tóm tắt"), **return_grid(main)}
    data = read_return(write_xlsx(grid, tmp_path / "thieu.xlsx"), CAT)
    assert data.readable and "TCD_LUOT" not in values_of(data)
    assert rules(data) == ["other_data_table"]
    finding = data.findings[0]
    row = find_row(return_grid({})["Biểu số liệu"], "TCD_LUOT")
    assert (finding.sheet, finding.cell, finding.indicator) == ("Tóm tắt", f"E{row + 1}", "TCD_LUOT")
    assert "không có số liệu ở trang Biểu số liệu" in finding.message


def test_smaller_tables_that_agree_and_sheets_without_figures_say_nothing(tmp_path):
    main = consistent_values()
    # a hidden partial copy with the same figures, a blank form, a sheet of labels only,
    # the models list, and a rate typed on a summary (dvk computes rates itself)
    labels = [["Chỉ tiêu", "Số liệu"], *[[ind.label, None] for ind in CAT.indicators.values()]]
    grid = {**_partial_copy(main, sheet="Bản sao", keep=8), **return_grid({}, sheet="Mẫu"),
            "Nhãn": labels, **return_grid({"DON_TYLE": 90, "MH_TONG": 10}, sheet="Tóm tắt"),
            **return_grid(main, models=[{"name": "Dân vận khéo"}])}
    path = _write(grid, tmp_path / "nhieu-trang.xlsx", ("Bản sao",))
    data = read_return(path, CAT)
    assert data.readable and data.sheet == "Biểu số liệu" and rules(data) == []
    assert values_of(data) == main and len(data.models) == 1


def test_a_dvk_consolidated_workbook_reads_back_without_a_word(tmp_path):
    from realistic import consolidation, province_figures

    from dvk_cli.outputs.workbook import write_workbook

    path = write_workbook(consolidation(province_figures(2026)), tmp_path / "tong-hop-2026.xlsx")
    data = read_return(path, CAT)
    assert data.readable and data.sheet == "Biểu tổng hợp" and not data.findings


def test_a_copy_of_most_of_the_table_with_the_same_figures_is_no_rival(tmp_path):
    """A second sheet repeating 60 % of the table, figures equal: the file is
    read from the full table, with no error and no warning (it cried wolf
    with two_data_tables when whole tables were compared)."""
    full = consistent_values()
    codes = list(full)
    part = {code: full[code] for code in codes[: max(1, int(len(codes) * 0.6))]}
    grid = {**return_grid(full), **return_grid(part, sheet="Bản sao")}
    data = read_return(write_xlsx(grid, tmp_path / "copy.xlsx"), CAT)
    assert data.readable and data.sheet == "Biểu số liệu" and rules(data) == []
    assert values_of(data)["MH_TONG"] == full["MH_TONG"]
