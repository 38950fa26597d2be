"""One run over a reporting period: find the returns, read them, identify
unit and period, check, and consolidate. Library entry point for the CLI."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from dvk_cli.aggregation import (
    MODEL_COLUMNS,
    TIDY_COLUMNS,
    Consolidation,
    Source,
    UnitInfo,
    consolidate,
)
from dvk_cli.checks.per_unit import check_unit
from dvk_cli.core.catalog import Catalog, catalog_for
from dvk_cli.core.config import Config, find_config, load_config
from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import display_path
from dvk_cli.core.findings import Finding, sort_findings
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.history.ledger import HistoryOptions, Ledger
from dvk_cli.reading.dispatch import find_returns
from dvk_cli.reading.identify import identify_period, identify_unit
from dvk_cli.reading.mapping import mappings_for_files
from dvk_cli.reading.parallel import ProgressHook, read_all
from dvk_cli.reading.returns import ReturnData
from dvk_cli.reading.wide import expand_wide


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

    With `history`, the store beside dvk.toml (dvk_cli/history.py) records the
    returns, decides resubmissions and locks, and fills the comparisons.

    Raises UsageError for problems that stop the run (exit code 2); data
    problems become findings in the result.
    """
    import pandas as pd

    for item in inputs:
        if not item.exists():
            raise UsageError(f"Không tìm thấy “{item}”.")
    if config is None:
        config = load_config(find_config(inputs, config_path))
    catalog = catalog or catalog_for(config)
    from dvk_cli.checks.rules import prepare
    from dvk_cli.reading.guards import set_limits

    checking = prepare(config, catalog)  # dvk.toml [[rules]], [outliers], [limits]
    catalog = checking.catalog
    set_limits(checking.limits)
    requested = None
    if period:
        requested = parse_period(period)
        if requested is None:
            raise UsageError(
                f"Kỳ báo cáo “{period}” không hợp lệ. Ví dụ: 2024, 2024-H1, 2024-Q3, 2024-9M, 2024-05."
            )
    files = find_returns(inputs, skip)
    if not files:
        where = ", ".join(str(i) for i in inputs)
        raise UsageError(f"Không tìm thấy biểu báo cáo nào (.xlsx, .xlsm, .xls, .ods) trong {where}.")

    returns, cache, reuse = _read_returns(files, catalog, config, checking.limits, history,
                                          workers=workers, progress=progress)
    table_findings: list[Finding] = []
    returns = expand_wide(returns, table_findings)

    findings: list[Finding] = table_findings
    sources: dict[str, Source] = {}
    identified: list[tuple[ReturnData, UnitInfo, Period]] = []
    for data in returns:
        source = Source(path=data.key, sha256=data.sha256, values=len(data.values),
                        models=len(data.models))
        sources[data.key] = source
        findings.extend(data.findings)
        if not data.readable:
            source.status = "không đọc được"
            continue
        unit, problem = identify_unit(data, config)
        if unit:
            source.unit, source.unit_name = unit.code, unit.name
            for f in data.findings:
                f.unit = unit.code
        p, p_problem = identify_period(data)
        if p:
            source.period = p.code
        for prob in (problem, p_problem):
            if prob:
                prob.unit = unit.code if unit else ""
                findings.append(prob)
        if unit is None:
            source.status = "không xác định được đơn vị"
        elif p is None:
            source.status = "không xác định được kỳ"
        else:
            identified.append((data, unit, p))

    if requested is None:
        periods = sorted({p for _, _, p in identified})
        if len(periods) == 1:
            requested = periods[0]
        elif not periods:
            raise UsageError(
                "Không xác định được kỳ báo cáo từ các biểu; hãy ghi rõ --period (ví dụ --period 2024)."
            )
        else:
            counts = defaultdict(int)
            for _, _, p in identified:
                counts[p] += 1
            listing = ", ".join(f"{p.code} ({counts[p]} tệp)" for p in periods)
            raise UsageError(
                f"Các biểu thuộc nhiều kỳ khác nhau: {listing}. Hãy chọn kỳ bằng --period."
            )

    ledger = Ledger.open(history, config, requested, catalog, inputs) if history else None
    in_period: dict[str, list[tuple[ReturnData, UnitInfo]]] = defaultdict(list)
    for data, unit, p in identified:
        if p != requested:
            sources[data.key].status = f"khác kỳ ({p.code})"
            findings.append(Finding(
                "error", "period_mismatch",
                f"Tệp {data.path} ({unit.name}) là báo cáo {p.label}, không phải {requested.label}; "
                "không được tổng hợp.",
                file=data.path, sheet=data.sheet, cell=data.header_cells.get("period", ""),
                unit=unit.code))
            continue
        in_period[unit.code].append((data, unit))

    tidy_rows: list[tuple] = []
    model_rows: list[tuple] = []
    used_units: dict[str, UnitInfo] = {}
    for code, group in in_period.items():
        if len(group) > 1:
            files_list = ", ".join(d.path for d, _ in group)
            for data, unit in group:
                sources[data.key].status = "trùng báo cáo"
                findings.append(Finding(
                    "error", "duplicate_return",
                    f"Đơn vị {unit.name} có {len(group)} báo cáo cho {requested.label} ({files_list}); "
                    "chưa tổng hợp báo cáo nào của đơn vị này. Hãy bỏ bớt tệp thừa rồi chạy lại.",
                    file=data.path, sheet=data.sheet, unit=code))
            continue
        data, unit = group[0]
        if ledger is not None:  # the stored return when a changed file is not accepted
            data = ledger.admit(data, unit, findings, sources)
            if data is None:
                continue
        sources[data.key].status = "dùng"
        used_units[code] = unit
        values = {v.code: v.value for v in data.values}
        cells = {v.code: (v.sheet, v.cell) for v in data.values}
        typed = {v.code: (v.value, v.sheet, v.cell) for v in data.computed}
        findings.extend(check_unit(catalog, values, cells, unit=code, file=data.path,
                                   computed_typed=typed))
        for v in data.values:
            tidy_rows.append((code, requested.code, v.code, v.value, data.path, v.sheet, v.cell,
                              v.how, v.note))
        for m in data.models:
            model_rows.append((code, m["stt"], m["name"], m["field"], m["kind"], m["exemplary"],
                               m["implementer"], m["note"], data.path, m["sheet"], m["row"]))

    values_df = pd.DataFrame(tidy_rows, columns=TIDY_COLUMNS)
    del tidy_rows
    values_df["value"] = values_df["value"].astype("float64")
    models_df = pd.DataFrame(model_rows, columns=MODEL_COLUMNS)
    del model_rows
    models_df["exemplary"] = models_df["exemplary"].astype(bool)
    # The same few units, codes, files, sheets and cells repeat on every row:
    # categories keep one copy of each (a national roll-up: 200 MB -> 20 MB).
    for frame, columns in ((values_df, _REPEATED_VALUE_COLUMNS),
                           (models_df, _REPEATED_MODEL_COLUMNS)):
        for column in columns:
            frame[column] = frame[column].astype("category")
    ordered_units = _order_units(used_units, config)
    if ledger is not None:
        ledger.commit(len(files))
        findings.extend(ledger.findings + ledger.outliers())
    result = consolidate(
        values_df, models_df, ordered_units,
        period=requested, organization=config.organization, catalog=catalog,
        registry_units=list(config.registry), findings=sort_findings(findings),
        sources=list(sources.values()),
    )
    checking.review(result)  # model list against summary, peer outliers
    if ledger is not None:
        ledger.finish(result)  # comparisons with earlier periods, trend
        if reuse is not None:
            result.history["read_cache"] = reuse
    if cache is not None:
        cache.flush()  # only now: a failed run leaves the store as it was
    return result


