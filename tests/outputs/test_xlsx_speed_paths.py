"""The rows dvk writes itself (outputs/xlsx.py, _Rows) are the rows XlsxWriter
would write: a cell's XML against XlsxWriter's own serializer for tricky
texts and numbers, whole sheets and workbooks written with and without
_Rows compared byte for byte, and XlsxWriter left to write the rows when
the internals _Rows relies on are missing or behave differently."""

from __future__ import annotations

import dataclasses
import io
import zlib
from decimal import Decimal

import numpy as np
import pytest
from test_workbook import NAMES, make_consolidation
from test_xlsx_fast import parts

from dvk_cli.outputs import xlsx
from dvk_cli.outputs.workbook import build_workbook

# texts as they reach the writer (not all can come through styles.clean_text:
# the control characters are for XlsxWriter's escaping)
TRICKY_TEXTS = ["plain", "Thị xã Phước Long", " lead", "trail ", "\ttab", "line\n", "\nline",
                "a&b", "<b>", 'say "hi"', "it's", "=1+1", "+84 912", "-x", "@cmd",
                "<r>rich-looking</r>", "<r><t>x</t></r>", "<r>only start", "_x0041_",
                "_x00e9_ and _X0041_", "_x004", "ctl\x01\x02\x1b", "nul\x00", "\ufffe\uffff",
                "dòng một\ndòng hai", "\u00a0nbsp", "nbsp\u2003", "x" * 16383, "y" * 16384,
                "z" * 40000, "emoji 😀" * 3000]
TRICKY_NUMBERS = [0, 1, -1, 7, 2 ** 53 + 1, 10 ** 20, 0.0, -0.0, 0.1, -2.5, 1e17, 1e-300, 5e-324,
                  1.7976931348623157e308, 123456789.123456789, 1 / 3]
FIGURES = [None, float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1.0, 2.5, -3.0, 1e17,
           1e300, 1e-300, 1234567.891, 0.1, np.float64(4.0), np.float64(4.25), np.int64(9), 5,
           -7, 2 ** 60, True, False, "abc", "12", "1,5", Decimal("1.5")]
HOSTILE = TRICKY_TEXTS[:27] + [None, float("nan"), "", 12, 2.5, np.int64(7), True, -0.0]


def test_this_xlsxwriter_lets_dvk_write_the_rows():
    assert xlsx._fast_rows()
    book = xlsx.Book(io.BytesIO())
    assert book.fast
    sh = book.sheet("S")
    assert isinstance(sh.rows, xlsx._Rows)
    assert sh.ws._write_single_row == sh.rows.write_single_row
    book.close()


def _xlsxwriter_cell(cell) -> str:
    """What XlsxWriter's own _write_cell writes for `cell` at A1 of a
    constant-memory sheet (its style given by a format of its own)."""
    book = xlsx.Book(io.BytesIO(), fast=False)
    ws = book.sheet("S").ws
    ws.fh = io.StringIO()
    ws._write_cell(0, 0, cell)
    out = ws.fh.getvalue()
    book.close()
    return out


@pytest.mark.parametrize("text", TRICKY_TEXTS, ids=range(len(TRICKY_TEXTS)))
def test_a_string_cell_is_what_xlsxwriter_writes(text):
    from xlsxwriter.worksheet import CellStringTuple

    fmt = xlsx.Book(io.BytesIO(), fast=False).wb.add_format({"bold": True})
    fmt.xf_index = 3
    expected = _xlsxwriter_cell(CellStringTuple(text, fmt))
    xml = xlsx._string_xml(text)
    if xml is None:  # left to XlsxWriter: too long to be sure of, or rich text
        assert len(text) > 16383 or expected.startswith('<c r="A1" s="3" t="inlineStr"><is><r>')
    else:
        assert '<c r="A1" s="3"' + xml == expected


