"""Text folding: the one home for how dvk compares texts a person typed.

- `nfc`: Unicode NFC, stripped (how every text read is stored);
- `fold`: NFC, lower case, single-spaced (names, period labels);
- `fold_label`: `fold` plus no-break spaces and a trailing colon (header
  labels of a return; cached, as the same labels repeat in every file);
- `squeeze`: lower case with no spaces or dots ("Triệu đồng" = "triệuđồng",
  "nghìn đ." for units of measure);
- `strip_diacritics`: "Bù Đăng" -> "Bu Dang" (file names, ASCII keys);
- `join_vi`: a list in a sentence ("a, b và c");
- `shown_time`: a stored time as a clerk reads it ("09:15 ngày 20/12/2024").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def nfc(text: object) -> str:
    return unicodedata.normalize("NFC", str(text)).strip()


def fold(text: object) -> str:
    """Lower case, Unicode-normalised, single-spaced text (diacritics kept)."""
    text = unicodedata.normalize("NFC", str(text)).lower()
    return re.sub(r"\s+", " ", text).strip()


def fold_label(value: object) -> str:
    """Lower case, NFC, single spaces, no trailing colon (header labels repeat
    across thousands of files, so the work is cached)."""
    return _fold_text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=1 << 16)
def _fold_text(value: str) -> str:
    text = unicodedata.normalize("NFC", value).replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.rstrip(":：").strip()


def squeeze(text: object) -> str:
    """Lower case NFC with every space and dot removed."""
    text = unicodedata.normalize("NFC", str(text)).lower()
    return re.sub(r"[\s.]+", "", text)


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def join_vi(items) -> str:
    """'a', 'a và b', 'a, b và c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]


def shown_time(stamp: str) -> str:
    """'2024-12-20T09:15:02+07:00' -> '09:15 ngày 20/12/2024' (the text as it
    was when it cannot be read as a time)."""
    from datetime import datetime

    try:
        t = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp or "")
    return f"{t:%H:%M} ngày {t:%d/%m/%Y}"
