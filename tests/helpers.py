"""Builders for returns as units' own software writes them: plain grids of
cells saved as .xlsx (openpyxl), .xls (xlwt) or .ods (odfpy).

A grid is a dict {sheet name: list of rows}; a row is a list of cell values
(None for empty). This lets tests move, insert and delete rows freely.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from dvk_cli.core.catalog import default_catalog

ROOT = Path(__file__).resolve().parent.parent  # the checkout
SAMPLE = ROOT / "sample_data" / "binh-phuoc"  # 11 units, 2023 and 2024


def copy_sample(dest: Path) -> Path:
    """A copy of the sample province (2023, 2024 and dvk.toml) without any
    store or outputs a run in the checkout left behind; returns `dest`."""
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("dvk.sqlite*", "tong-hop-*",
                                                                "bao-cao-*"))
    return dest

HEADER = ["STT", "Chỉ tiêu", "Mã", "Đơn vị tính", "Số liệu", "Ghi chú"]
MODEL_HEADER = ["STT", "Tên mô hình", "Lĩnh vực", "Loại", "Tiêu biểu", "Đơn vị, người thực hiện",
                "Ghi chú"]


def return_grid(values: dict, *, unit: str | None = "Huyện Bù Đăng", code: str | None = None,
                period: str | None = "2024", models: list[dict] | None = None,
                sheet: str = "Biểu số liệu", extra_top: int = 0) -> dict[str, list[list]]:
    """A return in the spec §2 layout; every catalog code gets a row."""
    cat = default_catalog()
    rows: list[list] = [[None] * 6 for _ in range(extra_top)]
    rows.append(["BIỂU SỐ LIỆU CÔNG TÁC DÂN VẬN", None, None, None, None, None])
    rows.append(["Đơn vị báo cáo", unit, None, None, None, None])
    rows.append(["Mã đơn vị", code, None, None, None, None])
    rows.append(["Kỳ báo cáo", period, None, None, None, None])
    rows.append([None] * 6)
    rows.append(list(HEADER))
    for i, (c, ind) in enumerate(cat.indicators.items(), start=1):
        rows.append([i, ind.label, c, ind.unit, values.get(c), None])
    grid = {sheet: rows}
    if models is not None:
        mrows = [list(MODEL_HEADER)]
        for i, m in enumerate(models, start=1):
            mrows.append([i, m["name"], m.get("field", "Kinh tế"), m.get("kind", "Tập thể"),
                          "x" if m.get("exemplary") else None, m.get("implementer", ""), None])
        grid["Danh sách mô hình"] = mrows
    return grid


def find_row(grid_rows: list[list], code: str) -> int:
    return next(i for i, r in enumerate(grid_rows) if len(r) > 2 and r[2] == code)


def write_xlsx(grid: dict, path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in grid.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(r, c, v)
    wb.save(path)
    return path


def xls_book(grid: dict):
    """An xlwt workbook of `grid`'s sheets (more may be added before saving)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for name, rows in grid.items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
    return wb


def write_xls(grid: dict, path: Path) -> Path:
    xls_book(grid).save(str(path))
    return path


def write_ods(grid: dict, path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in grid.items():
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for v in row:
                if v is None:
                    tr.addElement(TableCell())
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    cell = TableCell(valuetype="float", value=v)
                    cell.addElement(P(text=str(v)))
                    tr.addElement(cell)
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(v)))
                    tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def write_config(folder: Path, units: list[tuple[str, str, list[str]]],
                 name: str = "Ban Dân vận Tỉnh ủy Thử nghiệm", code: str = "THU") -> Path:
    lines = ["[organization]", f'name = "{name}"', f'code = "{code}"', 'area = "toàn tỉnh"', ""]
    for ucode, uname, aliases in units:
        alias_list = ", ".join(f'"{a}"' for a in aliases)
        lines += ["[[units]]", f'code = "{ucode}"', f'name = "{uname}"', 'group = "Địa phương"',
                  f"aliases = [{alias_list}]", ""]
    path = folder / "dvk.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


THREE_UNITS = [
    ("BUDANG", "Huyện Bù Đăng", ["H. Bù Đăng"]),
    ("BUDOP", "Huyện Bù Đốp", ["H. Bù Đốp"]),
    ("DONGXOAI", "Thành phố Đồng Xoài", ["TP. Đồng Xoài"]),
]


def consistent_values(n_models: int = 10, **extra) -> dict:
    """A unit's figures that pass every default check."""
    tap = n_models // 2
    values = {
        "MH_TONG": n_models, "MH_TAPTHE": tap, "MH_CANHAN": n_models - tap,
        "MH_KT": n_models - 3, "MH_VHXH": 1, "MH_QPAN": 1, "MH_XDHT": 1, "MH_TIEUBIEU": 1,
        "VB_SO": 4, "TCD_LUOT": 100, "TCD_NGUOI": 80, "DON_NHAN": 20, "DON_GQ": 18,
        "HS_NHAN": 200, "HS_DUNGHAN": 197, "NHA_DDK_SO": 2, "NHA_DDK_TIEN": 100,
        "DUONG_DIEN_KM": 3.5,
    }
    values.update(extra)
    return values


def loaded_by(code: str, modules: tuple[str, ...]) -> tuple[list[str], str]:
    """Run `code` in a fresh Python; which of `modules` it imported, and what
    it printed (start-up cost is what `dvk --help` must not pay)."""
    probe = (code + "\nimport json as _j, sys as _s\n"
             f"print(_j.dumps([m for m in {modules!r} if m in _s.modules]))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    printed, _, last = out.rstrip("\n").rpartition("\n")
    return json.loads(last), printed


def invoke(*args):
    """Run the dvk command line in-process with `args` (paths allowed)."""
    from typer.testing import CliRunner

    from dvk_cli.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def said(result) -> str:
    """What a command printed, as one line (the console wraps long messages)."""
    return " ".join(result.output.split())


def to_pdf(path: Path, outdir: Path) -> Path:
    """`path` converted to PDF by LibreOffice (a profile of its own, so tests
    run side by side), into `outdir`; the PDF's path."""
    import subprocess

    profile = (outdir / "profile").as_uri()
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(outdir), str(path)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return outdir / Path(path).with_suffix(".pdf").name


def write_ods_content(path: Path, content: bytes) -> Path:
    """An .ods whose content.xml is `content` as given (hand-written XML:
    repeats, error cells …), with its mimetype and manifest."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                   '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                   '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                   'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                   "</manifest:manifest>")
        z.writestr("content.xml", content)
    return path


def record_start_methods(monkeypatch) -> list[str]:
    """The start method of every reading worker started from now on
    ("fork", "forkserver"), in order (dvk_cli/reading/workers._context)."""
    from dvk_cli.reading import workers

    methods: list[str] = []
    real = workers._context

    def context():
        ctx = real()
        methods.append(ctx.get_start_method())
        return ctx

    monkeypatch.setattr(workers, "_context", context)
    return methods


# The formula scan of reading/long.py as it was written first, on the decoded
# text: the reference its byte-level quick paths are checked against.
_FORMULA_CELL = re.compile(r'<c\b[^>]*\br="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)


def formulas_without_value(xml: str, refs: set[str]) -> list[str]:
    """The cells among `refs` of a sheet's XML that hold a formula with no
    saved value, in order."""
    out = []
    for m in _FORMULA_CELL.finditer(xml):
        ref, body = m.group(1), m.group(2) or ""
        if ref in refs and "<f" in body:
            v = re.search(r"<v>([^<]*)</v>", body)
            if not v or not v.group(1).strip():
                out.append(ref)
    return out
