"""core.text.safe_text: any text made safe to show (issue 14, item 8)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dvk_cli.core.text import safe_text

# Characters that must never come out of safe_text: the terminal acts on them
# (C0/C1 controls, ESC), or they reorder or hide text (bidi, zero-width).
NEVER = {chr(c) for c in range(0x20) if chr(c) not in "\n\t"} | {chr(c) for c in range(0x7f, 0xa0)} \
    | set("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


@pytest.mark.parametrize("raw, one_line", [
    ("Xã A\x1b[2J", "Xã A"),  # clear screen: taken out whole
    ("Xã \x1b[31;1mĐỏ\x1b[0m", "Xã Đỏ"),  # colours
    ("Xã\x1b]0;tiêu đề giả\x07 B", "Xã B"),  # OSC window title, ended by BEL
    ("\x1b]8;;http://x.vn\x1b\\bấm\x1b]8;;\x1b\\", "bấm"),  # OSC 8 hyperlink, ended by ST
    ("Xã A\rXã B", "Xã A Xã B"),  # a carriage return would overwrite "Xã A"
    ("Xã AB\x08\x08CD", "Xã ABCD"),  # backspaces
    ("Xã\x00 A\x7f", "Xã A"),
    ("Xã \u202eA gnàoH", "Xã A gnàoH"),  # a right-to-left override
    ("Xã\u200b A\ufeff", "Xã A"),
    ("Xã A\n# Tiêu đề giả", "Xã A # Tiêu đề giả"),  # a heading in a Markdown report
    ("dòng 1\r\ndòng 2\u2028dòng 3", "dòng 1 dòng 2 dòng 3"),
    ("cột\tcột", "cột cột"),
    ("tệp \udcff.xlsx", "tệp \ufffd.xlsx"),  # a file name that is not UTF-8
])
def test_hostile_text_becomes_one_clean_line(raw, one_line):
    assert safe_text(raw) == one_line


def test_multiline_keeps_line_breaks_and_tabs_only():
    assert safe_text("a\r\nb\rc\u2029d\te\x1b[2J\x0c", multiline=True) == "a\nb\nc\nd\te\n"


@pytest.mark.parametrize("name", [
    "Huyện Bù Đăng", "Thành phố Đồng Xoài (cũ)", "Xã Tân Lập – Đồng Phú, 2024.",
    "[DV] Bù Đốp [bản cuối].xlsx", "Mô hình “Dân vận khéo” 98,5%", "a & b < c > d | e * f _ g",
    "Hà Nội; 12/2024: 1.215 mô hình", "Ꭰ 𝔸 漢字 ✓",
])
def test_normal_text_is_left_as_written(name):
    assert safe_text(name) == name
    assert safe_text(name, multiline=True) == name


def test_decomposed_text_comes_out_nfc():
    decomposed = unicodedata.normalize("NFD", "Bù Đăng")
    assert safe_text(decomposed) == "Bù Đăng" != decomposed


@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=60))
def test_no_control_or_bidi_character_ever_comes_out(text):
    once = safe_text(text)
    assert not (set(once) & NEVER), [hex(ord(c)) for c in set(once) & NEVER]
    assert "\n" not in once and "\t" not in once
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in once)
    once.encode("utf-8")  # printable to a UTF-8 terminal or file
    assert safe_text(once) == once  # idempotent
    many = safe_text(text, multiline=True)
    assert not (set(many) & NEVER)


@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")),
               max_size=60))
def test_letters_digits_punctuation_and_spaces_are_never_touched(text):
    assert safe_text(text) == unicodedata.normalize("NFC", text)
