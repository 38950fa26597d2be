"""Text folding: the one home for how dvk compares texts a person typed.

- `nfc`: Unicode NFC, stripped (how every text read is stored);
- `fold`: NFC, lower case, single-spaced (names, period labels);
- `fold_label`: `fold` plus no-break spaces and a trailing colon (header
  labels of a return; cached, as the same labels repeat in every file);
- `squeeze`: lower case with no spaces or dots ("Triệu đồng" = "triệuđồng",
  "nghìn đ." for units of measure);
- `strip_diacritics`: "Bù Đăng" -> "Bu Dang" (file names, ASCII keys);
- `join_vi`: a list in a sentence ("a, b và c");
- `shown_time`: a stored time as a clerk reads it ("09:15 ngày 20/12/2024");
- `safe_text`: any text (a cell, a name from dvk.toml, a path, a reason) made
  safe to show in a terminal, a Markdown or Word report or a workbook: no
  terminal escape sequences, no control or bidi-override characters, one line
  unless asked otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# --------------------------------------------------------------- safe text
# Terminal escape sequences, taken out whole (their parameters too):
# CSI "\x1b[2J"; OSC "\x1b]0;title\x07" (ended by BEL or ST, or by the end
# of the text, as a terminal would hide it); DCS, SOS, PM, APC strings; and
# the two-character escapes "\x1bc", "\x1b(B". An 8-bit C1 control alone
# (U+009B …, also what a mis-decoded legacy text holds) is only dropped.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
# Line breaks of every kind ("\r\n" first: one break, not two).
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Characters never shown: C0 and C1 controls (tab and line breaks are dealt
# with above), bidi embeddings, overrides, isolates and marks (U+202E turns
# "fdp.exe" around), zero-width and invisible formatting characters, the BOM,
# interlinear annotations, Unicode tags, and the non-characters U+FFFE/U+FFFF.
# Lone surrogates (a file name that is not UTF-8) become U+FFFD.
_HIDDEN = re.compile(
    "[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff"
    "\U000e0000-\U000e007f]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Anything safe_text would change (a quick test: most texts need no work).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff"
    "\U000e0000-\U000e007f]"
)
_ONE_LINE = re.compile(r"[ \t]*\n[ \t\n]*|\t")


def safe_text(text: object, *, multiline: bool = False) -> str:
    """`text` as it may be shown anywhere (terminal, Markdown, Word, xlsx): NFC,
    without terminal escape sequences (ANSI colours, "\x1b[2J", OSC titles),
    control characters ("\x00", "\x08", C1), bidi overrides (U+202E) or
    invisible formatting characters; lone surrogates become "\ufffd".

    One line by default (a name, a path, a message): every line break and
    tab becomes one space. With multiline=True line breaks ("\r\n", "\r",
    U+2028 …) become "\n" and tabs stay. Letters, digits, punctuation and
    spaces are never touched: "Xã Tân Lập (cũ) – 1, 2." stays as it is.
    """
    text = text if isinstance(text, str) else str(text)
    if _UNSAFE.search(text) is not None:
        text = _ESCAPE_SEQUENCE.sub("", text)
        text = _LINE_BREAK.sub("\n", text)
        text = _HIDDEN.sub("", text)
        text = _SURROGATE.sub("\ufffd", text)
        if not multiline:
            text = _ONE_LINE.sub(" ", text)
    elif not multiline and "\t" in text:
        text = text.replace("\t", " ")
    return unicodedata.normalize("NFC", text)


def plain_text(text: str) -> bool:
    """Whether safe_text changes nothing in `text` but its Unicode form (NFC):
    the quick test that most texts pass."""
    return _UNSAFE.search(text) is None


def nfc(text: object) -> str:
    return unicodedata.normalize("NFC", str(text)).strip()


def fold(text: object) -> str:
    """Lower case, Unicode-normalised, single-spaced text (diacritics kept)."""
    text = unicodedata.normalize("NFC", str(text)).lower()
    return " ".join(text.split())  # re.sub(r"\s+", " ", text).strip(): the same spaces, faster


def fold_label(value: object) -> str:
    """Lower case, NFC, single spaces, no trailing colon (header labels repeat
    across thousands of files, so the work is cached)."""
    return _fold_text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=1 << 16)
def _fold_text(value: str) -> str:
    text = unicodedata.normalize("NFC", value).replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.rstrip(":：").strip()


# fold_label of a value known to be a str: the same cached work without the
# type test (the readers fold every text cell of every file they read).
fold_label_str = _fold_text


def squeeze(text: object) -> str:
    """Lower case NFC with every space and dot removed."""
    text = unicodedata.normalize("NFC", str(text)).lower()
    return re.sub(r"[\s.]+", "", text)


def strip_diacritics(text: str) -> str:
    if text.isascii():  # nothing to strip (a code, a name already without diacritics)
        return text
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed.isascii():
        return decomposed
    # A character whose decomposition holds an ASCII character holds one, the
    # rest being marks (Mn), for every code point (tests/core/test_text_keys.py):
    # when there is one ASCII character for each of the text's (Vietnamese, any
    # Latin text), they are the text without its marks, got without a lookup
    # of each character's category.
    letters = decomposed.encode("ascii", "ignore")
    if len(letters) == len(text):
        return letters.decode("ascii")
    return decomposed.translate(_WITHOUT_MARKS)


class _MarksDropped(dict):
    """str.translate table that drops the non-spacing marks (category Mn),
    filled as characters are met (a registry of 10,000 names: ~30,000 calls)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = kept
        return kept


_WITHOUT_MARKS = _MarksDropped()


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
