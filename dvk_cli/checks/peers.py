"""Each figure against what is expected of that unit, scored by its impact on
the published total (selective editing, as Statistics Netherlands and
Statistics Canada do it). The arithmetic is in dvk_cli/checks/expected.py.

- outlier_history: a figure far from the unit's own figure of an earlier
  comparable period (`history`, chosen by the caller), adjusted for the
  change of the units' total between the two periods.
- outlier_peer: without history, a figure far from the median of the other
  units of its group (UnitInfo.group) scaled to the unit's size — the median,
  over its other indicators, of its figure / the peers' median. A small town
  that is small in every indicator is not an outlier. At least `min_units`
  units of the group must report the indicator above 0.
  Far (both kinds): at least `min_factor` times the expected (or a
  `min_factor`-th of it), more than 2 items from it, and beyond `threshold`
  times a count's chance variation, about sqrt(expected) (1 delegation
  expected and 3 received is ordinary; expected.suspect has the formula).
  A unit whose size cannot be told (fewer than 3 other indicators) is not
  compared with its peers.
- unit_slip: a money figure (triệu đồng) about 1,000,000 or 1,000 times the
  expected (or, when nothing is expected, the median of the other units of
  its group, at least 3 of them), or about
  1/1,000 of it: đồng, nghìn đồng or tỷ đồng typed where triệu đồng was
  asked. The corrected figure is suggested, never applied. Always a warning.

Impact: |figure - expected| / the published total of the indicator (the sum
over units), in [0, 1]. An outlier whose impact is below `impact_threshold`
(dvk.toml [checks] impact_threshold, 0.01) is an info, not a warning.

Only figures above 0 of typed indicators (counts, money, lengths) are compared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dvk_cli.checks.expected import (
    BASIS_HISTORY,
    BASIS_MEDIAN,
    BASIS_PEERS,
    SLIPS,
    Expected,
    history_arrays,
    history_table,
    impact,
    item_value,
    median_frame,
    medians_of_others,
    peer_frame,
    slips,
    suspects,
    variances,
)
from dvk_cli.checks.outlier_settings import (
    OutlierSettings,
    settings_from,
)
from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import fmt_number

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Catalog

__all__ = [
    "RULE_OUTLIER", "RULE_HISTORY", "RULE_SLIP", "OutlierSettings", "settings_from", "Flag",
    "flag_values", "describe", "brief", "find_outliers", "medians_of_others",
]

RULE_OUTLIER = "outlier_peer"
RULE_HISTORY = "outlier_history"
RULE_SLIP = "unit_slip"
COMPARED_TYPES = ("count", "money", "length")


@dataclass(frozen=True)
class Flag:
    """A figure dvk suspects: an outlier (rule outlier_history or outlier_peer)
    or a unit slip, with what it was compared with and its impact."""

    unit: str
    indicator: str
    rule: str
    value: float
    expected: Expected
    impact: float  # share of the published total the difference amounts to
    group: str = ""  # the unit's group, for the message
    suggested: float | None = None  # corrected figure, for a slip
    typed_unit: str = ""  # the unit of measure presumably typed, for a slip

    @property
    def ratio(self) -> float:
        """The figure / the expected (the expected is always above 0)."""
        return self.value / self.expected.value


def item_counts(catalog: Catalog) -> dict[str, str]:
    """Money indicator -> the count of the items it is the value of: the one
    count a catalog check ties it to (value per house, per gift, a value
    without houses…). Left out when checks tie it to several counts."""
    pairs: dict[str, set[str]] = {}
    for check in catalog.checks:
        codes = [c for c in check.codes if c in catalog and not catalog[c].computed]
        by_type = {catalog[c].type: c for c in codes}
        if len(codes) == 2 and set(by_type) == {"money", "count"}:
            pairs.setdefault(by_type["money"], set()).add(by_type["count"])
    return {money: counts.pop() for money, counts in pairs.items() if len(counts) == 1}


def _item(code: str, per_unit: pd.DataFrame, counts: Mapping[str, str]) -> float:
    """What one item of the indicator is worth, for the chance-variation test:
    money that is the value of counted items, the median value of one item;
    otherwise 1 (a count, a km, a triệu đồng)."""
    count = counts.get(code)
    if count is None or count not in per_unit.columns:
        return 1.0
    return item_value(per_unit[code].to_numpy(dtype="float64", na_value=np.nan),
                      per_unit[count].to_numpy(dtype="float64", na_value=np.nan))


@dataclass(frozen=True)
class _ColumnExpectations:
    """One indicator's expectations for every unit (arrays in the table's
    order, NaN where none): an Expected is made only for a figure flagged."""

    by_history: np.ndarray
    then: np.ndarray
    change: np.ndarray
    expected: np.ndarray  # history, else peers
    baseline: np.ndarray  # expected, else the unscaled median (for slips)
    peer_median: np.ndarray
    peer_size: np.ndarray
    peer_count: np.ndarray
    median_count: np.ndarray

    def at(self, i: int, *, unscaled: bool = False) -> Expected:
        if not np.isnan(self.by_history[i]):
            return Expected(float(self.by_history[i]), BASIS_HISTORY, float(self.then[i]),
                            float(self.change[i]))
        if not unscaled and not np.isnan(self.expected[i]):
            return Expected(float(self.expected[i]), BASIS_PEERS, float(self.peer_median[i]),
                            float(self.peer_size[i]), int(self.peer_count[i]))
        return Expected(float(self.baseline[i]), BASIS_MEDIAN, float(self.baseline[i]),
                        peers=int(self.median_count[i]))


def flag_values(per_unit: pd.DataFrame, catalog: Catalog, settings: OutlierSettings | None = None,
                *, groups: Mapping[str, str] | None = None,
                history: Mapping[str, Mapping[str, float]] | None = None) -> list[Flag]:
    """Outliers and unit slips in a units x indicators table; for each
    indicator (catalog order) its slips, then its outliers, by unit.

    `groups`: unit -> group (units not in it, or with "", form one group);
    `history`: unit -> {code: figure} of an earlier comparable period."""
    settings = settings or OutlierSettings()
    if not settings.enabled or per_unit.empty:
        return []
    codes = [code for code, ind in catalog.indicators.items()
             if not ind.computed and ind.type in COMPARED_TYPES and code in per_unit.columns]
    if not codes:
        return []
    table = per_unit[codes].astype("float64")
    table.index = table.index.map(str)
    group_of = {u: (groups or {}).get(u, "") or "" for u in table.index}
    # every group's expectations as arrays (units x indicators) aligned on
    # `table`: whole columns are tested at once, and an Expected is made only
    # for a figure flagged. Column j of each is indicator codes[j]; pandas is
    # left once the groups' frames are made (a column of a DataFrame costs
    # more than the tests on it, at a province's size).
    shape = table.shape
    peer_value, peer_median, peer_size, median_value = (np.full(shape, np.nan) for _ in range(4))
    peer_count, median_count = (np.zeros(shape, dtype="int64") for _ in range(2))
    for group in dict.fromkeys(group_of.values()):
        rows = np.array([i for i, u in enumerate(table.index) if group_of[u] == group])
        part = table.iloc[rows]
        frame = peer_frame(part, settings.min_units)
        peer_value[rows] = frame.value.to_numpy()
        peer_median[rows] = frame.median.to_numpy()
        peer_size[rows] = frame.size.to_numpy()
        peer_count[rows] = frame.peers.to_numpy()
        medians, others = median_frame(part)
        median_value[rows] = medians.to_numpy()
        median_count[rows] = others.to_numpy()
    earlier = history_table(history, table)
    then_all = earlier.to_numpy(dtype="float64")
    # each indicator's figures as one contiguous array (as a column of `table` is)
    columns = np.ascontiguousarray(table.to_numpy(dtype="float64").T)
    counts = item_counts(catalog)
    units = table.index.to_numpy()
    nothing = np.full(shape[0], np.nan)
    flags: list[Flag] = []
    for j, code in enumerate(codes):
        ind = catalog[code]
        values = columns[j]
        total = float(np.nansum(values))
        if (then_all[:, j] > 0).any():
            by_history, then, change = history_arrays(table[code], earlier[code],
                                                      settings.min_factor)
        else:  # (history_arrays' own answer when no earlier figure is above 0)
            by_history, then, change = nothing, then_all[:, j], nothing
        has_history = ~np.isnan(by_history)
        expected = np.where(has_history, by_history, peer_value[:, j])
        has_expected = ~np.isnan(expected)
        baseline = np.where(has_expected, expected, median_value[:, j])
        positive = values > 0
        if ind.type == "money":
            slipped = slips(values, baseline)
            slipped[~positive | np.isnan(baseline)] = -1
        else:
            slipped = np.full(len(values), -1, dtype=np.int64)
        noise = variances(np.where(has_history, change, np.nan))
        item = _item(code, per_unit, counts)
        outlying = positive & has_expected & (slipped < 0) & suspects(
            values, expected, factor=settings.min_factor, spread=settings.threshold,
            item=item, noise=noise)

        column_expected = _ColumnExpectations(
            by_history, then, change, expected, baseline, peer_median[:, j], peer_size[:, j],
            peer_count[:, j], median_count[:, j])
        for i in np.flatnonzero(slipped >= 0):
            factor, typed = SLIPS[slipped[i]]
            e = column_expected.at(int(i), unscaled=not has_expected[i])
            unit = str(units[i])
            flags.append(Flag(unit, code, RULE_SLIP, float(values[i]), e,
                              impact(float(values[i]), e.value, total), group_of[unit],
                              suggested=float(values[i]) / factor, typed_unit=typed))
        for i in np.flatnonzero(outlying):
            e = column_expected.at(int(i))
            unit = str(units[i])
            rule = RULE_HISTORY if e.basis == BASIS_HISTORY else RULE_OUTLIER
            flags.append(Flag(unit, code, rule, float(values[i]), e,
                              impact(float(values[i]), e.value, total), group_of[unit]))
    return flags


# ------------------------------------------------------------------ words

def _times(ratio: float) -> str:
    if ratio >= 1:
        return f"gấp khoảng {fmt_number(ratio, 1 if ratio < 10 else 0)} lần"
    return f"chỉ bằng khoảng 1/{fmt_number(1 / ratio, 1 if ratio > 0.1 else 0)}"


def _about(value: float) -> str:
    """An expected figure as a clerk would say it: two significant digits
    from 100 on (7.150 -> 7.200), whole from 10 on, one decimal below."""
    if value >= 100:
        digits = int(math.floor(math.log10(value))) - 1
        return fmt_number(round(value / 10 ** digits) * 10 ** digits, 0)
    return fmt_number(value, 0 if value >= 10 else 1)


def _share(share: float) -> str:
    percent = share * 100
    return f"{fmt_number(percent, 0 if percent >= 10 else 1 if percent >= 1 else 2)}%"


def _change(change: float) -> str:
    if abs(change - 1) < 0.005:
        return "không đổi"
    word = "tăng" if change > 1 else "giảm"
    return f"{word} khoảng {fmt_number(abs(change - 1) * 100, 0)}%"


def _peers(e: Expected, group: str) -> str:
    return f"{e.peers} đơn vị khác" + (f" cùng nhóm “{group}”" if group else "")


def _basis(flag: Flag, unit: str) -> str:
    """How the expected figure was worked out."""
    e = flag.expected
    if e.basis == BASIS_HISTORY:
        return (f"số liệu kỳ so sánh của chính đơn vị ({fmt_number(e.reference)} {unit}), "
                f"điều chỉnh theo mức thay đổi chung của các đơn vị ({_change(e.scale)})")
    size = ("tương đương đơn vị trung vị" if 0.95 <= e.scale <= 1.05
            else f"{_times(e.scale)} đơn vị trung vị")
    return (f"mức trung vị của {_peers(e, flag.group)} ({fmt_number(e.reference)} {unit}) "
            f"theo quy mô của đơn vị ({size})")


def describe(flag: Flag, catalog: Catalog, unit_name: str = "") -> str:
    """The Vietnamese message of a flag: the figure, what it was compared
    with and how that was worked out, the suggestion or the impact."""
    ind = catalog[flag.indicator]
    who = f"{unit_name}: " if unit_name else ""
    value = f"{fmt_number(flag.value)} {ind.unit}"
    e = flag.expected
    if flag.rule == RULE_SLIP:
        assert flag.suggested is not None  # every slip suggests the figure meant
        if e.basis == BASIS_MEDIAN:
            against = (f"mức trung vị của {_peers(e, flag.group)} "
                       f"({fmt_number(e.value)} {ind.unit})")
        else:
            against = (f"mức dự kiến cho đơn vị (khoảng {_about(e.value)} {ind.unit}, "
                       f"tính từ {_basis(flag, ind.unit)})")
        return (f"{who}{ind.label} ghi {value}, {_times(flag.ratio)} {against}: có thể đã ghi "
                f"theo {flag.typed_unit} thay vì {ind.unit}. Nếu vậy, số đúng là "
                f"{fmt_number(flag.suggested)} {ind.unit} — dvk không tự sửa, đề nghị đơn vị "
                "kiểm tra và gửi lại.")
    return (f"{who}{ind.label} ghi {value}, {_times(flag.ratio)} mức dự kiến cho đơn vị "
            f"(khoảng {_about(e.value)} {ind.unit}), tính từ {_basis(flag, ind.unit)}. "
            f"Chênh lệch bằng khoảng {_share(flag.impact)} tổng số của chỉ tiêu. "
            "Đề nghị đơn vị kiểm tra lại số liệu.")


def brief(flag: Flag, catalog: Catalog) -> str:
    """A few words for the mark beside the figure: 'gấp khoảng 9 lần mức dự
    kiến (khoảng 40)', 'có thể ghi theo đồng thay vì triệu đồng (số đúng có thể là 150)'."""
    if flag.rule == RULE_SLIP:
        assert flag.suggested is not None
        return (f"có thể ghi theo {flag.typed_unit} thay vì {catalog[flag.indicator].unit} "
                f"(số đúng có thể là {fmt_number(flag.suggested)})")
    return f"{_times(flag.ratio)} mức dự kiến (khoảng {_about(flag.expected.value)})"


