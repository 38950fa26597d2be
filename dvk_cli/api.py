"""dvk as a library: one function for each command of the command line.

    import dvk_cli
    result = dvk_cli.aggregate("sample_data/binh-phuoc/2024", period="2024", no_store=True)
    print(result.totals, result.paths["workbook"], result.exit_code)

Each function does what its command does and returns a frozen result: the
figures and findings, the files written, and `exit_code` (0 done, 1 data
errors, or warnings with strict=True), the code `dvk` would exit with. The
command line (dvk_cli/cli) only parses arguments, calls one function here and
renders its result. Problems that stop a command (a missing input, a bad
period, a dvk.toml that cannot be read…) raise UsageError, exit code 2 on the
command line; data problems are findings in the result, never exceptions.
The history functions (submissions, diff, lock, unlock, load_baseline,
trend, accept, unaccept) use the store dvk.sqlite beside the dvk.toml found from the current
folder, or `config`.

Module level imports stay light (no pandas, openpyxl…): `import dvk_cli` and
`dvk --help` stay instant; each function imports what it needs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from dvk_cli.core.collector import long_lived
from dvk_cli.core.errors import UsageError
from dvk_cli.history.commands import (
    AcceptResult,
    BaselineLoadResult,
    DiffResult,
    LockResult,
    SubmissionsResult,
    TrendResult,
    accept,
    diff,
    load_baseline,
    lock,
    submissions,
    trend,
    unaccept,
    unlock,
)
from dvk_cli.outputs.names import OWN_OUTPUTS_GLOB, REPORT_FORMATS, report_name, workbook_name

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.core.findings import Finding
    from dvk_cli.core.periods import Period
    from dvk_cli.history.ledger import HistoryOptions
    from dvk_cli.inspection import Inspection
    from dvk_cli.outputs.feedback import FeedbackResult
    from dvk_cli.outputs.issuer import ReportSettings
    from dvk_cli.reading.parallel import ProgressHook

    Progress = Callable[[int], ProgressHook | None]

__all__ = [
    # reading, checking and consolidating
    "run", "aggregate", "validate", "report", "write_outputs", "inspect_file",
    # working folder and forms
    "init_folder", "write_forms",
    # the history store
    "submissions", "diff", "lock", "unlock", "load_baseline", "trend",
    # sign-off
    "accept", "unaccept",
    # results
    "RunResult", "UnchangedResult", "ValidateResult", "InspectResult", "InitResult", "FormsResult",
    "SubmissionsResult", "DiffResult", "LockResult", "BaselineLoadResult", "TrendResult",
    "AcceptResult",
    "UsageError",
]

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

Inputs = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


# ------------------------------------------------------------------ results

def exit_code_of(c: Consolidation, strict: bool = False) -> int:
    """1 when the run found data errors (or warnings, with strict), else 0."""
    return EXIT_DATA if c.errors or (strict and c.warnings) else EXIT_OK


@dataclass(frozen=True)
class RunResult:
    """A run over the returns: `totals` (code -> number, as in the JSON
    "totals"), the findings, the files written (`paths`, as in the JSON
    "outputs": workbook, report, docx) and the exit code; `consolidation` holds
    everything else (per-unit table, sources, comparisons, history…)."""

    consolidation: Consolidation
    totals: dict[str, float | int]
    findings: tuple[Finding, ...]
    exit_code: int
    paths: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def of(cls, c: Consolidation, *, strict: bool = False,
           paths: dict[str, Path] | None = None, **extra: Any) -> Self:
        return cls(consolidation=c, totals=dict(c.totals), findings=tuple(c.findings),
                   exit_code=exit_code_of(c, strict), paths=dict(paths or {}), **extra)

    @property
    def period(self) -> Period:
        return self.consolidation.period

    @property
    def errors(self) -> list[Finding]:
        return self.consolidation.errors

    @property
    def warnings(self) -> list[Finding]:
        return self.consolidation.warnings

    def to_dict(self) -> dict:
        """What `dvk … --json` prints (spec §5), with "outputs" when files were
        written: a new dict each time, built once (dvk aggregate records it in
        the store, then prints it)."""
        return dict(self._json)

    @cached_property
    def _json(self) -> dict:
        from dvk_cli.aggregation import to_json

        data = to_json(self.consolidation)
        if self.paths:
            data["outputs"] = {key: str(path) for key, path in self.paths.items()}
        return data


@dataclass(frozen=True)
class UnchangedResult:
    """dvk aggregate when nothing changed since its last run into the same
    folder (inputs, dvk.toml, options, dvk's version, the store, the outputs):
    nothing was read or written. `paths`: the outputs, still as written;
    `summary`: the recorded run's verdict; `at`: when it ran; `exit_code` and
    `to_dict()` (its JSON, with "unchanged": true) as that run had them."""

    paths: dict[str, Path]
    exit_code: int
    summary: str
    at: str
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {**self.data, "unchanged": True,
                "outputs": {key: str(path) for key, path in self.paths.items()}}


@dataclass(frozen=True)
class ValidateResult(RunResult):
    """A check of the returns; `feedback`: the marked copies written (with feedback=)."""

    feedback: FeedbackResult | None = None

    def to_dict(self) -> dict:
        data = super().to_dict()
        if self.feedback is not None:
            data["feedback"] = {"written": [str(f.path) for f in self.feedback.written],
                                "skipped": [file for file, _ in self.feedback.skipped]}
        return data


@dataclass(frozen=True)
class InspectResult:
    """How dvk reads one file (see dvk_cli.inspection.Inspection)."""

    inspection: Inspection
    findings: tuple[Finding, ...]
    exit_code: int  # 1: an error, or no return found in the file

    def to_dict(self) -> dict:
        return self.inspection.to_dict()


@dataclass(frozen=True)
class InitResult:
    """A working folder made: its dvk.toml and returns/ folder."""

    folder: Path
    paths: tuple[Path, ...]
    exit_code: int = EXIT_OK


@dataclass(frozen=True)
class FormsResult:
    """Blank forms written: one (`per_unit` False) or one per unit of dvk.toml into `out`."""

    out: Path
    paths: tuple[Path, ...]  # every form, written or kept
    per_unit: bool
    exit_code: int = EXIT_OK
    kept: tuple[Path, ...] = ()  # already there, left as they were (no force)
    overwritten: tuple[Path, ...] = ()  # already there, written again (force)

    @property
    def written(self) -> tuple[Path, ...]:
        return tuple(p for p in self.paths if p not in self.kept)


# ------------------------------------------------------------------ helpers

def _paths(inputs: Inputs) -> list[Path]:
    if isinstance(inputs, str | os.PathLike):
        return [Path(inputs)]
    return [Path(item) for item in inputs]


def _optional_path(path: str | os.PathLike[str] | None) -> Path | None:
    return None if path is None else Path(path)


def _history_options(no_store: bool, replace: Iterable[str] | None, accept_newer: bool,
                     write: bool, command: str) -> HistoryOptions | None:
    """How the run uses the history store (None: not at all)."""
    if no_store:
        if replace or accept_newer:
            raise UsageError("--replace và --accept-newer cần kho lịch sử; bỏ --no-store.")
        return None
    from dvk_cli.history.ledger import HistoryOptions

    codes = frozenset(code.strip().upper() for code in (replace or []) if code.strip())
    return HistoryOptions(write=write, replace=codes, accept_newer=accept_newer, command=command)


def _own_outputs(out: Path) -> set[Path]:
    """Our own earlier outputs in `out`: not returns of this level."""
    return set(out.glob(OWN_OUTPUTS_GLOB)) if out.is_dir() else set()


def _consolidate_pending(inputs: list[Path], period: str | None, config: Path | None, *,
                         skip: set[Path] | None = None, history: HistoryOptions | None = None,
                         workers: int | None = None, progress: Progress | None = None,
                         warm: tuple[str, ...] = (), looked=None):
    """The run, its writes to the store not yet committed (pipeline.Pending)."""
    from dvk_cli import pipeline

    return pipeline.run_pending(inputs, period=period, config_path=config, skip=skip,
                                workers=workers, progress=progress, history=history, warm=warm,
                                looked=looked)


def _check_out(out: Path) -> None:
    """The output folder can be one (before anything is read)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"“{out}” là một tệp, không phải thư mục: --out phải là một thư mục.")


