"""Checks on one unit's figures: the catalog's rules and computed rows.

Warnings never change a number; they are listed for the clerk. Value-level
errors (text that is not a number, an error value of the spreadsheet,
negative numbers, fractional counts, figures above the indicator's plausible
maximum — catalog `max`) are found by the reader, which then does not use
the value: what reaches these checks is finite and within its bound.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from dvk_cli.core.catalog import Catalog, Check
from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import MAGNITUDE, fmt_number

_OPS = {
    "==": operator.eq, "!=": operator.ne, "<=": operator.le,
    ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_SPLIT = re.compile(r"(==|!=|<=|>=|<|>)")
# One signed term of a side: a number, a code, or a number times a code.
_TERM = re.compile(r"([+-]?)([^+-]+)")
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"  # ASCII digits only: \d would take "١٠" for 10
_BODY = re.compile(rf"^(?:({_NUMBER})\*)?([A-Z][A-Z0-9_]*)(?:\*({_NUMBER}))?$|^({_NUMBER})$")
_TOLERANCE = 1e-6

# What a rule does when codes it uses were not reported (DHIS2's missing value
# strategies, applied to each side; the rule is skipped when a side is):
#   skip_any  skip when any code of the side is missing (the default)
#   skip_all  skip only when every code of the side is missing; missing ones count as 0
#   zero      never skip; missing codes count as 0
MISSING_STRATEGIES = ("skip_any", "skip_all", "zero")


class RuleSyntaxError(ValueError):
    pass


@lru_cache(maxsize=1024)  # the same few rules are evaluated for every unit
def parse_comparison(expr: str) -> tuple[str, str, str]:
    parts = _SPLIT.split(expr)
    if len(parts) != 3:
        raise RuleSyntaxError(f"biểu thức kiểm tra không hợp lệ: {expr!r}")
    left, op, right = (p.strip() for p in parts)
    return left, op, right


@lru_cache(maxsize=1024)
def parse_side(side: str) -> tuple[tuple[float, str | None], ...]:
    """A side as (factor, code) terms; code None for a constant:

    'A_B + C_D', '10 * A_B', 'A_B - 2', '0.5 * A_B + C_D'.
    """
    text = re.sub(r"\s+", "", side)
    if not text:
        raise RuleSyntaxError("vế trống trong biểu thức kiểm tra")
    terms: list[tuple[float, str | None]] = []
    pos = 0
    for m in _TERM.finditer(text):
        if m.start() != pos:
            raise RuleSyntaxError(f"biểu thức không hợp lệ: {side!r}")
        sign, body = m.groups()
        if pos and not sign:
            raise RuleSyntaxError(f"thiếu dấu + hoặc - trong {side!r}")
        b = _BODY.match(body)
        if not b:
            raise RuleSyntaxError(f"không hiểu “{body}” trong {side!r} (chỉ dùng mã chỉ tiêu, số, "
                                  "dấu + - và phép nhân với một số, ví dụ 10 * MA_SO)")
        before, code, after, constant = b.groups()
        factor = float(before or after or constant or 1)
        if factor >= MAGNITUDE:  # "1" * 400 is inf as a float
            raise RuleSyntaxError(f"số “{_short(before or after or constant)}” trong {_short(side)!r} "
                                  "quá lớn (từ 10^15 trở lên)")
        terms.append((-factor if sign == "-" else factor, None if constant else code))
        pos = m.end()
    if pos != len(text):
        raise RuleSyntaxError(f"biểu thức không hợp lệ: {side!r}")
    return tuple(terms)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _present(values: Mapping[str, float], code: str) -> bool:
    value = values.get(code)
    return value is not None and value == value  # NaN is "not reported"


@lru_cache(maxsize=1024)
def _codes_of(side: str) -> int:
    """How many terms of a side are codes (parse_side's, cached)."""
    return sum(1 for _, code in parse_side(side) if code)


def evaluate_side(side: str, values: Mapping[str, float], missing: str = "skip_any") -> float | None:
    """Sum of the side's terms; None when the missing-value strategy skips it."""
    return _side_value((parse_side(side), _codes_of(side)), values, missing)


def holds(expr: str, values: Mapping[str, float],
          missing: str = "skip_any") -> tuple[bool, float, float] | None:
    """Evaluate 'LEFT op RIGHT'; None when a side is skipped for missing codes."""
    return _holds(_plan(expr), values, missing)


# A comparison made ready to run: each side's terms and how many are codes, and the operator.
_Side = tuple[tuple[tuple[float, "str | None"], ...], int]
_Plan = tuple[_Side, str, _Side]


@lru_cache(maxsize=1024)
def _plan(expr: str) -> _Plan:
    left, op, right = parse_comparison(expr)
    return (parse_side(left), _codes_of(left)), op, (parse_side(right), _codes_of(right))


def _side_value(side: _Side, values: Mapping[str, float], missing: str) -> float | None:
    """A planned side's sum, in the order of its terms; None when skipped."""
    terms, codes = side
    total = 0.0
    reported = 0
    for factor, code in terms:
        if code is None:
            total += factor
            continue
        value = values.get(code)
        if value is None or value != value:  # NaN is "not reported"
            continue
        reported += 1
        total += factor * float(value)
    if codes and missing != "zero":
        if missing == "skip_all" and not reported:
            return None
        if missing != "skip_all" and reported < codes:
            return None
    return total


def _holds(plan: _Plan, values: Mapping[str, float],
           missing: str) -> tuple[bool, float, float] | None:
    """A planned comparison: (holds, left, right); None when a side is skipped."""
    left, op, right = plan
    lv = _side_value(left, values, missing)
    if lv is None:
        return None
    rv = _side_value(right, values, missing)
    if rv is None:
        return None
    return _compare(op, lv, rv), lv, rv


def check_rule(check: Check, values: Mapping[str, float]) -> tuple[float, float] | None:
    """The two sides' values when the check fails; None when it holds or is
    skipped. The rules are planned once (parsed, codes counted) and run for
    every unit of a run: 3,321 units x 25 rules."""
    missing = getattr(check, "missing", "skip_any")
    if check.when:
        cond = _holds(_plan(check.when), values, missing)
        if cond is None or not cond[0]:
            return None
    result = _holds(_plan(check.expr), values, missing)
    if result is None or result[0]:
        return None
    return result[1], result[2]


def _compare(op: str, lv, rv):
    """Whether `lv op rv` holds (== and != within _TOLERANCE): for two
    floats, or elementwise for two numpy columns (failed_checks)."""
    if op == "==":
        return abs(lv - rv) <= _TOLERANCE
    if op == "!=":
        return abs(lv - rv) > _TOLERANCE
    return _OPS[op](lv, rv)


def failed_checks(checks: Sequence[Check], figures: Sequence[Mapping[str, float]]
                  ) -> list[list[tuple[Check, float, float]]]:
    """`check_rule` of every check on every unit's figures, for a whole run:
    for each unit (in the order of `figures`), the checks that fail, in their
    order, with their two sides' values. Each rule runs once over a table of
    the run's figures (units x the rules' codes, NaN = not reported), not once
    per unit (3,321 units x 25 rules), with the same arithmetic: each side's
    terms added one after the other in float64, as `_side_value` adds them."""
    import numpy as np

    plans = [(check, _plan(check.expr), _plan(check.when) if check.when else None)
             for check in checks]
    # the codes the plans read (Check.codes would miss a one-letter code)
    column: dict[str, int] = {}
    for _, expr, when in plans:
        for code in _plan_codes(expr) + (_plan_codes(when) if when is not None else []):
            column.setdefault(code, len(column))
    table = np.full((len(figures), len(column)), np.nan)
    for i, values in enumerate(figures):
        for code, value in values.items():
            j = column.get(code)
            if j is not None and value is not None:
                table[i, j] = float(value)
    failed: list[list[tuple[Check, float, float]]] = [[] for _ in figures]
    with np.errstate(invalid="ignore", over="ignore"):  # as Python's floats: inf, nan, no warning
        for check, expr, when in plans:
            missing = getattr(check, "missing", "skip_any")
            ok, skipped, left, right = _column_holds(expr, table, column, missing)
            failing = ~ok & ~skipped
            if when is not None:
                cond, cond_skipped, _, _ = _column_holds(when, table, column, missing)
                failing &= cond & ~cond_skipped
            for i in np.flatnonzero(failing).tolist():
                failed[i].append((check, float(left[i]), float(right[i])))
    return failed


def _plan_codes(plan: _Plan) -> list[str]:
    return [code for terms, _ in (plan[0], plan[2]) for _, code in terms if code is not None]


def _column_holds(plan: _Plan, table, column: Mapping[str, int], missing: str):
    """`_holds` for every row of `table`: whether the comparison holds, where
    it is skipped (either side is), and the two sides' values."""
    left, op, right = plan
    lv, left_skipped = _column_side(left, table, column, missing)
    rv, right_skipped = _column_side(right, table, column, missing)
    return _compare(op, lv, rv), left_skipped | right_skipped, lv, rv


def _column_side(side: _Side, table, column: Mapping[str, int], missing: str):
    """`_side_value` for every row of `table`: the sums, and where the side is skipped."""
    import numpy as np

    terms, codes = side
    total = np.zeros(len(table))
    reported = np.zeros(len(table), dtype=np.int64)
    for factor, code in terms:
        if code is None:
            total = total + factor
            continue
        values = table[:, column[code]]
        present = ~np.isnan(values)
        total = np.where(present, total + factor * values, total)
        reported += present
    skipped = np.zeros(len(table), dtype=bool)
    if codes and missing != "zero":
        skipped = reported == 0 if missing == "skip_all" else reported < codes
    return total, skipped


def format_message(check: Check, left: float, right: float, values: Mapping[str, float]) -> str:
    """The check's message with {left}, {right} and {CODE} (the rule's codes) filled in."""
    fields = {code: fmt_number(values[code]) if _present(values, code) else "trống"
              for code in check.codes}
    fields.update(left=fmt_number(left), right=fmt_number(right))
    return fill_fields(check.message, fields)


def fill_fields(message: str, fields: Mapping[str, str]) -> str:
    """`message` with each {name} replaced by fields[name]. A message comes
    from dvk.toml: only plain names are allowed — no attribute or index
    ("{left.__class__}"), no conversion, no format spec ("{left:>300000000}")
    — else ValueError; an unknown name is a KeyError."""
    import string

    out = []
    for literal, name, spec, conversion in string.Formatter().parse(message):
        out.append(literal)
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"chỉ dùng tên trong ngoặc nhọn, không thêm gì khác: {{{name}"
                             f"{'!' + conversion if conversion else ''}"
                             f"{':' + spec if spec else ''}}}")
        out.append(fields[name])
    return "".join(out)


def check_unit(
    catalog: Catalog,
    values: Mapping[str, float],
    cells: Mapping[str, tuple[str, str]],
    *,
    unit: str,
    file: str,
    computed_typed: Mapping[str, tuple[float, str, str]] | None = None,
    failed: Sequence[tuple[Check, float, float]] | None = None,
) -> list[Finding]:
    """All rule findings for one unit's return.

    `cells` maps a code to (sheet, cell) for provenance; `computed_typed` maps
    a computed code to the (value, sheet, cell) typed in its row; `failed`:
    the unit's failed checks as `failed_checks` found them for the whole run
    (None: each check of the catalog is run here).
    """
    if failed is None:
        failed = [(check, *result) for check in catalog.checks
                  if (result := check_rule(check, values)) is not None]
    findings: list[Finding] = []
    for check, left, right in failed:
        # The cell of the first code the unit reported (with missing = "zero"
        # the first code of the rule may be blank).
        code = next((c for c in check.codes if c in cells), check.first_code)
        sheet, cell = cells.get(code, ("", ""))
        message = format_message(check, left, right, values)
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
