"""Each figure against what is expected of that unit (its own history, else
its peers scaled to its size), with a tolerance that respects small counts,
an impact on the published total, and the severity that follows from it.

Measured on the realistic province (tests/realistic.py, seeds 0-19, both
years, 40 runs through the whole pipeline): the former peer check raised 675
outlier warnings for the small town (19 and 21 for the default seed) and 206
for the other units; this one raises none for the town and 11 for the others
(statistical extremes of the generated figures), none for the default seed.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from realistic import (
    FRONT,
    LOCAL,
    PROVINCE,
    SMALL_TOWN,
    UNIT_SIZE,
    Fault,
    consolidation,
    province_figures,
    write_province,
)

from dvk_cli import api
from dvk_cli.checks.expected import (
    Expected,
    from_history,
    from_peers,
    history_table,
    impact,
    item_value,
    province_changes,
    size_factors,
    slip,
    suspect,
)
from dvk_cli.checks.peers import (
    OutlierSettings,
    find_outliers,
    flag_values,
    item_counts,
    settings_from,
)
from dvk_cli.checks.rules import Checking, prepare
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.config import ConfigError
from dvk_cli.core.numbers import fmt_number

CAT = default_catalog()
NAN = math.nan
SIZE = UNIT_SIZE  # each unit of size 1 (tests/realistic.py)


def sized(tt_buoi: dict[str, float], scale: dict[str, float] | None = None) -> pd.DataFrame:
    """TT_BUOI of each unit, and three indicators that make its size `scale` (1)."""
    scale = scale or {}
    rows = {u: {"TT_BUOI": float(v), **{c: x * scale.get(u, 1.0) for c, x in SIZE.items()}}
            for u, v in tt_buoi.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def realistic(year: int = 2026, faults=()) -> dict:
    return province_figures(year, faults=faults)


def summary(findings):
    return sorted((f.severity, f.rule, f.unit, f.indicator) for f in findings)


# ------------------------------------------------------------------ the small town

def test_a_small_town_small_in_every_indicator_raises_nothing():
    figures = {2025: realistic(2025), 2026: realistic(2026)}
    town = figures[2026][SMALL_TOWN]
    median = pd.DataFrame(figures[2026]).T.loc[["HONQUAN", "BUGIAMAP", "DONGPHU"]].median()
    assert 1 / 12 < town["TT_LUOT"] / median["TT_LUOT"] < 1 / 5  # about 1/8 of a district
    assert find_outliers(consolidation(figures[2025], 2025)) == []
    assert find_outliers(consolidation(figures[2026], 2026)) == []
    assert find_outliers(consolidation(figures[2026], 2026), history=figures[2025]) == []


@pytest.mark.parametrize("seed", range(10))
def test_the_small_town_never_raises_a_warning(seed):
    before, now = province_figures(2025, seed), province_figures(2026, seed)
    for c, history in ((consolidation(before, 2025), None), (consolidation(now, 2026), None),
                       (consolidation(now, 2026), before)):
        assert [f for f in find_outliers(c, history=history) if f.unit == SMALL_TOWN] == []


def test_an_eighth_of_a_district_everywhere_is_expected_at_an_eighth():
    districts = {f"H{i}": 100.0 + 5 * i for i in range(8)}
    t = sized({**districts, "TOWN": 12.0}, scale={"TOWN": 1 / 8})
    assert flag_values(t, CAT) == []
    t.loc["TOWN", "TT_BUOI"] = 120.0  # a district's figure in a town: ten times its size
    (f,) = flag_values(t, CAT)
    assert (f.unit, f.rule, f.expected.scale) == ("TOWN", "outlier_peer", 0.125)
    assert f.expected.value == pytest.approx(117.5 / 8)


# ------------------------------------------------------------------ small counts

@pytest.mark.parametrize("value,expected,noise,flagged", [
    (3, 1, 1.0, False), (5, 2, 1.0, False), (0.5, 3, 1.0, False), (9, 1, 1.0, True),
    (360, 40, 1.0, True), (120, 40, 1.0, True), (110, 40, 1.0, False), (4, 40, 1.0, True),
    (16, 2.3, 1.0, True), (16, 2.3, 2.1, False), (12, 1, 1.0, True), (12, 1, 4.0, False),
], ids=[
    "1 expected, 3: 2 more, never suspect", "2 expected, 5: chance",
    "3 expected, half: fewer than 2 apart", "1 expected, 9: beyond chance",
    "40 expected, 360", "40 expected, 120: exactly 3 times, far beyond chance",
    "40 expected, 110: less than 3 times", "40 expected, 4: a tenth",
    "2,3 expected, 16 against peers", "same against history: the earlier figure varied too",
    "1 expected, 12", "1 expected, 12 with four times the variance",
])
def test_chance_variation_of_counts(value, expected, noise, flagged):
    assert suspect(value, expected, factor=3.0, spread=3.5, noise=noise) is flagged


def test_money_is_counted_in_items():
    # 1 house of 60 triệu expected, 4 received (240): 3 houses more — chance
    assert suspect(240, 60, factor=3, spread=3.5, item=60) is False
    assert suspect(240, 60, factor=3, spread=3.5) is True  # in triệu đồng: far
    # 4 houses expected, 36 received: not chance
    assert suspect(36 * 60, 4 * 60, factor=3, spread=3.5, item=60) is True


def test_items_of_money_from_the_catalog_checks():
    counts = item_counts(CAT)
    assert counts["QUA_TIEN"] == "QUA_SO" and counts["CAU_TIEN"] == "CAU_SO"
    assert {counts[f"NHA_{k}_TIEN"] for k in ("DDK", "TN", "DD", "CTD", "KHAC")} == {
        f"NHA_{k}_SO" for k in ("DDK", "TN", "DD", "CTD", "KHAC")}
    assert "VANDONG_TIEN" not in counts and "TT_BUOI" not in counts
    money = pd.Series({"A": 120.0, "B": 300.0, "C": 0.0, "D": 50.0})
    houses = pd.Series({"A": 2.0, "B": 4.0, "C": 1.0, "D": NAN})
    assert item_value(money, houses) == 67.5  # median of 60 and 75; C and D have no pair
    assert item_value(money, houses * 0) == 1.0


def test_a_small_count_in_the_small_town_against_its_history_raises_nothing():
    before, now = realistic(2025), realistic(2026)
    before[SMALL_TOWN]["TCD_DOAN"], now[SMALL_TOWN]["TCD_DOAN"] = 1, 3
    assert find_outliers(consolidation(now), history=before) == []


# ------------------------------------------------------------------ real faults, impact

def test_a_ninefold_figure_of_a_district_is_a_warning():
    now = realistic(faults=[Fault.off_by("HONQUAN", "TT_BUOI", 9)])
    (f,) = find_outliers(consolidation(now))
    assert (f.severity, f.rule, f.unit, f.indicator) == ("warning", "outlier_peer", "HONQUAN",
                                                         "TT_BUOI")
    assert f.impact is not None and f.impact >= 0.01
    assert (f.file, f.sheet, f.cell) == ("honquan.xlsx", "Biểu số liệu", "E8")
    assert f.brief.startswith("gấp khoảng ") and " lần mức dự kiến (khoảng " in f.brief
    assert "theo quy mô của đơn vị" in f.message and "cùng nhóm “Địa phương”" in f.message
    # against its own history it is a history outlier
    (h,) = find_outliers(consolidation(now), history=realistic(2025))
    assert (h.severity, h.rule, h.unit) == ("warning", "outlier_history", "HONQUAN")
    assert "số liệu kỳ so sánh của chính đơn vị" in h.message


def test_a_fault_too_small_to_move_the_total_is_an_info():
    now = realistic()
    now[SMALL_TOWN]["TT_BUOI"] = 3  # about 31 expected: a tenth, but 28 of 2.830 sessions
    (f,) = find_outliers(consolidation(now))
    assert (f.severity, f.rule, f.unit) == ("info", "outlier_peer", SMALL_TOWN)
    assert f.impact is not None and 0 < f.impact < 0.01
    # the threshold is a setting: at 0 every outlier is a warning
    (g,) = find_outliers(consolidation(now), OutlierSettings(impact_threshold=0.0))
    assert g.severity == "warning"


def test_impact_is_a_share_of_the_total_clipped_and_rounded():
    assert impact(360, 40, 1000) == 0.32
    assert impact(1_000_000, 40, 1000) == 1.0
    assert impact(1, 4, 9) == 0.3333
    assert impact(5, 5, 0) == 1.0  # no total to share: the whole of it


# ------------------------------------------------------------------ unit slips

def test_slips_in_dong_and_nghin_dong_are_warnings_with_the_figure_meant():
    true = realistic()
    now = realistic(faults=[Fault.in_dong("BUDANG", "VANDONG_TIEN"),
                            Fault.in_nghin_dong("LOCNINH", "CAU_TIEN")])
    found = {(f.unit, f.indicator): f for f in find_outliers(consolidation(now))}
    assert set(found) == {("BUDANG", "VANDONG_TIEN"), ("LOCNINH", "CAU_TIEN")}
    for (unit, code), typed in ((("BUDANG", "VANDONG_TIEN"), "đồng"),
                                (("LOCNINH", "CAU_TIEN"), "nghìn đồng")):
        f = found[(unit, code)]
        meant = fmt_number(true[unit][code])
        assert (f.severity, f.rule) == ("warning", "unit_slip")
        assert f.brief == f"có thể ghi theo {typed} thay vì triệu đồng (số đúng có thể là {meant})"
        assert f"có thể đã ghi theo {typed} thay vì triệu đồng" in f.message
        assert f"số đúng là {meant} triệu đồng" in f.message and "không tự sửa" in f.message


def test_a_slip_stays_a_warning_whatever_its_impact():
    now = realistic()
    now[SMALL_TOWN]["QUA_TIEN"] = now[SMALL_TOWN]["QUA_TIEN"] / 1000  # typed in tỷ đồng
    (f,) = find_outliers(consolidation(now), OutlierSettings(impact_threshold=1.0))
    assert (f.severity, f.rule, f.unit) == ("warning", "unit_slip", SMALL_TOWN)
    assert "theo tỷ đồng" in f.brief


@pytest.mark.parametrize("value,expected,found", [
    (150_000_000, 140, (1_000_000, "đồng")), (150_000, 140, (1000, "nghìn đồng")),
    (0.15, 140, (0.001, "tỷ đồng")), (14_000, 140, None), (0, 140, None), (150, 0, None),
], ids=["đồng", "nghìn đồng", "tỷ đồng", "100 times: no slip", "zero", "nothing expected"])
def test_slip(value, expected, found):
    assert slip(value, expected) == found


# ------------------------------------------------------------------ peers of the group

def two_groups() -> tuple[pd.DataFrame, dict[str, str]]:
    """Eight districts holding ~100 sessions; five front units of the same size
    holding ~1.000 (their work is propaganda): ordinary within each group."""
    local = {f"H{i}": 95.0 + 3 * i for i in range(8)}
    front = {f"M{i}": 950.0 + 30 * i for i in range(5)}
    groups = {**dict.fromkeys(local, LOCAL), **dict.fromkeys(front, FRONT)}
    return sized({**local, **front}), groups


def test_peers_are_the_units_of_the_same_group():
    t, groups = two_groups()
    assert flag_values(t, CAT, groups=groups) == []
    # all in one group, the front units would all look ten times too high
    assert sorted(f.unit for f in flag_values(t, CAT)) == [f"M{i}" for i in range(5)]
    expected = from_peers(t.loc[[u for u in t.index if groups[u] == FRONT]], 5)
    assert expected[("M0", "TT_BUOI")] == Expected(1025.0, "peers", 1025.0, 1.0, 4)


def test_a_group_too_small_is_not_compared():
    t, groups = two_groups()
    t.loc["M4", "TT_BUOI"] = 9000.0  # nine times: but only five front units report
    (f,) = flag_values(t, CAT, groups=groups)
    assert (f.unit, f.expected.peers) == ("M4", 4)
    assert flag_values(t.drop(index="M0"), CAT, groups=groups) == []  # four: too few


def test_units_without_a_group_are_one_group():
    t, groups = two_groups()
    no_group = {u: "" for u in t.index}
    assert flag_values(t, CAT, groups=no_group) == flag_values(t, CAT, groups={})


def test_size_factor_needs_three_other_indicators():
    ratios = pd.DataFrame({"A": [1.0, 0.5], "B": [1.2, 0.5], "C": [0.8, NAN], "D": [1.1, 0.4]},
                          index=["X", "Y"])
    sizes = size_factors(ratios)
    assert sizes.loc["X"].tolist() == [1.1, 1.0, 1.1, 1.0]  # medians of the three others
    assert sizes.loc["Y"].isna().all()  # two others only


# ------------------------------------------------------------------ history first

def doubled() -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Every unit did twice last year's sessions, except E (18 times: 9 times too many);
    D always holds five times what its size makes of it."""
    then = {"A": 100.0, "B": 120.0, "C": 90.0, "D": 500.0, "E": 80.0, "F": 110.0}
    now = {u: 2 * v for u, v in then.items()} | {"E": 1440.0}
    history = {u: {"TT_BUOI": v, **SIZE} for u, v in then.items()}
    return sized(now), history


