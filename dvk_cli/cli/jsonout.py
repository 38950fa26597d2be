"""`--json` output: exactly json.dumps(data, ensure_ascii=False, indent=2,
allow_nan=False), written as it is encoded.

With an indent, the standard library encodes in Python through generators
(its C encoder takes no indent before Python 3.13): 0.5 s for a 3,321-unit
result, 1.5 s for a national one. This writer walks the data directly and
leaves the strings to the C escaper; tests/cli/test_jsonout.py checks it
against json.dumps byte for byte.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from functools import cache
from itertools import repeat
from typing import Any

_string = json.encoder.encode_basestring  # C when available, as json.dumps uses it
_FLUSH_PARTS = 8192  # pieces held before they are written


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
    return float.__repr__(value)


def _key(key: object) -> str:
    """A dict key as json.dumps writes it (skipkeys=False)."""
    if isinstance(key, str):
        return _string(key)
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return _string(int.__repr__(key))
    if isinstance(key, float):
        return _string(_float(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


class PrettyJson:
    """Write `data` with `write` (text pieces), flushed every few thousand pieces."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self._parts: list[str] = []

    def dump(self, data: object) -> None:
        self._value(data, 0)
        self.flush()

    def flush(self) -> None:
        if self._parts:
            self._write("".join(self._parts))
            self._parts.clear()  # the same list: the walk holds references to it

    def _value(self, o: object, level: int) -> None:
        parts = self._parts
        if isinstance(o, str):
            parts.append(_string(o))
        elif o is None:
            parts.append("null")
        elif o is True:
            parts.append("true")
        elif o is False:
            parts.append("false")
        elif isinstance(o, int):
            parts.append(int.__repr__(o))
        elif isinstance(o, float):
            parts.append(_float(o))
        elif isinstance(o, (list, tuple)):
            self._list(o, level)
        elif isinstance(o, dict):
            self._dict(o, level)
        else:
            raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")

    def _list(self, items: list | tuple, level: int) -> None:
        self._members(repeat("", len(items)), items, level, "[", "]")

    def _dict(self, mapping: dict, level: int) -> None:
        if mapping and _flat(mapping):
            # A dict of text keys and plain scalars (a unit's figures, a
            # finding): the C encoder writes its members, one per line with
            # the indent as their separator, as the indented encoder would.
            inner = "\n" + "  " * (level + 1)
            members = _flat_encoder(level)(mapping)[1:-1]
            self._parts.append(f"{{{inner}{members}\n{'  ' * level}}}")
            if len(self._parts) >= _FLUSH_PARTS:
                self.flush()
            return
        names = [f"{_string(key) if key.__class__ is str else _key(key)}: " for key in mapping]
        self._members(names, mapping.values(), level, "{", "}")

    def _members(self, prefixes: Iterable[str], values: Iterable[object], level: int,
                 opening: str, closing: str) -> None:
        """A list's or a dict's members, one per line, one level in (each its
        prefix, then its value: a scalar written inline); "[]" or "{}" when empty."""
        parts = self._parts
        inner = ",\n" + "  " * (level + 1)
        scalar = _SCALAR.get
        head = opening + inner[1:]
        for prefix, value in zip(prefixes, values, strict=True):
            encode = scalar(value.__class__)
            if encode is not None:
                parts.append(f"{head}{prefix}{encode(value)}")
            else:
                parts.append(head + prefix)
                self._value(value, level + 1)
            if len(parts) >= _FLUSH_PARTS:
                self.flush()
            head = inner
        parts.append(opening + closing if head is not inner else "\n" + "  " * level + closing)


def _flat(mapping: dict) -> bool:
    """Whether every key is a str and every value a scalar of an exact type
    of _SCALAR (a subclass, an enum, goes through _value, as json.dumps
    treats it). (The types are gathered in C: this runs for every dict.)"""
    return (_SCALAR_TYPES.issuperset(map(type, mapping.values()))
            and _TEXT.issuperset(map(type, mapping)))


def _refuse(o: object) -> object:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


@cache
def _flat_encoder(level: int) -> Callable[[dict], str]:
    """json's C encoder with the separators of a dict's members at `level`
    (json takes no indent in C before Python 3.13, but any separator), made
    once: JSONEncoder.encode would make it again for every dict."""
    separator = ",\n" + "  " * (level + 1)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is not None:
        try:
            encode = make(None, _refuse, _string, None, ": ", separator, False, False, False)
            return lambda mapping: "".join(encode(mapping, 0))
        except TypeError:  # another signature: the public way
            pass
    return json.JSONEncoder(ensure_ascii=False, allow_nan=False,
                            separators=(separator, ": ")).encode


# How each scalar of these exact types is written (a subclass - an IntEnum, a
# str enum - goes through _value, as json.dumps treats it).
_SCALAR: dict[type, Callable[[Any], str]] = {
    str: _string,
    int: int.__repr__,
    float: _float,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
}
_SCALAR_TYPES = frozenset(_SCALAR)
_TEXT = frozenset({str})
