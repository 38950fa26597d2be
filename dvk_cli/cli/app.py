"""The `dvk` command line: parse arguments, call one library function, render.

Heavy libraries (pandas, openpyxl, calamine, Babel) are imported inside the
commands so that `dvk --help` answers instantly.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from dvk_cli.core.errors import UsageError

app = typer.Typer(
    name="dvk",
    help="dvk — tổng hợp báo cáo công tác dân vận: biểu mẫu, đọc và kiểm tra biểu, "
    "tổng hợp số liệu, dự thảo báo cáo.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", "-p", help="Kỳ báo cáo: 2024, 2024-H1, 2024-Q1…Q4, 2024-9M, 2024-05."),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Đường dẫn dvk.toml (mặc định: tìm từ thư mục INPUT).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON ra stdout.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Coi cảnh báo là lỗi (mã thoát 1).")]
InputsArg = Annotated[
    list[Path], typer.Argument(help="Tệp hoặc thư mục chứa biểu báo cáo (.xlsx, .xlsm, .xls, .ods).")
]


def _version(value: bool) -> None:
    if value:
        from dvk_cli import __version__

        print(f"dvk {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="In phiên bản dvk.")
    ] = False,
) -> None:
    """dvk — tổng hợp báo cáo công tác dân vận: biểu mẫu, đọc và kiểm tra biểu, tổng hợp số liệu,
    dự thảo báo cáo."""


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    _console(stderr=True).print(f"[bold red]Lỗi:[/] {message}")
    raise typer.Exit(code)


def _guard(func):
    """Turn expected problems into Vietnamese messages and exit codes, never tracebacks."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except UsageError as exc:
            _fail(str(exc))
        except PermissionError as exc:
            _fail(f"Không ghi/đọc được “{exc.filename}” (tệp đang mở trong Excel hoặc không có quyền).")
        except FileExistsError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("Đã dừng theo yêu cầu.", 130)
        except Exception as exc:  # last resort: still no traceback for the clerk
            if os.environ.get("DVK_DEBUG"):
                raise
            _fail(f"Lỗi không mong đợi: {type(exc).__name__}: {exc}. "
                  "Chạy lại với biến môi trường DVK_DEBUG=1 để xem chi tiết và báo cho người phát triển.")

    return wrapper


