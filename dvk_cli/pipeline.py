"""One run over a reporting period, as named stages:

    configure -> discover -> read -> identify -> admit -> check
              -> consolidate -> review -> compare

`run` chains them; each is a function of its own, so a reader sees the flow
and a test or a tool can stop after any of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.aggregation import (
    MODEL_COLUMNS,
    TIDY_COLUMNS,
    Consolidation,
    Source,
    SourceStatus,
    UnitInfo,
    consolidate,
    pick_copy,
)
from dvk_cli.checks.marks import part_findings
from dvk_cli.checks.per_unit import check_unit, failed_checks
from dvk_cli.checks.rules import Checking, prepare
from dvk_cli.core import collector
from dvk_cli.core.catalog import Catalog, catalog_for
from dvk_cli.core.config import Config, find_config, load_config
from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import display_path, readable_path, resolving
from dvk_cli.core.findings import Finding, sort_findings
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.core.warmup import Warmup
from dvk_cli.history import runstate
from dvk_cli.history.ledger import HistoryOptions, Ledger
from dvk_cli.history.store import Store, store_errors, store_path_for
from dvk_cli.reading.dispatch import describe_unread, find_returns, find_unread
from dvk_cli.reading.guards import set_limits
from dvk_cli.reading.identify import identify_period, identify_unit
from dvk_cli.reading.mapping import mappings_for_files
from dvk_cli.reading.parallel import ProgressHook, read_all
from dvk_cli.reading.returns import CellValue, ReturnData
from dvk_cli.reading.wide import expand_wide

if TYPE_CHECKING:
    import pandas as pd

# What a run imports after its files are read (consolidation, the checks
# across units): imported while they are read (dvk_cli/core/warmup.py).
RUN_MODULES = ("numpy", "pandas", "dvk_cli.checks.peers", "dvk_cli.checks.models")


@dataclass(frozen=True)
class Settings:
    """What a run is asked to do, resolved once: dvk.toml, the catalog with its
    rules, the checking settings and the period asked for (None: from the returns)."""

    config: Config
    catalog: Catalog
    checking: Checking
    requested: Period | None


@dataclass
class Identified:
    """The identify stage's result: every source, the returns whose unit and
    period are known, and the findings so far."""

    sources: dict[str, Source]
    returns: list[tuple[ReturnData, UnitInfo, Period]]
    findings: list[Finding]


def run(
    inputs: list[Path],
    *,
    period: str | None = None,
    config_path: Path | None = None,
    config: Config | None = None,
    catalog: Catalog | None = None,
    skip: set[Path] | None = None,
    workers: int | None = None,
    progress: Callable[[int], ProgressHook | None] | None = None,
    history: HistoryOptions | None = None,
) -> Consolidation:
    """Read, identify, check and consolidate every return under `inputs`.

    With `history`, the store beside dvk.toml (dvk_cli/history) records the
    returns, decides resubmissions and locks, and fills the comparisons; what
    the run writes to it is committed before this returns (dvk aggregate uses
    `run_pending`, to commit only once its outputs are written).

    Raises UsageError for problems that stop the run (exit code 2); data
    problems become findings in the result.
    """
    result, pending = run_pending(inputs, period=period, config_path=config_path, config=config,
                                  catalog=catalog, skip=skip, workers=workers, progress=progress,
                                  history=history)
    pending.commit()
    return result


class Pending:
    """The history store as a run left it. A run that writes (dvk aggregate)
    holds the store's write lock from its start and does all its writes in
    one transaction: `commit` makes them part of the history, `rollback`
    (or an exception before commit) leaves the store exactly as it was.
    Either closes the store; a run that only reads has nothing to commit."""

    def __init__(self, store: Store | None = None):
        self.store = store

    def commit(self) -> None:
        store, self.store = self.store, None
        if store is None:
            return
        try:
            store.commit()
        finally:
            store.close()

    def rollback(self) -> None:
        store, self.store = self.store, None
        if store is None:
            return
        try:
            store.rollback()
        finally:
            store.close()


def run_pending(
    inputs: list[Path],
    *,
    period: str | None = None,
    config_path: Path | None = None,
    config: Config | None = None,
    catalog: Catalog | None = None,
    skip: set[Path] | None = None,
    workers: int | None = None,
    progress: Callable[[int], ProgressHook | None] | None = None,
    history: HistoryOptions | None = None,
    warm: tuple[str, ...] = (),
    looked: Looked | None = None,
) -> tuple[Consolidation, Pending]:
    """`run`, leaving the run's writes to the store uncommitted: the caller
    commits them (once its outputs are written) or rolls them back. `warm`:
    modules the caller will use after the run, imported while files are read
    (with those the run itself needs, RUN_MODULES). `looked`: dvk.toml and the
    files as run_key found them (the run reads what its key describes)."""
    with resolving():  # thousands of paths in a few folders: each folder resolved once
        return _run_pending(inputs, period, config_path, config, catalog, skip, workers,
                            progress, history, warm, looked)


def _run_pending(inputs: list[Path], period: str | None, config_path: Path | None,
                 config: Config | None, catalog: Catalog | None, skip: set[Path] | None,
                 workers: int | None, progress: Callable[[int], ProgressHook | None] | None,
                 history: HistoryOptions | None, warm: tuple[str, ...], looked: Looked | None
                 ) -> tuple[Consolidation, Pending]:
    if looked is not None:
        config = config or looked.config
    settings = configure(inputs, period=period, config_path=config_path, config=config,
                         catalog=catalog)
    if looked is not None:
        files, unread = _required(looked.files, inputs, looked.unread), looked.unread
    else:
        files = discover(inputs, skip)
        unread = find_unread(inputs, skip)
    store = open_store(history, settings.config)
    pending = Pending(store)
    try:
        with store_errors(store.path if store is not None else None):
            result = _stages(inputs, files, settings, history, store, workers, progress,
                             unread, Warmup(RUN_MODULES + warm))
    except BaseException:
        pending.rollback()
        raise
    return result, pending


def open_store(history: HistoryOptions | None, config: Config) -> Store | None:
    """The history store a run uses: for a run that writes, opened (created
    when new), checked and with its write lock taken (UsageError when another
    run holds it); for a run that only reads, opened when it exists."""
    if history is None:
        return None
    path = history.path or store_path_for(config)
    if path is None:
        return None  # no dvk.toml: Ledger.open says what that means for the options
    if not history.write:
        return Store(path, create=False) if Path(path).is_file() else None
    store = Store(path, check=True)
    try:
        store.begin_write()
    except BaseException:
        store.close()
        raise
    return store


def _stages(inputs: list[Path], files: list[Path], settings: Settings,
            history: HistoryOptions | None, store: Store | None, workers: int | None,
            progress, unread: list[Path] | None = None,
            warmup: Warmup | None = None) -> Consolidation:
    returns, cache, reuse = read(files, settings, history, workers=workers, progress=progress,
                                 store=store, warmup=warmup)
    collector.settle()  # what was read stays until the outputs are written
    found = identify(returns, settings.config)
    reported = {unit.code for _, unit, _ in found.returns}
    found.findings.extend(unread_findings(unread or [], settings.config, reported))
    if settings.requested is not None:
        check_period_slip(found, settings.requested)
    requested = settings.requested or choose_period(found)
    ledger = (Ledger.open(history, settings.config, requested, settings.catalog, inputs,
                          store=store)
              if history else None)
    admitted = admit(found, requested, ledger, settings.config)
    tidy_rows, model_rows = check(admitted, requested, settings.catalog, found.findings)
    collector.settle()  # and after each stage that makes what the run keeps
    if ledger is not None:
        ledger.commit(len(files))
        found.findings.extend(ledger.findings)
    release(returns)
    result = consolidate_stage(tidy_rows, model_rows, admitted, found, requested, settings)
    collector.settle()
    review(result, settings, ledger.unit_history() if ledger is not None else None)
    collector.settle()
    if ledger is not None:
        ledger.follow_up(result)  # accepted, resolved; recorded by dvk aggregate
        compare(result, ledger, reuse)
    if cache is not None:
        cache.flush()  # into the run's transaction: committed with the run or not at all
    return result


# ------------------------------------------------------------------ stages

def release(returns: list[ReturnData]) -> None:
    """Forget the figures and models of the returns once they are in the tidy
    rows and the store (the read cache encoded them when they were read):
    a national run need not hold them twice (10,035 returns: ~150 MB)."""
    for data in returns:
        for part in (data, *data.parts):
            part.values = []
            part.computed = []
            part.models = []


def check_inputs(inputs: list[Path]) -> None:
    """Every INPUT exists and can be opened (UsageError naming it)."""
    for item in inputs:
        try:
            exists = item.exists()
        except OSError as exc:  # a path longer than the OS allows, a loop of links …
            raise UsageError(f"Không mở được “{readable_path(str(item))}” "
                             f"({exc.strerror or exc}).") from exc
        if not exists:
            raise UsageError(f"Không tìm thấy “{readable_path(str(item))}”.")


@dataclass(frozen=True)
class Looked:
    """What run_key looked at: dvk.toml, loaded, and the files found under the
    inputs (returns, and the others). A full run that follows uses them
    rather than looking again."""

    config: Config
    files: list[Path]
    unread: list[Path]


def run_key(inputs: list[Path], command: str, out: Path, *, config_path: Path | None = None,
            skip: set[Path] | None = None, options: dict
            ) -> tuple[runstate.RunKey, Path | None, Looked]:
    """What decides a run's outputs, from a look at the files only (their
    size and time, nothing parsed), the store it would be recorded in, and
    what was looked at."""
    check_inputs(inputs)
    config = load_config(find_config(inputs, config_path))
    with resolving():
        looked = Looked(config, find_returns(inputs, skip), find_unread(inputs, skip))
    key = runstate.run_key(command, out, config=config, files=looked.files, others=looked.unread,
                           options=options)
    return key, store_path_for(config), looked


def unchanged(key: runstate.RunKey, store: Path | None) -> runstate.Unchanged | None:
    """The recorded run `key` matches, outputs intact and store unchanged;
    None when there is none (then the run is a full one)."""
    if store is None or not store.is_file():
        return None
    with store_errors(store):
        # checked as a writing run checks it: a damaged store is told now,
        # not taken for "nothing changed"
        opened = Store(store, create=False, check=True)
        try:
            return runstate.find_unchanged(opened, key)
        finally:
            opened.close()


def configure(inputs: list[Path], *, period: str | None = None, config_path: Path | None = None,
              config: Config | None = None, catalog: Catalog | None = None) -> Settings:
    """dvk.toml (read once), the catalog with its [[rules]], [outliers] and
    [limits], and the period asked for."""
    check_inputs(inputs)
    if config is None:
        config = load_config(find_config(inputs, config_path))
    catalog = catalog or catalog_for(config)
    checking = prepare(config, catalog)  # dvk.toml [[rules]], [outliers], [limits]
    set_limits(checking.limits)
    requested = None
    if period:
        requested = parse_period(period)
        if requested is None:
            raise UsageError(
                f"Kỳ báo cáo “{period}” không hợp lệ. Ví dụ: 2024, 2024-H1, 2024-Q3, 2024-9M, 2024-05."
            )
    return Settings(config, checking.catalog, checking, requested)


def discover(inputs: list[Path], skip: set[Path] | None = None) -> list[Path]:
    """The workbooks under `inputs` (UsageError when there is none)."""
    files = find_returns(inputs, skip)
    return _required(files, inputs, find_unread(inputs, skip) if not files else [])


def _required(files: list[Path], inputs: list[Path], others: list[Path]) -> list[Path]:
    """`files`, or UsageError when there is none (naming the `others` found)."""
    if not files:
        where = ", ".join(readable_path(str(i)) for i in inputs)
        also = ""
        if others:
            shown = ", ".join(display_path(p) for p in others[:5])
            more = f" và {len(others) - 5} tệp khác" if len(others) > 5 else ""
            also = (f" Có {len(others)} tệp không phải bảng tính nên dvk không đọc: {shown}{more} "
                    f"(đề nghị các đơn vị gửi lại bằng .xlsx).")
        raise UsageError(f"Không tìm thấy biểu báo cáo nào (.xlsx, .xlsm, .xls, .ods) trong {where}."
                         f"{also}")
    return files


# Workbook content dvk reads once the file has the right extension.
_RENAMEABLE = {".xlsx", ".xlsm", ".ods"}


def unread_findings(others: list[Path], config: Config,
                    reported: set[str] | None = None) -> list[Finding]:
    """An info finding for each file a unit may have sent that dvk does not
    read (.pdf, .docx, an image, an archive …; dispatch.find_unread), with
    the unit its name points to when only one does: otherwise that unit is
    just "chưa nộp" and nobody sees why. A unit in `reported` (its workbook
    was read) is told the file was not counted instead."""
    findings = []
    for path in others:
        shown = display_path(path)
        match = config.registry.match_filename(path.stem)
        unit = match.unit
        content = describe_unread(path)
        if content is not None and content.suffix in _RENAMEABLE:
            what = (f"là {content.label} nhưng tên tệp không có đuôi {content.suffix} nên dvk "
                    f"không đọc")
            ask = f"đổi tên thành {path.stem}{content.suffix} hoặc gửi lại bằng .xlsx"
        else:
            label = f"({content.label}) " if content is not None and content.label else ""
            what = f"{label}không phải bảng tính nên dvk không đọc"
            ask = "đề nghị gửi lại bằng .xlsx"
        if unit is None:
            whose = ask
        elif unit.code in (reported or set()):
            whose = f"đơn vị có vẻ là {unit.name}, đã có biểu được đọc: số liệu trong tệp này không được tính"
        else:
            whose = f"đơn vị có vẻ là {unit.name}: {ask}"
        findings.append(Finding("info", "file_not_read", f"Tệp {shown} {what} ({whose}).",
                                file=shown, unit=unit.code if unit is not None else ""))
    return findings


def read(files: list[Path], settings: Settings, history: HistoryOptions | None, *,
         workers: int | None = None, progress=None, store: Store | None = None,
         warmup: Warmup | None = None):
    """Every file read (or reused from the read cache of `store`), wide tables
    split into one return per row; also the cache to flush and its counts.
    `warmup` is started once the workers run, and joined before this returns."""
    try:
        returns, cache, reuse = _read_returns(
            files, settings.catalog, settings.config, settings.checking.limits, history, store,
            workers=workers, progress=progress, started=warmup.start if warmup else None)
    finally:
        if warmup is not None:
            warmup.join()
    return returns, cache, reuse


def identify(returns: list[ReturnData], config: Config) -> Identified:
    """Each return's unit and period, or the finding that says why not."""
    table_findings: list[Finding] = []
    returns = expand_wide(returns, table_findings)
    findings: list[Finding] = table_findings
    sources: dict[str, Source] = {}
    identified: list[tuple[ReturnData, UnitInfo, Period]] = []
    for data in returns:
        source = Source(path=data.key, sha256=data.sha256, values=len(data.values),
                        models=len(data.models))
        sources[data.key] = source
        if not data.readable:
            findings.extend(data.findings)
            source.status = SourceStatus.UNREADABLE
            continue
        unit, problem = identify_unit(data, config)
        if unit:
            source.unit, source.unit_name = unit.code, unit.name
            data.findings = [replace(f, unit=unit.code) for f in data.findings]
        findings.extend(data.findings)
        p, p_problem = identify_period(data)
        if p:
            source.period = p.code
        for prob in (problem, p_problem):
            if prob:
                findings.append(replace(prob, unit=unit.code if unit else ""))
        if unit is None:
            source.status = SourceStatus.UNIT_UNKNOWN
        elif p is None:
            source.status = SourceStatus.PERIOD_UNKNOWN
        else:
            identified.append((data, unit, p))
    return Identified(sources, identified, findings)


