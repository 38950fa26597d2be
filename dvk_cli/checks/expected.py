"""What a unit's figure is expected to be, and how far from it a figure may
be before it is suspect: the pure arithmetic of selective editing (Statistics
Netherlands, Statistics Canada), with no knowledge of returns or findings.

Expected value, in this order:
1. the unit's own history: its figure of an earlier comparable period times
   the change of the units' total for that indicator between the two periods
   (`province_changes`);
2. else its peers scaled to its size: the median of the other units of its
   group times the unit's size factor, the median over its other indicators
   of value / peers' median (`from_peers`). A unit that is small everywhere is
   expected to be small.

A figure is suspect (`suspect`) only when it is `factor` times the expected
(or a `factor`-th of it) AND the difference is beyond what chance gives a
count — about `spread` × sqrt(expected), and more than MIN_DIFFERENCE,
counted in items: 1 delegation expected and 3 received is ordinary, 40
expected and 360 is not.
Against history the chance variation is larger: the earlier figure varied
by chance too (`variance`).
Money that is the value of counted items (houses, gifts, bridges) is counted
in items at the run's median value per item; otherwise a triệu đồng, a km or
one of the count is the item.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

BASIS_HISTORY = "history"  # the unit's earlier period, adjusted for the units' change
BASIS_PEERS = "peers"  # the peers of its group, scaled to its size
BASIS_MEDIAN = "median"  # the peers' median, unscaled: only to tell a unit slip

# A difference within MIN_DIFFERENCE items is never suspect (2 models for 0,4 expected).
MIN_DIFFERENCE = 2.0
# A size factor is the median of at least this many of the unit's other indicators.
MIN_SIZE_BASIS = 3
# The unscaled median that tells a unit slip is taken over at least this many others.
MIN_MEDIAN_PEERS = 3
# A money figure about 1,000,000 / 1,000 / 1/1,000 times the expected: the
# factor and the unit presumably typed instead of triệu đồng. A slip is a ratio
# within half a decade (a factor of about 3) of the slip's size.
SLIPS = ((1_000_000, "đồng"), (1_000, "nghìn đồng"), (0.001, "tỷ đồng"))
SLIP_TOLERANCE = 0.5


@dataclass(frozen=True)
class Expected:
    """A unit's expected figure and how it was worked out.

    history: reference = the unit's earlier figure, scale = the units' change;
    peers: reference = the median of the `peers` other units of its group,
    scale = the unit's size factor; median: reference = that median, scale 1."""

    value: float
    basis: str
    reference: float
    scale: float = 1.0
    peers: int = 0


def medians_of_others(values) -> np.ndarray:
    """For each value, the median of all the other values (leave-one-out), in
    O(n log n): in the sorted array without element i, position k is sorted
    position k before i and k + 1 from i on."""
    values = np.asarray(values, dtype="float64")
    n = len(values)
    if n < 2:
        return np.full(n, np.nan)
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    lo, hi = (n - 2) // 2, (n - 1) // 2  # middle positions among n - 1 values
    lo_idx = np.where(lo < rank, lo, lo + 1)
    hi_idx = np.where(hi < rank, hi, hi + 1)
    return (ranked[lo_idx] + ranked[hi_idx]) / 2


# ------------------------------------------------------------------ history

def province_changes(current: pd.Series, earlier: pd.Series, max_factor: float) -> pd.Series:
    """For each unit with a figure above 0 in both periods, the change of the
    other units' total: sum now / sum then over the units above 0 in both
    periods, the unit itself left out (it must not explain itself away), and
    so are the units whose own change is more than `max_factor` times (or less
    than a `max_factor`-th of) the median change — a slip of one unit must
    not move every other unit's expectation. 1 when nothing is left to compare."""
    both = pd.concat([current, earlier], axis=1, keys=["now", "then"]).dropna()
    both = both[(both["now"] > 0) & (both["then"] > 0)]
    if both.empty:
        return pd.Series(dtype="float64")
    own = both["now"] / both["then"]
    typical = float(own.median())
    kept = ((own <= typical * max_factor) & (own >= typical / max_factor)).astype("float64")
    now = float((both["now"] * kept).sum()) - both["now"] * kept  # the unit left out
    then = float((both["then"] * kept).sum()) - both["then"] * kept
    return (now / then.where(then > 0)).fillna(1.0)


