"""Locking a period: a locked period takes no new data until it is unlocked, with a reason."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import Period
from dvk_cli.core.text import shown_time
from dvk_cli.history.store import Store

if TYPE_CHECKING:
    from dvk_cli.core.findings import Finding


def lock_period(store: Store, period: Period, reason: str = "", *, forced: bool = False,
                open_findings: tuple[Finding, ...] = ()) -> str:
    """Lock `period`; a forced lock records the findings that were still open.
    The lock is read again inside the transaction that writes it: of two
    clerks locking at once, the second is told the period is locked."""
    listing = json.dumps([f.to_dict() for f in open_findings], ensure_ascii=False) if forced else None
    with store.transaction():
        existing = store.lock_state(period.code)
        if existing:
            raise UsageError(f"Kỳ {period.label} đã khóa từ {shown_time(existing.locked_at)}.")
        return store.lock(period.code, reason, forced=forced, open_findings=listing)


def unlock_period(store: Store, period: Period, reason: str) -> str:
    if not reason.strip():
        raise UsageError("Hãy ghi lý do mở khóa: dvk unlock KỲ --why \"…\".")
    with store.transaction():
        if not store.lock_state(period.code):
            raise UsageError(f"Kỳ {period.label} chưa bị khóa.")
        return store.unlock(period.code, reason.strip())