@pytest.mark.parametrize("number", TRICKY_NUMBERS, ids=range(len(TRICKY_NUMBERS)))
def test_a_number_cell_is_what_xlsxwriter_writes(number):
    from xlsxwriter.worksheet import CellNumberTuple

    fmt = xlsx.Book(io.BytesIO(), fast=False).wb.add_format({"bold": True})
    fmt.xf_index = 5
    assert '<c r="A1" s="5"' + xlsx._number_xml(number) == _xlsxwriter_cell(
        CellNumberTuple(number, fmt))


def book_parts(fill, fast: bool) -> dict[str, bytes]:
    """A one-sheet workbook filled by `fill(sheet)`, its rows written by dvk
    (fast) or by XlsxWriter."""
    buffer = io.BytesIO()
    book = xlsx.Book(buffer, fast=fast)
    sh = book.sheet("S")
    assert (sh.rows is not None) == fast
    sh.set_widths([10, 14, 8, 20, 30, 12] * 4)
    fill(sh)
    book.close()
    return parts(buffer.getvalue())


def same_both_ways(fill) -> None:
    assert book_parts(fill, fast=True) == book_parts(fill, fast=False)


def test_rows_of_hostile_texts_every_way_they_are_written():
    looks = [dict(), dict(bold=True, horizontal="center"), dict(size=11, shade="E7E6E6"),
             dict(wrap=False, border=False)]

    def fill(sh):
        made = [sh.book.look(**look) for look in looks]
        r = 1
        for i in range(0, len(HOSTILE), 4):
            values = HOSTILE[i:i + 4]
            texts = sh.write_texts(r, 2, values, made[:len(values)])
            sh.fit_row(r, enumerate(texts, start=2))
            texts = [(c, sh.put_text(r + 1, c, v, made[c - 2]))
                     for c, v in enumerate(values, start=2)]
            sh.fit_row(r + 1, texts)
            for c, v in enumerate(values, start=2):
                sh.text(r + 2, c, v, **looks[c - 2])
            r += 4  # a row left out between

    same_both_ways(fill)


@pytest.mark.parametrize("type_", ["count", "money", "percent", "length"])
def test_rows_of_figures_every_way_they_are_written(type_):
    def fill(sh):
        formats = sh.book.figure_formats(type_, horizontal="right", shade="E7E6E6")
        sh.write_numbers(1, 1, FIGURES, [formats] * len(FIGURES))
        for r, value in enumerate(FIGURES, start=2):
            number = sh.put_number(r, 2, value, formats)
            sh.number(r, 3, value, type_, bold=True)
            if number is not None:
                sh.raw_number(r, 4, number, formats[1])
            sh.raw_number(r, 5, None, formats[0])

    same_both_ways(fill)


def test_merges_comments_heights_and_blanks_among_the_rows():
    def fill(sh):
        book = sh.book
        sh.title_row(1, "Tiêu đề & <b>", 6)
        sh.header_row(3, ["STT", " a", "b\n", "=c", "d", "e"])
        sh.set_height(4, 30)  # a row with a height only
        sh.write_texts(5, 1, ["x", "y"], [book.look(), book.look()])
        sh.comment(5, 2, "ghi chú & <x>")
        sh.merge(5, 3, 5, 5, "gộp", italic=True)
        sh.blank(5, 6, shade="FFC7CE")
        sh.plain_text(5, 7, "+list")
        sh.plain_text(5, 8, "list")
        sh.merge_down(6, 1, 8)
        sh.write_numbers(6, 1, [1.0, 2.5], [book.figure_formats("count")] * 2)
        sh.note_row(8, "ghi chú dưới bảng", 6)
        sh.comment(9, 1, "only a comment")
        sh.set_height(9, 22)
        sh.write_texts(12, 3, ["z"], [book.look()])
        sh.print_setup(title_rows=(3, 3))

    same_both_ways(fill)


def test_cells_xlsxwriter_refuses_are_refused_the_same():
    def fill(sh):
        look = sh.book.look()
        formats = sh.book.figure_formats("count")
        sh.write_texts(1, 16384, ["last column", "past it"], [look, look])
        sh.write_numbers(2, 16383, [1.0, 2.0, 3.0], [formats] * 3)
        sh.write_texts(1_048_577, 1, ["past the last row"], [look])

    same_both_ways(fill)


