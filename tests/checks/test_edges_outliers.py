"""Edges of the comparison with what is expected of each unit: settings
from dvk.toml, leave-one-out medians, which values are flagged as outliers or
unit slips, and the words used to describe them. Expected figures are worked
out by hand."""

from __future__ import annotations

import dataclasses
import math
import statistics

import numpy as np
import pandas as pd
import pytest
from realistic import UNIT_SIZE

from dvk_cli.aggregation import MODEL_COLUMNS, TIDY_COLUMNS, Consolidation, UnitInfo
from dvk_cli.checks.expected import Expected
from dvk_cli.checks.peers import (
    Flag,
    OutlierSettings,
    _about,
    _change,
    _share,
    _times,
    brief,
    describe,
    find_outliers,
    flag_values,
    medians_of_others,
    settings_from,
)
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.config import ConfigError, Organization
from dvk_cli.core.periods import Period

CAT = default_catalog()
NAN = math.nan
SIZE = UNIT_SIZE  # each unit of size 1 (tests/realistic.py)


def table(values, code="TT_BUOI", units=None, sized=True) -> pd.DataFrame:
    """One indicator's figures, with (sized) three indicators alike everywhere."""
    units = units or [f"U{i}" for i in range(1, len(values) + 1)]
    data = {code: [float(v) for v in values]}
    if sized:
        data.update({c: [v] * len(values) for c, v in SIZE.items()})
    return pd.DataFrame(data, index=units)


def summary(flags):
    return [(f.unit, f.indicator, f.rule) for f in flags]


# ------------------------------------------------------------------ settings

@pytest.mark.parametrize("raw,expected", [
    ({}, OutlierSettings(3.5, 5, 3.0, True)),
    ({"outliers": {}}, OutlierSettings(3.5, 5, 3.0, True)),
    ({"outliers": {"threshold": 1}}, OutlierSettings(1.0, 5, 3.0, True)),
    ({"outliers": {"threshold": 4.25}}, OutlierSettings(4.25, 5, 3.0, True)),
    ({"outliers": {"min_units": 3}}, OutlierSettings(3.5, 3, 3.0, True)),
    ({"outliers": {"min_units": 12.0}}, OutlierSettings(3.5, 12, 3.0, True)),
    ({"outliers": {"min_factor": 1}}, OutlierSettings(3.5, 5, 1.0, True)),
    ({"outliers": {"min_factor": 1.5}}, OutlierSettings(3.5, 5, 1.5, True)),
    ({"outliers": {"enabled": False}}, OutlierSettings(3.5, 5, 3.0, False)),
    ({"outliers": {"enabled": True, "threshold": 100, "min_units": 4, "min_factor": 10}},
     OutlierSettings(100.0, 4, 10.0, True)),
], ids=[
    "no [outliers]: defaults 3,5 / 5 units / 3 times / on",
    "empty [outliers]: defaults",
    "threshold 1 (the lowest allowed)",
    "threshold 4,25",
    "min_units 3 (the lowest allowed)",
    "min_units 12.0 written as a float",
    "min_factor 1 (the lowest allowed)",
    "min_factor 1,5",
    "switched off",
    "everything set",
])
def test_settings_from(raw, expected):
    got = settings_from(raw)
    assert got == expected
    assert type(got.min_units) is int
    assert type(got.threshold) is float and type(got.min_factor) is float


