"""Sheet.write_record (outputs/xlsx.py) writes what the calls it stands for
write one by one — Sheet.put_text for a text, Sheet.put_number for a
figure, then Sheet.fit_row over the texts — with dvk writing the rows (_Rows)
and with XlsxWriter writing them: the files byte for byte, and the state
XlsxWriter keeps for the rest of the file (dimensions, row properties and
sizes, which place the comments' boxes)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_xlsx_fast import parts
from test_xlsx_speed_paths import TRICKY_TEXTS

from dvk_cli.outputs import xlsx

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# a column 3 wide holds 4 characters a line exactly (styles.chars_per_line)
WIDTHS = [5, 12, 3, 26, 8, 40, 11, 6, 30]
# texts as they come in a return: odd spaces and characters, rich-text and
# formula look-alikes, line breaks, texts too long for a cell, nothing
ODD_TEXTS = [*TRICKY_TEXTS, "  hai đầu  ", "=1+1", "a\r\nb", "\x00\x07\x1f", "x" * 20000, "",
             " ", "abcd", "abcde", "dòng một dòng hai " * 8, None, float("nan")]
FIGURES = [None, float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1.0, 2.5, 1e17, 1e-300,
           0.1, 7, -3, 2 ** 60, True, False, np.float64(4.0), np.float64(4.25), np.int64(9),
           "12", "abc"]

texts = st.one_of(st.sampled_from(ODD_TEXTS), st.text(max_size=60), st.integers(-5, 5))
figures = st.one_of(st.sampled_from(FIGURES),
                    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 6, 10 ** 6))
# a cell: its kind (a text in one of four looks, a figure in one of three
# formats' sets) and its value
cells = st.one_of(st.tuples(st.sampled_from(["t0", "t1", "t2", "t3"]), texts),
                  st.tuples(st.sampled_from(["f0", "f1", "f2"]), figures))
# a row: the row's step down, its first column, its cells, and what else is
# written on it: nothing, a text before the record in its columns, one
# after (in its columns or past them), a second record, a comment, a height
extras = st.sampled_from(["", "before", "within", "after", "second", "comment", "height"])
rows = st.lists(st.tuples(st.integers(1, 2), st.integers(1, 3),
                          st.lists(cells, min_size=1, max_size=8), extras),
                min_size=1, max_size=12)


def _looks(book: xlsx.Book) -> dict[str, object]:
    return {"t0": book.look(), "t1": book.look(horizontal="center", size=11),
            "t2": book.look(bold=True, shade="E7E6E6"), "t3": book.look(wrap=False),
            "f0": book.figure_formats("count", horizontal="right"),
            "f1": book.figure_formats("money", shade="E7E6E6"),
            # an STT's: one format for every figure
            "f2": (book.format(horizontal="center"),) * 3}


def one_by_one(sh: xlsx.Sheet, row: int, col: int, values, looks) -> None:
    """What write_record stands for."""
    texts = []
    for c, (value, look) in enumerate(zip(values, looks, strict=True), start=col):
        if isinstance(look, xlsx.Look):
            texts.append((c, sh.put_text(row, c, value, look)))
        else:
            sh.put_number(row, c, value, look)
    sh.fit_row(row, texts)


def fill(sh: xlsx.Sheet, spec, by_record: bool) -> None:
    looks = _looks(sh.book)
    write = sh.write_record if by_record else (
        lambda row, col, values, row_looks: one_by_one(sh, row, col, values, row_looks))
    sh.set_widths(WIDTHS)
    sh.header_row(1, ["STT", "a", "b", "c"])
    r = 1
    for step, col, row_cells, extra in spec:
        r += step
        values = [value for _, value in row_cells]
        row_looks = tuple(looks[kind] for kind, _ in row_cells)
        if extra == "before":
            sh.text(r, col, "trước")
        write(r, col, values, row_looks)
        last = col + len(values) - 1
        if extra == "within":
            sh.text(r, col + len(values) // 2, "đè lên", bold=True)
        elif extra == "after":
            sh.put_text(r, last + 2, "sau", looks["t0"])
        elif extra == "second":
            write(r, last + 1, values[:2], row_looks[:2])
        elif extra == "comment":
            sh.comment(r, col, "ghi chú")
        elif extra == "height":
            sh.set_height(r, 33)
    sh.comment(r + 1, 2, "below the records: its box is placed by their heights")


def written(spec, by_record: bool, fast: bool) -> tuple:
    buffer = io.BytesIO()
    book = xlsx.Book(buffer, fast=fast)
    sh = book.sheet("S")
    assert (sh.rows is not None) == fast
    fill(sh, spec, by_record)
    ws = sh.ws
    state = (ws.dim_rowmin, ws.dim_rowmax, ws.dim_colmin, ws.dim_colmax, ws.previous_row,
             {r: vars(info) for r, info in ws.row_info.items()}, dict(ws.row_sizes),
             sh.heights, sh.max_row, sh.max_col, sh.row)
    book.close()
    return state, parts(buffer.getvalue())


@SETTINGS
@given(rows)
def test_a_record_is_its_cells_one_by_one(spec):
    expected = written(spec, by_record=False, fast=False)
    assert written(spec, by_record=False, fast=True) == expected
    assert written(spec, by_record=True, fast=True) == expected
    assert written(spec, by_record=True, fast=False) == expected


def test_records_of_every_odd_text_and_figure():
    spec = [(1, col, [("f2", i), ("t0", text), ("t1", text), ("f0", figure), ("t2", text),
                      ("f1", figure)], "")
            for col in (1, 2, 3)
            for i, (text, figure) in enumerate(zip(ODD_TEXTS, FIGURES * 4, strict=False))]
    expected = written(spec, by_record=False, fast=False)
    assert written(spec, by_record=True, fast=True) == expected


def test_the_records_rows_are_written_whole():
    """The common row — its formats numbered, every cell dvk's — goes to the
    file as one piece, not cell by cell through the table."""
    book = xlsx.Book(io.BytesIO())
    sh = book.sheet("S")
    looks = _looks(book)
    record = (looks["f2"], looks["t0"], looks["f0"])
    sh.write_record(1, 1, (1, "a", 2.5), record)
    sh.write_record(2, 1, (2, "b", 3.5), record)
    assert sh.ws.table[1] == {} and sh.rows is not None
    assert sh.rows.record_row == 1 and all(sh.rows.record)
    book.close()


def test_a_record_with_a_figure_without_formats_goes_cell_by_cell():
    spec_looks = lambda book: (book.figure_formats("count"), (None, None, None))  # noqa: E731

    def fill_missing(sh, by_record):
        looks = spec_looks(sh.book)
        for r in range(1, 4):
            (sh.write_record if by_record else
             lambda *a: one_by_one(sh, *a))(r, 1, [1.0, None if r == 2 else 2.0], looks)

    def run(by_record, fast):
        buffer = io.BytesIO()
        book = xlsx.Book(buffer, fast=fast)
        fill_missing(book.sheet("S"), by_record)
        book.close()
        return parts(buffer.getvalue())

    assert run(True, True) == run(False, False) == run(True, False)


def test_a_record_above_the_row_being_written_is_refused_the_same():
    book = xlsx.Book(io.BytesIO())
    sh = book.sheet("S")
    look = book.look()
    sh.write_record(3, 1, ["a"], (look,))
    with pytest.raises(RuntimeError):
        sh.write_record(2, 1, ["b"], (look,))
    with pytest.raises(ValueError):  # zip(strict=True): one look too few
        sh.write_record(4, 1, ["a", "b"], (look,))
    book.close()


# ------------------------------------------------------------------ the probe


@pytest.fixture
def fresh_check():
    xlsx._fast_rows.cache_clear()
    yield
    xlsx._fast_rows.cache_clear()


@pytest.mark.parametrize("wrong", ["height", "sizes", "style", "other sizes", "order"])
def test_a_record_writer_that_differs_is_not_used(monkeypatch, fresh_check, wrong):
    """The probe writes records both ways: a record that would write or keep
    something else leaves XlsxWriter to write the rows."""
    real_height, real_name_to = xlsx.Sheet._row_height, xlsx._Rows.name_to
    if wrong == "height":  # a height off by a pixel from the second row that height
        def height(self, r, points):
            real_height(self, r, points + (0.75 if points in self._row_heights else 0))
        monkeypatch.setattr(xlsx.Sheet, "_row_height", height)
    elif wrong == "sizes":  # row_sizes not kept
        def height(self, r, points):
            real_height(self, r, points)
            self.ws.row_sizes.pop(r, None)
        monkeypatch.setattr(xlsx.Sheet, "_row_height", height)
    elif wrong == "style":  # the starts of a cell's XML one column off
        def name_to(self, col):
            real_name_to(self, col)
            self.starts[:] = ['<c r="A', *self.starts[:-1]]
        monkeypatch.setattr(xlsx._Rows, "name_to", name_to)
    elif wrong == "other sizes":  # another row's sizes
        def height(self, r, points):
            real_height(self, r, points)
            self.ws.row_sizes[r] = self.ws.row_sizes.get(0, [points, False])
        monkeypatch.setattr(xlsx.Sheet, "_row_height", height)
    else:  # the record's cells before the table's, out of column order
        real_write_record = xlsx._Rows._write_record

        def write_record(self, row_num, cells):
            if cells:
                self.ws.fh.write("".join(x for x in self.record if x))
                self.record = [None] * len(self.record)
            real_write_record(self, row_num, cells)
        monkeypatch.setattr(xlsx._Rows, "_write_record", write_record)
    assert not xlsx._fast_rows()
    assert not xlsx.Book(io.BytesIO()).fast
