"""Edge behaviour of dvk_cli.core.periods, one table per function: what a clerk
types into the "Kỳ báo cáo" cell or a file name, and which period dvk reads
(issue 11). Expectations are written out by hand as (year, kind, index),
never derived from the module under test."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from dvk_cli.core.periods import Period, parse_period, period_from_filename


def _row(name, *values):
    return pytest.param(*values, id=name)


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _parts(p: Period | None):
    return None if p is None else (p.year, p.kind, p.index)


# ------------------------------------------------------------------ parse_period
# (what the clerk typed, expected (year, kind, index) | None)

PARSE = [
    # quarters, Roman numerals as reports write them
    _row("Quý I/2024", "Quý I/2024", (2024, "Q", 1)),
    _row("Quý II/2024", "Quý II/2024", (2024, "Q", 2)),
    _row("Quý III/2024", "Quý III/2024", (2024, "Q", 3)),
    _row("Quý IV/2024", "Quý IV/2024", (2024, "Q", 4)),
    _row("quý ii năm 2024", "quý ii năm 2024", (2024, "Q", 2)),
    _row("QUÝ IV NĂM 2024", "QUÝ IV NĂM 2024", (2024, "Q", 4)),
    _row("Quý III năm 2023", "Quý III năm 2023", (2023, "Q", 3)),
    _row("Quý I - 2024 (spaces round the dash)", "Quý I - 2024", (2024, "Q", 1)),
    _row("Quý IV / 2024 (spaces round the slash)", "Quý IV / 2024", (2024, "Q", 4)),
    _row("Quý IV năm 2024 typed on a Mac (NFD)", _nfd("Quý IV năm 2024"), (2024, "Q", 4)),
    _row("Quý I năm 2024 with NBSP and double spaces", "Quý\u00a0I  năm  2024", (2024, "Q", 1)),
    _row("Kết quả quý II năm 2024 (label inside a title)",
         "Kết quả công tác dân vận quý II năm 2024", (2024, "Q", 2)),
    # quarters, Arabic numerals
    _row("Quý 1/2024", "Quý 1/2024", (2024, "Q", 1)),
    _row("quý 2 năm 2024", "quý 2 năm 2024", (2024, "Q", 2)),
    _row("Quý 3-2024", "Quý 3-2024", (2024, "Q", 3)),
    _row("Quý 4/2024", "Quý 4/2024", (2024, "Q", 4)),
    # quarters with a comma or dash before 'năm' (were read as the whole year)
    _row("Quý I, năm 2024", "Quý I, năm 2024", (2024, "Q", 1)),
    _row("Quý II - năm 2024", "Quý II - năm 2024", (2024, "Q", 2)),
    _row("quý 3, 2024", "quý 3, 2024", (2024, "Q", 3)),
    _row("Quý IV – 2024 (en dash)", "Quý IV – 2024", (2024, "Q", 4)),
    # no fifth quarter, however written
    _row("Quý V/2024", "Quý V/2024", None),
    _row("quý v năm 2024", "quý v năm 2024", None),
    _row("Quý 5/2024", "Quý 5/2024", None),
    _row("Quý 0/2024", "Quý 0/2024", None),
    _row("Quý VI/2024", "Quý VI/2024", None),
    _row("Quý X/2024", "Quý X/2024", None),
    _row("Quý IIII/2024", "Quý IIII/2024", None),
    # months
    _row("tháng 1 năm 2024", "tháng 1 năm 2024", (2024, "M", 1)),
    _row("Tháng 01/2024", "Tháng 01/2024", (2024, "M", 1)),
    _row("tháng 5/2024", "tháng 5/2024", (2024, "M", 5)),
    _row("tháng 6-2024", "tháng 6-2024", (2024, "M", 6)),
    _row("tháng 9 năm 2024 is a month, not 9 months", "tháng 9 năm 2024", (2024, "M", 9)),
    _row("tháng 12/2024", "tháng 12/2024", (2024, "M", 12)),
    _row("THÁNG 12 NĂM 2024", "THÁNG 12 NĂM 2024", (2024, "M", 12)),
    _row("tháng 6, năm 2024", "tháng 6, năm 2024", (2024, "M", 6)),
    _row("tháng 7 - năm 2024", "tháng 7 - năm 2024", (2024, "M", 7)),
    _row("tháng 13/2024", "tháng 13/2024", None),
    _row("tháng 13 năm 2024", "tháng 13 năm 2024", None),
    _row("tháng 0/2024", "tháng 0/2024", None),
    _row("tháng 00/2024", "tháng 00/2024", None),
    # halves
    _row("6 tháng đầu năm 2024", "6 tháng đầu năm 2024", (2024, "H", 1)),
    _row("06 tháng đầu năm 2024", "06 tháng đầu năm 2024", (2024, "H", 1)),
    _row("6 tháng năm 2024", "6 tháng năm 2024", (2024, "H", 1)),
    _row("6 tháng đầu 2024", "6 tháng đầu 2024", (2024, "H", 1)),
    _row("Sơ kết 6 tháng đầu năm 2024 (title)", "Sơ kết 6 tháng đầu năm 2024", (2024, "H", 1)),
    _row("6 tháng cuối năm 2024", "6 tháng cuối năm 2024", (2024, "H", 2)),
    _row("6 tháng cuối 2024", "6 tháng cuối 2024", (2024, "H", 2)),
    _row("6 THÁNG CUỐI NĂM 2024", "6 THÁNG CUỐI NĂM 2024", (2024, "H", 2)),
    _row("6 tháng đầu năm (no year)", "6 tháng đầu năm", None),
    _row("6 tháng cuối năm (no year)", "6 tháng cuối năm", None),
    # nine months
    _row("9 tháng đầu năm 2024", "9 tháng đầu năm 2024", (2024, "9M", 0)),
    _row("09 tháng đầu năm 2024", "09 tháng đầu năm 2024", (2024, "9M", 0)),
    _row("9 tháng năm 2024", "9 tháng năm 2024", (2024, "9M", 0)),
    _row("9 tháng 2024", "9 tháng 2024", (2024, "9M", 0)),
    _row("9 tháng đầu năm (no year)", "9 tháng đầu năm", None),
    # years in words
    _row("cả năm 2024", "cả năm 2024", (2024, "Y", 0)),
    _row("năm 2024", "năm 2024", (2024, "Y", 0)),
    _row("Năm 2023", "Năm 2023", (2023, "Y", 0)),
    _row("BÁO CÁO TỔNG KẾT NĂM 2024 (title)", "BÁO CÁO TỔNG KẾT NĂM 2024", (2024, "Y", 0)),
    # codes
    _row("code 2024", "2024", (2024, "Y", 0)),
    _row("code 2024 with spaces", "  2024 ", (2024, "Y", 0)),
    _row("code 2024-H1", "2024-H1", (2024, "H", 1)),
    _row("code 2024-H2", "2024-H2", (2024, "H", 2)),
    _row("code 2024-Q1", "2024-Q1", (2024, "Q", 1)),
    _row("code 2024-Q2", "2024-Q2", (2024, "Q", 2)),
    _row("code 2024-Q3", "2024-Q3", (2024, "Q", 3)),
    _row("code 2024-Q4", "2024-Q4", (2024, "Q", 4)),
    _row("code 2024-9M", "2024-9M", (2024, "9M", 0)),
    *[_row(f"code 2024-{m:02d}", f"2024-{m:02d}", (2024, "M", m)) for m in range(1, 13)],
    _row("code 2023-Q4 (other year)", "2023-Q4", (2023, "Q", 4)),
    # codes in lower case
    _row("code 2024-h1", "2024-h1", (2024, "H", 1)),
    _row("code 2024-h2", "2024-h2", (2024, "H", 2)),
    _row("code 2024-q3", "2024-q3", (2024, "Q", 3)),
    _row("code 2024-9m", "2024-9m", (2024, "9M", 0)),
    # codes that are not periods
    _row("code 2024-13", "2024-13", None),
    _row("code 2024-00", "2024-00", None),
    _row("code 2024-Q5", "2024-Q5", None),
    _row("code 2024-Q0", "2024-Q0", None),
    _row("code 2024-H3", "2024-H3", None),
    _row("code 2024-H0", "2024-H0", None),
    _row("code 2024-6M", "2024-6M", None),
    _row("five digits 20245", "20245", None),
    _row("two-digit year 24", "24", None),
    # numbers Excel stored in the cell
    _row("int cell 2024", 2024, (2024, "Y", 0)),
    _row("float cell 2024.0", 2024.0, (2024, "Y", 0)),
    _row("float cell 2024.5", 2024.5, None),
    _row("float cell 2024.25", 2024.25, None),
    # nothing written
    _row("empty cell (None)", None, None),
    _row("empty string", "", None),
    _row("spaces only", "   ", None),
    _row("words without a period", "Báo cáo công tác dân vận", None),
]


@pytest.mark.parametrize("value, expected", PARSE)
def test_parse_period(value, expected):
    assert _parts(parse_period(value)) == expected


# ------------------------------------------------------------------ Period
# (period, code, label, title, review word)

PROPS = [
    _row("year 2024", Period(2024, "Y"), "2024", "năm 2024", "Năm 2024", "tổng kết"),
    _row("first half 2024", Period(2024, "H", 1),
         "2024-H1", "6 tháng đầu năm 2024", "6 tháng đầu năm 2024", "sơ kết"),
    _row("second half 2024", Period(2024, "H", 2),
         "2024-H2", "6 tháng cuối năm 2024", "6 tháng cuối năm 2024", "sơ kết"),
    _row("quarter I 2024", Period(2024, "Q", 1), "2024-Q1", "quý I năm 2024", "Quý I năm 2024", "sơ kết"),
    _row("quarter II 2024", Period(2024, "Q", 2), "2024-Q2", "quý II năm 2024", "Quý II năm 2024", "sơ kết"),
    _row("quarter III 2024", Period(2024, "Q", 3),
         "2024-Q3", "quý III năm 2024", "Quý III năm 2024", "sơ kết"),
    _row("quarter IV 2024", Period(2024, "Q", 4), "2024-Q4", "quý IV năm 2024", "Quý IV năm 2024", "sơ kết"),
    _row("nine months 2024", Period(2024, "9M"),
         "2024-9M", "9 tháng đầu năm 2024", "9 tháng đầu năm 2024", "sơ kết"),
    _row("month 1 2024", Period(2024, "M", 1), "2024-01", "tháng 1 năm 2024", "Tháng 1 năm 2024", "sơ kết"),
    _row("month 5 2024", Period(2024, "M", 5), "2024-05", "tháng 5 năm 2024", "Tháng 5 năm 2024", "sơ kết"),
    _row("month 12 2024", Period(2024, "M", 12),
         "2024-12", "tháng 12 năm 2024", "Tháng 12 năm 2024", "sơ kết"),
]


@pytest.mark.parametrize("period, code, label, title, review", PROPS)
def test_period_texts(period, code, label, title, review):
    assert period.code == code
    assert str(period) == code
    assert period.label == label
    assert period.title == title
    assert period.review_word == review


@pytest.mark.parametrize("period, code, label, title, review", PROPS)
def test_period_texts_parse_back(period, code, label, title, review):
    # what dvk writes into a form ("Kỳ báo cáo") must read back as the same period
    for text in (code, label, title):
        assert parse_period(text) == period, text


def test_a_period_without_index_has_index_zero():
    assert Period(2024, "Y").index == 0
    assert Period(2024, "9M").index == 0


# (id, earlier, later)
ORDER = [
    _row("2023 before 2024", Period(2023, "Y"), Period(2024, "Y")),
    _row("2023-Q4 before 2024-Q1 (year first)", Period(2023, "Q", 4), Period(2024, "Q", 1)),
    _row("2023-12 before 2024-01", Period(2023, "M", 12), Period(2024, "M", 1)),
    _row("2024-H1 before 2024-H2", Period(2024, "H", 1), Period(2024, "H", 2)),
    _row("2024-Q1 before 2024-Q2", Period(2024, "Q", 1), Period(2024, "Q", 2)),
    _row("2024-Q3 before 2024-Q4", Period(2024, "Q", 3), Period(2024, "Q", 4)),
    _row("2024-02 before 2024-10 (by number, not text)", Period(2024, "M", 2), Period(2024, "M", 10)),
]


@pytest.mark.parametrize("earlier, later", ORDER)
def test_period_order(earlier, later):
    assert earlier < later
    assert not later < earlier
    assert sorted([later, earlier]) == [earlier, later]


def test_periods_are_values():
    # equal periods are one key in a dict/set (the pipeline groups returns by period)
    assert {Period(2024, "Q", 4), parse_period("Quý IV/2024"), parse_period("2024-Q4")} == {
        Period(2024, "Q", 4)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Period(2024, "Q", 4).index = 3  # type: ignore[misc]


# ------------------------------------------------------------------ period_from_filename
# (file name without extension, expected (year, kind, index) | None)

FILENAMES = [
    # exactly one period
    _row("file bu-dang-2024-H1", "bu-dang-2024-H1", (2024, "H", 1)),
    _row("file bu-dang-2024-H2", "bu-dang-2024-H2", (2024, "H", 2)),
    _row("file dong-xoai-2024", "dong-xoai-2024", (2024, "Y", 0)),
    _row("file 2024_Q3_loc-ninh", "2024_Q3_loc-ninh", (2024, "Q", 3)),
    _row("file 'Bu Dang 2024 Q4'", "Bu Dang 2024 Q4", (2024, "Q", 4)),
    _row("file bu-dang-2024.Q2", "bu-dang-2024.Q2", (2024, "Q", 2)),
    _row("file bu-dang-2024H1 (no separator)", "bu-dang-2024H1", (2024, "H", 1)),
    _row("file bu-dang-2024-9M", "bu-dang-2024-9M", (2024, "9M", 0)),
    _row("file bu-dang-2024-h1 (lower case)", "bu-dang-2024-h1", (2024, "H", 1)),
    _row("file bu-dang-2024-q1 (lower case)", "bu-dang-2024-q1", (2024, "Q", 1)),
    # no period
    _row("file bu-dang (no year)", "bu-dang", None),
    _row("file bao-cao-bu-dang-final", "bao-cao-bu-dang-final", None),
    # two periods: never silently one of them
    _row("file bu-dang-2024-H1-2024-H2", "bu-dang-2024-H1-2024-H2", None),
    _row("file tong-hop-2023-2024", "tong-hop-2023-2024", None),
    _row("file bu-dang-2024-H1-nam-2024", "bu-dang-2024-H1-nam-2024", None),
    # the same period twice is that period
    _row("file bu-dang-2024-H1-ban-sua-2024-H1", "bu-dang-2024-H1-ban-sua-2024-H1", (2024, "H", 1)),
    _row("file 2024-bu-dang-2024", "2024-bu-dang-2024", (2024, "Y", 0)),
    # years outside 2000-2100 are not years
    _row("file bu-dang-1999", "bu-dang-1999", None),
    _row("file bu-dang-2000", "bu-dang-2000", (2000, "Y", 0)),
    _row("file bu-dang-2100", "bu-dang-2100", (2100, "Y", 0)),
    _row("file bu-dang-2101", "bu-dang-2101", None),
    _row("file bu-dang-1999-2024 (1999 is not a year)", "bu-dang-1999-2024", (2024, "Y", 0)),
    _row("file bu-dang-2024-2101 (2101 is not a year)", "bu-dang-2024-2101", (2024, "Y", 0)),
    _row("file bu-dang-2000-2024 (two years)", "bu-dang-2000-2024", None),
    _row("file bu-dang-2024-2100 (two years)", "bu-dang-2024-2100", None),
    # digits glued to other digits are not a year
    _row("file bu-dang-20241", "bu-dang-20241", None),
    _row("file bu-dang-12024", "bu-dang-12024", None),
    _row("file so-0912345678 (phone number)", "so-0912345678", None),
]


@pytest.mark.parametrize("stem, expected", FILENAMES)
def test_period_from_filename(stem, expected):
    assert _parts(period_from_filename(stem)) == expected


def test_a_text_read_again_is_the_same_period():
    """parse_period remembers the texts it parsed (a run's returns write their
    period alike): each value, asked in any order and again, gives what a
    fresh parse gives; texts alike but not the same are parsed on their own."""
    import random

    from dvk_cli.core import periods

    texts = ["Năm 2024", "năm 2024", " Năm  2024 ", unicodedata.normalize("NFD", "Năm 2024"),
             "Năm 2023", "6 tháng đầu năm 2024", "Quý I/2024", "Quý V/2024", "tháng 13 năm 2024",
             "2024-H1", "2024-h2", "2024-Q3", "2024-9M", "2024-05", "2024-13", "", "  ", "abc"]
    values = [*texts, 2024, 2024.0, 2024.5, 2023, None, "2024", "2024.0"]
    fresh = {}
    for v in values:
        periods._parse_text.cache_clear()
        fresh[repr(v)] = parse_period(v)
    for _ in range(3):
        random.Random(_).shuffle(values)
        for v in values:
            assert parse_period(v) == fresh[repr(v)], v
    assert parse_period("Năm 2024") == Period(2024, "Y") and parse_period(2024.0) == Period(2024, "Y")
    assert parse_period(2024.5) is None and parse_period("2024.0") is None
