"""Excel cell references: 0-based row/column indices to letters and A1 refs."""

from __future__ import annotations


def col_letter(index: int) -> str:
    """0-based column index -> Excel letters."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """0-based row/column -> 'E12'."""
    return f"{col_letter(col)}{row + 1}"


class CellError(str):
    """An error value a spreadsheet stored in a cell (#DIV/0!, #REF!, #N/A …).

    Readers put one in place of the cell's value (which calamine would give as
    an empty string), so that an error is reported naming the cell instead of
    being read as "not reported". It is a str, so code that only shows cell
    text shows the error code as the spreadsheet does.
    """

    __slots__ = ()
