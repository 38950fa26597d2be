"""The history store in a run: which returns enter the store, which stored
return a run uses when a changed file was not accepted, locks, baselines,
submission listings and cell-by-cell differences.

A submission is (unit, period, SHA-256). Reading the same file again changes
nothing; a file with other content for a unit and period that already has a
return replaces it only with --replace UNIT (or --accept-newer, when the file
is newer than the stored one); otherwise the run uses the stored return and
says so. A locked period takes nothing new.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.aggregation import SourceStatus
from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import relative_path
from dvk_cli.core.findings import Finding
from dvk_cli.core.periods import Period
from dvk_cli.core.text import shown_time
from dvk_cli.history.lookup import resolve_unit
from dvk_cli.history.store import (
    KIND_RETURN,
    Store,
    StoredValue,
    Submission,
    store_path_for,
)

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation, Source, UnitInfo
    from dvk_cli.core.catalog import Catalog
    from dvk_cli.core.config import Config
    from dvk_cli.reading.returns import ReturnData


@dataclass
class HistoryOptions:
    """How a run uses the store (dvk aggregate: write; dvk validate: read only)."""

    write: bool = True
    replace: frozenset[str] = frozenset()  # unit codes whose new file replaces the stored one
    accept_newer: bool = False  # replace when the new file was modified after the stored one
    path: Path | None = None  # default: dvk.sqlite beside dvk.toml
    command: str = "aggregate"


@dataclass
class _Planned:
    action: str  # new | replace
    data: ReturnData
    unit: UnitInfo
    old: Submission | None = None


def _stored_label(sub: Submission) -> str:
    return f"{sub.file} (bản lưu lúc {shown_time(sub.read_at)})"


class Ledger:
    """One run's dealings with the store."""

    def __init__(self, store: Store, options: HistoryOptions, period: Period, catalog: Catalog,
                 inputs: list[Path], *, owns_store: bool = True):
        self.store = store
        self.owns_store = owns_store  # False: the run holds it (pipeline.Pending) and closes it
        self.options = options
        self.period = period
        self.catalog = catalog
        self.inputs = inputs
        self.folder = store.path.parent
        self.lock = store.lock_state(period.code)
        self.plan: list[_Planned] = []
        self.counts = {"new": 0, "unchanged": 0, "replaced": 0, "refused": 0, "from_store": 0}
        self.findings: list[Finding] = []
        self.run_id: int | None = None
        self._currents: dict[str, Submission] | None = None
        if self.lock:
            self.findings.append(Finding(
                "info", "period_locked",
                f"Kỳ {period.label} đã khóa lúc {shown_time(self.lock.locked_at)}"
                + (f" ({self.lock.reason})" if self.lock.reason else "")
                + ": lần chạy này không ghi số liệu mới nào vào kho lịch sử "
                "(mở khóa bằng dvk unlock khi cần)."))

    @classmethod
    def open(cls, options: HistoryOptions, config: Config, period: Period, catalog: Catalog,
             inputs: list[Path], *, store: Store | None = None) -> Ledger | None:
        """The run's ledger: on `store` when the run holds it open (for dvk
        aggregate, with its write lock taken), else on a store opened here."""
        path = options.path or store_path_for(config)
        if path is None:
            if options.replace or options.accept_newer:
                raise UsageError("--replace và --accept-newer dùng kho lịch sử dvk.sqlite đặt cạnh "
                                 "dvk.toml; không tìm thấy dvk.toml.")
            return None
        if options.replace and config.registry:
            codes = frozenset(resolve_unit(text, config) for text in options.replace)
            options = HistoryOptions(options.write, codes, options.accept_newer, options.path,
                                     options.command)
        if store is not None:
            return cls(store, options, period, catalog, inputs, owns_store=False)
        if not options.write and not Path(path).is_file():
            return None
        return cls(Store(path, check=options.write), options, period, catalog, inputs)

    # -------------------------------------------------------------- admit

    def admit(self, group: list[tuple[ReturnData, UnitInfo]], findings: list[Finding],
              sources: dict[str, Source]) -> ReturnData | None:
        """The return to use for one unit, given every file in the folder that
        holds it: a file read, the stored return, or none. Extra copies never
        drop a unit that has a stored return: files identical to it are used
        as it, files with other figures are named with the way to use them."""
        unit = group[0][1]
        if self._currents is None:  # every unit's stored return, in one query (admit writes none)
            self._currents = self.store.currents(self.period.code)
        current = self._currents.get(unit.code)
        if current is None:
            return self._admit_new(group, findings, sources)
        same = [data for data, _ in group if data.sha256 == current.sha256]
        other = [data for data, _ in group if data.sha256 != current.sha256]
        if self.lock:
            for data in other:
                self.counts["refused"] += 1
                sources[data.key].status = SourceStatus.PERIOD_LOCKED
                findings.append(Finding(
                    "warning", "period_locked",
                    f"Kỳ {self.period.label} đã khóa: tệp {data.path} ({unit.name}) khác với báo cáo "
                    f"đã lưu (tệp {current.file}) nên không được dùng; số liệu của đơn vị lấy theo "
                    "bản đã lưu. Muốn dùng tệp mới phải mở khóa kỳ (dvk unlock) rồi chạy lại với "
                    f"--replace {unit.code}.",
                    file=data.path, sheet=data.sheet, unit=unit.code))
            return self._stored_or_copy(current, same, unit, findings, sources)
        replacing = self._replacing(unit, other, current)
        distinct = {data.sha256: data for data in replacing}
        if len(distinct) == 1:
            chosen = replacing[0]
            self._copies(chosen, [d for d in other if d is not chosen], unit, findings, sources)
            for data in same:
                sources[data.key].status = SourceStatus.SUPERSEDED
            return self._replace(chosen, unit, current, findings)
        if len(distinct) > 1:
            listing = ", ".join(data.path for data in distinct.values())
            for data in replacing:
                sources[data.key].status = SourceStatus.NOT_THE_STORED
            findings.append(Finding(
                "error", "resubmission_ambiguous",
                f"Đơn vị {unit.name}: có {len(distinct)} tệp khác nhau có thể thay báo cáo "
                f"{self.period.label} đã lưu ({listing}); dvk không tự chọn nên số liệu vẫn lấy "
                "theo bản đã lưu. Hãy giữ lại một tệp rồi chạy lại.",
                file=replacing[0].path, sheet=replacing[0].sheet, unit=unit.code))
            return self._stored_or_copy(current, same, unit, findings, sources)
        for data in other:
            self.counts["refused"] += 1
            sources[data.key].status = SourceStatus.NOT_THE_STORED
            hint = (" (tệp mới không được sửa sau bản đã lưu nên --accept-newer không áp dụng)"
                    if self.options.accept_newer else "")
            findings.append(Finding(
                "error", "resubmission",
                f"Đơn vị {unit.name} đã có báo cáo {self.period.label} trong kho lịch sử (tệp "
                f"{current.file}, đọc lúc {shown_time(current.read_at)}); tệp {data.path} có nội "
                f"dung khác nên chưa được dùng: số liệu tổng hợp vẫn lấy theo bản đã lưu{hint}. "
                f"Nếu {data.path} là báo cáo gửi lại để thay thế, chạy lại với --replace "
                f"{unit.code} (hoặc --accept-newer).",
                file=data.path, sheet=data.sheet, unit=unit.code))
        return self._stored_or_copy(current, same, unit, findings, sources)

    def _admit_new(self, group: list[tuple[ReturnData, UnitInfo]], findings: list[Finding],
                   sources: dict[str, Source]) -> ReturnData | None:
        """A unit with nothing stored for the period."""
        from dvk_cli.aggregation import pick_copy

        if self.lock:
            for data, unit in group:
                self.counts["refused"] += 1
                sources[data.key].status = SourceStatus.PERIOD_LOCKED
                findings.append(Finding(
                    "error", "period_locked",
                    f"Kỳ {self.period.label} đã khóa: tệp {data.path} ({unit.name}) không được đưa "
                    "vào kho lịch sử; đơn vị chưa có báo cáo nào trong kho cho kỳ này nên số liệu "
                    "của đơn vị không được tổng hợp.",
                    file=data.path, sheet=data.sheet, unit=unit.code))
            return None
        picked = pick_copy(group, self.period, findings, sources)
        if picked is None:
            return None
        data, unit = picked
        self.counts["new"] += 1
        self.plan.append(_Planned("new", data, unit))
        return self._use(data, unit)

    def _replacing(self, unit: UnitInfo, other: list[ReturnData],
                   current: Submission) -> list[ReturnData]:
        """The files with other figures that --replace or --accept-newer takes."""
        if unit.code in self.options.replace:
            return other
        if not self.options.accept_newer:
            return []
        newer = []
        for data in other:
            try:
                if os.stat(data.path).st_mtime > (current.file_mtime or 0):
                    newer.append(data)
            except OSError:
                continue
        return newer

    def _replace(self, data: ReturnData, unit: UnitInfo, current: Submission,
                 findings: list[Finding]) -> ReturnData:
        self.counts["replaced"] += 1
        self.plan.append(_Planned("replace", data, unit, current))
        why = "--replace" if unit.code in self.options.replace else "--accept-newer"
        verb = "thay thế" if self.options.write else "sẽ thay thế (khi chạy dvk aggregate)"
        findings.append(Finding(
            "info", "resubmission_replaced",
            f"Đơn vị {unit.name}: tệp {data.path} {verb} báo cáo {self.period.label} đã lưu "
            f"(tệp {current.file}, đọc lúc {shown_time(current.read_at)}) theo {why}; bản cũ "
            f"vẫn được giữ trong lịch sử (xem dvk history {unit.code}, dvk diff {unit.code} "
            f"--period {self.period.code}).",
            file=data.path, sheet=data.sheet, unit=unit.code))
        return self._use(data, unit)

    def _stored_or_copy(self, current: Submission, same: list[ReturnData], unit: UnitInfo,
                        findings: list[Finding], sources: dict[str, Source]) -> ReturnData:
        """The stored return: as the file in the folder that is identical to
        it (its cells and findings as read now), else from the store."""
        if not same:
            return self._from_store(current, unit, findings, sources)
        self.counts["unchanged"] += 1
        self._copies(same[0], same[1:], unit, findings, sources)
        return self._use(same[0], unit)

    def _copies(self, used: ReturnData, copies: list[ReturnData], unit: UnitInfo,
                findings: list[Finding], sources: dict[str, Source]) -> None:
        for data in copies:
            if data.sha256 != used.sha256:
                continue
            sources[data.key].status = SourceStatus.COPY
            findings.append(Finding(
                "info", "duplicate_copy",
                f"Tệp {data.path} giống hệt tệp {used.path} (cùng nội dung) của {unit.name}; số "
                "liệu chỉ tính một lần.", file=data.path, sheet=data.sheet, unit=unit.code))

    def absent(self, seen: set[str], registry, findings: list[Finding],
               sources: dict[str, Source]) -> list[tuple[ReturnData, UnitInfo]]:
        """Units with a stored return for the period and no file in the
        folder: in a locked period their stored returns are used (the signed
        figures); otherwise an info finding says the stored return exists."""
        from dvk_cli.aggregation import UnitInfo

        out = []
        for sub in self.store.submissions(period=self.period.code, kind=KIND_RETURN):
            if not sub.current or sub.unit in seen:
                continue
            registered = registry.get(sub.unit) if registry else None
            name = registered.name if registered else sub.unit
            unit = UnitInfo(sub.unit, name, registered.group if registered else "")
            if self.lock:
                out.append((self._from_store(sub, unit, findings, sources), unit))
                continue
            findings.append(Finding(
                "info", "stored_not_in_folder",
                f"Kho lịch sử có báo cáo {self.period.label} của {name} (tệp {sub.file}, đọc lúc "
                f"{shown_time(sub.read_at)}) nhưng các thư mục đang tổng hợp không có tệp này nên "
                "số liệu của đơn vị chưa được tổng hợp; muốn dùng, hãy đặt lại tệp vào thư mục.",
                file=sub.file, unit=sub.unit))
        return out

    def _use(self, data: ReturnData, unit: UnitInfo) -> ReturnData:
        return data

    def _from_store(self, sub: Submission, unit: UnitInfo, findings: list[Finding],
                    sources: dict[str, Source]) -> ReturnData:
        from dvk_cli.aggregation import Source
        from dvk_cli.reading.returns import CellValue, ReturnData

        self.counts["from_store"] += 1
        label = _stored_label(sub)
        values = [CellValue(v.indicator, v.value, v.sheet, v.cell, v.how or "mã", v.note)
                  for v in self.store.values(sub.id) if v.indicator in self.catalog.indicators]
        models = self.store.models(sub.id)
        data = ReturnData(path=label, sha256=sub.sha256, readable=True, sheet=sub.sheet or "",
                          values=values, models=models)
        # the stored return keeps the problems it was read with
        findings.extend(Finding(f["severity"], f["rule"], f["message"], file=label,
                                sheet=f["sheet"], cell=f["cell"], unit=unit.code,
                                indicator=f["indicator"], brief=f["brief"], value=f["value"])
                        for f in self.store.submission_findings(sub.id))
        sources[data.key] = Source(path=label, sha256=sub.sha256, unit=unit.code,
                                   unit_name=unit.name, period=sub.period, values=len(values),
                                   models=len(models), status=SourceStatus.USED)
        unit.file = label
        return data

    # -------------------------------------------------------------- write

    def commit(self, files: int) -> None:
        """Write the run and its new submissions in one transaction (a step
        of the run's transaction when the run holds the store). The period's
        lock is read again inside it: a period locked since the run began
        takes nothing from it (UsageError; the run writes nothing)."""
        if not self.options.write:
            return
        from dvk_cli.core.version import VERSION

        store = self.store
        inputs = json.dumps([str(p) for p in self.inputs], ensure_ascii=False)
        with store.transaction():
            lock = store.lock_state(self.period.code)
            if lock is not None and self.lock is None:
                raise UsageError(
                    f"Kỳ {self.period.label} vừa được khóa lúc {shown_time(lock.locked_at)} trong "
                    "khi lần chạy này đang chạy: lần chạy không ghi gì vào kho lịch sử "
                    f"{store.path} và không ghi tệp kết quả. Hãy chạy lại: kỳ đã khóa thì số "
                    "liệu lấy theo bản đã lưu.")
            self.run_id = run_id = store.start_run(self.options.command, self.period.code, inputs, files,
                                     VERSION)
            for item in self.plan:
                if item.action == "replace" and item.old is not None:
                    store.supersede(item.old.id)
                    earlier = store.find(item.unit.code, self.period.code, item.data.sha256)
                    if earlier is not None:  # a file sent earlier comes back
                        store.reinstate(earlier.id)
                        store.link_successor(item.old.id, earlier.id)
                        continue
                new_id = self._insert(item.data, item.unit.code, run_id)
                if item.old is not None:
                    store.link_successor(item.old.id, new_id)
            store.finish_run(run_id, new=self.counts["new"], replaced=self.counts["replaced"],
                             refused=self.counts["refused"], locked=bool(self.lock))

    def _insert(self, data: ReturnData, unit: str, run_id: int, kind: str = KIND_RETURN) -> int:
        path = Path(data.path)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = None
        values = [StoredValue(v.code, v.value, v.sheet, v.cell, v.how, v.note)
                  for v in data.values]
        file = relative_path(path, self.folder)
        if data.part:
            file = f"{file} [{data.part}]"
        return self.store.insert_submission(
            unit=unit, period=self.period.code, kind=kind, file=file, file_name=path.name,
            sha256=data.sha256, values=values, models=list(data.models), file_mtime=mtime,
            sheet=data.sheet, run_id=run_id,
            findings=[f for f in data.findings if f.file == data.path])

    # -------------------------------------------------------------- after

    def unit_history(self) -> dict[str, dict[str, float]]:
        """Each unit's figures of one earlier comparable period, for the
        checks that compare a value with what was expected of it: the
        previous period of the same kind when the store has returns for it,
        else the same period last year; {} when it has neither."""
        from dvk_cli.core.comparisons import previous_period, same_period_last_year

        for other in (previous_period(self.period), same_period_last_year(self.period)):
            figures = self.store.period_values(other.code)
            if figures:
                return figures
        return {}

    def follow_up(self, result: Consolidation) -> None:
        """Give the run's findings their status (accepted by the clerk, or
        resolved since the period's previous run) and, for dvk aggregate in an
        unlocked period, record them as the period's findings."""
        from dvk_cli.history.signoff import follow_up

        pcode = self.period.code
        shas = {s.path: s.sha256 for s in result.sources}
        scope = {s.unit for s in result.sources if s.unit} | {""}
        previous = self.store.period_findings(pcode)
        done = follow_up(result.findings, shas, self.store.acceptances(pcode), previous, scope)
        result.findings, result.resolved = done.findings, done.resolved
        if self.options.write and not self.lock:
            with self.store.transaction():
                self.store.record_findings(pcode, self.run_id, done.keys, scope, previous)

    def finish(self, result: Consolidation) -> None:
        """Fill the comparisons and the trend; close the store."""
        from dvk_cli.history.compare import add_run_basis, build_compare, trend

        cache: dict = {}  # the figures of each period, computed once
        try:
            result.compare = add_run_basis(
                build_compare(self.store, self.period, self.catalog, cache), result)
            result.history = {
                "store": str(self.store.path),
                "created": self.store.created,
                "written": self.options.write,
                "locked": bool(self.lock),
                **self.counts,
                "trend": trend(self.store, self.period, self.catalog, result.totals, cache),
            }
        finally:
            self.close()

    def close(self) -> None:
        """Close the store, when the ledger opened it (the run closes its own)."""
        if self.owns_store:
            self.store.close()


# ------------------------------------------------------------------ commands
