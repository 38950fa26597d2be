"""Edges of aggregation: computed rows per unit, province totals, the JSON
result and the small bookkeeping properties (expected units, errors, used
files). Every expected figure is worked out by hand in the table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dvk_cli.aggregation import (
    MODEL_COLUMNS,
    TIDY_COLUMNS,
    Consolidation,
    Source,
    SourceStatus,
    UnitInfo,
    compute_derived,
    consolidate,
    to_json,
)
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.config import Organization
from dvk_cli.core.findings import Finding
from dvk_cli.core.periods import Period
from dvk_cli.core.units import Unit

CAT = default_catalog()
ORG = Organization(name="Ban Dân vận Tỉnh ủy Thử nghiệm", code="THU")
NHA_SO = CAT["NHA_SO"]  # sum of the five kinds of houses
DON_TYLE = CAT["DON_TYLE"]  # ratio DON_GQ / DON_NHAN x 100
NAN = math.nan


def blank(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def tidy(data: dict[str, dict[str, float]]) -> pd.DataFrame:
    """A tidy table as the reader builds it: one row per unit x indicator."""
    rows = [(u, "2024", code, v, f"{u.lower()}.xlsx", "Biểu số liệu", f"E{10 + i}", "mã", "")
            for u, values in data.items() for i, (code, v) in enumerate(values.items())]
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def run_consolidate(data, *, units=None, registry=(), findings=(), sources=()):
    units = units if units is not None else {
        u: UnitInfo(u, f"Huyện {u.title()}", "Địa phương", f"returns/{u.lower()}.xlsx")
        for u in data}
    return consolidate(
        tidy(data), pd.DataFrame([], columns=MODEL_COLUMNS), units,
        period=Period(2024, "Y"), organization=ORG, catalog=CAT,
        registry_units=[Unit(code, code.title()) for code in registry],
        findings=list(findings), sources=list(sources))


def bare_consolidation(**kw) -> Consolidation:
    """A Consolidation built by hand (not through consolidate)."""
    args = dict(period=Period(2024, "Y"), organization=ORG, catalog=CAT,
                values=tidy({}), models=pd.DataFrame([], columns=MODEL_COLUMNS), units={},
                per_unit=pd.DataFrame(), totals={}, reporting={})
    args.update(kw)
    return Consolidation(**args)


# ------------------------------------------------------------------ compute_derived (per unit)

@pytest.mark.parametrize("parts,expected", [
    ({}, NAN),
    ({"NHA_DDK_SO": 2}, 2.0),
    ({"NHA_TN_SO": 1, "NHA_KHAC_SO": 4}, 5.0),
    ({"NHA_DDK_SO": 0}, 0.0),
    ({"NHA_DDK_SO": 1, "NHA_TN_SO": 2, "NHA_DD_SO": 3, "NHA_CTD_SO": 4, "NHA_KHAC_SO": 5}, 15.0),
], ids=[
    "no house kind reported: total houses blank, not 0",
    "only one kind reported: total is that kind",
    "two of five kinds reported: their sum",
    "a reported 0 stays 0 (not blank)",
    "all five kinds: their sum",
])
def test_sum_of_parts_per_unit(parts, expected):
    codes = ["NHA_DDK_SO", "NHA_TN_SO", "NHA_DD_SO", "NHA_CTD_SO", "NHA_KHAC_SO"]
    wide = pd.DataFrame([{c: parts.get(c, NAN) for c in codes}], index=["A"], dtype="float64")
    got = compute_derived(wide, [NHA_SO]).loc["A", "NHA_SO"]
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def test_sum_when_the_table_lacks_some_part_columns():
    # only two of the five part columns exist: the sum uses those
    wide = pd.DataFrame({"NHA_DDK_SO": [2.0, NAN], "NHA_TN_SO": [3.0, NAN]}, index=["A", "B"])
    out = compute_derived(wide, [NHA_SO])
    assert out.loc["A", "NHA_SO"] == 5.0
    assert math.isnan(out.loc["B", "NHA_SO"])


def test_sum_when_the_table_has_no_part_column_at_all():
    wide = pd.DataFrame({"VB_SO": [4.0]}, index=["A"])
    out = compute_derived(wide, [NHA_SO])
    assert math.isnan(out.loc["A", "NHA_SO"])


@pytest.mark.parametrize("gq,nhan,expected", [
    (9, 10, 90.0),
    (1, 1, 100.0),
    (3, 4, 75.0),
    (5, 0, NAN),
    (0, 0, NAN),
    (0, 20, 0.0),
    (NAN, 10, NAN),
    (9, NAN, NAN),
    (30, 20, 150.0),
], ids=[
    "9 of 10 solved is 90%",
    "1 of 1 solved is 100% (denominator 1 is fine)",
    "3 of 4 is 75%",
    "letters solved but none received: blank, never infinite",
    "0 of 0: blank",
    "0 of 20 solved is 0%",
    "solved not reported: blank",
    "received not reported: blank",
    "more solved than received: 150% shown as is",
])
def test_ratio_per_unit(gq, nhan, expected):
    wide = pd.DataFrame({"DON_GQ": [float(gq)], "DON_NHAN": [float(nhan)]}, index=["A"])
    got = compute_derived(wide, [DON_TYLE]).loc["A", "DON_TYLE"]
    if math.isnan(expected):
        assert math.isnan(got) and not math.isinf(got)
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize("columns", [
    {"DON_GQ": [9.0]},
    {"DON_NHAN": [10.0]},
    {"VB_SO": [1.0]},
], ids=[
    "table without received letters column: ratio blank",
    "table without solved letters column: ratio blank",
    "table without either: ratio blank",
])
def test_ratio_needs_both_columns(columns):
    wide = pd.DataFrame(columns, index=["A"])
    out = compute_derived(wide, [DON_TYLE])
    assert math.isnan(out.loc["A", "DON_TYLE"])


def test_several_units_each_get_their_own_computed_values():
    wide = pd.DataFrame({
        "DON_GQ": [9.0, 5.0, NAN], "DON_NHAN": [10.0, 0.0, 8.0],
        "NHA_DDK_SO": [1.0, NAN, NAN], "NHA_TN_SO": [2.0, NAN, NAN],
        "NHA_DD_SO": [NAN] * 3, "NHA_CTD_SO": [NAN] * 3, "NHA_KHAC_SO": [NAN, 4.0, NAN],
    }, index=["A", "B", "C"])
    out = compute_derived(wide, CAT.computed)
    assert out.loc["A", "DON_TYLE"] == pytest.approx(90.0)
    assert math.isnan(out.loc["B", "DON_TYLE"]) and math.isnan(out.loc["C", "DON_TYLE"])
    assert list(out["NHA_SO"].fillna(-1)) == [3.0, 4.0, -1]


# ------------------------------------------------------------------ consolidate: totals

DATA = {
    # A: 9 of 10 letters solved (90 %), two kinds of houses
    "A": {"DON_GQ": 9, "DON_NHAN": 10, "NHA_DDK_SO": 2, "NHA_TN_SO": 1, "DUONG_DIEN_KM": 1.1},
    # B: 1 of 90 solved (1,11 %), one kind of house
    "B": {"DON_GQ": 1, "DON_NHAN": 90, "NHA_DDK_SO": 3, "DUONG_DIEN_KM": 2.2},
    # C: letters received but "solved" left blank; no houses at all
    "C": {"DON_NHAN": 50, "VB_SO": 4},
}


@pytest.fixture(scope="module")
def three():
    return run_consolidate(DATA, registry=["A", "B", "C"])


@pytest.mark.parametrize("code,expected", [
    ("DON_GQ", 10),
    ("DON_NHAN", 150),
    ("NHA_DDK_SO", 5),
    ("NHA_TN_SO", 1),
    ("VB_SO", 4),
    ("NHA_SO", 6),
    ("DON_TYLE", 10),
    ("DUONG_DIEN_KM", 3.3),
], ids=[
    "solved letters summed",
    "received letters summed over all three units",
    "houses of one kind summed",
    "houses reported by one unit",
    "documents reported by one unit",
    "total houses = sum of the kinds' totals",
    "province % from summed parts of units with both (10/100), not mean of 90% and 1,1%",
    "1,1 + 2,2 km is 3,3 without binary noise",
])
def test_totals(three, code, expected):
    assert three.totals[code] == expected
    assert type(three.totals[code]) is type(expected)


@pytest.mark.parametrize("code", ["QUA_SO", "NHA_TIEN", "HS_TYLE", "NHA_DD_SO", "HS_NHAN"],
                         ids=["gifts nobody reported", "house value nobody reported",
                              "records ratio nobody could compute", "a house kind nobody reported",
                              "records nobody reported"])
def test_nobody_reported_is_absent_not_zero(three, code):
    assert code not in three.totals
    assert code not in three.reporting


@pytest.mark.parametrize("code,expected", [
    ("DON_NHAN", 3),
    ("DON_GQ", 2),
    ("NHA_SO", 2),
    ("DON_TYLE", 2),
    ("VB_SO", 1),
], ids=[
    "three units reported received letters",
    "two reported solved letters",
    "two units have a house total",
    "two units have both parts of the ratio",
    "one unit reported documents",
])
def test_reporting_counts(three, code, expected):
    assert three.reporting[code] == expected


def test_per_unit_table(three):
    pu = three.per_unit
    assert list(pu.index) == ["A", "B", "C"]
    assert list(pu.columns) == CAT.codes  # catalog order, computed rows included
    assert pu.loc["A", "DON_TYLE"] == pytest.approx(90.0)
    assert pu.loc["B", "DON_TYLE"] == pytest.approx(100 / 90)
    assert math.isnan(pu.loc["C", "DON_TYLE"])  # needs both parts
    assert pu.loc["A", "NHA_SO"] == 3 and pu.loc["B", "NHA_SO"] == 3
    assert math.isnan(pu.loc["C", "NHA_SO"])  # reported no house: blank, not 0


@pytest.mark.parametrize("data,code,expected", [
    ({"A": {"DON_GQ": 0, "DON_NHAN": 0}, "B": {"DON_GQ": 0, "DON_NHAN": 0}}, "DON_TYLE", None),
    ({"A": {"DON_GQ": 3, "DON_NHAN": 0}, "B": {"DON_GQ": 1, "DON_NHAN": 4}}, "DON_TYLE", 100),
    ({"A": {"HS_DUNGHAN": 1, "HS_NHAN": 3}}, "HS_TYLE", 33.333333),
    ({"A": {"HS_DUNGHAN": 2, "HS_NHAN": 3}, "B": {"HS_DUNGHAN": 0, "HS_NHAN": 3}}, "HS_TYLE",
     33.333333),
    ({"A": {"NHA_TN_TIEN": 0.1}, "B": {"NHA_DD_TIEN": 0.2}}, "NHA_TIEN", 0.3),
    ({"A": {"NHA_DDK_SO": 0}}, "NHA_SO", 0),
], ids=[
    "nothing received anywhere: no province %, no division by zero",
    "one unit received 0: province % = (3+1)/(0+4)",
    "1 of 3 records on time: 33,333333 %",
    "province % of 2+0 of 3+3",
    "0,1 + 0,2 million is 0,3",
    "a reported 0 house total is 0, not absent",
])
def test_totals_edge_cases(data, code, expected):
    c = run_consolidate(data)
    if expected is None:
        assert code not in c.totals and code not in c.reporting
    else:
        assert c.totals[code] == expected


def test_values_of_one_unit_in_two_rows_are_added():
    # a wide table's rows can give the same unit twice: the pivot adds them
    values = pd.concat([tidy({"A": {"VB_SO": 2}}), tidy({"A": {"VB_SO": 3}})], ignore_index=True)
    c = consolidate(values, pd.DataFrame([], columns=MODEL_COLUMNS),
                    {"A": UnitInfo("A", "Huyện A")}, period=Period(2024, "Y"), organization=ORG,
                    catalog=CAT, registry_units=[], findings=[], sources=[])
    assert c.totals["VB_SO"] == 5 and c.reporting["VB_SO"] == 1


def test_no_values_at_all():
    c = run_consolidate({}, units={"A": UnitInfo("A", "Huyện A")})
    assert c.totals == {} and c.reporting == {}
    assert list(c.per_unit.index) == ["A"]
    assert c.per_unit.loc["A"].isna().all()


# ------------------------------------------------------------------ consolidate: who is missing

def held_and_missing_case():
    findings = [
        Finding("error", "unreadable", "tệp hỏng", file="c.xlsx", unit="C"),
        Finding("warning", "MH_LOAI", "lệch", file="d.xlsx", unit="D"),
        Finding("error", "unknown_unit", "đơn vị lạ", file="x.xlsx", unit=""),
        Finding("warning", "DON_GQ", "lệch", file="a.xlsx", unit="A"),
    ]
    return run_consolidate({"A": {"VB_SO": 1}, "B": {"VB_SO": 2}},
                           registry=["A", "B", "C", "D", "E"], findings=findings)


@pytest.mark.parametrize("attr,expected", [
    ("held", ["C"]),
    ("missing", ["D", "E"]),
    ("units", ["A", "B"]),
    ("registered", 5),
    ("expected", 5),
    ("errors", ["unreadable", "unknown_unit"]),
    ("warnings", ["MH_LOAI", "DON_GQ"]),
], ids=[
    "unit whose return had an error is held back, not missing",
    "units that sent nothing (or only a warning elsewhere) are missing",
    "units used",
    "five units registered",
    "expected = used + held + missing",
    "errors listed",
    "warnings listed",
])
def test_held_missing_and_counts(attr, expected):
    c = held_and_missing_case()
    got = getattr(c, attr)
    if attr in ("held", "missing"):
        got = [u.code for u in got]
    elif attr == "units":
        got = list(got)
    elif attr in ("errors", "warnings"):
        got = [f.rule for f in got]
    assert got == expected


@pytest.mark.parametrize("units,held,missing,expected", [
    (2, 1, 3, 6),
    (0, 0, 0, 0),
    (3, 0, 0, 3),
    (0, 2, 0, 2),
    (0, 0, 4, 4),
], ids=["2 used + 1 held + 3 missing = 6", "nobody: 0", "only used units",
        "only held units", "only missing units"])
def test_expected_units(units, held, missing, expected):
    c = bare_consolidation(
        units={f"U{i}": UnitInfo(f"U{i}", "x") for i in range(units)},
        held=[Unit(f"H{i}", "x") for i in range(held)],
        missing=[Unit(f"M{i}", "x") for i in range(missing)])
    assert c.expected == expected


def test_consolidation_defaults():
    c = bare_consolidation()
    assert c.registered == 0  # no registry: "missing" unknown
    assert c.missing == [] and c.held == [] and c.findings == [] and c.sources == []
    assert c.compare == {} and c.history == {}
    assert c.errors == [] and c.warnings == []


def test_info_findings_are_neither_errors_nor_warnings():
    c = bare_consolidation(findings=[Finding("info", "converted", "đổi đơn vị")])
    assert c.errors == [] and c.warnings == []


def test_exemplary_models():
    models = pd.DataFrame([
        ("A", 1, "Mô hình 1", "Kinh tế", "Tập thể", True, "", "", "a.xlsx", "DS", 4),
        ("A", 2, "Mô hình 2", "Kinh tế", "Cá nhân", False, "", "", "a.xlsx", "DS", 5),
    ], columns=MODEL_COLUMNS)
    c = bare_consolidation(models=models)
    assert list(c.exemplary_models()["name"]) == ["Mô hình 1"]


# ------------------------------------------------------------------ Source

@pytest.mark.parametrize("status,used", [
    ("dùng", True),
    ("", False),
    ("trùng báo cáo", False),
    ("không đọc được", False),
], ids=["file used", "status not set: not used", "duplicate not used", "unreadable not used"])
def test_source_used(status, used):
    assert Source("a.xlsx", "0" * 64, status=status).used is used


def test_source_defaults():
    s = Source("a.xlsx", "0" * 64)
    assert (s.unit, s.unit_name, s.period, s.status, s.values, s.models) == ("", "", "", "", 0, 0)
    assert s.used is False


# ------------------------------------------------------------------ to_json

@pytest.fixture(scope="module")
def three_json(three):
    return to_json(three)


@pytest.mark.parametrize("path,expected", [
    (("period",), "2024"),
    (("period_label",), "năm 2024"),
    (("units", "A", "name"), "Huyện A"),
    (("units", "A", "file"), "returns/a.xlsx"),
    (("units", "C", "file"), "returns/c.xlsx"),
    (("units", "A", "values", "DON_TYLE"), 90),
    (("units", "B", "values", "DON_TYLE"), 1.111111),
    (("units", "A", "values", "NHA_SO"), 3),
    (("units", "A", "values", "DUONG_DIEN_KM"), 1.1),
    (("totals", "DON_TYLE"), 10),
    (("totals", "NHA_SO"), 6),
    (("totals", "DUONG_DIEN_KM"), 3.3),
    (("missing",), []),
    (("held",), []),
    (("findings",), []),
    (("compare",), {}),
], ids=[
    "period code", "period label", "unit name", "unit file", "file of a third unit",
    "unit % as whole number", "unit % to 6 decimals", "unit house total", "unit km",
    "province %", "province houses", "province km", "nobody missing", "nobody held",
    "no findings", "no comparison",
])
def test_to_json_fields(three_json, path, expected):
    got = three_json
    for key in path:
        got = got[key]
    assert got == expected
    assert type(got) is type(expected)


def test_to_json_unit_values_leave_out_blanks(three_json):
    assert three_json["units"]["C"]["values"] == {"DON_NHAN": 50, "VB_SO": 4}
    assert three_json["units"]["B"]["values"] == {
        "DON_GQ": 1, "DON_NHAN": 90, "DON_TYLE": 1.111111, "NHA_SO": 3, "NHA_DDK_SO": 3,
        "DUONG_DIEN_KM": 2.2}
    assert list(three_json["units"]) == ["A", "B", "C"]
    assert "history" not in three_json  # only when the history store took part


def test_to_json_totals_are_the_consolidation_totals(three, three_json):
    assert three_json["totals"] == {
        "VB_SO": 4, "DON_NHAN": 150, "DON_GQ": 10, "DON_TYLE": 10, "NHA_SO": 6,
        "NHA_DDK_SO": 5, "NHA_TN_SO": 1, "DUONG_DIEN_KM": 3.3}
    assert three_json["totals"] is not three.totals  # a copy


def test_to_json_missing_held_findings_history():
    c = held_and_missing_case()
    c.history = {"store": "lich-su"}
    c.compare = {"previous": {"period": "2023", "totals": {"VB_SO": 1}}}
    out = to_json(c)
    assert out["missing"] == ["D", "E"]
    assert out["held"] == ["C"]
    # one state per expected unit, in the words every output uses
    assert out["unit_states"] == {"A": "review", "B": "valid", "C": "held", "D": "missing",
                                  "E": "missing"}
    assert out["summary"] == ("1/5 đơn vị hợp lệ, 1 đơn vị cần xem lại, 1 đơn vị chưa tổng hợp "
                              "(cần sửa), 2 đơn vị chưa nộp, 1 tệp không dùng được")
    assert [f["rule"] for f in out["findings"]] == ["unreadable", "MH_LOAI", "unknown_unit",
                                                     "DON_GQ"]
    assert out["findings"][0] == {"severity": "error", "rule": "unreadable", "message": "tệp hỏng",
                                  "file": "c.xlsx", "sheet": "", "cell": "", "unit": "C",
                                  "indicator": "", "brief": "", "value": "", "status": "open"}
    assert out["history"] == {"store": "lich-su"}
    assert out["compare"] == {"previous": {"period": "2023", "totals": {"VB_SO": 1}}}
    assert out["units"]["A"] == {"name": "Huyện A", "file": "returns/a.xlsx",
                                 "state": "review", "values": {"VB_SO": 1}}


@pytest.mark.parametrize(("status", "period", "shown"), [
    ("dùng", "2024", "dùng"),
    (SourceStatus.OTHER_PERIOD, "2023", "khác kỳ (2023)"),
    (SourceStatus.DUPLICATE, "2024", "trùng báo cáo"),
    ("không dùng: kỳ đã khóa", "2024", "không dùng: kỳ đã khóa"),
], ids=["used", "another period names it", "duplicate", "locked period, from its text"])
def test_source_status_text(status, period, shown):
    source = Source("returns/a.xlsx", "abc", period=period, status=status)
    assert source.status_text == shown
    assert isinstance(source.status, SourceStatus)
