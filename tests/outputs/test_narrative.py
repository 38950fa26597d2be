"""The report reads like a report, not a form (issue 15, item 10): only the
first paragraph of results names the period, every paragraph has its
subject, and every rate is written with one decimal ("95,0%") — in the
Markdown and the Word report alike."""

from __future__ import annotations

import re

import docx
from helpers import copy_sample
from typer.testing import CliRunner

from dvk_cli.cli.app import app

RESULTS = ("Trong năm 2024, các cấp ủy, tổ chức đảng đã ban hành 40 văn bản",
           "Toàn tỉnh đã xây dựng mới 1.215 mô hình “Dân vận khéo”",
           "Trong kỳ, các cấp, các ngành đã tiếp 7.257 lượt công dân",
           "Các cấp, các ngành, Mặt trận Tổ quốc và các đoàn thể đã xây dựng, sửa chữa 251 căn nhà")


def _results(text: str) -> list[str]:
    part = text[text.index("## I. KẾT QUẢ ĐẠT ĐƯỢC"):text.index("Số liệu chủ yếu")]
    return [p for p in part.split("\n\n")
            if p and not p.startswith(("#", "Các mô hình tiêu biểu"))]


def test_sample_report_opens_each_paragraph_differently_with_a_subject(tmp_path, monkeypatch):
    sample = copy_sample(tmp_path / "binh-phuoc")
    monkeypatch.chdir(sample)
    runner = CliRunner()
    assert runner.invoke(app, ["aggregate", "2023", "--period", "2023", "--out", "o23"]
                         ).exit_code == 0
    out = runner.invoke(app, ["aggregate", "2024", "--period", "2024", "--out", "ket-qua",
                              "--docx"])
    assert out.exit_code == 0, out.output
    md = (sample / "ket-qua" / "bao-cao-2024.md").read_text(encoding="utf-8")
    paragraphs = _results(md)
    assert [p[:len(start)] for p, start in zip(paragraphs, RESULTS, strict=True)] == list(RESULTS)
    # the period is named once in the results; no paragraph opens on a bare verb
    assert sum("năm 2024" in p for p in paragraphs) == 1
    # the seed's phrases survive
    for phrase in ("19 căn nhà tình nghĩa trị giá 1,52 tỷ đồng", "kéo 33,5 km đường điện thắp sáng",
                   "đã giải quyết 1.399 đơn, đạt 94,1%"):
        assert phrase in md, phrase

    # one rate format: one decimal everywhere, "11,0%" not "11%"
    assert "(tăng 21.725 hồ sơ, 11,0% so với năm 2023)" in md
    assert "| +9,0% |" in md  # the table's change column too
    whole = re.findall(r"(?<![\d,])\d+%", md)
    assert whole == [], whole
    doc = docx.Document(str(sample / "ket-qua" / "bao-cao-2024.docx"))
    word = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    for start in RESULTS:
        assert start in word, start
    assert re.findall(r"(?<![\d,])\d+%", word) == []
