"""Random mutations of a valid return and what each one must leave behind
(issue 14, the property test tests/hostile/test_properties.py).

A `Draft` is one unit's return as a grid (helpers.return_grid) plus, for
every input indicator, the set of figures dvk may take from the file for it
(`expect`): {value} — the figure the cell unambiguously holds; {None} —
nothing (the row is gone, the cell is empty); {} — nothing dvk may take
silently: the cell holds something that is not one number (text, an error
value, a second different row …), so an open error or warning must name
the file and the cell or indicator. Taking a figure outside the set is
always allowed when such a finding is there; refusing the whole return with
an error naming the file is allowed too (nothing of it counts).

The oracle for text cells (`oracle_text`) follows the notation dvk
documents (dvk_cli/core/numbers.py parse_number): "." groups thousands and
"," marks decimals, ASCII and full-width digits only, spaces only between
groups of three, nothing from 10^15 up. It is written here on its own, from
that description, not by calling dvk.

Byte-level mutations (`mutate_bytes`, `edit_sheet_xml`) work on the .xlsx
file openpyxl wrote: a damaged file must be refused with an error naming
it, or read exactly as before; an edit of the sheet's XML has its own
expectation, as a grid mutation has.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from pathlib import Path

from helpers import return_grid

from dvk_cli.core.catalog import default_catalog

CATALOG = default_catalog()
INPUT_CODES = tuple(CATALOG.input_codes)
SHEET = "Biểu số liệu"
MAGNITUDE = 1e15  # no figure of any return reaches it (spec: numbers.py MAGNITUDE)
Accept = frozenset  # of float | int | None

# ------------------------------------------------------------------ the oracle

_FULLWIDTH = {0xFF10 + d: str(d) for d in range(10)} | {
    0xFF0B: "+", 0xFF0C: ",", 0xFF0D: "-", 0xFF0E: ".", 0x3000: " "}
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u2009\u200a\u202f\u2002\u2003\u2004"
                                 "\u2005\u2006\u2008\u205f"), " ")
_EMPTY = {"", "-", "–", "—"}
_GRAMMAR = [  # (pattern of the unsigned body, how to turn it into a Python float literal)
    (r"[0-9]+", lambda t: t),
    (r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?", lambda t: t.replace(".", "").replace(",", ".")),
    (r"[0-9]+,[0-9]+", lambda t: t.replace(",", ".")),
    (r"[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,})", lambda t: t),
    (r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+", lambda t: t.replace(",", "")),
]
_SPACE_GROUPED = r"[0-9]{1,3}(?: +[0-9]{3})+(?:[.,][0-9]+)?"


def _finite(number: float | int) -> Accept:
    if isinstance(number, float) and not math.isfinite(number):
        return Accept()
    if abs(number) >= MAGNITUDE:
        return Accept()
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    return Accept({number})


def oracle_text(text: str) -> Accept:
    """What a text cell unambiguously holds, by dvk's documented notation."""
    t = text.strip()
    if t in _EMPTY:
        return Accept({None})
    t = t.translate(_FULLWIDTH).translate(_SPACES)
    if not t.isascii() or len(t) > 60:
        return Accept()
    sign = 1
    m = re.fullmatch(r"([+-]) *(.*)", t, re.S)
    if m:
        sign, t = (-1 if m.group(1) == "-" else 1), m.group(2)
    if " " in t:
        if not re.fullmatch(_SPACE_GROUPED, t):
            return Accept()
        t = t.replace(" ", "")
    for pattern, to_literal in _GRAMMAR:
        if re.fullmatch(pattern, t):
            literal = to_literal(t)
            number = int(literal) if re.fullmatch(r"[0-9]+", literal) else float(literal)
            if isinstance(number, int) and number >= 10**15:
                return Accept()
            return _finite(sign * number)
    return Accept()


def oracle(value: object) -> Accept:
    """What a cell value (as the file holds it) unambiguously is."""
    if value is None:
        return Accept({None})
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        return Accept()
    if isinstance(value, int):
        return _finite(value) if abs(value) < 10**300 else Accept()
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, str):
        return oracle_text(value)
    return Accept()


# ------------------------------------------------------------------ formats

