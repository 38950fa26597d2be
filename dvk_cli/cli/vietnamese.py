"""Click's own words in Vietnamese: help headings, the help option, usage
lines, metavars and usage errors.

typer (0.29) carries its own copy of Click. The texts it still passes through
gettext (section headings, "required", "default: …", "No such command …") are
translated by installing `translate` as the gettext of typer.core — Click's
i18n hook. The texts its copy of Click writes directly (the "Usage:" prefix,
the help option's help, "[OPTIONS]", error messages) are given in Vietnamese
by the command classes below, which the app uses for every command
(`cls=`), and by `show_usage_error`, which says a usage error in Vietnamese.

Only light imports (typer): `dvk --help` stays instant.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
import typer.core
from typer import _click

__all__ = ["VnCommand", "VnGroup", "install", "translate", "vn_message"]

HELP_HELP = "In hướng dẫn này rồi thoát."
USAGE_PREFIX = "Cách dùng: "
OPTIONS_METAVAR = "[TÙY_CHỌN]"
SUBCOMMAND_METAVAR = "LỆNH [THAM_SỐ]..."

# Metavars of parameters declared without one, by parameter name.
METAVARS = {
    "period": "KỲ", "unit": "MÃ", "code": "MÃ", "rule": "MÃ", "indicator": "MÃ",
    "replace": "MÃ", "why": "LÝ_DO", "file": "TỆP", "config": "TỆP", "mapping": "TỆP",
    "out": "THƯ_MỤC", "folder": "THƯ_MỤC", "feedback": "THƯ_MỤC", "inputs": "TỆP",
    "name": "TÊN", "directory": "THƯ_MỤC",
}

# The msgids typer.core passes through gettext, in Vietnamese.
MESSAGES = {
    "Arguments": "Đối số",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "required": "bắt buộc",
    "default: {default}": "mặc định: {default}",
    "env var: {var}": "biến môi trường: {var}",
    "(dynamic)": "(tùy lúc chạy)",
    "Missing command.": "Thiếu lệnh.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Aborted!": "Đã dừng.",
}


def translate(message: str) -> str:
    """gettext for Click's messages: the Vietnamese of a known msgid, else the msgid."""
    return MESSAGES.get(message, message)


def install() -> None:
    """Make typer.core's gettext say Click's messages in Vietnamese."""
    typer.core._ = translate  # type: ignore[attr-defined]


# Messages typer's copy of Click builds without gettext (parser, core), in Vietnamese.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(.*)\. Did you mean (.+)\?$", re.S), r"\1. Có phải ý bạn là \2?"),
    (re.compile(r"^Option (.+) requires an argument\.$"), r"Tùy chọn \1 cần một giá trị."),
    (re.compile(r"^Option (.+) requires (\d+) arguments\.$"), r"Tùy chọn \1 cần \2 giá trị."),
    (re.compile(r"^Option (.+) does not take a value\.$"), r"Tùy chọn \1 không nhận giá trị."),
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", re.S), r"Thừa đối số: \1."),
    (re.compile(r"^Argument (.+) takes (\d+) values\.$"), r"Đối số \1 cần \2 giá trị."),
    (re.compile(r"^No such option: (.+)$", re.S), r"Không có tùy chọn \1."),
    (re.compile(r"^(.+) is not a valid (integer|float|boolean)( range)?\.$"),
     r"\1 không phải là số hợp lệ."),
    (re.compile(r"^(.+) is not one of (.+)\.$"), r"\1 không thuộc các giá trị \2."),
)


def _vn_text(message: str) -> str:
    for pattern, replacement in _PATTERNS:
        if pattern.match(message):
            message = pattern.sub(replacement, message)
    return message


def _metavar(param: Any) -> str:
    name = param.metavar or (param.name or "").upper()
    return f"{name}..." if param.nargs != 1 and not name.endswith("...") else name


