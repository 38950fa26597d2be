"""Whose return, for which period: the unit from the header cells, the
registry of dvk.toml or the file name; the period from the header, the
title or the file name. Never guesses: each failure is a finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dvk_cli.core.config import Config
from dvk_cli.core.findings import Finding
from dvk_cli.core.periods import Period, parse_period, period_from_filename
from dvk_cli.core.units import UnitInfo, ascii_key
from dvk_cli.reading.returns import ReturnData


def identify_unit(data: ReturnData, config: Config) -> tuple[UnitInfo | None, Finding | None]:
    registry = config.registry
    where: dict[str, Any] = {"file": data.path, "sheet": data.sheet}
    if not registry:
        code = data.unit_code_text.strip().upper()
        name = data.unit_text.strip()
        if not code and name:
            code = ascii_key(name).upper().replace(" ", "")
        if not code:
            return None, Finding(
                "error", "unit_unknown",
                f"Tệp {data.path}: không xác định được đơn vị báo cáo (ô “Đơn vị báo cáo” và “Mã đơn vị” để trống).",
                cell=data.header_cells.get("unit", ""), **where)
        return UnitInfo(code, name or code, "", data.path), None

    by_code = registry.get(data.unit_code_text) if data.unit_code_text else None
    by_name = registry.match(data.unit_text) if data.unit_text else None
    if data.unit_code_text and by_code is None:
        return None, Finding(
            "error", "unit_unknown",
            f"Tệp {data.path}: mã đơn vị “{data.unit_code_text}” không có trong danh sách đơn vị của dvk.toml.",
            cell=data.header_cells.get("code", ""), **where)
    if by_code and by_name and by_name.unit and by_name.unit is not by_code:
        return None, Finding(
            "error", "unit_conflict",
            f"Tệp {data.path}: mã đơn vị {by_code.code} ({by_code.name}) không khớp với tên đơn vị "
            f"“{data.unit_text}” ({by_name.unit.name}).",
            cell=data.header_cells.get("unit", ""), **where)
    unit = by_code or (by_name.unit if by_name else None)
    if unit is None and by_name and by_name.candidates:
        names = ", ".join(u.name for u in by_name.candidates)
        return None, Finding(
            "error", "unit_ambiguous",
            f"Tệp {data.path}: tên đơn vị “{data.unit_text}” khớp với nhiều đơn vị ({names}); "
            "ghi rõ “Mã đơn vị” trong biểu.",
            cell=data.header_cells.get("unit", ""), **where)
    if unit is None and data.unit_text:
        return None, Finding(
            "error", "unit_unknown",
            f"Tệp {data.path}: đơn vị “{data.unit_text}” không có trong danh sách đơn vị của dvk.toml "
            "(kiểm tra tên hoặc thêm bí danh – aliases).",
            cell=data.header_cells.get("unit", ""), **where)
    if unit is None:
        m = registry.match_filename(Path(data.path).stem)
        unit = m.unit
        if unit is None:
            extra = (f" Tên tệp khớp với nhiều đơn vị: {', '.join(u.name for u in m.candidates)}."
                     if m.candidates else "")
            return None, Finding(
                "error", "unit_unknown",
                f"Tệp {data.path}: không xác định được đơn vị báo cáo (ô “Đơn vị báo cáo” trống và tên tệp "
                f"không chứa tên đơn vị nào).{extra}", **where)
    return UnitInfo(unit.code, unit.name, unit.group, data.path), None


def identify_period(data: ReturnData) -> tuple[Period | None, Finding | None]:
    if data.period_text:
        p = parse_period(data.period_text)
        if p is None:
            return None, Finding(
                "error", "period_unknown",
                f"Tệp {data.path}: không hiểu kỳ báo cáo “{data.period_text}” "
                "(ví dụ cách ghi: 2024, 6 tháng đầu năm 2024, Quý I/2024).",
                file=data.path, sheet=data.sheet, cell=data.header_cells.get("period", ""))
        return p, None
    p = period_from_filename(Path(data.path).stem)
    if p is None:
        return None, Finding(
            "error", "period_unknown",
            f"Tệp {data.path}: không xác định được kỳ báo cáo (ô “Kỳ báo cáo” trống, tên tệp không ghi kỳ).",
            file=data.path, sheet=data.sheet)
    return p, None