def _read_returns(files: list[Path], catalog: Catalog, config: Config, limits,
                  history: HistoryOptions | None, *, workers: int | None,
                  progress):
    """Every file read, or taken from the history store's read cache when it
    is unchanged (dvk_cli/readcache.py); also the cache (to flush once the run
    has succeeded) and its counts, both None without a store."""
    mappings = mappings_for_files(files, config, catalog)
    cache = _open_read_cache(history, config, limits)
    if cache is None:
        hook = progress(len(files)) if progress else None
        returns = read_all(files, catalog, workers=workers, progress=hook, mappings=mappings)
        return returns, None, None
    shown = [display_path(p) for p in files]
    found = cache.lookup(files, shown, mappings)
    todo = [files[i] for i in found.todo]
    hook = progress(len(todo)) if progress and todo else None
    fresh = read_all(todo, catalog, workers=workers, progress=hook, mappings=mappings)
    cache.save(files, shown, mappings, fresh, found.stats, found.todo)
    returns: list[ReturnData | None] = [None] * len(files)
    for i, data in found.hits.items():
        returns[i] = data
    for i, data in zip(found.todo, fresh, strict=True):
        returns[i] = data
    return returns, cache, {"reused": len(found.hits), "read": len(todo)}


def _open_read_cache(history: HistoryOptions | None, config: Config, limits):
    """The read cache of the history store, or None (no store, --no-store, or a
    store that validate would have to create)."""
    if history is None:
        return None
    from dvk_cli.history.readcache import ReadCache, reading_context
    from dvk_cli.history.store import store_path_for

    path = store_path_for(config)
    if path is None or (not history.write and not path.is_file()):
        return None
    return ReadCache(path, reading_context(config, limits), write=history.write)


_REPEATED_VALUE_COLUMNS = ("unit", "period", "indicator", "file", "sheet", "cell", "how", "note")
_REPEATED_MODEL_COLUMNS = ("unit", "field", "kind", "file", "sheet")


def _order_units(units: dict[str, UnitInfo], config: Config) -> dict[str, UnitInfo]:
    """Registry order first (as the province lists its units), then by name."""
    order = {u.code: i for i, u in enumerate(config.registry)}
    return dict(sorted(units.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[1].name)))
