"""The history commands as functions: dvk history, diff, lock, unlock,
baseline and trend, each returning a typed, frozen result that the command
line only renders (dvk_cli/cli/history.py) and a script can use as it is.

The store is the dvk.sqlite beside the dvk.toml found from the current folder
(or `config`). Problems that stop a command raise UsageError (exit code 2).
Only light imports at module level: the store and the catalog load inside
the functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.core.errors import UsageError
from dvk_cli.core.findings import Acceptance, Finding

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Indicator
    from dvk_cli.core.periods import Period
    from dvk_cli.history.diff import CellChange
    from dvk_cli.history.store import Submission

EXIT_OK, EXIT_DATA = 0, 1


@dataclass(frozen=True)
class SubmissionsResult:
    """The submissions stored (of one unit and/or period, or all) and the lock events."""

    store: Path
    unit: str | None  # the unit code asked for, None: every unit
    period: Period | None  # the period asked for, None: every period
    submissions: tuple[Submission, ...]
    values: dict[int, int]  # submission id -> number of values stored
    names: dict[str, str]  # unit code -> name (dvk.toml; the area for baselines)
    locks: tuple[dict, ...]  # {"period", "action": lock | unlock, "at", "reason"}
    exit_code: int = EXIT_OK

    def unit_name(self, code: str) -> str:
        return self.names.get(code, code)

    def to_dict(self) -> dict:
        return {
            "store": str(self.store),
            "submissions": [{**s.__dict__, "values": self.values[s.id],
                             "unit_name": self.unit_name(s.unit)} for s in self.submissions],
            "locks": list(self.locks),
        }


@dataclass(frozen=True)
class DiffResult:
    """What changed, cell by cell, between a unit's two latest submissions for a period."""

    unit: str
    unit_name: str
    period: Period
    old: Submission
    new: Submission
    changes: tuple[CellChange, ...]
    models_added: tuple[str, ...]
    models_removed: tuple[str, ...]
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict:
        from dvk_cli.history.diff import SubmissionDiff

        return SubmissionDiff(self.unit, self.period, self.old, self.new, list(self.changes),
                              list(self.models_added), list(self.models_removed)).to_dict()


@dataclass(frozen=True)
class LockResult:
    """A period locked (or unlocked, or not locked because findings are open):
    when, why, in which store, and the errors and warnings still open."""

    period: Period
    locked: bool  # True: dvk lock (done); False: dvk unlock, or a lock refused
    at: str  # the store's timestamp ("" when refused)
    reason: str
    store: Path
    open: tuple[Finding, ...] = ()  # refused: what is open; forced: what was open
    forced: bool = False
    names: dict[str, str] = field(default_factory=dict)  # unit code -> name
    exit_code: int = EXIT_OK

    @property
    def refused(self) -> bool:
        return self.exit_code != EXIT_OK

    def to_dict(self) -> dict:
        return {"period": self.period.code, "locked": self.locked, "at": self.at,
                "reason": self.reason, "forced": self.forced, "store": str(self.store),
                "open": [f.to_dict() for f in self.open]}


@dataclass(frozen=True)
class AcceptResult:
    """Findings accepted (dvk accept), taken back (dvk unaccept) or listed
    (dvk accept --list): each with its acceptance (why, by, at)."""

    period: Period
    action: str  # accept | unaccept | list
    items: tuple[tuple[Finding, Acceptance], ...]
    store: Path
    names: dict[str, str] = field(default_factory=dict)  # unit code -> name
    exit_code: int = EXIT_OK

    def unit_name(self, code: str) -> str:
        return self.names.get(code, code)

    def to_dict(self) -> dict:
        return {"period": self.period.code, "action": self.action, "store": str(self.store),
                "findings": [{**f.to_dict(), "unit_name": self.unit_name(f.unit),
                              "accepted": {"by": a.by, "at": a.at, "why": a.why}}
                             for f, a in self.items]}


