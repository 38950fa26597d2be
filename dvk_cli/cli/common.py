"""What the commands of dvk_cli/cli/app.py and dvk_cli/cli/history.py share:
the consoles, the guard that turns problems into messages and exit codes,
JSON output, the progress bar and the option types.

Only light imports at module level (typer): `dvk --help` stays instant.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from dvk_cli.core.errors import UsageError

EXIT_USAGE = 2  # a usage or configuration problem (UsageError); 0 and 1 come with the results

PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", "-p", metavar="KỲ", help="Kỳ báo cáo: 2024, 2024-H1, 2024-Q1…Q4, 2024-9M, 2024-05."),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", metavar="TỆP", help="Đường dẫn dvk.toml (mặc định: tìm từ thư mục chứa biểu).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON ra stdout.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Coi cảnh báo là lỗi (mã thoát 1).")]
InputsArg = Annotated[
    list[Path], typer.Argument(metavar="TỆP", help="Tệp hoặc thư mục chứa biểu báo cáo (.xlsx, .xlsm, .xls, .ods).")
]
ReplaceOpt = Annotated[
    list[str] | None,
    typer.Option("--replace", metavar="MÃ", help="Mã đơn vị có biểu gửi lại thay cho báo cáo đã lưu trong kho "
                 "lịch sử (dùng nhiều lần cho nhiều đơn vị)."),
]
AcceptNewerOpt = Annotated[
    bool, typer.Option("--accept-newer", help="Biểu khác bản đã lưu và mới sửa hơn thì thay thế.")
]
NoStoreOpt = Annotated[
    bool, typer.Option("--no-store", help="Không dùng kho lịch sử dvk.sqlite (không so sánh kỳ trước).")
]

F = TypeVar("F", bound=Callable[..., Any])


def examples(*lines: str) -> str:
    """A command's epilog: "Ví dụ:" and the command lines, kept as written
    (\b: Click does not rewrap the paragraph)."""
    return "\b\nVí dụ:\n" + "\n".join(f"  {line}" for line in lines)


# ---------------------------------------------------------------- showing text
# Every text that comes from outside dvk (a cell, a unit name from a return or
# dvk.toml, a path, a reason typed for dvk lock) is data: it reaches rich only
# through `shown` (one line, no control characters, markup escaped) or with
# markup=False. The console of `console()` is the safety net behind that: it
# takes escape sequences and control characters out of everything it renders,
# reads no :emoji: codes, and prints a text whose markup rich cannot parse as
# plain text instead of raising MarkupError.


def shown(text: object) -> str:
    """User-supplied `text` ready to be placed in rich markup: one line, safe
    to show (core.text.safe_text), square brackets escaped so that "[/]",
    "[bold]Xã A[/]" or "[bản cuối]" print as written."""
    from rich.markup import escape

    from dvk_cli.core.text import safe_text

    return escape(safe_text(text))


_console_class: type | None = None


def _safe_console_class() -> type:
    """rich's Console, rendering every string safely (made once, on first use:
    rich loads only when something is printed)."""
    global _console_class
    if _console_class is None:
        from rich.console import Console
        from rich.errors import MarkupError

        from dvk_cli.core.text import safe_text

        class SafeConsole(Console):
            def render_str(self, text, **kwargs):  # type: ignore[override]
                text = safe_text(text, multiline=True)
                try:
                    return super().render_str(text, **kwargs)
                except MarkupError:  # a text some call site forgot to escape
                    return super().render_str(text, **{**kwargs, "markup": False})

        _console_class = SafeConsole
    return _console_class


# Width of the console when output goes to a pipe or a file: wide enough that
# no message is broken mid-phrase; tables keep their natural width.
PIPE_WIDTH = 10_000


def console(stderr: bool = False):
    """The console for stdout (or stderr). On a terminal rich wraps to its
    width; to a pipe or a file (or with COLUMNS unset under a test runner)
    nothing is wrapped: a line is as long as its text."""
    stream = sys.stderr if stderr else sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty or os.environ.get("COLUMNS"):
        return _safe_console_class()(stderr=stderr, highlight=False, emoji=False)
    return _safe_console_class()(stderr=stderr, highlight=False, emoji=False, width=PIPE_WIDTH,
                                 soft_wrap=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    console(stderr=True).print(f"[bold red]Lỗi:[/] {shown(message)}")
    raise typer.Exit(code)


EXIT_PIPE = 141  # the program reading dvk's output stopped (128 + SIGPIPE, as a shell reports it)


def _reader_gone() -> NoReturn:
    """What dvk printed went to a pipe whose reader has stopped (`dvk … | head`):
    nothing is wrong with the data or the outputs written, and nothing more can
    be said there. What is still buffered for that pipe goes nowhere (rather
    than failing again at exit), and dvk ends quietly."""
    for stream in (sys.stdout, sys.stderr):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, stream.fileno())
            finally:
                os.close(devnull)
        except (AttributeError, OSError, ValueError):  # not a file (a test runner's stream)
            continue
    raise typer.Exit(EXIT_PIPE)


def guard(func: F) -> F:
    """Turn expected problems into Vietnamese messages and exit codes, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from dvk_cli.core.collector import long_lived

        try:
            with long_lived():  # until the command's output is printed
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
        except BrokenPipeError:
            _reader_gone()
        except Exception as exc:  # last resort: still no traceback for the clerk
            if os.environ.get("DVK_DEBUG"):
                raise
            fail(f"Lỗi không mong đợi: {type(exc).__name__}: {exc}. "
                 "Chạy lại với biến môi trường DVK_DEBUG=1 để xem chi tiết và báo cho người phát triển.")

    return wrapper  # type: ignore[return-value]


# Characters JSON leaves raw with ensure_ascii=False that a terminal would act
# on (C1 controls, bidi overrides, invisible ones) or cannot encode (lone
# surrogates): written as \uXXXX escapes, so the data stays exact.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\ufffe\uffff\ud800-\udfff]"
)


def print_json(data: dict) -> None:
    """`data` as JSON on stdout, written as it is encoded (a national run's
    result is tens of MB: never held twice as one string)."""
    from dvk_cli.cli.jsonout import PrettyJson

    write = sys.stdout.write
    PrettyJson(lambda text: write(_JSON_UNSAFE.sub(_escaped, text))).dump(data)
    write("\n")


def _escaped(m: re.Match) -> str:
    return f"\\u{ord(m.group()):04x}"


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
