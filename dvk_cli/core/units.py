"""Reporting units: the registry from dvk.toml and name matching that ignores
case, spacing, Unicode form and administrative prefixes ("H.", "TP."), and
never guesses between two candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dvk_cli.core.text import fold, nfc, strip_diacritics

# Administrative prefixes, longest first, folded (lower case, no diacritics).
_PREFIXES = [
    "thanh pho", "thi xa", "thi tran", "huyen", "quan", "phuong", "xa",
    "tinh", "tp", "tx", "tt", "h", "q", "p",
]
_PREFIX_RE = re.compile(r"^(?:" + "|".join(re.escape(p) for p in _PREFIXES) + r")(?:\s+|\.\s*)")


_DASHES = re.compile(r"[_\-–—]+")
_PUNCTUATION = re.compile(r"[^\w\s]")


def name_key(text: object) -> str:
    """Key for unit matching: folded, prefixes and punctuation removed."""
    return keys(text)[0]


def ascii_key(text: object) -> str:
    """name_key without diacritics."""
    return keys(text)[1]


def keys(text: object) -> tuple[str, str]:
    """(name_key(text), ascii_key(text)), each folded once (a registry of
    10,000 units keys 20,000 texts before the first file is read)."""
    if type(text) is str and text.isascii() and text.isalnum():
        # a code ("BUDANG", "X00001"): no space, dot or dash to take a prefix
        # or punctuation out at, so only the case changes
        key = text.lower()
        return key, key
    t = _DASHES.sub(" ", fold(text))
    s = strip_diacritics(t)
    if not (s.isascii() and len(s) == len(t)):
        return _keys_of_any(t)
    # Each character of t stripped to one ASCII character (see
    # strip_diacritics), which is a letter, a digit, a space or punctuation
    # as that character is (tests/core/test_text_keys.py checks both for
    # every code point): s is t stripped character by character, so the
    # prefix found in s is cut from both, and s cleaned as t is cleaned is
    # t's key stripped.
    for _ in range(2):
        m = _PREFIX_RE.match(s)
        if not m:
            break
        t, s = t[m.end():], s[m.end():]
    return _clean(t), _clean(s)


def _keys_of_any(t: str) -> tuple[str, str]:
    """keys() of a folded text whose characters may strip to none or more
    than one ASCII character."""
    # strip administrative prefixes (compare without diacritics, cut original)
    for _ in range(2):
        m = _PREFIX_RE.match(strip_diacritics(t))
        if not m:
            break
        t = t[m.end():]
    key = _clean(t)
    return key, strip_diacritics(key)


def _clean(text: str) -> str:
    """Punctuation made spaces, single-spaced (as fold: str.split's spaces are \\s)."""
    return " ".join(_PUNCTUATION.sub(" ", text).split())


@dataclass
class Unit:
    code: str
    name: str
    group: str = ""
    aliases: list[str] = field(default_factory=list)


@dataclass
class Match:
    unit: Unit | None
    candidates: list[Unit] = field(default_factory=list)  # when ambiguous
    how: str = ""


class Registry:
    """The registered units, and matching of names/codes against them."""

    def __init__(self, units: list[Unit]):
        self.units = units
        self.by_code = {u.code.upper(): u for u in units}
        self._keys: dict[str, list[Unit]] = {}
        self._ascii: dict[str, list[Unit]] = {}
        for u in units:
            for text in (u.name, u.code, *u.aliases):
                key, ascii = keys(text)
                for index, k in ((self._keys, key), (self._ascii, ascii)):
                    bucket = index.setdefault(k, [])
                    if k and u not in bucket:
                        bucket.append(u)

    def __bool__(self) -> bool:
        return bool(self.units)

    def __iter__(self):
        return iter(self.units)

    def get(self, code: str) -> Unit | None:
        return self.by_code.get(str(code).strip().upper())

    def match(self, text: object) -> Match:
        """Match a name, alias or code written in a return's header."""
        if text is None or not str(text).strip():
            return Match(None)
        unit = self.get(nfc(text))
        if unit:
            return Match(unit, how="mã đơn vị")
        hits = self._keys.get(name_key(text), [])
        if len(hits) == 1:
            return Match(hits[0], how="tên đơn vị")
        if len(hits) > 1:
            return Match(None, hits)
        # Same letters without diacritics ("Bu Dang"): only when unambiguous.
        hits = self._ascii.get(ascii_key(text), [])
        if len(hits) == 1:
            return Match(hits[0], how="tên đơn vị (không dấu)")
        return Match(None, hits if len(hits) > 1 else [])

    def match_filename(self, stem: str) -> Match:
        """Find a unit whose name, alias or code appears in a file name."""
        words = ascii_key(re.sub(r"\d+", " ", stem)).split()
        text = " " + " ".join(words) + " "
        hits: list[Unit] = []
        best = 0
        for key, units in self._ascii.items():
            if key and f" {key} " in text:
                n = len(key)
                if n > best:
                    best, hits = n, list(units)
                elif n == best:
                    hits.extend(u for u in units if u not in hits)
        if len(hits) == 1:
            return Match(hits[0], how="tên tệp")
        return Match(None, hits)


@dataclass
class UnitInfo:
    """A unit as a run identified it: code, name, group and the file it came from."""

    code: str
    name: str
    group: str = ""
    file: str = ""
