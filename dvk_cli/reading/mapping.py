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
from dvk_cli.core.errors import UsageError
from dvk_cli.reading.returns import ReturnData, take_value

_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")


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
    """'E12' -> (11, 4), 0-based (row, column)."""
    m = _REF.match(ref.strip().upper())
    if not m:
        raise ValueError(ref)
    return int(m.group(2)) - 1, _col_index(m.group(1))


def load_mapping(path: Path, catalog: Catalog) -> Mapping:
    """Read and check a mapping file; problems raise MappingError (Vietnamese)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MappingError(f"Không tìm thấy tệp ánh xạ {path}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"Tệp ánh xạ {path} không hợp lệ ({exc})") from exc
    m = Mapping(path=str(path))
    for key in ("sheet", "unit", "unit_cell", "period", "period_cell"):
        value = data.get(key, "")
        if not isinstance(value, (str, int)):
            raise MappingError(f"{path}: “{key}” phải là chuỗi")
        setattr(m, key, unicodedata.normalize("NFC", str(value)).strip())
    for key in ("unit_cell", "period_cell"):
        ref = getattr(m, key)
        if ref and not _REF.match(ref.upper()):
            raise MappingError(f"{path}: {key} = “{ref}” không phải địa chỉ ô (ví dụ C3)")

    def add(code: str, ref: str, unit_text: str = "") -> None:
        code = code.strip().upper()
        if code not in catalog:
            raise MappingError(f"{path}: mã chỉ tiêu {code} không có trong danh mục")
        if not _REF.match(str(ref).strip().upper()):
            raise MappingError(f"{path}: ô “{ref}” của {code} không phải địa chỉ ô (ví dụ E12)")
        if code in m.cells:
            raise MappingError(f"{path}: chỉ tiêu {code} được khai báo hai lần")
        m.cells[code] = (str(ref).strip().upper(), unit_text)

    for code, spec in (data.get("cells") or {}).items():
        if isinstance(spec, dict):
            add(code, spec.get("cell", ""), str(spec.get("unit", "")))
        else:
            add(code, str(spec))
    rows = dict(data.get("rows") or {})
    if rows:
        column = str(rows.pop("value_column", "")).strip().upper()
        if not re.fullmatch(r"[A-Z]{1,3}", column):
            raise MappingError(f"{path}: [rows] cần value_column (ví dụ value_column = \"E\")")
        for code, spec in rows.items():
            if isinstance(spec, dict):
                add(code, f"{column}{spec.get('row', '')}", str(spec.get("unit", "")))
            else:
                add(code, f"{column}{spec}")
    if not m.cells:
        raise MappingError(f"{path}: chưa khai báo chỉ tiêu nào trong [cells] hoặc [rows]")
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
    """The [[mappings]] of dvk.toml and the `mapping` keys of [[units]]."""
    rules: list[MappingRule] = []
    for i, entry in enumerate(raw.get("mappings", []) or [], start=1):
        if not isinstance(entry, dict) or not entry.get("mapping") or not entry.get("files"):
            raise MappingError(f"dvk.toml: mục [[mappings]] thứ {i} cần files và mapping")
        rules.append(MappingRule(folder / entry["mapping"], str(entry["files"]),
                                 str(entry.get("unit", "")).upper()))
    for entry in raw.get("units", []) or []:
        if isinstance(entry, dict) and entry.get("mapping"):
            rules.append(MappingRule(folder / entry["mapping"], "", str(entry.get("code", "")).upper()))
    return rules


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
