"""Comparisons with earlier periods, from the history store: the figures of
the periods compared with (dvk_cli/core/comparisons.py says the changes),
the trend series.

Also the history-aware outliers: a unit's figure far from its own earlier
periods of the same kind.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dvk_cli.core.comparisons import (
    PREVIOUS,
    SAME_LAST_YEAR,
    previous_period,
    same_period_last_year,
)
from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import clean, fmt_figure
from dvk_cli.core.periods import Period, parse_period

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Catalog
    from dvk_cli.history.store import Store


# History outliers: at least this many earlier periods of the same kind, and a
# value further than OUTLIER_SPREAD robust spreads from the unit's median.
MIN_HISTORY = 3
OUTLIER_SPREAD = 3.0
_MIN_RELATIVE_SPREAD = 0.25  # of the median: small histories must not flag ordinary change
_MIN_ABSOLUTE_SPREAD = 1.0


# ------------------------------------------------------------------ periods


# ------------------------------------------------------------------ figures

def period_figures(store: Store, period: Period, catalog: Catalog,
                   cache: dict | None = None) -> dict | None:
    """A stored period's figures in the shape of Consolidation.compare entries:
    {"period", "label", "totals", "per_unit", "units", "source"}; None when the
    store has nothing for it. A baseline (figures typed from a report made
    before dvk) gives the totals; returns give the units' figures (and the
    totals when there is no baseline)."""
    from dvk_cli.history.store import AREA, KIND_BASELINE

    if cache is not None:
        if period not in cache:
            cache[period] = period_figures(store, period, catalog)
        return cache[period]
    per_unit = store.period_values(period.code)
    base = store.current(AREA, period.code, KIND_BASELINE)
    if not per_unit and base is None:
        return None
    unit_totals, unit_table = (consolidate_figures(per_unit, period, catalog) if per_unit
                               else ({}, {}))
    if base is not None:
        values = {v.indicator: v.value for v in store.values(base.id)}
        totals, _ = consolidate_figures({"": values}, period, catalog)
        source = "baseline"
    else:
        totals, source = unit_totals, "returns"
    return {
        "period": period.code,
        "label": period.label,
        "totals": totals,
        "per_unit": unit_table,
        "units": len(per_unit),
        "source": source,
    }


def consolidate_figures(per_unit: Mapping[str, Mapping[str, float]], period: Period,
                        catalog: Catalog) -> tuple[dict, dict]:
    """Totals and per-unit values (computed indicators included) exactly as a
    run would compute them: through aggregation.consolidate."""
    import pandas as pd

    from dvk_cli.aggregation import MODEL_COLUMNS, TIDY_COLUMNS, UnitInfo, consolidate
    from dvk_cli.core.config import Organization

    inputs = set(catalog.input_codes)
    rows = [(unit, period.code, code, float(value), "", "", "", "", "")
            for unit, values in per_unit.items() for code, value in values.items()
            if code in inputs]
    values_df = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    values_df["value"] = values_df["value"].astype("float64")
    units = {u: UnitInfo(u, u) for u in per_unit}
    c = consolidate(values_df, pd.DataFrame([], columns=MODEL_COLUMNS), units, period=period,
                    organization=Organization(), catalog=catalog, registry_units=[],
                    findings=[], sources=[])
    table = {}
    for unit in units:
        row = c.per_unit.loc[unit]
        table[unit] = {k: clean(v) for k, v in row.items() if not math.isnan(v)}
    return dict(c.totals), table


def build_compare(store: Store, period: Period, catalog: Catalog,
                  cache: dict | None = None) -> dict:
    """Consolidation.compare for `period`: either key absent when the store has no data."""
    out = {}
    for key, other in ((PREVIOUS, previous_period(period)),
                       (SAME_LAST_YEAR, same_period_last_year(period))):
        figures = period_figures(store, other, catalog, cache)
        if figures is not None:
            out[key] = figures
    return out


def trend(store: Store, period: Period, catalog: Catalog, current_totals: Mapping,
          cache: dict | None = None) -> list[dict]:
    """Totals of every stored period of the same kind up to `period` (the
    current run's totals for `period` itself), oldest first."""
    found = []
    for code in store.periods():
        p = parse_period(code)
        if p is not None and p.kind == period.kind and p < period:
            found.append(p)
    series = []
    for p in sorted(found):
        figures = period_figures(store, p, catalog, cache)
        if figures is not None:
            series.append({"period": p.code, "label": p.label, "totals": figures["totals"]})
    series.append({"period": period.code, "label": period.label, "totals": dict(current_totals)})
    return series


# ------------------------------------------------------------------ changes


# ------------------------------------------------------------------ outliers

def history_outliers(store: Store, period: Period, catalog: Catalog,
                     admitted: list[tuple[str, str, str, list]]) -> list[Finding]:
    """Warnings for figures far from the unit's own history.

    `admitted` holds (unit code, unit name, file, values) for the returns the
    run uses; values are objects with code, value, sheet and cell. History:
    the unit's stored returns for earlier periods of the same kind (at least
    MIN_HISTORY of them)."""
    findings = []
    for unit, name, file, values in admitted:
        history = store.unit_history(unit)
        earlier = sorted(
            (p, figures) for p, figures in
            ((parse_period(code), figures) for code, figures in history.items())
            if p is not None and p.kind == period.kind and p < period
        )
        if len(earlier) < MIN_HISTORY:
            continue
        for v in values:
            ind = catalog.indicators.get(v.code)
            if ind is None or ind.computed:
                continue
            past = [(p, figures[v.code]) for p, figures in earlier if v.code in figures]
            if len(past) < MIN_HISTORY:
                continue
            series = [float(x) for _, x in past]
            median = statistics.median(series)
            mad = statistics.median(abs(x - median) for x in series)
            spread = max(1.4826 * mad, _MIN_RELATIVE_SPREAD * abs(median), _MIN_ABSOLUTE_SPREAD)
            if abs(float(v.value) - median) <= OUTLIER_SPREAD * spread:
                continue
            shown, typical = fmt_figure(v.value, ind), fmt_figure(median, ind)
            listing = ", ".join(f"{p.label}: {fmt_figure(x, ind)}" for p, x in past)
            findings.append(Finding(
                "warning", "outlier_history",
                f"{name}: {ind.short} ({ind.code}) = {shown}, khác xa số liệu các kỳ trước "
                f"của chính đơn vị (trung vị {len(past)} kỳ: {typical}; {listing}). "
                "Đề nghị kiểm tra lại.",
                file=file, sheet=v.sheet, cell=v.cell, unit=unit, indicator=ind.code))
    return findings

