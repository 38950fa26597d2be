"""The `dvk` command line: parse arguments, call one function of dvk_cli.api,
render its result, exit with its code.

Heavy libraries (pandas, openpyxl, calamine, Babel) are imported inside the
commands, through the api, so that `dvk --help` answers instantly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from dvk_cli.cli import history as history_commands
from dvk_cli.cli import vietnamese
from dvk_cli.cli.common import (
    AcceptNewerOpt,
    ConfigOpt,
    InputsArg,
    JsonOpt,
    NoStoreOpt,
    PeriodOpt,
    ReplaceOpt,
    StrictOpt,
    console,
    examples,
    fail,
    guard,
    print_json,
    progress_factory,
)

__all__ = ["app", "main"]

vietnamese.install()

app = typer.Typer(
    name="dvk",
    help="dvk — tổng hợp báo cáo công tác dân vận: biểu mẫu, đọc và kiểm tra biểu, "
    "tổng hợp số liệu, dự thảo báo cáo.",
    cls=vietnamese.VnGroup,
    add_completion=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from dvk_cli.core.version import VERSION

        print(f"dvk {VERSION}")
        raise typer.Exit()


def _year() -> int:
    import datetime

    return datetime.date.today().year


def workflow(year: int) -> str:
    """The five steps of a reporting period (what `dvk` alone prints)."""
    steps = [
        ("dvk init lam-viec", "tạo thư mục làm việc và dvk.toml"),
        (f"dvk -C lam-viec template bieu-mau --unit all --period {year}",
         "gửi biểu mẫu cho các đơn vị"),
        (f"dvk -C lam-viec validate returns --period {year}", "kiểm tra biểu các đơn vị gửi về"),
        (f"dvk -C lam-viec aggregate returns --period {year} --docx",
         "tổng hợp, dự thảo báo cáo"),
        (f'dvk -C lam-viec lock {year} --why "Báo cáo số …"', "khóa kỳ khi báo cáo đã ký"),
    ]
    width = max(len(command) for command, _ in steps)
    lines = [f"{i}. {command.ljust(width)}  {what}" for i, (command, what) in enumerate(steps, 1)]
    return "\n".join(["Các bước của một kỳ báo cáo (chi tiết: dvk --help):", *lines])


@app.callback(epilog=examples("dvk -C lam-viec history", "dvk aggregate returns --period 2024"))
def _main(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("-C", metavar="THƯ_MỤC", help="Chạy lệnh trong THƯ_MỤC này (như git -C): "
                     "đường dẫn, dvk.toml và kho lịch sử được tìm từ đó."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="In phiên bản dvk.")
    ] = False,
) -> None:
    """dvk — tổng hợp báo cáo công tác dân vận: biểu mẫu, đọc và kiểm tra biểu, tổng hợp số liệu,
    dự thảo báo cáo."""
    ctx.meta["dvk.start"] = os.getcwd()
    if directory is not None:
        if not directory.is_dir():
            fail(f"Không có thư mục “{directory}” (tùy chọn -C).")
        os.chdir(directory)
    if ctx.invoked_subcommand is None:
        print(workflow(_year()))


def _command(*lines: str):
    """app.command with dvk's Vietnamese command class and a "Ví dụ:" block."""
    return app.command(cls=vietnamese.VnCommand, epilog=examples(*lines))


def _from_start(ctx: typer.Context, folder: Path) -> str:
    """How to reach `folder` from where dvk was run: "" (there already) or "-C PATH "."""
    start = ctx.meta.get("dvk.start", os.getcwd())
    rel = os.path.relpath(folder.resolve(), start)
    if rel == ".":
        return ""
    return f'-C "{rel}" ' if any(c.isspace() for c in rel) else f"-C {rel} "