def _clean_out(out: Path) -> None:
    """Temp outputs a killed run left in `out` (core/tempfiles.py)."""
    from dvk_cli.outputs.tempfiles import remove_stale_temp_outputs

    remove_stale_temp_outputs(out)


def _output_error(exc: OSError, target: Path, stored: bool = False) -> UsageError:
    """Why an output could not be written, naming it (exit code 2)."""
    import errno

    folder = target.parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = f"ổ đĩa chứa thư mục {folder} đã đầy"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = (f"thư mục {folder} chỉ cho đọc hoặc không có quyền ghi (hoặc tệp đang mở trong "
               "Excel/Word)")
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        why = f"{folder} (hoặc một thư mục cha của nó) là một tệp, không phải thư mục"
    else:
        why = exc.strerror or str(exc)
    store = " Kho lịch sử không ghi nhận lần chạy này." if stored else ""
    return UsageError(f"Không ghi được {target}: {why}.{store} Hãy khắc phục hoặc chọn thư mục "
                      "khác bằng --out rồi chạy lại.")


def _consolidate(inputs: list[Path], period: str | None, config: Path | None, *,
                 skip: set[Path] | None = None, history: HistoryOptions | None = None,
                 workers: int | None = None, progress: Progress | None = None) -> Consolidation:
    from dvk_cli import pipeline

    return pipeline.run(inputs, period=period, config_path=config, skip=skip, workers=workers,
                        progress=progress, history=history)


