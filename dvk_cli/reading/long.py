"""The long layout (spec §2): a table whose header row has "Mã" or "Chỉ tiêu"
and "Số liệu", one indicator per row, recognised by code or by label."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from functools import lru_cache
from typing import TYPE_CHECKING

from dvk_cli.core.catalog import Catalog
from dvk_cli.core.cells import cell_ref
from dvk_cli.core.numbers import fmt_number, parse_number
from dvk_cli.reading.labels import LabelIndex, strip_stt

if TYPE_CHECKING:
    from dvk_cli.reading.package import Package
from dvk_cli.reading.returns import (
    CODE_HEADERS,
    LABEL_HEADERS,
    MEASURE_HEADERS,
    VALUE_HEADERS,
    ReturnData,
    cell_at,
    folded_cells,
    holds_any,
    is_number,
    take_value,
)


def long_layout(rows: list[list], catalog: Catalog, index: LabelIndex):
    """(score, header row, columns) of a long table on this sheet, or None.

    The header row has a value column ("Số liệu", "Kết quả"…) and a code
    column ("Mã") or a label column ("Chỉ tiêu", "Nội dung"); the score is
    the number of rows below it recognised as indicators.
    """
    for r, row in enumerate(rows):
        if not holds_any(row, VALUE_HEADERS):
            continue  # no value column: most rows (tested without building folded_cells)
        folded = folded_cells(row)
        value_col = next(c for c, t in folded.items() if t in VALUE_HEADERS)
        code_col = next((c for c, t in folded.items() if t in CODE_HEADERS), None)
        label_col = next((c for c, t in folded.items() if t in LABEL_HEADERS), None)
        if code_col is None and label_col is None:
            continue
        measure_col = next((c for c, t in folded.items() if t in MEASURE_HEADERS), None)
        cols = {"code": code_col, "label": label_col, "value": value_col, "measure": measure_col}
        score = 0
        for below in rows[r + 1:]:
            code = cell_at(below, code_col)
            if isinstance(code, str) and code.strip().upper() in catalog:
                score += 1
            elif (label := _row_label(below, cols)) and index.match(label).code:
                score += 1
        if score:
            return score, r, cols
    return None


def _row_label(row: list, cols: dict) -> str:
    """The row's label: the Chỉ tiêu cell, else the first text cell left of the value."""
    cell = cell_at(row, cols["label"])
    if isinstance(cell, str) and cell.strip():
        return cell.strip()
    for c in range(min(cols["value"], len(row))):
        v = row[c]
        if c in (cols["code"], cols["measure"]) or not isinstance(v, str):
            continue
        text = v.strip()
        if text and strip_stt(text + " x") != "x":  # not a bare item number
            return text
    return ""


