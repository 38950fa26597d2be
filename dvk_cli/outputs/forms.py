"""The blank return form (spec §2) and `dvk init`.

The form is laid out for people (title, header block, grouped table, shaded
computed rows, dropdowns, A4 print setup) and for the reader, which finds the
header labels and the table columns by their texts, never by address.
Everything about indicators comes from the catalog.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.core.catalog import Catalog, Group, Indicator
from dvk_cli.outputs import styles

if TYPE_CHECKING:  # openpyxl is imported lazily
    import openpyxl

    from dvk_cli.core.config import Organization
    from dvk_cli.core.periods import Period
    from dvk_cli.core.units import Unit

FORM_SHEET = "Biểu số liệu"
MODEL_SHEET = "Danh sách mô hình"
HELP_SHEET = "Hướng dẫn"
FORM_TITLE = "BIỂU SỐ LIỆU CÔNG TÁC DÂN VẬN"
MODEL_TITLE = "DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH “DÂN VẬN KHÉO”"

UNIT_LABEL = "Đơn vị báo cáo"
UNIT_CODE_LABEL = "Mã đơn vị"
PERIOD_LABEL = "Kỳ báo cáo"
FORM_HEADERS = ["STT", "Chỉ tiêu", "Mã", "Đơn vị tính", "Số liệu", "Ghi chú"]
FORM_WIDTHS = [6, 52, 16, 12, 14, 18]
VALUE_COL = 5  # "Số liệu" (1-based) in the layout written here
MODEL_HEADERS = ["STT", "Tên mô hình", "Lĩnh vực", "Loại", "Tiêu biểu",
                 "Đơn vị, người thực hiện", "Ghi chú"]
MODEL_WIDTHS = [6, 46, 26, 12, 10, 34, 20]
MODEL_UNIT_HEADER = "Đơn vị báo cáo"
MODEL_UNIT_WIDTH = 30
EXEMPLARY_MARK = "x"
BLANK_MODEL_ROWS = 20  # bordered empty rows on a blank form

_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
          "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX"]
_FILENAME_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


# ------------------------------------------------------------------ layout

def iter_form_rows(catalog: Catalog) -> Iterator[tuple[Group | Indicator, str | int]]:
    """The table rows of the form in order: (Group, roman) then (Indicator,
    STT) — STT numbered within the group, "-" for a child row (an indicator
    with a parent)."""
    for gi, group in enumerate(catalog.groups.values()):
        members = catalog.in_group(group.key)
        if not members:
            continue
        roman = group.roman or (_ROMAN[gi] if gi < len(_ROMAN) else str(gi + 1))
        yield group, roman
        n = 0
        for ind in members:
            if ind.parent:
                yield ind, "-"
            else:
                n += 1
                yield ind, n


def _sum_formula(refs: list[str]) -> str:
    joined = ",".join(refs)
    return f'=IF(COUNT({joined})=0,"",SUM({joined}))'


def _ratio_formula(num: str, den: str) -> str:
    return f'=IF(OR(COUNT({num})=0,N({den})=0),"",{num}/{den}*100)'


def computed_formula(ind: Indicator, refs: Mapping[str, str]) -> str | None:
    """The Excel formula of a computed indicator, from its operands' cells."""
    if ind.operation == "sum":
        cells = [refs[c] for c in ind.operands if c in refs]
        return _sum_formula(cells) if cells else None
    if ind.operation == "ratio":
        num, den = ind.operands
        if num in refs and den in refs:
            return _ratio_formula(refs[num], refs[den])
    return None


# The messages of the figures' validations (the form, and the consolidated
# workbook's Biểu tổng hợp written by outputs/workbook.py)
VALUE_ERROR_TITLE = "Số liệu không hợp lệ"
WHOLE_ERROR = ("Chỉ tiêu này phải là số nguyên không âm (0, 1, 2, …). "
               "Để trống nếu đơn vị không báo cáo chỉ tiêu này.")
