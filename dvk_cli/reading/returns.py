"""What one file holds once read (`ReturnData`, `CellValue`), the header
texts the layouts look for, and the checks every value cell goes through
(`take_value`). The layouts (long, wide, mapped) build on this module and
never import the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field

from dvk_cli.core.catalog import Catalog, Indicator
from dvk_cli.core.findings import Finding
from dvk_cli.core.numbers import (
    MAGNITUDE,
    NotANumber,
    fmt_number,
    fullwidth_note,
    implausible,
    parse_number,
)
from dvk_cli.core.text import fold_label_str
from dvk_cli.reading.labels import LabelIndex
from dvk_cli.reading.measures import UnknownMeasure, apply, conversion

# Header texts, folded (lower case, NFC, no trailing colon, single spaces).
UNIT_LABELS = {"đơn vị báo cáo", "tên đơn vị", "đơn vị gửi báo cáo"}


UNIT_CODE_LABELS = {"mã đơn vị"}


PERIOD_LABELS = {"kỳ báo cáo", "kì báo cáo"}


CODE_HEADERS = {"mã", "mã số", "mã chỉ tiêu"}


# (frozen: the reader remembers which texts fold into none of these, see
# dispatch._PLAIN_TEXTS)
VALUE_HEADERS = frozenset({
    "số liệu", "số lượng", "kết quả", "thực hiện", "giá trị", "kết quả thực hiện",
    "số liệu thực hiện", "số liệu báo cáo", "thực hiện trong kỳ", "kết quả đạt được"})


LABEL_HEADERS = {"chỉ tiêu", "nội dung", "tên chỉ tiêu", "nội dung chỉ tiêu", "chỉ tiêu, nội dung"}


MEASURE_HEADERS = {"đơn vị tính", "đvt", "đv tính", "đơn vị đo"}


@dataclass(slots=True)  # one per value read: 400,000 in a national roll-up
class CellValue:
    code: str
    value: float | int
    sheet: str
    cell: str
    how: str = "mã"  # how the row was recognised: mã | nhãn | ánh xạ | bảng ngang
    note: str = ""  # conversions applied (unit of measure, legacy encoding)
    raw: object = None  # the cell's content as read
    label: str = ""  # the row's label (or column header) as written

    def __reduce__(self) -> tuple:
        # Every value a reading worker reads is pickled back to the main
        # process: the fields as one tuple cost about half the slots' state
        # (per bench return: 0.056 -> 0.031 ms to dump, 0.059 -> 0.037 ms to load).
        return (CellValue, (self.code, self.value, self.sheet, self.cell, self.how, self.note,
                            self.raw, self.label))


@dataclass
class ReturnData:
    """What one file holds, before its unit and period are resolved."""

    path: str
    sha256: str = ""
    readable: bool = False
    sheet: str = ""  # the data sheet
    unit_text: str = ""  # "Đơn vị báo cáo" value
    unit_code_text: str = ""  # "Mã đơn vị" value
    period_text: str = ""  # "Kỳ báo cáo" value
    header_cells: dict[str, str] = field(default_factory=dict)  # unit/code/period -> cell
    values: list[CellValue] = field(default_factory=list)  # input indicators
    computed: list[CellValue] = field(default_factory=list)  # values typed in computed rows
    models: list[dict] = field(default_factory=list)
    model_sheet: str = ""
    findings: list[Finding] = field(default_factory=list)
    layout: str = ""  # biểu dọc | bảng ngang | ánh xạ
    part: str = ""  # for one row of a wide table: "dòng 7"
    parts: list[ReturnData] = field(default_factory=list)  # the rows of a wide table
    legacy_cells: list[tuple[str, str, str]] = field(default_factory=list)  # sheet, cell, encoding

    @property
    def key(self) -> str:
        """Identifies this return among the run's sources (a file, or a row of a wide table)."""
        return f"{self.path} [{self.part}]" if self.part else self.path

    def add(self, severity: str, rule: str, message: str, *, sheet: str = "", cell: str = "",
            indicator: str = "", brief: str = "", value: object = None) -> None:
        self.findings.append(Finding(severity, rule, message, file=self.path, sheet=sheet,
                                     cell=cell, indicator=indicator, brief=brief,
                                     value=_as_written(value)))


def _as_written(value: object) -> str:
    """A cell's content as the unit wrote it (a short text for the marks)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def unreadable(data: ReturnData, rule: str, message: str) -> ReturnData:
    data.readable = False
    data.add("error", rule, f"Tệp {data.path}: {message}")
    return data


def cell_at(row: list, col: int | None) -> object:
    if col is None or col >= len(row):
        return None
    return row[col]


def folded_cells(row: list) -> dict[int, str]:
    """The row's text cells that are not blank, folded (fold_label), by column."""
    return {c: fold_label_str(v) for c, v in enumerate(row) if isinstance(v, str) and v.strip()}


def holds_any(row: list, names: set[str] | frozenset[str]) -> bool:
    """Whether a text cell of `row` that is not blank folds into `names`:
    `not names.isdisjoint(folded_cells(row).values())`, without building the
    dict (most rows of a sheet are no header row). A blank text folds to "",
    so the blank test only matters when `names` holds ""."""
    if "" in names:
        return not names.isdisjoint(folded_cells(row).values())
    fold = fold_label_str
    for v in row:
        if isinstance(v, str) and fold(v) in names:
            return True
    return False


