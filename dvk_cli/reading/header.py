"""The header block of a return: "Đơn vị báo cáo", "Mã đơn vị", "Kỳ báo cáo"
(beside or inside the label cell), else the period named by the title.

The texts kept (unit name, code, period) are made safe at the source
(core.text.safe_text): one line, NFC, without control characters, escape
sequences or bidi overrides, which no name needs to be recognised and which
would otherwise travel on into every message, report and the history store."""

from __future__ import annotations

from dvk_cli.core.cells import cell_ref
from dvk_cli.core.text import fold_label, safe_text
from dvk_cli.reading.returns import PERIOD_LABELS, UNIT_CODE_LABELS, UNIT_LABELS, ReturnData


def _right_value(row: list, col: int) -> tuple[object, int] | None:
    for j in range(col + 1, min(len(row), col + 8)):
        if row[j] not in ("", None):
            return row[j], j
    return None


def read_header(data: ReturnData, sheet: str, rows: list[list]) -> None:
    wanted = {"unit": UNIT_LABELS, "code": UNIT_CODE_LABELS, "period": PERIOD_LABELS}
    for r, row in enumerate(rows[:40]):
        if all(key in data.header_cells for key in wanted):
            break  # all three found: the cells below change nothing
        for c, value in enumerate(row):
            if not isinstance(value, str) or not value.strip():
                continue
            value = safe_text(value)
            text = fold_label(value)
            label, _, inline = text.partition(":")
            for key, labels in wanted.items():
                if key in data.header_cells:
                    continue
                if text in labels:
                    found = _right_value(row, c)
                    if found is not None:
                        setattr(data, f"{key}_text" if key != "code" else "unit_code_text",
                                safe_text(found[0]).strip())
                        data.header_cells[key] = cell_ref(r, found[1])
                elif label.strip() in labels and inline.strip():
                    original = value.split(":", 1)[1].strip()
                    setattr(data, f"{key}_text" if key != "code" else "unit_code_text", original)
                    data.header_cells[key] = cell_ref(r, c)
    if isinstance(data.period_text, str) and data.period_text.endswith(".0"):
        data.period_text = data.period_text[:-2]
    if "period" not in data.header_cells:
        _period_from_title(data, rows)


def _period_from_title(data: ReturnData, rows: list[list]) -> None:
    """No "Kỳ báo cáo" cell: take the period from the title ("… NĂM 2024") when
    the first rows name exactly one."""
    from dvk_cli.core.periods import parse_period

    found: dict[object, tuple[str, str]] = {}
    for r, row in enumerate(rows[:12]):
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) < 200 and not value.strip().isdigit():
                p = parse_period(value)
                if p is not None:
                    found.setdefault(p, (cell_ref(r, c), safe_text(value).strip()))
    if len(found) == 1:
        ((ref, text),) = found.values()
        data.period_text = text
        data.header_cells["period"] = ref