def history_arrays(current: pd.Series, earlier: pd.Series,
                   max_factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected, earlier figure, the units' change) for each unit of `current`,
    in its order; NaN where the unit has no earlier figure above 0 (an earlier
    zero says little about a sporadic activity)."""
    then = earlier.reindex(current.index).to_numpy(dtype="float64")
    if not (then > 0).any():
        # No earlier figure above 0 (a first period, or no store): nothing is
        # expected from history, without the frames of province_changes.
        nothing = np.full(len(then), np.nan)
        return nothing, then, nothing
    change = province_changes(current, earlier, max_factor).reindex(current.index).to_numpy()
    return then * change, then, change


def from_history(current: pd.Series, earlier: pd.Series,
                 max_factor: float) -> dict[str, Expected]:
    """Expected figures from each unit's earlier figure, times the units' change."""
    expected, then, change = history_arrays(current, earlier, max_factor)
    return {str(unit): Expected(float(e), BASIS_HISTORY, float(t), float(c))
            for unit, e, t, c in zip(current.index, expected, then, change, strict=True)
            if not np.isnan(e)}


# ------------------------------------------------------------------ peers

def peer_medians(table: pd.DataFrame, min_units: int) -> pd.DataFrame:
    """For each positive figure of an indicator that at least `min_units` units
    of the table report above 0, the median of the other units' positive
    figures; NaN elsewhere (zeros are not peers)."""
    values = table.to_numpy(dtype="float64", na_value=np.nan)
    medians = np.full(values.shape, np.nan)
    for j in range(values.shape[1]):  # column by column in numpy: pandas' .loc per column
        column = values[:, j]        # cost more than the medians at a province's size
        positive = column > 0  # (NaN is not)
        if np.count_nonzero(positive) >= min_units:
            medians[positive, j] = medians_of_others(column[positive])
    return pd.DataFrame(medians, index=table.index, columns=table.columns)


def size_factors(ratios: pd.DataFrame) -> pd.DataFrame:
    """For each (unit, indicator) with a ratio, the median of the unit's ratios
    over its other indicators; NaN when fewer than MIN_SIZE_BASIS remain."""
    values = ratios.to_numpy(dtype="float64")
    sizes = np.full(values.shape, np.nan)
    counts = np.count_nonzero(~np.isnan(values), axis=1)
    sized = counts - 1 >= MIN_SIZE_BASIS
    if sized.any():
        sizes[sized] = _row_medians_of_others(values[sized], counts[sized])
    return pd.DataFrame(sizes, index=ratios.index, columns=ratios.columns)


def _row_medians_of_others(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """`medians_of_others` of each row's values that are not NaN (`counts`:
    how many, at least 2), NaN where the row has NaN: every row at once, not
    a numpy call per unit (3,321 of them). Sorted, a row's NaN come last, so
    its values are its first `counts` sorted positions; each median is the
    same two values' mean as medians_of_others takes."""
    order = np.argsort(values, axis=1, kind="stable")
    ranked = np.take_along_axis(values, order, axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(values.shape[1]), values.shape),
                      axis=1)
    lo, hi = ((counts - 2) // 2)[:, None], ((counts - 1) // 2)[:, None]  # as medians_of_others
    lo_idx = np.where(lo < rank, lo, lo + 1)
    hi_idx = np.where(hi < rank, hi, hi + 1)
    medians = (np.take_along_axis(ranked, lo_idx, axis=1)
               + np.take_along_axis(ranked, hi_idx, axis=1)) / 2
    medians[np.isnan(values)] = np.nan
    return medians


@dataclass(frozen=True)
class PeerFrame:
    """One group's expectations from its peers, as tables (units x indicators,
    NaN where there is none): `median` of the other units, the unit's `size`
    factor, `value` = median × size; `peers`: per indicator, the other units
    reporting it above 0. The arithmetic of `from_peers`, for a whole group at once."""

    value: pd.DataFrame
    median: pd.DataFrame
    size: pd.DataFrame
    peers: pd.Series


def peer_frame(table: pd.DataFrame, min_units: int) -> PeerFrame:
    """The peers' expectations of one group's positive figures (table: units x
    indicators) for the indicators at least `min_units` units report above 0."""
    medians = peer_medians(table, min_units)
    ratios = table.where(table > 0) / medians
    sizes = size_factors(ratios)
    return PeerFrame(medians * sizes, medians, sizes, (table > 0).sum() - 1)


def from_peers(table: pd.DataFrame, min_units: int) -> dict[tuple[str, str], Expected]:
    """Expected figures of one group's units (table: units x indicators): the
    other units' median times the unit's size factor, for the positive figures
    of indicators at least `min_units` units report above 0."""
    frame = peer_frame(table, min_units)
    by_cell = frame.size.stack().dropna()
    peer_median = frame.median.stack().reindex(by_cell.index).to_numpy()
    return {(str(unit), str(code)): Expected(float(median * size), BASIS_PEERS, float(median),
                                             float(size), int(frame.peers[code]))
            for ((unit, code), size), median in zip(by_cell.items(), peer_median, strict=True)}


def median_frame(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The other units' median of each positive figure, unscaled (NaN where
    fewer than MIN_MEDIAN_PEERS other units report it above 0), and per
    indicator the other units reporting it: `from_medians` as tables."""
    return peer_medians(table, MIN_MEDIAN_PEERS + 1), (table > 0).sum() - 1


def from_medians(table: pd.DataFrame) -> dict[tuple[str, str], Expected]:
    """The other units' median of each positive figure, unscaled, when at least
    MIN_MEDIAN_PEERS other units report it above 0 (fewer: one unit's slip
    would move the median): what tells a unit slip when nothing better is known."""
    medians, peers = median_frame(table)
    return {(str(unit), str(code)): Expected(float(median), BASIS_MEDIAN, float(median),
                                             peers=int(peers[code]))
            for (unit, code), median in medians.stack().dropna().items()}


# ------------------------------------------------------------------ tests

def item_value(money: pd.Series | np.ndarray, items: pd.Series | np.ndarray) -> float:
    """The median value of one item (money / count) over the units reporting
    both above 0 (two columns of one table, or arrays in the same order);
    1 when none does."""
    money = np.asarray(money, dtype="float64")
    items = np.asarray(items, dtype="float64")
    both = (money > 0) & (items > 0)  # (a blank, NaN, is neither)
    if not both.any():
        return 1.0
    return float(np.median(money[both] / items[both]))


def variance(expected: Expected) -> float:
    """How many times a count of the expected's size the difference varies by
    chance: an earlier figure varies as much as the current one (1 + the
    change), a median of several peers hardly (1)."""
    change = expected.scale if expected.basis == BASIS_HISTORY else np.nan
    return float(variances(np.array([change]))[0])


def variances(change: np.ndarray) -> np.ndarray:
    """`variance` for an array of the units' changes (NaN: no history)."""
    return np.where(np.isnan(change), 1.0, 1.0 + change)


def suspect(value: float, expected: float, *, factor: float, spread: float,
            item: float = 1.0, noise: float = 1.0) -> bool:
    """Whether `value` is `factor` times `expected` (or a `factor`-th of it),
    more than MIN_DIFFERENCE items from it, and beyond a count's chance
    variation, all counted in items of size `item`:

        |x - e| > spread × sqrt(noise) × max(sqrt(e), (sqrt(x) + sqrt(e)) / 2)

    Below the expected this is |x - e| against sqrt(e), a count's standard
    deviation; above it, 2 |sqrt(x) - sqrt(e)| (the square root steadies a
    count's variance), which does not let a low expectation make an ordinary
    figure look extreme. An expectation below one item counts as one:
    sporadic work (houses, bridges) comes in batches."""
    return bool(suspects(np.array([value], dtype="float64"), np.array([expected], dtype="float64"),
                         factor=factor, spread=spread, item=item,
                         noise=np.array([noise], dtype="float64"))[0])


def suspects(values: np.ndarray, expected: np.ndarray, *, factor: float, spread: float,
             item: float, noise: np.ndarray) -> np.ndarray:
    """`suspect` for arrays of figures and their expectations (NaN expected:
    never suspect): the one home of the formula."""
    with np.errstate(invalid="ignore", divide="ignore"):
        far = (values >= expected * factor) | (values * factor <= expected)
        x = values / item
        e = np.maximum(expected / item, 1.0)
        gap = np.abs(values - expected) / item
        bound = spread * np.sqrt(noise) * np.maximum(np.sqrt(e), (np.sqrt(x) + np.sqrt(e)) / 2)
        return far & (gap > MIN_DIFFERENCE) & (gap > bound) & ~np.isnan(expected)


def slip(value: float, expected: float) -> tuple[float, str] | None:
    """(factor, unit typed) when `value` is about 1,000,000, 1,000 or 1/1,000
    times `expected`: a money figure in đồng, nghìn đồng or tỷ đồng."""
    found = int(slips(np.array([value], dtype="float64"),
                      np.array([expected], dtype="float64"))[0])
    return SLIPS[found] if found >= 0 else None


def slips(values: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """For arrays of money figures and their expectations, the index in SLIPS
    of the slip each one looks like, -1 for none (`slip`, for a whole column)."""
    found = np.full(len(values), -1, dtype=np.int64)
    ok = (values > 0) & (expected > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.log10(np.where(ok, values, 1.0) / np.where(ok, expected, 1.0))
    for i in range(len(SLIPS) - 1, -1, -1):  # the first slip that fits wins
        hit = ok & (np.abs(ratio - math.log10(SLIPS[i][0])) <= SLIP_TOLERANCE)
        found = np.where(hit, i, found)
    return found


def impact(value: float, expected: float, total: float) -> float:
    """|value - expected| as a share of the published total, in [0, 1], 4 decimals."""
    if not total > 0:
        return 1.0
    return round(min(1.0, abs(value - expected) / total), 4)


def history_table(history: Mapping[str, Mapping[str, float]] | None,
                  like: pd.DataFrame) -> pd.DataFrame:
    """The earlier figures shaped like `like` (units x indicators), NaN where unknown."""
    rows = {unit: {code: value for code, value in figures.items() if value is not None}
            for unit, figures in (history or {}).items()}
    table = pd.DataFrame.from_dict(rows, orient="index", dtype="float64") if rows else None
    if table is None or table.empty:
        return pd.DataFrame(np.nan, index=like.index, columns=like.columns)
    return table.reindex(index=like.index, columns=like.columns).astype("float64")