def choose_period(found: Identified) -> Period:
    """No --period: the one period every identified return is for."""
    periods = sorted({p for _, _, p in found.returns})
    if len(periods) == 1:
        return periods[0]
    if not periods:
        raise UsageError(
            "Không xác định được kỳ báo cáo từ các biểu; hãy ghi rõ --period (ví dụ --period 2024)."
        )
    counts: dict[Period, int] = defaultdict(int)
    for _, _, p in found.returns:
        counts[p] += 1
    listing = ", ".join(f"{p.code} ({counts[p]} tệp)" for p in periods)
    raise UsageError(f"Các biểu thuộc nhiều kỳ khác nhau: {listing}. Hãy chọn kỳ bằng --period.")


def check_period_slip(found: Identified, requested: Period) -> None:
    """No return is for the period asked for: the clerk's slip, not the
    units' (UsageError, exit code 2, before any finding or feedback copy)."""
    periods = sorted({p for _, _, p in found.returns})
    if not periods or requested in periods:
        return
    if len(periods) == 1:
        p = periods[0]
        raise UsageError(f"Không có biểu nào của {requested.label}: các biểu đều là {p.label} — "
                         f"có phải --period {p.code}?")
    counts: dict[Period, int] = defaultdict(int)
    for _, _, p in found.returns:
        counts[p] += 1
    listing = ", ".join(f"{p.label} ({counts[p]} tệp)" for p in periods)
    raise UsageError(f"Không có biểu nào của {requested.label}; các biểu thuộc {listing}. "
                     "Hãy kiểm tra lại --period.")