@_command("dvk init lam-viec", "dvk init lam-viec --name \"Ban Dân vận Tỉnh ủy Bình Phước\"")
@guard
def init(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(metavar="THƯ_MỤC", help="Thư mục làm việc cần tạo.")] = Path("."),
    name: Annotated[str | None, typer.Option("--name", metavar="TÊN", help="Tên cơ quan tổng hợp.")] = None,
) -> None:
    """Tạo thư mục làm việc: dvk.toml (có chú thích) và thư mục returns/ để chứa biểu."""
    from dvk_cli import api
    from dvk_cli.cli.render import print_init

    result = api.init_folder(folder, name)
    print_init(console(), result, where=_from_start(ctx, result.folder), year=_year())
    raise typer.Exit(result.exit_code)


@_command("dvk template bieu-mau --unit all --period 2024",
          "dvk template mau-trong.xlsx",
          "dvk template bieu-mau --unit all --period 2024 --force")
@guard
def template(
    out: Annotated[Path, typer.Argument(metavar="ĐÍCH", help="Tệp .xlsx cần tạo (hoặc thư mục khi --unit all).")],
    unit: Annotated[str | None, typer.Option("--unit", "-u", metavar="MÃ", help="Mã đơn vị, hoặc all cho mọi đơn vị.")] = None,
    period: PeriodOpt = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Ghi đè biểu mẫu đã có (mặc định: giữ nguyên "
                                        "tệp đã có, có thể đơn vị đã điền).")] = False,
) -> None:
    """Tạo biểu mẫu báo cáo trống (có thể điền sẵn đơn vị và kỳ báo cáo). Tệp đã có được giữ
    nguyên, trừ khi có --force."""
    from dvk_cli import api
    from dvk_cli.cli.render import print_forms

    result = api.write_forms(out, unit, period, config, force=force)
    print_forms(console(), result)
    raise typer.Exit(result.exit_code)


def _finish(result, json_out: bool, *, totals: bool = True) -> None:
    """Say what was written (JSON, or the summary: with the totals table
    unless totals=False) and exit with the run's code."""
    if json_out:
        print_json(result.to_dict())
    elif not hasattr(result, "consolidation"):  # api.UnchangedResult: nothing read or written
        from dvk_cli.cli.render import print_unchanged

        print_unchanged(console(), result)
    else:
        from dvk_cli.cli.render import print_summary

        print_summary(console(), result.consolidation, list(result.paths.values()), totals=totals)
    raise typer.Exit(result.exit_code)


@_command("dvk validate returns --period 2024",
          "dvk validate returns --period 2024 --feedback phan-hoi",
          "dvk -C lam-viec validate returns --period 2024 --json")
@guard
def validate(
    inputs: InputsArg,
    period: PeriodOpt = None,
    json_out: JsonOpt = False,
    strict: StrictOpt = False,
    config: ConfigOpt = None,
    feedback: Annotated[
        Path | None,
        typer.Option("--feedback", metavar="THƯ_MỤC", help="Ghi vào THƯ_MỤC này, cho mỗi biểu có vấn đề, một bản sao tô màu "
                     "các ô cần sửa kèm ghi chú và trang “Cần sửa” (tệp gốc không bị sửa)."),
    ] = None,
    replace: ReplaceOpt = None,
    accept_newer: AcceptNewerOpt = False,
    no_store: NoStoreOpt = False,
) -> None:
    """Đọc và kiểm tra các biểu báo cáo; chỉ ghi tệp khi có --feedback."""
    from dvk_cli import api

    result = api.validate(inputs, period=period, config=config, feedback=feedback, strict=strict,
                          no_store=no_store, replace=replace, accept_newer=accept_newer,
                          progress=progress_factory(not json_out))
    if json_out:
        print_json(result.to_dict())
    else:
        from dvk_cli.cli.render import print_validation

        print_validation(console(), result.consolidation, result.feedback)
    raise typer.Exit(result.exit_code)


@_command("dvk aggregate returns --period 2024",
          "dvk aggregate returns --period 2024-H1 --out ket-qua --docx",
          "dvk aggregate returns --period 2024 --replace BUDANG")
