"""Mapping files: for a layout nothing else can read, a small TOML file names
the sheet and the cell (or row) of each indicator.

    # ánh xạ cho biểu riêng của Huyện Bù Đốp
    sheet = "BC quy"            # tên trang (mặc định: trang đầu tiên)
    unit = "BUDOP"              # mã hoặc tên đơn vị cố định …
    unit_cell = "C3"            # … hoặc ô ghi tên đơn vị
    period_cell = "C4"          # ô ghi kỳ báo cáo (hoặc: period = "2024")

    [cells]                     # mã chỉ tiêu = ô (mã theo danh mục, xem dvk template)
    <MÃ 1> = "E12"
    <MÃ 2> = { cell = "E20", unit = "nghìn đồng" }

    [rows]                      # hoặc: cột số liệu + số dòng
    value_column = "E"
    <MÃ 3> = 31

dvk.toml points files to a mapping with `[[mappings]]` (files = a glob on
the file name, mapping = the TOML path, optional unit), or with `mapping`
on a `[[units]]` entry (files whose name matches that unit).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from dvk_cli.core.catalog import Catalog
from dvk_cli.core.cells import cell_ref
from dvk_cli.core.config import Config
from dvk_cli.core.config_schema import has_control, line_of, outside_folder, shown, suggestion
from dvk_cli.core.errors import UsageError
from dvk_cli.reading.returns import ReturnData, take_value

_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")
# Excel's sheet: 1 048 576 rows, 16 384 columns (A … XFD).
MAX_ROW = 1_048_576
MAX_COL = 16_384
# What a mapping file may hold (the layout of its docstring).
MAPPING_KEYS = ("sheet", "unit", "unit_cell", "period", "period_cell", "cells", "rows")
_CELL_KEYS = ("cell", "unit")
_ROW_KEYS = ("row", "unit")


class MappingError(UsageError):
    pass


@dataclass
class Mapping:
    path: str
    sheet: str = ""
    unit: str = ""
    unit_cell: str = ""
    period: str = ""
    period_cell: str = ""
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (cell, unit text)

    @property
    def name(self) -> str:
        return Path(self.path).name


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def parse_ref(ref: str) -> tuple[int, int]:
    """'E12' -> (11, 4), 0-based (row, column); ValueError for what is not a
    cell of an Excel sheet ("A0", "ZZZZ1", "XFE1", "A1048577")."""
    m = _REF.match(ref.strip().upper())
    if not m:
        raise ValueError(ref)
    row, col = int(m.group(2)) - 1, _col_index(m.group(1))
    if row >= MAX_ROW or col >= MAX_COL:
        raise ValueError(ref)
    return row, col


def _is_ref(ref: object) -> bool:
    try:
        parse_ref(str(ref))
    except ValueError:
        return False
    return True


class _Problem(Exception):
    """A problem in a mapping file at a key path (placed on its line by load_mapping)."""

    def __init__(self, where: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.where = where


def load_mapping(path: Path, catalog: Catalog) -> Mapping:
    """Read and check a mapping file; problems raise MappingError (Vietnamese)
    naming the file, the line and the key."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")  # Notepad's byte order mark
        data = tomllib.loads(text)
    except FileNotFoundError as exc:
        raise MappingError(f"Không tìm thấy tệp ánh xạ {path}") from exc
    except OSError as exc:
        raise MappingError(f"Không đọc được tệp ánh xạ {path} ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise MappingError(f"Tệp ánh xạ {path} phải lưu bằng mã UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"Tệp ánh xạ {path} không hợp lệ ({shown(exc, 200)})") from exc
    except RecursionError as exc:
        raise MappingError(f"Tệp ánh xạ {path} không hợp lệ (ngoặc lồng nhau quá sâu)") from exc
    try:
        return _mapping(path, data, catalog)
    except _Problem as exc:
        line = line_of(text, exc.where)
        raise MappingError(f"Tệp ánh xạ {path}{f' dòng {line}' if line else ''}: {exc}") from exc


def _unknown(key: str, known: tuple[str, ...], where: str) -> str:
    near = suggestion(key, list(known))
    hint = f"có phải {near}?" if near else f"các khóa dùng được: {', '.join(known)}"
    return f"{where} không có khóa {shown(key)} — {hint}"


