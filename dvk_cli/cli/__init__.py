"""The command line: the Typer app and terminal rendering only. Each command
parses its arguments, calls one function of `dvk_cli.api`, renders the result
and exits with its code."""

from dvk_cli.cli.app import app, main

__all__ = ["app", "main"]
