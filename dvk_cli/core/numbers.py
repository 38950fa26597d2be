"""Numbers as Vietnamese clerks write them: parsing cell values and
formatting figures for reports ("1.215", "33,5 km", "1,52 tỷ đồng")."""

from __future__ import annotations

import decimal
import math
import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, cast

from dvk_cli.core.cells import CellError

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Indicator

# Vietnamese notation: "." groups thousands, "," marks decimals. Only ASCII
# digits: Python's \d, int() and float() accept any Unicode digit ("١٢٣").
_FORMS = re.compile(
    r"(?P<plain>[+-]?[0-9]+)"  # 1215
    r"|(?P<vi_grouped>[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?)"  # 1.215 / 1.520,5
    r"|(?P<vi_decimal>[+-]?[0-9]+,[0-9]+)"  # 33,5
    r"|(?P<dot_decimal>[+-]?[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,}))"  # 33.5 (cannot be grouping)
    r"|(?P<en_grouped>[+-]?[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+)",  # 1,520.5 (unambiguous)
    re.ASCII,
)
# Spaces inside a number: only as a thousands separator, groups of three.
_SPACE_GROUPED = re.compile(r"[0-9]{1,3}(?: +[0-9]{3})+(?:[.,][0-9]+)?", re.ASCII)
_EMPTY_MARKS = {"", "-", "–", "—"}

# No figure of any return, in any unit it may be written in (đồng, mét …),
# reaches 10^15 (a million tỷ đồng); beyond it a float no longer holds every
# whole number exactly. Each indicator has a far lower bound in the catalog.
MAGNITUDE = 1e15
_MAX_INT = 10**15
_MAX_TEXT = 60  # characters: "1.234.567.890.123,123456" is 24

# Full-width forms typed with an East Asian input method, read as ASCII (with a note).
_FULLWIDTH = {0xFF10 + d: str(d) for d in range(10)} | {
    0xFF0B: "+", 0xFF0C: ",", 0xFF0D: "-", 0xFF0E: ".", 0x3000: " "}
# Spaces a number copied from Word, a PDF or a web page may be grouped with.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u2009\u200a\u202f\u2002\u2003\u2004"
                                 "\u2005\u2006\u2008\u205f"), " ")
_UNICODE_SPACES = _FULLWIDTH | _SPACES


class NotANumber(ValueError):
    """A cell's content cannot be read as a number without guessing."""


def parse_number(value: object) -> float | int | None:
    """Read a cell value as a number.

    Returns None for an empty cell (not reported — different from 0).
    Raises NotANumber with a Vietnamese explanation otherwise: for text that
    is not a number as Vietnamese clerks write one, an error value of the
    spreadsheet (`CellError`: #DIV/0!, #REF! …), a logic or date cell, and
    any number that is not finite or reaches MAGNITUDE (10^15).

    Text is read with ASCII digits 0-9 only. Full-width digits (１２３, typed
    with an East Asian input method) are read as 0-9 (`fullwidth_note` says
    so); any other digits (Arabic-Indic ١٢٣, Devanagari …) are refused.

    Spaces inside a number — ordinary, non-breaking, thin or narrow, as a
    number copied from Word or a PDF has them — are accepted only as a
    thousands separator: groups of exactly three digits after a first group
    of one to three ("1 215", "12 345 678", "1 520,5"), in the whole part
    only. That reading is the only one possible; anything else ("1 2",
    "12 34", "1234 567", "1 520 ,5", "1.215 300") may be two numbers or a
    slip and is refused rather than guessed. A space after the sign is
    allowed ("- 5").
    """
    if value is None:
        return None
    kind = type(value)  # exact types first: the usual cell holds a number Excel stored
    if kind is int:
        if -_MAX_INT < value < _MAX_INT:  # type: ignore[operator]
            return value  # type: ignore[return-value]
    elif kind is float:
        number = cast(float, value)
        if -MAGNITUDE < number < MAGNITUDE:
            return int(number) if number.is_integer() else number
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, bool):
        raise NotANumber(f"giá trị logic {value!r} không phải là số")
    if isinstance(value, int):
        if -_MAX_INT < value < _MAX_INT:
            return value
        raise NotANumber(_too_large(_shown_int(value)))
    if isinstance(value, float):
        if -MAGNITUDE < value < MAGNITUDE:
            return int(value) if value.is_integer() else value
        if math.isnan(value) or math.isinf(value):
            raise NotANumber("giá trị không hợp lệ")
        raise NotANumber(_too_large(f"{value:g}"))
    if isinstance(value, (datetime, date, time, timedelta)):
        raise NotANumber(f"ô chứa ngày/giờ ({value}) thay vì số")
    return _parse_text(str(value))