def _hint(param: Any, param_hint: Sequence[str] | str | None) -> str:
    if param_hint is None and param is not None:
        if param.param_type_name == "argument":
            return f"'{_metavar(param)}'"
        param_hint = param.opts
    if param_hint is None:
        return ""
    if isinstance(param_hint, str):
        return param_hint
    return " / ".join(f"'{x}'" for x in param_hint)


def vn_message(error: _click.ClickException) -> str:
    """What went wrong, in Vietnamese (the message of a usage error)."""
    exc = _click.exceptions
    if isinstance(error, exc.MissingParameter):
        param = error.param
        kind = error.param_type or (param.param_type_name if param is not None else "")
        what = {"argument": "đối số", "option": "tùy chọn"}.get(kind, "tham số")
        hint = _hint(param, error.param_hint)
        text = f"Thiếu {what} {hint}".rstrip() + "."
        return f"{text} {_vn_text(error.message)}" if error.message else text
    if isinstance(error, exc.BadParameter):
        hint = _hint(error.param, error.param_hint)
        where = f" cho {hint}" if hint else ""
        return f"Giá trị không hợp lệ{where}: {_vn_text(error.message)}"
    if isinstance(error, exc.NoSuchOption):
        text = _vn_text(error.message)
        if error.possibilities:
            text += f" Có phải ý bạn là {', '.join(sorted(error.possibilities))}?"
        return text
    return _vn_text(error.message)


def show_usage_error(error: _click.ClickException) -> None:
    """A usage error as Click shows it, in Vietnamese, on stderr."""
    from dvk_cli.cli.common import console, shown

    err = console(stderr=True)
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        err.print(ctx.get_usage(), markup=False)
        if ctx.command.get_help_option(ctx) is not None:
            names = ctx.help_option_names
            option = "--help" if "--help" in names else names[0]
            err.print(f"Xem '{ctx.command_path} {option}' để biết cách dùng.", markup=False)
        err.print()
    err.print(f"[bold red]Lỗi:[/] {shown(vn_message(error))}")


class _Vietnamese:
    """What VnCommand and VnGroup share: usage line, help option, argument rows."""

    options_metavar: str | None
    params: list[Any]

    def _vn_setup(self) -> None:
        self.options_metavar = OPTIONS_METAVAR
        for param in self.params:  # Vietnamese metavars where none was given
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = METAVARS.get(param.name, "GIÁ_TRỊ")

    def get_help_option(self, ctx: _click.Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_HELP
        return option

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def get_usage(self, ctx: _click.Context) -> str:
        formatter = ctx.make_formatter()
        self.format_usage(ctx, formatter)
        return formatter.getvalue().rstrip("\n")

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        rv = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if param.param_type_name == "argument":
                name = _metavar(param)
                rv.append(name if param.required else f"[{name}]")
            else:
                rv.extend(param.get_usage_pieces(ctx))
        return rv

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append((_metavar(param), record[1]))
            else:
                opts.append(record)
        if args:
            with formatter.section(translate("Arguments")):
                formatter.write_dl(args)
        if opts:
            with formatter.section(translate("Options")):
                formatter.write_dl(opts)


class VnCommand(_Vietnamese, typer.core.TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._vn_setup()


class VnGroup(_Vietnamese, typer.core.TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._vn_setup()
        self.subcommand_metavar = SUBCOMMAND_METAVAR

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), self.subcommand_metavar]

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        """Click's main, with usage errors said in Vietnamese."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except _click.exceptions.NoArgsIsHelpError as exc:
            print(exc.format_message())
            sys.exit(0)
        except _click.exceptions.ClickException as exc:
            show_usage_error(exc)
            sys.exit(exc.exit_code)
        except typer.Abort:
            from dvk_cli.cli.common import console

            console(stderr=True).print(translate("Aborted!"))
            sys.exit(1)
        # not standalone, Click returns the code of typer.Exit (the commands
        # always end with one) or what the command returned (None: success)
        sys.exit(rv if isinstance(rv, int) else 0)