def _check_template(template: Path | None) -> None:
    if template is not None and not template.is_file():
        raise UsageError(f"Không tìm thấy mẫu báo cáo “{template}”.")


def _write_outputs(c: Consolidation, out: Path, template: Path | None, docx: bool,
                   settings: ReportSettings | None = None, *,
                   stored: bool = False) -> dict[str, Path]:
    """The workbook and the Markdown report, then the Word report: its
    settings come from the dvk.toml the run read (c.config) unless given."""
    from dvk_cli.outputs.report import write_report
    from dvk_cli.outputs.workbook import write_workbook

    paths = {}
    target = out / workbook_name(c.period)
    try:
        paths["workbook"] = write_workbook(c, target)
        target = out / report_name(c.period, "md")
        paths["report"] = write_report(c, target, template)
        if docx:
            from dvk_cli.outputs.word import write_docx_report

            target = out / report_name(c.period, "docx")
            paths["docx"] = write_docx_report(c, target, settings)
    except OSError as exc:
        raise _output_error(exc, target, stored) from exc
    return paths


# What writing the outputs imports, and the report template it compiles
# (none given: the packaged one): done while the returns are read.
OUTPUT_MODULES = ("xlsxwriter", "dvk_cli.outputs.workbook", "jinja2", "dvk_cli.outputs.report")
DEFAULT_TEMPLATE = ("dvk_cli.outputs.report:default_template",)
DOCX_MODULES = ("docxtpl", "dvk_cli.outputs.word")


# ------------------------------------------------------------------ commands

@long_lived()  # what a run reads stays out of the collector's passes (core/collector.py)
def run(inputs: Inputs, *, period: str | None = None, config: str | os.PathLike[str] | None = None,
        strict: bool = False, store: bool = False, workers: int | None = None,
        progress: Progress | None = None) -> RunResult:
    """Read, check and consolidate the returns under `inputs`; write nothing.

    With store=True the history store beside dvk.toml is consulted, read only
    (comparisons with earlier periods, stored resubmissions), as dvk validate does.
    """
    history = None
    if store:
        from dvk_cli.history.ledger import HistoryOptions

        history = HistoryOptions(write=False, command="run")
    c = _consolidate(_paths(inputs), period, _optional_path(config), history=history,
                     workers=workers, progress=progress)
    return RunResult.of(c, strict=strict)


@long_lived()  # what a run reads stays out of the collector's passes (core/collector.py)
def aggregate(inputs: Inputs, *, period: str | None = None,
              config: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] = ".",
              docx: bool = False, template: str | os.PathLike[str] | None = None,
              strict: bool = False, no_store: bool = False, replace: Iterable[str] | None = None,
              accept_newer: bool = False, workers: int | None = None,
              progress: Progress | None = None, force: bool = False
              ) -> RunResult | UnchangedResult:
    """dvk aggregate: consolidate the returns and write tong-hop-<kỳ>.xlsx and
    bao-cao-<kỳ>.md (and bao-cao-<kỳ>.docx with docx=True) into `out`.

    The history store beside dvk.toml records the returns (no_store=True: not
    used); `replace` (unit codes) and `accept_newer` take resubmitted returns.
    When nothing changed since the last run into `out` (history/runstate.py),
    nothing is read or written: an UnchangedResult says where the outputs
    are (force=True: a full run all the same).
    """
    from dvk_cli import pipeline
    from dvk_cli.history import runstate

    paths_in, out_dir = _paths(inputs), Path(out)
    config_path, template_path = _optional_path(config), _optional_path(template)
    _check_template(template_path)
    _check_out(out_dir)
    history = _history_options(no_store, replace, accept_newer, True, "aggregate")
    skip = _own_outputs(out_dir)
    key = looked = None
    if history is not None and not history.replace and not history.accept_newer:
        key, store_path, looked = pipeline.run_key(
            paths_in, "aggregate", out_dir, config_path=config_path, skip=skip,
            options={"inputs": sorted(str(p.resolve()) for p in paths_in), "period": period,
                     "docx": docx, "template": template_path, "strict": strict})
        same = None if force else pipeline.unchanged(key, store_path)
        if same is not None:
            return UnchangedResult(same.paths, same.exit_code, same.summary, same.at, same.data)
    _clean_out(out_dir)
    # The run is committed to the store only once its outputs are written: an
    # output that cannot be written leaves the store as it was.
    warm = (OUTPUT_MODULES + (DEFAULT_TEMPLATE if template_path is None else ())
            + (DOCX_MODULES if docx else ()))
    c, pending = _consolidate_pending(paths_in, period, config_path, skip=skip,
                                      history=history, workers=workers, progress=progress,
                                      warm=warm, looked=looked)
    try:
        paths = _write_outputs(c, out_dir, template_path, docx,
                               stored=bool(c.history.get("written")))
        result = RunResult.of(c, strict=strict, paths=paths)
        if pending.store is not None:  # what decided these outputs, for the next run
            if key is not None:
                from dvk_cli.history.store import now

                runstate.record(pending.store, key, paths=paths, exit_code=result.exit_code,
                                data=result.to_dict(), summary=c.state_summary(), at=now())
            else:
                runstate.forget(pending.store, "aggregate", out_dir)
    except BaseException:
        pending.rollback()
        raise
    try:
        pending.commit()
    except UsageError as exc:
        raise UsageError(f"{exc} Các tệp kết quả đã ghi vào {out_dir} nhưng kho lịch sử chưa "
                         "ghi nhận lần chạy này: hãy chạy lại dvk aggregate sau khi khắc phục."
                         ) from exc
    return result


