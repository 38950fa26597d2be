"""The schema of dvk.toml: every section and key any module of dvk reads, with
its shape and type — the one list of what a dvk.toml may contain.

`check(data)` runs on what tomllib parsed and raises SchemaError naming the
place as a key path ("units", 3, "aliases"); `line_of(text, where)` finds the
line of that place in the TOML text (tomllib gives no positions), which is
only done when there is an error to report, so loading a valid dvk.toml costs
one pass over its tables.

Types and keys are checked here; what a value means (a range, a date, an
indicator code) is checked by the module that owns the section (see `owner`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from pathlib import Path

from dvk_cli.core.text import plain_text, safe_text

TEXT, TEXTS, INT, NUMBER, BOOL, DATE, TABLE = "text", "texts", "int", "number", "bool", "date", "table"


@dataclass(frozen=True)
class Key:
    type: str
    required: bool = False
    path: bool = False  # a path, relative to the working folder, that must stay inside it


@dataclass(frozen=True)
class Section:
    name: str
    many: bool  # [[name]] (one table per item) rather than [name]
    owner: str  # the module that reads it
    keys: dict[str, Key] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return f"[[{self.name}]]" if self.many else f"[{self.name}]"

    @cached_property
    def required(self) -> tuple[str, ...]:
        """The keys every table of the section must have, in order."""
        return tuple(k for k, spec in self.keys.items() if spec.required)

    @cached_property
    def texts(self) -> frozenset[str]:
        """The keys whose value is a text (TEXT)."""
        return frozenset(k for k, spec in self.keys.items() if spec.type == TEXT)


def _keys(type_: str, *names: str) -> dict[str, Key]:
    return {n: Key(type_) for n in names}


SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("organization", False, "dvk_cli.core.config",
            _keys(TEXT, "name", "code", "area", "superior", "place")),
    Section("units", True, "dvk_cli.core.config", {
        "code": Key(TEXT, required=True), "name": Key(TEXT, required=True),
        "group": Key(TEXT), "aliases": Key(TEXTS), "mapping": Key(TEXT, path=True)}),
    Section("mappings", True, "dvk_cli.reading.mapping", {
        "files": Key(TEXT, required=True), "mapping": Key(TEXT, required=True, path=True),
        "unit": Key(TEXT)}),
    Section("report", False, "dvk_cli.outputs.word", {
        **_keys(TEXT, "superior", "issuing_body", "symbol", "number", "place", "signer_for",
                "signer_title", "signer_name", "template"),
        "date": Key(DATE), "recipients": Key(TEXTS), "unit_table": Key(TEXTS)}),
    Section("catalog", False, "dvk_cli.core.catalog", {
        "version": Key(INT), "retire": Key(TEXTS), "max": Key(TABLE)}),
    Section("indicators", True, "dvk_cli.core.catalog", {
        **_keys(TEXT, "code", "label", "short", "unit", "type", "group", "parent", "phrase"),
        "synonyms": Key(TEXTS), "max": Key(NUMBER)}),
    Section("rules", True, "dvk_cli.checks.rules",
            _keys(TEXT, "id", "assert", "when", "severity", "message", "missing")),
    Section("outliers", False, "dvk_cli.checks.peers", {
        **_keys(NUMBER, "threshold", "min_units", "min_factor"), "enabled": Key(BOOL)}),
    Section("checks", False, "dvk_cli.checks.peers", {"impact_threshold": Key(NUMBER)}),
    Section("reading", False, "dvk_cli.reading.dispatch", {"sheet": Key(TEXT)}),
    Section("limits", False, "dvk_cli.reading.guards", {
        "max_unpacked_mb": Key(NUMBER), "max_cells": Key(INT), "max_memory_mb": Key(INT),
        "max_seconds": Key(NUMBER)}),
)}

_EXAMPLES = {
    TEXT: 'một chuỗi trong dấu ngoặc kép, ví dụ {key} = "…"',
    TEXTS: 'danh sách chuỗi, ví dụ {key} = ["…", "…"]',
    INT: "một số nguyên, ví dụ {key} = 5",
    NUMBER: "một số, ví dụ {key} = 3.5",
    BOOL: "true hoặc false",
    DATE: 'một ngày dạng {key} = "2024-12-15"',
    TABLE: "một bảng, ví dụ {key} = { MÃ = 100 }",
}

Where = tuple[str | int, ...]


class SchemaError(ValueError):
    """A dvk.toml that does not fit the schema: `where` is the key path of the
    problem, the message (Vietnamese) does not repeat the file or the line."""

    def __init__(self, where: Where, message: str):
        super().__init__(message)
        self.where = where


# ------------------------------------------------------------------ texts

def _unsafe(ch: str) -> bool:
    return safe_text(ch) != unicodedata.normalize("NFC", ch)


def shown(text: object, limit: int = 60) -> str:
    """A text from a config as an error message may quote it: characters
    core.text.safe_text would not show made visible (\\n, \\x1b, \\u202e),
    long texts cut."""
    s = str(text)
    if len(s) > limit:
        s = s[:limit] + "…"
    if not has_control(s):
        return s
    return "".join(c.encode("unicode_escape").decode("ascii") if _unsafe(c) else c for c in s)


def has_control(text: str) -> bool:
    """Whether a text holds what core.text.safe_text would take out or change
    (control characters, line breaks, tabs, escape sequences, bidi overrides …)."""
    return safe_text(text) != unicodedata.normalize("NFC", text)


def type_word(value: object) -> str:
    """What a TOML value is, in Vietnamese."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "số nguyên"
    if isinstance(value, float):
        return "số"
    if isinstance(value, str):
        return "chuỗi"
    if isinstance(value, list):
        return "danh sách"
    if isinstance(value, dict):
        return "bảng"
    if isinstance(value, date):
        return "ngày giờ"
    return type(value).__name__


