"""A text that looks like XlsxWriter's own rich-text XML ("<r>…</r>") is
data: written as plain runs whatever the writer (dvk's rows or XlsxWriter's),
read back as the text itself, and never adds a cell or breaks the file.

XlsxWriter writes a string that starts with <r> and ends with </r> into the
sheet's XML as it is; a model's name in a return could otherwise close the
cell and write cells of its own."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from test_workbook import NAMES, make_consolidation

from dvk_cli.core.findings import Finding
from dvk_cli.outputs import xlsx
from dvk_cli.outputs.workbook import build_workbook

# closes the inline string and the cell, writes B1 = 666, then opens a cell again
INJECTION = ('<r><t>x</t></r></is></c><c r="B1"><v>666</v></c>'
             '<c r="C1" t="inlineStr"><is><r><t>y</t></r>')
BROKEN = "<r><t>not closed</r>"
PLAIN_RUN = "<r>x</r>"
TEXTS = [INJECTION, BROKEN, PLAIN_RUN]


def _consolidation(monkeypatch):
    monkeypatch.setitem(NAMES, "BUDOP", INJECTION)
    models = [("BUDANG", text, "Kinh tế", "Tập thể", False) for text in TEXTS]
    findings = [Finding("warning", "MH_LOAI", text, file=text, sheet="Biểu", cell="E14",
                        unit="BUDANG", indicator="MH_TONG") for text in TEXTS]
    return make_consolidation(findings=findings, models=models)


def _cells(book: bytes) -> list[object]:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(book))
    return [value for name in wb.sheet_names
            for row in wb.get_sheet_by_name(name).to_python() for value in row]


@pytest.mark.parametrize("fast", [True, False])
def test_rich_looking_text_is_written_as_the_text_itself(monkeypatch, fast):
    if not fast:
        monkeypatch.setattr(xlsx, "_fast_rows", lambda: False)
    buffer = io.BytesIO()
    build_workbook(_consolidation(monkeypatch), buffer)
    book = buffer.getvalue()
    cells = _cells(book)
    for text in TEXTS:
        assert text in cells, text
    assert 666 not in cells and 666.0 not in cells and "y" not in cells
    loaded = openpyxl.load_workbook(io.BytesIO(book))  # the XML is well formed
    models = loaded["Danh sách mô hình"]
    assert [c.value for row in models.iter_rows() for c in row if c.value in TEXTS] == TEXTS
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    assert '<c r="B1"><v>666</v></c>' not in xml
