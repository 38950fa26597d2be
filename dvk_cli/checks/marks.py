"""Which published figures include a value dvk suspects, and the mark each
one carries until the finding is closed (accepted or resolved).

A figure is suspect when it includes a value with an open error or warning
of a unit whose return is used: the indicator the finding names (for a rule
of the catalog, every code of the rule), and every computed indicator built
from those. A value that was not used (text that is not a number, a negative
number…) leaves its total short, so that total is marked too, and the unit's
cell shows the text as written ("rejected").

A sentence must not state parts and a whole that disagree without a mark:
`part_mismatches` finds the catalog's equalities (a total against the sum
of its parts) that the area's totals break although no unit's own return does
(a unit reported the whole but not all the parts); each gives an area mark
and an info finding.

Every output (Markdown, Word, workbook, terminal) takes its marks from
`marks_for`, so they never disagree. Pure functions over a consolidation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dvk_cli.checks.per_unit import check_rule, format_message, parse_comparison
from dvk_cli.core.findings import Finding
from dvk_cli.core.text import join_vi

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.catalog import Catalog, Check

MARK_WORD = "CẦN KIỂM TRA"
RULE_PARTS = "parts_total"
# Reading errors whose value was not used: the total is short by that value.
REJECTED_RULES = frozenset({"not_a_number", "negative", "fractional_count", "unit_of_measure",
                            "formula_no_value", "implausible"})
_BRIEF_MAX = 90
_CLAUSE_END = re.compile(r"[.;](?=\s|$)")


@dataclass(frozen=True)
class Mark:
    """One suspect value and the figures that include it."""

    number: int  # 1, 2, … in the order the marks are listed
    unit: str  # unit code; "" for the whole area (parts against a whole)
    unit_name: str
    brief: str  # a few words: what is suspect
    codes: frozenset[str]  # indicators whose published figures include the value
    finding: Finding | None = None  # None for an area mark

    @property
    def text(self) -> str:
        """'[CẦN KIỂM TRA: Huyện Bù Đăng – có thể ghi theo đồng thay vì triệu đồng]'."""
        return f"[{MARK_WORD}: {self.unit_name} – {self.brief}]"

    @property
    def tag(self) -> str:
        """The short form for a table cell: '[CẦN KIỂM TRA 1]'."""
        return f"[{MARK_WORD} {self.number}]"

    @property
    def note(self) -> str:
        """For a workbook comment: the unit, the return and cell, the finding."""
        f = self.finding
        if f is None:
            return f"{self.unit_name}: {self.brief}."
        where = f" ({f.where})" if f.where else ""
        return f"{self.unit_name}{where}: {f.message}"


@dataclass(frozen=True)
class Marks:
    """The marks of one consolidation, and the values that were not used."""

    marks: tuple[Mark, ...] = ()
    # (unit, code) -> the cell's text as written, for a value that was not used
    rejected: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Mark]:
        return iter(self.marks)

    def __len__(self) -> int:
        return len(self.marks)

    def __bool__(self) -> bool:
        return bool(self.marks)

    def on(self, code: str) -> tuple[Mark, ...]:
        """The marks of the area's figure for `code`."""
        return tuple(m for m in self.marks if code in m.codes)

    def on_unit(self, unit: str, code: str) -> tuple[Mark, ...]:
        """The marks of one unit's figure for `code`."""
        return tuple(m for m in self.marks if m.unit == unit and code in m.codes)


@dataclass(frozen=True)
class PartMismatch:
    """A catalog equality the area's totals break with no unit breaking it."""

    check: Check
    left: float
    right: float
    units: tuple[str, ...]  # units that reported some of the rule's codes but not all


def dependents(codes: set[str], catalog: Catalog) -> frozenset[str]:
    """`codes` and every computed indicator built from them (transitively)."""
    out = set(codes)
    changed = True
    while changed:
        changed = False
        for ind in catalog.computed:
            if ind.code not in out and out.intersection(ind.operands):
                out.add(ind.code)
                changed = True
    return frozenset(out)


def finding_codes(f: Finding, catalog: Catalog) -> frozenset[str]:
    """The indicators a finding is about: a catalog rule's codes, else its indicator."""
    check = next((c for c in catalog.checks if c.id == f.rule), None)
    if check is not None:
        codes = {c for c in check.codes if c in catalog.indicators}
    elif f.indicator in catalog.indicators:
        codes = {f.indicator}
    else:
        return frozenset()
    return dependents(codes, catalog)


