"""What the Markdown report (report.py) and the Word report (word.py) share
about their Jinja templates: where the packaged templates are, the `giatri`
filter, the sandbox every template runs in (report templates are shared
between offices: one must not be able to run code), and the Vietnamese
messages for a template that cannot be rendered.

jinja2 is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dvk_cli.core.errors import UsageError
from dvk_cli.core.numbers import fmt_number, fmt_value


def packaged_template(name: str) -> Path:
    """templates/<name> as installed with dvk_cli (package dvk_cli.templates);
    from the checkout's templates/ when not installed."""
    from importlib import resources

    try:
        res = resources.files("dvk_cli.templates").joinpath(name)
        if res.is_file():
            return Path(str(res))
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "templates" / name


def giatri(indicator: Any) -> str:
    """The filter `giatri`: an indicator dict (from the report context)
    formatted as in prose ("1,52 tỷ đồng"); a bare number as a number."""
    if isinstance(indicator, Mapping):
        return fmt_value(indicator["value"], indicator.get("type", "count"),
                         indicator.get("unit", ""))
    return fmt_number(indicator)


@contextmanager
def template_errors(name: object, *, word: bool = False) -> Iterator[None]:
    """Turn the Jinja errors of rendering template `name` into UsageErrors
    saying, in Vietnamese, what is wrong. A Word template is XML inside a
    .docx, so its messages name no line (a line there means nothing to the user)."""
    import jinja2
    from jinja2.exceptions import SecurityError

    kind = "Mẫu báo cáo Word" if word else "Mẫu báo cáo"
    try:
        with render_deadline():
            yield
    except jinja2.TemplateSyntaxError as exc:
        where = "" if word else f" ở dòng {exc.lineno}"
        raise UsageError(f"{kind} “{name}” sai cú pháp{where}: {exc.message}") from exc
    except SecurityError as exc:
        raise UsageError(f"{kind} “{name}” dùng thao tác không được phép trong mẫu (dvk chạy mẫu "
                         f"trong môi trường cách ly, mẫu chỉ được đọc dữ liệu báo cáo): "
                         f"{exc}") from exc
    except jinja2.UndefinedError as exc:
        raise UsageError(f"{kind} “{name}” dùng tên không có trong dữ liệu báo cáo: "
                         f"{exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise UsageError(f"Không dựng được báo cáo từ mẫu “{name}”: {exc}") from exc
    except _TooSlow as exc:
        raise UsageError(f"{kind} “{name}” chạy quá {RENDER_SECONDS} giây (có thể có vòng lặp quá "
                         "lớn); dvk dừng dựng báo cáo từ mẫu này.") from exc
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # A template is a small program its author wrote: 1/0, range(10**9),
        # a missing key … are its own errors, said as such.
        raise UsageError(f"{kind} “{name}” gặp lỗi khi dựng báo cáo "
                         f"({type(exc).__name__}: {exc}).") from exc


# A report renders in well under a second; a template that loops for longer
# is stopped (the sandbox bounds one range(), not loops nested in each other).
RENDER_SECONDS = 60


class _TooSlow(Exception):
    pass


@contextmanager
def render_deadline(seconds: float | None = None) -> Iterator[None]:
    """Stop a template that renders for longer than `seconds` (a _TooSlow,
    said by template_errors). Uses SIGALRM, so only in the main thread of a
    Unix process; elsewhere the template runs unbounded."""
    import signal
    import threading

    seconds = RENDER_SECONDS if seconds is None else seconds
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def sandboxed_environment(**options: Any):
    """A Jinja environment in which a template can read the report's data and
    call its filters, and nothing else: jinja2.sandbox refuses attributes
    such as __class__ or __globals__ (a SecurityError, said in Vietnamese by
    template_errors)."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(**options)