DECIMAL_ERROR = ("Chỉ tiêu này phải là số không âm, có thể có phần thập phân "
                 "(tiền tính bằng triệu đồng, chiều dài tính bằng km). "
                 "Để trống nếu đơn vị không báo cáo chỉ tiêu này.")


def _validations(ws):
    from openpyxl.worksheet.datavalidation import DataValidation

    whole = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
        showErrorMessage=True, errorStyle="stop", errorTitle=VALUE_ERROR_TITLE,
        error=WHOLE_ERROR, showInputMessage=False,
    )
    decimal = DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
        showErrorMessage=True, errorStyle="stop", errorTitle=VALUE_ERROR_TITLE,
        error=DECIMAL_ERROR, showInputMessage=False,
    )
    ws.add_data_validation(whole)
    ws.add_data_validation(decimal)
    return whole, decimal


def fill_form_sheet(
    ws,
    catalog: Catalog,
    *,
    unit_name: str = "",
    unit_code: str = "",
    period_text: str = "",
    values: Mapping[str, float | int] | None = None,
    computed: str = "formula",
    title: str = FORM_TITLE,
    subtitle: str = "",
) -> dict[str, str]:
    """Write the return-form layout into `ws`; return {code: value cell address}.

    computed="formula": computed rows hold Excel formulas over their operands;
    computed="value": they hold values[code] (blank when absent).
    """
    from openpyxl.utils import get_column_letter

    if computed not in ("formula", "value"):
        raise ValueError(f"computed must be 'formula' or 'value', not {computed!r}")
    values = values or {}
    ncols = len(FORM_HEADERS)
    styles.set_widths(ws, FORM_WIDTHS)

    # Title block
    styles.title_row(ws, 1, title, ncols, size=14)
    if subtitle:
        styles.title_row(ws, 2, subtitle, ncols, size=12, bold=False, italic=True)

    # Header block: label, then its value in the cell immediately to the right.
    row = 4
    for label, value in ((UNIT_LABEL, unit_name), (UNIT_CODE_LABEL, unit_code),
                         (PERIOD_LABEL, period_text)):
        label_cell = ws.cell(row, 2)
        styles.set_text(label_cell, label)
        styles.style(label_cell, bold=True, horizontal="right", border=False)
        value_cell = ws.cell(row, 3)
        styles.set_text(value_cell, value or None)
        styles.style(value_cell, bold=bool(value), horizontal="left", border=False)
        for col in range(3, ncols + 1):
            ws.cell(row, col).border = styles.dotted_bottom()
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=ncols)
        ws.row_dimensions[row].height = 20
        row += 1

    # Table header
    header = row + 1
    styles.header_row(ws, header, FORM_HEADERS)
    first = header + 1

    # Rows are planned first: a computed row may precede its operands.
    plan = list(iter_form_rows(catalog))
    letter = get_column_letter(VALUE_COL)
    refs: dict[str, str] = {}
    for offset, (obj, _) in enumerate(plan):
        if isinstance(obj, Indicator):
            refs[obj.code] = f"{letter}{first + offset}"

    whole, decimal = _validations(ws)
    for offset, (obj, stt) in enumerate(plan):
        r = first + offset
        cells = [ws.cell(r, c) for c in range(1, ncols + 1)]
        if isinstance(obj, Group):
            styles.set_text(cells[0], stt)
            styles.style(cells[0], bold=True, horizontal="center")
            styles.set_text(cells[1], obj.title)
            styles.style(cells[1], bold=True)
            for cell in cells[2:]:
                styles.style(cell)
            styles.fit_row_height(ws, r, 2, 2)
            continue
        ind = obj
        child = bool(ind.parent)
        shade = styles.GREY if ind.computed else None
        if isinstance(stt, int):
            cells[0].value = stt
        else:
            styles.set_text(cells[0], stt)
        styles.style(cells[0], horizontal="center", shade=shade)
        styles.set_text(cells[1], ind.label)
        styles.style(cells[1], italic=child, indent=2 if child else 0, shade=shade)
        styles.set_text(cells[2], ind.code)
        styles.style(cells[2], horizontal="center", size=11, shade=shade)
        styles.set_text(cells[3], ind.unit)
        styles.style(cells[3], horizontal="center", shade=shade)
        value_cell, note_cell = cells[VALUE_COL - 1], cells[5]
        if ind.computed:
            if computed == "formula":
                formula = computed_formula(ind, refs)
                value_cell.value = formula
                value_cell.number_format = styles.number_format(None, ind.type)
                styles.set_text(note_cell, "Tự động tính, không nhập")
            else:
                styles.set_number(value_cell, values.get(ind.code), ind.type)
                styles.set_text(note_cell, "Tính lại từ số liệu thành phần")
            styles.style(value_cell, bold=not child, horizontal="right", shade=shade)
            styles.style(note_cell, italic=True, size=10, shade=shade)
        else:
            styles.set_number(value_cell, values.get(ind.code), ind.type)
            styles.style(value_cell, horizontal="right")
            styles.style(note_cell)
            (whole if ind.type == "count" else decimal).add(value_cell.coordinate)
        styles.fit_row_height(ws, r, 1, ncols, indent={2: 2 if child else 0})
    ws.freeze_panes = ws.cell(first, 1).coordinate
    styles.print_setup(ws, landscape=False, title_rows=(header, header))
    return refs


