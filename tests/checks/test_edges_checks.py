"""Edges of the rule checks: parsing rules, each operator at its boundary,
the tolerance of "==", the missing-value strategies, conditions ("when"),
where a finding points to, and typed values in computed rows."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from dvk_cli.checks.per_unit import (
    RuleSyntaxError,
    check_rule,
    check_unit,
    evaluate_side,
    format_message,
    holds,
    parse_comparison,
    parse_side,
)
from dvk_cli.core.catalog import Check, default_catalog

CAT = default_catalog()
NAN = math.nan


# ------------------------------------------------------------------ parse_comparison

@pytest.mark.parametrize("expr,expected", [
    ("MH_TONG == MH_TAPTHE + MH_CANHAN", ("MH_TONG", "==", "MH_TAPTHE + MH_CANHAN")),
    ("DON_GQ != 0", ("DON_GQ", "!=", "0")),
    ("DON_GQ <= DON_NHAN", ("DON_GQ", "<=", "DON_NHAN")),
    ("TT_LUOT >= TT_BUOI", ("TT_LUOT", ">=", "TT_BUOI")),
    ("TCD_DOAN < TCD_LUOT", ("TCD_DOAN", "<", "TCD_LUOT")),
    ("QUA_SO > 0", ("QUA_SO", ">", "0")),
    ("DON_GQ<=DON_NHAN", ("DON_GQ", "<=", "DON_NHAN")),
    ("  TCD_NGUOI   <=  10 * TCD_LUOT ", ("TCD_NGUOI", "<=", "10 * TCD_LUOT")),
], ids=["equal", "not equal", "at most", "at least", "less than", "more than",
        "no spaces: <= read as one operator", "extra spaces trimmed"])
def test_parse_comparison(expr, expected):
    assert parse_comparison(expr) == expected


@pytest.mark.parametrize("expr", [
    "MH_TONG",
    "MH_TONG = MH_TAPTHE",
    "0 < MH_TONG < 10",
    "MH_TONG <= 3 >= 1",
    "",
], ids=["no operator", "single = is not an operator", "two operators (a < b < c)",
        "two different operators", "empty rule"])
def test_parse_comparison_rejects(expr):
    with pytest.raises(RuleSyntaxError):
        parse_comparison(expr)


# ------------------------------------------------------------------ parse_side

@pytest.mark.parametrize("side,expected", [
    ("A_B", ((1.0, "A_B"),)),
    ("A_B + 2*C_D - E_F", ((1.0, "A_B"), (2.0, "C_D"), (-1.0, "E_F"))),
    ("A_B+2*C_D-E_F", ((1.0, "A_B"), (2.0, "C_D"), (-1.0, "E_F"))),
    ("10 * TCD_LUOT", ((10.0, "TCD_LUOT"),)),
    ("TCD_LUOT * 10", ((10.0, "TCD_LUOT"),)),
    ("0.5 * A_B + C_D", ((0.5, "A_B"), (1.0, "C_D"))),
    ("-A_B", ((-1.0, "A_B"),)),
    ("+A_B", ((1.0, "A_B"),)),
    ("-3 * A_B", ((-3.0, "A_B"),)),
    ("A_B - 2", ((1.0, "A_B"), (-2.0, None))),
    ("500", ((500.0, None),)),
    ("0", ((0.0, None),)),
    ("2.5", ((2.5, None),)),
    ("A1", ((1.0, "A1"),)),
], ids=[
    "one code", "code + 2 x code - code", "same without spaces", "factor before code",
    "factor after code", "decimal factor", "leading minus", "leading plus", "negative factor",
    "code minus constant", "constant", "zero constant", "decimal constant", "code with digit",
])
def test_parse_side(side, expected):
    assert parse_side(side) == expected


@pytest.mark.parametrize("side", [
    "", "   ", "A_B +", "A_B -", "A_B ++ C_D", "A_B * C_D", "2 A_B", "A_B / 2", "a_b",
    "A_B C_D + ", "(A_B)", "2 * 3", "1,5 * A_B",
], ids=[
    "empty side", "blank side", "dangling plus", "dangling minus", "double plus",
    "code times code", "number and code without *", "division", "lower-case code",
    "trailing operator after codes", "parentheses", "number times number", "decimal comma",
])
def test_parse_side_rejects(side):
    with pytest.raises(RuleSyntaxError):
        parse_side(side)


# ------------------------------------------------------------------ evaluate_side

@pytest.mark.parametrize("side,values,missing,expected", [
    ("A_B + C_D", {"A_B": 1, "C_D": 2}, "skip_any", 3.0),
    ("A_B + C_D", {"A_B": 1}, "skip_any", None),
    ("A_B + C_D", {}, "skip_any", None),
    ("A_B + C_D", {"A_B": NAN, "C_D": 2}, "skip_any", None),
    ("A_B + C_D", {"A_B": None, "C_D": 2}, "skip_any", None),
    ("A_B + C_D", {"A_B": 1, "C_D": 2}, "skip_all", 3.0),
    ("A_B + C_D", {"A_B": 1}, "skip_all", 1.0),
    ("A_B + C_D", {"C_D": 2}, "skip_all", 2.0),
    ("A_B + C_D", {"A_B": NAN, "C_D": 2}, "skip_all", 2.0),
    ("A_B + C_D", {}, "skip_all", None),
    ("A_B + C_D", {"A_B": NAN, "C_D": NAN}, "skip_all", None),
    ("A_B + C_D", {"A_B": 1, "C_D": 2}, "zero", 3.0),
    ("A_B + C_D", {"A_B": 1}, "zero", 1.0),
    ("A_B + C_D", {}, "zero", 0.0),
    ("A_B + C_D", {"A_B": NAN, "C_D": 2}, "zero", 2.0),
    ("5", {}, "skip_any", 5.0),
    ("5", {}, "skip_all", 5.0),
    ("5", {}, "zero", 5.0),
    ("2 * A_B - 3", {"A_B": 5}, "skip_any", 7.0),
    ("A_B * 2 + 1", {"A_B": 0.5}, "skip_any", 2.0),
    ("0.5 * A_B", {"A_B": 3}, "skip_any", 1.5),
    ("-A_B + C_D", {"A_B": 4, "C_D": 10}, "skip_any", 6.0),
    ("A_B - C_D", {"A_B": 4}, "zero", 4.0),
    ("A_B - C_D", {"C_D": 4}, "skip_all", -4.0),
    ("A_B", {"A_B": 0}, "skip_any", 0.0),
    ("A_B", {"A_B": 0}, "skip_all", 0.0),
], ids=[
    "skip_any: both reported, summed",
    "skip_any: one blank skips the side",
    "skip_any: all blank skips the side",
    "skip_any: NaN counts as blank",
    "skip_any: None counts as blank",
    "skip_all: both reported, summed",
    "skip_all: one blank counts as 0",
    "skip_all: the other blank counts as 0",
    "skip_all: NaN blank counts as 0",
    "skip_all: all blank skips the side",
    "skip_all: all NaN skips the side",
    "zero: both reported, summed",
    "zero: blank counts as 0",
    "zero: all blank is 0, never skipped",
    "zero: NaN counts as 0",
    "a constant side is never skipped (skip_any)",
    "a constant side is never skipped (skip_all)",
    "a constant side is never skipped (zero)",
    "2 x 5 - 3 = 7",
    "0,5 x 2 + 1 = 2",
    "0,5 x 3 = 1,5",
    "-4 + 10 = 6",
    "zero: 4 - blank = 4",
    "skip_all: blank - 4 = -4",
    "a reported 0 is reported (skip_any)",
    "a reported 0 is reported (skip_all)",
])
def test_evaluate_side(side, values, missing, expected):
    got = evaluate_side(side, values, missing)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


# ------------------------------------------------------------------ holds: operators at boundaries

@pytest.mark.parametrize("expr,values,expected", [
    ("X_A <= X_B", {"X_A": 5, "X_B": 5}, True),
    ("X_A <= X_B", {"X_A": 6, "X_B": 5}, False),
    ("X_A <= X_B", {"X_A": 4, "X_B": 5}, True),
    ("X_A < X_B", {"X_A": 5, "X_B": 5}, False),
    ("X_A < X_B", {"X_A": 4, "X_B": 5}, True),
    ("X_A >= X_B", {"X_A": 5, "X_B": 5}, True),
    ("X_A >= X_B", {"X_A": 4, "X_B": 5}, False),
    ("X_A >= X_B", {"X_A": 6, "X_B": 5}, True),
    ("X_A > X_B", {"X_A": 5, "X_B": 5}, False),
    ("X_A > X_B", {"X_A": 6, "X_B": 5}, True),
    ("X_A == X_B", {"X_A": 5, "X_B": 5}, True),
    ("X_A == X_B", {"X_A": 5, "X_B": 6}, False),
    ("X_A == X_B", {"X_A": -5, "X_B": 5}, False),
    ("X_A != X_B", {"X_A": 5, "X_B": 5}, False),
    ("X_A != X_B", {"X_A": 5, "X_B": 6}, True),
    ("X_A != X_B", {"X_A": -5, "X_B": 5}, True),
    ("X_C == X_A + X_B", {"X_A": 0.1, "X_B": 0.2, "X_C": 0.3}, True),
    ("X_C == X_A + X_B", {"X_A": 15.15, "X_B": 18.35, "X_C": 33.5}, True),
    ("X_C != X_A + X_B", {"X_A": 0.1, "X_B": 0.2, "X_C": 0.3}, False),
    ("X_C != X_A + X_B", {"X_A": 15.15, "X_B": 18.35, "X_C": 33.5}, False),
    ("X_A == 0", {"X_A": 1e-6}, True),
    ("X_A == 0", {"X_A": 1.5e-6}, False),
    ("X_A != 0", {"X_A": 1e-6}, False),
    ("X_A != 0", {"X_A": 1.5e-6}, True),
    ("X_C == X_A + X_B", {"X_A": 15.15, "X_B": 18.35, "X_C": 33.51}, False),
], ids=[
    "<= equal holds", "<= more fails", "<= less holds",
    "< equal fails", "< less holds",
    ">= equal holds", ">= less fails", ">= more holds",
    "> equal fails", "> more holds",
    "== equal holds", "== differ fails", "== opposite signs fail",
    "!= equal fails", "!= differ holds", "!= opposite signs hold",
    "0,1 + 0,2 == 0,3 holds (tolerance)", "33,5 == 15,15 + 18,35 holds (tolerance)",
    "0,1 + 0,2 != 0,3 fails (tolerance)", "33,5 != 15,15 + 18,35 fails (tolerance)",
    "a millionth apart still equal", "a millionth and a half apart not equal",
    "a millionth apart not different", "a millionth and a half apart different",
    "33,51 vs 15,15 + 18,35 not equal",
])
def test_holds_operators(expr, values, expected):
    ok, left, right = holds(expr, values)
    assert ok is expected


@pytest.mark.parametrize("expr,values,expected", [
    ("TCD_NGUOI <= 10 * TCD_LUOT", {"TCD_NGUOI": 1001, "TCD_LUOT": 100}, (False, 1001.0, 1000.0)),
    ("TCD_NGUOI <= 10 * TCD_LUOT", {"TCD_NGUOI": 1000, "TCD_LUOT": 100}, (True, 1000.0, 1000.0)),
    ("MH_TONG == MH_TAPTHE + MH_CANHAN", {"MH_TONG": 10, "MH_TAPTHE": 6, "MH_CANHAN": 3},
     (False, 10.0, 9.0)),
    ("TT_LUOT >= TT_BUOI", {"TT_LUOT": 0, "TT_BUOI": 3}, (False, 0.0, 3.0)),
], ids=["1.001 people for 100 visits: sides 1.001 and 1.000", "1.000 people: holds",
        "10 models vs 6 + 3", "0 attendees for 3 sessions"])
def test_holds_returns_both_sides(expr, values, expected):
    assert holds(expr, values) == expected


@pytest.mark.parametrize("expr,values,missing", [
    ("X_A <= X_B", {"X_B": 5}, "skip_any"),
    ("X_A <= X_B", {"X_A": 5}, "skip_any"),
    ("X_A <= X_B", {}, "skip_any"),
    ("X_A <= X_B + X_C", {"X_A": 5}, "skip_all"),
    ("X_A + X_C <= X_B", {"X_B": 5}, "skip_all"),
], ids=["left blank", "right blank", "both blank", "skip_all: right all blank",
        "skip_all: left all blank"])
def test_holds_skipped(expr, values, missing):
    assert holds(expr, values, missing) is None


# ------------------------------------------------------------------ check_rule with conditions

HOUSE_NO_COUNT = Check("NHA_DDK_TIEN", "warning", "NHA_DDK_TIEN <= 0", "m",
                       when="NHA_DDK_SO == 0", missing="zero")
GIFT_PRICE = Check("QUA_GIA_CAO", "warning", "QUA_TIEN <= 10 * QUA_SO", "m",
                   when="QUA_SO > 0", missing="skip_any")


@pytest.mark.parametrize("check,values,expected", [
    (HOUSE_NO_COUNT, {"NHA_DDK_TIEN": 100}, (100.0, 0.0)),
    (HOUSE_NO_COUNT, {"NHA_DDK_TIEN": 100, "NHA_DDK_SO": 0}, (100.0, 0.0)),
    (HOUSE_NO_COUNT, {"NHA_DDK_TIEN": 100, "NHA_DDK_SO": 2}, None),
    (HOUSE_NO_COUNT, {"NHA_DDK_SO": 0}, None),
    (HOUSE_NO_COUNT, {}, None),
    (GIFT_PRICE, {"QUA_TIEN": 50, "QUA_SO": 2}, (50.0, 20.0)),
    (GIFT_PRICE, {"QUA_TIEN": 20, "QUA_SO": 2}, None),
    (GIFT_PRICE, {"QUA_TIEN": 50, "QUA_SO": 0}, None),
    (GIFT_PRICE, {"QUA_TIEN": 50}, None),
    (GIFT_PRICE, {"QUA_SO": 2}, None),
    (Check("R", "warning", "TT_LUOT >= TT_BUOI", "m"), {"TT_LUOT": 0, "TT_BUOI": 3}, (0.0, 3.0)),
    (Check("R", "warning", "TT_LUOT >= TT_BUOI", "m"), {"TT_LUOT": 3, "TT_BUOI": 3}, None),
], ids=[
    "house value with blank count: reported",
    "house value with 0 houses: reported",
    "house value with 2 houses: condition false, not checked",
    "0 houses and no value: 0 <= 0 holds",
    "nothing typed: 0 <= 0 holds",
    "50 million for 2 gifts: more than 10 each",
    "20 million for 2 gifts: fine",
    "0 gifts: condition false, not checked",
    "gift count blank: condition skipped",
    "gift value blank: rule skipped",
    "0 attendees for 3 sessions: sides 0 and 3",
    "3 attendees for 3 sessions: fine",
])
def test_check_rule(check, values, expected):
    assert check_rule(check, values) == expected


# ------------------------------------------------------------------ format_message

@pytest.mark.parametrize("message,values,left,right,expected", [
    ("{left} > {right}", {}, 1215, 33.5, "1.215 > 33,5"),
    ("{NHA_DDK_TIEN} triệu cho {NHA_DDK_SO} căn", {"NHA_DDK_TIEN": 100.5}, 100.5, 0,
     "100,5 triệu cho trống căn"),
    ("{NHA_DDK_TIEN} triệu cho {NHA_DDK_SO} căn", {"NHA_DDK_TIEN": 100, "NHA_DDK_SO": NAN}, 100, 0,
     "100 triệu cho trống căn"),
    ("{NHA_DDK_SO} căn ({left})", {"NHA_DDK_TIEN": 1, "NHA_DDK_SO": 0}, 1, 0, "0 căn (1)"),
], ids=["left and right as Vietnamese numbers", "blank code shown as trống",
        "NaN code shown as trống", "reported 0 shown as 0"])
def test_format_message(message, values, left, right, expected):
    check = Check("R", "warning", "NHA_DDK_TIEN <= 0", message, when="NHA_DDK_SO == 0")
    assert format_message(check, left, right, values) == expected


# ------------------------------------------------------------------ check_unit: rules

CELLS = {"DON_NHAN": ("Biểu số liệu", "E20"), "DON_GQ": ("Biểu số liệu", "E21"),
         "NHA_DDK_TIEN": ("Biểu số liệu", "E30"), "MH_TAPTHE": ("Biểu số liệu", "E12"),
         "MH_CANHAN": ("Biểu số liệu", "E13")}


def test_consistent_unit_has_no_findings():
    values = {"MH_TONG": 10, "MH_TAPTHE": 5, "MH_CANHAN": 5, "DON_NHAN": 20, "DON_GQ": 18}
    assert check_unit(CAT, values, CELLS, unit="BUDANG", file="a.xlsx") == []


def test_one_failing_rule_after_passing_and_skipped_ones():
    # MH_LOAI, MH_LINHVUC… come before DON_GQ in the catalog and are skipped here
    (f,) = check_unit(CAT, {"DON_NHAN": 20, "DON_GQ": 25}, CELLS, unit="BUDANG", file="a.xlsx")
    assert (f.severity, f.rule, f.unit, f.file, f.sheet, f.cell, f.indicator) == (
        "warning", "DON_GQ", "BUDANG", "a.xlsx", "Biểu số liệu", "E21", "DON_GQ")
    assert f.message == "Đơn thư đã giải quyết (25) nhiều hơn đơn thư tiếp nhận (20)"


def test_two_failing_rules_both_reported_in_catalog_order():
    values = {"DON_NHAN": 20, "DON_GQ": 25, "HS_NHAN": 10, "HS_DUNGHAN": 11}
    found = check_unit(CAT, values, CELLS, unit="U", file="a.xlsx")
    assert [f.rule for f in found] == ["HS_DUNGHAN", "DON_GQ"]


@pytest.mark.parametrize("values,cells,expected", [
    ({"NHA_DDK_TIEN": 100}, CELLS, ("NHA_DDK_TIEN", "Biểu số liệu", "E30")),
    ({"NHA_DDK_TIEN": 100}, {}, ("NHA_DDK_TIEN", "", "")),
], ids=["house value without count: points at the value's cell",
        "no cell known: first code of the rule, no cell"])
def test_finding_points_at_a_reported_cell(values, cells, expected):
    (f,) = check_unit(CAT, values, cells, unit="U", file="a.xlsx")
    assert f.rule == "NHA_DDK_TIEN"
    assert (f.indicator, f.sheet, f.cell) == expected
    assert f.message.startswith("Có trị giá nhà “Đại đoàn kết” (100 triệu đồng)")


def test_blank_first_code_points_at_the_first_reported_code():
    check = Check("TONG", "error", "MH_TONG == MH_TAPTHE + MH_CANHAN",
                  "Tổng {MH_TONG}: {left} khác {right}", missing="zero")
    cat = replace(CAT, checks=[check])
    (f,) = check_unit(cat, {"MH_TAPTHE": 3, "MH_CANHAN": 4}, CELLS, unit="U", file="a.xlsx")
    assert (f.severity, f.indicator, f.cell) == ("error", "MH_TAPTHE", "E12")
    assert f.message == "Tổng trống: 0 khác 7"


# ------------------------------------------------------------------ check_unit: typed computed rows

HOUSES = {"NHA_DDK_SO": 1, "NHA_TN_SO": 2}  # total 3


def typed_findings(values, code, typed):
    return check_unit(CAT, values, {}, unit="BUDANG", file="a.xlsx",
                      computed_typed={code: (typed, "Biểu số liệu", "E25")})


@pytest.mark.parametrize("values,code,typed,flagged", [
    (HOUSES, "NHA_SO", 3, False),
    (HOUSES, "NHA_SO", 3.01, False),
    (HOUSES, "NHA_SO", 2.99, False),
    (HOUSES, "NHA_SO", 3.06, True),
    (HOUSES, "NHA_SO", 3.1, True),
    (HOUSES, "NHA_SO", 2.9, True),
    (HOUSES, "NHA_SO", 30, True),
    ({"NHA_DDK_TIEN": 0.0}, "NHA_TIEN", 0.05, False),
    ({"NHA_DDK_TIEN": 0.05}, "NHA_TIEN", 0.0, False),
    ({"NHA_DDK_TIEN": 0.0}, "NHA_TIEN", 0.08, True),
    ({}, "NHA_SO", 5, True),
    ({"DON_GQ": 9, "DON_NHAN": 10}, "DON_TYLE", 90, False),
    ({"DON_GQ": 9, "DON_NHAN": 10}, "DON_TYLE", 90.04, False),
    ({"DON_GQ": 9, "DON_NHAN": 10}, "DON_TYLE", 90.9, True),
    ({"DON_GQ": 9, "DON_NHAN": 10}, "DON_TYLE", 9, True),
    ({"DON_GQ": 9, "DON_NHAN": 0}, "DON_TYLE", 90, True),
    ({"DON_GQ": 9}, "DON_TYLE", 90, True),
    ({"DON_NHAN": 10}, "DON_TYLE", 90, True),
], ids=[
    "typed total equals parts: fine",
    "0,01 above: rounding, fine",
    "0,01 below: rounding, fine",
    "0,06 above: flagged",
    "0,1 above: flagged",
    "0,1 below: flagged",
    "30 for 1 + 2: flagged",
    "exactly 0,05 above: still fine",
    "exactly 0,05 below: still fine",
    "0,08 above: flagged",
    "total typed, no parts: flagged (cannot recompute)",
    "90 % typed for 9 of 10: fine",
    "90,04 % typed for 9 of 10: fine",
    "90,9 % typed for 9 of 10: flagged",
    "9 % typed for 9 of 10: flagged",
    "% typed with 0 received: flagged (cannot recompute)",
    "% typed without received: flagged",
    "% typed without solved: flagged",
])
def test_typed_value_in_a_computed_row(values, code, typed, flagged):
    found = [f for f in typed_findings(values, code, typed) if f.rule == "computed_typed"]
    assert bool(found) is flagged
    if flagged:
        (f,) = found
        assert (f.severity, f.unit, f.file, f.sheet, f.cell, f.indicator) == (
            "warning", "BUDANG", "a.xlsx", "Biểu số liệu", "E25", code)


@pytest.mark.parametrize("values,code,typed,shown", [
    (HOUSES, "NHA_SO", 3.1, "số ghi trong ô (3,1) khác số tính lại từ các thành phần (3)."),
    ({"DON_GQ": 9, "DON_NHAN": 10}, "DON_TYLE", 9,
     "số ghi trong ô (9) khác số tính lại từ các thành phần (90)."),
    ({"DON_GQ": 1, "DON_NHAN": 3}, "DON_TYLE", 30,
     "số ghi trong ô (30) khác số tính lại từ các thành phần (33,33)."),
    ({}, "NHA_SO", 5, "số ghi trong ô (5) khác số tính lại từ các thành phần "
                      "(không tính được do thiếu số liệu thành phần)."),
], ids=["houses 3,1 vs 3", "9 % vs 90 %", "30 % vs 33,33 %", "nothing to recompute from"])
def test_typed_value_message(values, code, typed, shown):
    (f,) = typed_findings(values, code, typed)
    assert f.message.startswith(f"{CAT[code].label} ({code}) là chỉ tiêu tính toán; ")
    assert shown in f.message
    assert f.message.endswith("dvk dùng số tính lại.")


# ------------------------------------------------------------------ a whole run's rules at once

OPERATORS = ["==", "!=", "<=", ">=", "<", ">"]


def _random_side(rng, codes):
    terms = []
    for k in range(rng.randint(1, 4)):
        sign = rng.choice(["+", "-"]) if k else rng.choice(["", "-"])
        kind = rng.random()
        number = rng.choice(["2", "0.1", "0.3", "10", "1.5", "1000000"])
        if kind < 0.15:
            body = number
        elif kind < 0.35:
            body = f"{number} * {rng.choice(codes)}"
        elif kind < 0.45:
            body = f"{rng.choice(codes)} * {number}"
        else:
            body = rng.choice(codes)
        terms.append(f"{sign} {body}" if sign else body)
    return " ".join(terms)


def _random_run(seed):
    """Rules of every shape (constants, factors that are not whole, a code
    twice, a one-letter code, every operator, conditions, every missing
    strategy) and units' figures (not whole, zero, NaN, None, missing, int)."""
    import math
    import random

    rng = random.Random(seed)
    codes = ["A_X", "B_Y", "C_Z", "D", "E_W", "F_V"]
    checks = []
    for n in range(rng.randint(1, 12)):
        expr = f"{_random_side(rng, codes)} {rng.choice(OPERATORS)} {_random_side(rng, codes)}"
        when = (f"{_random_side(rng, codes)} {rng.choice(OPERATORS)} {_random_side(rng, codes)}"
                if rng.random() < 0.4 else None)
        checks.append(Check(f"R{n}", rng.choice(["error", "warning"]), expr,
                            "{left} / {right}", when=when,
                            missing=rng.choice(["skip_any", "skip_all", "zero"])))
    figures = []
    for _ in range(rng.randint(0, 40)):
        values = {}
        for code in codes:
            kind = rng.random()
            if kind < 0.2:
                continue
            values[code] = (math.nan if kind < 0.25 else None if kind < 0.28 else
                            rng.randint(0, 5) if kind < 0.5 else
                            round(rng.uniform(0, 100), rng.randint(0, 3)) if kind < 0.9 else
                            rng.choice([0.1, 0.2, 0.3, 1e14, 0.0]))
        figures.append(values)
    return checks, figures