def severity(flag: Flag, settings: OutlierSettings) -> str:
    """A slip is always a warning; an outlier below the impact threshold an info."""
    if flag.rule != RULE_SLIP and flag.impact < settings.impact_threshold:
        return "info"
    return "warning"


def find_outliers(c: Consolidation, settings: OutlierSettings | None = None,
                  history: Mapping[str, Mapping[str, float]] | None = None) -> list[Finding]:
    """Findings for the outliers and unit slips of a consolidation, with their
    cells. `history`: unit -> {code: figure} of the earlier comparable period
    the caller chose (the previous return, or the same period last year)."""
    settings = settings or OutlierSettings()
    groups = {code: info.group for code, info in c.units.items()}
    flags = flag_values(c.per_unit, c.catalog, settings, groups=groups, history=history)
    if not flags:
        return []
    where = _cells_of({(flag.unit, flag.indicator) for flag in flags}, c.values)
    findings = []
    for flag in flags:
        file, sheet, cell = where.get((flag.unit, flag.indicator), ("", "", ""))
        findings.append(Finding(severity(flag, settings), flag.rule, describe(flag, c.catalog),
                                file=file, sheet=sheet, cell=cell, unit=flag.unit,
                                indicator=flag.indicator, brief=brief(flag, c.catalog),
                                impact=flag.impact))
    return findings