def _mapping(path: Path, data: dict, catalog: Catalog) -> Mapping:
    for key in data:
        if key not in MAPPING_KEYS:
            raise _Problem((key,), _unknown(key, MAPPING_KEYS, "tệp ánh xạ"))
    m = Mapping(path=str(path))
    for key in ("sheet", "unit", "unit_cell", "period", "period_cell"):
        value = data.get(key, "")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _Problem((key,), f"“{key}” phải là chuỗi trong dấu ngoặc kép")
        if has_control(str(value)):
            raise _Problem((key,), f"“{key}” có ký tự điều khiển hoặc ký tự ẩn: “{shown(value)}”")
        setattr(m, key, unicodedata.normalize("NFC", str(value)).strip())
    for key in ("unit_cell", "period_cell"):
        ref = getattr(m, key)
        if ref and not _is_ref(ref):
            raise _Problem((key,), f"{key} = “{shown(ref)}” không phải địa chỉ ô của trang Excel "
                                   "(ví dụ C3; cột từ A đến XFD, dòng từ 1 đến 1048576)")

    def add(where: tuple[str | int, ...], code: str, ref: object, unit_text: object = "") -> None:
        code = code.strip().upper()
        if code not in catalog:
            raise _Problem(where, f"mã chỉ tiêu {shown(code)} không có trong danh mục")
        if isinstance(ref, bool) or not _is_ref(ref):
            raise _Problem(where, f"ô “{shown(ref)}” của {code} không phải địa chỉ ô của trang "
                                  "Excel (ví dụ E12; cột từ A đến XFD, dòng từ 1 đến 1048576)")
        if not isinstance(unit_text, str) or has_control(unit_text):
            raise _Problem(where, f"unit của {code} phải là chuỗi, ví dụ unit = \"nghìn đồng\"")
        if code in m.cells:
            raise _Problem(where, f"chỉ tiêu {code} được khai báo hai lần")
        m.cells[code] = (str(ref).strip().upper(), unit_text)

    cells = data.get("cells") or {}
    rows = data.get("rows") or {}
    for key, value in (("cells", cells), ("rows", rows)):
        if not isinstance(value, dict):
            raise _Problem((key,), f"[{key}] phải là một bảng: dòng [{key}] rồi mỗi dòng "
                                   "MÃ = … bên dưới")
    for code, spec in cells.items():
        if isinstance(spec, dict):
            extra = [k for k in spec if k not in _CELL_KEYS]
            if extra:
                raise _Problem(("cells", code), _unknown(extra[0], _CELL_KEYS, f"[cells] {code}"))
            add(("cells", code), code, spec.get("cell", ""), spec.get("unit", ""))
        else:
            add(("cells", code), code, spec if isinstance(spec, str) else repr(spec))
    rows = dict(rows)
    if rows:
        column = rows.pop("value_column", "")
        if (not isinstance(column, str) or not re.fullmatch(r"[A-Z]{1,3}", column.strip().upper())
                or _col_index(column.strip().upper()) >= MAX_COL):
            raise _Problem(("rows", "value_column"),
                           "[rows] cần value_column là cột từ A đến XFD (ví dụ value_column = \"E\")")
        column = column.strip().upper()
        for code, spec in rows.items():
            if isinstance(spec, dict):
                extra = [k for k in spec if k not in _ROW_KEYS]
                if extra:
                    raise _Problem(("rows", code), _unknown(extra[0], _ROW_KEYS, f"[rows] {code}"))
                row, unit_text = spec.get("row", ""), spec.get("unit", "")
            else:
                row, unit_text = spec, ""
            if isinstance(row, bool) or not isinstance(row, int):
                raise _Problem(("rows", code), f"dòng của {shown(code.strip().upper())} phải là "
                                               f"số nguyên từ 1 đến {MAX_ROW}, ví dụ {code} = 31")
            add(("rows", code), code, f"{column}{row}", unit_text)
    if not m.cells:
        raise _Problem((), "chưa khai báo chỉ tiêu nào trong [cells] hoặc [rows]")
    return m


def _value_at(rows: list[list], ref: str) -> object:
    r, c = parse_ref(ref)
    if r < len(rows) and c < len(rows[r]):
        return rows[r][c]
    return None