def suggestion(name: str, choices: list[str]) -> str | None:
    """The nearest known name to a misspelt one (difflib), if any is near."""
    import difflib  # only when there is a problem to report

    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[hits[0]] if hits else None


# ------------------------------------------------------------------ checks

def _fits(value: object, type_: str) -> bool:
    if type_ == TEXT:
        return isinstance(value, str)
    if type_ == TEXTS:
        return isinstance(value, list)  # items are checked one by one
    if type_ == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_ == BOOL:
        return isinstance(value, bool)
    if type_ == DATE:
        return isinstance(value, (str, date))
    if type_ == TABLE:
        return isinstance(value, dict)
    raise AssertionError(type_)


def _text_ok(value: str, where: Where, label: str) -> None:
    if has_control(value):
        raise SchemaError(where, f"{label} có ký tự điều khiển hoặc ký tự ẩn (xuống dòng, tab, ESC …): "
                                 f"“{shown(value)}”; hãy viết trên một dòng, không có ký tự đó")


def _check_key(section: Section, key: str, value: object, where: Where) -> None:
    spec = section.keys[key]
    label = f"{section.shown} {key}"
    if not _fits(value, spec.type):
        raise SchemaError(where, f"{label} phải là {_EXAMPLES[spec.type].replace('{key}', key)} "
                                 f"(đang là {type_word(value)})")
    if isinstance(value, str):
        _text_ok(value, where, label)
    if spec.type == TEXTS:
        assert isinstance(value, list)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise SchemaError((*where, i), f"{label} phải là {_EXAMPLES[TEXTS].replace('{key}', key)}"
                                               f" (phần tử thứ {i + 1} là {type_word(item)})")
            _text_ok(item, (*where, i), label)


