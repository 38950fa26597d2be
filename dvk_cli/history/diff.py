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
    order = {code: i for i, code in enumerate(catalog.indicators)}
    changes = []
    for code in sorted(set(before) | set(after), key=lambda c: (order.get(c, len(order)), c)):
        a, b = before.get(code), after.get(code)
        if a is not None and b is not None and a.value == b.value:
            continue
        ind = catalog.indicators.get(code)
        changes.append(CellChange(code, ind.label if ind else code,
                                  a.value if a else None, b.value if b else None,
                                  _where(a), _where(b)))
    old_models = [str(m.get("name") or "") for m in store.models(old.id)]
    new_models = [str(m.get("name") or "") for m in store.models(new.id)]
    return SubmissionDiff(
        unit, period, old, new, changes,
        [m for m in new_models if m not in old_models],
        [m for m in old_models if m not in new_models],
    )
