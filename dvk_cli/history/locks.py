"""Locking a period: a locked period takes no new data until it is unlocked, with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import Period
from dvk_cli.history.store import (
    Store,
    shown_time,
)

if TYPE_CHECKING:
    pass


def lock_period(store: Store, period: Period, reason: str = "") -> str:
    existing = store.lock_state(period.code)
    if existing:
        raise UsageError(f"Kỳ {period.label} đã khóa từ {shown_time(existing.locked_at)}.")
    with store.transaction():
        return store.lock(period.code, reason)


def unlock_period(store: Store, period: Period, reason: str) -> str:
    if not reason.strip():
        raise UsageError("Hãy ghi lý do mở khóa: dvk unlock KỲ --why \"…\".")
    if not store.lock_state(period.code):
        raise UsageError(f"Kỳ {period.label} chưa bị khóa.")
    with store.transaction():
        return store.unlock(period.code, reason.strip())
