"""Sign-off: a finding stays open until the unit resends a return that no
longer raises it (resolved) or the clerk accepts it with a reason (dvk
accept); a period is locked only when nothing is open (DHIS2's follow-up and
data approval, in our words).

A finding is known across runs by its key: unit, rule, indicator, cell and
the SHA-256 of the return it is about. An acceptance holds for that key
only: when the unit sends other figures, the finding is open again, because
what the clerk checked is no longer what is summed.

`follow_up` gives a run's findings their status; `accept`, `unaccept`,
`acceptances` and `blocking` serve the commands (dvk_cli/history/commands.py).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dvk_cli.core.errors import UsageError
from dvk_cli.core.findings import BLOCKING, Acceptance, Finding, Status, sort_findings
from dvk_cli.history.store import FindingKey, StoredAcceptance, StoredFinding

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Catalog
    from dvk_cli.core.periods import Period
    from dvk_cli.history.store import Store


def current_user() -> str:
    """The OS user who accepts or locks (recorded in the store)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without passwd entry
        return os.environ.get("USERNAME") or os.environ.get("USER") or "?"


def finding_key(f: Finding, shas: Mapping[str, str]) -> FindingKey:
    """(unit, rule, indicator, cell, SHA-256 of the finding's file)."""
    return (f.unit, f.rule, f.indicator, f.cell, shas.get(f.file, ""))


def acceptance_of(a: StoredAcceptance) -> Acceptance:
    return Acceptance(why=a.why, by=a.by, at=a.at)


def accepted_finding(a: StoredAcceptance) -> Finding:
    """The finding an acceptance is about, as it was when accepted."""
    return Finding(a.severity or "warning", a.rule, a.message or "", cell=a.cell, unit=a.unit,
                   indicator=a.indicator, status=Status.ACCEPTED, accepted=acceptance_of(a))


@dataclass(frozen=True)
class FollowUp:
    """A run's findings with their status, and those no longer raised."""

    findings: list[Finding]
    resolved: list[Finding]
    keys: list[tuple[FindingKey, Finding]]  # as recorded in the store


def follow_up(findings: Iterable[Finding], shas: Mapping[str, str],
              accepted: Iterable[StoredAcceptance], previous: Iterable[StoredFinding],
              scope: set[str]) -> FollowUp:
    """Accepted errors and warnings take their acceptance; an earlier finding
    of a unit in `scope` (the units this run read; "" for findings of no
    unit) that this run does not raise is resolved."""
    by_key = {a.key: a for a in accepted}
    out: list[Finding] = []
    keys: list[tuple[FindingKey, Finding]] = []
    for f in findings:
        key = finding_key(f, shas)
        found = by_key.get(key)
        if found is not None and f.severity in BLOCKING:
            f = replace(f, status=Status.ACCEPTED, accepted=acceptance_of(found))
        out.append(f)
        keys.append((key, f))
    raised = {key for key, _ in keys}
    resolved = [
        Finding(old.severity, old.rule, old.message, file=old.file or "", sheet=old.sheet or "",
                cell=old.cell, unit=old.unit, indicator=old.indicator, impact=old.impact,
                status=Status.RESOLVED)
        for old in previous if old.key not in raised and old.unit in scope
    ]
    return FollowUp(sort_findings(out), resolved, keys)


# ------------------------------------------------------------------ commands

def _stored_finding(f: StoredFinding) -> Finding:
    return Finding(f.severity, f.rule, f.message, file=f.file or "", sheet=f.sheet or "",
                   cell=f.cell, unit=f.unit, indicator=f.indicator, impact=f.impact)


def blocking(store: Store, period: Period) -> list[Finding]:
    """The errors and warnings the latest run of `period` left open (not accepted)."""
    accepted = {a.key for a in store.acceptances(period.code)}
    return [_stored_finding(f) for f in store.period_findings(period.code)
            if f.severity in BLOCKING and f.key not in accepted]


def _matches(f: StoredFinding | StoredAcceptance, indicator: str | None, rule: str | None,
             catalog: Catalog) -> bool:
    if rule is not None and f.rule.lower() != rule.lower():
        return False
    if indicator is not None:
        check = next((c for c in catalog.checks if c.id == f.rule), None)
        codes = set(check.codes) if check is not None else set()
        if f.indicator != indicator and indicator not in codes:
            return False
    return True


def _describe(f: StoredFinding | StoredAcceptance) -> str:
    where = f" ô {f.cell}" if f.cell else ""
    what = f.indicator or f.rule
    return f"{what}{where} ({f.rule}): {f.message}"


def accept(store: Store, period: Period, unit: str, unit_name: str, *, indicator: str | None,
           rule: str | None, why: str, catalog: Catalog) -> list[tuple[Finding, Acceptance]]:
    """Accept the open errors and warnings of `unit` in `period` that match
    `indicator` and/or `rule`; UsageError when none does (naming those open)."""
    why = why.strip()
    if not why:
        raise UsageError("Hãy ghi lý do chấp nhận: dvk accept ĐƠN_VỊ --period KỲ --indicator MÃ "
                         "--why \"đã xác minh với đơn vị …\".")
    if indicator is None and rule is None:
        raise UsageError("Hãy chọn vấn đề cần chấp nhận bằng --indicator MÃ hoặc --rule QUY_TẮC.")
    accepted = {a.key for a in store.acceptances(period.code)}
    open_ones = [f for f in store.period_findings(period.code)
                 if f.unit == unit and f.severity in BLOCKING and f.key not in accepted]
    chosen = [f for f in open_ones if _matches(f, indicator, rule, catalog)]
    if not chosen:
        asked = " ".join(part for part in (f"--indicator {indicator}" if indicator else "",
                                           f"--rule {rule}" if rule else "") if part)
        if open_ones:
            listing = "; ".join(_describe(f) for f in open_ones[:10])
            raise UsageError(f"{unit_name} không có vấn đề nào đang mở trong {period.label} khớp "
                             f"{asked}. Các vấn đề đang mở của đơn vị: {listing}")
        raise UsageError(f"{unit_name} không có lỗi hay cảnh báo nào đang mở trong {period.label} "
                         "(theo lần dvk aggregate gần nhất của kỳ này).")
    by = current_user()
    out = []
    with store.transaction():
        for f in chosen:
            at = store.accept(f, why, by)
            out.append((_stored_finding(f), Acceptance(why=why, by=by, at=at)))
    return out


def unaccept(store: Store, period: Period, unit: str, unit_name: str, *,
             indicator: str | None, rule: str | None, catalog: Catalog) -> list[StoredAcceptance]:
    """Take back the acceptances of `unit` in `period` that match; UsageError when none does."""
    if indicator is None and rule is None:
        raise UsageError("Hãy chọn chấp nhận cần bỏ bằng --indicator MÃ hoặc --rule QUY_TẮC.")
    chosen = [a for a in store.acceptances(period.code)
              if a.unit == unit and _matches(a, indicator, rule, catalog)]
    if not chosen:
        raise UsageError(f"{unit_name} không có vấn đề nào đã chấp nhận trong {period.label} khớp "
                         "điều kiện đã chọn (xem dvk accept --list --period "
                         f"{period.code}).")
    by = current_user()
    with store.transaction():
        for a in chosen:
            store.revoke(a.id, by)
    return chosen
