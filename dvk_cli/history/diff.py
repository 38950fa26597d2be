"""What changed between a unit's two latest submissions for a period, cell by cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import Period
from dvk_cli.history.store import (
    KIND_RETURN,
    Store,
    StoredValue,
    Submission,
)

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Catalog


@dataclass
class CellChange:
    indicator: str
    label: str
    old: float | int | None
    new: float | int | None
    old_cell: str
    new_cell: str
    old_text: str = ""  # a value the unit typed that was not used ("khoảng 30"), as written
    new_text: str = ""


@dataclass
class SubmissionDiff:
    unit: str
    period: Period
    old: Submission
    new: Submission
    changes: list[CellChange]
    models_added: list[str]
    models_removed: list[str]

    def to_dict(self) -> dict:
        def sub(s: Submission) -> dict:
            return {"id": s.id, "file": s.file, "sha256": s.sha256, "read_at": s.read_at,
                    "status": s.status}

        return {
            "unit": self.unit, "period": self.period.code,
            "old": sub(self.old), "new": sub(self.new),
            "changes": [c.__dict__ for c in self.changes],
            "models_added": self.models_added, "models_removed": self.models_removed,
        }


def _where(v: StoredValue | None) -> str:
    if v is None:
        return ""
    return f"{v.sheet}!{v.cell}" if v.sheet else v.cell


def _rejected(store: Store, submission_id: int) -> dict[str, tuple[str, str]]:
    """{indicator: (text as written, cell)} of the values a stored return held
    that were not used (not a number, negative …), from its reading findings."""
    from dvk_cli.checks.marks import REJECTED_RULES

    out: dict[str, tuple[str, str]] = {}
    for f in store.submission_findings(submission_id):
        if f["rule"] in REJECTED_RULES and f["indicator"] and f["value"]:
            where = f"{f['sheet']}!{f['cell']}" if f["sheet"] else f["cell"]
            out.setdefault(f["indicator"], (str(f["value"]), where))
    return out


def diff_latest(store: Store, unit: str, period: Period, catalog: Catalog) -> SubmissionDiff:
    """What changed, cell by cell, between a unit's two latest submissions for a period."""
    subs = store.submissions(unit=unit, period=period.code, kind=KIND_RETURN)
    if len(subs) < 2:
        raise UsageError(
            f"Đơn vị {unit} có {len(subs)} lần nộp báo cáo {period.label} trong kho lịch sử; "
            "cần ít nhất hai lần nộp để so sánh."
        )
    old, new = subs[-2], subs[-1]
    before = {v.indicator: v for v in store.values(old.id)}
    after = {v.indicator: v for v in store.values(new.id)}
    rejected_before, rejected_after = _rejected(store, old.id), _rejected(store, new.id)
    order = {code: i for i, code in enumerate(catalog.indicators)}
    changes = []
    codes = set(before) | set(after) | set(rejected_before) | set(rejected_after)
    for code in sorted(codes, key=lambda c: (order.get(c, len(order)), c)):
        a, b = before.get(code), after.get(code)
        ra, rb = rejected_before.get(code, ("", "")), rejected_after.get(code, ("", ""))
        if (a.value if a else None, ra[0]) == (b.value if b else None, rb[0]):
            continue
        ind = catalog.indicators.get(code)
        changes.append(CellChange(code, ind.label if ind else code,
                                  a.value if a else None, b.value if b else None,
                                  _where(a) or ra[1], _where(b) or rb[1], ra[0], rb[0]))
    old_models = [str(m.get("name") or "") for m in store.models(old.id)]
    new_models = [str(m.get("name") or "") for m in store.models(new.id)]
    return SubmissionDiff(
        unit, period, old, new, changes,
        [m for m in new_models if m not in old_models],
        [m for m in old_models if m not in new_models],
    )
