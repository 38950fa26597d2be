"""The model list ("Danh sách mô hình") against the summary figures.

- A list with exactly as many models as the unit's total (catalog
  [model_list] total) is complete: its counts by field (Lĩnh vực), kind
  (Loại) and exemplary mark (Tiêu biểu) must equal the summary figures.
- A list longer than the total is a warning naming both places.
- More exemplary models listed than the summary's exemplary figure is a
  warning, whatever the list's length.
- A shorter list is a selection and is not compared.
- Field and kind texts are matched to the catalog's categories after
  normalisation ("VH-XH", "Văn hoá xã hội", "kinh te", "Lĩnh vực kinh tế",
  "QP-AN", "TT"); a text that matches no category, or several, is reported.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from dvk_cli.core.catalog import Catalog, ModelCategory
from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import fmt_number
from dvk_cli.core.text import strip_diacritics

if TYPE_CHECKING:
    import pandas as pd

    from dvk_cli.aggregation import Consolidation

RULE_MISMATCH = "model_list_mismatch"
RULE_LONGER = "model_list_longer"
RULE_EXEMPLARY = "model_exemplary"
RULE_CATEGORY = "model_category"

# Words that introduce a category without naming it: "Lĩnh vực kinh tế",
# "Mô hình tập thể", "Trên lĩnh vực …", "Loại: cá nhân".
_FILLER = ("tren linh vuc", "linh vuc", "mo hinh", "loai", "thuoc")
_WORD = re.compile(r"[a-z0-9]+")


def category_words(text: str) -> tuple[str, ...]:
    """Lower-case ASCII words of a category text, introducing words removed."""
    plain = strip_diacritics(str(text)).lower()
    words = " ".join(_WORD.findall(plain))
    for filler in _FILLER:
        if words.startswith(filler + " "):
            words = words[len(filler) + 1:]
    return tuple(words.split())


def _keys(label: str) -> set[str]:
    words = category_words(label)
    return {"".join(words), "".join(w[0] for w in words), " ".join(sorted(words))}


@dataclass(frozen=True)
class CategoryMatch:
    category: ModelCategory | None
    candidates: tuple[ModelCategory, ...] = ()


@lru_cache(maxsize=4096)
def _match(text: str, categories: tuple[ModelCategory, ...]) -> CategoryMatch:
    words = category_words(text)
    if not words:
        return CategoryMatch(None)
    forms = {"".join(words), " ".join(sorted(words))}
    hits = tuple(c for c in categories if forms & _keys(c.label))
    if len(hits) == 1:
        return CategoryMatch(hits[0])
    return CategoryMatch(None, hits)


def match_category(text: str, categories: list[ModelCategory]) -> CategoryMatch:
    """The one category a field or kind text means; None (with the candidates
    when several match) otherwise."""
    return _match(str(text), tuple(categories))


def _column_letters(file: str, sheet: str, first_row: int) -> dict[str, str]:
    """Letters of the model list's columns (field, kind, exemplary), found from
    its header row above `first_row` (1-based); {} when the file cannot be read."""
    from python_calamine import CalamineWorkbook

    from dvk_cli.core.cells import col_letter
    from dvk_cli.core.text import fold_label as fold
    from dvk_cli.reading.models import MODEL_COLUMNS, MODEL_NAME_HEADERS

    try:
        rows = CalamineWorkbook.from_path(file).get_sheet_by_name(sheet).to_python(
            skip_empty_area=False)
    except Exception:  # noqa: BLE001 - locating a column is a courtesy, never a failure
        return {}
    for row in reversed(rows[: max(0, first_row - 1)]):
        folded = {c: fold(v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()}
        if any(t in MODEL_NAME_HEADERS for t in folded.values()):
            return {key: col_letter(c) for key in ("field", "kind", "exemplary")
                    for c, t in folded.items() if t in MODEL_COLUMNS[key]}
    return {}


def _rows_text(rows: list[int]) -> str:
    if not rows:
        return ""
    first, last = min(rows), max(rows)
    return f"dòng {first}" if first == last else f"dòng {first}–{last}"


# The columns of Consolidation.models the check reads.
_COLUMNS = ("file", "sheet", "row", "field", "kind", "exemplary")


def check_unit_models(models: pd.DataFrame | dict[str, list], summary: dict[str, float],
                      cells: dict[str, tuple[str, str, str]], catalog: Catalog, *,
                      unit: str = "", locate: bool = True,
                      matched: dict[tuple[str, str], CategoryMatch] | None = None) -> list[Finding]:
    """Findings for one unit's model list (`models`: its rows of
    Consolidation.models) against its summary values (`summary`: code ->
    value, reported codes only; `cells`: code -> (file, sheet, cell)).
    `matched`: (field or kind, text) -> its category match, kept by the
    caller across the units of one catalog (a run lists 43,000 texts, a few
    hundred of them distinct)."""
    if not isinstance(models, dict):  # a DataFrame: its columns as plain lists
        models = {key: models[key].tolist() for key in _COLUMNS}
    if not models["row"] or not catalog.model_total:
        return []
    file = str(models["file"][0])
    sheet = str(models["sheet"][0])
    rows = [int(r) for r in models["row"]]
    listed = f"Danh sách mô hình (tệp {file}, trang “{sheet}”, {_rows_text(rows)})"
    findings: list[Finding] = []
    letters: dict[str, str] = {}

    def summary_place(code: str) -> str:
        _, s_sheet, s_cell = cells.get(code, ("", "", ""))
        return f"trang “{s_sheet}”, ô {s_cell}" if s_cell else "biểu số liệu"

    def at(code: str) -> dict:
        c_file, c_sheet, c_cell = cells.get(code, (file, "", ""))
        return dict(file=c_file or file, sheet=c_sheet, cell=c_cell, unit=unit, indicator=code)

    # Categories of each row; unknown texts are reported where they are.
    groups = (("field", "lĩnh vực", catalog.model_fields), ("kind", "loại", catalog.model_kinds))
    counts: dict[str, dict[str, int]] = {}
    used: dict[str, bool] = {}
    for key, word, categories in groups:
        counts[key] = {c.code: 0 for c in categories}
        used[key] = bool(categories) and any(str(t).strip() for t in models[key])
        if not categories:
            continue
        for text, row in zip(models[key], models["row"], strict=True):
            text = str(text).strip()
            if not text:
                continue
            m = matched.get((key, text)) if matched is not None else None
            if m is None:
                m = match_category(text, categories)
                if matched is not None:
                    matched[key, text] = m
            if m.category is not None:
                counts[key][m.category.code] += 1
                continue
            if locate and not letters:
                letters = _column_letters(file, sheet, min(rows)) or {"": ""}
            cell = f"{letters[key]}{int(row)}" if letters.get(key) else ""
            options = ", ".join(c.label for c in (m.candidates or categories))
            why = "khớp với nhiều loại" if m.candidates else "không thuộc"
            findings.append(Finding(
                "warning", RULE_CATEGORY,
                f"Danh sách mô hình, dòng {int(row)}: {word} “{text}” {why} ({options}); "
                f"mô hình này không được đếm theo {word}. Đề nghị ghi đúng một trong: {options}.",
                file=file, sheet=sheet, cell=cell, unit=unit))

    total_code, exemplary_code = catalog.model_total, catalog.model_exemplary
    total = summary.get(total_code)
    n = len(rows)
    exemplary_rows = [int(r) for r, x in zip(models["row"], models["exemplary"], strict=True) if x]
    if total is not None and n > total:
        findings.append(Finding(
            "warning", RULE_LONGER,
            f"{listed} liệt kê {n} mô hình, nhiều hơn tổng số mô hình ghi ở {summary_place(total_code)} "
            f"({fmt_number(total)}). Đề nghị đơn vị đối chiếu, sửa một trong hai nơi.",
            **at(total_code)))
    complete = total is not None and n == total
    if complete:
        for key, word, categories in groups:
            if not used[key]:
                continue  # the list does not say it: nothing to compare
            for cat in categories:
                have, said = counts[key][cat.code], summary.get(cat.code)
                if said is None and not have:
                    continue
                if said is None or not math.isclose(have, said):
                    shown = "để trống" if said is None else fmt_number(said)
                    findings.append(Finding(
                        "warning", RULE_MISMATCH,
                        f"{listed} đủ {n} mô hình, trong đó {have} mô hình {word} “{cat.label}”, "
                        f"nhưng {summary_place(cat.code)} ghi {shown}. Đề nghị đơn vị đối chiếu, "
                        "sửa một trong hai nơi.", **at(cat.code)))
    said = summary.get(exemplary_code) if exemplary_code else None
    if exemplary_code and (said is not None or exemplary_rows):
        have = len(exemplary_rows)
        marked = f" ({_rows_text(exemplary_rows)})" if exemplary_rows else ""
        shown = "để trống" if said is None else fmt_number(said)
        if complete and (said is None or not math.isclose(have, said)):
            findings.append(Finding(
                "warning", RULE_MISMATCH,
                f"{listed} đủ {n} mô hình, trong đó {have} mô hình đánh dấu tiêu biểu{marked}, "
                f"nhưng {summary_place(exemplary_code)} ghi {shown}. Đề nghị đơn vị đối chiếu, "
                "sửa một trong hai nơi.", **at(exemplary_code)))
        elif not complete and have > (said or 0):
            findings.append(Finding(
                "warning", RULE_EXEMPLARY,
                f"{listed} đánh dấu {have} mô hình tiêu biểu{marked}, nhiều hơn số mô hình tiêu biểu "
                f"ghi ở {summary_place(exemplary_code)} ({shown}). Đề nghị đơn vị đối chiếu, "
                "sửa một trong hai nơi.", **at(exemplary_code)))
    return findings


def check_model_lists(c: Consolidation, *, locate: bool = True) -> list[Finding]:
    """Model-list findings for every unit of a consolidation."""
    if c.models.empty:
        return []
    where: dict[str, dict[str, tuple[str, str, str]]] = {}
    cat = c.catalog
    # the cells the findings may name: the model codes' only (not every tidy row)
    codes = {cat.model_total, cat.model_exemplary,
             *(m.code for m in (*cat.model_fields, *cat.model_kinds))}
    v = c.values[c.values["indicator"].isin(codes).to_numpy()]
    for u, i, f, s, cell in zip(v["unit"].tolist(), v["indicator"].tolist(), v["file"].tolist(),
                                v["sheet"].tolist(), v["cell"].tolist(), strict=True):
        where.setdefault(u, {})[i] = (f, s, cell)
    # Plain lists per unit: a DataFrame per unit costs more than the check itself.
    # A unit's rows follow each other (the run lists them return by return):
    # they are taken a run of rows at a time, not row by row.
    by_unit: dict[str, dict[str, list]] = {}
    columns = {key: c.models[key].tolist() for key in ("unit", *_COLUMNS)}
    units = columns["unit"]
    start = 0
    for end in range(1, len(units) + 1):
        if end < len(units) and units[end] == units[start]:
            continue
        lists = by_unit.get(units[start])
        if lists is None:
            lists = by_unit[units[start]] = {key: [] for key in _COLUMNS}
        for key in _COLUMNS:
            lists[key].extend(columns[key][start:end])
        start = end
    # The summary figures a list is compared with: only the model codes'
    # (all check_unit_models reads), not every indicator of every unit.
    compared = [code for code in c.per_unit.columns if code in codes]
    figures = c.per_unit[compared]
    per_unit = dict(zip(figures.index.tolist(),
                        figures.to_numpy(dtype="float64").tolist(), strict=True))
    matched: dict[tuple[str, str], CategoryMatch] = {}
    findings: list[Finding] = []
    for unit, models in by_unit.items():
        row = per_unit.get(unit)
        summary = {} if row is None else {k: v for k, v in zip(compared, row, strict=True)
                                          if not math.isnan(v)}
        findings.extend(check_unit_models(models, summary, where.get(unit, {}), c.catalog,
                                          unit=str(unit), locate=locate, matched=matched))
    return findings
