"""The unit keys, strip_diacritics, fold and the schema's table check give
what they gave before they were made fast (a 10,000-unit dvk.toml is keyed
and checked before the first file is read): the code they had is kept below
as the reference, and the Unicode facts the fast paths rest on are checked
for every code point."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dvk_cli.core.config_schema import (
    SECTIONS,
    SchemaError,
    Section,
    _check_key,
    _check_table,
    check,
    shown,
    suggestion,
)
from dvk_cli.core.text import _WITHOUT_MARKS, fold, strip_diacritics
from dvk_cli.core.units import (
    _DASHES,
    _PREFIX_RE,
    _PUNCTUATION,
    Registry,
    Unit,
    ascii_key,
    keys,
    name_key,
)

# ------------------------------------------------------------------ the reference (the code as it was)


def old_fold(text: object) -> str:
    text = unicodedata.normalize("NFC", str(text)).lower()
    return re.sub(r"\s+", " ", text).strip()


def old_strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return decomposed if decomposed.isascii() else decomposed.translate(_WITHOUT_MARKS)


def old_name_key(text: object) -> str:
    t = _DASHES.sub(" ", old_fold(text))
    for _ in range(2):
        m = _PREFIX_RE.match(old_strip_diacritics(t))
        if not m:
            break
        t = t[m.end():]
    return re.sub(r"\s+", " ", _PUNCTUATION.sub(" ", t)).strip()


def old_ascii_key(text: object) -> str:
    return old_strip_diacritics(old_name_key(text))


def old_indexes(units: list[Unit]) -> tuple[dict[str, list[Unit]], dict[str, list[Unit]]]:
    """Registry.__init__'s two indexes, as it built them."""
    keys_: dict[str, list[Unit]] = {}
    ascii_: dict[str, list[Unit]] = {}
    for u in units:
        for text in [u.name, u.code, *u.aliases]:
            key = old_name_key(text)
            for index, k in ((keys_, key), (ascii_, old_strip_diacritics(key))):
                bucket = index.setdefault(k, [])
                if k and u not in bucket:
                    bucket.append(u)
    return keys_, ascii_


def old_check_table(section: Section, table: dict, where: tuple) -> None:
    for key, value in table.items():
        if key not in section.keys:
            near = suggestion(key, list(section.keys))
            hint = (f"có phải {near}?" if near
                    else f"các khóa dùng được: {', '.join(section.keys)}")
            raise SchemaError((*where, key), f"{section.shown} không có khóa {shown(key)} "
                                             f"(khóa lạ) — {hint}")
        _check_key(section, key, value, (*where, key))
    for key, spec in section.keys.items():
        if spec.required and not (isinstance(table.get(key), str) and table[key].strip()):
            raise SchemaError(where, f"{section.shown} thiếu {key} "
                                     f"({' và '.join(k for k, s in section.keys.items() if s.required)}"
                                     " là bắt buộc)")


# ------------------------------------------------------------------ the Unicode facts


def test_a_character_strips_to_at_most_one_ascii_character_of_its_kind() -> None:
    """What strip_diacritics' and keys()' fast paths rest on, for every code
    point of this Python's Unicode: a character whose canonical decomposition
    holds an ASCII character holds exactly one, the rest being marks (Mn);
    and that character is a word character, a space or neither as the
    character itself is (so punctuation and spaces fall at the same places)."""
    word, space = re.compile(r"\w"), re.compile(r"\s")
    holding = 0
    for code in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        decomposed = unicodedata.normalize("NFD", char)
        ascii_part = [c for c in decomposed if c.isascii()]
        if not ascii_part:
            continue
        holding += 1
        assert len(ascii_part) == 1, hex(code)
        assert all(unicodedata.category(c) == "Mn" for c in decomposed if not c.isascii()), hex(code)
        (letter,) = ascii_part
        assert bool(word.match(char)) == bool(word.match(letter)), hex(code)
        assert bool(space.match(char)) == bool(space.match(letter)), hex(code)
    assert holding > 400  # the Latin letters with diacritics, and a few more