def _plain_texts(section: Section, table: dict) -> bool:
    """Whether every key of `table` is one of the section's TEXT keys and every
    value a text safe_text leaves as it is (no control character, line
    break, tab …): then no key has anything to be told, and the table (one
    of 10,000 [[units]]) is checked at once instead of key by key."""
    if not table.keys() <= section.texts:
        return False
    try:
        joined = " ".join(table.values())  # a space is plain: only the values' characters count
    except TypeError:  # a value that is no text
        return False
    return plain_text(joined)


def _check_table(section: Section, table: dict, where: Where) -> None:
    if not _plain_texts(section, table):
        for key, value in table.items():
            if key not in section.keys:
                near = suggestion(key, list(section.keys))
                hint = (f"có phải {near}?" if near
                        else f"các khóa dùng được: {', '.join(section.keys)}")
                raise SchemaError((*where, key), f"{section.shown} không có khóa {shown(key)} "
                                                 f"(khóa lạ) — {hint}")
            _check_key(section, key, value, (*where, key))
    for key in section.required:
        value = table.get(key)
        if not (isinstance(value, str) and value.strip()):
            raise SchemaError(where, f"{section.shown} thiếu {key} "
                                     f"({' và '.join(section.required)} là bắt buộc)")


def _unknown_section(name: str, value: object) -> SchemaError:
    written = (f"[[{shown(name)}]]" if isinstance(value, list) and value
               and all(isinstance(v, dict) for v in value)
               else f"[{shown(name)}]" if isinstance(value, dict) else shown(name))
    near = suggestion(name, list(SECTIONS))
    holders = [s.shown for s in SECTIONS.values() if name in s.keys]
    if near:
        hint = f"có phải {SECTIONS[near].shown}?"
    elif holders and not isinstance(value, (dict, list)):
        hint = f"có phải khóa của mục {' hoặc '.join(holders)}? (đặt dưới dòng tên mục đó)"
    else:
        hint = "các mục dùng được: " + ", ".join(s.shown for s in SECTIONS.values())
    what = "mục" if isinstance(value, (dict, list)) else "khóa"
    return SchemaError((name,), f"{what} {written} không có trong cấu hình của dvk — {hint}")


def check(data: dict) -> None:
    """Check a parsed dvk.toml against SECTIONS (SchemaError on the first problem)."""
    for name, value in data.items():
        section = SECTIONS.get(name)
        if section is None:
            raise _unknown_section(name, value)
        if section.many:
            if isinstance(value, dict):
                raise SchemaError((name,), f"mục {section.shown} viết bằng hai dấu ngoặc vuông, "
                                           f"mỗi mục một {section.shown} (đang là [{name}])")
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise SchemaError((name,), f"mục {section.shown} không hợp lệ: viết mỗi mục "
                                           f"bằng một dòng {section.shown} rồi các khóa bên dưới")
            for i, item in enumerate(value):
                _check_table(section, item, (name, i))
        else:
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                raise SchemaError((name, 0), f"mục {section.shown} chỉ có một, viết bằng một "
                                             f"dấu ngoặc vuông: {section.shown} (đang là [[{name}]])")
            if not isinstance(value, dict):
                raise SchemaError((name,), f"mục {section.shown} không hợp lệ: phải là một bảng "
                                           f"{section.shown} với các khóa bên dưới "
                                           f"(đang là {type_word(value)})")
            _check_table(section, value, (name,))


def outside_folder(relative: str, folder: Path) -> bool:
    """Whether a path written in a config leads outside the working folder
    (“..”, an absolute path elsewhere, a link out)."""
    base = folder.resolve()
    target = (base / relative).resolve()
    return not target.is_relative_to(base)


def check_paths(data: dict, folder: Path) -> None:
    """Paths in dvk.toml (Key.path) stay inside the working folder."""
    for name, section in SECTIONS.items():
        keys = [k for k, spec in section.keys.items() if spec.path]
        if not keys or name not in data:
            continue
        tables = data[name] if section.many else [data[name]]
        for i, table in enumerate(tables):
            for key in keys:
                value = table.get(key)
                if isinstance(value, str) and value.strip() and outside_folder(value.strip(),
                                                                                folder):
                    where: Where = (name, i, key) if section.many else (name, key)
                    raise SchemaError(where, f"{section.shown} {key} = “{shown(value)}” trỏ ra "
                                             f"ngoài thư mục làm việc {folder.resolve()}; hãy đặt tệp trong "
                                             "thư mục này và ghi đường dẫn tính từ đó")


