"""Comparisons on a matched basis: which units the two periods compared have
in common (add_basis), the like-for-like totals over them, and the clause
that says so when a unit reported in one period only."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from helpers import consistent_values, return_grid, write_config, write_xlsx

import dvk_cli.api
from dvk_cli.aggregation import to_json
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.comparisons import comparison_clause
from dvk_cli.core.periods import Period
from dvk_cli.history.compare import add_basis, add_run_basis

CATALOG = default_catalog()
MH = CATALOG.indicators["MH_TONG"]
DON_TYLE = CATALOG.indicators["DON_TYLE"]
Y2024 = Period(2024, "Y")
Q3 = Period(2024, "Q", 3)

NAMES = {"BUDANG": "Huyện Bù Đăng", "BUDOP": "Huyện Bù Đốp", "DONGXOAI": "Thành phố Đồng Xoài",
         "LOCNINH": "Huyện Lộc Ninh", "PHURIENG": "Huyện Phú Riềng"}


def entry(period: str, label: str, per_unit: dict, totals: dict | None = None,
          source: str = "returns") -> dict:
    """A compare entry as period_figures gives it (totals given by hand)."""
    return {"period": period, "label": label, "totals": totals or {}, "per_unit": per_unit,
            "units": len(per_unit), "source": source}


def year_compare(data: dict) -> dict:
    """A year's comparison: the previous period is the same period last year."""
    return {"previous": data, "same_period_last_year": data}


# ------------------------------------------------------------------ add_basis

def test_basis_names_the_units_of_each_side_and_totals_the_common_ones():
    before = {
        "BUDANG": {"MH_TONG": 10, "DON_NHAN": 20, "DON_GQ": 18, "DON_TYLE": 90,
                   "NHA_DDK_SO": 2, "NHA_SO": 2},
        "BUDOP": {"MH_TONG": 6, "DON_NHAN": 10, "DON_GQ": 5, "DON_TYLE": 50},
        "LOCNINH": {"MH_TONG": 40, "DON_NHAN": 100, "DON_GQ": 100, "DON_TYLE": 100},
    }
    now = {
        "PHURIENG": {"MH_TONG": 30},
        "BUDOP": {"MH_TONG": 8, "DON_NHAN": 10, "DON_GQ": 9, "DON_TYLE": 90},
        "BUDANG": {"MH_TONG": 11, "DON_NHAN": 20, "DON_GQ": 20, "DON_TYLE": 100,
                   "NHA_DDK_SO": 3, "NHA_TN_SO": 1, "NHA_SO": 4},
    }
    compare = {"previous": entry("2023", "năm 2023", before)}
    kept = copy.deepcopy(compare)
    out = add_basis(compare, now=now, names=NAMES, catalog=CATALOG, missing_now=["LOCNINH"])
    assert compare == kept  # pure
    basis = out["previous"]["basis"]
    assert basis["units"] == ["BUDANG", "BUDOP"]  # registry order
    assert basis["only_now"] == ["PHURIENG"]
    assert basis["only_before"] == ["LOCNINH"]
    assert basis["missing"] == ["LOCNINH", "PHURIENG"]
    assert basis["names"] == {"LOCNINH": "Huyện Lộc Ninh", "PHURIENG": "Huyện Phú Riềng"}
    same = basis["like_for_like"]
    assert same["MH_TONG"] == {"now": 19, "before": 16}
    assert same["DON_NHAN"] == {"now": 30, "before": 30}
    assert same["DON_GQ"] == {"now": 29, "before": 23}
    # the ratio from the summed parts: 29/30 and 23/30, not the mean of the units' ratios
    assert same["DON_TYLE"]["now"] == pytest.approx(96.6667, abs=1e-4)
    assert same["DON_TYLE"]["before"] == pytest.approx(76.6667, abs=1e-4)
    # a sum recomputed from its parts (the stored NHA_SO is not read)
    assert same["NHA_SO"] == {"now": 4, "before": 2}
    assert list(same) == [c for c in CATALOG.codes if c in same]  # catalog order
    assert "VB_SO" not in same  # nobody reported it
    # the rest of the entry is as it was
    assert {k: v for k, v in out["previous"].items() if k != "basis"} == kept["previous"]
    assert json.loads(json.dumps(out)) == out