@pytest.mark.parametrize("section,needle", [
    ({"threshold": 0.99}, "threshold phải là số không nhỏ hơn 1"),
    ({"threshold": 0}, "threshold phải là số không nhỏ hơn 1"),
    ({"threshold": -5}, "threshold"),
    ({"threshold": "3,5"}, "threshold phải là số"),
    ({"threshold": True}, "threshold phải là số"),
    ({"min_units": 2}, "min_units phải là số không nhỏ hơn 3"),
    ({"min_units": 2.99}, "min_units phải là số không nhỏ hơn 3"),
    ({"min_units": 4.5}, "min_units phải là số nguyên"),
    ({"min_units": "5"}, "min_units"),
    ({"min_factor": 0.5}, "min_factor phải là số không nhỏ hơn 1"),
    ({"min_factor": None}, "min_factor"),
    ({"threshold": math.nan}, "threshold phải là số không nhỏ hơn 1"),
    ({"min_factor": math.nan}, "min_factor phải là số không nhỏ hơn 1"),
    ({"min_units": math.nan}, "min_units phải là số không nhỏ hơn 3"),
    ({"enabled": "không"}, "enabled phải là true hoặc false"),
    ({"enabled": 1}, "enabled phải là true hoặc false"),
    ({"threshhold": 3}, "khóa lạ threshhold"),
    ({"threshold": 3, "units": 2, "abc": 1}, "khóa lạ abc, units"),
], ids=[
    "threshold just below 1", "threshold 0", "negative threshold", "threshold as text",
    "threshold true", "min_units 2", "min_units just below 3", "min_units 4,5 not whole",
    "min_units as text", "min_factor below 1", "min_factor empty",
    "threshold = nan (TOML allows it) is not a number for dvk", "min_factor = nan",
    "min_units = nan", "enabled as text",
    "enabled as 1", "misspelt key", "two unknown keys listed in order",
])
def test_settings_rejected(section, needle):
    with pytest.raises(ConfigError) as exc:
        settings_from({"outliers": section}, where="cau-hinh/dvk.toml")
    assert needle in str(exc.value)
    assert str(exc.value).startswith("cau-hinh/dvk.toml: ")


@pytest.mark.parametrize("section", [3, "on", [1, 2]], ids=["number", "text", "list"])
def test_outliers_section_must_be_a_table(section):
    with pytest.raises(ConfigError, match=r"dvk.toml: mục \[outliers\] không hợp lệ"):
        settings_from({"outliers": section})