def admit(found: Identified, requested: Period, ledger: Ledger | None,
          config: Config | None = None) -> list[tuple[ReturnData, UnitInfo]]:
    """The one return used for each unit of the period: other periods are
    refused with a finding; identical copies count once; with a store, the
    ledger decides resubmissions and locks (and may give back the stored
    return); without one, different files for one unit are a duplicate."""
    sources, findings = found.sources, found.findings
    in_period: dict[str, list[tuple[ReturnData, UnitInfo]]] = defaultdict(list)
    for data, unit, p in found.returns:
        if p != requested:
            sources[data.key].status = SourceStatus.OTHER_PERIOD  # shown with its period
            findings.append(Finding(
                "error", "period_mismatch",
                f"Tệp {data.path} ({unit.name}) là báo cáo {p.label}, không phải {requested.label}; "
                "không được tổng hợp.",
                file=data.path, sheet=data.sheet, cell=data.header_cells.get("period", ""),
                unit=unit.code))
            continue
        in_period[unit.code].append((data, unit))
    admitted: list[tuple[ReturnData, UnitInfo]] = []
    for group in in_period.values():
        if ledger is None:
            picked = pick_copy(group, requested, findings, sources)
            if picked is None:
                continue
            data, unit = picked
        else:
            stored = ledger.admit(group, findings, sources)
            if stored is None:
                continue
            data = stored
            unit = next((u for d, u in group if d is data), group[0][1])
        sources[data.key].status = SourceStatus.USED
        admitted.append((data, unit))
    if ledger is not None:
        registry = config.registry if config is not None else None
        admitted += ledger.absent(set(in_period), registry, findings, sources)
    return admitted


