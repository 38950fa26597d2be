"""Comparing a figure with an earlier period: which periods ("kỳ trước",
"cùng kỳ"), the change, and how to say it in Vietnamese ("tăng 128 mô hình,
11,8% so với năm 2023", "bằng cùng kỳ"). Pure: the figures come from the
history store (dvk_cli/history/compare.py), the phrases go to every output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dvk_cli.core.numbers import clean, fmt_figure, fmt_number, fmt_percent
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.core.text import join_vi

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Catalog, Indicator

PREVIOUS = "previous"


SAME_LAST_YEAR = "same_period_last_year"

# A basis note names at most this many units ("A, B, C và 2 đơn vị khác");
# one more is named rather than counted.
MAX_NAMED_UNITS = 3


def previous_period(p: Period) -> Period:
    """The period of the same kind just before `p` (2024-Q1 -> 2023-Q4, 2024-9M -> 2023-9M)."""
    if p.kind == "H":
        return Period(p.year, "H", 1) if p.index == 2 else Period(p.year - 1, "H", 2)
    if p.kind == "Q":
        return Period(p.year, "Q", p.index - 1) if p.index > 1 else Period(p.year - 1, "Q", 4)
    if p.kind == "M":
        return Period(p.year, "M", p.index - 1) if p.index > 1 else Period(p.year - 1, "M", 12)
    return Period(p.year - 1, p.kind, p.index)  # a year, 9 months


def same_period_last_year(p: Period) -> Period:
    return Period(p.year - 1, p.kind, p.index)


def reference(key: str, current: Period, other: Period) -> str:
    """How the report names the period compared with: 'năm 2023', 'cùng kỳ năm 2023',
    'quý II năm 2024'."""
    if key == SAME_LAST_YEAR and current.kind != "Y":
        return f"cùng kỳ năm {other.year}"
    return other.label


def comparison_sets(compare: Mapping, period: Period) -> list[dict]:
    """The comparisons to show, each {"key", "title", "ref", "data"}. When the
    previous period is also the same period last year (a year, 9 months) it
    is shown once."""
    sets = []
    prev = compare.get(PREVIOUS)
    same = compare.get(SAME_LAST_YEAR)
    if prev and same and prev.get("period") == same.get("period"):
        other = _period(same["period"])
        sets.append({"key": SAME_LAST_YEAR, "title": f"Kỳ trước, cùng kỳ ({same['label']})",
                     "ref": reference(SAME_LAST_YEAR, period, other), "data": same})
        return sets
    for key, data, word in ((PREVIOUS, prev, "Kỳ trước"), (SAME_LAST_YEAR, same, "Cùng kỳ")):
        if data:
            other = _period(data["period"])
            sets.append({"key": key, "title": f"{word} ({data['label']})",
                         "ref": reference(key, period, other), "data": data})
    return sets


def _period(code: str) -> Period:
    p = parse_period(code)
    if p is None:  # codes in a comparison come from the store, which holds valid ones
        raise ValueError(f"invalid period code {code!r}")
    return p


def change(now: object, before: object, type_: str = "count") -> tuple[float | None, float | None]:
    """(difference, percent change) — None where it cannot be said. A
    percentage's change is its difference in points, with no percent of it."""
    if not _present(now) or not _present(before):
        return None, None
    a, b = float(now), float(before)  # type: ignore[arg-type]  # _present: both are numbers
    diff = clean(a - b)
    if type_ == "percent" or b == 0:
        return diff, None
    return diff, round((a - b) / abs(b) * 100, 6)


