"""Units of measure written on a return's row ("Đơn vị tính") and conversion
to the catalog's unit: money in triệu đồng, lengths in km.

A value typed in đồng, nghìn đồng or tỷ đồng (or in metres) is converted
exactly (by a power of ten) and the conversion is recorded; a unit the
reader does not know on a money or length row is never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from dvk_cli.core.text import squeeze

# Factor to multiply a value in the written unit by, to get the catalog unit.
# Keys are folded: lower case, no spaces, no dots.
_MONEY = {
    "triệuđồng": 1, "triệu": 1, "trđ": 1, "tr": 1, "triệuvnđ": 1, "triệuvnd": 1, "trđồng": 1,
    "đồng": 10**-6, "đ": 10**-6, "vnđ": 10**-6, "vnd": 10**-6, "đồngvn": 10**-6,
    "nghìnđồng": 10**-3, "ngànđồng": 10**-3, "nghìn": 10**-3, "ngàn": 10**-3, "1000đ": 10**-3,
    "1000đồng": 10**-3, "nghìnvnđ": 10**-3, "ngđ": 10**-3,
    "tỷđồng": 1000, "tỉđồng": 1000, "tỷ": 1000, "tỉ": 1000, "tỷvnđ": 1000,
}
_LENGTH = {
    "km": 1, "kilômét": 1, "kilomet": 1, "kilômet": 1, "kílômét": 1, "câysố": 1,
    "m": 10**-3, "mét": 10**-3, "met": 10**-3, "md": 10**-3, "métdài": 10**-3,
}
TABLES = {"money": _MONEY, "length": _LENGTH}


@dataclass(frozen=True)
class Conversion:
    written: str  # the unit as written on the return
    factor: float  # catalog value = written value × factor

    @property
    def identity(self) -> bool:
        return self.factor == 1


class UnknownMeasure(ValueError):
    pass


def conversion(indicator_type: str, written: object) -> Conversion | None:
    """How to convert a value of a money/length indicator written in `written`.

    None when the type has no conversions (counts) or nothing is written.
    Raises UnknownMeasure for a unit we cannot read without guessing.
    """
    table = TABLES.get(indicator_type)
    if table is None or written in (None, ""):
        return None
    text = unicodedata.normalize("NFC", str(written)).strip()
    if not text:
        return None
    if len(text) <= _MEMO_LENGTH:
        return _memo(indicator_type, text)
    return _conversion(indicator_type, text)


def _conversion(indicator_type: str, text: str) -> Conversion:
    """`conversion` of a written unit (NFC, stripped, not empty)."""
    table = TABLES[indicator_type]
    key = squeeze(text)
    if key in table:
        return Conversion(text, table[key])
    # "Triệu đồng (tr.đ)", "đồng/VNĐ": accept when every part agrees.
    parts = [p for p in re.split(r"[()/,;]+", text) if p.strip()]
    factors = {table.get(squeeze(p)) for p in parts}
    if len(factors) == 1:  # "(triệu đồng)": one part is enough
        (factor,) = factors
        if factor is not None:
            return Conversion(text, factor)
    raise UnknownMeasure(text)


# Every return writes the same few units on its rows: the conversion of a
# short text is remembered (an unknown one raises again each time).
_MEMO_LENGTH = 64
_memo = lru_cache(maxsize=256)(_conversion)


def apply(value: float | int, conv: Conversion | None) -> float | int:
    """The value in the catalog unit, without binary noise (1.520.500.000 đồng -> 1520.5)."""
    if conv is None or conv.identity:
        return value
    if conv.factor < 1:
        result = value / round(1 / conv.factor)
    else:
        result = value * conv.factor
    result = round(result, 9)
    return int(result) if float(result).is_integer() else result