class TidyRows:
    """The tidy table's rows as `check` gathers them: a return's unit and file
    once, with its number of rows (they are the same on each of its rows),
    and a tuple of each value's own fields (_VALUE_FIELDS)."""

    def __init__(self) -> None:
        self.units: list[str] = []
        self.files: list[str] = []
        self.counts: list[int] = []
        self.rows: list[tuple] = []

    def add(self, unit: str, file: str, values: list[CellValue]) -> None:
        self.units.append(unit)
        self.files.append(file)
        self.counts.append(len(values))
        self.rows += [(v.code, v.value, v.sheet, v.cell, v.how, v.note) for v in values]

    def clear(self) -> None:
        """Forget the rows (the frame made of them keeps what it needs)."""
        self.units, self.files, self.counts, self.rows = [], [], [], []

    def frame(self, period: str) -> pd.DataFrame:
        """The tidy table (TIDY_COLUMNS): the values as float64, the other
        columns as categories, exactly as astype("category") makes them of
        the whole rows. A return's unit, file and the period are factorized
        once per return (3,321), not once per row (110,000)."""
        import numpy as np
        import pandas as pd

        own = pd.DataFrame(self.rows, columns=_VALUE_FIELDS)
        own["value"] = own["value"].astype("float64")
        counts = [n for n in self.counts if n]  # a return without rows adds no category

        def per_return(values: list[str]) -> pd.Categorical:
            each = pd.Categorical([v for v, n in zip(values, self.counts, strict=True) if n])
            return pd.Categorical.from_codes(np.repeat(each.codes, counts), dtype=each.dtype)

        columns = {"unit": per_return(self.units),
                   "period": per_return([period] * len(self.units)),
                   "file": per_return(self.files)}
        for name in _VALUE_FIELDS:
            columns[name] = own[name] if name == "value" else own[name].astype("category")
        return pd.DataFrame({name: columns[name] for name in TIDY_COLUMNS})