def read_table(data: ReturnData, sheet: str, rows: list[list], catalog: Catalog,
                index: LabelIndex, header_row: int, cols: dict,
                xlsx_bytes: bytes | Package | None) -> None:
    code_col, value_col, measure_col = cols["code"], cols["value"], cols["measure"]
    seen: dict[str, str] = {}
    duplicated: set[str] = set()
    empty_cells: dict[str, str] = {}
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        value = cell_at(row, value_col)
        raw_code = cell_at(row, code_col)
        how, label, unit_text = "mã", "", ""
        if isinstance(raw_code, str) and raw_code.strip():
            code = unicodedata.normalize("NFC", raw_code).strip().upper()
            if code not in catalog:
                if code in catalog.retired:
                    if value not in ("", None):
                        data.add("info", "retired_code",
                                 f"Chỉ tiêu {code} đã bỏ khỏi danh mục (biểu mẫu cũ); số liệu {value} "
                                 "ở dòng này không được tổng hợp.", sheet=sheet,
                                 cell=cell_ref(r, value_col))
                elif re.fullmatch(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+", code):
                    data.add("warning", "unknown_code",
                             f"Mã chỉ tiêu “{code}” không có trong danh mục; dòng này không được tổng hợp.",
                             sheet=sheet, cell=cell_ref(r, code_col))
                continue
        else:
            label = _row_label(row, cols)
            if not label:
                continue
            match = index.match(label)
            has_value = value not in ("", None) and not (
                isinstance(value, str) and value.strip() in ("", "-", "–", "—"))
            if match.code is None:
                if has_value and match.candidates:
                    names = "; ".join(f"{c} – {catalog[c].label}" for c in match.candidates)
                    data.add("warning", "label_ambiguous",
                             f"Dòng “{label}” khớp với nhiều chỉ tiêu ({names}); dvk không đoán, số liệu "
                             "dòng này không được tổng hợp. Ghi mã chỉ tiêu vào cột Mã hoặc dùng tệp ánh xạ.",
                             sheet=sheet, cell=cell_ref(r, value_col))
                elif has_value and is_number(value):
                    data.add("warning", "label_unknown",
                             f"Không nhận ra chỉ tiêu “{label}” trong danh mục; số liệu dòng này "
                             f"({fmt_number(parse_number(value) or 0, 6)}) không được tổng hợp.",
                             sheet=sheet, cell=cell_ref(r, value_col))
                continue
            code, how, unit_text = match.code, "nhãn", match.unit_text
        ind = catalog[code]
        ref = cell_ref(r, value_col)
        if code in seen:
            duplicated.add(code)
            data.add("error", "duplicate_code",
                     f"Chỉ tiêu {code} xuất hiện hai lần (ô {seen[code]} và {ref}); chỉ tiêu này "
                     "không được dùng.", sheet=sheet, cell=ref, indicator=code)
            continue
        seen[code] = ref
        measure = cell_at(row, measure_col)
        if isinstance(measure, str) and measure.strip():
            unit_text = measure.strip()
        take_value(data, catalog, code, value, sheet, ref, how=how, label=label or ind.label,
                    unit_text=unit_text, empty_cells=empty_cells)
    if duplicated:
        data.values = [v for v in data.values if v.code not in duplicated]
    if empty_cells and xlsx_bytes is not None:
        for ref in _formulas_without_value(xlsx_bytes, sheet, set(empty_cells)):
            code = empty_cells[ref]
            data.add("error", "formula_no_value",
                     f"{catalog[code].label} ({code}): ô có công thức nhưng chưa có giá trị đã tính. "
                     "Đề nghị mở tệp bằng Excel và lưu lại rồi gửi lại.",
                     sheet=sheet, cell=ref, indicator=code, value="(công thức chưa tính)",
                     brief=f"ô {ref} có công thức chưa tính, chưa được cộng")


def _formulas_without_value(raw: bytes | Package, sheet: str, refs: set[str]) -> list[str]:
    """Cells among `refs` that hold a formula with no saved result (xlsx only).
    `raw`: the workbook, or its Package (the parts the guard inflated)."""
    from dvk_cli.reading.package import Package

    if isinstance(raw, Package):
        xml = _sheet_xml(raw, sheet)
    else:
        package = Package(raw)
        try:
            xml = _sheet_xml(package, sheet)
        finally:
            package.close()
    # A cell is found by its r="B12" and needs a formula: without both, no
    # need to go through every cell (_no_formula_at says so as well when no
    # r="…" of `refs` occurs at all).
    if xml is None or _FORMULA_TAG.search(xml) is None:
        return []
    needles = [f'r="{ref}"'.encode() for ref in refs]
    if _no_formula_at(xml, needles):
        return []
    out = []
    # where the bytes would not be cut as the text is (only ever at a byte beyond ASCII)
    if not xml.isascii() and any(pattern.search(xml) for pattern in _TEXT_ONLY):
        for cell in _CELL.finditer(xml.decode("utf-8", "replace")):
            if cell.group(1) in refs and _unsaved(cell.group(2) or ""):
                out.append(cell.group(1))
        return out
    # the same cells, found in the bytes (a body is decoded only when wanted),
    # from the last cell end before the first of them to the last of them
    wanted = {ref.encode(): ref for ref in refs}
    first = min(i for i in (xml.find(n) for n in needles) if i >= 0)
    last = max(xml.rfind(n) for n in needles)
    for m in _CELL_BYTES.finditer(xml, _resync(xml, first)):
        if m.start() > last:
            break  # (a cell's r="…" is inside its match)
        ref = wanted.get(m.group(1))
        if ref is not None and _unsaved((m.group(2) or b"").decode("utf-8", "replace")):
            out.append(ref)
    return out


_NEEDLE_TRIES = 8  # places of one r="…" looked at before the full scan decides
# (a literal: `re` finds it faster than `bytes in bytes`, see guards._LT_LT)
_FORMULA_TAG = re.compile(rb"<f")


def _no_formula_at(xml: bytes, needles: list[bytes]) -> bool:
    """True when no cell the scan below could find for these `needles`
    (r="E12") holds a formula: a quick "none", in C; False when it cannot
    tell that way (then the full scan decides).

    A cell matched for r="E12" has that text in its start tag, which ends at
    the first '>' after it; its content runs from there to the first "</c>"
    (the scan's lazy match). No "<f" there, at every place the text occurs,
    means no such cell holds a formula. (On the decoded text the places are
    the same: ASCII bytes decode alone, and nothing else decodes to ASCII.)"""
    find = xml.find
    for needle in needles:
        at = find(needle)
        tries = 0
        while at != -1:
            tries += 1
            gt = find(b">", at + len(needle))
            end = find(b"</c>", gt + 1) if gt != -1 else -1
            if tries > _NEEDLE_TRIES or end == -1 or find(b"<f", gt + 1, end) != -1:
                return False
            at = find(needle, at + 1)
    return True


def _resync(xml: bytes, target: int) -> int:
    """Where going through the cells from the start and from here finds the
    same cells from `target` (an r="…" of a wanted cell) on: just after a
    "</c>" that ends every cell begun before it, and before the start tag
    holding `target`; 0 when there is no such place.

    A match of _CELL that starts before a "</c>" ends at it at the latest
    (its content ends at the first "</c>" after its start tag), unless its
    start tag runs into that "</c>" (no '>' between a "<c" and it): checked.
    The match holding `target` starts after the last '>' before it."""
    tag = xml.rfind(b">", 0, target)
    end = xml.rfind(b"</c>", 0, tag + 1)
    if end < 0:
        return 0
    before = xml.rfind(b">", 0, end)
    if xml.find(b"<c", before + 1, end) != -1:
        return 0
    return end + 4


def _unsaved(body: str) -> bool:
    """A cell's content holds a formula and no saved result."""
    if "<f" not in body:
        return False
    v = re.search(r"<v>([^<]*)</v>", body)
    return not v or not v.group(1).strip()


_CELL = re.compile(r'<c\b[^>]*\br="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
# The same pattern on the UTF-8 bytes finds the same cells (every character
# it cuts on is ASCII) except where \b or \d would see a non-ASCII letter or
# digit: right after "<c", right before r=", or inside r="…". Such a part is
# read as text.
_CELL_BYTES = re.compile(_CELL.pattern.encode(), re.S)
# (Each search starts with a literal, which the regular expression engine
# skips to quickly.)
_TEXT_ONLY = (re.compile(rb"<c[\x80-\xff]"),
              re.compile(rb'r="(?:(?<=[\x80-\xff]r=")|[A-Z]+[0-9]*[\x80-\xff])'))


def _sheet_xml(package: Package, sheet: str) -> bytes | None:
    """The XML of the part of `sheet`, as xl/workbook.xml and its relationships name it."""
    try:
        wb_xml = package.read("xl/workbook.xml")
        rels = package.read("xl/_rels/workbook.xml.rels")
        part = _sheet_part(wb_xml, rels, sheet)
        if part is None:
            return None
        return package.read(part)
    except (KeyError, zipfile.BadZipFile, AttributeError):
        return None


def _sheet_part(wb_xml: bytes, rels: bytes, sheet: str) -> str | None:
    """The part name of `sheet` (see _sheet_xml): the workbook.xml and the
    relationships of returns made from one form are the same bytes, file
    after file, so the answer for parts of usual size is remembered."""
    if len(wb_xml) + len(rels) > _MEMO_META:
        return _find_sheet_part(wb_xml, rels, sheet)
    return _remembered_part(wb_xml, rels, sheet)


_MEMO_META = 64 * 1024


def _find_sheet_part(wb_xml_bytes: bytes, rels_bytes: bytes, sheet: str) -> str | None:
    wb_xml = wb_xml_bytes.decode("utf-8", "replace")
    rels = rels_bytes.decode("utf-8", "replace")
    rid = None
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", wb_xml):
        tag = m.group(0)
        name = re.search(r'\bname="([^"]*)"', tag)
        if name and _xml_unescape(name.group(1)) == sheet:
            rid_m = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', tag)
            rid = rid_m and (rid_m.group(1) or rid_m.group(2))
            break
    if not rid:
        return None
    target = None
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        if f'Id="{rid}"' in tag and (found := re.search(r'Target="([^"]*)"', tag)):
            target = found.group(1)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


_remembered_part = lru_cache(maxsize=64)(_find_sheet_part)


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))