def add_signature(ws, row: int, place: str = "") -> None:
    """'…, ngày … tháng … năm …', Người lập biểu / Thủ trưởng đơn vị."""
    place = place or "……………"
    last = len(FORM_HEADERS)
    lines = [
        (row, None, f"{place}, ngày …… tháng …… năm ……", styles.font(italic=True)),
        (row + 1, "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", styles.font(bold=True)),
        (row + 2, "(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)", styles.font(italic=True, size=11)),
    ]
    for r, left, right, fnt in lines:
        for col, text in ((2, left), (4, right)):
            if text is None:
                continue
            cell = ws.cell(r, col)
            styles.set_text(cell, text)
            cell.font = fnt
            cell.alignment = styles.alignment("center", "center", False)
        ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=last)


# ------------------------------------------------------------------ models

def _list_validation(ws, labels: list[str], column: str, first: int, last: int,
                     title: str, hidden_col: int):
    """Dropdown of `labels` on column[first:last]; inline list when it fits."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    labels = [styles.clean_text(x) for x in labels if str(x).strip()]
    inline = '"' + ",".join(labels) + '"'
    if any("," in x or '"' in x for x in labels) or len(inline) > 255:
        # Too long or with commas: list the labels in a hidden column instead.
        letter = get_column_letter(hidden_col)
        for i, label in enumerate(labels):
            styles.set_text(ws.cell(first + i, hidden_col), label)
        ws.column_dimensions[letter].hidden = True
        formula = f"${letter}${first}:${letter}${first + max(len(labels), 1) - 1}"
    else:
        formula = inline
    shown = "; ".join(labels)
    dv = DataValidation(
        type="list", formula1=formula, allow_blank=True, showDropDown=False,
        showErrorMessage=True, errorStyle="stop", errorTitle=title[:32],
        error=f"Chọn trong danh sách: {shown}"[:255],
    )
    ws.add_data_validation(dv)
    dv.add(f"{column}{first}:{column}{last}")
    return dv


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def is_exemplary(value: object) -> bool:
    if _blank(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"x", "có", "✓", "✔", "v", "1", "tiêu biểu", "tb", "true"}
    return bool(value)


def fill_model_sheet(
    ws,
    catalog: Catalog,
    models: Iterable[Mapping] | None = None,
    *,
    unit_column: bool = False,
    validation_rows: int = 500,
    title: str = MODEL_TITLE,
    subtitle: str = "",
) -> None:
    """Write the model list: header, rows, dropdowns on Lĩnh vực / Loại / Tiêu biểu.

    Each model mapping has name, field, kind, exemplary (bool), implementer,
    note — and unit_name when `unit_column` (the consolidated list).
    """
    from openpyxl.utils import get_column_letter

    headers = list(MODEL_HEADERS)
    widths = list(MODEL_WIDTHS)
    keys = ["name", "field", "kind", "exemplary", "implementer", "note"]
    if unit_column:
        headers.insert(1, MODEL_UNIT_HEADER)
        widths.insert(1, MODEL_UNIT_WIDTH)
        keys.insert(0, "unit_name")
    ncols = len(headers)
    styles.set_widths(ws, widths)

    styles.title_row(ws, 1, title, ncols, size=14)
    if subtitle:
        styles.title_row(ws, 2, subtitle, ncols, size=12, bold=False, italic=True)
    header = 3
    styles.header_row(ws, header, headers)
    first = header + 1

    rows = list(models or [])
    for i, model in enumerate(rows):
        r = first + i
        cell = ws.cell(r, 1, i + 1)
        styles.style(cell, horizontal="center", final=True)
        for j, key in enumerate(keys, start=2):
            cell = ws.cell(r, j)
            value = model.get(key)
            if key == "exemplary":
                styles.set_text(cell, EXEMPLARY_MARK if is_exemplary(value) else None)
                styles.style(cell, horizontal="center", final=True)
            else:
                styles.set_text(cell, None if _blank(value) or value == "" else value)
                centered = key in ("kind",)
                styles.style(cell, horizontal="center" if centered else None, final=True)
        styles.fit_row_height(ws, r, 1, ncols)
    padded = len(rows) if unit_column else max(len(rows), BLANK_MODEL_ROWS)
    if padded > len(rows):
        styles.box(ws, first + len(rows), first + padded - 1, 1, ncols)
        for r in range(first + len(rows), first + padded):
            ws.row_dimensions[r].height = 20

    last_validated = first + max(validation_rows, len(rows)) - 1
    col = {name: get_column_letter(headers.index(name) + 1)
           for name in ("Lĩnh vực", "Loại", "Tiêu biểu")}
    hidden = ncols + 3
    if validation_rows > 0:
        _list_validation(ws, [c.label for c in catalog.model_fields], col["Lĩnh vực"], first,
                         last_validated, "Lĩnh vực", hidden)
        _list_validation(ws, [c.label for c in catalog.model_kinds], col["Loại"], first,
                         last_validated, "Loại mô hình", hidden + 1)
        _list_validation(ws, [EXEMPLARY_MARK], col["Tiêu biểu"], first, last_validated,
                         "Tiêu biểu", hidden + 2)

    ws.freeze_panes = ws.cell(first, 1).coordinate
    styles.print_setup(ws, landscape=True, title_rows=(header, header))


# ------------------------------------------------------------------ help sheet

def fill_help_sheet(ws, catalog: Catalog) -> None:
    total = catalog.indicators.get(catalog.model_total)
    exemplary = catalog.indicators.get(catalog.model_exemplary)
    fields = ", ".join(c.label for c in catalog.model_fields)
    kinds = ", ".join(c.label for c in catalog.model_kinds)
    lines = [
        f"Biểu gồm hai trang: “{FORM_SHEET}” (các chỉ tiêu) và “{MODEL_SHEET}” "
        "(từng mô hình, điển hình “Dân vận khéo”).",
        f"Ở đầu trang “{FORM_SHEET}”, ghi đúng tên đơn vị ({UNIT_LABEL}), {UNIT_CODE_LABEL.lower()} "
        f"và {PERIOD_LABEL.lower()} (ví dụ: Năm 2024, 6 tháng đầu năm 2024, Quý I năm 2024).",
        "Nhập số liệu vào cột “Số liệu”, mỗi chỉ tiêu một ô; chỉ ghi con số, "
        "không ghi chữ hay đơn vị tính vào ô số liệu. Giải thích (nếu có) ghi ở cột “Ghi chú”.",
        "Chỉ tiêu không có số liệu thì để trống. Ô để trống nghĩa là “không báo cáo”, "
        "khác với số 0: nếu trong kỳ thực sự không có (ví dụ không nhận đơn thư nào) thì ghi 0.",
        "Số tiền ghi bằng triệu đồng (ví dụ 1,5 tỷ đồng ghi 1.500); chiều dài đường giao thông, "
        "đường điện ghi bằng km (ví dụ 3,5).",
        "Các dòng tô màu xám là chỉ tiêu tự động tính (tổng, tỷ lệ): không nhập vào các ô này.",
        "Không sửa, không xóa cột “Mã”: số liệu được tổng hợp theo mã chỉ tiêu. "
        "Có thể chèn thêm dòng hoặc ghi chú, nhưng không đổi mã của dòng nào.",
        f"Trang “{MODEL_SHEET}”: mỗi mô hình một dòng; chọn Lĩnh vực ({fields}) và Loại "
        f"({kinds}) trong danh sách thả xuống; đánh “{EXEMPLARY_MARK}” ở cột Tiêu biểu nếu mô hình "
        "được biểu dương, khen thưởng.",
    ]
    if total is not None:
        tail = f" và số dòng có đánh dấu Tiêu biểu nên bằng chỉ tiêu “{exemplary.label}”" if exemplary else ""
        lines.append(f"Số dòng trong danh sách mô hình nên bằng chỉ tiêu “{total.label}”{tail}.")
    lines.append("Lưu tệp dạng .xlsx (không đặt mật khẩu) và gửi lại theo thời hạn quy định.")

    styles.set_widths(ws, [5, 100])
    styles.title_row(ws, 1, "HƯỚNG DẪN ĐIỀN BIỂU", 2, size=14)
    for i, text in enumerate(lines, start=1):
        r = i + 2
        number = ws.cell(r, 1, i)
        number.font = styles.font(bold=True)
        number.alignment = styles.alignment("center", "top", False)
        cell = ws.cell(r, 2)
        styles.set_text(cell, text)
        cell.font = styles.font()
        cell.alignment = styles.alignment("left", "top", True)
        styles.fit_row_height(ws, r, 2, 2)
    styles.print_setup(ws, landscape=False)


# ------------------------------------------------------------------ workbooks

def _subtitle(period: Period | None, organization: Organization | None) -> str:
    parts = []
    if period is not None:
        parts.append(f"Số liệu {period.label}")
    if organization is not None and organization.name:
        parts.append(f"gửi {organization.name}")
    text = " – ".join(parts)
    return text[0].upper() + text[1:] if text else ""


def build_form(catalog: Catalog, *, unit: Unit | None = None, period: Period | None = None,
               organization: Organization | None = None,
               values: Mapping[str, float | int] | None = None,
               models: Iterable[Mapping] | None = None) -> openpyxl.Workbook:
    """A return form workbook: Biểu số liệu, Danh sách mô hình, Hướng dẫn."""
    from openpyxl.utils import get_column_letter

    wb = styles.new_workbook()
    ws = wb.create_sheet(FORM_SHEET)
    fill_form_sheet(
        ws, catalog,
        unit_name=unit.name if unit else "",
        unit_code=unit.code if unit else "",
        period_text=period.title if period else "",
        values=values,
        computed="formula",
        subtitle=_subtitle(period, organization),
    )
    add_signature(ws, ws.max_row + 2)
    ws.print_area = f"A1:{get_column_letter(len(FORM_HEADERS))}{ws.max_row}"
    fill_model_sheet(wb.create_sheet(MODEL_SHEET), catalog, models,
                     subtitle=f"Đơn vị: {unit.name}" if unit else "")
    fill_help_sheet(wb.create_sheet(HELP_SHEET), catalog)
    wb.active = 0
    return wb


def write_form(path, catalog: Catalog, *, unit: Unit | None = None, period: Period | None = None,
               organization: Organization | None = None,
               values: Mapping[str, float | int] | None = None,
               models: Iterable[Mapping] | None = None) -> Path:
    """Write a return form to `path` atomically."""
    from dvk_cli.core.files import save_workbook_atomic

    wb = build_form(catalog, unit=unit, period=period, organization=organization,
                    values=values, models=models)
    return save_workbook_atomic(wb, Path(path))


def form_filename(unit: Unit, period: Period | None = None) -> str:
    stem = _FILENAME_UNSAFE.sub("-", unit.code.strip().lower()).strip("-") or "don-vi"
    return f"{stem}-{period.code}.xlsx" if period else f"{stem}.xlsx"


def write_unit_forms(folder, catalog: Catalog, units: Iterable[Unit], *,
                     period: Period | None = None,
                     organization: Organization | None = None,
                     overwrite: bool = True) -> list[Path]:
    """One form per unit, its name and code prefilled. overwrite=False: a form
    already there (a unit may have filled it in) is kept as it is; its path is
    still returned."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for unit in units:
        path = folder / form_filename(unit, period)
        if overwrite or not path.exists():
            write_form(path, catalog, unit=unit, period=period, organization=organization)
        paths.append(path)
    return paths


