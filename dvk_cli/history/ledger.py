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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.aggregation import SourceStatus
from dvk_cli.core.errors import UsageError
from dvk_cli.core.findings import Finding
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.history.store import (
    AREA,
    KIND_BASELINE,
    KIND_RETURN,
    STORE_NAME,
    Store,
    StoredValue,
    Submission,
    shown_time,
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


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _stored_label(sub: Submission) -> str:
    return f"{sub.file} (bản lưu lúc {shown_time(sub.read_at)})"


class Ledger:
    """One run's dealings with the store."""

    def __init__(self, store: Store, options: HistoryOptions, period: Period, catalog: Catalog,
                 inputs: list[Path]):
        self.store = store
        self.options = options
        self.period = period
        self.catalog = catalog
        self.inputs = inputs
        self.folder = store.path.parent
        self.lock = store.lock_state(period.code)
        self.plan: list[_Planned] = []
        self.admitted: list[tuple[str, str, str, list]] = []
        self.counts = {"new": 0, "unchanged": 0, "replaced": 0, "refused": 0, "from_store": 0}
        self.findings: list[Finding] = []
        if self.lock:
            self.findings.append(Finding(
                "info", "period_locked",
                f"Kỳ {period.label} đã khóa lúc {shown_time(self.lock.locked_at)}"
                + (f" ({self.lock.reason})" if self.lock.reason else "")
                + ": lần chạy này không ghi số liệu mới nào vào kho lịch sử "
                "(mở khóa bằng dvk unlock khi cần)."))

    @classmethod
    def open(cls, options: HistoryOptions, config: Config, period: Period, catalog: Catalog,
             inputs: list[Path]) -> Ledger | None:
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
        if not options.write and not Path(path).is_file():
            return None
        return cls(Store(path), options, period, catalog, inputs)

    # -------------------------------------------------------------- admit

    def admit(self, data: ReturnData, unit: UnitInfo, findings: list[Finding],
              sources: dict[str, Source]) -> ReturnData | None:
        """The return to use for `unit`: the file read, the stored one, or none."""
        store, pcode = self.store, self.period.code
        current = store.current(unit.code, pcode)
        if current is not None and current.sha256 == data.sha256:
            self.counts["unchanged"] += 1
            return self._use(data, unit)
        new_file = data.path
        if self.lock:
            self.counts["refused"] += 1
            sources[data.key].status = SourceStatus.PERIOD_LOCKED
            if current is None:
                findings.append(Finding(
                    "error", "period_locked",
                    f"Kỳ {self.period.label} đã khóa: tệp {new_file} ({unit.name}) không được đưa "
                    "vào kho lịch sử; đơn vị chưa có báo cáo nào trong kho cho kỳ này nên số liệu "
                    "của đơn vị không được tổng hợp.",
                    file=new_file, sheet=data.sheet, unit=unit.code))
                return None
            findings.append(Finding(
                "error", "period_locked",
                f"Kỳ {self.period.label} đã khóa: tệp {new_file} ({unit.name}) khác với báo cáo "
                f"đã lưu (tệp {current.file}) nên không được đưa vào kho; số liệu của đơn vị lấy "
                "theo bản đã lưu.",
                file=new_file, sheet=data.sheet, unit=unit.code))
            return self._from_store(current, unit, sources)
        if current is None:
            self.counts["new"] += 1
            self.plan.append(_Planned("new", data, unit))
            return self._use(data, unit)

        newer = False
        if self.options.accept_newer:
            try:
                newer = os.stat(data.path).st_mtime > (current.file_mtime or 0)
            except OSError:
                newer = False
        if unit.code in self.options.replace or newer:
            self.counts["replaced"] += 1
            self.plan.append(_Planned("replace", data, unit, current))
            why = "--replace" if unit.code in self.options.replace else "--accept-newer"
            verb = "thay thế" if self.options.write else "sẽ thay thế (khi chạy dvk aggregate)"
            findings.append(Finding(
                "info", "resubmission_replaced",
                f"Đơn vị {unit.name}: tệp {new_file} {verb} báo cáo {self.period.label} đã lưu "
                f"(tệp {current.file}, đọc lúc {shown_time(current.read_at)}) theo {why}; bản cũ "
                f"vẫn được giữ trong lịch sử (xem dvk history {unit.code}, dvk diff {unit.code} "
                f"--period {pcode}).",
                file=new_file, sheet=data.sheet, unit=unit.code))
            return self._use(data, unit)

        self.counts["refused"] += 1
        sources[data.key].status = SourceStatus.NOT_THE_STORED
        hint = (" (tệp mới không được sửa sau bản đã lưu nên --accept-newer không áp dụng)"
                if self.options.accept_newer else "")
        findings.append(Finding(
            "error", "resubmission",
            f"Đơn vị {unit.name} đã có báo cáo {self.period.label} trong kho lịch sử (tệp "
            f"{current.file}, đọc lúc {shown_time(current.read_at)}); tệp {new_file} có nội dung "
            f"khác nên chưa được dùng: số liệu tổng hợp vẫn lấy theo bản đã lưu{hint}. Nếu "
            f"{new_file} là báo cáo gửi lại để thay thế, chạy lại với --replace {unit.code} "
            "(hoặc --accept-newer).",
            file=new_file, sheet=data.sheet, unit=unit.code))
        return self._from_store(current, unit, sources)

    def _use(self, data: ReturnData, unit: UnitInfo) -> ReturnData:
        self.admitted.append((unit.code, unit.name, data.path, list(data.values)))
        return data

    def _from_store(self, sub: Submission, unit: UnitInfo,
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
        sources[data.key] = Source(path=label, sha256=sub.sha256, unit=unit.code,
                                   unit_name=unit.name, period=sub.period, values=len(values),
                                   models=len(models))
        unit.file = label
        self.admitted.append((unit.code, unit.name, label, values))
        return data

    # -------------------------------------------------------------- write

    def commit(self, files: int) -> None:
        """Write the run and its new submissions in one transaction."""
        if not self.options.write:
            return
        from dvk_cli.core.version import VERSION

        store = self.store
        inputs = json.dumps([str(p) for p in self.inputs], ensure_ascii=False)
        with store.transaction():
            run_id = store.start_run(self.options.command, self.period.code, inputs, files,
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
        file = _relative(path, self.folder)
        if data.part:
            file = f"{file} [{data.part}]"
        return self.store.insert_submission(
            unit=unit, period=self.period.code, kind=kind, file=file, file_name=path.name,
            sha256=data.sha256, values=values, models=list(data.models), file_mtime=mtime,
            sheet=data.sheet, run_id=run_id)

    # -------------------------------------------------------------- after

    def outliers(self) -> list[Finding]:
        from dvk_cli.history.compare import history_outliers

        return history_outliers(self.store, self.period, self.catalog, self.admitted)

    def finish(self, result: Consolidation) -> None:
        """Fill the comparisons and the trend; close the store."""
        from dvk_cli.history.compare import build_compare, trend

        cache: dict = {}  # the figures of each period, computed once
        try:
            result.compare = build_compare(self.store, self.period, self.catalog, cache)
            result.history = {
                "store": str(self.store.path),
                "created": self.store.created,
                "written": self.options.write,
                "locked": bool(self.lock),
                **self.counts,
                "trend": trend(self.store, self.period, self.catalog, result.totals, cache),
            }
        finally:
            self.store.close()

    def close(self) -> None:
        self.store.close()


# ------------------------------------------------------------------ commands

def find_store(config_path: Path | None = None, start: list[Path] | None = None, *,
               create: bool = False) -> tuple[Store, Config]:
    """The store beside the dvk.toml found from `start` (default: the current folder)."""
    from dvk_cli.core.config import find_config, load_config

    path = find_config(start or [Path.cwd()], config_path)
    if path is None:
        raise UsageError(
            f"Không tìm thấy dvk.toml: kho lịch sử {STORE_NAME} nằm cùng thư mục với dvk.toml. "
            "Chạy lệnh trong thư mục làm việc hoặc chỉ rõ --config."
        )
    config = load_config(path)
    store_file = store_path_for(config)
    assert store_file is not None  # config came from a dvk.toml file
    if not create and not store_file.is_file():
        raise UsageError(
            f"Chưa có kho lịch sử {store_file}: kho được tạo khi chạy dvk aggregate lần đầu."
        )
    return Store(store_file), config


def parse_period_arg(text: str) -> Period:
    p = parse_period(text)
    if p is None:
        raise UsageError(
            f"Kỳ báo cáo “{text}” không hợp lệ. Ví dụ: 2024, 2024-H1, 2024-Q3, 2024-9M, 2024-05."
        )
    return p


def resolve_unit(text: str, config: Config, store: Store | None = None) -> str:
    """A unit code from a code or a name (dvk.toml), or a code known to the store."""
    registry = config.registry
    if registry:
        unit = registry.get(text)
        if unit is None:
            m = registry.match(text)
            unit = m.unit
            if unit is None and m.candidates:
                names = ", ".join(u.name for u in m.candidates)
                raise UsageError(f"“{text}” khớp với nhiều đơn vị ({names}); hãy ghi mã đơn vị.")
        if unit is not None:
            return unit.code
    code = text.strip().upper()
    if store is not None and store.submissions(unit=code):
        return code
    raise UsageError(f"Không có đơn vị “{text}” trong dvk.toml hay trong kho lịch sử.")


def unit_names(config: Config) -> dict[str, str]:
    names = {u.code: u.name for u in config.registry}
    names[AREA] = "Toàn địa bàn (số liệu nền)"
    return names


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


@dataclass
class BaselineResult:
    period: Period
    status: str  # new | unchanged | replaced | refused
    values: int = 0
    findings: list[Finding] = field(default_factory=list)
    store: str = ""


def load_baseline(file: Path, *, period: str | None = None, config_path: Path | None = None,
                  replace: bool = False) -> BaselineResult:
    """Past totals typed into a blank form (or an earlier Biểu tổng hợp), stored
    as the whole area's figures for a period before dvk."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.core.files import display_path
    from dvk_cli.core.version import VERSION
    from dvk_cli.reading.dispatch import read_return

    if not file.is_file():
        raise UsageError(f"Không tìm thấy “{file}”.")
    store, config = find_store(config_path, [file], create=True)
    with store:
        catalog = catalog_for(config)
        data = read_return(file, catalog, display_path(file))
        if data.parts:
            raise UsageError(f"Tệp {file} là bảng nhiều dòng đơn vị; số liệu nền phải là số liệu "
                             "toàn địa bàn trong một biểu (biểu mẫu trống hoặc Biểu tổng hợp).")
        errors = [f for f in data.findings if f.severity == "error"]
        file_period = parse_period(data.period_text) if data.period_text else None
        if period:
            p = parse_period_arg(period)
            if file_period is not None and file_period != p:
                raise UsageError(f"Tệp {file} ghi kỳ báo cáo {file_period.label}, không phải "
                                 f"{p.label}.")
        elif file_period is not None:
            p = file_period
        else:
            raise UsageError("Không xác định được kỳ của số liệu nền; hãy ghi --period (ví dụ "
                             "--period 2023).")
        result = BaselineResult(p, "refused", len(data.values), list(data.findings),
                                str(store.path))
        if not data.readable or errors or not data.values:
            if data.readable and not data.values and not errors:
                result.findings.append(Finding(
                    "error", "baseline_empty",
                    f"Tệp {file}: không đọc được số liệu nào (cần cột Mã và Số liệu như biểu mẫu).",
                    file=str(file)))
            return result
        lock = store.lock_state(p.code)
        current = store.current(AREA, p.code, KIND_BASELINE)
        if current is not None and current.sha256 == data.sha256:
            result.status = "unchanged"
            return result
        if lock:
            raise UsageError(f"Kỳ {p.label} đã khóa lúc {shown_time(lock.locked_at)}: không nhận "
                             "số liệu nền mới.")
        if current is not None and not replace:
            raise UsageError(
                f"Đã có số liệu nền {p.label} (tệp {current.file}, nạp lúc "
                f"{shown_time(current.read_at)}); tệp {file} có số liệu khác. Dùng --replace để "
                "thay thế (bản cũ vẫn giữ trong lịch sử)."
            )
        values = [StoredValue(v.code, v.value, v.sheet, v.cell, v.how, v.note)
                  for v in data.values]
        with store.transaction():
            run_id = store.start_run("baseline", p.code, json.dumps([str(file)]), 1, VERSION)
            if current is not None:
                store.supersede(current.id)
            earlier = store.find(AREA, p.code, data.sha256, KIND_BASELINE)
            if earlier is not None:
                store.reinstate(earlier.id)
                new_id = earlier.id
            else:
                new_id = store.insert_submission(
                    unit=AREA, period=p.code, kind=KIND_BASELINE,
                    file=_relative(file, store.path.parent), file_name=file.name,
                    sha256=data.sha256, values=values, models=list(data.models),
                    file_mtime=file.stat().st_mtime, sheet=data.sheet, run_id=run_id)
            if current is not None:
                store.link_successor(current.id, new_id)
            store.finish_run(run_id, new=int(current is None), replaced=int(current is not None),
                             refused=0, locked=False)
        result.status = "replaced" if current is not None else "new"
        return result


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


def unit_series(store: Store, code: str, catalog: Catalog,
                unit: str | None = None) -> list[tuple[Period, float | int | None]]:
    """One indicator over every stored period (whole area, or one unit), in
    period order, kinds grouped (years, then halves, quarters …)."""
    from dvk_cli.history.compare import consolidate_figures, period_figures

    kinds = {"Y": 0, "H": 1, "9M": 2, "Q": 3, "M": 4}
    periods = sorted((p for p in map(parse_period, store.periods()) if p is not None),
                     key=lambda p: (kinds.get(p.kind, 9), p.year, p.index))
    series = []
    for p in periods:
        if unit is None:
            figures = period_figures(store, p, catalog)
            value = figures["totals"].get(code) if figures else None
        else:
            values = store.period_values(p.code).get(unit)
            if not values:
                continue
            _, table = consolidate_figures({unit: values}, p, catalog)
            value = table.get(unit, {}).get(code)
        if value is not None:
            series.append((p, value))
    return series
