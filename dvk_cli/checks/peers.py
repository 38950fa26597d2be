"""Peer comparison across the units of one run.

- outlier_peer: a value far outside its peers' range. Robust modified z-score
  (Iglewicz and Hoaglin): z = 0.6745 (x - median) / MAD, computed on the
  logarithm of the values, because units differ in size by a factor (a city
  has three times a district's figures) rather than by an amount. Only values
  above 0 are compared; an indicator is skipped when fewer than `min_units`
  units report a value above 0. A value is reported when |z| exceeds
  `threshold` (3.5) and it is at least `min_factor` (3) times, or at most a
  third of, the median — so that a tight cluster of peers does not make an
  ordinary difference look extreme.
- unit_slip: in a money column (triệu đồng), a value about 1,000 or 1,000,000
  times the median of the other units (đồng or nghìn đồng typed where triệu
  đồng was asked), or about 1/1,000 of it (tỷ đồng). The corrected figure is
  suggested, never applied.

Pure functions over the wide per-unit table (`Consolidation.per_unit`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import fmt_number

if TYPE_CHECKING:
    import pandas as pd

    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Catalog

RULE_OUTLIER = "outlier_peer"
RULE_SLIP = "unit_slip"
DEFAULT_THRESHOLD = 3.5
DEFAULT_MIN_UNITS = 5
DEFAULT_MIN_FACTOR = 3.0
_MAD_SCALE = 0.6745
_MEANAD_SCALE = 1.253314  # sqrt(pi / 2): MeanAD of a normal distribution is 0.7979 sigma
# A slip is a ratio within a factor of 10**0.5 (about 3) of the slip's size.
_SLIP_TOLERANCE = 0.5
# factor the value was multiplied by, the unit presumably typed
SLIPS = ((1_000_000, "đồng"), (1_000, "nghìn đồng"), (0.001, "tỷ đồng"))
COMPARED_TYPES = ("count", "money", "length")


@dataclass(frozen=True)
class OutlierSettings:
    threshold: float = DEFAULT_THRESHOLD
    min_units: int = DEFAULT_MIN_UNITS
    min_factor: float = DEFAULT_MIN_FACTOR
    enabled: bool = True


def settings_from(raw: dict, where: str = "dvk.toml") -> OutlierSettings:
    """[outliers] threshold = 3.5, min_units = 5, min_factor = 3, enabled = true."""
    from dvk_cli.core.config import ConfigError

    section = raw.get("outliers", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: mục [outliers] không hợp lệ")
    allowed = {"threshold", "min_units", "min_factor", "enabled"}
    extra = sorted(set(section) - allowed)
    if extra:
        raise ConfigError(f"{where}: [outliers] có khóa lạ {', '.join(extra)}; "
                          f"chỉ dùng {', '.join(sorted(allowed))}")

    def number(key: str, default: float, minimum: float) -> float:
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= minimum:
            raise ConfigError(f"{where}: [outliers] {key} phải là số không nhỏ hơn {fmt_number(minimum)}")
        return float(value)

    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: [outliers] enabled phải là true hoặc false")
    min_units = number("min_units", DEFAULT_MIN_UNITS, 3)
    if not min_units.is_integer():
        raise ConfigError(f"{where}: [outliers] min_units phải là số nguyên")
    return OutlierSettings(threshold=number("threshold", DEFAULT_THRESHOLD, 1),
                           min_units=int(min_units),
                           min_factor=number("min_factor", DEFAULT_MIN_FACTOR, 1),
                           enabled=enabled)


def modified_z(values: pd.Series) -> pd.Series:
    """Modified z-scores of positive values on a log scale (NaN for the others)."""
    import numpy as np

    logs = np.log10(values.where(values > 0))
    median = logs.median()
    mad = (logs - median).abs().median()
    deviation = logs - median
    if mad > 0:
        return _MAD_SCALE * deviation / mad
    # More than half the peers report the same value: fall back on the mean
    # absolute deviation (z = (x - median) / (1.2533 MeanAD)); all equal: 0.
    mean_ad = deviation.abs().mean()
    if not mean_ad > 0:
        return deviation * 0.0
    return deviation / (_MEANAD_SCALE * mean_ad)


def medians_of_others(values):
    """For each value, the median of all the other values (leave-one-out), in
    O(n log n): in the sorted array without element i, position k is sorted
    position k before i and k + 1 from i on."""
    import numpy as np

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


@dataclass
class Flag:
    unit: str
    indicator: str
    rule: str
    value: float
    median: float  # of the peers compared with
    score: float  # modified z (outlier) or ratio to the other units' median (slip)
    suggested: float | None = None  # corrected value, for a slip
    typed_unit: str = ""  # the unit of measure presumably typed, for a slip


def flag_values(per_unit: pd.DataFrame, catalog: Catalog,
                settings: OutlierSettings | None = None) -> list[Flag]:
    """Outliers and unit slips in a units x indicators table, slips first per cell."""
    settings = settings or OutlierSettings()
    if not settings.enabled or per_unit.empty:
        return []
    flags: list[Flag] = []
    for code, ind in catalog.indicators.items():
        if ind.computed or ind.type not in COMPARED_TYPES or code not in per_unit.columns:
            continue
        column = per_unit[code].astype("float64")
        positive = column[column > 0]
        if len(positive) < settings.min_units:
            continue
        slipped: set[str] = set()
        if ind.type == "money":
            for (unit, value), median in zip(positive.items(), medians_of_others(positive.to_numpy()),
                                             strict=True):
                median = float(median)
                ratio = value / median
                for factor, typed in SLIPS:
                    if abs(math.log10(ratio) - math.log10(factor)) <= _SLIP_TOLERANCE:
                        flags.append(Flag(str(unit), code, RULE_SLIP, float(value), median, ratio,
                                          suggested=float(value) / factor, typed_unit=typed))
                        slipped.add(str(unit))
                        break
        z = modified_z(positive)
        median = float(positive.median())
        for unit, score in z.items():
            if str(unit) in slipped or abs(score) <= settings.threshold:
                continue
            value = float(positive[unit])
            ratio = value / median
            if 1 / settings.min_factor < ratio < settings.min_factor:
                continue
            flags.append(Flag(str(unit), code, RULE_OUTLIER, value, median, float(score)))
    return flags


def _times(ratio: float) -> str:
    if ratio >= 1:
        return f"gấp khoảng {fmt_number(ratio, 1 if ratio < 10 else 0)} lần"
    return f"chỉ bằng khoảng 1/{fmt_number(1 / ratio, 1 if ratio > 0.1 else 0)}"


def describe(flag: Flag, catalog: Catalog, unit_name: str = "") -> str:
    """The Vietnamese message of a flag."""
    ind = catalog[flag.indicator]
    who = f"{unit_name}: " if unit_name else ""
    value = f"{fmt_number(flag.value)} {ind.unit}"
    median = f"{fmt_number(flag.median)} {ind.unit}"
    if flag.rule == RULE_SLIP:
        assert flag.suggested is not None  # every slip suggests the figure meant
        return (f"{who}{ind.label} ghi {value}, {_times(flag.score)} mức trung vị của các đơn vị khác "
                f"({median}): có thể đã ghi theo {flag.typed_unit} thay vì {ind.unit}. Nếu vậy, số đúng là "
                f"{fmt_number(flag.suggested)} {ind.unit} — dvk không tự sửa, đề nghị đơn vị kiểm tra "
                "và gửi lại.")
    z = fmt_number(abs(flag.score), 1)
    return (f"{who}{ind.label} ghi {value}, {_times(flag.value / flag.median)} mức trung vị của "
            f"các đơn vị ({median}); khác xa các đơn vị khác (điểm z hiệu chỉnh {z}). "
            "Đề nghị đơn vị kiểm tra lại số liệu.")


def find_outliers(c: Consolidation, settings: OutlierSettings | None = None) -> list[Finding]:
    """Findings for the outliers and unit slips of a consolidation, with their cells."""
    flags = flag_values(c.per_unit, c.catalog, settings)
    if not flags:
        return []
    v = c.values
    where = {(u, i): (f, s, cell) for u, i, f, s, cell in zip(
        v["unit"].tolist(), v["indicator"].tolist(), v["file"].tolist(), v["sheet"].tolist(),
        v["cell"].tolist(), strict=True)}
    findings = []
    for flag in flags:
        file, sheet, cell = where.get((flag.unit, flag.indicator), ("", "", ""))
        findings.append(Finding("warning", flag.rule, describe(flag, c.catalog),
                                file=file, sheet=sheet, cell=cell, unit=flag.unit,
                                indicator=flag.indicator))
    return findings