def test_complete_basis_has_no_like_for_like():
    per_unit = {"BUDANG": {"MH_TONG": 10}, "BUDOP": {"MH_TONG": 6}}
    out = add_basis(year_compare(entry("2023", "năm 2023", per_unit)),
                    now={"BUDOP": {"MH_TONG": 7}, "BUDANG": {"MH_TONG": 9}},
                    names=NAMES, catalog=CATALOG)
    for key in ("previous", "same_period_last_year"):
        assert out[key]["basis"] == {"units": ["BUDANG", "BUDOP"], "missing": [], "only_now": [],
                                     "only_before": [], "names": {}}


def test_a_baseline_is_complete_so_only_the_units_missing_now_are_lacking():
    base = entry("2023", "năm 2023", {}, totals={"MH_TONG": 50}, source="baseline")
    out = add_basis({"previous": base}, now={"BUDANG": {"MH_TONG": 11}, "BUDOP": {"MH_TONG": 8}},
                    names=NAMES, catalog=CATALOG, missing_now=["LOCNINH", "CU", "BUDOP"])
    assert out["previous"]["basis"] == {
        "units": ["BUDANG", "BUDOP"], "missing": ["LOCNINH", "CU"], "only_now": [],
        "only_before": ["LOCNINH", "CU"],
        "names": {"LOCNINH": "Huyện Lộc Ninh", "CU": "CU"},  # no name known: the code
    }
    # a baseline has no per-unit figures: nothing like for like
    assert "like_for_like" not in out["previous"]["basis"]


def test_no_common_unit_gives_no_like_for_like():
    out = add_basis({"previous": entry("2023", "năm 2023", {"LOCNINH": {"MH_TONG": 4}})},
                    now={"BUDANG": {"MH_TONG": 5}}, names=NAMES, catalog=CATALOG)
    basis = out["previous"]["basis"]
    assert basis["units"] == [] and basis["missing"] == ["BUDANG", "LOCNINH"]
    assert "like_for_like" not in basis


def test_no_comparison_no_basis():
    assert add_basis({}, now={"BUDANG": {"MH_TONG": 5}}, names=NAMES, catalog=CATALOG) == {}


# ------------------------------------------------------------------ the clause

def basis(units: list[str], only_before=(), only_now=(), like_for_like=None) -> dict:
    missing = [*only_before, *only_now]
    out = {"units": units, "missing": missing, "only_now": list(only_now),
           "only_before": list(only_before), "names": {u: NAMES.get(u, u) for u in missing}}
    if like_for_like is not None:
        out["like_for_like"] = like_for_like
    return out


TEN = [f"U{i}" for i in range(10)]


def test_clause_unchanged_when_the_basis_is_complete():
    data = entry("2023", "năm 2023", {}, totals={"MH_TONG": 1087})
    plain = comparison_clause(MH, 1215, year_compare(data), Y2024)
    assert plain == "tăng 128 mô hình, 11,8% so với năm 2023"
    with_basis = {**data, "basis": basis(TEN)}
    assert comparison_clause(MH, 1215, year_compare(with_basis), Y2024) == plain


def test_clause_says_who_is_missing_now_and_the_like_for_like_change():
    data = entry("2023", "năm 2023", {}, totals={"MH_TONG": 855})
    data["basis"] = basis(TEN, only_before=["LOCNINH"],
                          like_for_like={"MH_TONG": {"now": 800, "before": 788}})
    assert comparison_clause(MH, 800, year_compare(data), Y2024) == (
        "giảm 55 mô hình, 6,4% so với năm 2023 (năm nay chưa có báo cáo của Huyện Lộc Ninh; "
        "so sánh trên cùng 10 đơn vị: tăng 12 mô hình, 1,5%)")