def test_settings_cannot_be_changed_once_read():
    s = settings_from({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.threshold = 1.0  # type: ignore[misc]


# ------------------------------------------------------------------ medians_of_others

@pytest.mark.parametrize("values,expected", [
    ([], []),
    ([7], [NAN]),
    ([1, 5], [5, 1]),
    ([1, 2, 3], [2.5, 2, 1.5]),
    ([3, 1, 2], [1.5, 2.5, 2]),
    ([4, 1, 3, 2], [2, 3, 2, 3]),
    ([5, 1, 4, 2, 3], [2.5, 3.5, 2.5, 3.5, 3]),
    ([10, 60, 20, 50, 30, 40], [40, 30, 40, 30, 40, 30]),
    ([2, 2, 2, 9, 9, 9], [9, 9, 9, 2, 2, 2]),
    ([5, 5, 5, 5], [5, 5, 5, 5]),
    ([1, 1, 100], [50.5, 50.5, 1]),
    ([100, 1, 1, 1, 1000], [1, 50.5, 50.5, 50.5, 1]),
], ids=[
    "no unit", "one unit: nobody to compare with", "two units swap",
    "three sorted", "three unsorted", "four (odd count of others)",
    "five (even count of others)", "six", "ties in two groups", "all equal",
    "two equal and a big one", "slip among small values",
])
def test_medians_of_others(values, expected):
    got = medians_of_others(values)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        if math.isnan(e):
            assert math.isnan(g)
        else:
            assert g == e


@pytest.mark.parametrize("values", [
    [3, 8, 1, 9, 4, 7, 2],
    [12.5, 0.25, 7, 7, 3, 100, 42, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
], ids=["seven", "eight with a tie", "eleven districts"])
def test_medians_of_others_against_statistics(values):
    expected = [statistics.median(values[:i] + values[i + 1:]) for i in range(len(values))]
    assert list(medians_of_others(np.array(values))) == pytest.approx(expected)


# ------------------------------------------------------------------ flag_values: outliers

@pytest.mark.parametrize("values,expected", [
    ([100, 120, 90, 5000], []),
    ([100, 120, 90, 110, 5000], [("U5", "outlier_peer")]),
    ([100, 120, 90, 5000, 0], []),
    ([100, 120, 90, 5000, NAN, NAN], []),
    ([100, 110, 90, 105, 1], [("U5", "outlier_peer")]),
    ([100, 101, 102, 103, 104, 200], []),
    ([100, 101, 102, 103, 104, 50], []),
    ([100, 101, 102, 103, 104, 200, 1000], [("U7", "outlier_peer")]),
    ([100, 100, 100, 100, 300], [("U5", "outlier_peer")]),
    ([300, 300, 300, 300, 100], [("U5", "outlier_peer")]),
    ([100, 100, 100, 100, 290], []),
    ([100, 100, 100, 100, 100], []),
    ([5000, 100, 120, 90, 110], [("U1", "outlier_peer")]),
    ([100, 120, 5000, 90, 110, 7000, 95, 105, 115, 98, 102], [("U3", "outlier_peer"),
                                                              ("U6", "outlier_peer")]),
], ids=[
    "four units: too few to compare",
    "five units: the 5.000 is flagged",
    "four above 0 and a zero: zeros are not peers, too few",
    "four reported and two blank: too few",
    "a unit reporting just 1 among ~100 is flagged",
    "2 times the others: not extreme",
    "half the others: not extreme",
    "2 times (not flagged) then 10 times (flagged): order does not stop the check",
    "exactly 3 times the expected is flagged",
    "exactly a third of the expected is flagged",
    "2,9 times the expected: not flagged",
    "all equal: nothing flagged",
    "the outlier first",
    "two outliers among eleven districts",
])
def test_outliers(values, expected):
    assert [(u, r) for u, _, r in summary(flag_values(table(values), CAT))] == expected


@pytest.mark.parametrize("values,code,expected", [
    ([1, 1, 1, 1, 3], "TCD_DOAN", []),
    ([2, 2, 2, 2, 5], "MH_TIEUBIEU", []),
    ([1, 1, 1, 1, 7], "TCD_DOAN", []),
    ([1, 1, 1, 1, 8], "TCD_DOAN", ["U5"]),
    ([10, 10, 10, 10, 1], "MH_TONG", []),
    ([20, 20, 20, 20, 2], "MH_TONG", ["U5"]),
], ids=[
    "1 delegation expected, 3 received: 2 more is never suspect",
    "2 exemplary models expected, 5 received: chance",
    "1 expected, 7: 6 more is within 3,5 x (sqrt 7 + 1) / 2 (= 6,38)",
    "1 expected, 8: 7 more is beyond 3,5 x (sqrt 8 + 1) / 2 (= 6,69)",
    "10 expected, 1: 9 fewer is within 3,5 x sqrt 10 (= 11,07)",
    "20 expected, 2: 18 fewer is beyond 3,5 x sqrt 20 (= 15,65)",
])
def test_small_counts(values, code, expected):
    assert [f.unit for f in flag_values(table(values, code=code), CAT)] == expected


def test_outlier_flag_fields():
    (f,) = flag_values(table([100, 110, 90, 105, 1]), CAT)
    # the median of the four others is 102,5; the unit is of size 1
    assert (f.unit, f.indicator, f.rule, f.value) == ("U5", "TT_BUOI", "outlier_peer", 1.0)
    assert f.expected == Expected(102.5, "peers", 102.5, 1.0, 4)
    assert f.impact == pytest.approx(101.5 / 406)  # of the column's total
    assert f.ratio == pytest.approx(1 / 102.5)
    assert f.suggested is None and f.typed_unit == "" and f.group == ""


def test_a_unit_half_the_size_everywhere_is_expected_at_half():
    t = pd.DataFrame({"TT_BUOI": [100.0, 110, 90, 105, 50], "VB_SO": [10.0, 10, 10, 10, 5],
                      "TCD_LUOT": [300.0, 300, 300, 300, 150],
                      "HS_NHAN": [9000.0, 9000, 9000, 9000, 4500]}, index=list("ABCDE"))
    assert flag_values(t, CAT) == []
    t.loc["E", "TT_BUOI"] = 500.0  # ten times what its size makes of it
    (f,) = flag_values(t, CAT)
    assert (f.unit, f.expected.scale, f.expected.value) == ("E", 0.5, 51.25)


@pytest.mark.parametrize("settings,expected", [
    (OutlierSettings(threshold=43.0), ["U5"]),
    (OutlierSettings(threshold=44.0), []),
    (OutlierSettings(min_factor=10.0), ["U5"]),
    (OutlierSettings(min_factor=10.5), []),
    (OutlierSettings(min_units=6), []),
    (OutlierSettings(enabled=False), []),
    (OutlierSettings(), ["U5"]),
], ids=[
    "threshold 43: 900 more is beyond 43 x (sqrt 1000 + 10) / 2 (= 895)",
    "threshold 44: within (915)",
    "min_factor 10: exactly 10 times is flagged",
    "min_factor 10,5: 10 times is not far enough",
    "min_units 6 with five units: not compared",
    "switched off",
    "defaults",
])
def test_settings_change_what_is_flagged(settings, expected):
    flags = flag_values(table([100, 100, 100, 100, 1000]), CAT, settings)
    assert [f.unit for f in flags] == expected


def test_without_a_size_there_is_no_outlier():
    # no other indicator tells the unit's size: what is expected is unknown
    assert flag_values(table([100, 120, 90, 110, 5000], sized=False), CAT) == []


def test_switched_off_or_empty_table_flags_nothing():
    t = table([100, 120, 90, 110, 5000])
    assert flag_values(t, CAT, OutlierSettings(enabled=False)) == []
    assert flag_values(pd.DataFrame(), CAT) == []


def test_computed_rows_and_unknown_columns_are_not_compared():
    t = pd.DataFrame({"NHA_SO": [1.0, 1, 1, 1, 90], "DON_TYLE": [90.0, 91, 92, 93, 1],
                      "KHONG_CO": [1.0, 1, 1, 1, 900]}, index=list("ABCDE"))
    assert flag_values(t, CAT) == []


def test_every_indicator_is_checked_whatever_comes_before():
    # TT_BUOI too few, TT_LUOT fine, MH_TONG flagged
    t = pd.DataFrame({
        "TT_BUOI": [100.0, 120.0, NAN, NAN, NAN],
        "TT_LUOT": [1000.0, 1100.0, 900.0, 1050.0, 950.0],
        "MH_TONG": [10.0, 12.0, 9.0, 11.0, 500.0],
        **{c: [v] * 5 for c, v in SIZE.items()},
    }, index=list("ABCDE"))
    assert summary(flag_values(t, CAT)) == [("E", "MH_TONG", "outlier_peer")]


# ------------------------------------------------------------------ flag_values: unit slips

OTHERS = [1000, 1100, 900, 1200, 1050]  # median 1.050 triệu đồng


@pytest.mark.parametrize("value,rule,typed,suggested", [
    (1_050_000, "unit_slip", "nghìn đồng", 1050),
    (1_050_000_000, "unit_slip", "đồng", 1050),
    (1.05, "unit_slip", "tỷ đồng", 1050),
    (3_000_000, "unit_slip", "nghìn đồng", 3000),
    (400_000, "unit_slip", "nghìn đồng", 400),
    (210_000, "outlier_peer", "", None),
    (5_250_000, "outlier_peer", "", None),
    (20_000_000, "outlier_peer", "", None),
    (5, "outlier_peer", "", None),
], ids=[
    "1.000 times: typed in nghìn đồng, 1.050 suggested",
    "1.000.000 times: typed in đồng",
    "1/1.000: typed in tỷ đồng",
    "about 2.857 times: still nghìn đồng",
    "about 381 times: still nghìn đồng",
    "200 times: too far from 1.000 for a slip, an outlier",
    "5.000 times: between slips, an outlier",
    "about 19.000 times: between slips, an outlier",
    "about 1/210: an outlier, not tỷ đồng",
])
def test_money_slips(value, rule, typed, suggested):
    flags = flag_values(table(OTHERS + [value], code="QUA_TIEN"), CAT)
    assert [(f.unit, f.rule) for f in flags] == [("U6", rule)]
    (f,) = flags
    assert f.typed_unit == typed
    if suggested is None:
        assert f.suggested is None
    else:
        # value / 1.000 (or / 1.000.000, x 1.000): exact, not merely close
        assert f.suggested == pytest.approx(suggested, rel=1e-12)
        assert f.expected.value == 1050.0  # the five other units' median, size 1
        assert f.ratio == pytest.approx(value / 1050)


@pytest.mark.parametrize("value,rule", [
    (3162.2776601683795, "unit_slip"),
    (316.22776601683796, "unit_slip"),
    (3500, "outlier_peer"),
    (0.00031622776601683794, "unit_slip"),
], ids=[
    "exactly 10^3,5 times (edge of the nghìn đồng window): a slip",
    "exactly 10^2,5 times (other edge): a slip",
    "3.500 times: outside the window, an outlier",
    "exactly 10^-3,5 (edge of the tỷ đồng window): a slip",
])
def test_slip_window_edges(value, rule):
    flags = flag_values(table([1, 1, 1, 1, value], code="NHA_TN_TIEN"), CAT)
    assert [(f.unit, f.rule) for f in flags] == [("U5", rule)]


def test_slip_is_not_also_an_outlier_and_comes_first():
    # U7 typed nghìn đồng (a slip); U6 is 200 times the others (an outlier, not a slip)
    flags = flag_values(table(OTHERS + [210_000, 1_050_000], code="QUA_TIEN"), CAT)
    assert summary(flags) == [("U7", "QUA_TIEN", "unit_slip"), ("U6", "QUA_TIEN", "outlier_peer")]
    assert flags[0].expected.value == 1075.0  # median of the six others, the outlier included


def test_a_thousandfold_count_is_an_outlier_not_a_slip():
    flags = flag_values(table([100, 120, 90, 110, 105_000], code="TT_BUOI"), CAT)
    assert [(f.rule, f.suggested, f.typed_unit) for f in flags] == [("outlier_peer", None, "")]


def test_slip_in_a_length_column_is_an_outlier():
    # only money columns are checked for slips (đồng / nghìn đồng / tỷ đồng)
    flags = flag_values(table([1.2, 1.5, 1.1, 1.3, 1400], code="DUONG_GT_KM"), CAT)
    assert [(f.unit, f.rule) for f in flags] == [("U5", "outlier_peer")]


def test_without_a_size_a_slip_is_told_from_the_median():
    (f,) = flag_values(table(OTHERS + [1_050_000], code="QUA_TIEN", sized=False), CAT)
    assert (f.rule, f.expected) == ("unit_slip", Expected(1050.0, "median", 1050.0, 1.0, 5))


def test_a_median_of_two_others_tells_no_slip():
    # one of the two others could be the slip: nothing is said
    assert flag_values(table([1000, 1100, 1_050_000], code="QUA_TIEN", sized=False), CAT) == []
    (f,) = flag_values(table([1000, 1100, 900, 1_050_000], code="QUA_TIEN", sized=False), CAT)
    assert (f.unit, f.rule, f.expected.peers) == ("U4", "unit_slip", 3)


# ------------------------------------------------------------------ words

@pytest.mark.parametrize("ratio,expected", [
    (1.0, "gấp khoảng 1 lần"),
    (1.5, "gấp khoảng 1,5 lần"),
    (2.34, "gấp khoảng 2,3 lần"),
    (9.96, "gấp khoảng 10 lần"),
    (10.4, "gấp khoảng 10 lần"),
    (12.6, "gấp khoảng 13 lần"),
    (1000.0, "gấp khoảng 1.000 lần"),
    (1_000_000.0, "gấp khoảng 1.000.000 lần"),
    (0.5, "chỉ bằng khoảng 1/2"),
    (0.4, "chỉ bằng khoảng 1/2,5"),
    (0.15, "chỉ bằng khoảng 1/6,7"),
    (0.079, "chỉ bằng khoảng 1/13"),
    (0.001, "chỉ bằng khoảng 1/1.000"),
], ids=[
    "same as the median: 1 time", "1,5 times", "2,34 times: one decimal",
    "9,96 times rounds to 10", "10,4 times: no decimal from 10 on", "12,6 times rounds to 13",
    "a thousand times", "a million times", "half", "two fifths: 1/2,5",
    "0,15: 1/6,7 (one decimal)", "0,079: 1/13 (no decimal below a tenth)", "a thousandth",
])
def test_times(ratio, expected):
    assert _times(ratio) == expected


@pytest.mark.parametrize("value,expected", [
    (0.44, "0,4"), (4.9, "4,9"), (9.96, "10"), (37.4, "37"), (99.4, "99"), (162.5, "160"),
    (7150, "7.200"), (1234.5, "1.200"), (98_765, "99.000"),
], ids=["below 1", "one decimal below 10", "9,96 rounds to 10", "whole from 10",
        "99,4", "two significant digits from 100", "7.150 to 7.200", "1.234,5", "98.765"])
def test_about(value, expected):
    assert _about(value) == expected


@pytest.mark.parametrize("share,expected", [
    (0.3075, "31%"), (0.0862, "8,6%"), (0.0045, "0,45%"), (1.0, "100%"),
], ids=["whole from 10 %", "one decimal from 1 %", "two below 1 %", "all of it"])
def test_share(share, expected):
    assert _share(share) == expected


@pytest.mark.parametrize("change,expected", [
    (1.0, "không đổi"), (1.004, "không đổi"), (1.1111, "tăng khoảng 11%"),
    (2.0, "tăng khoảng 100%"), (0.79, "giảm khoảng 21%"),
], ids=["no change", "under half a percent", "up 11 %", "doubled", "down 21 %"])
def test_change(change, expected):
    assert _change(change) == expected


PEER_FLAG = Flag("BUDOP", "TT_BUOI", "outlier_peer", 1625.0,
                 Expected(162.5, "peers", 250.0, 0.65, 10), 0.3, "Địa phương")


def test_describe_an_outlier_against_its_peers():
    assert describe(PEER_FLAG, CAT, "Huyện Bù Đốp") == (
        "Huyện Bù Đốp: Buổi tuyên truyền, phổ biến pháp luật ghi 1.625 buổi, gấp khoảng 10 lần "
        "mức dự kiến cho đơn vị (khoảng 160 buổi), tính từ mức trung vị của 10 đơn vị khác cùng "
        "nhóm “Địa phương” (250 buổi) theo quy mô của đơn vị (chỉ bằng khoảng 1/1,5 đơn vị trung "
        "vị). Chênh lệch bằng khoảng 30% tổng số của chỉ tiêu. Đề nghị đơn vị kiểm tra lại số liệu.")
    assert brief(PEER_FLAG, CAT) == "gấp khoảng 10 lần mức dự kiến (khoảng 160)"


def test_describe_an_outlier_of_a_unit_of_median_size_without_group():
    flag = Flag("U5", "TT_BUOI", "outlier_peer", 25.0, Expected(100.0, "peers", 100.0, 1.02, 4),
                0.004)
    text = describe(flag, CAT)
    assert text.startswith("Buổi tuyên truyền, phổ biến pháp luật ghi 25 buổi, chỉ bằng khoảng 1/4 "
                           "mức dự kiến cho đơn vị (khoảng 100 buổi)")
    assert "mức trung vị của 4 đơn vị khác (100 buổi)" in text
    assert "(tương đương đơn vị trung vị)" in text and "khoảng 0,4%" in text
    assert brief(flag, CAT) == "chỉ bằng khoảng 1/4 mức dự kiến (khoảng 100)"


def test_describe_an_outlier_against_its_history():
    flag = Flag("HONQUAN", "TT_BUOI", "outlier_history", 360.0,
                Expected(40.0, "history", 36.0, 1.1111), 0.12)
    assert describe(flag, CAT) == (
        "Buổi tuyên truyền, phổ biến pháp luật ghi 360 buổi, gấp khoảng 9 lần mức dự kiến cho đơn "
        "vị (khoảng 40 buổi), tính từ số liệu kỳ so sánh của chính đơn vị (36 buổi), điều chỉnh "
        "theo mức thay đổi chung của các đơn vị (tăng khoảng 11%). Chênh lệch bằng khoảng 12% "
        "tổng số của chỉ tiêu. Đề nghị đơn vị kiểm tra lại số liệu.")
    assert brief(flag, CAT) == "gấp khoảng 9 lần mức dự kiến (khoảng 40)"


@pytest.mark.parametrize("flag,expected,short", [
    (Flag("DONGPHU", "VANDONG_TIEN", "unit_slip", 7_150_000.0,
          Expected(7150.0, "median", 7150.0, peers=10), 0.99, "Địa phương",
          suggested=7150.0, typed_unit="nghìn đồng"),
     "ghi 7.150.000 triệu đồng, gấp khoảng 1.000 lần mức trung vị của 10 đơn vị khác cùng nhóm "
     "“Địa phương” (7.150 triệu đồng): có thể đã ghi theo nghìn đồng thay vì triệu đồng. Nếu vậy, "
     "số đúng là 7.150 triệu đồng — dvk không tự sửa, đề nghị đơn vị kiểm tra và gửi lại.",
     "có thể ghi theo nghìn đồng thay vì triệu đồng (số đúng có thể là 7.150)"),
    (Flag("HONQUAN", "QUA_TIEN", "unit_slip", 2.0, Expected(2000.0, "peers", 2000.0, 1.0, 8),
          0.2, suggested=2000.0, typed_unit="tỷ đồng"),
     "ghi 2 triệu đồng, chỉ bằng khoảng 1/1.000 mức dự kiến cho đơn vị (khoảng 2.000 triệu đồng, "
     "tính từ mức trung vị của 8 đơn vị khác (2.000 triệu đồng) theo quy mô của đơn vị (tương "
     "đương đơn vị trung vị)): có thể đã ghi theo tỷ đồng thay vì triệu đồng. Nếu vậy, số đúng là "
     "2.000 triệu đồng",
     "có thể ghi theo tỷ đồng thay vì triệu đồng (số đúng có thể là 2.000)"),
    (Flag("BUDANG", "QUA_TIEN", "unit_slip", 150_000_000.0,
          Expected(140.0, "history", 125.0, 1.12), 1.0, suggested=150.0, typed_unit="đồng"),
     "gấp khoảng 1.071.429 lần mức dự kiến cho đơn vị (khoảng 140 triệu đồng, tính từ số liệu kỳ "
     "so sánh của chính đơn vị (125 triệu đồng), điều chỉnh theo mức thay đổi chung của các đơn "
     "vị (tăng khoảng 12%)): có thể đã ghi theo đồng thay vì triệu đồng. Nếu vậy, số đúng là "
     "150 triệu đồng",
     "có thể ghi theo đồng thay vì triệu đồng (số đúng có thể là 150)"),
], ids=["nghìn đồng against the median", "tỷ đồng against the peers",
        "đồng against its history"])
def test_describe_a_slip(flag, expected, short):
    assert expected in describe(flag, CAT)
    assert brief(flag, CAT) == short


@pytest.mark.parametrize("value,others,message", [
    (1_050_000, OTHERS, "số đúng là 1.050 triệu đồng"),
    (1_050_000_000, OTHERS, "số đúng là 1.050 triệu đồng"),
    (2, [2000, 2100, 1900, 2200, 2050], "số đúng là 2.000 triệu đồng"),
], ids=["nghìn đồng slip suggests ÷1.000", "đồng slip suggests ÷1.000.000",
        "tỷ đồng slip suggests ×1.000"])
def test_slip_suggestion_end_to_end(value, others, message):
    (f,) = flag_values(table(others + [value], code="VANDONG_TIEN"), CAT)
    assert message in describe(f, CAT)


# ------------------------------------------------------------------ find_outliers

def consolidation(per_unit: pd.DataFrame, rows, groups=None) -> Consolidation:
    values = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    return Consolidation(
        period=Period(2024, "Y"), organization=Organization(), catalog=CAT, values=values,
        models=pd.DataFrame([], columns=MODEL_COLUMNS),
        units={u: UnitInfo(u, u, (groups or {}).get(u, "")) for u in per_unit.index},
        per_unit=per_unit, totals={}, reporting={})


def rows_for(t: pd.DataFrame, code: str):
    return [(u, "2024", code, v, f"{u.lower()}.xlsx", "Biểu số liệu", f"E{20 + i}", "mã", "")
            for i, (u, v) in enumerate(t[code].items())]


def test_find_outliers_points_at_the_cell():
    t = table([100, 120, 90, 110, 5000], units=["A", "B", "C", "D", "E"])
    (f,) = find_outliers(consolidation(t, rows_for(t, "TT_BUOI")))
    assert (f.severity, f.rule, f.unit, f.indicator, f.file, f.sheet, f.cell) == (
        "warning", "outlier_peer", "E", "TT_BUOI", "e.xlsx", "Biểu số liệu", "E24")
    assert f.message.startswith("Buổi tuyên truyền, phổ biến pháp luật ghi 5.000 buổi, gấp khoảng")
    assert f.impact == round(4895 / 5420, 4)
    assert f.brief == "gấp khoảng 48 lần mức dự kiến (khoảng 100)"  # 105, two digits


def test_find_outliers_slip_with_settings():
    t = table(OTHERS + [1_050_000], code="QUA_TIEN", units=list("ABCDEF"))
    c = consolidation(t, rows_for(t, "QUA_TIEN"))
    (f,) = find_outliers(c)
    assert (f.rule, f.unit, f.cell, f.severity) == ("unit_slip", "F", "E25", "warning")
    assert "số đúng là 1.050 triệu đồng" in f.message
    assert find_outliers(c, OutlierSettings(enabled=False)) == []


def test_find_outliers_without_a_source_row_has_no_cell():
    t = table([100, 120, 90, 110, 5000], units=["A", "B", "C", "D", "E"])
    (f,) = find_outliers(consolidation(t, rows_for(t, "TT_BUOI")[:4]))
    assert (f.unit, f.file, f.sheet, f.cell) == ("E", "", "", "")


def test_find_outliers_nothing_to_report():
    t = table([100, 120, 90, 110, 105], units=["A", "B", "C", "D", "E"])
    assert find_outliers(consolidation(t, rows_for(t, "TT_BUOI"))) == []


def test_find_outliers_names_the_group_of_the_peers():
    t = table([100, 120, 90, 110, 5000], units=["A", "B", "C", "D", "E"])
    c = consolidation(t, rows_for(t, "TT_BUOI"), groups=dict.fromkeys("ABCDE", "Địa phương"))
    (f,) = find_outliers(c)
    assert "mức trung vị của 4 đơn vị khác cùng nhóm “Địa phương” (105 buổi)" in f.message


# ------------------------------------------------------------------ the cells of the flags

def _cells_row_by_row(wanted, v):
    """_cells_of the straightforward way: every row's (unit as text, indicator)."""
    found = {}
    for unit, code, file, sheet, cell in zip(v["unit"].astype(str).tolist(),
                                             v["indicator"].tolist(), v["file"].tolist(),
                                             v["sheet"].tolist(), v["cell"].tolist(), strict=True):
        if (unit, code) in wanted:
            found[unit, code] = (file, sheet, cell)  # a later row wins, as in a dict display
    return found


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("categories", [True, False], ids=["categories", "plain"])
def test_the_cells_of_flags_are_those_row_by_row(seed, categories):
    import random

    import numpy as np
    import pandas as pd

    from dvk_cli.checks.peers import _cells_of

    rng = random.Random(seed)
    units = [f"U{i}" for i in range(rng.randint(1, 30))] + ["nan"]
    codes = [f"C{j}" for j in range(rng.randint(1, 12))]
    rows = []
    for _ in range(rng.randint(0, 300)):  # a pair may come twice, a unit may be missing
        unit = rng.choice(units + [None]) if rng.random() < 0.05 else rng.choice(units)
        code = rng.choice(codes + [None]) if rng.random() < 0.05 else rng.choice(codes)
        rows.append((unit, code, f"f{rng.randint(0, 3)}.xlsx", "Biểu", f"E{rng.randint(1, 99)}"))
    v = pd.DataFrame(rows, columns=["unit", "indicator", "file", "sheet", "cell"])
    if categories:
        v = v.astype("category")
    wanted = {(rng.choice(units + ["ZZ"]), rng.choice(codes + ["ZZ"]))
              for _ in range(rng.randint(0, 40))}
    got = _cells_of(wanted, v)
    assert got == _cells_row_by_row(wanted, v)
    assert list(got) == list(_cells_row_by_row(wanted, v))
    assert all(type(x) is str for key, where in got.items() for x in (*key, *where))
    assert np.isin(list(got), list(wanted)).all() if got else True