def _progress_factory(enabled: bool):
    """A rich progress bar on stderr for long reads (only on a terminal)."""
    if not enabled or not sys.stderr.isatty():
        return None

    def factory(total: int):
        if total < 20:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(TextColumn("Đang đọc biểu"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=_console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task("read", total=total)

        def hook(done: int, all_: int) -> None:
            progress.update(task, completed=done)
            if done >= all_:
                progress.stop()

        return hook

    return factory


@app.command()
@_guard
def init(
    folder: Annotated[Path, typer.Argument(help="Thư mục làm việc cần tạo.")] = Path("."),
    name: Annotated[str | None, typer.Option("--name", help="Tên cơ quan tổng hợp.")] = None,
) -> None:
    """Tạo thư mục làm việc: dvk.toml (có chú thích) và thư mục returns/ để chứa biểu."""
    from dvk_cli.outputs.forms import init_folder

    written = init_folder(folder, organization_name=name)
    console = _console()
    for path in written:
        console.print(f"[green]Đã tạo[/] {path}")
    console.print("Bước tiếp theo: khai báo các đơn vị trong dvk.toml, rồi chạy "
                  "[bold]dvk template bieu-mau --unit all --period 2024[/].")


@app.command()
@_guard
def template(
    out: Annotated[Path, typer.Argument(help="Tệp .xlsx cần tạo (hoặc thư mục khi --unit all).")],
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="Mã đơn vị, hoặc all cho mọi đơn vị.")] = None,
    period: PeriodOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Tạo biểu mẫu báo cáo trống (có thể điền sẵn đơn vị và kỳ báo cáo)."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.core.config import find_config, load_config
    from dvk_cli.core.periods import parse_period
    from dvk_cli.outputs.forms import write_form, write_unit_forms

    cfg = load_config(find_config([out.parent if out.suffix else out], config))
    p = None
    if period:
        p = parse_period(period)
        if p is None:
            raise UsageError(f"Kỳ báo cáo “{period}” không hợp lệ. Ví dụ: 2024, 2024-H1, 2024-Q3.")
    catalog = catalog_for(cfg)
    console = _console()
    if unit and unit.lower() == "all":
        if not cfg.registry:
            raise UsageError("Không có danh sách đơn vị: khai báo [[units]] trong dvk.toml (xem dvk init).")
        if out.suffix.lower() in {".xlsx", ".xls", ".ods"}:
            raise UsageError("Với --unit all, OUT phải là một thư mục.")
        paths = write_unit_forms(out, catalog, list(cfg.registry), period=p, organization=cfg.organization)
        console.print(f"[green]Đã tạo {len(paths)} biểu mẫu[/] trong {out}")
        return
    chosen = None
    if unit:
        chosen = cfg.registry.get(unit)
        if chosen is None:
            raise UsageError(f"Mã đơn vị “{unit}” không có trong dvk.toml.")
    if out.suffix.lower() != ".xlsx":
        if out.suffix:
            raise UsageError("Biểu mẫu được tạo dạng .xlsx; hãy đặt tên tệp đuôi .xlsx.")
        out = out.with_suffix(".xlsx")
    path = write_form(out, catalog, unit=chosen, period=p, organization=cfg.organization)
    console.print(f"[green]Đã tạo biểu mẫu[/] {path}")


ReplaceOpt = Annotated[
    list[str] | None,
    typer.Option("--replace", help="Mã đơn vị có biểu gửi lại thay cho báo cáo đã lưu trong kho "
                 "lịch sử (dùng nhiều lần cho nhiều đơn vị)."),
]
AcceptNewerOpt = Annotated[
    bool, typer.Option("--accept-newer", help="Biểu khác bản đã lưu và mới sửa hơn thì thay thế.")
]
NoStoreOpt = Annotated[
    bool, typer.Option("--no-store", help="Không dùng kho lịch sử dvk.sqlite (không so sánh kỳ trước).")
]


def _history(no_store: bool, replace, accept_newer: bool, write: bool, command: str):
    if no_store:
        if replace or accept_newer:
            raise UsageError("--replace và --accept-newer cần kho lịch sử; bỏ --no-store.")
        return None
    from dvk_cli.history.ledger import HistoryOptions

    codes = frozenset(code.strip().upper() for code in (replace or []) if code.strip())
    return HistoryOptions(write=write, replace=codes, accept_newer=accept_newer, command=command)


def _run(inputs, period, config, json_out, skip=None, history=None):
    from dvk_cli.pipeline import run

    return run(list(inputs), period=period, config_path=config, skip=skip,
               progress=_progress_factory(not json_out), history=history)


def _own_outputs(out: Path) -> set[Path]:
    """Our own earlier outputs in --out: not returns of this level."""
    return set(out.glob("tong-hop-*.xlsx")) if out.is_dir() else set()


def _finish(result, outputs: dict[str, Path], json_out: bool, strict: bool) -> None:
    """Say what was written (JSON or the summary table) and exit with the run's code."""
    if json_out:
        from dvk_cli.aggregation import to_json

        data = to_json(result)
        data["outputs"] = {key: str(path) for key, path in outputs.items()}
        _print_json(data)
    else:
        from dvk_cli.cli.render import print_summary

        print_summary(_console(), result, list(outputs.values()))
    raise typer.Exit(_exit_code(result, strict))


def _exit_code(result, strict: bool) -> int:
    if result.errors or (strict and result.warnings):
        return EXIT_DATA
    return EXIT_OK


@app.command()
@_guard
def validate(
    inputs: InputsArg,
    period: PeriodOpt = None,
    json_out: JsonOpt = False,
    strict: StrictOpt = False,
    config: ConfigOpt = None,
    feedback: Annotated[
        Path | None,
        typer.Option("--feedback", help="Ghi vào THƯ_MỤC này, cho mỗi biểu có vấn đề, một bản sao tô màu "
                     "các ô cần sửa kèm ghi chú và trang “Cần sửa” (tệp gốc không bị sửa)."),
    ] = None,
    replace: ReplaceOpt = None,
    accept_newer: AcceptNewerOpt = False,
    no_store: NoStoreOpt = False,
) -> None:
    """Đọc và kiểm tra các biểu báo cáo; chỉ ghi tệp khi có --feedback."""
    from dvk_cli.aggregation import to_json
    from dvk_cli.cli.render import print_validation

    if feedback is not None:
        from dvk_cli.outputs.feedback import check_feedback_dir

        check_feedback_dir(feedback, list(inputs))
    # the store is consulted (resubmissions, locks, comparisons), never written
    result = _run(inputs, period, config, json_out,
                  history=_history(no_store, replace, accept_newer, False, "validate"))
    written = None
    if feedback is not None:
        from dvk_cli.outputs.feedback import write_feedback

        written = write_feedback(result, feedback)
    if json_out:
        data = to_json(result)
        if written is not None:
            data["feedback"] = {"written": [str(f.path) for f in written.written],
                                "skipped": [file for file, _ in written.skipped]}
        _print_json(data)
    else:
        print_validation(_console(), result, written)
    raise typer.Exit(_exit_code(result, strict))


@app.command()
@_guard
def aggregate(
    inputs: InputsArg,
    period: PeriodOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Thư mục ghi kết quả.")] = Path("."),
    json_out: JsonOpt = False,
    strict: StrictOpt = False,
    config: ConfigOpt = None,
    template_path: Annotated[
        Path | None, typer.Option("--template", help="Mẫu báo cáo Jinja thay cho mẫu mặc định.")
    ] = None,
    replace: ReplaceOpt = None,
    accept_newer: AcceptNewerOpt = False,
    no_store: NoStoreOpt = False,
    docx: Annotated[
        bool, typer.Option("--docx", help="Ghi thêm bao-cao-<kỳ>.docx (báo cáo Word theo thể thức "
                           "văn bản của Đảng).")
    ] = False,
) -> None:
    """Tổng hợp các biểu: ghi tong-hop-<kỳ>.xlsx và bao-cao-<kỳ>.md, in bảng tóm tắt."""
    from dvk_cli.outputs.report import write_report
    from dvk_cli.outputs.workbook import write_workbook

    if template_path is not None and not template_path.is_file():
        raise UsageError(f"Không tìm thấy mẫu báo cáo “{template_path}”.")
    result = _run(inputs, period, config, json_out, skip=_own_outputs(out),
                  history=_history(no_store, replace, accept_newer, True, "aggregate"))
    code = result.period.code
    workbook_path = write_workbook(result, out / f"tong-hop-{code}.xlsx")
    report_path = write_report(result, out / f"bao-cao-{code}.md", template_path)
    outputs = {"workbook": workbook_path, "report": report_path}
    if docx:
        from dvk_cli.outputs.word import settings_for, write_docx_report

        outputs["docx"] = write_docx_report(result, out / f"bao-cao-{code}.docx",
                                            settings_for(inputs, config))
    _finish(result, outputs, json_out, strict)


@app.command()
@_guard
def report(
    inputs: InputsArg,
    period: PeriodOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="docx (báo cáo Word, mặc định) hoặc md (Markdown).")
    ] = "docx",
    out: Annotated[Path, typer.Option("--out", "-o", help="Thư mục ghi báo cáo.")] = Path("."),
    json_out: JsonOpt = False,
    strict: StrictOpt = False,
    config: ConfigOpt = None,
    template_path: Annotated[
        Path | None, typer.Option("--template", help="Mẫu báo cáo (.docx cho docx, .j2 cho md) "
                                  "thay cho mẫu mặc định.")
    ] = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Dự thảo báo cáo: ghi bao-cao-<kỳ>.docx (hoặc .md với --format md), không ghi bảng tổng hợp."""

    fmt = fmt.strip().lower().lstrip(".")
    if fmt not in ("docx", "md"):
        raise UsageError(f"Định dạng “{fmt}” không hỗ trợ; chọn --format docx hoặc --format md.")
    if template_path is not None and not template_path.is_file():
        raise UsageError(f"Không tìm thấy mẫu báo cáo “{template_path}”.")
    if fmt == "docx" and template_path is not None and template_path.suffix.lower() != ".docx":
        raise UsageError("Với --format docx, mẫu báo cáo phải là tệp Word .docx.")
    result = _run(inputs, period, config, json_out, skip=_own_outputs(out),
                  history=_history(no_store, None, False, False, "report"))
    target = out / f"bao-cao-{result.period.code}.{fmt}"
    if fmt == "docx":
        from dvk_cli.outputs.word import settings_for, write_docx_report

        path = write_docx_report(result, target, settings_for(inputs, config), template_path)
    else:
        from dvk_cli.outputs.report import write_report

        path = write_report(result, target, template_path)
    _finish(result, {"report": path}, json_out, strict)


@app.command()
@_guard
def inspect(
    file: Annotated[Path, typer.Argument(help="Tệp biểu cần xem (.xlsx, .xlsm, .xls, .ods).")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="Đọc theo tệp ánh xạ (.toml) này.")
    ] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Xem dvk đọc một tệp như thế nào: ô nào thành chỉ tiêu nào, nhận ra bằng cách nào."""
    from dvk_cli.inspection import inspect_file, print_inspection

    result = inspect_file(file, config_path=config, mapping_path=mapping)
    if json_out:
        _print_json(result.to_dict())
    else:
        print_inspection(_console(), result)
    errors = any(f.severity == "error" for f in result.findings)
    raise typer.Exit(EXIT_DATA if errors or not result.returns else EXIT_OK)


def _print_json(data: dict) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# dvk history, diff, lock, unlock, baseline, trend (the history store)
from dvk_cli.cli.history import register as _register_history  # noqa: E402

_register_history(app, guard=_guard, console=_console, print_json=_print_json)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