# The TIDY_COLUMNS each value has of its own (the others are its return's).
_VALUE_FIELDS = ["indicator", "value", "sheet", "cell", "how", "note"]


def check(admitted: list[tuple[ReturnData, UnitInfo]], requested: Period, catalog: Catalog,
          findings: list[Finding]) -> tuple[TidyRows, list[tuple]]:
    """The per-unit checks of each admitted return (into `findings`), and its
    rows of the tidy table and of the model list."""
    tidy = TidyRows()
    model_rows: list[tuple] = []
    figures = [{v.code: v.value for v in data.values} for data, _ in admitted]
    # the catalog's rules run over the whole run's figures at once
    failed = failed_checks(catalog.checks, figures)
    for (data, unit), values, unit_failed in zip(admitted, figures, failed, strict=True):
        code = unit.code
        # the cells a rule's finding names (only a unit with one needs them)
        cells = {v.code: (v.sheet, v.cell) for v in data.values} if unit_failed else {}
        typed = {v.code: (v.value, v.sheet, v.cell) for v in data.computed}
        findings.extend(check_unit(catalog, values, cells, unit=code, file=data.path,
                                   computed_typed=typed, failed=unit_failed))
        tidy.add(code, data.path, data.values)
        for m in data.models:
            model_rows.append((code, m["stt"], m["name"], m["field"], m["kind"], m["exemplary"],
                               m["implementer"], m["note"], data.path, m["sheet"], m["row"]))
    return tidy, model_rows


