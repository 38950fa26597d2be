"""The names of the files dvk writes for a period, in one place:
tong-hop-<kỳ>.xlsx (the consolidated workbook) and bao-cao-<kỳ>.md / .docx
(the report). No imports: the command line uses it before anything is read."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dvk_cli.core.periods import Period

WORKBOOK_STEM = "tong-hop"
REPORT_STEM = "bao-cao"
REPORT_FORMATS = ("docx", "md")
# dvk's own earlier workbooks in an output folder: never read back as returns
OWN_OUTPUTS_GLOB = f"{WORKBOOK_STEM}-*.xlsx"


def _code(period: Period | str) -> str:
    return period if isinstance(period, str) else period.code


def workbook_name(period: Period | str) -> str:
    """tong-hop-2024.xlsx: the consolidated workbook of a period (a Period or its code)."""
    return f"{WORKBOOK_STEM}-{_code(period)}.xlsx"


def report_name(period: Period | str, fmt: str = "md") -> str:
    """bao-cao-2024.md (or .docx with fmt="docx"): the report of a period."""
    return f"{REPORT_STEM}-{_code(period)}.{fmt}"