def test_history_comes_first_and_follows_the_units_change():
    t, history = doubled()
    by_peers = flag_values(t, CAT)
    assert sorted(f.unit for f in by_peers) == ["D", "E"]  # D is always five times its peers
    (f,) = flag_values(t, CAT, history=history)
    assert (f.unit, f.rule) == ("E", "outlier_history")
    assert f.expected == Expected(160.0, "history", 80.0, 2.0)  # 80 x the others' change
    c = consolidation({u: row.dropna().to_dict() for u, row in t.iterrows()})
    (g,) = find_outliers(c, history=history)
    assert "(80 buổi), điều chỉnh theo mức thay đổi chung của các đơn vị (tăng khoảng 100%)" in (
        g.message)


def test_the_units_change_leaves_out_the_unit_and_the_implausible():
    now = pd.Series({"A": 200.0, "B": 240.0, "C": 90.0, "E": 80_000.0, "G": 5.0})
    then = pd.Series({"A": 100.0, "B": 120.0, "C": 90.0, "E": 80.0, "G": 0.0, "H": 50.0})
    changes = province_changes(now, then, 3.0)
    # own changes 2, 2, 1, 1000: E is left out of every sum; G and H are not in both
    assert changes.to_dict() == {"A": 330 / 210, "B": 290 / 190, "C": 2.0, "E": 530 / 310}
    assert province_changes(pd.Series({"A": 5.0}), pd.Series({"A": 4.0}), 3.0)["A"] == 1.0
    assert from_history(now, then, 3.0)["C"] == Expected(180.0, "history", 90.0, 2.0)