def write_outputs(result: RunResult | Consolidation, out: str | os.PathLike[str] = ".", *,
                  docx: bool = False, template: str | os.PathLike[str] | None = None,
                  report_settings: ReportSettings | None = None) -> dict[str, Path]:
    """The files dvk aggregate writes, from a result of `run`: the workbook and
    the Markdown report (and the Word report with docx=True). Returns the paths."""
    c = result.consolidation if isinstance(result, RunResult) else result
    template_path = _optional_path(template)
    _check_template(template_path)
    return _write_outputs(c, Path(out), template_path, docx, report_settings)


@long_lived()  # what a run reads stays out of the collector's passes (core/collector.py)
def validate(inputs: Inputs, *, period: str | None = None,
             config: str | os.PathLike[str] | None = None,
             feedback: str | os.PathLike[str] | None = None, strict: bool = False,
             no_store: bool = False, replace: Iterable[str] | None = None,
             accept_newer: bool = False, workers: int | None = None,
             progress: Progress | None = None) -> ValidateResult:
    """dvk validate: read and check the returns. Writes nothing, except with
    `feedback` (a folder): a marked copy of each return with problems.

    The history store is consulted (resubmissions, locks, comparisons), never written.
    """
    paths_in, feedback_dir = _paths(inputs), _optional_path(feedback)
    if feedback_dir is not None:
        from dvk_cli.outputs.feedback import check_feedback_dir

        check_feedback_dir(feedback_dir, paths_in)
    history = _history_options(no_store, replace, accept_newer, False, "validate")
    c = _consolidate(paths_in, period, _optional_path(config), history=history, workers=workers,
                     progress=progress)
    written = None
    if feedback_dir is not None:
        from dvk_cli.outputs.feedback import write_feedback

        written = write_feedback(c, feedback_dir)
    return ValidateResult.of(c, strict=strict, feedback=written)


@long_lived()  # what a run reads stays out of the collector's passes (core/collector.py)
def report(inputs: Inputs, *, period: str | None = None,
           config: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] = ".",
           format: str = "docx", template: str | os.PathLike[str] | None = None,
           strict: bool = False, no_store: bool = False, workers: int | None = None,
           progress: Progress | None = None) -> RunResult:
    """dvk report: write only the report, bao-cao-<kỳ>.docx (Word) or, with
    format="md", bao-cao-<kỳ>.md; `paths` has it as "report"."""
    fmt = format.strip().lower().lstrip(".")
    if fmt not in REPORT_FORMATS:
        raise UsageError(f"Định dạng “{fmt}” không hỗ trợ; chọn --format docx hoặc --format md.")
    template_path = _optional_path(template)
    _check_template(template_path)
    if fmt == "docx" and template_path is not None and template_path.suffix.lower() != ".docx":
        raise UsageError("Với --format docx, mẫu báo cáo phải là tệp Word .docx.")
    paths_in, out_dir, config_path = _paths(inputs), Path(out), _optional_path(config)
    _check_out(out_dir)
    _clean_out(out_dir)
    c = _consolidate(paths_in, period, config_path, skip=_own_outputs(out_dir),
                     history=_history_options(no_store, None, False, False, "report"),
                     workers=workers, progress=progress)
    target = out_dir / report_name(c.period, fmt)
    try:
        if fmt == "docx":
            from dvk_cli.outputs.word import write_docx_report

            path = write_docx_report(c, target, None, template_path)
        else:
            from dvk_cli.outputs.report import write_report

            path = write_report(c, target, template_path)
    except OSError as exc:
        raise _output_error(exc, target) from exc
    return RunResult.of(c, strict=strict, paths={"report": path})