def _parse_text(value: str) -> float | int | None:
    if isinstance(value, CellError):
        raise NotANumber(_cell_error(value))
    text = value.strip()
    if text.isascii():
        if text.isdigit() and len(text) < 16:  # most text numbers: "1215"
            return int(text)
    elif text not in _EMPTY_MARKS:
        text = text.translate(_UNICODE_SPACES)
        if not text.isascii():
            raise NotANumber(_not_ascii(value.strip()))
    if text in _EMPTY_MARKS:
        return None
    if len(text) > _MAX_TEXT:
        if text.strip("0123456789.,+- "):
            raise NotANumber(f"“{_truncated(value.strip())}” ({len(text)} ký tự) không đọc được là số")
        raise NotANumber(_too_large(f"“{_truncated(value.strip())}” ({len(text)} ký tự)"))
    if " " in text:
        body = text
        if text[0] in "+-":
            body = text[1:].lstrip(" ")
            text = text[0] + body
        if " " in body:
            if not _SPACE_GROUPED.fullmatch(body):
                raise NotANumber(f"“{value.strip()}” không đọc được là số (dấu cách giữa các chữ "
                                 "số chỉ dùng để tách nhóm ba chữ số, ví dụ 1 215)")
            text = text.replace(" ", "")
    m = _FORMS.fullmatch(text)
    if m is None:
        if text.upper() in _ERROR_CODES:  # an error value that reached us as text
            raise NotANumber(_cell_error(text))
        raise NotANumber(f"“{value.strip()}” không đọc được là số")
    form = m.lastgroup
    if form == "plain":
        number: float | int = int(text)
    elif form == "vi_grouped":
        number = _to_number(text.replace(".", "").replace(",", "."))
    elif form == "vi_decimal":
        number = _to_number(text.replace(",", "."))
    elif form == "en_grouped":
        number = _to_number(text.replace(",", ""))
    else:
        number = _to_number(text)
    if -MAGNITUDE < number < MAGNITUDE:
        return number
    raise NotANumber(_too_large(f"“{_truncated(value.strip())}”"))


def _to_number(text: str) -> float | int:
    number = float(text)
    return int(number) if number.is_integer() else number


def fullwidth_note(value: object) -> str:
    """A note for a cell whose number was typed in full-width digits
    ("đã đọc chữ số toàn khổ “１２３” là 123"); "" for any other cell."""
    if not isinstance(value, str) or value.isascii():
        return ""
    text = value.strip()
    if not any(0xFF10 <= ord(ch) <= 0xFF19 for ch in text):
        return ""
    try:
        number = parse_number(text)
    except NotANumber:
        return ""
    if number is None:
        return ""
    return f"đã đọc chữ số toàn khổ “{text}” là {fmt_number(number, 6)}"


def implausible(number: float | int, indicator: Indicator) -> str | None:
    """Why a figure read for `indicator` (in the catalog unit, after any
    conversion) cannot be true, or None: above the indicator's plausible
    maximum (catalog `max`), a typo or a slip of the unit of measure."""
    bound = indicator.max
    if bound is None or number <= bound:
        return None
    return (f"{fmt_figure(number, indicator)} vượt quá mức tối đa có thể có của một báo cáo "
            f"({fmt_figure(bound, indicator)}) — có thể gõ nhầm hoặc nhầm đơn vị tính")