def brief_of(f: Finding) -> str:
    """A few words for the mark: the finding's own brief, else its message's
    first clause (without a leading 'Unit: ')."""
    text = f.brief or f.message
    if not f.brief:
        text = _first_clause(text)
    text = text.strip().rstrip(".;:")
    if len(text) > _BRIEF_MAX:
        cut = text[:_BRIEF_MAX].rsplit(" ", 1)[0]
        text = cut.rstrip(",;:") + "…"
    return _lower(text)


def part_mismatches(c: Consolidation) -> list[PartMismatch]:
    """The catalog's equalities broken by the area's totals but by no unit's
    own figures: some unit reported the whole without all its parts."""
    out = []
    rules_broken_by_units = {f.rule for f in c.findings if f.unit}
    per_unit = c.per_unit
    for check in c.catalog.checks:
        if parse_comparison(check.expr)[1] != "==" or check.id in rules_broken_by_units:
            continue
        failed = check_rule(check, c.totals)
        if failed is None:
            continue
        codes = [code for code in check.codes if code in per_unit.columns]
        partial = []
        for unit in per_unit.index:
            present = per_unit.loc[unit, codes].notna()
            if present.any() and not present.all():
                partial.append(str(unit))
        out.append(PartMismatch(check, failed[0], failed[1], tuple(partial)))
    return out


def part_findings(c: Consolidation) -> list[Finding]:
    """An info finding for each part mismatch of the area's totals."""
    findings = []
    for m in part_mismatches(c):
        names = [c.units[u].name if u in c.units else u for u in m.units]
        text = format_message(m.check, m.left, m.right, c.totals)
        who = (f"; {join_vi(names)} báo cáo chưa đủ các phần nên các phần cộng lại không "
               "bằng tổng") if names else ""
        findings.append(Finding(
            "info", RULE_PARTS,
            f"Số liệu {c.organization.area or 'toàn địa bàn'}: {_lower(text)}{who}. Câu báo cáo "
            "nêu các số này được đánh dấu cần kiểm tra.",
            indicator=m.check.first_code,
            brief=_lower(text) + (f" ({join_vi(names)} chưa báo cáo đủ)" if names else "")))
    return findings


def marks_for(c: Consolidation) -> Marks:
    """Every mark of a consolidation, numbered in the order of its findings."""
    catalog = c.catalog
    marks: list[Mark] = []
    rejected: dict[tuple[str, str], str] = {}
    for f in c.findings:
        if not _about_used_return(f, c):
            continue
        if f.rule in REJECTED_RULES and f.indicator:
            rejected[(f.unit, f.indicator)] = f.value
        if not f.blocking:
            continue
        codes = finding_codes(f, catalog)
        if not codes:
            continue
        marks.append(Mark(len(marks) + 1, f.unit, c.units[f.unit].name, brief_of(f), codes, f))
    area = c.organization.area or "toàn địa bàn"
    for m in part_mismatches(c):
        names = [c.units[u].name if u in c.units else u for u in m.units]
        brief = _lower(format_message(m.check, m.left, m.right, c.totals))
        if names:
            brief += f" ({join_vi(names)} chưa báo cáo đủ các phần)"
        codes = dependents({code for code in m.check.codes if code in catalog.indicators},
                           catalog)
        marks.append(Mark(len(marks) + 1, "", area, brief, codes))
    return Marks(tuple(marks), rejected)


def _about_used_return(f: Finding, c: Consolidation) -> bool:
    """A finding about the return whose figures are summed for its unit (not
    about another file of the unit that was not used)."""
    info = c.units.get(f.unit) if f.unit else None
    return info is not None and f.file in ("", info.file)


def _first_clause(text: str) -> str:
    """Up to the first full stop or semicolon that ends a clause: after a
    lower-case letter or a closing bracket or quote, never inside a number
    ("1.271") or after an abbreviation ("TP. Đồng Xoài")."""
    for m in _CLAUSE_END.finditer(text):
        before = text[m.start() - 1] if m.start() else ""
        if before.islower() or before in ")”\"":
            return text[:m.start()]
    return text


def _lower(text: str) -> str:
    """The first letter in lower case, inside a sentence ("Tổng số…" -> "tổng
    số…"), unless the first word is an indicator code or an abbreviation ("UBND", "TP.")."""
    word = text.split(" ", 1)[0]
    if len(word) > 1 and word == word.upper():
        return text
    return text[:1].lower() + text[1:]