def _cells_of(wanted: set[tuple[str, str]], v: pd.DataFrame
              ) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(file, sheet, cell) of each (unit, indicator) in `wanted`, from the
    tidy table `v`: only the wanted rows are turned into Python values."""
    units, indicators = v["unit"], v["indicator"]
    if isinstance(units.dtype, pd.CategoricalDtype) and isinstance(indicators.dtype,
                                                                     pd.CategoricalDtype):
        # (as a run makes it) the wanted pairs are found by their categories'
        # codes, not by making a pair of texts for each of 110,000 rows
        unit_at: dict[str, list[int]] = {}
        for i, name in enumerate(units.cat.categories.astype(str).tolist()):
            unit_at.setdefault(name, []).append(i)
        indicator_at = {code: j for j, code in enumerate(indicators.cat.categories.tolist())}
        width = len(indicator_at)
        pairs = [i * width + indicator_at[code] for unit, code in wanted
                 for i in unit_at.get(unit, ()) if code in indicator_at]
        unit_codes = units.cat.codes.to_numpy().astype(np.int64)
        indicator_codes = indicators.cat.codes.to_numpy().astype(np.int64)
        mask = (np.isin(unit_codes * width + indicator_codes, pairs)
                & (unit_codes >= 0) & (indicator_codes >= 0))
        unit_of = units.cat.categories.astype(str).to_numpy()[unit_codes[mask]].tolist()
    else:
        text = units.astype(str)
        mask = text.isin({unit for unit, _ in wanted}).to_numpy()
        unit_of = text[mask].tolist()
    indicator, file, sheet, cell = (v[column][mask].tolist()
                                    for column in ("indicator", "file", "sheet", "cell"))
    return {key: (f, s, c) for key, f, s, c in zip(
        zip(unit_of, indicator, strict=True), file, sheet, cell, strict=True) if key in wanted}
