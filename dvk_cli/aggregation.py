"""Aggregation: from the tidy table of values read to province totals,
per-unit tables and the list of units that have not reported.

The tidy table (one row per unit × indicator, with its source file, sheet and
cell) is the heart of dvk; every wide table here is a view of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from dvk_cli.core.catalog import Catalog, Indicator
from dvk_cli.core.config import Config, Organization
from dvk_cli.core.findings import Finding, Status
from dvk_cli.core.numbers import clean
from dvk_cli.core.periods import Period
from dvk_cli.core.units import Unit, UnitInfo
from dvk_cli.core.unitstate import UnitState

if TYPE_CHECKING:  # pandas is imported lazily, only when a command needs it
    import pandas as pd

    from dvk_cli.reading.returns import ReturnData

# how: the row was recognised by its code (mã), its label (nhãn), a mapping
# file (ánh xạ …) or as a column of a wide table (bảng ngang); note: any
# conversion applied (unit of measure).
TIDY_COLUMNS = ["unit", "period", "indicator", "value", "file", "sheet", "cell", "how", "note"]
MODEL_COLUMNS = [
    "unit", "stt", "name", "field", "kind", "exemplary", "implementer", "note",
    "file", "sheet", "row",
]


class SourceStatus(StrEnum):
    """Whether a file read was used, or why not. The value is the text the
    sheet Nguồn and the report show; OTHER_PERIOD is shown with the file's
    period (Source.status_text: "khác kỳ (2023)")."""

    PENDING = ""  # not decided yet
    USED = "dùng"
    UNREADABLE = "không đọc được"
    UNIT_UNKNOWN = "không xác định được đơn vị"
    PERIOD_UNKNOWN = "không xác định được kỳ"
    OTHER_PERIOD = "khác kỳ"
    DUPLICATE = "trùng báo cáo"
    COPY = "bản sao (tính một lần)"
    SUPERSEDED = "không dùng: bản cũ đã được thay"
    PERIOD_LOCKED = "không dùng: kỳ đã khóa"
    NOT_THE_STORED = "không dùng: khác bản đã lưu"


@dataclass
class Source:
    """One file read, as listed on the sheet Nguồn."""

    path: str
    sha256: str
    unit: str = ""  # unit code, when identified
    unit_name: str = ""
    period: str = ""  # period code, when identified
    status: SourceStatus = SourceStatus.PENDING
    values: int = 0  # number of values read
    models: int = 0

    def __post_init__(self) -> None:
        self.status = SourceStatus(self.status)  # also from its text ("dùng")

    @property
    def used(self) -> bool:
        return self.status == SourceStatus.USED

    @property
    def status_text(self) -> str:
        """As shown to the user: "dùng", "trùng báo cáo", "khác kỳ (2023)"…"""
        if self.status == SourceStatus.OTHER_PERIOD:
            return f"{self.status} ({self.period})"
        return str(self.status)


@dataclass
class Consolidation:
    period: Period
    organization: Organization
    catalog: Catalog
    values: pd.DataFrame  # tidy: TIDY_COLUMNS, input values actually used
    models: pd.DataFrame  # MODEL_COLUMNS
    units: dict[str, UnitInfo]  # reporting units whose return was used, by code
    per_unit: pd.DataFrame  # index unit code, columns catalog codes (NaN = not reported)
    totals: dict[str, float | int]  # only indicators someone reported (incl. computed)
    reporting: dict[str, int]  # indicator -> number of units that reported it
    missing: list[Unit] = field(default_factory=list)  # registered, sent nothing
    # registered units that sent a return which could not be used (unreadable,
    # duplicate…): not "missing", the unit must fix and resend
    held: list[Unit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # open and accepted
    # findings an earlier run of this period raised and this run no longer does
    # (the unit resent a corrected return): status "resolved", listed, never counted
    resolved: list[Finding] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    registered: int = 0  # units in dvk.toml; 0 = no registry, so "missing" is unknown
    # the dvk.toml the run read (once), for what the outputs take from it ([report]);
    # None for a consolidation built outside a run (figures of a stored period)
    config: Config | None = None
    # Comparisons from the history store, when it has them:
    # {"previous": {"period": code, "label": "năm 2023", "totals": {code: value}},
    #  "same_period_last_year": {...}}; either key may be absent.
    compare: dict = field(default_factory=dict)
    # The history store's part in the run (dvk_cli/history.py): store path,
    # counts of new / unchanged / replaced / refused returns, lock, and
    # "trend": [{"period", "label", "totals"}] over the stored periods of this kind.
    history: dict = field(default_factory=dict)

    @property
    def expected(self) -> int:
        """Units expected to report: used, held back by errors, and missing."""
        return len(self.units) + len(self.held) + len(self.missing)

    @property
    def errors(self) -> list[Finding]:
        """Open errors (accepted ones are in `accepted`)."""
        return [f for f in self.findings if f.severity == "error" and f.open]

    @property
    def warnings(self) -> list[Finding]:
        """Open warnings (accepted ones are in `accepted`)."""
        return [f for f in self.findings if f.severity == "warning" and f.open]

    @property
    def accepted(self) -> list[Finding]:
        """Errors and warnings the clerk accepted (dvk accept), with their reasons."""
        return [f for f in self.findings if f.status == Status.ACCEPTED]

    def unit_figures(self) -> dict[str, dict[str, float | int]]:
        """Each unit's reported figures, {unit: {code: figure}} (NaN left out),
        from the per-unit table converted once: a row by .loc costs ~0.1 ms,
        and a national run has 10,000 rows."""
        columns = list(self.per_unit.columns)
        rows = self.per_unit.to_numpy(dtype=float, na_value=math.nan).tolist()
        return {unit: {k: clean(v) for k, v in zip(columns, row, strict=True) if not math.isnan(v)}
                for unit, row in zip(self.per_unit.index, rows, strict=True)}

    def unit_states(self) -> dict[str, UnitState]:
        """Each expected unit's state, by code: the units used (in their
        order), then those held back, then those missing."""
        errors: set[str] = set()
        warnings: set[str] = set()
        for f in self.findings:
            if f.unit and f.open:
                if f.severity == "error":
                    errors.add(f.unit)
                elif f.severity == "warning":
                    warnings.add(f.unit)
        states = {code: (UnitState.FIX if code in errors else
                         UnitState.REVIEW if code in warnings else UnitState.VALID)
                  for code in self.units}
        states.update((u.code, UnitState.HELD) for u in self.held)
        states.update((u.code, UnitState.MISSING) for u in self.missing)
        return states

    def state_summary(self) -> str:
        """'2/6 đơn vị hợp lệ, 1 đơn vị cần xem lại, 2 đơn vị cần sửa, 1 đơn vị
        chưa nộp' (and 'n tệp không dùng được' for files of no known unit): the
        one sentence every output says about who reported and how."""
        counts: dict[UnitState, int] = {}
        for state in self.unit_states().values():
            counts[state] = counts.get(state, 0) + 1
        parts = [f"{counts.get(UnitState.VALID, 0)}/{self.expected} đơn vị hợp lệ"]
        parts += [f"{counts[s]} đơn vị {s.label}" for s in UnitState
                  if s != UnitState.VALID and counts.get(s)]
        unidentified = {f.file for f in self.findings
                        if not f.unit and f.severity == "error" and f.open}
        if unidentified:
            parts.append(f"{len(unidentified)} tệp không dùng được")
        return ", ".join(parts)

    def exemplary_models(self) -> pd.DataFrame:
        return self.models[self.models["exemplary"]]


def pick_copy(group: list[tuple[ReturnData, UnitInfo]], period: Period, findings: list[Finding],
              sources: dict[str, Source]) -> tuple[ReturnData, UnitInfo] | None:
    """The one return of a unit among the files that hold it, when there is
    one: identical copies (same SHA-256) count once, with an info finding;
    files with different figures are a duplicate error and none is used
    (dvk never guesses which one the unit meant)."""
    distinct = {data.sha256: (data, unit) for data, unit in reversed(group)}
    if len(distinct) == 1:
        first = group[0]
        for data, unit in group[1:]:
            sources[data.key].status = SourceStatus.COPY
            findings.append(Finding(
                "info", "duplicate_copy",
                f"Tệp {data.path} giống hệt tệp {first[0].path} (cùng nội dung) của {unit.name}; "
                "số liệu chỉ tính một lần.",
                file=data.path, sheet=data.sheet, unit=unit.code))
        return first
    files_list = ", ".join(d.path for d, _ in group)
    for data, unit in group:
        sources[data.key].status = SourceStatus.DUPLICATE
        findings.append(Finding(
            "error", "duplicate_return",
            f"Đơn vị {unit.name} có {len(distinct)} báo cáo khác nhau cho {period.label} "
            f"({files_list}); dvk không tự chọn nên chưa tổng hợp báo cáo nào của đơn vị này. "
            "Hãy bỏ bớt tệp thừa rồi chạy lại.",
            file=data.path, sheet=data.sheet, unit=unit.code))
    return None


def compute_derived(wide: pd.DataFrame, indicators: list[Indicator]) -> pd.DataFrame:
    """Add computed indicators to a units × indicators table (NaN where unknown).

    Sums are absent only when every part is absent; ratios need both parts and
    a non-zero denominator.
    """
    for ind in indicators:
        ops = [c for c in ind.operands if c in wide.columns]
        if ind.operation == "sum":
            wide[ind.code] = wide[ops].sum(axis=1, min_count=1) if ops else math.nan
        elif ind.operation == "ratio":
            num, den = ind.operands
            if num in wide.columns and den in wide.columns:
                ratio = wide[num] / wide[den].where(wide[den] != 0) * 100
                wide[ind.code] = ratio
            else:
                wide[ind.code] = math.nan
    return wide


def consolidate(
    values: pd.DataFrame,
    models: pd.DataFrame,
    units: dict[str, UnitInfo],
    *,
    period: Period,
    organization: Organization,
    catalog: Catalog,
    registry_units: list[Unit],
    findings: list[Finding],
    sources: list[Source],
    config: Config | None = None,
) -> Consolidation:
    """Sum the usable values into totals; recompute ratios from their parts."""
    import pandas as pd

    inputs = [c for c in catalog.input_codes]
    if len(values):
        wide = values.pivot_table(
            index="unit", columns="indicator", values="value", aggfunc="sum"
        )
    else:
        wide = pd.DataFrame(index=pd.Index([], name="unit"))
    wide = wide.reindex(index=list(units), columns=inputs).astype("float64")
    wide = compute_derived(wide, catalog.computed)
    wide = wide[catalog.codes]

    totals: dict[str, float | int] = {}
    reporting: dict[str, int] = {}
    for code in inputs:
        col = wide[code]
        n = int(col.notna().sum())
        if n:
            totals[code] = clean(float(col.sum()))
            reporting[code] = n
    for ind in catalog.computed:
        if ind.operation == "sum":
            parts = [totals[c] for c in ind.operands if c in totals]
            if parts:
                totals[ind.code] = clean(float(sum(parts)))
                reporting[ind.code] = int(wide[ind.code].notna().sum())
        elif ind.operation == "ratio":
            num, den = ind.operands
            both = wide[num].notna() & wide[den].notna()
            if both.any():
                d = float(wide.loc[both, den].sum())
                if d:
                    totals[ind.code] = clean(float(wide.loc[both, num].sum()) / d * 100)
                    reporting[ind.code] = int(both.sum())

    registered_missing = [u for u in registry_units if u.code not in units]
    with_errors = {f.unit for f in findings if f.severity == "error" and f.unit}
    held = [u for u in registered_missing if u.code in with_errors]
    registered_missing = [u for u in registered_missing if u.code not in with_errors]
    return Consolidation(
        period=period,
        organization=organization,
        catalog=catalog,
        values=values,
        models=models,
        units=units,
        per_unit=wide,
        totals=totals,
        reporting=reporting,
        missing=registered_missing,
        held=held,
        findings=findings,
        sources=sources,
        registered=len(registry_units),
        config=config,
    )


def to_json(c: Consolidation) -> dict:
    """The machine-readable result (spec §5)."""

    figures = c.unit_figures()
    states = c.unit_states()
    return {
        "period": c.period.code,
        "period_label": c.period.label,
        "totals": dict(c.totals),
        "units": {
            code: {"name": info.name, "file": info.file, "state": str(states[code]),
                   "values": figures[code]}
            for code, info in c.units.items()
        },
        "missing": [u.code for u in c.missing],
        "held": [u.code for u in c.held],
        # every expected unit's state (core.unitstate), and the one sentence on them
        "unit_states": {code: str(state) for code, state in states.items()},
        "summary": c.state_summary(),
        "findings": [f.to_dict() for f in (*c.findings, *c.resolved)],
        "compare": c.compare,
        **({"history": c.history} if c.history else {}),
    }