def inspect_file(path: str | os.PathLike[str], mapping: str | os.PathLike[str] | None = None, *,
                 config: str | os.PathLike[str] | None = None) -> InspectResult:
    """dvk inspect: how dvk reads one file, cell by cell (with `mapping`: by that
    mapping file). exit_code 1 when the file has errors or holds no return."""
    from dvk_cli.inspection import inspect_file as inspect

    ins = inspect(Path(path), config_path=_optional_path(config),
                  mapping_path=_optional_path(mapping))
    errors = any(f.severity == "error" for f in ins.findings)
    return InspectResult(inspection=ins, findings=tuple(ins.findings),
                         exit_code=EXIT_DATA if errors or not ins.returns else EXIT_OK)


def init_folder(folder: str | os.PathLike[str] = ".", name: str | None = None) -> InitResult:
    """dvk init: a working folder with a commented dvk.toml (organisation `name`)
    and an empty returns/. Never overwrites a dvk.toml (FileExistsError)."""
    from dvk_cli.outputs.forms import init_folder as scaffold

    written = scaffold(Path(folder), organization_name=name)
    return InitResult(folder=Path(folder), paths=tuple(written))


def write_forms(out: str | os.PathLike[str], unit: str | None = "all", period: str | None = None,
                config: str | os.PathLike[str] | None = None, *,
                force: bool = False) -> FormsResult:
    """dvk template: blank forms. unit="all": one form per unit of dvk.toml into
    the folder `out`; a unit code: that unit's form; None: one form without a
    unit. The period, when given, is filled in. A form already there (a unit
    may have filled it in) is kept as it is unless `force`; `paths` lists it
    all the same."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.core.config import find_config, load_config
    from dvk_cli.core.periods import parse_period
    from dvk_cli.outputs.forms import write_form, write_unit_forms

    out = Path(out)
    before = _existing_files(out)
    cfg = load_config(find_config([out.parent if out.suffix else out], _optional_path(config)))
    p = None
    if period:
        p = parse_period(period)
        if p is None:
            raise UsageError(f"Kỳ báo cáo “{period}” không hợp lệ. Ví dụ: 2024, 2024-H1, 2024-Q3.")
    catalog = catalog_for(cfg)
    if unit and unit.lower() == "all":
        if not cfg.registry:
            raise UsageError("Không có danh sách đơn vị: khai báo [[units]] trong dvk.toml "
                             "(xem dvk init).")
        if out.suffix.lower() in {".xlsx", ".xls", ".ods"}:
            raise UsageError("Với --unit all, OUT phải là một thư mục.")
        paths = write_unit_forms(out, catalog, list(cfg.registry), period=p,
                                 organization=cfg.organization, overwrite=force)
        return _forms_result(out, tuple(paths), True, before, force)
    chosen = None
    if unit:
        chosen = cfg.registry.get(unit)
        if chosen is None:
            raise UsageError(f"Mã đơn vị “{unit}” không có trong dvk.toml.")
    if out.suffix.lower() != ".xlsx":
        if out.suffix:
            raise UsageError("Biểu mẫu được tạo dạng .xlsx; hãy đặt tên tệp đuôi .xlsx.")
        out = out.with_suffix(".xlsx")
    if force or not out.exists():
        write_form(out, catalog, unit=chosen, period=p, organization=cfg.organization)
    return _forms_result(out, (out,), False, before, force)


def _existing_files(out: Path) -> set[Path]:
    """The files already at `out` (a folder's files, or the file itself)."""
    if out.is_dir():
        return {p.resolve() for p in out.iterdir() if p.is_file()}
    return {p.resolve() for p in (out, out.with_suffix(".xlsx")) if p.is_file()}


def _forms_result(out: Path, paths: tuple[Path, ...], per_unit: bool, before: set[Path],
                  force: bool) -> FormsResult:
    there = tuple(p for p in paths if p.resolve() in before)
    return FormsResult(out=out, paths=paths, per_unit=per_unit,
                       kept=() if force else there, overwritten=there if force else ())