def consolidate_stage(tidy: TidyRows, model_rows: list[tuple],
                      admitted: list[tuple[ReturnData, UnitInfo]], found: Identified,
                      requested: Period, settings: Settings) -> Consolidation:
    """The tidy table and model list as DataFrames, and the consolidation."""
    import pandas as pd

    values_df = tidy.frame(requested.code)
    tidy.clear()  # the caller's too: its rows live on in the frame only
    models_df = pd.DataFrame(model_rows, columns=MODEL_COLUMNS)
    model_rows.clear()
    models_df["exemplary"] = models_df["exemplary"].astype(bool)
    # The same few units, codes, files, sheets and cells repeat on every row:
    # categories keep one copy of each (a national roll-up: 200 MB -> 20 MB).
    # (the tidy table's are made so by TidyRows.frame)
    for column in _REPEATED_MODEL_COLUMNS:
        models_df[column] = models_df[column].astype("category")
    config = settings.config
    used_units = {unit.code: unit for _, unit in admitted}
    return consolidate(
        values_df, models_df, _order_units(used_units, config),
        period=requested, organization=config.organization, catalog=settings.catalog,
        registry_units=list(config.registry), findings=sort_findings(found.findings),
        sources=list(found.sources.values()), config=config,
    )


def review(result: Consolidation, settings: Settings,
           history: dict[str, dict[str, float]] | None = None) -> None:
    """Checks across units: the model list against the summary, each value
    against what was expected of it (its own earlier return when the store has
    one, else its peers scaled to its size), and the area's parts against its
    wholes (an info, and a mark in the outputs)."""
    settings.checking.review(result, history=history)
    result.findings = sort_findings(result.findings + part_findings(result))


