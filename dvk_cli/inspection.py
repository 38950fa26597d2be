"""`dvk inspect FILE`: how dvk reads one file — which cell became which
indicator and how it was recognised — so a clerk can check a layout, or
write a mapping file for one dvk cannot read, in minutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dvk_cli.core.catalog import Catalog, catalog_for
from dvk_cli.core.config import Config, find_config, load_config
from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import readable_path
from dvk_cli.core.findings import Finding, sort_findings
from dvk_cli.core.numbers import fmt_number
from dvk_cli.reading.dispatch import read_return
from dvk_cli.reading.returns import ReturnData


@dataclass
class ReturnView:
    """One return found in the file (a wide table holds several)."""

    part: str
    unit_text: str
    unit_cell: str
    unit: str  # "DONGXOAI – Thành phố Đồng Xoài", or the problem
    period_text: str
    period_cell: str
    period: str
    values: list[dict] = field(default_factory=list)
    models: int = 0


@dataclass
class Inspection:
    path: str
    layout: str
    sheet: str
    mapping: str
    returns: list[ReturnView]
    findings: list[Finding]
    legacy_cells: int = 0
    legacy_encodings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "file": self.path, "layout": self.layout, "sheet": self.sheet, "mapping": self.mapping,
            "returns": [r.__dict__ for r in self.returns],
            "findings": [f.to_dict() for f in self.findings],
            "legacy_cells": self.legacy_cells,
            "legacy_encodings": self.legacy_encodings,
        }


def _raw_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def inspect_file(path: Path, *, config_path: Path | None = None,
                 mapping_path: Path | None = None) -> Inspection:
    """Read one file exactly as `dvk aggregate` would, and describe the reading."""
    from dvk_cli.reading.identify import identify_period, identify_unit
    from dvk_cli.reading.mapping import Mapping, load_mapping, mappings_for_files
    from dvk_cli.reading.wide import expand_wide

    if not path.is_file():
        raise UsageError(f"Không tìm thấy tệp “{path}”.")
    config: Config = load_config(find_config([path], config_path))
    catalog: Catalog = catalog_for(config)
    mapping: Mapping | None
    if mapping_path is not None:
        mapping = load_mapping(mapping_path, catalog)
    else:
        mapping = mappings_for_files([path], config, catalog).get(path)
    data: ReturnData = read_return(path, catalog, str(path), mapping)
    findings = list(data.findings) if not data.parts else []
    views = []
    table_findings: list[Finding] = []
    for part in expand_wide([data], table_findings) if data.readable else []:
        unit, problem = identify_unit(part, config)
        period, p_problem = identify_period(part)
        findings.extend(f for f in (problem, p_problem) if f)
        if part is not data:
            findings.extend(part.findings)
        view = ReturnView(
            part=part.part,
            unit_text=part.unit_text or part.unit_code_text,
            unit_cell=part.header_cells.get("unit", part.header_cells.get("code", "")),
            unit=f"{unit.code} – {unit.name}" if unit else "không xác định",
            period_text=part.period_text,
            period_cell=part.header_cells.get("period", ""),
            period=period.label if period else "không xác định",
            models=len(part.models),
        )
        for v in sorted(part.values + part.computed, key=lambda v: (v.sheet, _order(v.cell))):
            ind = catalog[v.code]
            view.values.append({
                "sheet": v.sheet, "cell": v.cell, "raw": _raw_text(v.raw), "label": v.label,
                "indicator": v.code, "indicator_label": ind.label, "value": v.value,
                "shown": f"{fmt_number(v.value, 6)} {ind.unit}", "how": v.how, "note": v.note,
                "computed": ind.computed,
            })
        views.append(view)
    findings.extend(table_findings)
    return Inspection(
        path=readable_path(str(path)), layout=data.layout or "không đọc được", sheet=data.sheet,
        mapping=mapping.path if mapping else "", returns=views, findings=sort_findings(findings),
        legacy_cells=len(data.legacy_cells),
        legacy_encodings=sorted({e for *_, e in data.legacy_cells}),
    )


def _order(ref: str) -> tuple[int, str]:
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):] or 0), letters
