"""The consolidated workbook's fast paths (outputs/xlsx.py) write exactly what
the plain ones do: XlsxWriter's undecorated cell writers against the public
methods, and a row written at once (Sheet.write_texts, write_numbers,
put_number, put_text) against the same cells written one by one
(Sheet.text, Sheet.number) — compared byte for byte in the files."""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from test_workbook import make_consolidation

from dvk_cli.outputs import xlsx
from dvk_cli.outputs.workbook import _model_rows, build_workbook

HOSTILE = ["=SUM(A1)", "+84 912", "-abc", "@cmd", "", "  lead", "tab\tand\nline", "x\x1b[31m",
           "bad\x00char", "Thị xã Phước Long", None, float("nan"), 12, 2.5, np.int64(7), True]
FIGURES = [None, float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1.0, 2.5, -3.0, 1e17,
           1234567.891, np.float64(4.0), np.float64(4.25), np.int64(9), 5, True, False,
           "abc", "12", Decimal("1.5")]
TYPES = ["count", "money", "percent", "length"]


def parts(data: bytes) -> dict[str, bytes]:
    """The parts of an .xlsx but its timestamps (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}


def book_bytes(fill, direct: bool | None = None) -> bytes:
    """A one-sheet workbook filled by `fill(sheet)`; direct=False: through
    XlsxWriter's public cell writers."""
    buffer = io.BytesIO()
    book = xlsx.Book(buffer)
    if direct is not None:
        book.direct = direct
    sh = book.sheet("S")
    sh.set_widths([10, 14, 8, 20, 30, 12] * 4)
    fill(sh)
    book.close()
    return buffer.getvalue()


def test_this_xlsxwriter_has_the_undecorated_writers():
    from xlsxwriter.worksheet import Worksheet

    assert xlsx._direct_writers()
    sh = xlsx.Book(io.BytesIO()).sheet("S")
    assert sh._number.__func__ is Worksheet._write_number
    assert sh._raw_string.__func__ is Worksheet._write_string
    assert sh._blank.__func__ is Worksheet._write_blank


def test_without_them_the_public_writers_are_used(monkeypatch):
    from xlsxwriter.worksheet import Worksheet

    xlsx._direct_writers.cache_clear()
    monkeypatch.delattr(Worksheet, "_write_blank")
    try:
        assert not xlsx._direct_writers()
        book = xlsx.Book(io.BytesIO())
        assert not book.direct
        assert book.sheet("S")._blank.__func__ is Worksheet.write_blank
    finally:
        xlsx._direct_writers.cache_clear()


def test_a_row_of_texts_is_the_texts_one_by_one():
    looks = [dict(), dict(bold=True, horizontal="center"), dict(size=11, shade="E7E6E6"),
             dict(wrap=False, border=False)]
    rows = [HOSTILE[i:i + 4] for i in range(0, len(HOSTILE), 4)]

    def one_by_one(sh):
        for r, values in enumerate(rows, start=1):
            texts = [(c, sh.text(r, c, v, **looks[c - 2])) for c, v in enumerate(values, start=2)]
            sh.fit_row(r, texts)

    def at_once(sh):
        made = [sh.book.look(**look) for look in looks]
        for r, values in enumerate(rows, start=1):
            texts = sh.write_texts(r, 2, values, made)
            sh.fit_row(r, enumerate(texts, start=2))

    def put(sh):
        made = [sh.book.look(**look) for look in looks]
        for r, values in enumerate(rows, start=1):
            texts = [(c, sh.put_text(r, c, v, made[c - 2])) for c, v in enumerate(values, start=2)]
            sh.fit_row(r, texts)

    expected = parts(book_bytes(one_by_one, direct=False))
    assert parts(book_bytes(one_by_one)) == expected
    assert parts(book_bytes(at_once)) == expected
    assert parts(book_bytes(put)) == expected


@pytest.mark.parametrize("type_", TYPES)
def test_a_row_of_figures_is_the_figures_one_by_one(type_):
    look = dict(horizontal="right", shade="E7E6E6")

    def one_by_one(sh):
        for r, value in enumerate(FIGURES, start=1):
            sh.number(r, 3, value, type_, **look)

    def at_once(sh):
        formats = sh.book.figure_formats(type_, **look)
        for r, value in enumerate(FIGURES, start=1):
            sh.write_numbers(r, 3, [value], [formats])

    def put(sh):
        formats = sh.book.figure_formats(type_, **look)
        for r, value in enumerate(FIGURES, start=1):
            number = sh.put_number(r, 3, value, formats)
            plain = xlsx.styles.clean_number(value)
            assert number == (None if plain is None or not math.isfinite(plain) else plain)

    expected = parts(book_bytes(one_by_one, direct=False))
    assert parts(book_bytes(one_by_one)) == expected
    assert parts(book_bytes(at_once)) == expected
    assert parts(book_bytes(put)) == expected


def test_row_heights_follow_widths_set_after_a_fit():
    def fill(sh):
        sh.fit_row(1, [(1, "x" * 40)])
        sh.set_widths([80])
        sh.fit_row(2, [(1, "x" * 40)])

    book = xlsx.Book(io.BytesIO())
    sh = book.sheet("S")
    sh.set_widths([10])
    fill(sh)
    assert sh.heights[1] > sh.heights[2] == xlsx.styles.row_height(1)


def test_rows_must_still_come_in_order():
    book = xlsx.Book(io.BytesIO())
    sh = book.sheet("S")
    sh.write_texts(3, 1, ["a"], [book.look()])
    with pytest.raises(RuntimeError):
        sh.write_numbers(2, 1, [1], [book.figure_formats("count")])
    with pytest.raises(RuntimeError):
        sh.put_text(1, 1, "b", book.look())


def test_model_rows_in_unit_order_with_blanks_and_marks():
    models = [("DONGXOAI", "=1+1", "Kinh tế", "Tập thể", "x"),
              ("NOWHERE", "lạ", "Kinh tế", "", False),
              ("BUDANG", "", "Văn hóa – xã hội", "Cá nhân", True),
              ("BUDOP", "b", "Kinh tế", "Tập thể", 0)]
    c = make_consolidation(models=models)
    frame = c.models.copy()
    frame.loc[frame["name"] == "=1+1", "implementer"] = float("nan")
    c = dataclasses.replace(c, models=frame)
    # Đơn vị, Tên mô hình, Lĩnh vực, Loại, Tiêu biểu, Đơn vị thực hiện, Ghi chú
    assert _model_rows(c) == [
        ("Huyện Bù Đăng", None, "Văn hóa – xã hội", "Cá nhân", "x", "Hội Nông dân", None),
        ("Huyện Bù Đốp", "b", "Kinh tế", "Tập thể", None, "Hội Nông dân", None),
        ("Thành phố Đồng Xoài", "=1+1", "Kinh tế", "Tập thể", "x", None, None),
        ("NOWHERE", "lạ", "Kinh tế", None, None, "Hội Nông dân", None),  # not a unit: last
    ]
    assert _model_rows(dataclasses.replace(c, models=pd.DataFrame())) == []


def test_the_workbook_is_the_same_through_the_public_writers(monkeypatch):
    c = make_consolidation()

    def written() -> dict[str, bytes]:
        buffer = io.BytesIO()
        build_workbook(c, buffer)
        return parts(buffer.getvalue())

    direct = written()
    xlsx._direct_writers.cache_clear()
    monkeypatch.setattr(xlsx, "_direct_writers", lambda: False)
    assert written() == direct