def test_clause_for_a_unit_new_this_period_and_for_both_directions():
    prev = entry("2024-Q2", "quý II năm 2024", {}, totals={"MH_TONG": 20})
    prev["basis"] = basis(["BUDANG", "BUDOP"], only_now=["PHURIENG"],
                          like_for_like={"MH_TONG": {"now": 19, "before": 20}})
    same = entry("2023-Q3", "quý III năm 2023", {}, totals={"MH_TONG": 18})
    same["basis"] = basis(["BUDANG"], only_before=["LOCNINH"], only_now=["BUDOP", "PHURIENG"],
                          like_for_like={"MH_TONG": {"now": 11, "before": 11}})
    compare = {"previous": prev, "same_period_last_year": same}
    assert comparison_clause(MH, 25, compare, Q3) == (
        "tăng 5 mô hình, 25,0% so với quý II năm 2024 (quý II năm 2024 chưa có báo cáo của "
        "Huyện Phú Riềng; so sánh trên cùng 2 đơn vị: giảm 1 mô hình, 5,0%); "
        "tăng 7 mô hình, 38,9% so với cùng kỳ năm 2023 (quý này chưa có báo cáo của "
        "Huyện Lộc Ninh; cùng kỳ năm 2023 chưa có báo cáo của Huyện Bù Đốp và Huyện Phú Riềng; "
        "so sánh trên cùng 1 đơn vị: bằng cùng kỳ năm 2023)")


def test_clause_names_at_most_three_units_then_counts_the_rest():
    data = entry("2023", "năm 2023", {}, totals={"MH_TONG": 50})
    data["basis"] = basis(["BUDANG"], only_before=["BUDOP", "DONGXOAI", "LOCNINH", "PHURIENG",
                                                    "X1"])
    assert comparison_clause(MH, 40, year_compare(data), Y2024) == (
        "giảm 10 mô hình, 20,0% so với năm 2023 (năm nay chưa có báo cáo của Huyện Bù Đốp, "
        "Thành phố Đồng Xoài, Huyện Lộc Ninh và 2 đơn vị khác)")
    # one more than three is named, not counted
    data["basis"] = basis(["BUDANG"], only_before=["BUDOP", "DONGXOAI", "LOCNINH", "PHURIENG"])
    assert comparison_clause(MH, 40, year_compare(data), Y2024) == (
        "giảm 10 mô hình, 20,0% so với năm 2023 (năm nay chưa có báo cáo của Huyện Bù Đốp, "
        "Thành phố Đồng Xoài, Huyện Lộc Ninh và Huyện Phú Riềng)")


def test_clause_for_a_percentage_in_points_and_without_like_for_like_for_the_code():
    data = entry("2023", "năm 2023", {}, totals={"DON_TYLE": 85, "MH_TONG": 10})
    data["basis"] = basis(["BUDANG", "BUDOP", "DONGXOAI"], only_before=["LOCNINH"],
                          like_for_like={"DON_TYLE": {"now": 90, "before": 88.5}})
    assert comparison_clause(DON_TYLE, 90, year_compare(data), Y2024) == (
        "tăng 5 điểm phần trăm so với năm 2023 (năm nay chưa có báo cáo của Huyện Lộc Ninh; "
        "so sánh trên cùng 3 đơn vị: tăng 1,5 điểm phần trăm)")
    # MH_TONG has no like-for-like figures: the missing units are still said
    assert comparison_clause(MH, 12, year_compare(data), Y2024) == (
        "tăng 2 mô hình, 20,0% so với năm 2023 (năm nay chưa có báo cáo của Huyện Lộc Ninh)")


def test_a_units_own_clause_ignores_the_basis():
    data = entry("2023", "năm 2023", {"BUDANG": {"MH_TONG": 10}}, totals={"MH_TONG": 50})
    data["basis"] = basis(["BUDANG"], only_before=["LOCNINH"],
                          like_for_like={"MH_TONG": {"now": 12, "before": 10}})
    assert comparison_clause(MH, 12, year_compare(data), Y2024, unit="BUDANG") == (
        "tăng 2 mô hình, 20,0% so với năm 2023")


# ------------------------------------------------------------------ end to end

FOUR_UNITS = [
    ("BUDANG", "Huyện Bù Đăng", ["H. Bù Đăng"]),
    ("BUDOP", "Huyện Bù Đốp", ["H. Bù Đốp"]),
    ("DONGXOAI", "Thành phố Đồng Xoài", ["TP. Đồng Xoài"]),
    ("LOCNINH", "Huyện Lộc Ninh", ["H. Lộc Ninh"]),
]