def test_history_of_unknown_units_and_codes_is_ignored():
    like = pd.DataFrame({"TT_BUOI": [1.0, 2.0]}, index=["A", "B"])
    table = history_table({"A": {"TT_BUOI": 5, "KHONG_CO": 1}, "Z": {"TT_BUOI": 9}}, like)
    assert table["TT_BUOI"].tolist()[0] == 5.0 and math.isnan(table.at["B", "TT_BUOI"])
    assert list(table.columns) == ["TT_BUOI"]


def test_checking_review_passes_history_on():
    t, history = doubled()
    c = consolidation({u: row.dropna().to_dict() for u, row in t.iterrows()})
    Checking(catalog=CAT).review(c, history=history)
    assert summary(c.findings) == [("warning", "outlier_history", "E", "TT_BUOI")]


# ------------------------------------------------------------------ [checks]

@pytest.mark.parametrize("raw,expected", [
    ({}, 0.01), ({"checks": {}}, 0.01), ({"checks": {"impact_threshold": 0}}, 0.0),
    ({"checks": {"impact_threshold": 0.05}}, 0.05), ({"checks": {"impact_threshold": 1}}, 1.0),
], ids=["default", "empty [checks]", "0: every outlier a warning", "5 %", "1"])
def test_impact_threshold(raw, expected):
    got = settings_from(raw)
    assert got.impact_threshold == expected and type(got.impact_threshold) is float