def compare(result: Consolidation, ledger: Ledger, reuse: dict | None) -> None:
    """Comparisons with earlier periods and the trend, from the store."""
    ledger.finish(result)
    if reuse is not None:
        result.history["read_cache"] = reuse


# ------------------------------------------------------------------ helpers

def _read_returns(files: list[Path], catalog: Catalog, config: Config, limits,
                  history: HistoryOptions | None, store: Store | None, *, workers: int | None,
                  progress, started=None):
    """Every file read, or taken from the history store's read cache when it
    is unchanged (dvk_cli/history/readcache.py); also the cache (to flush once the run
    has succeeded) and its counts, both None without a store."""
    mappings = mappings_for_files(files, config, catalog)
    reading = config.raw.get("reading", {})
    sheet = reading.get("sheet") if isinstance(reading, dict) else None  # [reading] sheet
    cache = _open_read_cache(history, store, config, limits)
    if cache is None:
        hook = progress(len(files)) if progress else None
        returns = read_all(files, catalog, workers=workers, progress=hook, mappings=mappings,
                           sheet=sheet, started=started)
        return returns, None, None
    from dvk_cli.history.readcache import decode

    shown = [display_path(p) for p in files]
    found = cache.lookup(files, shown, mappings)
    # Every file goes to the workers: one that looks unchanged with its entry,
    # which the worker takes (checking the file's SHA-256 and decoding the
    # entry, in parallel) or, if the file's bytes changed, reads the file.
    hook = progress(len(files)) if progress else None
    reused: set[int] = set()
    returns = read_all(files, catalog, workers=workers, progress=hook, mappings=mappings,
                       sheet=sheet, started=started, known=found.known, reuse=decode,
                       reused=reused, shown=shown)
    fresh = [i for i in range(len(files)) if i not in reused]
    cache.save(files, shown, mappings, [returns[i] for i in fresh], found.stats, fresh)
    return returns, cache, {"reused": len(reused), "read": len(fresh)}


def _open_read_cache(history: HistoryOptions | None, store: Store | None, config: Config,
                     limits):
    """The read cache of the run's history store, or None (no store, --no-store,
    or a store that validate would have to create)."""
    if history is None or store is None:
        return None
    from dvk_cli.history.readcache import ReadCache, reading_context

    return ReadCache(store, reading_context(config, limits), write=history.write)


_REPEATED_MODEL_COLUMNS = ("unit", "field", "kind", "file", "sheet")


def _order_units(units: dict[str, UnitInfo], config: Config) -> dict[str, UnitInfo]:
    """Registry order first (as the province lists its units), then by name."""
    order = {u.code: i for i, u in enumerate(config.registry)}
    return dict(sorted(units.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[1].name)))