def test_a_district_missing_this_year_is_said_and_compared_like_for_like(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, FOUR_UNITS)
    returns = {
        # 2023: MH_TONG 10 + 6 + 8 + 12 = 36; DON_GQ/DON_NHAN (18+18+18+40)/(20+20+20+40) = 94%
        "2023": {"H. Bù Đăng": consistent_values(10), "H. Bù Đốp": consistent_values(6),
                 "TP. Đồng Xoài": consistent_values(8),
                 "H. Lộc Ninh": consistent_values(12, DON_NHAN=40, DON_GQ=40)},
        # 2024, Lộc Ninh absent: MH_TONG 11 + 7 + 9 = 27; (20+10+18)/(20+20+20) = 80%
        "2024": {"H. Bù Đăng": consistent_values(11, DON_GQ=20),
                 "H. Bù Đốp": consistent_values(7, DON_GQ=10),
                 "TP. Đồng Xoài": consistent_values(9)},
    }
    results = {}
    for year, units in returns.items():
        folder = tmp_path / "returns" / year
        folder.mkdir(parents=True)
        for i, (name, values) in enumerate(units.items()):
            write_xlsx(return_grid(values, unit=name, period=year), folder / f"{i}.xlsx")
        results[year] = dvk_cli.api.aggregate(folder, period=year, config=config,
                                              out=tmp_path / "out")
        assert not results[year].errors, results[year].errors
    c = results["2024"].consolidation
    assert [u.code for u in c.missing] == ["LOCNINH"]
    assert c.totals["MH_TONG"] == 27 and c.compare["previous"]["totals"]["MH_TONG"] == 36

    compare = add_run_basis(c.compare, c)  # the lead wires this into Ledger.finish
    for key in ("previous", "same_period_last_year"):
        b = compare[key]["basis"]
        assert b["units"] == ["BUDANG", "BUDOP", "DONGXOAI"]
        assert b["only_before"] == b["missing"] == ["LOCNINH"] and b["only_now"] == []
        assert b["names"] == {"LOCNINH": "Huyện Lộc Ninh"}
        assert b["like_for_like"]["MH_TONG"] == {"now": 27, "before": 24}
        assert b["like_for_like"]["DON_TYLE"]["now"] == pytest.approx(80)
        assert b["like_for_like"]["DON_TYLE"]["before"] == pytest.approx(90)
    assert compare["previous"]["totals"]["DON_TYLE"] == pytest.approx(94)

    assert comparison_clause(MH, c.totals["MH_TONG"], compare, c.period) == (
        "giảm 9 mô hình, 25,0% so với năm 2023 (năm nay chưa có báo cáo của Huyện Lộc Ninh; "
        "so sánh trên cùng 3 đơn vị: tăng 3 mô hình, 12,5%)")
    assert comparison_clause(DON_TYLE, c.totals["DON_TYLE"], compare, c.period) == (
        "giảm 14 điểm phần trăm so với năm 2023 (năm nay chưa có báo cáo của Huyện Lộc Ninh; "
        "so sánh trên cùng 3 đơn vị: giảm 10 điểm phần trăm)")

    # the report and the JSON of a run with the basis
    wired = dataclasses.replace(c, compare=compare)
    paths = dvk_cli.api.write_outputs(wired, tmp_path / "wired")
    report = paths["report"].read_text(encoding="utf-8")
    assert ("27 mô hình “Dân vận khéo” (giảm 9 mô hình, 25,0% so với năm 2023 (năm nay chưa có "
            "báo cáo của Huyện Lộc Ninh; so sánh trên cùng 3 đơn vị: tăng 3 mô hình, 12,5%))"
            ) in report
    data = json.loads(json.dumps(to_json(wired)))
    assert data["compare"]["previous"]["basis"]["like_for_like"]["MH_TONG"] == {
        "now": 27, "before": 24}

    # the earlier run: no comparison, nothing to add
    assert add_run_basis(results["2023"].consolidation.compare,
                         results["2023"].consolidation) == {}