@pytest.mark.parametrize("section,needle", [
    ({"impact_threshold": -0.01}, "[checks] impact_threshold phải là số từ 0 đến 1"),
    ({"impact_threshold": 1.5}, "[checks] impact_threshold phải là số từ 0 đến 1"),
    ({"impact_threshold": "0,01"}, "impact_threshold phải là số"),
    ({"impact_threshold": True}, "impact_threshold phải là số"),
    ({"impact_threshold": math.nan}, "impact_threshold phải là số"),
    ({"impact": 0.1}, "[checks] có khóa lạ impact; chỉ dùng impact_threshold"),
], ids=["negative", "above 1", "text", "true", "nan", "unknown key"])
def test_impact_threshold_rejected(section, needle):
    with pytest.raises(ConfigError) as exc:
        settings_from({"checks": section}, where="cau-hinh/dvk.toml")
    assert str(exc.value).startswith("cau-hinh/dvk.toml: ") and needle in str(exc.value)


def test_checks_section_must_be_a_table():
    with pytest.raises(ConfigError, match=r"dvk.toml: mục \[checks\] không hợp lệ"):
        settings_from({"checks": 0.01})


def test_prepare_reads_the_threshold():
    class Config:
        raw = {"checks": {"impact_threshold": 0.2}}
        path = None

    checking = prepare(Config(), CAT)
    assert checking.outliers is not None and checking.outliers.impact_threshold == 0.2


# ------------------------------------------------------------------ the whole run

