"""flag_values tests whole columns at once (issue 16: 3,321 units in a
fraction of a second); it must flag exactly what the per-figure arithmetic
of checks/expected.py (from_history, from_peers, from_medians, slip,
suspect) flags, with the same expectations and impacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dvk_cli.checks.expected import (
    BASIS_HISTORY,
    from_history,
    from_medians,
    from_peers,
    history_table,
    impact,
    slip,
    suspect,
    variance,
)
from dvk_cli.checks.peers import (
    COMPARED_TYPES,
    RULE_HISTORY,
    RULE_OUTLIER,
    RULE_SLIP,
    Flag,
    OutlierSettings,
    _item,
    flag_values,
    item_counts,
)
from dvk_cli.core.catalog import default_catalog

CAT = default_catalog()


def per_figure(per_unit, catalog, settings, groups, history):
    """The reference: every positive figure on its own, with the scalar functions."""
    codes = [c for c, ind in catalog.indicators.items()
             if not ind.computed and ind.type in COMPARED_TYPES and c in per_unit.columns]
    table = per_unit[codes].astype("float64")
    group_of = {u: groups.get(u, "") for u in table.index}
    by_peers, by_median = {}, {}
    for group in dict.fromkeys(group_of.values()):
        members = table.loc[[u for u in table.index if group_of[u] == group]]
        by_peers.update(from_peers(members, settings.min_units))
        by_median.update(from_medians(members))
    earlier = history_table(history, table)
    counts = item_counts(catalog)
    flags = []
    for code in codes:
        column = table[code]
        total = float(column.sum())
        by_history = from_history(column, earlier[code], settings.min_factor)
        item = _item(code, per_unit, counts)
        slips, outliers = [], []
        for unit, value in column[column > 0].items():
            expected = by_history.get(unit) or by_peers.get((unit, code))
            baseline = expected or by_median.get((unit, code))
            found = slip(value, baseline.value) if catalog[code].type == "money" and baseline else None
            if found is not None:
                slips.append(Flag(unit, code, RULE_SLIP, value, baseline,
                                  impact(value, baseline.value, total), group_of[unit],
                                  suggested=value / found[0], typed_unit=found[1]))
            elif expected is not None and suspect(value, expected.value, item=item,
                                                  factor=settings.min_factor,
                                                  spread=settings.threshold,
                                                  noise=variance(expected)):
                rule = RULE_HISTORY if expected.basis == BASIS_HISTORY else RULE_OUTLIER
                outliers.append(Flag(unit, code, rule, value, expected,
                                     impact(value, expected.value, total), group_of[unit]))
        flags += slips + outliers
    return flags


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_columns_flag_what_each_figure_would(seed):
    rng = np.random.default_rng(seed)
    codes = [c for c, ind in CAT.indicators.items() if not ind.computed]
    n = 400
    size = rng.lognormal(0, 0.8, n)
    data = {c: np.round(size * rng.lognormal(2.5, 0.6, n) * rng.choice([1, 1, 1, 0], n))
            for c in codes}
    table = pd.DataFrame(data, index=[f"U{i}" for i in range(n)])
    # the earlier period of half the units, before the slips and outliers below
    history = {u: {c: float(v) * rng.uniform(0.7, 1.3) for c, v in row.items() if v > 0}
               for u, row in table.iloc[: n // 2].iterrows()}
    money = [c for c in codes if CAT[c].type == "money"]
    for i in rng.choice(n, 12, replace=False):  # đồng, nghìn đồng, tỷ đồng typed
        code = money[int(rng.integers(len(money)))]
        table.loc[f"U{i}", code] = table.loc[f"U{i}", code] * rng.choice([1e6, 1e3, 1e-3]) + 1
    for i in rng.choice(n, 20, replace=False):  # plain outliers
        code = codes[int(rng.integers(len(codes)))]
        table.loc[f"U{i}", code] = table.loc[f"U{i}", code] * 40 + 50
    groups = {u: ("Địa phương", "Mặt trận – đoàn thể", "")[i % 3] for i, u in enumerate(table.index)}
    settings = OutlierSettings()
    for hist in (None, history):
        got = flag_values(table, CAT, settings, groups=groups, history=hist)
        want = per_figure(table, CAT, settings, groups, hist or {})
        assert got == want
        rules = {f.rule for f in got}
        assert RULE_SLIP in rules and RULE_OUTLIER in rules
        assert hist is None or RULE_HISTORY in rules
