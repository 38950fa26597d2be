"""Comparisons with earlier periods, from the history store: the figures of
the periods compared with (dvk_cli/core/comparisons.py says the changes),
the trend series, and the basis of each comparison (which units are in both
periods, and the like-for-like change on those).

(A unit's figure against its own earlier return is checked in
dvk_cli/checks/expected.py, with the figures the ledger gives it.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from dvk_cli.core.comparisons import (
    PREVIOUS,
    SAME_LAST_YEAR,
    previous_period,
    same_period_last_year,
)
from dvk_cli.core.periods import Period, parse_period

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Catalog
    from dvk_cli.history.store import Store


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
    figures = c.unit_figures()
    return dict(c.totals), {unit: figures[unit] for unit in units}


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


def add_basis(compare: Mapping[str, Mapping], now: Mapping[str, Mapping[str, float]],
              names: Mapping[str, str], catalog: Catalog,
              missing_now: Sequence[str] = ()) -> dict:
    """`compare` (build_compare) with each entry's "basis": which units the
    two periods compared have in common. Pure; `compare` is not changed.

    `now`: this run's figures of every unit whose return was used, {unit:
    {code: value}} (computed indicators may be there; they are recomputed);
    `names`: unit code -> name, in the order units are listed (the registry),
    for the codes the basis names; `missing_now`: registered units whose
    figures this period lacks (missing, and held back by errors).

    The basis is {"units": [in both periods], "missing": [in one only],
    "only_now": [...], "only_before": [...], "names": {code: name} of the
    missing}. Earlier figures from returns: the units that sent them. From a
    baseline (area totals typed from an old report, no per-unit figures):
    complete by definition, so the units in both are every unit now and the
    ones lacking are `missing_now`. When the basis is not complete and both
    periods have per-unit figures (returns), "like_for_like" gives {code:
    {"now": x, "before": y}}: the totals over the units in both, computed as
    the run computes its totals (ratios from summed parts), for the codes
    both sides have."""
    return {key: {**entry, "basis": _basis(entry, now, names, catalog, missing_now)}
            for key, entry in compare.items()}


def add_run_basis(compare: Mapping[str, Mapping], c: Consolidation) -> dict:
    """add_basis with a run's units: the figures of the returns it used, the
    names of the registry (in its order) and of the units it read, and the
    registered units it lacks (missing, held back by errors)."""
    figures = c.unit_figures()
    now = {unit: figures[unit] for unit in c.units}
    names = {u.code: u.name for u in (c.config.registry if c.config is not None else ())}
    names.update({code: info.name for code, info in c.units.items() if code not in names})
    names.update({u.code: u.name for u in (*c.missing, *c.held) if u.code not in names})
    return add_basis(compare, now=now, names=names, catalog=c.catalog,
                     missing_now=[u.code for u in (*c.missing, *c.held)])


def _basis(entry: Mapping, now: Mapping[str, Mapping[str, float]], names: Mapping[str, str],
           catalog: Catalog, missing_now: Sequence[str]) -> dict:
    rank = {code: i for i, code in enumerate(names)}

    def ordered(codes: Iterable[str]) -> list[str]:
        return sorted(set(codes), key=lambda code: (rank.get(code, len(rank)), code))

    baseline = entry.get("source") == "baseline"
    before: Mapping[str, Mapping[str, float]] = entry.get("per_unit", {})
    if baseline:
        units = ordered(now)
        only_now: list[str] = []
        only_before = ordered(u for u in missing_now if u not in now)
    else:
        units = ordered(u for u in now if u in before)
        only_now = ordered(u for u in now if u not in before)
        only_before = ordered(u for u in before if u not in now)
    missing = ordered([*only_now, *only_before])
    basis = {"units": units, "missing": missing, "only_now": only_now,
             "only_before": only_before, "names": {u: names.get(u, u) for u in missing}}
    if baseline or not missing or not units:
        return basis
    # consolidate_figures needs a period for the Consolidation it builds;
    # the totals do not depend on it
    period = parse_period(entry["period"])
    if period is None:  # the store holds valid codes only
        raise ValueError(f"invalid period code {entry['period']!r}")
    now_totals, _ = consolidate_figures({u: now[u] for u in units}, period, catalog)
    before_totals, _ = consolidate_figures({u: before[u] for u in units}, period, catalog)
    basis["like_for_like"] = {
        code: {"now": now_totals[code], "before": before_totals[code]}
        for code in catalog.codes if code in now_totals and code in before_totals}
    return basis


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