# ------------------------------------------------------------------ lines

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_PART}(?:[ \t]*\.[ \t]*{_PART})*"


@cache
def _patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """(table header, key, key part), compiled on first use: lines are only
    looked for when there is an error to report."""
    return (re.compile(rf"[ \t]*(\[\[?)[ \t]*({_DOTTED})[ \t]*\]"),
            re.compile(rf"[ \t]*({_DOTTED})[ \t]*="), re.compile(_PART))


def _key_parts(dotted: str) -> list[str]:
    parts = []
    for m in _patterns()[2].finditer(dotted):
        p = m.group(0)
        if p.startswith('"'):
            import json  # only on the error path, and only for a quoted key

            try:
                p = json.loads(p)
            except ValueError:
                p = p[1:-1]
        elif p.startswith("'"):
            p = p[1:-1]
        parts.append(p)
    return parts


def _scan_value(text: str, state: list) -> None:
    """Follow strings, brackets and comments through the rest of a line.
    state = [open multi-line quote or "", bracket depth]."""
    i, n = 0, len(text)
    while i < n:
        quote = state[0]
        if quote:
            end = text.find(quote, i)
            while end != -1 and quote == '"""' and _escaped(text, end):
                end = text.find(quote, end + 1)
            if end == -1:
                return
            i = end + 3
            state[0] = ""
            continue
        ch = text[i]
        if ch == "#":
            return
        if text.startswith('"""', i) or text.startswith("'''", i):
            state[0] = text[i:i + 3]
            i += 3
        elif ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif ch == "'":
            end = text.find("'", i + 1)
            i = n if end == -1 else end + 1
        else:
            if ch in "[{":
                state[1] += 1
            elif ch in "]}":
                state[1] = max(0, state[1] - 1)
            i += 1


def _escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos - 1 - backslashes >= 0 and text[pos - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def lines_of(text: str) -> dict[Where, int]:
    """The line (1-based) of each table header and key of a TOML text, by key
    path: ("units", 2) for the third [[units]], ("units", 2, "name") for its
    name, ("report", "date")."""
    found: dict[Where, int] = {}
    counts: dict[Where, int] = {}
    current: Where = ()
    state: list = ["", 0]
    for number, line in enumerate(text.splitlines(), start=1):
        if state[0] or state[1]:
            _scan_value(line, state)
            continue
        header = _patterns()[0].match(line)
        if header:
            parts = _key_parts(header.group(2))
            many = header.group(1) == "[["
            resolved: Where = ()
            for i, part in enumerate(parts):
                resolved = (*resolved, part)
                if resolved in counts and not (many and i == len(parts) - 1):
                    resolved = (*resolved, counts[resolved] - 1)
            if many:
                counts[resolved] = counts.get(resolved, 0) + 1
                found.setdefault(resolved, number)
                resolved = (*resolved, counts[resolved] - 1)
            current = resolved
            found.setdefault(current, number)
            continue
        key = _patterns()[1].match(line)
        if key:
            found.setdefault((*current, *_key_parts(key.group(1))), number)
            _scan_value(line[key.end():], state)
    return found


def line_of(text: str, where: Where) -> int | None:
    """The line of `where` (or of the nearest enclosing key or table) in a TOML text."""
    found = lines_of(text)
    for end in range(len(where), 0, -1):
        if where[:end] in found:
            return found[where[:end]]
    return None


__all__ = ["SECTIONS", "Section", "Key", "SchemaError", "check", "check_paths", "line_of",
           "lines_of", "shown", "has_control", "suggestion", "outside_folder", "type_word"]
