"""The chart of the Word report: new "Dân vận khéo" models by field, for each
unit (a horizontal stacked bar chart drawn with matplotlib).

matplotlib is imported inside the function (it is slow to import) and used
through its object API with the Agg canvas: no pyplot, no global backend
change. The font is DejaVu Sans, shipped with matplotlib, which has every
Vietnamese glyph. The fields and their labels come from the catalog's model
list; nothing here names an indicator code.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.core.numbers import fmt_number
from dvk_cli.core.text import safe_text

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation

FONT = "DejaVu Sans"
COLORS = ["#2f6f9f", "#e0a030", "#5a9a5a", "#b5483c", "#7a5c99", "#6b8e9e"]
WIDTH_IN = 6.3  # fits the 16.5 cm text width of an A4 page with 30/15 mm margins


def chart_data(c: Consolidation) -> tuple[list[str], list[str], list[list[float]]]:
    """(unit names, field labels, values[field][unit]) of the units that
    reported at least one model by field; empty lists when there is none."""
    fields = [f for f in c.catalog.model_fields if f.code in c.per_unit.columns]
    if not fields or c.per_unit.empty:
        return [], [], []
    names, columns = [], []
    for code, info in c.units.items():
        if code not in c.per_unit.index:
            continue
        row = [c.per_unit.at[code, f.code] for f in fields]
        values = [0.0 if v is None or math.isnan(float(v)) else float(v) for v in row]
        if not any(values):
            continue
        names.append(safe_text(info.name))
        columns.append(values)
    if not names:
        return [], [], []
    by_field = [[col[i] for col in columns] for i in range(len(fields))]
    return names, [f.label for f in fields], by_field


def models_chart(c: Consolidation, path: Path | str, dpi: int = 200) -> Path | None:
    """Draw the chart to a PNG at `path`; None (and no file) when no unit
    reported models by field."""
    names, labels, values = chart_data(c)
    if not names:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    height = 1.2 + 0.3 * len(names)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(names)))
    left = [0.0] * len(names)
    for i, (label, row) in enumerate(zip(labels, values, strict=True)):
        ax.barh(ys, row, left=left, height=0.62, label=label, color=COLORS[i % len(COLORS)],
                edgecolor="white", linewidth=0.5)
        left = [a + b for a, b in zip(left, row, strict=True)]
    top = max(left) or 1
    for y, total in zip(ys, left, strict=True):
        ax.text(total + top * 0.01, y, fmt_number(total, 0), va="center", ha="left",
                fontsize=8, family=FONT)
    ax.set_yticks(ys, labels=names, fontsize=8, family=FONT, parse_math=False)
    ax.invert_yaxis()  # the first unit on top, as in the tables
    ax.set_xlim(0, top * 1.1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: fmt_number(x, 0)))
    for tick in ax.get_xticklabels():
        tick.set_fontfamily(FONT)
        tick.set_fontsize(8)
    ax.set_xlabel("Số mô hình", fontsize=8, family=FONT)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncol=min(4, len(labels)), frameon=False,
               prop={"family": FONT, "size": 8})
    path = Path(path)
    fig.savefig(path, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    return path