@guard
def aggregate(
    inputs: InputsArg,
    period: PeriodOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="THƯ_MỤC", help="Thư mục ghi kết quả.")] = Path("."),
    json_out: JsonOpt = False,
    strict: StrictOpt = False,
    config: ConfigOpt = None,
    template_path: Annotated[
        Path | None, typer.Option("--template", metavar="TỆP", help="Mẫu báo cáo Jinja thay cho mẫu mặc định.")
    ] = None,
    replace: ReplaceOpt = None,
    accept_newer: AcceptNewerOpt = False,
    no_store: NoStoreOpt = False,
    docx: Annotated[
        bool, typer.Option("--docx", help="Ghi thêm bao-cao-<kỳ>.docx (báo cáo Word theo thể thức "
                           "văn bản của Đảng).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Tổng hợp lại từ đầu cả khi không có gì thay đổi kể từ "
                           "lần trước.")
    ] = False,
) -> None:
    """Tổng hợp các biểu: ghi tong-hop-<kỳ>.xlsx và bao-cao-<kỳ>.md, in bảng tóm tắt."""
    from dvk_cli import api

    result = api.aggregate(inputs, period=period, config=config, out=out, docx=docx,
                           template=template_path, strict=strict, no_store=no_store,
                           replace=replace, accept_newer=accept_newer, force=force,
                           progress=progress_factory(not json_out))
    _finish(result, json_out)


@_command("dvk report returns --period 2024",
          "dvk report returns --period 2024 --format md --out ket-qua")
@guard
def report(
    inputs: InputsArg,
    period: PeriodOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="DẠNG", help="docx (báo cáo Word, mặc định) hoặc md (Markdown).")
    ] = "docx",
    out: Annotated[Path, typer.Option("--out", "-o", metavar="THƯ_MỤC", help="Thư mục ghi báo cáo.")] = Path("."),
    json_out: JsonOpt = False,
    strict: StrictOpt = False,
    config: ConfigOpt = None,
    template_path: Annotated[
        Path | None, typer.Option("--template", metavar="TỆP", help="Mẫu báo cáo (.docx cho docx, .j2 cho md) "
                                  "thay cho mẫu mặc định.")
    ] = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Dự thảo báo cáo: ghi bao-cao-<kỳ>.docx (hoặc .md với --format md), không ghi bảng tổng hợp."""
    from dvk_cli import api

    result = api.report(inputs, period=period, config=config, out=out, format=fmt,
                        template=template_path, strict=strict, no_store=no_store,
                        progress=progress_factory(not json_out))
    _finish(result, json_out, totals=False)  # the report holds the figures; no table here


@_command("dvk inspect returns/bu-dang.xlsx",
          "dvk inspect returns/bu-dang.xlsx --mapping anh-xa.toml")
@guard
def inspect(
    file: Annotated[Path, typer.Argument(metavar="TỆP", help="Tệp biểu cần xem (.xlsx, .xlsm, .xls, .ods).")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", metavar="TỆP", help="Đọc theo tệp ánh xạ (.toml) này.")
    ] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Xem dvk đọc một tệp như thế nào: ô nào thành chỉ tiêu nào, nhận ra bằng cách nào."""
    from dvk_cli import api

    result = api.inspect_file(file, mapping, config=config)
    if json_out:
        print_json(result.to_dict())
    else:
        from dvk_cli.cli.render import print_inspection

        print_inspection(console(), result.inspection)
    raise typer.Exit(result.exit_code)


# dvk history, diff, lock, unlock, baseline, trend (the history store)
history_commands.register(app)


def main() -> None:
    # dvk's arithmetic (sums and medians over a few thousand units) has no use
    # for BLAS threads, which numpy's OpenBLAS starts on import, one per extra
    # core: ~90 ms of CPU taken from the reading workers (as the user sets it
    # otherwise). Set before pandas is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from dvk_cli.cli.ending import finish

    try:
        app()  # (in standalone mode Click ends with SystemExit, whatever happens)
    except SystemExit as done:
        finish(done.code)  # the command's work is done: end without the interpreter's teardown
    finish(0)


if __name__ == "__main__":
    main()