# Error values of Excel and LibreOffice, as a file may hold them as text.
_ERROR_CODES = frozenset({"#DIV/0!", "#REF!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def _cell_error(code: str) -> str:
    return f"ô báo lỗi công thức {code} — đề nghị đơn vị sửa công thức hoặc nhập số"


def _not_ascii(text: str) -> str:
    odd = [ch for ch in text if not ch.isascii() and ch.isdigit()]
    if odd:
        return (f"“{_truncated(text)}” có chữ số không phải chữ số 0–9 thông thường "
                f"(“{''.join(dict.fromkeys(odd))}”); đề nghị nhập lại bằng chữ số 0–9")
    return f"“{_truncated(text)}” không đọc được là số"


def _too_large(shown: str) -> str:
    return (f"số {shown} quá lớn (từ 10^15 trở lên), không thể là số liệu báo cáo — "
            "có thể gõ nhầm")


def _shown_int(value: int) -> str:
    if abs(value) >= 10**4000:  # str() of more than 4300 digits raises
        return "có hơn 4.000 chữ số"
    digits = len(str(abs(value)))
    return f"có {digits} chữ số" if digits > 20 else str(value)


def _truncated(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def clean(value: float | int) -> float | int:
    """Whole numbers become ints; sums of decimals lose binary noise (6 places)."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


# ----------------------------------------------------------------- formatting

# What a figure that is not a finite number would be printed as.
UNSHOWN = "(không xác định)"


def _finite(value: object) -> bool:
    try:
        return math.isfinite(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def _babel():
    from babel.numbers import format_decimal  # lazy: Babel loads locale data

    return format_decimal


def fmt_number(value: float | int, decimals: int = 2) -> str:
    """1215 -> '1.215'; 33.5 -> '33,5'; 15.15 -> '15,15' (at most `decimals`).

    Never raises and never prints "inf" or "nan": a value that is not a finite
    number (which the readers never let through) is printed as UNSHOWN.
    """
    try:
        rounded = round(value, decimals)
        finite = math.isfinite(rounded)
    except (TypeError, ValueError, OverflowError):
        return UNSHOWN
    if not finite:
        return UNSHOWN
    if float(rounded).is_integer() and abs(rounded) < 1e15:
        # whole numbers, most of what dvk prints: Babel's result, 50x faster
        return f"{int(rounded):,}".replace(",", ".")
    if abs(rounded) < 1e15:
        # Babel's "#,##0.##" too (the value is already rounded: the digits are
        # those of its shortest repr), without its per-call pattern parsing
        text = f"{decimal.Decimal(repr(float(rounded) + 0.0)):,.{decimals}f}".rstrip("0").rstrip(".")
        return text.translate(_VI_SEPARATORS)
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    with decimal.localcontext() as ctx:
        ctx.prec = decimal.MAX_PREC  # Babel quantizes in this context: 28 digits broke on 1e26
        return _babel()(rounded, format=pattern, locale="vi")


def fmt_money(million_vnd: float | int) -> str:
    """Money given in triệu đồng: 250 -> '250 triệu đồng'; 1520 -> '1,52 tỷ đồng'."""
    if not _finite(million_vnd):
        return UNSHOWN
    if abs(million_vnd) >= 1000:
        return f"{fmt_number(million_vnd / 1000, 2)} tỷ đồng"
    return f"{fmt_number(million_vnd, 2)} triệu đồng"


def fmt_percent(value: float | int) -> str:
    """A percentage already ×100, always with one decimal, as every output
    writes a rate: 98.5 -> '98,5%', 95 -> '95,0%', 1234.56 -> '1.234,6%'."""
    if not _finite(value):
        return UNSHOWN
    try:
        text = f"{round(float(value), 1) + 0.0:,.1f}"  # + 0.0: never "-0,0%"
    except (OverflowError, ValueError):
        return UNSHOWN
    return text.translate(_VI_SEPARATORS) + "%"


_VI_SEPARATORS = str.maketrans({",": ".", ".": ","})


def fmt_value(value: float | int, type_: str, unit: str = "") -> str:
    """Format a figure for prose: counts bare, others with their unit."""
    if not _finite(value):
        return UNSHOWN
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
    if value is not None and _finite(value) and not float(value).is_integer():
        return EXCEL_DEC
    return EXCEL_INT
