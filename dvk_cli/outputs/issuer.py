"""Who issues the report: the lines at its top left, as Hướng dẫn 36-HD/VPTW
(2018) on the form of Party documents sets them out, and its symbol.

A Ban of a party committee writes the committee on the first line (upright,
not bold) and its own name under it (bold), then "*":

    TỈNH ỦY BÌNH PHƯỚC
    BAN DÂN VẬN
         *

and numbers its documents "Số 25-BC/BDVTU". The committee's own documents
write "ĐẢNG BỘ TỈNH …" above "TỈNH ỦY": "Đảng bộ tỉnh" is never the line
above a Ban. Both the Word and the Markdown report take these lines from here."""

from __future__ import annotations

import re
import unicodedata

# Words of a party committee's name ("Ban Dân vận Tỉnh ủy Bình Phước") and the
# letters they give in a document symbol ("BC/BDVTU").
LEVELS = [
    ("tỉnh ủy", "TU"), ("thành ủy", "TU"), ("thị ủy", "TU"), ("huyện ủy", "HU"),
    ("quận ủy", "QU"), ("đảng ủy", "ĐU"),
]
_LEVEL_RE = re.compile(r"\s+((" + "|".join(w for w, _ in LEVELS) + r")\b.*)$", re.IGNORECASE)
# words that give no letter in a symbol: "Ban Tuyên giáo và Dân vận" -> BTGDV
_NO_LETTER = {"và"}


def issuing_body_of(name: str) -> str:
    """'Ban Dân vận Tỉnh ủy Bình Phước' -> 'Ban Dân vận' (the committee's name
    is on the line above); a name without a committee word stays whole."""
    short = _LEVEL_RE.sub("", name.strip()).strip()
    return short or name.strip()


def superior_of(name: str) -> str:
    """'Ban Dân vận Tỉnh ủy Bình Phước' -> 'Tỉnh ủy Bình Phước': the committee
    a Ban belongs to, the first line of its documents; '' when the name holds
    no committee word (or is the committee itself)."""
    m = _LEVEL_RE.search(" " + name.strip())
    if not m or not name.strip()[: m.start()].strip():
        return ""
    committee = m.group(1).strip()
    return committee[:1].upper() + committee[1:]


def _initials(text: str) -> str:
    letters = []
    for word in text.split():
        if word.lower() in _NO_LETTER:
            continue
        first = word[0]
        if first in "đĐ":
            letters.append("Đ")
            continue
        base = unicodedata.normalize("NFD", first)[0]
        if base.isalpha():
            letters.append(base.upper())
    return "".join(letters)


def symbol_of(name: str, issuing_body: str) -> str:
    """Default document symbol: 'BC/' + initials of the issuing body + the
    committee's letters ('Ban Dân vận Tỉnh ủy Bình Phước' -> 'BC/BDVTU',
    'Ban Tuyên giáo và Dân vận Tỉnh ủy Đồng Nai' -> 'BC/BTGDVTU')."""
    suffix = ""
    m = _LEVEL_RE.search(" " + name.strip())
    if m:
        word = m.group(2).lower()
        suffix = next(s for w, s in LEVELS if w == word)
    return f"BC/{_initials(issuing_body)}{suffix}"