def test_realistic_returns_raise_nothing(tmp_path):
    p = write_province(tmp_path)
    for year in p.returns:
        assert api.run(p.returns[year], period=str(year), config=p.config).findings == ()


def test_a_run_finds_the_two_slips_and_hardly_anything_else(tmp_path):
    faults = [Fault.in_dong("BUDANG", "VANDONG_TIEN"), Fault.in_nghin_dong("LOCNINH", "QUA_TIEN")]
    p = write_province(tmp_path, faults=faults)
    result = api.run(p.returns[2026], period="2026", config=p.config)
    slips = [f for f in result.warnings if f.rule == "unit_slip"]
    assert sorted((f.unit, f.indicator) for f in slips) == [("BUDANG", "VANDONG_TIEN"),
                                                            ("LOCNINH", "QUA_TIEN")]
    for f in slips:
        meant = fmt_number(p.true_figures[2026][f.unit][f.indicator])
        assert f"số đúng là {meant} triệu đồng" in f.message
        assert f.file.endswith(f"{f.unit.lower()}.xlsx") and f.cell.startswith("E")
    others = [f for f in result.warnings if f.rule != "unit_slip"]
    assert len(others) <= 1  # the value-per-gift rule sees the nghìn đồng slip too
    # suggested, never applied
    assert result.totals["VANDONG_TIEN"] == sum(u["VANDONG_TIEN"] for u in p.figures[2026].values())


def test_the_generator_is_deterministic_and_faults_change_only_their_figure():
    assert province_figures(2026) == province_figures(2026)
    assert province_figures(2026, seed=1) != province_figures(2026)
    faulty = province_figures(2026, faults=[Fault.kinds_off("BUDOP"),
                                            Fault.in_dong("MTTQ", "VANDONG_TIEN")])
    true = province_figures(2026)
    assert faulty["BUDOP"]["MH_TAPTHE"] == true["BUDOP"]["MH_TAPTHE"] + 2
    assert faulty["MTTQ"]["VANDONG_TIEN"] == true["MTTQ"]["VANDONG_TIEN"] * 1_000_000
    changed = {(u, c) for u in true for c in true[u] if true[u][c] != faulty[u][c]}
    assert changed == {("BUDOP", "MH_TAPTHE"), ("MTTQ", "VANDONG_TIEN")}
    assert {u.group for u in PROVINCE} == {LOCAL, FRONT}


def test_models_by_kind_off_is_caught_by_the_catalog(tmp_path):
    p = write_province(tmp_path, years=[2026], faults=[Fault.kinds_off("BUDOP")])
    result = api.run(p.returns[2026], period="2026", config=p.config)
    assert summary(result.findings) == [("warning", "MH_LOAI", "BUDOP", "MH_TONG")]


def _size_factors_row_by_row(ratios: pd.DataFrame) -> pd.DataFrame:
    """size_factors the straightforward way: medians_of_others row by row."""
    import numpy as np

    from dvk_cli.checks.expected import MIN_SIZE_BASIS, medians_of_others

    values = ratios.to_numpy(dtype="float64")
    sizes = np.full(values.shape, np.nan)
    for i, row in enumerate(values):
        present = ~np.isnan(row)
        if present.sum() - 1 >= MIN_SIZE_BASIS:
            sizes[i, present] = medians_of_others(row[present])
    return pd.DataFrame(sizes, index=ratios.index, columns=ratios.columns)


@pytest.mark.parametrize("seed", range(30))
def test_size_factors_of_all_rows_at_once_are_those_row_by_row(seed):
    """Exactly the same floats: ratios that are not whole, ties, rows with
    1 to all of their indicators, rows too short to be sized."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_units, n_codes = int(rng.integers(1, 60)), int(rng.integers(1, 12))
    ratios = rng.lognormal(0, 1.5, (n_units, n_codes))
    ratios[rng.random(ratios.shape) < 0.3] = 1.0 / 3  # ties
    ratios[rng.random(ratios.shape) < rng.random()] = np.nan
    ratios[: n_units // 4] = np.where(rng.random((n_units // 4, n_codes)) < 0.8, np.nan, 7.1)
    frame = pd.DataFrame(ratios, index=[f"U{i}" for i in range(n_units)],
                         columns=[f"C{j}" for j in range(n_codes)])
    got, expected = size_factors(frame), _size_factors_row_by_row(frame)
    assert np.array_equal(got.to_numpy(), expected.to_numpy(), equal_nan=True)
    assert got.index.equals(expected.index) and got.columns.equals(expected.columns)
