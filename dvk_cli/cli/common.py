"""What the commands of dvk_cli/cli/app.py and dvk_cli/cli/history.py share:
the consoles, the guard that turns problems into messages and exit codes,
JSON output, the progress bar and the option types.

Only light imports at module level (typer): `dvk --help` stays instant.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from dvk_cli.core.errors import UsageError

EXIT_USAGE = 2  # a usage or configuration problem (UsageError); 0 and 1 come with the results

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

F = TypeVar("F", bound=Callable[..., Any])


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]Lỗi:[/] {escape(message)}")
    raise typer.Exit(code)


def guard(func: F) -> F:
    """Turn expected problems into Vietnamese messages and exit codes, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except UsageError as exc:
            fail(str(exc))
        except PermissionError as exc:
            fail(f"Không ghi/đọc được “{exc.filename}” (tệp đang mở trong Excel hoặc không có quyền).")
        except FileExistsError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("Đã dừng theo yêu cầu.", 130)
        except Exception as exc:  # last resort: still no traceback for the clerk
            if os.environ.get("DVK_DEBUG"):
                raise
            fail(f"Lỗi không mong đợi: {type(exc).__name__}: {exc}. "
                 "Chạy lại với biến môi trường DVK_DEBUG=1 để xem chi tiết và báo cho người phát triển.")

    return wrapper  # type: ignore[return-value]


def print_json(data: dict) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def progress_factory(enabled: bool):
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
                            TimeElapsedColumn(), console=console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task("read", total=total)

        def hook(done: int, all_: int) -> None:
            progress.update(task, completed=done)
            if done >= all_:
                progress.stop()

        return hook

    return factory