def _present(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        return not math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _amount(ind: Indicator, diff: float) -> str:
    amount = abs(diff)
    if ind.type == "percent":
        return f"{fmt_number(amount, 1)} điểm phần trăm"
    return fmt_figure(amount, ind)


def _movement(ind: Indicator, now: object, before: object) -> str | None:
    """'tăng 128 mô hình, 11,8%' / 'giảm 3 mô hình'; '' when equal, None when
    either value is missing."""
    diff, pct = change(now, before, ind.type)
    if diff is None:
        return None
    if diff == 0:
        return ""
    word = "tăng" if diff > 0 else "giảm"
    text = f"{word} {_amount(ind, diff)}"
    if pct is not None and abs(pct) >= 0.05:
        text += f", {fmt_percent(abs(pct))}"
    return text


def change_phrase(ind: Indicator, now: object, before: object, ref: str) -> str | None:
    """'tăng 128 mô hình, 11,8% so với năm 2023' / 'bằng cùng kỳ năm 2023' /
    'giảm 3 mô hình so với quý II năm 2024'; None when either value is missing."""
    movement = _movement(ind, now, before)
    if movement is None:
        return None
    return f"{movement} so với {ref}" if movement else f"bằng {ref}"


def comparison_clause(ind: Indicator, now: object, compare: Mapping, period: Period,
                      unit: str | None = None) -> str | None:
    """Every comparison of one figure, joined with '; ' (None when there is
    none). A comparison of totals whose basis is not complete (units that
    reported in one period only) says so in parentheses: basis_note."""
    parts = []
    for s in comparison_sets(compare, period):
        data = s["data"]
        source = data.get("per_unit", {}).get(unit, {}) if unit else data.get("totals", {})
        phrase = change_phrase(ind, now, source.get(ind.code), s["ref"])
        if not phrase:
            continue
        note = None if unit else basis_note(ind, data.get("basis"), s["ref"], period)
        parts.append(f"{phrase} ({note})" if note else phrase)
    return "; ".join(parts) or None


def basis_note(ind: Indicator, basis: Mapping | None, ref: str, period: Period) -> str | None:
    """What a comparison of totals leaves out (the basis add_basis gives,
    dvk_cli/history/compare.py): 'năm nay chưa có báo cáo của Huyện Lộc Ninh;
    so sánh trên cùng 10 đơn vị: tăng 12 mô hình, 1,5%'. None when the
    basis is complete or unknown."""
    if not basis or not basis.get("missing"):
        return None
    names = basis.get("names", {})
    parts = []
    if basis.get("only_before"):
        parts.append(f"{_this_period(period)} chưa có báo cáo của "
                     f"{_unit_names(basis['only_before'], names)}")
    if basis.get("only_now"):
        parts.append(f"{ref} chưa có báo cáo của {_unit_names(basis['only_now'], names)}")
    same = basis.get("like_for_like", {}).get(ind.code)
    if same:
        movement = _movement(ind, same.get("now"), same.get("before"))
        if movement is not None:
            parts.append(f"so sánh trên cùng {fmt_number(len(basis.get('units', [])), 0)} "
                         f"đơn vị: {movement or 'bằng ' + ref}")
    return "; ".join(parts) or None


def _this_period(period: Period) -> str:
    """The current period in a note: 'năm nay', 'quý này', 'tháng này', 'kỳ này'."""
    return {"Y": "năm nay", "Q": "quý này", "M": "tháng này"}.get(period.kind, "kỳ này")


def _unit_names(codes: list[str], names: Mapping[str, str]) -> str:
    """'Huyện Lộc Ninh', 'A, B và C', 'A, B, C và 2 đơn vị khác'."""
    shown = [names.get(code, code) for code in codes]
    if len(shown) > MAX_NAMED_UNITS + 1:
        rest = len(shown) - MAX_NAMED_UNITS
        shown = [*shown[:MAX_NAMED_UNITS], f"{fmt_number(rest, 0)} đơn vị khác"]
    return join_vi(shown)


_CODE_RE = re.compile(r"\{([^{}]*)\}")


def main_codes(catalog: Catalog) -> list[str]:
    """The headline indicator of each report sentence (its first figure outside
    [optional] parts), in catalog order: the indicators charted and compared."""
    out: list[str] = []
    for group in catalog.groups.values():
        for sentence in group.sentences:
            code = headline_code(sentence.text, catalog)
            if code and code not in out:
                out.append(code)
    return out


def headline_code(text: str, catalog: Catalog) -> str | None:
    plain = re.sub(r"\[[^\[\]]*\]", "", text)
    for name in _CODE_RE.findall(plain):
        if name.strip() in catalog.indicators:
            return name.strip()
    return None
