"""Matching row labels and column headers to catalog indicators.

Forms dvk did not make have no "Mã" column: each row says what it is in
words ("1. Tổng số mô hình “Dân vận khéo”", "- Nhà tình nghĩa (triệu đồng)").
A label is matched only when, after normalisation, it equals exactly one
indicator's label or synonym. Normalisation ignores case, spacing,
punctuation, quotes and dashes, Unicode form, the placement of the tone mark
(hoà = hòa, thuỷ = thủy) and a leading item number; it never drops or
changes a letter, so "fuzzy" resemblance alone never matches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from dvk_cli.core.catalog import Catalog

# Combining tone marks (the five Vietnamese tones); vowel modifiers
# (circumflex, breve, horn) are part of the letter and stay where they are.
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A leading item number: "1.", "1.2.", "a)", "b.", "I.", "IV-", "-", "+", "*", "•"
_STT = re.compile(
    r"^\s*(?:(?:\d+(?:\.\d+)*|[IVX]+|[a-zđ])\s*[.)/:\-–]\s*|[-–—+*•·]\s*|\(\s*(?:\d+|[a-zđ])\s*\)\s*)",
    re.IGNORECASE,
)
_TRAILING_PAREN = re.compile(r"\(([^()]*)\)\s*[:：]?\s*$")


def _syllable_key(word: str) -> str:
    """A word with its tone mark moved to the end ('hoà' and 'hòa' -> 'hoa2')."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = ""
    letters = []
    for ch in decomposed:
        if ch in _TONES:
            tone = _TONES[ch]
        else:
            letters.append(ch)
    return unicodedata.normalize("NFC", "".join(letters)) + tone


def strip_stt(text: str) -> str:
    """Remove one leading item number or bullet ("1.", "a)", "-", "II.")."""
    stripped = _STT.sub("", text, count=1)
    return stripped if stripped.strip() else text


def split_unit_suffix(text: str) -> tuple[str, str]:
    """'Nhà tình nghĩa – trị giá (nghìn đồng)' -> ('Nhà tình nghĩa – trị giá', 'nghìn đồng')."""
    m = _TRAILING_PAREN.search(text)
    if not m:
        return text, ""
    return text[: m.start()].rstrip(" :-–"), m.group(1).strip()


def label_key(text: object) -> str:
    """The normalised form two labels must share to match."""
    return _label_key(str(text))


@lru_cache(maxsize=1 << 16)
def _label_key(text: str) -> str:
    s = unicodedata.normalize("NFC", text).replace("\u00a0", " ").lower()
    s = strip_stt(s)
    return " ".join(_syllable_key(w) for w in _WORD.findall(s))


_MEMO_LENGTH = 200  # characters: a longer text is matched each time
_MEMO_SIZE = 4096  # texts remembered by one index; then it starts again


@dataclass
class LabelMatch:
    code: str | None
    candidates: list[str] = field(default_factory=list)  # codes, when several match
    unit_text: str = ""  # a unit of measure written in brackets after the label
    key: str = ""


class LabelIndex:
    """Catalog labels and synonyms by their normalised key."""

    def __init__(self, catalog: Catalog, *, include_computed: bool = True):
        self.catalog = catalog
        self._by_key: dict[str, set[str]] = {}
        for code, ind in catalog.indicators.items():
            if ind.computed and not include_computed:
                continue
            for text in (ind.label, ind.short, *ind.synonyms):
                key = label_key(text)
                if key:
                    self._by_key.setdefault(key, set()).add(code)
        self.units = {label_key(ind.unit) for ind in catalog.indicators.values()}
        self._memo: dict[str, tuple[str | None, tuple[str, ...], str, str]] = {}

    def match(self, text: object) -> LabelMatch:
        """The indicator `text` names (see the module's docstring). The same
        labels come back in every return: the answer for a short text is
        remembered by this index (its catalog's), at most _MEMO_SIZE texts."""
        if type(text) is not str or len(text) > _MEMO_LENGTH:
            return self._match(text)
        found = self._memo.get(text)
        if found is None:
            m = self._match(text)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()  # (bounded: hostile files may hold millions of texts)
            found = self._memo[text] = (m.code, tuple(m.candidates), m.unit_text, m.key)
        code, candidates, unit_text, key = found
        return LabelMatch(code, list(candidates), unit_text, key)

    def _match(self, text: object) -> LabelMatch:
        raw = unicodedata.normalize("NFC", str(text)).strip()
        if not raw:
            return LabelMatch(None)
        key = label_key(raw)
        codes = self._by_key.get(key, set())
        unit_text = ""
        if not codes:
            # "… (triệu đồng)" / "… (lượt)": try again without a bracketed unit.
            head, inside = split_unit_suffix(strip_stt(raw))
            if inside:
                codes = self._by_key.get(label_key(head), set())
                if codes:
                    unit_text = inside
                    key = label_key(head)
        if len(codes) == 1:
            return LabelMatch(next(iter(codes)), unit_text=unit_text, key=key)
        order = list(self.catalog.indicators)
        return LabelMatch(None, sorted(codes, key=order.index), unit_text=unit_text, key=key)
