"""The list of "Dân vận khéo" models: a sheet whose header has "Tên mô hình"."""

from __future__ import annotations

import unicodedata

from dvk_cli.core.text import fold_label
from dvk_cli.reading.returns import ReturnData, find_header_row

# (frozen: the reader remembers which texts fold into none of these, see
# dispatch._PLAIN_TEXTS)
MODEL_NAME_HEADERS = frozenset({"tên mô hình", "tên mô hình, điển hình"})


MODEL_COLUMNS = {
    "stt": {"stt", "số tt", "số thứ tự"},
    "field": {"lĩnh vực"},
    "kind": {"loại", "loại mô hình"},
    "exemplary": {"tiêu biểu"},
    "implementer": {"đơn vị, người thực hiện", "đơn vị thực hiện", "người thực hiện",
                    "đơn vị/người thực hiện", "đơn vị, cá nhân thực hiện"},
    "note": {"ghi chú"},
    "unit_name": {"đơn vị báo cáo"},
}


_EXEMPLARY_MARKS = {"x", "có", "✓", "✔", "v", "1", "tiêu biểu", "tb"}


def read_models(data: ReturnData, sheet: str, rows: list[list]) -> bool:
    found = find_header_row(rows, [MODEL_NAME_HEADERS])
    if found is None:
        return False
    header_row, folded = found
    name_col = next(c for c, t in folded.items() if t in MODEL_NAME_HEADERS)
    cols = {key: next((c for c, t in folded.items() if t in names), None)
            for key, names in MODEL_COLUMNS.items()}
    data.model_sheet = sheet

    def text(row, key):
        c = cols[key]
        if c is None or c >= len(row) or row[c] in ("", None):
            return ""
        v = row[c]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return unicodedata.normalize("NFC", str(v)).strip()

    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        name = row[name_col] if name_col < len(row) else ""
        if name in ("", None) or not str(name).strip():
            continue
        data.models.append({
            "stt": text(row, "stt"),
            "name": unicodedata.normalize("NFC", str(name)).strip(),
            "field": text(row, "field"),
            "kind": text(row, "kind"),
            "exemplary": fold_label(text(row, "exemplary")) in _EXEMPLARY_MARKS,
            "implementer": text(row, "implementer"),
            "note": text(row, "note"),
            "unit_name": text(row, "unit_name"),
            "sheet": sheet,
            "row": r + 1,
        })
    return True


def read_any_models(data: ReturnData, sheets) -> None:
    for name, model_rows in sheets:
        if read_models(data, name, model_rows):
            break