def test_rows_of_nothing_write_nothing():
    def fill(sh):
        sh.write_texts(1, 1, ["a"], [sh.book.look()])
        sh.write_texts(2, 3, [], [])
        sh.write_numbers(3, 5, [], [])
        sh.write_texts(3, 2, ["b"], [sh.book.look()])

    same_both_ways(fill)


def test_formats_missing_go_through_xlsxwriter():
    def fill(sh):
        formats = sh.book.figure_formats("count")
        with_none = [formats, (None, formats[1], formats[2])]
        sh.write_numbers(1, 1, [None, None], with_none)
        sh.write_numbers(2, 1, [1.0, 2.0], with_none)
        sh.put_number(3, 1, None, (None, formats[1], formats[2]))
        sh.raw_number(4, 1, 5, None)
        sh.raw_number(4, 2, None, None)

    same_both_ways(fill)


def test_rows_still_come_in_order_and_a_workbook_fails_the_same():
    book = xlsx.Book(io.BytesIO())
    sh = book.sheet("S")
    sh.write_texts(3, 1, ["a"], [book.look()])
    with pytest.raises(RuntimeError):
        sh.write_numbers(2, 1, [1.0], [book.figure_formats("count")])
    with pytest.raises(ValueError):  # zip(strict=True): one look too few
        sh.write_texts(4, 1, ["a", "b"], [book.look()])
    book.close()


# ------------------------------------------------------------------ workbooks

HOSTILE_NAMES = {"BUDANG": "=1+1 <b>&\"'", "BUDOP": "<r>x</r>", "DONGXOAI": "  đầu cuối  ",
                 "PHUOCLONG": "x" * 20000}
HOSTILE_DATA = {
    "BUDANG": {"MH_TONG": float("nan"), "MH_TAPTHE": float("inf"), "DON_NHAN": -0.0,
               "DON_GQ": 1e300, "NHA_DDK_SO": 1e-300, "NHA_DDK_TIEN": 1.2345678901234567e19},
    "BUDOP": {"MH_TONG": -float("inf"), "MH_TAPTHE": np.float64(2.5), "DON_NHAN": np.int64(30),
              "DON_GQ": 0.1, "NHA_DDK_TIEN": 2 ** 53 + 1, "DUONG_DIEN_KM": 3.5e-7},
    "DONGXOAI": {"MH_TONG": 1, "DON_NHAN": 5e15, "NHA_TN_SO": -1},
}
HOSTILE_MODELS = [(unit, text, text, text, i % 2 == 0) for i, (unit, text) in enumerate(
    zip(["BUDANG", "BUDOP", "DONGXOAI"] * 10, TRICKY_TEXTS[:27], strict=False))]


def workbook_parts(c) -> dict[str, bytes]:
    buffer = io.BytesIO()
    build_workbook(c, buffer)
    return parts(buffer.getvalue())


@pytest.fixture
def consolidations(monkeypatch):
    from dvk_cli.core.findings import Finding, Status

    def hostile():
        for code, name in HOSTILE_NAMES.items():  # Phước Long: a unit that sent nothing
            monkeypatch.setitem(NAMES, code, name)
        findings = [Finding("warning", "MH_LOAI", text, file=text, sheet="Biểu", cell="E14",
                            unit=unit, indicator="MH_TONG")
                    for (unit, text, *_) in HOSTILE_MODELS]
        c = make_consolidation(findings=findings, data=HOSTILE_DATA, models=HOSTILE_MODELS)
        gone = dataclasses.replace(findings[0], status=Status.RESOLVED, message="Đã sửa.")
        return dataclasses.replace(c, resolved=[gone])

    return {"default": make_consolidation, "hostile": hostile,
            "empty": lambda: make_consolidation(findings=[], data={}, models=[])}


@pytest.mark.parametrize("case", ["default", "hostile", "empty"])
def test_the_workbook_is_the_same_when_xlsxwriter_writes_the_rows(monkeypatch, consolidations,
                                                                   case):
    c = consolidations[case]()
    fast = workbook_parts(c)
    monkeypatch.setattr(xlsx, "_fast_rows", lambda: False)
    assert workbook_parts(c) == fast


