"""The working folder's dvk.toml: organisation and the unit registry.

`load_config` reads it (UTF-8, with or without Notepad's byte order mark),
checks it against its schema (config_schema: every section and key any module
reads, with its type; control characters; paths inside the working folder)
and builds the registry, refusing two units one name would match. Every
problem is a ConfigError (exit code 2) naming the file and the line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dvk_cli.core.collector import paused
from dvk_cli.core.config_schema import SchemaError, check, check_paths, line_of, shown
from dvk_cli.core.errors import UsageError
from dvk_cli.core.text import fold, nfc, strip_diacritics
from dvk_cli.core.units import Registry, Unit, ascii_key, name_key

CONFIG_NAME = "dvk.toml"


class ConfigError(UsageError):
    """A configuration problem (exit code 2); the message is Vietnamese."""


@dataclass
class Organization:
    name: str = "Ban Dân vận"
    code: str = ""
    area: str = "toàn tỉnh"
    superior: str = ""
    place: str = ""


@dataclass
class Config:
    organization: Organization = field(default_factory=Organization)
    registry: Registry = field(default_factory=lambda: Registry([]))
    path: Path | None = None
    # The whole parsed dvk.toml, for sections other modules own
    # ([report], [[rules]], [[indicators]], [checks] …).
    raw: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def where(self, *keys: str | int) -> str:
        """The file and line of a key, for a module's own messages about its
        section: config.where("limits", "max_cells") -> ".../dvk.toml dòng 12"."""
        if self.path is None:
            return "dvk.toml"
        try:
            line = line_of(_read_text(self.path), keys)
        except ConfigError:
            line = None
        return f"{self.path} dòng {line}" if line else str(self.path)


def find_config(inputs: list[Path], explicit: Path | None = None) -> Path | None:
    """--config, else dvk.toml in an INPUT's folder or its parents, else cwd."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"Không tìm thấy tệp cấu hình {explicit}")
        return explicit
    for start in inputs:
        start = start.resolve()
        folder = start if start.is_dir() else start.parent
        for candidate in [folder, *folder.parents]:
            if (candidate / CONFIG_NAME).is_file():
                return candidate / CONFIG_NAME
    here = Path.cwd() / CONFIG_NAME
    return here if here.is_file() else None


MAX_CONFIG_BYTES = 16 * 1024 * 1024  # a registry of every commune in the country is ~0.5 MB

# tomllib's messages, for the mistakes people make most, in Vietnamese.
_TOML_HINTS = (
    ("Invalid value", "giá trị không hợp lệ — chuỗi phải đặt trong dấu ngoặc kép, "
                      'ví dụ name = "Huyện Bù Đốp"'),
    ("Expected '=' after a key", "thiếu dấu = sau tên khóa"),
    ("Unterminated string", "chuỗi chưa có dấu ngoặc kép đóng"),
    ("Illegal character", "có ký tự không được phép (ký tự điều khiển) trong chuỗi"),
    ("Cannot overwrite a value", "khóa này đã khai báo rồi"),
    ("Cannot declare", "mục này đã khai báo rồi"),
    ("Expected ']' at the end of a table declaration", "thiếu dấu ] đóng tên mục"),
    ("Expected ']]' at the end of an array declaration", "thiếu dấu ]] đóng tên mục"),
)


def _toml_problem(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    m = re.search(r"\(at line (\d+), column \d+\)|\(at end of document\)", text)
    detail = text[:m.start()].strip() if m else text
    hint = next((vi for en, vi in _TOML_HINTS if detail.startswith(en)), "")
    where = f"{path} dòng {m.group(1)}" if m and m.group(1) else str(path)
    return (f"{where}: cú pháp TOML không hợp lệ"
            + (f": {hint}" if hint else "") + f" ({shown(detail, 200)})")


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: tệp cấu hình quá lớn (trên "
                              f"{MAX_CONFIG_BYTES // (1024 * 1024)} MB); đây không phải dvk.toml")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: không đọc được tệp cấu hình ({exc.strerror or exc})") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: tệp cấu hình đang lưu bằng mã UTF-16 (Unicode); hãy lưu lại "
                          "bằng mã UTF-8 (Notepad: Save As, Encoding: UTF-8)")
    try:
        # utf-8-sig: Notepad saves UTF-8 with a byte order mark
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path} dòng {line}: tệp cấu hình phải lưu bằng mã UTF-8") from exc


def load_config(path: Path | None) -> Config:
    """Read and check a dvk.toml: its sections, keys and types (config_schema),
    and the unit registry. Problems raise ConfigError naming the file and line."""
    if path is None:
        return Config()
    path = Path(path)
    text = _read_text(path)
    with paused():  # ~100,000 objects made and no reference cycle (core/collector.py)
        return _loaded(path, text)