def test_str_split_spaces_are_the_regex_spaces() -> None:
    """fold and keys() single-space with str.split/join, as re.sub(r"\\s+") did."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert char.isspace() == bool(re.fullmatch(r"\s", char)), hex(code)


# ------------------------------------------------------------------ texts

PLACES = ["Bù Đốp", "Đồng Xoài", "Lộc Thạnh", "Lộc Thành", "Phú Riềng", "Hớn Quản", "Tân Phú",
          "An Phú", "Sơn Long", "Khánh Bình", "Ea H'leo", "Đắk R'lấp", "Cư M'gar", "Quy Nhơn"]
PREFIXES = ["Huyện ", "H. ", "H.", "Thành phố ", "TP. ", "TP.", "Thị xã ", "TX.", "Thị trấn ",
            "TT. ", "Xã ", "Phường ", "P.", "Quận ", "Q.", "Tỉnh ", "tp ", "THÀNH PHỐ ", "xa ", ""]
ODD = ["-", "_", "–", "—", ".", ",", "(", ")", "'", "’", " ", "  ", "\t", "\u00a0", "\u3000", "\x85",
       "\u2028", "\u0301", "\u0323", "\u0303", "đ", "Đ", "ǆ", "ﬁ", "K", "Å", "Ω", ";", "`",
       "ß", "İ", "Σ", "ς", "한", "ạ", "e\u0302\u0301", "ế", "ễ", "٣", "²", "½", "\u0345", "\u1dc0",
       "\u0903", "\u20dd", "\udcff", "\x00", "0", "9", "a", "Z", "đ\u0323"]


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


names = st.one_of(
    st.builds(lambda p, n, form: form(p + n), st.sampled_from(PREFIXES), st.sampled_from(PLACES),
              st.sampled_from([str, str.upper, str.lower, _nfd])),
    st.lists(st.sampled_from(ODD + PREFIXES + PLACES), max_size=8).map("".join),
    st.text(max_size=12),
    st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=12),
    st.from_regex(r"[A-Za-z0-9]{0,8}", fullmatch=True),
)


@pytest.mark.parametrize("text", [
    *[p + n for p in PREFIXES for n in PLACES[:4]], *ODD, "", " ", "X00001", "BUDANG", "budang",
    "Huyện Huyện Bù Đốp", "H. TP. Đồng Xoài", "Thị xã Xã", "xã", "H.-Bù Đốp", "Bù Đốp (cũ)",
    "e\u0301\u0301", "\u0301a", "Lộc  Thạnh ", "Ｂù", "x\u0345y", "Quận 1", "P. 2", "q.  9",
])
def test_the_keys_of_names(text: str) -> None:
    assert name_key(text) == old_name_key(text)
    assert ascii_key(text) == old_ascii_key(text)
    assert keys(text) == (old_name_key(text), old_ascii_key(text))
    assert strip_diacritics(text) == old_strip_diacritics(text)
    assert fold(text) == old_fold(text)


@settings(max_examples=1500, deadline=None)
@given(names)
def test_the_keys_of_any_text(text: str) -> None:
    assert keys(text) == (old_name_key(text), old_ascii_key(text))
    assert (name_key(text), ascii_key(text)) == keys(text)
    assert strip_diacritics(text) == old_strip_diacritics(text)
    assert fold(text) == old_fold(text)


def test_the_keys_of_what_is_no_text() -> None:
    class Code(str):
        def __str__(self) -> str:
            return "Huyện Bù Đốp"

    for value in (12, 3.5, None, Code("BUDOP"), b"x"):
        assert keys(value) == (old_name_key(value), old_ascii_key(value))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(names, names, st.lists(names, max_size=2)), max_size=12))
def test_the_registry_indexes(rows: list[tuple[str, str, list[str]]]) -> None:
    units = [Unit(f"C{i}{code}", name, "", aliases) for i, (code, name, aliases) in enumerate(rows)]
    registry = Registry(units)
    old_keys, old_ascii = old_indexes(units)
    assert list(registry._keys.items()) == list(old_keys.items())
    assert list(registry._ascii.items()) == list(old_ascii.items())
    for text in [u.name for u in units][:3] + ["Bù Đốp", "bu dop", ""]:
        assert registry.match(text) == _old_match(registry, old_keys, old_ascii, text)


def _old_match(registry: Registry, old_keys: dict, old_ascii: dict, text: str) -> object:
    """Registry.match with the old indexes and keys."""
    saved = registry._keys, registry._ascii
    registry._keys, registry._ascii = old_keys, old_ascii
    try:
        return registry.match(text)
    finally:
        registry._keys, registry._ascii = saved


# ------------------------------------------------------------------ the schema's table check

values = st.one_of(names, st.integers(), st.booleans(), st.floats(allow_nan=False),
                   st.lists(st.one_of(names, st.integers()), max_size=3),
                   st.dictionaries(st.sampled_from(["MÃ", "a"]), st.integers(), max_size=2),
                   st.sampled_from(["", " ", "Xã\nA", "A\tB", "\x1b[2J", "\u202eA", "\udcff"]))


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(sorted(SECTIONS)), st.dictionaries(
    st.sampled_from(["code", "name", "group", "aliases", "mapping", "files", "unit", "label",
                     "nmae", "x", "sheet", "max", "date", "enabled", "threshold", "max_cells"]),
    values, max_size=5))
def test_a_table_is_told_what_it_was_told(name: str, table: dict) -> None:
    section = SECTIONS[name]
    where = (name, 3) if section.many else (name,)
    assert _outcome(lambda: check({name: [table] * 2 if section.many else table})) == \
        _outcome(lambda: _old_check(name, table))
    assert _outcome(lambda: _check_table(section, table, where)) == \
        _outcome(lambda: old_check_table(section, table, where))


def _old_check(name: str, table: dict) -> None:
    section = SECTIONS[name]
    for i in range(2 if section.many else 1):
        old_check_table(section, table, (name, i) if section.many else (name,))


def _outcome(run) -> object:
    try:
        run()
    except SchemaError as exc:
        return exc.where, str(exc)
    return None
