"""Numbers that cannot be read, or cannot be true (issue 14): what a hostile
or careless cell holds, and what dvk makes of it — an error naming the cell,
never a crash, a silent guess, "∞" in a report or Infinity in the JSON.

Expectations are written out by hand, never derived from the module under test.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from helpers import find_row, return_grid
from realistic import YEARS, province_figures

from dvk_cli.core.catalog import (
    INDICATOR_TYPES,
    CatalogError,
    Indicator,
    default_catalog,
    extend_catalog,
)
from dvk_cli.core.cells import CellError
from dvk_cli.core.numbers import (
    UNSHOWN,
    NotANumber,
    excel_format,
    fmt_figure,
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_value,
    fullwidth_note,
    implausible,
    parse_number,
)
from dvk_cli.reading.long import read_table
from dvk_cli.reading.returns import ReturnData, is_number, label_index, take_value
from dvk_cli.reading.wide import read_wide

CAT = default_catalog()


def _row(name, *values):
    return pytest.param(*values, id=name)


def refused(cell) -> str:
    """The explanation parse_number gives for a cell it refuses."""
    with pytest.raises(NotANumber) as info:
        parse_number(cell)
    return str(info.value)


# ------------------------------------------------------- too large, not finite

@pytest.mark.parametrize("cell, fragment", [
    _row("400 ones typed as text", "1" * 400, "quá lớn"),
    _row("5000 digits (past Python's int() limit)", "9" * 5000, "(5000 ký tự) quá lớn"),
    _row("a long text that is not a number", "1" * 30 + "x" * 40, "không đọc được là số"),
    _row("a 400-digit int (a cell of a hand-made file)", 10**400, "có 401 chữ số"),
    _row("an int past str()'s digit limit", 10**5000, "có hơn 4.000 chữ số"),
    _row("1e308 float", 1e308, "1e+308"),
    _row("1e20 float", 1e20, "1e+20"),
    _row("10^15 float: the first number refused", 1e15, "quá lớn"),
    _row("minus 1e300", -1e300, "quá lớn"),
    _row("10^15 as an int", 10**15, "quá lớn"),
    _row("16 digits as text", "1234567890123456", "quá lớn"),
    _row("10^15 in Vietnamese grouping", "1.000.000.000.000.000", "quá lớn"),
    _row("a long decimal with a huge whole part", "9" * 20 + ",5", "quá lớn"),
    _row("Decimal 1E+400 (text with an exponent)", Decimal("1E+400"), "1E+400"),
])
def test_a_number_too_large_to_be_a_figure_is_refused(cell, fragment):
    assert fragment in refused(cell)


@pytest.mark.parametrize("cell, expected", [
    _row("just below 10^15 as an int", 10**15 - 1, 10**15 - 1),
    _row("just below 10^15 as text", "999999999999999", 999_999_999_999_999),
    _row("a big float below 10^15", 9.5e14, 950_000_000_000_000),
    _row("negative below the bound (refused later, as negative)", -5.0, -5),
])
def test_numbers_below_the_magnitude_bound_are_read(cell, expected):
    got = parse_number(cell)
    assert got == expected and type(got) is type(expected)


def test_a_refused_huge_number_is_never_a_runaway_message():
    message = refused("1" * 400)
    assert len(message) < 200 and "…" in message


# ---------------------------------------------------------- error values

@pytest.mark.parametrize("code", ["#DIV/0!", "#REF!", "#N/A", "#VALUE!", "#NAME?", "#NUM!",
                                  "#NULL!"])
def test_an_error_cell_is_not_a_number_and_not_empty(code):
    message = refused(CellError(code))
    assert message == (f"ô báo lỗi công thức {code} — đề nghị đơn vị sửa công thức "
                       "hoặc nhập số")
    assert not is_number(CellError(code))


@pytest.mark.parametrize("text", ["#DIV/0!", " #REF! ", "#N/A"])
def test_an_error_value_that_reached_dvk_as_text_is_said_the_same_way(text):
    assert refused(text) == (f"ô báo lỗi công thức {text.strip()} — đề nghị đơn vị sửa công "
                             "thức hoặc nhập số")


# ---------------------------------------------------------- digits and spaces

@pytest.mark.parametrize("cell, fragment", [
    _row("Arabic-Indic digits", "١٢٣", "0–9"),
    _row("Eastern Arabic (Persian) digits", "۱۲۳", "0–9"),
    _row("Devanagari digits", "१२३", "0–9"),
    _row("Bengali digit among ASCII", "1২3", "0–9"),
    _row("mathematical bold digits", "𝟏𝟐𝟑", "0–9"),
    _row("superscript two", "12²", "0–9"),
    _row("Arabic-Indic with a decimal comma", "٣٣,٥", "0–9"),
    _row("a space inside digits", "1 2", "nhóm ba chữ số"),
    _row("two groups of two", "12 34", "nhóm ba chữ số"),
    _row("first group of four", "1234 567", "nhóm ba chữ số"),
    _row("a last group of two", "1 215 30", "nhóm ba chữ số"),
    _row("a space before the decimal comma", "1 520 ,5", "nhóm ba chữ số"),
    _row("a space in the decimals", "33,5 5", "nhóm ba chữ số"),
    _row("dot grouping then a space", "1.215 300", "nhóm ba chữ số"),
    _row("space grouping then a dot group", "1 215.300", "1 215.300"),
    _row("a thin space inside digits", "1\u20092", "nhóm ba chữ số"),
    _row("a narrow NBSP inside digits", "12\u202f34", "nhóm ba chữ số"),
    _row("a tab inside digits", "1\t215", "không đọc được"),
    _row("a line break inside digits", "1\n215", "không đọc được"),
    _row("a zero-width space inside digits", "1\u200b215", "không đọc được"),
    _row("a minus sign that is not a hyphen", "\u22125", "không đọc được"),
])
def test_digits_other_than_0_to_9_and_stray_spaces_are_refused(cell, fragment):
    assert fragment in refused(cell)


@pytest.mark.parametrize("cell, expected", [
    _row("space-grouped thousands", "1 215", 1215),
    _row("space-grouped millions", "12 345 678", 12_345_678),
    _row("NBSP-grouped", "1\u00a0215", 1215),
    _row("thin-space grouped (Word)", "1\u2009215", 1215),
    _row("narrow-NBSP grouped (PDF, French style)", "1\u202f215\u202f300", 1_215_300),
    _row("figure-space grouped", "1\u2007215", 1215),
    _row("two spaces between groups", "1  215", 1215),
    _row("space-grouped with a decimal comma", "1 520,5", 1520.5),
    _row("space-grouped with a decimal dot", "1 520.5", 1520.5),
    _row("a space after the minus sign", "- 5", -5),
    _row("a space after the plus sign, grouped", "+ 1 215", 1215),
    _row("spaces around", "  1 215  ", 1215),
])
def test_spaces_are_read_as_thousands_separators_only(cell, expected):
    got = parse_number(cell)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("cell, expected, note", [
    _row("full-width digits", "１２３", 123, "đã đọc chữ số toàn khổ “１２３” là 123"),
    _row("full-width grouping dot", "１．２１５", 1215, "đã đọc chữ số toàn khổ “１．２１５” là 1.215"),
    _row("full-width decimal comma", "３３，５", 33.5, "đã đọc chữ số toàn khổ “３３，５” là 33,5"),
    _row("full-width with an ideographic space", "１\u3000２１５", 1215,
         "đã đọc chữ số toàn khổ “１\u3000２１５” là 1.215"),
    _row("full-width minus (refused later, as negative)", "－５", -5,
         "đã đọc chữ số toàn khổ “－５” là -5"),
    _row("a full-width digit among ASCII ones", "1２3", 123, "đã đọc chữ số toàn khổ “1２3” là 123"),
])
def test_full_width_digits_are_read_with_a_note(cell, expected, note):
    got = parse_number(cell)
    assert got == expected and type(got) is type(expected)
    assert fullwidth_note(cell) == note


@pytest.mark.parametrize("cell", ["123", 123, 12.5, None, "", "１２x", "－", "1.215", CellError("#REF!")])
def test_no_full_width_note_for_other_cells(cell):
    assert fullwidth_note(cell) == ""


# ------------------------------------------------ formatting never says inf/nan

@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**400, -(10**400)],
                         ids=["inf", "-inf", "nan", "10^400", "-10^400"])
def test_formatting_never_raises_nor_prints_inf_or_nan(value):
    printed = [fmt_number(value), fmt_number(value, 0), fmt_money(value), fmt_percent(value),
               fmt_value(value, "count"), fmt_value(value, "length", "km"),
               fmt_figure(value, CAT["VB_SO"]), excel_format(value, "money")]
    for text in printed:
        assert "∞" not in text and "inf" not in text.lower() and "nan" not in text.lower()
    assert printed[:7] == [UNSHOWN] * 5 + [UNSHOWN, f"{UNSHOWN} văn bản"]


# ------------------------------------------------ plausible bounds (catalog `max`)

def test_every_indicator_has_a_plausible_bound_from_the_catalog():
    assert set(CAT.max_by_type) == set(INDICATOR_TYPES)
    for ind in CAT.indicators.values():
        assert ind.max is not None and 0 < ind.max < 1e15, ind.code
    assert CAT["VB_SO"].max == 1_000_000 and CAT["VANDONG_TIEN"].max == 10**13
    assert CAT["DUONG_GT_KM"].max == 100_000 and CAT["HS_NHAN"].max == 100_000_000


# The largest figures of the real reports in the seeds (one unit, one period),
# in the catalog unit: a bound must leave them a wide margin.
REAL = {
    "VB_SO": 11_000, "TT_BUOI": 2_041, "TT_LUOT": 61_000, "MH_TONG": 4_494, "MH_TAPTHE": 3_729,
    "MH_VHXH": 2_298, "MH_TIEUBIEU": 16, "TCD_LUOT": 7_257, "TCD_NGUOI": 3_812, "TCD_DOAN": 3,
    "DON_NHAN": 2_424, "QUA_SO": 17_550, "QUA_TIEN": 6_700, "NHA_TN_SO": 19,
    "NHA_TN_TIEN": 1_520, "VANDONG_TIEN": 50_000, "DUONG_GT_KM": 15.15, "DUONG_DIEN_KM": 33.5,
    "DON_TYLE": 90, "HS_TYLE": 98.5,
}


@pytest.mark.parametrize("code", sorted(c for c in REAL if CAT[c].type != "percent"))
def test_a_bound_never_refuses_a_real_figure_even_fifty_times_larger(code):
    assert implausible(REAL[code], CAT[code]) is None
    assert implausible(REAL[code] * 50, CAT[code]) is None


@pytest.mark.parametrize("code", ["DON_TYLE", "HS_TYLE"])
def test_a_percentage_over_100_is_not_refused(code):
    """Letters solved in a year may include earlier ones: over 100 % is rare, not impossible."""
    assert implausible(REAL[code], CAT[code]) is None
    assert implausible(250, CAT[code]) is None
    assert implausible(1001, CAT[code]) is not None


def test_the_realistic_province_is_within_every_bound():
    for year in YEARS:
        for unit, figures in province_figures(year).items():
            for code, value in figures.items():
                if value is not None:
                    assert implausible(value, CAT[code]) is None, (year, unit, code, value)


@pytest.mark.parametrize("code, value, fragment", [
    _row("1e20 documents", "VB_SO", 1e20, "100.000.000.000.000.000.000 văn bản"),
    _row("a row of twelve ones", "MH_TONG", 111_111_111_111, "111.111.111.111 mô hình"),
    _row("money that no unit explains", "NHA_TN_TIEN", 2e13, "20.000.000.000 tỷ đồng"),
    _row("a road in metres with no unit", "DUONG_GT_KM", 15_150_000, "15.150.000 km"),
    _row("a percentage of a million", "DON_TYLE", 1e6, "1.000.000,0%"),
    _row("one over the bound", "TCD_DOAN", 1_000_001, "1.000.001 đoàn"),
])
def test_a_figure_that_cannot_be_true_is_explained(code, value, fragment):
    message = implausible(value, CAT[code])
    assert message is not None and fragment in message
    assert "vượt quá mức tối đa" in message and "nhầm đơn vị tính" in message


@pytest.mark.parametrize("code, typed", [
    _row("1,52 tỷ typed in đồng", "NHA_TN_TIEN", 1_520_000_000),
    _row("10.000 tỷ typed in đồng", "VANDONG_TIEN", 10**13),
    _row("50 tỷ typed in nghìn đồng", "VANDONG_TIEN", 50_000_000),
])
def test_money_typed_in_dong_is_left_to_the_unit_slip_check(code, typed):
    """An amount in đồng in a triệu đồng row is a slip the unit_slip check
    explains (suggesting the figure meant), not a figure that cannot be true."""
    assert implausible(typed, CAT[code]) is None


def test_the_bound_itself_is_allowed():
    assert implausible(1_000_000, CAT["VB_SO"]) is None
    assert implausible(1_000_000.5, CAT["VB_SO"]) is not None


def test_an_indicator_made_in_code_has_no_bound():
    ind = Indicator(code="X_Y", label="x", short="x", unit="", type="count", kind="input", group="g")
    assert implausible(1e14, ind) is None


def test_a_dvk_toml_can_raise_a_bound_and_new_indicators_get_their_types():
    raw = {"catalog": {"max": {"hs_nhan": 500_000_000}},
           "indicators": [
               {"code": "CHO_SO", "label": "Chợ xây mới", "unit": "chợ", "group": "an_sinh"},
               {"code": "CHO_TIEN", "label": "Kinh phí chợ", "unit": "triệu đồng", "type": "money",
                "group": "an_sinh", "max": 5_000},
           ]}
    cat = extend_catalog(CAT, raw)
    assert cat["HS_NHAN"].max == 500_000_000 and CAT["HS_NHAN"].max == 100_000_000
    assert cat["CHO_SO"].max == 1_000_000 and cat["CHO_TIEN"].max == 5_000
    assert cat["VB_SO"].max == CAT["VB_SO"].max
    assert cat.max_by_type == CAT.max_by_type


@pytest.mark.parametrize("raw, fragment", [
    _row("unknown code", {"catalog": {"max": {"XX_YY": 5}}}, "XX_YY"),
    _row("zero", {"catalog": {"max": {"VB_SO": 0}}}, "lớn hơn 0"),
    _row("text", {"catalog": {"max": {"VB_SO": "nhiều"}}}, "lớn hơn 0"),
    _row("infinite", {"catalog": {"max": {"VB_SO": math.inf}}}, "nhỏ hơn 10^15"),
    _row("not a table", {"catalog": {"max": 5}}, "bảng"),
    _row("a new indicator's bound is checked", {"indicators": [
        {"code": "CHO_SO", "label": "Chợ", "unit": "chợ", "group": "an_sinh", "max": -1}]},
        "CHO_SO"),
])
def test_a_wrong_bound_in_dvk_toml_is_said(raw, fragment):
    with pytest.raises(CatalogError, match=fragment.replace("^", r"\^")):
        extend_catalog(CAT, raw)


# ------------------------------------- reading: a cell named, never a total

def _read_long(values: dict) -> ReturnData:
    grid = return_grid(values, unit="Huyện Bù Đăng", code="BUDANG", period="2026")
    (sheet, rows), = grid.items()
    data = ReturnData(path="budang.xlsx")
    header = next(i for i, r in enumerate(rows) if r[:2] == ["STT", "Chỉ tiêu"])
    cols = {"code": 2, "label": 1, "value": 4, "measure": 3}
    read_table(data, sheet, rows, CAT, label_index(CAT), header, cols, None)
    return data


def _cell(code: str) -> str:
    rows = next(iter(return_grid({}).values()))
    return f"E{find_row(rows, code) + 1}"


def test_an_error_cell_in_a_long_return_is_an_error_naming_the_cell():
    data = _read_long({"VB_SO": CellError("#DIV/0!"), "TT_BUOI": 12})
    used = {v.code: v.value for v in data.values}
    assert used == {"TT_BUOI": 12}
    (finding,) = [f for f in data.findings if f.indicator == "VB_SO"]
    assert finding.severity == "error" and finding.rule == "not_a_number"
    assert finding.cell == _cell("VB_SO") and finding.file == "budang.xlsx"
    assert "ô báo lỗi công thức #DIV/0! — đề nghị đơn vị sửa công thức hoặc nhập số" in finding.message
    assert finding.value == "#DIV/0!"


def test_an_error_cell_in_a_wide_table_is_an_error_naming_the_cell():
    rows = [["STT", "Đơn vị", "VB_SO", "TT_BUOI"],
            [1, "Xã A", 3, 5],
            [2, "Xã B", CellError("#REF!"), 7],
            [None, "Tổng cộng", CellError("#REF!"), 12]]
    data = ReturnData(path="huyen.xlsx")
    assert read_wide(data, [("Tổng hợp", rows)], CAT, label_index(CAT))
    row_b = next(p for p in data.parts if p.unit_text == "Xã B")
    assert {v.code: v.value for v in row_b.values} == {"TT_BUOI": 7}
    (finding,) = row_b.findings
    assert (finding.rule, finding.cell, finding.value) == ("not_a_number", "C3", "#REF!")
    assert "#REF!" in finding.message


@pytest.mark.parametrize("cell, fragment", [
    _row("400 ones", "1" * 400, "quá lớn"),
    _row("1e308", 1e308, "quá lớn"),
    _row("a space inside digits", "1 2", "nhóm ba chữ số"),
    _row("Arabic-Indic digits", "١٢٣", "0–9"),
])
def test_a_cell_that_cannot_be_read_is_an_error_naming_the_cell(cell, fragment):
    data = ReturnData(path="budang.xlsx")
    take_value(data, CAT, "VB_SO", cell, "Biểu số liệu", "E7")
    assert data.values == []
    (finding,) = data.findings
    assert (finding.severity, finding.rule, finding.cell) == ("error", "not_a_number", "E7")
    assert fragment in finding.message


@pytest.mark.parametrize("code, cell, unit_text, fragment", [
    _row("10^12 documents", "VB_SO", 1e12, "", "1.000.000.000.000 văn bản"),
    _row("money no unit explains", "NHA_TN_TIEN", 5e13, "", "50.000.000.000 tỷ đồng"),
    _row("tỷ đồng converted, then too large", "VANDONG_TIEN", 20_000_000_000, "tỷ đồng",
         "20.000.000.000 tỷ đồng"),
    _row("a road of 200 000 km", "DUONG_GT_KM", "200.000", "", "200.000 km"),
])
def test_a_figure_that_cannot_be_true_is_an_error_naming_the_cell(code, cell, unit_text, fragment):
    data = ReturnData(path="budang.xlsx")
    take_value(data, CAT, code, cell, "Biểu số liệu", "E30", unit_text=unit_text)
    assert data.values == []
    (finding,) = [f for f in data.findings if f.severity == "error"]
    assert (finding.rule, finding.cell, finding.indicator) == ("implausible", "E30", code)
    assert fragment in finding.message and "giá trị không được dùng" in finding.message


def test_a_figure_converted_into_its_bound_is_used():
    data = ReturnData(path="budang.xlsx")
    take_value(data, CAT, "VANDONG_TIEN", "50.000.000.000", "Biểu số liệu", "E30",
               unit_text="đồng")
    assert [(v.code, v.value) for v in data.values] == [("VANDONG_TIEN", 50_000)]


def test_full_width_digits_are_used_with_a_note_naming_the_cell():
    data = ReturnData(path="budang.xlsx")
    take_value(data, CAT, "VB_SO", "１２３", "Biểu số liệu", "E7")
    (value,) = data.values
    assert value.value == 123 and value.raw == "１２３"
    assert value.note == "đã đọc chữ số toàn khổ “１２３” là 123"
    (finding,) = data.findings
    assert (finding.severity, finding.rule, finding.cell) == ("info", "fullwidth_digits", "E7")


def test_a_negative_figure_is_still_refused_as_negative():
    data = ReturnData(path="budang.xlsx")
    take_value(data, CAT, "VB_SO", "-1.215", "Biểu số liệu", "E7")
    assert data.values == [] and [f.rule for f in data.findings] == ["negative"]


# ------------------------------------------- numbers in rules (dvk.toml [[rules]])

@pytest.mark.parametrize("side, fragment", [
    _row("Arabic-Indic factor", "١٠ * TCD_LUOT", "không hiểu"),
    _row("full-width factor", "１０ * TCD_LUOT", "không hiểu"),
    _row("a factor of 400 digits", "9" * 400 + " * TCD_LUOT", "quá lớn"),
    _row("a constant of 10^15", "TCD_LUOT + 1000000000000000", "quá lớn"),
])
def test_a_rule_reads_ascii_digits_and_plausible_numbers_only(side, fragment):
    from dvk_cli.checks.per_unit import RuleSyntaxError, parse_side

    with pytest.raises(RuleSyntaxError, match=fragment):
        parse_side(side)
    assert parse_side("10 * TCD_LUOT") == ((10.0, "TCD_LUOT"),)