def _loaded(path: Path, text: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_problem(path, exc)) from exc
    except RecursionError as exc:  # "a = [[[[…" nested beyond Python's stack
        raise ConfigError(f"{path}: cú pháp TOML không hợp lệ: ngoặc lồng nhau quá sâu") from exc
    try:
        check(data)
        check_paths(data, path.parent)
        org_raw = data.get("organization", {})
        org = Organization(**{k: nfc(v) for k, v in org_raw.items()})
        registry = _registry(data.get("units", []))
    except SchemaError as exc:
        raise ConfigError(_placed(path, text, exc)) from exc
    return Config(organization=org, registry=registry, path=path, raw=data)


def _placed(path: Path, text: str, exc: SchemaError) -> str:
    line = line_of(text, exc.where)
    return f"{path}{f' dòng {line}' if line else ''}: {exc}"


_FIELDS = {"name": "tên", "code": "mã", "aliases": "tên gọi khác (aliases)"}


def _registry(entries: list[dict]) -> Registry:
    """The registry of [[units]] (already checked by the schema); a code
    declared twice, or a name that would match two units, is a SchemaError."""
    units: list[Unit] = []
    first: dict[str, int] = {}
    for i, raw in enumerate(entries):
        code = nfc(raw["code"]).upper()
        if code in first:
            other = units[first[code]]
            raise SchemaError(("units", i, "code"),
                              f"mã đơn vị {shown(code)} khai báo hai lần ([[units]] thứ "
                              f"{first[code] + 1} “{shown(other.name)}” và thứ {i + 1} "
                              f"“{shown(nfc(raw['name']))}”)")
        first[code] = i
        units.append(Unit(code=code, name=nfc(raw["name"]), group=nfc(raw.get("group", "")),
                          aliases=[nfc(a) for a in raw.get("aliases", [])]))
    registry = Registry(units)
    _check_collisions(registry, units)
    return registry


def _texts(unit: Unit) -> list[tuple[tuple[str | int, ...], str]]:
    """(key path inside its [[units]], text) of each text the registry matches a unit by."""
    return [(("name",), unit.name), (("code",), unit.code),
            *((("aliases", j), a) for j, a in enumerate(unit.aliases))]


# Administrative prefixes by the level they name: "TP." and "Thành phố" are
# one; "Xã" and "Phường" are two places that may share a name.
_LEVELS = {"thanh pho": "city", "tp": "city", "thi xa": "town", "tx": "town",
           "thi tran": "townlet", "tt": "townlet", "huyen": "district", "h": "district",
           "quan": "urban", "q": "urban", "phuong": "ward", "p": "ward", "xa": "commune",
           "tinh": "province"}
_LEVEL_RE = re.compile(r"^(" + "|".join(sorted(_LEVELS, key=len, reverse=True)) + r")(?:\s+|\.\s*)")


def _level(text: str) -> str | None:
    """The administrative level a name's prefix says ("Xã An Phú" -> commune), or None."""
    m = _LEVEL_RE.match(strip_diacritics(fold(text)))
    return _LEVELS[m.group(1)] if m else None


def _check_collisions(registry: Registry, units: list[Unit]) -> None:
    """Two units that one text written in a return would match: the registry
    could never tell them apart. Uses the registry's own matching keys (name,
    code and aliases, folded as Registry.match folds them, diacritics too).
    Two names whose prefixes name different levels ("Xã An Phú", "Phường An
    Phú"; "Huyện Lộc Ninh", "Thị trấn Lộc Ninh") are two real places: they
    load, a return naming one is identified by its code, and identification
    says when a name alone is ambiguous."""
    for key, bucket in registry._ascii.items():  # the matching keys, without diacritics
        if len(bucket) < 2:  # one unit (nearly every key): nothing to tell apart
            continue
        for x, a in enumerate(bucket):
            for b in bucket[x + 1:]:
                i, j = sorted((units.index(a), units.index(b)))
                a, b = units[i], units[j]
                where_a, text_a = next((w, t) for w, t in _texts(a) if ascii_key(t) == key)
                where_b, text_b = next((w, t) for w, t in _texts(b) if ascii_key(t) == key)
                levels = (_level(text_a), _level(text_b))
                if None not in levels and levels[0] != levels[1]:
                    continue
                same = name_key(text_a) == name_key(text_b)
                how = ("giống nhau" if same else "chỉ khác nhau ở dấu") + (
                    " khi so tên (dvk không phân biệt chữ hoa, chữ thường, tiền tố Huyện, TP., H. …)")
                raise SchemaError(("units", j, *where_b),
                                  f"đơn vị {b.code} “{shown(b.name)}” và đơn vị {a.code} "
                                  f"“{shown(a.name)}” trùng tên gọi: {_FIELDS[str(where_b[0])]} "
                                  f"“{shown(text_b)}” của {b.code} và {_FIELDS[str(where_a[0])]} "
                                  f"“{shown(text_a)}” của {a.code} {how}, nên dvk không biết biểu "
                                  f"ghi tên đó là của đơn vị nào. Hãy sửa hoặc bỏ một trong hai "
                                  f"([[units]] thứ {i + 1} và thứ {j + 1})")