def read_with_mapping(data: ReturnData, sheets: list[tuple[str, list[list]]], catalog: Catalog,
                      mapping: Mapping) -> None:
    """Read the cells a mapping names (the reader's alternative to finding the table)."""
    by_name = dict(sheets)
    if mapping.sheet:
        if mapping.sheet not in by_name:
            names = ", ".join(f"“{n}”" for n in by_name)
            data.readable = False
            data.add("error", "mapping_sheet",
                     f"Tệp {data.path}: không có trang “{mapping.sheet}” mà tệp ánh xạ {mapping.name} "
                     f"chỉ định (các trang: {names}).")
            return
        sheet = mapping.sheet
    else:
        sheet = sheets[0][0]
    rows = by_name[sheet]
    data.readable = True
    data.sheet = sheet
    data.layout = f"ánh xạ ({mapping.name})"
    if mapping.unit:
        data.unit_code_text = mapping.unit
    elif mapping.unit_cell:
        v = _value_at(rows, mapping.unit_cell)
        data.unit_text = unicodedata.normalize("NFC", str(v)).strip() if v not in ("", None) else ""
        data.header_cells["unit"] = mapping.unit_cell
    if mapping.period:
        data.period_text = mapping.period
    elif mapping.period_cell:
        v = _value_at(rows, mapping.period_cell)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        data.period_text = str(v).strip() if v not in ("", None) else ""
        data.header_cells["period"] = mapping.period_cell
    for code, (ref, unit_text) in mapping.cells.items():
        take_value(data, catalog, code, _value_at(rows, ref), sheet, ref,
                    how=f"ánh xạ ({mapping.name})", label=catalog[code].label,
                    unit_text=unit_text)


# ------------------------------------------------------------ dvk.toml rules

@dataclass
class MappingRule:
    mapping: Path
    pattern: str = ""  # glob on the file name
    unit: str = ""  # unit code (files whose name matches this unit when no pattern)


def mapping_rules(raw: dict, folder: Path) -> list[MappingRule]:
    """The [[mappings]] of dvk.toml and the `mapping` keys of [[units]] (load_config
    has checked their types; a Config built in code is checked here too)."""
    rules: list[MappingRule] = []
    for i, entry in enumerate(raw.get("mappings", []) or [], start=1):
        if (not isinstance(entry, dict) or not isinstance(entry.get("mapping"), str)
                or not isinstance(entry.get("files"), str) or not entry["mapping"].strip()
                or not entry["files"].strip()):
            raise MappingError(f"dvk.toml: mục [[mappings]] thứ {i} cần files và mapping (chuỗi)")
        rules.append(MappingRule(_inside(folder, entry["mapping"], f"[[mappings]] thứ {i}"),
                                 entry["files"], str(entry.get("unit", "")).upper()))
    for entry in raw.get("units", []) or []:
        if isinstance(entry, dict) and entry.get("mapping"):
            code = str(entry.get("code", "")).upper()
            rules.append(MappingRule(_inside(folder, entry["mapping"], f"đơn vị {code}"), "", code))
    return rules


def _inside(folder: Path, relative: object, what: str) -> Path:
    """A mapping path of dvk.toml, which must stay inside the working folder."""
    if not isinstance(relative, str) or outside_folder(relative.strip(), folder):
        raise MappingError(f"dvk.toml: mapping = “{shown(relative)}” của {what} trỏ ra ngoài thư "
                           f"mục làm việc {folder.resolve()}; hãy đặt tệp ánh xạ trong thư mục này")
    return folder / relative.strip()


def mapping_for(path: Path, rules: list[MappingRule], registry, catalog: Catalog,
                cache: dict | None = None) -> Mapping | None:
    """The mapping that applies to this file, if any (first rule that matches)."""
    cache = {} if cache is None else cache
    for rule in rules:
        if rule.pattern:
            hit = fnmatch.fnmatch(path.name.lower(), rule.pattern.lower()) or fnmatch.fnmatch(
                str(path).lower(), rule.pattern.lower())
        else:
            m = registry.match_filename(path.stem) if registry else None
            hit = bool(m and m.unit and m.unit.code == rule.unit)
        if hit:
            if rule.mapping not in cache:
                loaded = load_mapping(rule.mapping, catalog)
                if rule.unit and not loaded.unit and not loaded.unit_cell:
                    loaded.unit = rule.unit
                cache[rule.mapping] = loaded
            return cache[rule.mapping]
    return None


__all__ = ["Mapping", "MappingError", "load_mapping", "read_with_mapping", "mapping_rules",
           "mapping_for", "cell_ref"]


def mappings_for_files(files: list[Path], config: Config, catalog: Catalog) -> dict[Path, Mapping]:
    """The mapping file (dvk.toml [[mappings]] or a unit's `mapping`) for each file."""
    rules = mapping_rules(config.raw, config.folder)
    if not rules:
        return {}
    cache: dict = {}
    found: dict[Path, Mapping] = {}
    for path in files:
        m = mapping_for(path, rules, config.registry, catalog, cache)
        if m is not None:
            found[path] = m
    return found