# ------------------------------------------------------------------ fallback


@pytest.fixture
def fresh_check():
    xlsx._fast_rows.cache_clear()
    yield
    xlsx._fast_rows.cache_clear()


@pytest.mark.parametrize("name", ["_write_row", "_write_cell", "_escape_data",
                                  "_write_empty_row"])
def test_without_the_internals_xlsxwriter_writes_the_rows(monkeypatch, fresh_check, name):
    from xlsxwriter.worksheet import Worksheet
    from xlsxwriter.xmlwriter import XMLwriter

    owner = XMLwriter if name == "_escape_data" else Worksheet
    monkeypatch.delattr(owner, name)
    assert not xlsx._fast_rows()
    book = xlsx.Book(io.BytesIO())
    assert not book.fast
    assert book.sheet("S").rows is None


def test_without_the_worksheet_state_xlsxwriter_writes_the_rows(monkeypatch, fresh_check):
    monkeypatch.setattr(xlsx, "_WORKSHEET_STATE", (*xlsx._WORKSHEET_STATE, "no_such_thing"))
    assert not xlsx._fast_rows()


@pytest.mark.parametrize("wrong", ["number", "string", "tag"])
def test_a_serializer_that_differs_is_not_used(monkeypatch, fresh_check, wrong):
    if wrong == "number":
        monkeypatch.setattr(xlsx, "_number_xml", lambda number: f"><v>{number:.15G}</v></c>")
    elif wrong == "string":
        real = xlsx._string_xml
        monkeypatch.setattr(xlsx, "_string_xml",
                            lambda text: real(text.replace("&", "+")) if "&" in text else
                            real(text))
    else:
        monkeypatch.setattr(xlsx._Rows, "_tag", lambda self, info: ' spans="1:1"')
    assert not xlsx._fast_rows()
    assert not xlsx.Book(io.BytesIO()).fast


def test_a_check_that_fails_leaves_xlsxwriter_to_write(monkeypatch, fresh_check):
    def broken(fast):
        raise AttributeError("changed")

    monkeypatch.setattr(xlsx, "_probe", broken)
    assert not xlsx._fast_rows()


def test_not_constant_memory_xlsxwriter_writes_the_rows():
    book = xlsx.Book(io.BytesIO(), constant_memory=False)
    assert not book.fast and book.sheet("S").rows is None
    book.close()



def _deflated_size(data: bytes, level: int) -> int:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)  # a zip member's raw deflate
    return len(packer.compress(data) + packer.flush())


def test_the_workbook_is_zipped_at_dvks_deflate_level_and_xlsxwriter_is_left_as_it_was(tmp_path):
    """Every part of the consolidated workbook is deflated at ZIP_LEVEL (its
    compressed size is exactly zlib's at that level, not at XlsxWriter's
    default), the workbook reads back, and XlsxWriter's module makes plain
    ZipFiles again after the close, a failed one included."""
    import zipfile

    import openpyxl
    from xlsxwriter import workbook as xlsxwriter_workbook

    path = tmp_path / "tong-hop.xlsx"
    with path.open("wb") as fh:
        build_workbook(make_consolidation(), fh)
    assert xlsxwriter_workbook.ZipFile is zipfile.ZipFile
    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if i.file_size > 2000]
        assert infos
        for info in infos:
            data = z.read(info)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.compress_size == _deflated_size(data, xlsx.ZIP_LEVEL), info.filename
            assert info.compress_size != _deflated_size(data, zlib.Z_DEFAULT_COMPRESSION)
    assert openpyxl.load_workbook(path).sheetnames[0]

    class Refused(Exception):
        pass

    book = xlsx.Book(io.BytesIO())
    book.sheet("S").text(1, 1, "x")

    def fail(*args, **kwargs):
        assert xlsxwriter_workbook.ZipFile is not zipfile.ZipFile  # during the close
        raise Refused

    book.wb._store_workbook = fail
    with pytest.raises(Refused):
        book.close()
    assert xlsxwriter_workbook.ZipFile is zipfile.ZipFile
