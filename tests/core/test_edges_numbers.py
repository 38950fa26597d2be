"""Edge behaviour of dvk_cli.core.numbers, one table per function: what a clerk
types into a cell and what dvk reads, and how figures are printed back
(issue 11). Expectations are written out by hand, never derived from the
module under test."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from dvk_cli.core.numbers import (
    NotANumber,
    clean,
    excel_format,
    fmt_figure,
    fmt_figure_number,
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_value,
    parse_number,
)

REJECT = NotANumber  # marker in the tables: the cell must be refused


def _row(name, *values):
    return pytest.param(*values, id=name)


# ------------------------------------------------------------------ parse_number
# (what is in the cell, expected value | None | (REJECT, message fragment))

PARSE = [
    # not reported: empty cells and the dashes clerks put in them
    _row("empty cell (None)", None, None),
    _row("empty string", "", None),
    _row("dash means not reported", "-", None),
    _row("en dash means not reported", "\u2013", None),
    _row("em dash means not reported", "\u2014", None),
    _row("spaces only", "   ", None),
    _row("NBSP only", "\u00a0", None),
    _row("dash between NBSPs", "\u00a0-\u00a0", None),
    _row("tab and newline only", "\t\n", None),
    # numbers Excel already stored as numbers
    _row("int cell", 1215, 1215),
    _row("zero cell is reported, not empty", 0, 0),
    _row("negative int passes (reading rejects it later)", -5, -5),
    _row("whole float 3.0 becomes int 3", 3.0, 3),
    _row("float 33.5 kept", 33.5, 33.5),
    _row("float -0.0 becomes int 0", -0.0, 0),
    _row("Decimal 1.5", Decimal("1.5"), 1.5),
    # logic, non-finite and date cells are never numbers
    _row("TRUE cell is not 1", True, (REJECT, "logic")),
    _row("FALSE cell is not 0", False, (REJECT, "logic")),
    _row("NaN float", math.nan, (REJECT, "không hợp lệ")),
    _row("+inf float", math.inf, (REJECT, "không hợp lệ")),
    _row("-inf float", -math.inf, (REJECT, "không hợp lệ")),
    _row("text 'nan'", "nan", (REJECT, "nan")),
    _row("text 'inf'", "inf", (REJECT, "inf")),
    _row("date cell", date(2024, 5, 1), (REJECT, "ngày/giờ")),
    _row("datetime cell", datetime(2024, 5, 1, 8, 30), (REJECT, "ngày/giờ")),
    _row("time cell", time(8, 30), (REJECT, "ngày/giờ")),
    _row("duration cell", timedelta(hours=1), (REJECT, "ngày/giờ")),
    # text: plain digits
    _row("plain 1215", "1215", 1215),
    _row("plain with spaces around", "  1215 ", 1215),
    _row("plain with sign", "+7", 7),
    _row("plain negative", "-12", -12),
    _row("space-grouped 1 215", "1 215", 1215),
    _row("NBSP-grouped 1 215", "1\u00a0215", 1215),
    # text: Vietnamese notation ('.' groups thousands, ',' decimals)
    _row("vi-grouped 1.215", "1.215", 1215),
    _row("vi-grouped 1.234.567", "1.234.567", 1234567),
    _row("vi-grouped with decimals 1.520,5", "1.520,5", 1520.5),
    _row("vi-grouped 1.000,0 is whole", "1.000,0", 1000),
    _row("vi-grouped negative -1.215", "-1.215", -1215),
    _row("vi-decimal 33,5", "33,5", 33.5),
    _row("vi-decimal 0,5", "0,5", 0.5),
    _row("vi-decimal +33,5", "+33,5", 33.5),
    _row("vi-decimal 1,215 is one point two one five", "1,215", 1.215),
    _row("vi-decimal 2,0 is whole", "2,0", 2),
    # text: a dot that cannot be a thousands separator
    _row("dot-decimal 33.5", "33.5", 33.5),
    _row("dot-decimal 12.50", "12.50", 12.5),
    _row("dot-decimal 1.2345 (four decimals)", "1.2345", 1.2345),
    _row("dot-decimal 5.00 is whole", "5.00", 5),
    # text: English grouping, unambiguous only with a decimal part
    _row("en-grouped 1,520.5", "1,520.5", 1520.5),
    _row("en-grouped 1,234,567.25", "1,234,567.25", 1234567.25),
    _row("en-grouped 1,000.0 is whole", "1,000.0", 1000),
    # text: ambiguous or not a number
    _row("12345.678 is ambiguous", "12345.678", (REJECT, "12345.678")),
    _row("1234.567 is ambiguous", "1234.567", (REJECT, "1234.567")),
    _row("en-grouped without decimals 1,234,567", "1,234,567", (REJECT, "1,234,567")),
    _row("broken grouping 1.2.3", "1.2.3", (REJECT, "1.2.3")),
    _row("bad group size 12.34.567", "12.34.567", (REJECT, "12.34.567")),
    _row("mixed marks 1.520.5", "1.520.5", (REJECT, "1.520.5")),
    _row("number with a unit '12 người'", "12 người", (REJECT, "12 người")),
    _row("percent sign 95%", "95%", (REJECT, "95%")),
    _row("scientific 1e3", "1e3", (REJECT, "1e3")),
    _row("words", "không có", (REJECT, "không có")),
    _row("double dash", "--", (REJECT, "--")),
    _row("lone comma", ",", (REJECT, ",")),
]


@pytest.mark.parametrize("cell, expected", PARSE)
def test_parse_number(cell, expected):
    if isinstance(expected, tuple):
        exc_type, fragment = expected
        with pytest.raises(exc_type) as info:
            parse_number(cell)
        assert fragment in str(info.value)
        return
    got = parse_number(cell)
    if expected is None:
        assert got is None
    else:
        assert got == expected
        assert type(got) is type(expected), f"{got!r} should be {type(expected).__name__}"


def test_not_a_number_is_a_value_error():
    # callers that catch ValueError keep working
    assert issubclass(NotANumber, ValueError)


# ------------------------------------------------------------------ fmt_number
# (value, decimals or None for the default, printed)

FMT_NUMBER = [
    _row("whole 1215 grouped with dots", 1215, None, "1.215"),
    _row("zero", 0, None, "0"),
    _row("minus zero prints 0", -0.0, 0, "0"),
    _row("negative whole", -1215, 0, "-1.215"),
    _row("whole float 1215.0", 1215.0, None, "1.215"),
    _row("millions", 123456789, 0, "123.456.789"),
    _row("decimal comma 33,5", 33.5, None, "33,5"),
    _row("two decimals 15,15", 15.15, None, "15,15"),
    _row("default keeps two decimals", 1.234, None, "1,23"),
    _row("three decimals asked", 1.2345, 3, "1,234"),
    _row("no trailing zeros", 2.5, 2, "2,5"),
    _row("negative decimal", -1520.5, None, "-1.520,5"),
    _row("grouped with decimals", 1234567.891, 2, "1.234.567,89"),
    _row("rounds up to whole", 1519.999, 2, "1.520"),
    _row("rounds away tiny value", 0.004, 2, "0"),
    _row("zero decimals rounds 7257,6", 7257.6, 0, "7.258"),
    _row("one decimal", 98.54, 1, "98,5"),
    _row("six decimals for conversion notes", 0.000001, 6, "0,000001"),
    _row("1e15 exactly", 1e15, 2, "1.000.000.000.000.000"),
    _row("above 1e15 with a fraction", 1e15 + 0.5, 2, "1.000.000.000.000.000,5"),
    _row("1e23 without binary noise", 1e23, 0, "100.000.000.000.000.000.000.000"),
    _row("1e26 money does not crash", 1e26, 2, "100.000.000.000.000.000.000.000.000"),
    _row("1e30 cell does not crash", 10**30, 6, "1." + ".".join(["000"] * 10)),
]


@pytest.mark.parametrize("value, decimals, expected", FMT_NUMBER)
def test_fmt_number(value, decimals, expected):
    got = fmt_number(value) if decimals is None else fmt_number(value, decimals)
    assert got == expected


# ------------------------------------------------------------------ fmt_money
# (triệu đồng, printed)

FMT_MONEY = [
    _row("zero", 0, "0 triệu đồng"),
    _row("250 triệu", 250, "250 triệu đồng"),
    _row("999 stays triệu", 999, "999 triệu đồng"),
    _row("fraction of triệu", 33.456, "33,46 triệu đồng"),
    _row("half a triệu", 0.5, "0,5 triệu đồng"),
    _row("1000 is 1 tỷ, not 1.000 triệu", 1000, "1 tỷ đồng"),
    _row("1000.0 float is 1 tỷ", 1000.0, "1 tỷ đồng"),
    _row("1520 is 1,52 tỷ", 1520, "1,52 tỷ đồng"),
    _row("1234 keeps two decimals of tỷ", 1234, "1,23 tỷ đồng"),
    _row("2500 is 2,5 tỷ", 2500, "2,5 tỷ đồng"),
    _row("1.215.300 triệu is 1.215,3 tỷ", 1_215_300, "1.215,3 tỷ đồng"),
    _row("negative triệu", -250, "-250 triệu đồng"),
    _row("negative 1000 is -1 tỷ", -1000, "-1 tỷ đồng"),
    _row("negative 1520 is -1,52 tỷ", -1520, "-1,52 tỷ đồng"),
    _row("huge money does not crash", 10**29, "100.000.000.000.000.000.000.000.000 tỷ đồng"),
]


@pytest.mark.parametrize("million_vnd, expected", FMT_MONEY)
def test_fmt_money(million_vnd, expected):
    assert fmt_money(million_vnd) == expected


# ------------------------------------------------------------------ fmt_percent
# (value already ×100, printed)

FMT_PERCENT = [
    _row("98,5%", 98.5, "98,5%"),
    _row("whole 95% keeps its decimal", 95, "95,0%"),
    _row("100%", 100, "100,0%"),
    _row("0%", 0, "0,0%"),
    _row("one decimal only 98,54 -> 98,5", 98.54, "98,5%"),
    _row("one third", 33.333, "33,3%"),
    _row("99,96 rounds to 100", 99.96, "100,0%"),
    _row("tiny rounds to 0", 0.04, "0,0%"),
    _row("tiny negative is not -0", -0.04, "0,0%"),
    _row("thousands grouped", 1234.56, "1.234,6%"),
    _row("over 100 is printed as is", 120.25, "120,2%"),
]


@pytest.mark.parametrize("value, expected", FMT_PERCENT)
def test_fmt_percent(value, expected):
    assert fmt_percent(value) == expected


# ------------------------------------------------------------------ fmt_value
# (value, indicator type, unit, printed)

FMT_VALUE = [
    _row("money in tỷ", 1520, "money", "triệu đồng", "1,52 tỷ đồng"),
    _row("money in triệu", 250, "money", "triệu đồng", "250 triệu đồng"),
    _row("percent", 98.5, "percent", "%", "98,5%"),
    _row("percent ignores unit", 95, "percent", "", "95,0%"),
    _row("length defaults to km", 12.5, "length", "", "12,5 km"),
    _row("length two decimals", 1.234, "length", "", "1,23 km"),
    _row("length whole", 5, "length", "km", "5 km"),
    _row("length with its own unit", 1.25, "length", "m", "1,25 m"),
    _row("count bare", 1215, "count", "mô hình", "1.215"),
    _row("count whole float", 1215.0, "count", "", "1.215"),
    _row("count with a fraction (averages)", 33.5, "count", "", "33,5"),
    _row("count fraction two decimals", 1.234, "count", "", "1,23"),
    _row("unknown type printed bare", 7, "", "", "7"),
]


@pytest.mark.parametrize("value, type_, unit, expected", FMT_VALUE)
def test_fmt_value(value, type_, unit, expected):
    assert fmt_value(value, type_, unit) == expected


def test_fmt_value_unit_is_optional():
    assert fmt_value(2, "length") == "2 km"


# ------------------------------------------------------------------ excel_format
# (value, indicator type, Excel number format) — literal formats on purpose

FMT_EXCEL = [
    _row("count whole", 5, "count", "#,##0"),
    _row("money whole float", 5.0, "money", "#,##0"),
    _row("money with decimals", 33.5, "money", "#,##0.0#"),
    _row("length with decimals", 1.25, "length", "#,##0.0#"),
    _row("empty cell", None, "count", "#,##0"),
    _row("empty money cell", None, "money", "#,##0"),
    _row("percent with decimals", 98.5, "percent", "0.0"),
    _row("percent whole", 100, "percent", "0.0"),
    _row("percent empty", None, "percent", "0.0"),
]


@pytest.mark.parametrize("value, type_, expected", FMT_EXCEL)
def test_excel_format(value, type_, expected):
    assert excel_format(value, type_) == expected


# ------------------------------------------------------- clean, figures by type

@pytest.mark.parametrize("value,expected,kind", [
    (3.0, 3, int),
    (1215.0, 1215, int),
    (0.0, 0, int),
    (7, 7, int),
    (33.5, 33.5, float),
    (0.1 + 0.2, 0.3, float),  # binary noise 0.30000000000000004 dropped
    (15.15 + 18.35, 33.5, float),
    (1 / 3, 0.333333, float),
    (0.1234567, 0.123457, float),  # kept to 6 decimals, not 7
    (2 / 3 * 100, 66.666667, float),
], ids=[
    "whole float 3.0 shown as 3",
    "1215.0 shown as 1215",
    "zero float shown as 0",
    "int stays int",
    "33,5 kept",
    "0.1+0.2 is 0.3 not 0.30000000000000004",
    "15,15+18,35 is 33,5",
    "one third to 6 decimals",
    "7th decimal rounded away",
    "two thirds percent to 6 decimals",
])
def testclean(value, expected, kind):
    got = clean(value)
    assert got == expected
    assert type(got) is kind


def _ind(type_: str, unit: str):
    from dvk_cli.core.catalog import Indicator

    return Indicator(code="X_Y", label="x", short="x", unit=unit, type=type_, kind="input",
                     group="g")


@pytest.mark.parametrize(("value", "type_", "unit", "with_unit", "bare"), [
    (1215, "count", "mô hình", "1.215 mô hình", "1.215"),
    (1520, "money", "triệu đồng", "1,52 tỷ đồng", "1,52 tỷ đồng"),
    (98.54, "percent", "%", "98,5%", "98,5%"),
    (12.5, "length", "km", "12,5 km", "12,5 km"),
    (7, "count", "", "7", "7"),
], ids=["count with its unit", "money in tỷ", "percent one decimal", "length with km",
        "count without a unit"])
def test_fmt_figure(value, type_, unit, with_unit, bare):
    ind = _ind(type_, unit)
    assert fmt_figure(value, ind) == with_unit
    assert fmt_figure(value, ind, unit=False) == bare


@pytest.mark.parametrize(("value", "type_", "expected"), [
    (98.54, "percent", "98,5"),
    (15.156, "length", "15,16"),
    (1520, "money", "1.520"),
    (1215.257, "count", "1.215,26"),
], ids=["percent: one decimal", "length: two decimals", "money stays in triệu",
        "count: at most two decimals"])
def test_fmt_figure_number(value, type_, expected):
    assert fmt_figure_number(value, _ind(type_, "")) == expected