@pytest.mark.parametrize("seed", range(60))
def test_the_rules_of_a_whole_run_at_once_fail_where_unit_by_unit_they_fail(seed):
    from dvk_cli.checks.per_unit import failed_checks

    checks, figures = _random_run(seed)
    expected = []
    for values in figures:
        found = []
        for check in checks:
            result = check_rule(check, values)
            if result is not None:
                found.append((check, *result))
        expected.append(found)
    got = failed_checks(checks, figures)
    assert got == expected  # the same checks, sides equal float for float
    assert all(type(x) is float for unit in got for _, *sides in unit for x in sides)


def test_a_run_s_findings_are_those_of_each_unit_alone():
    from dvk_cli.checks.per_unit import failed_checks

    figures = [{"DON_NHAN": 20, "DON_GQ": 25, "HS_NHAN": 10, "HS_DUNGHAN": 11},
               {"MH_TONG": 10, "MH_TAPTHE": 5, "MH_CANHAN": 5, "DON_NHAN": 20, "DON_GQ": 18},
               {"NHA_DDK_TIEN": 100.5}, {}]
    failed = failed_checks(CAT.checks, figures)
    assert sum(map(len, failed)) == 3
    for values, unit_failed in zip(figures, failed, strict=True):
        assert (check_unit(CAT, values, CELLS, unit="U", file="a.xlsx", failed=unit_failed)
                == check_unit(CAT, values, CELLS, unit="U", file="a.xlsx"))