# ------------------------------------------------------------------ dvk init

def _toml_str(text: str) -> str:
    """A TOML basic string (JSON escapes are valid TOML)."""
    return json.dumps(styles.clean_text(text), ensure_ascii=False)


CONFIG_TEMPLATE = """\
# dvk.toml — cấu hình thư mục làm việc của dvk
# (configuration of a dvk working folder)
#
# Lưu tệp bằng mã UTF-8. Dòng bắt đầu bằng dấu # là chú thích, dvk bỏ qua.
# (Save as UTF-8. Lines starting with # are comments.)

[organization]
# Tên cơ quan tổng hợp, in ở đầu bảng tổng hợp và báo cáo
# (name of the consolidating body)
name = {name}

# Mã cơ quan, dùng khi biểu tổng hợp được gửi lên cấp trên, ví dụ "BINHPHUOC"
# (code of this body when its consolidated form is read one level up)
code = ""

# Từ chỉ phạm vi dùng trong báo cáo: "toàn tỉnh", "toàn huyện", "toàn thành phố"…
# (area word used in the narrative report)
area = "toàn tỉnh"

# Cấp ủy cấp trên trực tiếp, dòng đầu góc trái của báo cáo, trên tên cơ quan
# (Hướng dẫn 36-HD/VPTW). Ban của Tỉnh ủy ghi "Tỉnh ủy Bình Phước"; để trống thì
# dvk lấy từ tên cơ quan ("Ban Dân vận Tỉnh ủy Bình Phước" -> "Tỉnh ủy Bình Phước").
# (superior body, printed above the issuing body)
superior = ""

# Địa danh ghi ở dòng ngày tháng của báo cáo, ví dụ "Đồng Xoài"
# (place name for the report's date line)
place = ""

# Danh sách đơn vị báo cáo: mỗi đơn vị một mục [[units]].
# (registry of reporting units: one [[units]] table each)
#   code    mã đơn vị: chữ không dấu, không khoảng trắng (unit code, ASCII)
#   name    tên đầy đủ của đơn vị (full name)
#   group   nhóm đơn vị: Địa phương / Mặt trận – đoàn thể / Lực lượng vũ trang /
#           Cơ quan nhà nước (group)
#   aliases các cách viết khác của tên đơn vị trong biểu gửi lên (other spellings)
# Bỏ dấu # ở đầu các dòng dưới đây và sửa lại cho đúng đơn vị của mình.
# (Remove the leading # below and edit.)
#
# [[units]]
# code = "DONGXOAI"
# name = "Thành phố Đồng Xoài"
# group = "Địa phương"
# aliases = ["TP. Đồng Xoài", "TP Đồng Xoài"]
#
# [[units]]
# code = "BUDANG"
# name = "Huyện Bù Đăng"
# group = "Địa phương"
# aliases = ["H. Bù Đăng"]
#
# [[units]]
# code = "MTTQ"
# name = "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"
# group = "Mặt trận – đoàn thể"
# aliases = ["Mặt trận Tổ quốc tỉnh", "UBMTTQ tỉnh"]
#
# Biểu không theo mẫu, không đọc được: chỉ cho dvk ô nào là chỉ tiêu nào bằng một
# tệp ánh xạ (xem dvk inspect TỆP). (Mapping files for layouts dvk cannot read.)
# [[mappings]]
# files = "bao-cao-nhanh-*.xlsx"        # mẫu tên tệp áp dụng
# mapping = "anh-xa/bao-cao-nhanh.toml" # đường dẫn tính từ thư mục chứa dvk.toml
#
# Thêm hoặc bỏ chỉ tiêu của danh mục (biểu mẫu, tổng hợp, báo cáo đều theo).
# (Add or retire indicators.)
# [catalog]
# version = 2
# retire = []                            # mã chỉ tiêu không thu thập nữa
#
# [[indicators]]
# code = "CHO_SO"                        # chữ in hoa không dấu, có dấu gạch dưới
# label = "Chợ dân sinh được xây mới, sửa chữa"
# unit = "chợ"
# type = "count"                         # count (số đếm) | money (triệu đồng) | length (km)
# group = "an_sinh"                      # lanh_dao | dan_van_kheo | chinh_quyen | an_sinh
# synonyms = ["Chợ dân sinh"]            # cách ghi khác trong biểu không có cột Mã
# phrase = "xây mới, sửa chữa {{CHO_SO}} chợ dân sinh"   # câu trong báo cáo (tùy chọn)
#
# Quy tắc kiểm tra: thêm quy tắc mới, hoặc đổi mức độ của quy tắc có sẵn
# (xem [[checks]] trong danh mục dvk_cli/catalog.toml). (Validation rules.)
# [[rules]]
# id = "CHO_TOIDA"                       # tên quy tắc: chữ không dấu, không khoảng trắng
# assert = "CHO_SO <= 50"                # VẾ_TRÁI phép_so VẾ_PHẢI: == != <= >= < >; mã, số, + -, 10 * MÃ
# when = "CHO_SO > 0"                    # chỉ kiểm tra khi điều kiện này đúng (tùy chọn)
# severity = "warning"                   # error (lỗi) | warning (cảnh báo) | off (tắt)
# missing = "skip_any"                   # bỏ qua khi thiếu một mã (skip_any), khi thiếu hết (skip_all), coi trống là 0 (zero)
# message = "Số chợ ({{left}}) nhiều bất thường, vượt {{right}}"   # {{left}}, {{right}}, {{CHO_SO}}: giá trị
#
# [[rules]]
# id = "MH_LOAI"                         # quy tắc có sẵn: chỉ đổi mức độ
# severity = "error"
#
# So sánh mỗi số liệu với mức dự kiến của chính đơn vị: kỳ trước của đơn vị (theo mức
# tăng giảm chung), nếu không có thì các đơn vị cùng nhóm theo quy mô của đơn vị; số tiền
# ghi nhầm đồng, nghìn đồng thay vì triệu đồng. (Values against what is expected.)
# [outliers]
# threshold = 3.5                        # độ lệch cho phép, theo căn bậc hai của số đếm
# min_units = 5                          # cần ít nhất chừng này đơn vị cùng nhóm báo cáo chỉ tiêu
# min_factor = 3                         # và giá trị gấp (hoặc chỉ bằng 1/) chừng này lần mức dự kiến
#
# [checks]
# impact_threshold = 0.01                # chênh lệch dưới 1% tổng số của chỉ tiêu: chỉ ghi nhận
#
# Giới hạn an toàn khi mở tệp (tệp “bom nén”, trang quá rộng, tệp làm treo trình đọc).
# (Limits for hostile files: each file is read in its own process under them.)
# [limits]
# max_unpacked_mb = 200                  # dung lượng tối đa khi giải nén một tệp, MB
# max_cells = 5000000                    # số ô tối đa của vùng dữ liệu một trang
# max_memory_mb = 400                    # bộ nhớ tối đa để đọc một tệp, MB
# max_seconds = 60                       # thời gian tối đa để đọc một tệp, giây
#
# Trang số liệu, khi biểu có nhiều bảng số liệu (ví dụ một trang ẩn “cũ”). (The data sheet.)
# [reading]
# sheet = "Biểu số liệu"
#
# Báo cáo Word (dvk report, dvk aggregate --docx) theo thể thức văn bản của Đảng
# (Hướng dẫn 36-HD/VPTW). Bỏ trống thì dvk lấy từ [organization]. Đầu văn bản của
# một Ban thuộc Tỉnh ủy:      TỈNH ỦY BÌNH PHƯỚC       (chữ đứng, không đậm)
#                              BAN DÂN VẬN            (chữ đậm)
#                                   *
#                            Số     -BC/BDVTU
# (“Đảng bộ tỉnh …” là dòng trên “TỈNH ỦY” trong văn bản của chính Tỉnh ủy, không
# dùng cho các Ban.) Ban Tuyên giáo và Dân vận: issuing_body = "Ban Tuyên giáo và
# Dân vận", symbol = "BC/BTGDVTU". (Header and signature of the Word report.)
# [report]
# superior = "Tỉnh ủy Bình Phước"        # cấp ủy cấp trên, dòng đầu góc trái
# issuing_body = "Ban Dân vận"           # cơ quan ban hành, in đậm, dưới cấp ủy cấp trên
# symbol = "BC/BDVTU"                    # ký hiệu: dòng “Số     -BC/BDVTU”
# number = ""                            # số văn bản, để trống cho văn thư ghi
# place = "Đồng Xoài"                    # địa danh ở dòng “…, ngày … tháng … năm …”
# date = ""                              # ngày ban hành, ví dụ "2024-12-15" (trống: ngày … tháng …)
# signer_for = ""                        # "K/T TRƯỞNG BAN" khi cấp phó ký thay
# signer_title = "TRƯỞNG BAN"            # chức vụ người ký; cấp phó ký thay: "PHÓ TRƯỞNG BAN"
# signer_name = ""                       # họ tên người ký (trống: để ký tay)
# recipients = ["Ban Dân vận Trung ương (b/c)", "Thường trực Tỉnh ủy (b/c)", "Lưu Văn phòng"]
# unit_table = ["CHO_SO"]               # mã các cột của bảng theo đơn vị (mặc định: dvk_cli/catalog.toml)
# template = "mau-bao-cao.docx"          # mẫu Word riêng (sao chép từ templates/bao-cao.docx)
"""


def init_folder(folder, *, organization_name: str | None = None) -> list[Path]:
    """Scaffold a working folder: a commented dvk.toml and an empty returns/.

    Never overwrites an existing dvk.toml (FileExistsError).
    """
    from dvk_cli.core.config import CONFIG_NAME
    from dvk_cli.core.files import write_text_atomic

    folder = Path(folder)
    config = folder / CONFIG_NAME
    if config.exists():
        raise FileExistsError(
            f"Đã có tệp {config}; dvk init không ghi đè. "
            "Hãy sửa trực tiếp tệp này hoặc chọn thư mục khác."
        )
    folder.mkdir(parents=True, exist_ok=True)
    name = (organization_name or "").strip() or "Ban Dân vận"
    write_text_atomic(config, CONFIG_TEMPLATE.format(name=_toml_str(name)))
    returns = folder / "returns"
    returns.mkdir(exist_ok=True)
    return [config, returns]
