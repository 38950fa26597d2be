"""Checks on one unit's figures: the catalog's rules and computed rows.

Warnings never change a number; they are listed for the clerk. Value-level
errors (text that is not a number, negative numbers, fractional counts) are
found by the reader, which then does not use the value.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping

from .catalog import Catalog, Check
from .findings import Finding
from .numbers import fmt_number

_OPS = {
    "==": operator.eq, "!=": operator.ne, "<=": operator.le,
    ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_SPLIT = re.compile(r"(==|!=|<=|>=|<|>)")
_TERM = re.compile(r"([+-]?)\s*([A-Z][A-Z0-9_]*|\d+(?:\.\d+)?)")
_TOLERANCE = 1e-6


class RuleSyntaxError(ValueError):
    pass


def parse_comparison(expr: str) -> tuple[str, str, str]:
    parts = _SPLIT.split(expr)
    if len(parts) != 3:
        raise RuleSyntaxError(f"biểu thức kiểm tra không hợp lệ: {expr!r}")
    left, op, right = (p.strip() for p in parts)
    return left, op, right


def evaluate_side(side: str, values: Mapping[str, float]) -> float | None:
    """Sum of +/- terms (codes or numbers); None if a code is missing."""
    text = side.replace(" ", "")
    if not text:
        raise RuleSyntaxError("vế trống trong biểu thức kiểm tra")
    pos, total = 0, 0.0
    for m in _TERM.finditer(text):
        if m.start() != pos:
            raise RuleSyntaxError(f"biểu thức không hợp lệ: {side!r}")
        sign, term = m.groups()
        if pos and not sign:
            raise RuleSyntaxError(f"thiếu dấu + hoặc - trong {side!r}")
        if term[0].isdigit():
            number = float(term)
        else:
            if term not in values:
                return None
            number = float(values[term])
        total += -number if sign == "-" else number
        pos = m.end()
    if pos != len(text):
        raise RuleSyntaxError(f"biểu thức không hợp lệ: {side!r}")
    return total


def holds(expr: str, values: Mapping[str, float]) -> tuple[bool, float, float] | None:
    """Evaluate 'LEFT op RIGHT'; None when a code is missing."""
    left, op, right = parse_comparison(expr)
    lv, rv = evaluate_side(left, values), evaluate_side(right, values)
    if lv is None or rv is None:
        return None
    if op == "==":
        ok = abs(lv - rv) <= _TOLERANCE
    elif op == "!=":
        ok = abs(lv - rv) > _TOLERANCE
    else:
        ok = _OPS[op](lv, rv)
    return ok, lv, rv


def check_rule(check: Check, values: Mapping[str, float]) -> tuple[float, float] | None:
    """The two sides' values when the check fails; None when it holds or is skipped."""
    if check.when:
        cond = holds(check.when, values)
        if cond is None or not cond[0]:
            return None
    result = holds(check.expr, values)
    if result is None or result[0]:
        return None
    return result[1], result[2]


def check_unit(
    catalog: Catalog,
    values: Mapping[str, float],
    cells: Mapping[str, tuple[str, str]],
    *,
    unit: str,
    file: str,
    computed_typed: Mapping[str, tuple[float, str, str]] | None = None,
) -> list[Finding]:
    """All rule findings for one unit's return.

    `cells` maps a code to (sheet, cell) for provenance; `computed_typed` maps
    a computed code to the (value, sheet, cell) typed in its row.
    """
    findings: list[Finding] = []
    for check in catalog.checks:
        failed = check_rule(check, values)
        if failed is None:
            continue
        code = check.first_code
        sheet, cell = cells.get(code, ("", ""))
        message = check.message.format(left=fmt_number(failed[0]), right=fmt_number(failed[1]))
        findings.append(Finding(check.severity, check.id, message, file=file, sheet=sheet,
                                cell=cell, unit=unit, indicator=code))
    for code, (typed, sheet, cell) in (computed_typed or {}).items():
        ind = catalog[code]
        expected = _recompute(ind, values)
        if expected is None or abs(expected - typed) > 0.05:
            shown = "không tính được do thiếu số liệu thành phần" if expected is None else fmt_number(expected)
            findings.append(Finding(
                "warning", "computed_typed",
                f"{ind.label} ({code}) là chỉ tiêu tính toán; số ghi trong ô ({fmt_number(typed)}) "
                f"khác số tính lại từ các thành phần ({shown}). dvk dùng số tính lại.",
                file=file, sheet=sheet, cell=cell, unit=unit, indicator=code))
    return findings


def _recompute(ind, values: Mapping[str, float]) -> float | None:
    if ind.operation == "sum":
        parts = [values[c] for c in ind.operands if c in values]
        return float(sum(parts)) if parts else None
    num, den = ind.operands
    if num in values and den in values and values[den]:
        return values[num] / values[den] * 100
    return None