def find_header_row(rows: list[list], required: list[set[str] | frozenset[str]]
                    ) -> tuple[int, dict[int, str]] | None:
    # A row that holds none of the names of any set cannot hold one of each.
    wanted = frozenset().union(*required) if required else None
    for r, row in enumerate(rows):
        if wanted is not None and not holds_any(row, wanted):
            continue
        folded = folded_cells(row)
        # (isdisjoint: the "any cell in names" test without a generator per row)
        if all(not names.isdisjoint(folded.values()) for names in required):
            return r, folded
    return None


_INDEX_CACHE: dict[int, tuple[Catalog, LabelIndex]] = {}


def label_index(catalog: Catalog) -> LabelIndex:
    """The catalog's label index, built once per catalog."""
    cached = _INDEX_CACHE.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        cached = (catalog, LabelIndex(catalog))
        _INDEX_CACHE[id(catalog)] = cached
    return cached[1]


def is_number(value: object) -> bool:
    try:
        return parse_number(value) is not None
    except NotANumber:
        return False


def take_value(data: ReturnData, catalog: Catalog, code: str, value: object, sheet: str,
                ref: str, *, how: str = "mã", label: str = "", unit_text: str = "",
                empty_cells: dict[str, str] | None = None) -> None:
    """Check one value cell and record it (or the finding that stops it)."""
    ind = catalog[code]
    # The usual cell: a number Excel stored, not negative, below the bound
    # parse_number enforces: read as parse_number reads it (a float holding a
    # whole number becomes an int), without the checks that cannot apply to
    # it (a NaN fails both comparisons; 10**15 == 1e15, compared exactly).
    number: float | int
    if type(value) is float and 0.0 <= value < MAGNITUDE:
        number = int(value) if value.is_integer() else value
        note = ""
    elif type(value) is int and 0 <= value < MAGNITUDE:
        number, note = value, ""
    else:
        checked = _checked_number(data, ind, code, value, sheet, ref, empty_cells)
        if checked is None:
            return
        number, note = checked
    if unit_text:
        try:
            conv = conversion(ind.type, unit_text)
        except UnknownMeasure:
            data.add("error", "unit_of_measure",
                     f"{ind.label} ({code}): không hiểu đơn vị tính “{unit_text}” (danh mục dùng "
                     f"{ind.unit}); giá trị không được dùng.", sheet=sheet, cell=ref, indicator=code,
                     value=value, brief=f"ô {ref} ghi đơn vị tính “{_as_written(unit_text)}”, "
                     "chưa được cộng")
            return
        if conv is not None and not conv.identity and number != 0:
            converted = apply(number, conv)
            converted_note = (f"đã đổi {fmt_number(number, 6)} {conv.written} thành "
                              f"{fmt_number(converted, 6)} {ind.unit}")
            data.add("info", "unit_converted",
                     f"{ind.label} ({code}): {converted_note}.", sheet=sheet, cell=ref, indicator=code)
            note = f"{note}; {converted_note}" if note else converted_note
            number = converted
    bound = ind.max
    if bound is not None and number > bound:  # (implausible's test, without its call)
        problem = implausible(number, ind)
        if problem:
            data.add("error", "implausible",
                     f"{ind.label} ({code}): {problem}; giá trị không được dùng.",
                     sheet=sheet, cell=ref, indicator=code, value=value,
                     brief=f"ô {ref} ghi {_as_written(value)}, lớn quá mức có thể có, chưa được cộng")
            return
    if ind.type == "count" and not float(number).is_integer():
        data.add("error", "fractional_count",
                 f"{ind.label} ({code}) phải là số nguyên, ô ghi {value}; giá trị không được dùng.",
                 sheet=sheet, cell=ref, indicator=code, value=value,
                 brief=f"ô {ref} ghi số lẻ {_as_written(value)}, chưa được cộng")
        return
    target = data.computed if ind.computed else data.values
    target.append(CellValue(code, number, sheet, ref, how, note, value, label))


def _checked_number(data: ReturnData, ind: Indicator, code: str, value: object, sheet: str,
                    ref: str, empty_cells: dict[str, str] | None) -> tuple[float | int, str] | None:
    """take_value's reading of any cell (text, a negative or huge number, an
    error value …): (number, note), or None with the finding that stops it
    (or the empty cell noted)."""
    try:
        number = parse_number(value)
    except NotANumber as exc:
        data.add("error", "not_a_number",
                 f"{ind.label} ({code}): {exc}; giá trị không được dùng.",
                 sheet=sheet, cell=ref, indicator=code, value=value,
                 brief=f"ô {ref} ghi “{_as_written(value)}”, không phải số, chưa được cộng")
        return None
    if number is None:
        if not ind.computed and empty_cells is not None:
            empty_cells[ref] = code
        return None
    if number < 0:
        data.add("error", "negative",
                 f"{ind.label} ({code}) là số âm ({value}); giá trị không được dùng.",
                 sheet=sheet, cell=ref, indicator=code, value=value,
                 brief=f"ô {ref} ghi số âm {_as_written(value)}, chưa được cộng")
        return None
    note = fullwidth_note(value)
    if note:
        data.add("info", "fullwidth_digits", f"{ind.label} ({code}): {note}.", sheet=sheet,
                 cell=ref, indicator=code, value=value)
    return number, note
