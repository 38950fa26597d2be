"""Numbers as Vietnamese clerks write them: parsing cell values and
formatting figures for reports ("1.215", "33,5 km", "1,52 tỷ đồng")."""

from __future__ import annotations

import decimal
import math
import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Indicator

# Vietnamese notation: "." groups thousands, "," marks decimals.
_VI_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.215 / 1.520,5
_VI_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")  # 33,5
_PLAIN = re.compile(r"^[+-]?\d+$")  # 1215
_DOT_DECIMAL = re.compile(r"^[+-]?\d+\.(\d{1,2}|\d{4,})$")  # 33.5 (cannot be grouping)
_EN_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+\.\d+$")  # 1,520.5 (unambiguous)
_EMPTY_MARKS = {"", "-", "–", "—"}


class NotANumber(ValueError):
    """A cell's content cannot be read as a number without guessing."""


def parse_number(value: object) -> float | int | None:
    """Read a cell value as a number.

    Returns None for an empty cell (not reported — different from 0).
    Raises NotANumber with a Vietnamese explanation otherwise.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise NotANumber(f"giá trị logic {value!r} không phải là số")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise NotANumber("giá trị không hợp lệ")
        return int(value) if value.is_integer() else value
    if isinstance(value, (datetime, date, time, timedelta)):
        raise NotANumber(f"ô chứa ngày/giờ ({value}) thay vì số")
    text = str(value).replace("\u00a0", " ").strip()
    if text in _EMPTY_MARKS:
        return None
    compact = text.replace(" ", "")
    if _PLAIN.match(compact):
        return int(compact)
    if _VI_GROUPED.match(compact):
        return _to_number(compact.replace(".", "").replace(",", "."))
    if _VI_DECIMAL.match(compact):
        return _to_number(compact.replace(",", "."))
    if _DOT_DECIMAL.match(compact):
        return _to_number(compact)
    if _EN_GROUPED.match(compact):
        return _to_number(compact.replace(",", ""))
    raise NotANumber(f"“{text}” không đọc được là số")


def _to_number(text: str) -> float | int:
    number = float(text)
    return int(number) if number.is_integer() else number


def clean(value: float | int) -> float | int:
    """Whole numbers become ints; sums of decimals lose binary noise (6 places)."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


# ----------------------------------------------------------------- formatting

def _babel():
    from babel.numbers import format_decimal  # lazy: Babel loads locale data

    return format_decimal


def fmt_number(value: float | int, decimals: int = 2) -> str:
    """1215 -> '1.215'; 33.5 -> '33,5'; 15.15 -> '15,15' (at most `decimals`)."""
    rounded = round(value, decimals)
    if float(rounded).is_integer() and abs(rounded) < 1e15:
        # whole numbers, most of what dvk prints: Babel's result, 50x faster
        return f"{int(rounded):,}".replace(",", ".")
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    with decimal.localcontext() as ctx:
        ctx.prec = decimal.MAX_PREC  # Babel quantizes in this context: 28 digits broke on 1e26
        return _babel()(rounded, format=pattern, locale="vi")


def fmt_money(million_vnd: float | int) -> str:
    """Money given in triệu đồng: 250 -> '250 triệu đồng'; 1520 -> '1,52 tỷ đồng'."""
    if abs(million_vnd) >= 1000:
        return f"{fmt_number(million_vnd / 1000, 2)} tỷ đồng"
    return f"{fmt_number(million_vnd, 2)} triệu đồng"


def fmt_percent(value: float | int) -> str:
    """A percentage already ×100: 98.5 -> '98,5%' (never rounded to a whole number)."""
    return f"{fmt_number(value, 1)}%"


def fmt_value(value: float | int, type_: str, unit: str = "") -> str:
    """Format a figure for prose: counts bare, others with their unit."""
    if type_ == "money":
        return fmt_money(value)
    if type_ == "percent":
        return fmt_percent(value)
    if type_ == "length":
        return f"{fmt_number(value, 2)} {unit or 'km'}"
    return fmt_number(value, 0 if float(value).is_integer() else 2)


def fmt_figure(value: float | int, indicator: Indicator, *, unit: bool = True) -> str:
    """A figure as its indicator's type says, with its unit: '1.215 mô hình',
    '1,52 tỷ đồng', '98,5%', '12,5 km'. With unit=False a count stays bare
    ('1.215'), for a report sentence that names the unit itself."""
    text = fmt_value(value, indicator.type, indicator.unit)
    if unit and indicator.type == "count" and indicator.unit:
        return f"{text} {indicator.unit}"
    return text


def fmt_figure_number(value: float | int, indicator: Indicator) -> str:
    """The figure alone, as in a table column: '1.520', '15,15', '98,5' (a
    percentage with one decimal, anything else with at most two)."""
    return fmt_number(value, 1 if indicator.type == "percent" else 2)


# Excel number formats. Excel renders "," and "." with the separators of the
# reader's locale, so a Vietnamese Excel shows 1.215 and 33,5; we only choose
# the precision. Whole numbers get no decimals, fractions one or two.
EXCEL_INT = "#,##0"
EXCEL_DEC = "#,##0.0#"
EXCEL_PERCENT = "0.0"


def excel_format(value: float | int | None, type_: str) -> str:
    if type_ == "percent":
        return EXCEL_PERCENT
    if value is not None and not float(value).is_integer():
        return EXCEL_DEC
    return EXCEL_INT