_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


def as_stored(value: object, fmt: str) -> object:
    """`value` as the writer of `fmt` will store it (what the oracle judges)."""
    if isinstance(value, float) and not math.isfinite(value) and fmt == "xlsx":
        return str(value)  # openpyxl would write <v></v>: keep the text instead
    if isinstance(value, str):
        if fmt == "xlsx":
            return _XLSX_ILLEGAL.sub("", value)
        if fmt == "ods":  # ODF text: no control characters, runs of spaces may collapse
            return re.sub(r"[\x00-\x1f\x7f]", "", value)
    if fmt == "xls" and isinstance(value, (date, datetime)):
        return value.isoformat()  # xlwt would store a bare serial number
    if fmt == "ods" and (isinstance(value, bool) or isinstance(value, (date, datetime))):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and fmt != "xlsx" and abs(value) > 10**300:
        return float("inf")
    return value


def stored_oracle(value: object, fmt: str) -> Accept:
    if fmt == "xlsx" and isinstance(value, str) and (value.startswith("=") and len(value) > 1
                                                      or value in XLSX_ERRORS):
        return Accept()  # a formula without a saved result / an error value
    return oracle(value)


def write_xlsx(grid: dict, path: Path, hidden: set[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in grid.items():
        ws = wb.create_sheet(name)
        if name in hidden:
            ws.sheet_state = "hidden"
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(r, c, v)
    if all(ws.sheet_state == "hidden" for ws in wb.worksheets):
        wb.worksheets[0].sheet_state = "visible"
    wb.save(path)


def write_xls(grid: dict, path: Path, hidden: set[str]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for name, rows in grid.items():
        ws = wb.add_sheet(name)
        if name in hidden:
            ws.visibility = 1
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
    wb.save(str(path))


def write_ods(grid: dict, path: Path, hidden: set[str]) -> None:
    from helpers import write_ods as plain

    plain(grid, path)  # odfpy: no hidden sheets here (the copy stays visible)


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}


# ------------------------------------------------------------------ the draft

def col_letter(c: int) -> str:
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class Draft:
    """One unit's return being mutated, and what dvk may take from it."""

    unit: str
    name: str
    period: object
    figures: dict[str, float]
    fmt: str
    grid: dict[str, list[list]] = field(default_factory=dict)
    sheet: str = SHEET
    offset: int = 0  # empty columns inserted on the left of the data sheet
    hidden: set[str] = field(default_factory=set)
    expect: dict[str, Accept] = field(default_factory=dict)
    file_level: set[str] = field(default_factory=set)  # a finding naming the file is enough
    touched: set[str] = field(default_factory=set)  # codes no later cell mutation may pick
    copies: list[str] = field(default_factory=list)  # extra sheets holding the data table
    neutral: bool = True  # every mutation so far keeps the figures as they were
    header: dict[str, object] = field(default_factory=dict)  # unit / code / period as written
    steps: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, unit: str, name: str, figures: dict, fmt: str, period: object = "2026") -> Draft:
        d = cls(unit, name, period, dict(figures), fmt)
        d.grid = return_grid(figures, unit=name, code=unit, period=str(period))
        d.expect = {c: Accept({figures.get(c)}) for c in INPUT_CODES}
        d.header = {"unit": name, "code": unit, "period": str(period)}
        return d

    @property
    def rows(self) -> list[list]:
        return self.grid[self.sheet]

    def row_of(self, code: str, rows: list[list] | None = None) -> int | None:
        col = 2 + self.offset
        for i, row in enumerate(rows if rows is not None else self.rows):
            if len(row) > col and row[col] == code:
                return i
        return None

    def table_start(self) -> int:
        return next(i for i, r in enumerate(self.rows) if "Số liệu" in r)

    # -------------------------------------------------------------- grid level

    def set_cell(self, code: str, value: object) -> None:
        value = as_stored(value, self.fmt)
        r = self.row_of(code)
        self.rows[r][4 + self.offset] = value
        self.expect[code] = stored_oracle(value, self.fmt)
        self.touched.add(code)
        self.neutral = False
        self.steps.append(f"cell {code} := {value!r}")

    def delete_row(self, code: str) -> None:
        del self.rows[self.row_of(code)]
        if code in self.expect:
            self.expect[code] = Accept({None})
        self.touched.add(code)
        self.neutral = False
        self.steps.append(f"delete row {code}")

    def duplicate_row(self, code: str, changed: bool) -> None:
        r = self.row_of(code)
        copy = list(self.rows[r])
        vc = 4 + self.offset
        if changed:
            old = copy[vc]
            copy[vc] = (old + 1) if isinstance(old, (int, float)) and not isinstance(old, bool) else 1
        self.rows.insert(r + 1, copy)
        if code in self.expect and copy[vc] != self.rows[r][vc]:
            self.expect[code] = Accept()
        self.touched.add(code)
        self.neutral = False
        self.steps.append(f"duplicate row {code} ({'changed' if changed else 'same'})")

    def swap_rows(self, a: str, b: str) -> None:
        ra, rb = self.row_of(a), self.row_of(b)
        self.rows[ra], self.rows[rb] = self.rows[rb], self.rows[ra]
        self.steps.append(f"swap rows {a} {b}")

    def insert_blank_rows(self, where: str, n: int) -> None:
        at = 0 if where == "top" else self.table_start() + 1
        width = len(self.rows[0])
        for _ in range(n):
            self.rows.insert(at, [None] * width)
        self.steps.append(f"{n} blank rows at {where}")

    def shift_columns(self, n: int) -> None:
        for name in [self.sheet, *self.copies]:
            self.grid[name] = [[None] * n + row for row in self.grid[name]]
        self.offset += n
        self.steps.append(f"{n} empty columns on the left")

    def rename_sheet(self, new: str) -> None:
        if any(new.casefold() == s.casefold() for s in self.grid):
            return
        self.grid = {(new if k == self.sheet else k): v for k, v in self.grid.items()}
        self.hidden = {new if h == self.sheet else h for h in self.hidden}
        self.sheet = new
        self.steps.append(f"rename data sheet {new!r}")

    def add_notes_sheet(self, name: str, texts: list[str], first: bool) -> None:
        if any(name.casefold() == s.casefold() for s in self.grid):
            return
        rows = [[as_stored(t, self.fmt)] for t in texts]
        items = list(self.grid.items())
        items.insert(0 if first else len(items), (name, rows))
        self.grid = dict(items)
        self.steps.append(f"notes sheet {name!r} {'first' if first else 'last'}: {texts!r}")

    def add_copy(self, name: str, bump: int, hidden: bool, first: bool,
                 keep: int | None = None) -> None:
        """A copy of the data sheet (figures + `bump`), visible or hidden;
        with `keep`, only the first `keep` rows of its table."""
        if any(name.casefold() == s.casefold() for s in self.grid):
            return
        vc = 4 + self.offset
        rows = []
        for i, row in enumerate(self.rows):
            row = list(row)
            v = row[vc] if len(row) > vc else None
            if i > self.table_start() and isinstance(v, (int, float)) and not isinstance(v, bool):
                row[vc] = v + bump
            if keep is None or i <= self.table_start() + keep:
                rows.append(row)
        items = list(self.grid.items())
        items.insert(0 if first else len(items), (name, rows))
        self.grid = dict(items)
        self.copies.append(name)
        if hidden and self.fmt != "ods":
            self.hidden.add(name)
        self.neutral = False
        self.steps.append(f"{'hidden ' if hidden else ''}copy {name!r} of the data sheet, "
                          f"figures +{bump}, {'first' if first else 'last'}"
                          + (f", {keep} rows of its table" if keep is not None else ""))

    def set_header(self, key: str, value: object) -> None:
        label = {"unit": "Đơn vị báo cáo", "code": "Mã đơn vị", "period": "Kỳ báo cáo"}[key]
        col = self.offset
        for name in [self.sheet, *self.copies]:
            for row in self.grid[name]:
                if len(row) > col + 1 and row[col] == label:
                    row[col + 1] = as_stored(value, self.fmt)
        self.header[key] = as_stored(value, self.fmt)
        self.neutral = False
        self.steps.append(f"header {key} := {value!r}")

    # -------------------------------------------------------------- the end

    def finish(self) -> None:
        """Codes an extra copy gives another figure for: nothing silently. A
        code only the copy has a row for may be taken from it."""
        vc = 4 + self.offset
        for name in self.copies:
            for code in INPUT_CODES:
                mine, theirs = self.row_of(code), self.row_of(code, self.grid[name])
                if theirs is None:
                    continue
                b = self.grid[name][theirs][vc]
                if mine is None:
                    self.expect[code] = self.expect[code] | stored_oracle(b, self.fmt)
                elif self.rows[mine][vc] != b:
                    self.expect[code] = Accept()
                    self.file_level.add(code)

    def cell_of(self, code: str) -> str:
        r = self.row_of(code)
        return "" if r is None else f"{col_letter(4 + self.offset)}{r + 1}"

    def write(self, path: Path) -> Path:
        WRITERS[self.fmt](self.grid, path, self.hidden)
        return path


# ------------------------------------------------------------------ the header's outcome

def header_outcome(header: dict, registry: dict[str, str], target: str) -> set[str]:
    """Which outcomes are right for the header as written: a unit code (the
    return counts as that unit's) and/or "refuse" (an error names the file)."""
    code_text = str(header["code"] or "").strip().upper()
    name_text = str(header["unit"] or "").strip()
    by_code = code_text if code_text in registry else None
    names = {" ".join(n.split()).casefold(): c for c, n in registry.items()}
    folded = " ".join(name_text.split()).casefold()
    by_name = names.get(folded)
    fuzzy = by_name is None and any(folded and (folded in n or n in folded) for n in names)
    period = header["period"]
    period_ok = str(period).strip().casefold() in {"2026", "2026.0", "năm 2026"}
    if not period_ok:
        return {"refuse"}
    if code_text and by_code is None:
        return {"refuse"}
    if by_code and by_name and by_code != by_name:
        return {"refuse"}
    if by_code and fuzzy:
        return {by_code, "refuse"}
    if by_code:
        return {by_code}
    if by_name:
        return {by_name}
    if fuzzy or not name_text:
        return {target, "refuse"}
    return {"refuse"}


# ------------------------------------------------------------------ byte level

def mutate_bytes(raw: bytes, kind: str, where: float, payload: bytes) -> bytes:
    """A damaged copy: `where` (0..1) places the damage."""
    at = min(len(raw) - 1, int(where * len(raw)))
    if kind == "flip":
        out = bytearray(raw)
        for i, b in enumerate(payload or b"\x01"):
            j = (at + i * 7) % len(out)
            out[j] ^= b or 0x01
        return bytes(out)
    if kind == "truncate":
        return raw[:at]
    if kind == "splice":
        return raw[:at] + payload + raw[at + len(payload):]
    raise ValueError(kind)


def rezip(raw: bytes, part: str, edit) -> bytes:
    """The workbook with `part` replaced by edit(text of part)."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


SHEET_XML = "xl/worksheets/sheet1.xml"


def cell_element(xml: str, ref: str) -> re.Match:
    m = re.search(rf'<c r="{ref}"(?: [^>]*)?>.*?</c>', xml, re.S)
    assert m, ref
    return m


@dataclass
class XmlEdit:
    """One edit of the data sheet's XML and what dvk may take afterwards
    (codes not named keep their original figure)."""

    kind: str
    arg: str = ""
    expect: dict[str, Accept] = field(default_factory=dict)
    file_level: set[str] = field(default_factory=set)
    description: str = ""


def edit_sheet_xml(raw: bytes, kind: str, code: str, other: str, arg: str,
                   figures: dict) -> tuple[bytes, XmlEdit]:
    """Apply one XML edit around the value cell of `code` (`other`: a second
    code, for collisions). Returns the new bytes and the expectation."""
    row = {c: 7 + i for i, c in enumerate(CATALOG.indicators)}  # return_grid's layout
    ref, other_ref = f"E{row[code]}", f"E{row[other]}"
    v = figures.get(code)
    e = XmlEdit(kind, arg)
    text = escape(arg, quote=False)

    def replace_cell(new: str):
        return lambda xml: xml.replace(cell_element(xml, ref).group(0), new, 1)

    if kind == "error":
        edit = replace_cell(f'<c r="{ref}" t="e"><v>{text}</v></c>')
        e.expect[code] = Accept()
    elif kind == "bool":
        edit = replace_cell(f'<c r="{ref}" t="b"><v>1</v></c>')
        e.expect[code] = Accept()
    elif kind == "shared_string_missing":
        edit = replace_cell(f'<c r="{ref}" t="s"><v>{arg}</v></c>')
        e.expect[code] = Accept()
    elif kind == "inline_text":
        edit = replace_cell(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        e.expect[code] = oracle_text(arg)
    elif kind == "str_formula":
        edit = replace_cell(f'<c r="{ref}" t="str"><f>"x"</f><v xml:space="preserve">{text}</v></c>')
        e.expect[code] = oracle_text(arg)
    elif kind == "formula_cached":
        edit = replace_cell(f'<c r="{ref}"><f>{v}+0</f><v>{v}</v></c>')
        e.expect[code] = Accept({v})
    elif kind == "formula_uncached":
        edit = replace_cell(f'<c r="{ref}"><f>1+1</f></c>')
        e.expect[code] = Accept()
    elif kind == "v_text":  # the <v> of a number cell: xsd:double or not
        edit = replace_cell(f'<c r="{ref}" t="n"><v>{text}</v></c>')
        try:
            number = float(arg.strip()) if re.fullmatch(
                r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*", arg) else None
        except ValueError:
            number = None
        if arg == "":
            e.expect[code] = Accept({None})
        elif number is None:
            e.expect[code] = Accept()
        else:
            e.expect[code] = _finite(number)
    elif kind == "duplicate_cell":  # the same cell twice, `arg` the second figure
        second = f'<c r="{ref}" t="n"><v>{arg}</v></c>'

        def edit(xml: str) -> str:
            cell = cell_element(xml, ref).group(0)
            return xml.replace(cell, cell + second, 1)
        same = v is not None and float(arg) == v
        e.expect[code] = Accept({v}) if same else Accept()
    elif kind == "ref_out":  # the value moved out of the table (column Z): E is empty
        edit = replace_cell(f'<c r="Z{row[code]}" t="n"><v>{v}</v></c>')
        e.expect[code] = Accept({None})
    elif kind in ("ref_malformed", "ref_out_of_sheet"):
        # a reference no spreadsheet writes, or one beyond the sheet's last column / row:
        # read as the same cell, or reported — never silently lost
        edit = replace_cell(f'<c r="{escape(arg.format(row=row[code]))}" t="n"><v>{v}</v></c>')
        e.expect[code] = Accept({v})
    elif kind == "ref_collide":  # the value cell claims the next row's value cell
        edit = replace_cell(f'<c r="{other_ref}" t="n"><v>{v}</v></c>')
        e.expect[code] = Accept({None, v})
        w = figures.get(other)
        e.expect[other] = Accept({w}) if w == v else Accept()
    elif kind == "no_cell_refs":  # r= left out where cells are contiguous from A (valid OOXML)
        def edit(xml: str) -> str:
            def row_fix(m: re.Match) -> str:
                body = m.group(2)
                refs = re.findall(r'<c r="([A-Z]+)\d+"', body)
                if refs != [col_letter(i) for i in range(len(refs))]:
                    return m.group(0)
                return m.group(1) + re.sub(r'<c r="[A-Z]+\d+"', "<c", body) + "</row>"
            return re.sub(r"(<row [^>]*>)(.*?)</row>", row_fix, xml, flags=re.S)
    elif kind == "no_row_refs":  # rows numbered by position: codes travel with their rows
        def edit(xml: str) -> str:
            xml = re.sub(r'<row r="\d+"', "<row", xml)
            return re.sub(r'<c r="[A-Z]+\d+"', "<c", xml)
    elif kind == "dimension":
        def edit(xml: str) -> str:
            new = f'<dimension ref="{arg}"/>' if arg else ""
            return re.sub(r"<dimension [^>]*/>", new, xml, count=1)
    else:
        raise ValueError(kind)
    e.description = f"{kind} {code} {arg!r}"
    return rezip(raw, SHEET_XML, edit), e
