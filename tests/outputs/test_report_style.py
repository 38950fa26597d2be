"""The Word report's last page: the recipients and the signature in one
borderless row, level with each other, kept together with the last paragraph."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn
from helpers import copy_sample
from test_report import build
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.outputs.word import ReportSettings, write_docx_report

runner = CliRunner()

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """`dvk report` on a copy of the sample, .md and .docx, signed "K/T TRƯỞNG BAN"."""
    base = tmp_path_factory.mktemp("style")
    root = copy_sample(base / "binh-phuoc")
    toml = root / "dvk.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'signer_title = "TRƯỞNG BAN"',
        'signer_for = "K/T TRƯỞNG BAN"\nsigner_title = "PHÓ TRƯỞNG BAN"'), encoding="utf-8")
    out = base / "out"
    for fmt in ("md", "docx"):
        result = runner.invoke(app, ["report", str(root / "2024"), "--period", "2024",
                                     "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
    md = (out / "bao-cao-2024.md").read_text(encoding="utf-8")
    return md, out / "bao-cao-2024.docx"


def _no_borders(table) -> bool:
    """The table draws no border (none declared, or each one nil/none)."""
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    return borders is None or all(b.get(qn("w:val")) in ("nil", "none") for b in borders)


# ------------------------------------------------------------------ last page

def test_recipients_and_signature_in_one_borderless_row_kept_with_the_text(sample):
    _, path = sample
    doc = Document(str(path))
    sign = doc.tables[-1]
    assert len(sign.rows) == 1 and len(sign.columns) == 2
    left, right = sign.rows[0].cells
    assert left.paragraphs[0].text == "Nơi nhận:"
    assert right.paragraphs[0].text == "K/T TRƯỞNG BAN"
    assert _no_borders(sign)
    for cell in (left, right):  # no cell border either
        tc_pr = cell._tc.tcPr
        assert tc_pr is None or tc_pr.find(qn("w:tcBorders")) is None
    assert sign.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None
    # level: neither first line has space above it
    for p in (left.paragraphs[0], right.paragraphs[0]):
        assert not p.paragraph_format.space_before
    # the table is the body's last block, right after the last paragraph,
    # which goes with it (keep with next), as does the heading before that
    body = [el for el in doc.element.body if el.tag != qn("w:sectPr")]
    assert body[-1] is sign._tbl
    last, heading = doc.paragraphs[-1], doc.paragraphs[-2]
    assert last._p is body[-2]
    assert last.paragraph_format.keep_with_next
    assert heading.text.startswith("III.") and heading.style.paragraph_format.keep_with_next


def test_no_blank_line_between_signer_for_and_title(sample, tmp_path):
    _, path = sample
    right = Document(str(path)).tables[-1].rows[0].cells[1]
    texts = [p.text for p in right.paragraphs]
    assert texts[:2] == ["K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"]
    assert not right.paragraphs[1].paragraph_format.space_before

    settings = ReportSettings(signer_for="K/T trưởng ban", signer_title="Phó Trưởng ban",
                              signer_name="Nguyễn Văn A")
    doc = Document(str(write_docx_report(build(), tmp_path / "bc.docx", settings)))
    right = doc.tables[-1].rows[0].cells[1]
    texts = [p.text for p in right.paragraphs]
    assert texts[:2] == ["K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"]
    assert texts[-1] == "Nguyễn Văn A"
    # without signer_for the title is the first line, level with "Nơi nhận:"
    doc = Document(str(write_docx_report(build(), tmp_path / "b2.docx", ReportSettings())))
    assert doc.tables[-1].rows[0].cells[1].paragraphs[0].text == "TRƯỞNG BAN"


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice and poppler are needed")
def test_signature_never_alone_on_the_last_page(tmp_path):
    # enough recipients to push the signature block onto a page of its own
    settings = ReportSettings(recipients=tuple(f"Đơn vị nhận số {i} (để biết)" for i in range(14)),
                              signer_for="K/T TRƯỞNG BAN", signer_title="PHÓ TRƯỞNG BAN")
    docx = write_docx_report(build(), tmp_path / "bc.docx", settings)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(docx)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "bc.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    last = text.split("\f")[-2] if text.endswith("\f") else text.split("\f")[-1]
    assert "Nơi nhận" in last and "PHÓ TRƯỞNG BAN" in last
    assert "[CẦN BỔ SUNG]" in last  # the last paragraph came along
