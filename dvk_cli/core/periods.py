"""Reporting periods: codes (2024, 2024-H1, 2024-Q3, 2024-9M, 2024-05) and the
Vietnamese labels real reports use ("6 tháng đầu năm 2024", "Quý I/2024")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dvk_cli.core.text import fold

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_ROMAN_TO_INT = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str  # Y | H | Q | 9M | M
    index: int = 0  # half 1-2, quarter 1-4, month 1-12

    @property
    def code(self) -> str:
        if self.kind == "Y":
            return f"{self.year}"
        if self.kind == "H":
            return f"{self.year}-H{self.index}"
        if self.kind == "Q":
            return f"{self.year}-Q{self.index}"
        if self.kind == "9M":
            return f"{self.year}-9M"
        return f"{self.year}-{self.index:02d}"

    @property
    def label(self) -> str:
        """'năm 2024', '6 tháng đầu năm 2024', 'quý I năm 2024', …"""
        if self.kind == "Y":
            return f"năm {self.year}"
        if self.kind == "H":
            half = "đầu" if self.index == 1 else "cuối"
            return f"6 tháng {half} năm {self.year}"
        if self.kind == "Q":
            return f"quý {ROMAN[self.index]} năm {self.year}"
        if self.kind == "9M":
            return f"9 tháng đầu năm {self.year}"
        return f"tháng {self.index} năm {self.year}"

    @property
    def title(self) -> str:
        """Label with a capital first letter, for headings and form cells."""
        text = self.label
        return text[0].upper() + text[1:]

    @property
    def review_word(self) -> str:
        """'tổng kết' for a year, 'sơ kết' for the parts of a year."""
        return "tổng kết" if self.kind == "Y" else "sơ kết"

    def __str__(self) -> str:
        return self.code


_CODE_RE = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|9M|0[1-9]|1[0-2]))?$", re.I)


_LABEL_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"6 tháng (?:đầu )?năm (\d{4})|6 tháng đầu (?:năm )?/?(\d{4})"), "H1"),
    (re.compile(r"6 tháng cuối năm (\d{4})|6 tháng cuối (?:năm )?/?(\d{4})"), "H2"),
    (re.compile(r"9 tháng (?:đầu )?năm (\d{4})|9 tháng (?:đầu )?/?(\d{4})"), "9M"),
    # "Quý I/2024", "Quý 3-2024", "quý II năm 2024", "Quý I, năm 2024", "tháng 6 - năm 2024"
    (re.compile(r"quý ([ivx]+|[1-4])\s*(?:[,/–-]\s*(?:năm )?|năm )\s*(\d{4})"), "Q"),
    (re.compile(r"tháng (\d{1,2})\s*(?:[,/–-]\s*(?:năm )?|năm )\s*(\d{4})"), "M"),
    (re.compile(r"(?:cả )?năm (\d{4})"), "Y"),
]


def parse_period(value: object) -> Period | None:
    """Parse a period code or a Vietnamese label; None if it is not one."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and float(value).is_integer():
        value = str(int(value))
    return _parse_text(str(value))


@lru_cache(maxsize=1024)  # a run's returns write their period alike: 3,321 x "Năm 2024"
def _parse_text(value: str) -> Period | None:
    text = fold(value)
    if not text:
        return None
    m = _CODE_RE.match(text.upper())
    if m:
        year, rest = int(m.group(1)), (m.group(2) or "").upper()
        if not rest:
            return Period(year, "Y")
        if rest.startswith("H"):
            return Period(year, "H", int(rest[1]))
        if rest.startswith("Q"):
            return Period(year, "Q", int(rest[1]))
        if rest == "9M":
            return Period(year, "9M")
        return Period(year, "M", int(rest))
    for pattern, kind in _LABEL_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        groups = [g for g in m.groups() if g]
        if kind in ("H1", "H2"):
            return Period(int(groups[0]), "H", int(kind[1]))
        if kind == "9M":
            return Period(int(groups[0]), "9M")
        if kind == "Q":
            q = groups[0]
            idx = int(q) if q.isdigit() else _ROMAN_TO_INT.get(q, 0)
            return Period(int(groups[1]), "Q", idx) if 1 <= idx <= 4 else None
        if kind == "M":
            month = int(groups[0])
            return Period(int(groups[1]), "M", month) if 1 <= month <= 12 else None
        return Period(int(groups[0]), "Y")
    return None


_FILENAME_TOKEN = re.compile(r"(?<![0-9])(\d{4})(?:[-_ .]?(H[12]|Q[1-4]|9M))?(?![0-9])", re.I)


def period_from_filename(stem: str) -> Period | None:
    """A period written in a file name ('dong-xoai-2024-H1'); None unless exactly one."""
    found = {
        parse_period(f"{y}-{r}" if r else y)
        for y, r in _FILENAME_TOKEN.findall(stem)
        if 2000 <= int(y) <= 2100
    }
    found.discard(None)
    return found.pop() if len(found) == 1 else None