@dataclass(frozen=True)
class BaselineLoadResult:
    """A baseline loaded (or not): status new | replaced | unchanged | refused."""

    period: Period
    status: str
    values: int
    findings: tuple[Finding, ...]
    store: str
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict:
        return {"period": self.period.code, "status": self.status, "values": self.values,
                "store": self.store, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class TrendResult:
    """One indicator over the stored periods, of the whole area or one unit."""

    code: str
    indicator: Indicator
    unit: str | None  # unit code, None: the whole area
    who: str  # the unit's name, or the area ("toàn tỉnh")
    series: tuple[tuple[Period, float | int], ...] = field(default=())
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict:
        return {"indicator": self.code, "unit": self.unit,
                "series": [{"period": p.code, "label": p.label, "value": v}
                           for p, v in self.series]}


def submissions(unit: str | None = None, *, period: str | None = None,
                config: Path | None = None) -> SubmissionsResult:
    """The submissions in the store, of one unit (code or name) and/or one period."""
    from dvk_cli.history.lookup import find_store, parse_period_arg, resolve_unit, unit_names

    store, cfg = find_store(config)
    with store:
        code = resolve_unit(unit, cfg, store) if unit else None
        p = parse_period_arg(period) if period else None
        subs = store.submissions(unit=code, period=p.code if p else None)
        events = store.lock_events(p.code if p else None)
        counts = {s.id: len(store.values(s.id)) for s in subs}
    return SubmissionsResult(store=store.path, unit=code, period=p, submissions=tuple(subs),
                             values=counts, names=unit_names(cfg), locks=tuple(events))


def diff(unit: str, *, period: str, config: Path | None = None) -> DiffResult:
    """Compare a unit's two latest submissions for `period`, cell by cell."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.history.diff import diff_latest
    from dvk_cli.history.lookup import find_store, parse_period_arg, resolve_unit, unit_names

    store, cfg = find_store(config)
    with store:
        code = resolve_unit(unit, cfg, store)
        d = diff_latest(store, code, parse_period_arg(period), catalog_for(cfg))
    return DiffResult(unit=d.unit, unit_name=unit_names(cfg).get(code, code), period=d.period,
                      old=d.old, new=d.new, changes=tuple(d.changes),
                      models_added=tuple(d.models_added),
                      models_removed=tuple(d.models_removed))


def lock(period: str, *, why: str = "", force: bool = False,
         config: Path | None = None) -> LockResult:
    """Lock a period whose report is signed: later runs store nothing new for
    it. Refused (exit code 1, the open findings listed) while the period's
    latest dvk aggregate left errors or warnings open; force=True (with a
    reason) locks anyway and records what was open."""
    from dvk_cli.history.locks import lock_period
    from dvk_cli.history.lookup import find_store, parse_period_arg, unit_names
    from dvk_cli.history.signoff import blocking

    p = parse_period_arg(period)
    if force and not why.strip():
        raise UsageError("Khóa kỳ khi còn vấn đề chưa xử lý cần ghi lý do: dvk lock KỲ --force "
                         "--why \"…\".")
    store, cfg = find_store(config, create=True)
    names = unit_names(cfg)
    with store:
        store.check()
        # the open findings and the lock in one transaction: a dvk aggregate
        # that runs meanwhile either finished before (its findings count) or
        # waits; never a lock decided on findings a run has just changed
        with store.transaction():
            still_open = tuple(blocking(store, p))
            if still_open and not force:
                return LockResult(period=p, locked=False, at="", reason=why, store=store.path,
                                  open=still_open, names=names, exit_code=EXIT_DATA)
            at = lock_period(store, p, why.strip(), forced=bool(still_open),
                             open_findings=still_open)
    return LockResult(period=p, locked=True, at=at, reason=why.strip(), store=store.path,
                      open=still_open, forced=bool(still_open), names=names)


def accept(unit: str | None = None, *, period: str, indicator: str | None = None,
           rule: str | None = None, why: str = "", list_only: bool = False,
           config: Path | None = None) -> AcceptResult:
    """dvk accept: accept the open errors and warnings of `unit` in `period`
    that match `indicator` and/or `rule`, recording who, when and why; with
    list_only, list the period's accepted findings (of `unit`, if given)."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.history import signoff
    from dvk_cli.history.lookup import find_store, parse_period_arg, resolve_unit, unit_names

    p = parse_period_arg(period)
    store, cfg = find_store(config)
    names = unit_names(cfg)
    with store:
        code = resolve_unit(unit, cfg, store) if unit else None
        if not list_only:
            store.check()
        if list_only:
            items = tuple((signoff.accepted_finding(a), signoff.acceptance_of(a))
                          for a in store.acceptances(p.code) if code is None or a.unit == code)
            return AcceptResult(period=p, action="list", items=items, store=store.path,
                                names=names)
        if code is None:
            raise UsageError("Hãy ghi đơn vị: dvk accept ĐƠN_VỊ --period KỲ --indicator MÃ "
                             "--why \"…\" (hoặc dvk accept --list --period KỲ).")
        catalog = catalog_for(cfg)
        with store.transaction():  # what is open and its acceptance: one transaction
            done = signoff.accept(store, p, code, names.get(code, code),
                                  indicator=_code(indicator), rule=rule, why=why,
                                  catalog=catalog)
    return AcceptResult(period=p, action="accept", items=tuple(done), store=store.path,
                        names=names)


def unaccept(unit: str, *, period: str, indicator: str | None = None, rule: str | None = None,
             config: Path | None = None) -> AcceptResult:
    """dvk unaccept: take back acceptances; the findings are open again."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.history import signoff
    from dvk_cli.history.lookup import find_store, parse_period_arg, resolve_unit, unit_names

    p = parse_period_arg(period)
    store, cfg = find_store(config)
    names = unit_names(cfg)
    with store:
        store.check()
        code = resolve_unit(unit, cfg, store)
        catalog = catalog_for(cfg)
        with store.transaction():
            taken = signoff.unaccept(store, p, code, names.get(code, code),
                                     indicator=_code(indicator), rule=rule, catalog=catalog)
    items = tuple((signoff.accepted_finding(a), signoff.acceptance_of(a)) for a in taken)
    return AcceptResult(period=p, action="unaccept", items=items, store=store.path, names=names)


def _code(indicator: str | None) -> str | None:
    return indicator.strip().upper() if indicator else None


def unlock(period: str, *, why: str, config: Path | None = None) -> LockResult:
    """Unlock a period; the reason (required) and the time are kept in the store."""
    from dvk_cli.history.locks import unlock_period
    from dvk_cli.history.lookup import find_store, parse_period_arg

    p = parse_period_arg(period)
    store, _ = find_store(config)
    with store:
        store.check()
        at = unlock_period(store, p, why)
    return LockResult(period=p, locked=False, at=at, reason=why.strip(), store=store.path)


def load_baseline(file: Path | str, *, period: str | None = None, config: Path | None = None,
                  replace: bool = False) -> BaselineLoadResult:
    """Store the whole area's figures of a period before dvk (a filled blank form,
    or an earlier Biểu tổng hợp), to compare later periods with."""
    from dvk_cli.history import baselines

    loaded = baselines.load_baseline(Path(file), period=period, config_path=config,
                                  replace=replace)
    errors = any(f.severity == "error" for f in loaded.findings)
    return BaselineLoadResult(
        period=loaded.period, status=loaded.status, values=loaded.values,
        findings=tuple(loaded.findings), store=loaded.store,
        exit_code=EXIT_DATA if errors or loaded.status == "refused" else EXIT_OK)


def trend(code: str, *, unit: str | None = None, config: Path | None = None) -> TrendResult:
    """One indicator (by its code) over every stored period."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.history.lookup import find_store, resolve_unit, unit_names, unit_series

    store, cfg = find_store(config)
    with store:
        catalog = catalog_for(cfg)
        key = code.strip().upper()
        ind = catalog.indicators.get(key)
        if ind is None:
            raise UsageError(f"Không có chỉ tiêu mã “{code}” trong danh mục (xem cột Mã của "
                             "biểu mẫu).")
        unit_code = resolve_unit(unit, cfg, store) if unit else None
        series = unit_series(store, key, catalog, unit_code)
    who = unit_names(cfg).get(unit_code, unit_code) if unit_code else cfg.organization.area
    return TrendResult(code=key, indicator=ind, unit=unit_code, who=who,
                       series=tuple((p, v) for p, v in series if v is not None))
