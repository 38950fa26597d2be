"""The Word report (issue 6): bao-cao-<kỳ>.docx in the Party's document format,
opened with python-docx and checked against the Markdown report of the same run."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import warnings
import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from helpers import ROOT, SAMPLE, copy_sample, loaded_by, to_pdf
from test_report import build
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.config import Config, ConfigError, Organization, load_config
from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import parse_period
from dvk_cli.outputs.forms import CONFIG_TEMPLATE
from dvk_cli.outputs.issuer import ReportSettings, report_settings, symbol_of
from dvk_cli.outputs.word import default_template_path, docx_context, wording, write_docx_report

runner = CliRunner()


# ------------------------------------------------------------------ helpers

def _style_attr(style, attr):
    while style is not None:
        value = getattr(style.font, attr)
        if value is not None:
            return value
        style = style.base_style
    return None


def effective(paragraph, run, attr):
    """A run's font attribute as Word sees it: run, then the paragraph style chain."""
    value = getattr(run.font, attr)
    return value if value is not None else _style_attr(paragraph.style, attr)


def texts(paragraphs) -> list[str]:
    return [p.text for p in paragraphs]


def body_paragraph(doc, start: str):
    return next(p for p in doc.paragraphs if p.text.startswith(start))


def table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def find_table(doc, first_header: str):
    return next(t for t in doc.tables if t.rows[0].cells[0].text == first_header)


def md_paragraphs(md: str) -> list[str]:
    return [p.strip() for p in md.split("\n\n")]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """`dvk report` on a copy of the sample, as .docx and as .md."""
    base = tmp_path_factory.mktemp("docx")
    sample = copy_sample(base / "binh-phuoc")
    out = base / "out"
    for fmt in ("docx", "md"):
        result = runner.invoke(app, ["report", str(sample / "2024"), "--period", "2024",
                                     "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
    docx_path = out / "bao-cao-2024.docx"
    md = (out / "bao-cao-2024.md").read_text(encoding="utf-8")
    return docx_path, Document(str(docx_path)), md


# ------------------------------------------------------------ the document

def test_header_block_in_the_party_format(sample_run):
    _, doc, _ = sample_run
    header = doc.tables[0]
    left, right = header.rows[0].cells
    superior, issuing, star, number = left.paragraphs[:4]
    assert superior.text == "TỈNH ỦY BÌNH PHƯỚC"  # Hướng dẫn 36-HD/VPTW, a Ban of a Tỉnh ủy
    assert issuing.text == "BAN DÂN VẬN"
    assert star.text == "*"
    assert number.text == "Số     -BC/BDVTU" and ":" not in number.text
    for p, bold in ((superior, False), (issuing, True), (number, False)):
        run = p.runs[0]
        assert effective(p, run, "name") == "Times New Roman"
        assert effective(p, run, "size") == Pt(14)
        assert bool(effective(p, run, "bold")) is bold, p.text
        assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER or p.style.paragraph_format.alignment == (
            WD_ALIGN_PARAGRAPH.CENTER)
    party, rule, date = right.paragraphs[:3]
    assert party.text == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert effective(party, party.runs[0], "bold") and effective(party, party.runs[0], "size") == Pt(15)
    assert effective(party, party.runs[0], "name") == "Times New Roman"
    border = rule._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))  # the rule beneath
    assert border.get(qn("w:val")) == "single"
    assert date.text == "Đồng Xoài, ngày … tháng … năm 2024"
    assert effective(date, date.runs[0], "italic")
    assert effective(date, date.runs[0], "size") == Pt(14)


def test_title_subject_and_body_format(sample_run):
    _, doc, _ = sample_run
    title = body_paragraph(doc, "BÁO CÁO")
    assert title.text == "BÁO CÁO"
    assert effective(title, title.runs[0], "bold")
    assert Pt(15) <= effective(title, title.runs[0], "size") <= Pt(16)
    subject = doc.paragraphs[[p._p for p in doc.paragraphs].index(title._p) + 1]
    assert subject.text == "Kết quả công tác dân vận năm 2024, phương hướng, nhiệm vụ năm 2025"
    assert effective(subject, subject.runs[0], "bold")
    body = body_paragraph(doc, "Toàn tỉnh đã xây dựng mới 1.215 mô hình")
    run = body.runs[0]
    assert effective(body, run, "name") == "Times New Roman"
    assert effective(body, run, "size") == Pt(14)
    fmt = body.style.paragraph_format
    assert fmt.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert fmt.first_line_indent is not None and fmt.first_line_indent > 0
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert abs(section.left_margin - Mm(30)) < Mm(1)
    # Word is asked to update fields (page numbers) on opening
    update = doc.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"


def test_structure_results_by_group_then_placeholders(sample_run):
    _, doc, _ = sample_run
    all_text = texts(doc.paragraphs)
    headings = [p.text for p in doc.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert headings == [
        "I. KẾT QUẢ CÔNG TÁC DÂN VẬN NĂM 2024",
        "1. Công tác lãnh đạo, chỉ đạo và tuyên truyền",
        "2. Phong trào thi đua “Dân vận khéo”",
        "3. Công tác dân vận chính quyền, tiếp công dân",
        "4. Công tác an sinh xã hội, chăm lo đời sống nhân dân",
        "5. Số liệu chủ yếu",
        "II. HẠN CHẾ, NGUYÊN NHÂN",
        "III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025",
    ]
    intro = body_paragraph(doc, "Ban Dân vận Tỉnh ủy Bình Phước báo cáo")
    assert "tổng kết công tác dân vận năm 2024" in intro.text
    for heading in ("II. HẠN CHẾ, NGUYÊN NHÂN", "III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025"):
        after = all_text[all_text.index(heading) + 1]
        assert after.startswith("[CẦN BỔ SUNG] Nêu")
    # no template tag survives
    xml = zipfile.ZipFile(sample_run[0]).read("word/document.xml").decode("utf-8")
    assert "{{" not in xml and "{%" not in xml


def test_same_prose_and_figures_as_the_markdown(sample_run):
    _, doc, md = sample_run
    docx_text = set(texts(doc.paragraphs))
    prose = [p for p in md_paragraphs(md) if p.startswith(
        ("Trong năm 2024,", "Toàn tỉnh", "Trong kỳ,", "Các cấp", "Các mô hình tiêu biểu"))]
    assert len(prose) == 5
    for p in prose:
        assert p in docx_text, p[:60]
    for fragment in ("1.215 mô hình “Dân vận khéo”", "7.257 lượt công dân với 3.812 người",
                     "19 căn nhà tình nghĩa trị giá 1,52 tỷ đồng", "33,5 km đường điện",
                     "15,15 km đường giao thông nông thôn", "16 mô hình, điển hình tiêu biểu"):
        assert any(fragment in t for t in docx_text), fragment
    # the table of main figures has the Markdown table's rows, cell for cell
    md_rows = [[c.strip().strip("*") for c in line.strip("|").split("|")]
               for line in md.splitlines()
               if line.startswith("| ") and not line.startswith("| Chỉ tiêu")]
    table = find_table(doc, "Chỉ tiêu")
    rows = table_rows(table)
    assert rows[0] == ["Chỉ tiêu", "Đơn vị tính", "Kết quả"]
    assert [[c.strip() for c in r] for r in rows[1:]] == md_rows
    row = next(r for r in rows if r[0].startswith("Tổng số mô hình"))
    assert row[1:] == ["mô hình", "1.215"]
    assert next(r for r in rows if r[0] == "– Nhà tình nghĩa – trị giá")[2] == "1.520"
    assert next(r for r in rows if r[0] == "Đường giao thông nông thôn làm mới, nâng cấp")[2] == "15,15"


def test_units_table_and_chart(sample_run):
    path, doc, _ = sample_run
    units = table_rows(find_table(doc, "Đơn vị"))
    assert units[0] == ["Đơn vị", "Tổng số mô hình", "MH tiêu biểu", "Tổng số nhà",
                        "Tổng trị giá nhà (tr.đ)", "Lượt tiếp công dân", "Tỷ lệ giải quyết đơn (%)"]
    assert len(units) == 1 + 11 + 1
    assert units[1][0] == "Thành phố Đồng Xoài"
    assert units[-1] == ["Tổng cộng", "1.215", "16", "251", "13.150", "7.257", "94,1"]
    # the column widths were set: the unit name column is the widest
    grid = find_table(doc, "Đơn vị")._tbl.tblGrid.findall(qn("w:gridCol"))
    widths = [int(g.get(qn("w:w"))) for g in grid]
    assert len(widths) == 7 and widths[0] > widths[1] == widths[-1]
    # one chart, a PNG, with its caption
    assert len(doc.inline_shapes) == 1
    images = [n for n in zipfile.ZipFile(path).namelist() if n.startswith("word/media/")]
    assert len(images) == 1
    assert zipfile.ZipFile(path).read(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(t.startswith("Biểu đồ 1. Mô hình “Dân vận khéo”") for t in texts(doc.paragraphs))


def test_signature_block_and_recipients(sample_run):
    _, doc, _ = sample_run
    sign = doc.tables[-1]
    left, right = sign.rows[0].cells
    first = left.paragraphs[0]
    assert first.text == "Nơi nhận:"
    assert first.runs[0].underline and not first.runs[1].underline  # the colon is not underlined
    assert texts(left.paragraphs[1:]) == [
        "- Ban Dân vận Trung ương (b/c),", "- Thường trực Tỉnh ủy (b/c),", "- Lưu Văn phòng."]
    title = next(p for p in right.paragraphs if p.text)
    assert title.text == "TRƯỞNG BAN" and effective(title, title.runs[0], "bold")
    assert [p.text for p in right.paragraphs if p.text] == ["TRƯỞNG BAN"]  # no name configured
    assert sign.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None


def test_configured_number_date_signer(tmp_path):
    settings = ReportSettings(superior="Tỉnh ủy Bình Phước", issuing_body="Ban Tuyên giáo và Dân vận",
                              symbol="BC/BTGDVTU", number="125", place="Đồng Xoài",
                              date=parse_date("2025-01-05"), signer_for="K/T trưởng ban",
                              signer_title="Phó Trưởng ban", signer_name="Nguyễn Văn A",
                              recipients=("Ban Thường vụ Tỉnh ủy (b/c)", "- Lưu VP."))
    path = write_docx_report(build(), tmp_path / "bc.docx", settings)
    doc = Document(str(path))
    left, right = doc.tables[0].rows[0].cells
    assert texts(left.paragraphs[:4]) == ["TỈNH ỦY BÌNH PHƯỚC", "BAN TUYÊN GIÁO VÀ DÂN VẬN", "*",
                                          "Số 125-BC/BTGDVTU"]
    assert right.paragraphs[2].text == "Đồng Xoài, ngày 05 tháng 01 năm 2025"
    sl, sr = doc.tables[-1].rows[0].cells
    assert texts(sl.paragraphs[1:]) == ["- Ban Thường vụ Tỉnh ủy (b/c),", "- Lưu VP."]
    signed = [p for p in sr.paragraphs if p.text]
    assert [p.text for p in signed] == ["K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "Nguyễn Văn A"]
    assert all(effective(p, p.runs[0], "bold") for p in signed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bc.docx"]  # no temp file left


def parse_date(text):
    import datetime

    return datetime.date.fromisoformat(text)


# ---------------------------------------------------------------- settings

def test_report_settings_defaults_from_organization(tmp_path):
    cfg = Config(organization=Organization(name="Ban Dân vận Huyện ủy Bù Đăng",
                                           superior="Đảng bộ huyện Bù Đăng", place="Đức Phong"))
    s = report_settings(cfg)
    assert (s.superior, s.issuing_body, s.symbol, s.place) == (
        "Đảng bộ huyện Bù Đăng", "Ban Dân vận", "BC/BDVHU", "Đức Phong")
    assert s.signer_title == "TRƯỞNG BAN" and s.signer_name == "" and s.number == ""
    assert symbol_of("Ban Dân vận Đảng ủy Khối cơ quan", "Ban Dân vận") == "BC/BDVĐU"
    assert report_settings(Config()).issuing_body == "Ban Dân vận"


@pytest.mark.parametrize("name, superior, issuing, symbol", [
    ("Ban Dân vận Tỉnh ủy Bình Phước", "Tỉnh ủy Bình Phước", "Ban Dân vận", "BC/BDVTU"),
    ("Ban Tuyên giáo và Dân vận Tỉnh ủy Đồng Nai", "Tỉnh ủy Đồng Nai",
     "Ban Tuyên giáo và Dân vận", "BC/BTGDVTU"),
    ("Ban Dân vận Huyện ủy Bù Đăng", "Huyện ủy Bù Đăng", "Ban Dân vận", "BC/BDVHU"),
    ("Ban Dân vận Thành ủy Hà Nội", "Thành ủy Hà Nội", "Ban Dân vận", "BC/BDVTU"),
    ("Tỉnh ủy Bình Phước", "", "Tỉnh ủy Bình Phước", "BC/TUBPTU"),
    ("Ban Dân vận", "", "Ban Dân vận", "BC/BDV"),
])
def test_issuing_lines_of_a_ban_follow_huong_dan_36(name, superior, issuing, symbol):
    """Hướng dẫn 36-HD/VPTW: a Ban of a party committee writes the committee on
    the first line and itself under it; with only [organization] name, dvk
    derives both lines and the symbol from the name."""
    s = report_settings(Config(organization=Organization(name=name)))
    assert (s.superior, s.issuing_body, s.symbol) == (superior, issuing, symbol)
    # the sample's dvk.toml
    sample = report_settings(load_config(SAMPLE / "dvk.toml"))
    assert (sample.superior, sample.issuing_body, sample.symbol, sample.place,
            sample.signer_title) == ("Tỉnh ủy Bình Phước", "Ban Dân vận", "BC/BDVTU",
                                     "Đồng Xoài", "TRƯỞNG BAN")


@pytest.mark.parametrize("body, words", [
    ('[report]\nsignature = "x"\n', "không có khóa signature"),
    ('[report]\ndate = "15/12/2024"\n', "2024-12-15"),
    ('[report]\nrecipients = "Lưu"\n', "recipients phải là danh sách"),
    ('[report]\nsymbol = 5\n', "symbol phải là một chuỗi"),
    ('report = 3\n', "[report] không hợp lệ"),
])
def test_report_settings_errors_are_config_errors(tmp_path, body, words):
    (tmp_path / "dvk.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(words)):
        report_settings(load_config(tmp_path / "dvk.toml"))


def test_init_config_documents_a_valid_report_section(tmp_path):
    """The commented [report] block written by `dvk init`, uncommented, is valid."""
    text = CONFIG_TEMPLATE.format(name='"Ban Dân vận Tỉnh ủy Bình Phước"')
    block = text[text.index("# [report]"):].splitlines()
    lines = []
    for line in block:
        if not line.startswith("# ") or (lines and not re.match(r"# [a-z_\[]", line)):
            break
        lines.append(line[2:])
    assert "[report]" in lines[0] and len(lines) >= 10
    (tmp_path / "dvk.toml").write_text(text.split("# [report]")[0] + "\n".join(lines) + "\n",
                                       encoding="utf-8")
    s = report_settings(load_config(tmp_path / "dvk.toml"))
    assert s.symbol == "BC/BDVTU" and s.issuing_body == "Ban Dân vận"
    # Hướng dẫn 36-HD/VPTW: a Ban's first line is its committee, not "Đảng bộ tỉnh"
    assert s.superior == "Tỉnh ủy Bình Phước"
    assert "Đảng bộ tỉnh Bình Phước" not in text
    assert s.recipients[-1] == "Lưu Văn phòng"
    assert s.template == tmp_path / "mau-bao-cao.docx"


# ------------------------------------------------------- periods, compare

def test_period_aware_wording():
    y, h1, q1, m9 = (wording(parse_period(p)) for p in ("2024", "2024-H1", "2024-Q1", "2024-9M"))
    assert y["subject"] == "Kết quả công tác dân vận năm 2024, phương hướng, nhiệm vụ năm 2025"
    assert y["review"] == "tổng kết"
    assert h1["subject"] == ("Sơ kết công tác dân vận 6 tháng đầu năm 2024, phương hướng, nhiệm vụ "
                             "6 tháng cuối năm 2024")
    assert h1["review"] == "sơ kết" and m9["review"] == "sơ kết"
    assert h1["headings"]["results"] == "I. KẾT QUẢ CÔNG TÁC DÂN VẬN 6 THÁNG ĐẦU NĂM 2024"
    assert q1["subject"].endswith("nhiệm vụ trọng tâm quý II năm 2024")
    assert q1["headings"]["tasks"] == "III. NHIỆM VỤ TRỌNG TÂM QUÝ II NĂM 2024"
    assert m9["headings"]["tasks"] == "III. PHƯƠNG HƯỚNG, NHIỆM VỤ 3 THÁNG CUỐI NĂM 2024"


def test_half_year_report_and_a_group_without_data(tmp_path):
    c = build(split={"DONGXOAI": dict(MH_TONG=12, MH_KT=12, TCD_LUOT=30)}, models=[],
              findings=(), period="2024-H1")
    doc = Document(str(write_docx_report(c, tmp_path / "h1.docx")))
    all_text = texts(doc.paragraphs)
    assert "Sơ kết công tác dân vận 6 tháng đầu năm 2024, phương hướng, nhiệm vụ 6 tháng cuối năm 2024" in all_text
    assert "Trong 6 tháng đầu năm 2024, toàn tỉnh đã xây dựng mới 12 mô hình “Dân vận khéo”, trong đó 12 mô hình kinh tế." in all_text
    # group 1 (lãnh đạo) and 4 (an sinh) have no figure: a marked placeholder, not a made-up sentence
    i = all_text.index("1. Công tác lãnh đạo, chỉ đạo và tuyên truyền")
    assert all_text[i + 1].startswith("[CẦN BỔ SUNG] Chưa có số liệu")
    assert "III. PHƯƠNG HƯỚNG, NHIỆM VỤ 6 THÁNG CUỐI NĂM 2024" in all_text


def test_main_figures_show_comparisons_only_when_present(tmp_path):
    plain = build()
    doc = Document(str(write_docx_report(plain, tmp_path / "a.docx")))
    assert table_rows(find_table(doc, "Chỉ tiêu"))[0] == ["Chỉ tiêu", "Đơn vị tính", "Kết quả"]

    c = build()
    c.compare = {"previous": {"period": "2023", "label": "năm 2023",
                              "totals": {"MH_TONG": 1087, "NHA_TN_TIEN": 1600, "DON_TYLE": 95.0}}}
    doc = Document(str(write_docx_report(c, tmp_path / "b.docx")))
    table = find_table(doc, "Chỉ tiêu")
    rows = table_rows(table)
    assert rows[0] == ["Chỉ tiêu", "Đơn vị tính", "Kết quả", "Năm 2023", "Tăng/giảm", "%"]
    models = next(r for r in rows if r[0].startswith("Tổng số mô hình"))
    # the total includes a value with a warning: its tag under the figure
    assert models[2:] == ["1.215\n[CẦN KIỂM TRA 1]", "1.087", "+128", "+11,8%"]
    money = next(r for r in rows if r[0] == "– Nhà tình nghĩa – trị giá")
    assert money[2:4] == ["1.520", "1.600"] and money[4].endswith("80")
    assert next(r for r in rows if r[0] == "Văn bản lãnh đạo, chỉ đạo về công tác dân vận ban hành")[3:] == ["", "", ""]
    widths = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(widths) == 6 and widths[0] == max(widths)
    # the Markdown report of the same consolidation shows the same comparison
    from dvk_cli.outputs.report import render_report

    assert "| 1.215 [CẦN KIỂM TRA 1] | 1.087 | +128 | +11,8% |" in render_report(c)

    # previous period and same period last year differ (a half-year): 9 columns, 10 pt text
    h1 = build(period="2024-H1")
    h1.compare = {
        "previous": {"period": "2023-H2", "label": "6 tháng cuối năm 2023",
                     "totals": {"MH_TONG": 600}},
        "same_period_last_year": {"period": "2023-H1", "label": "6 tháng đầu năm 2023",
                                  "totals": {"MH_TONG": 1300}},
    }
    table = find_table(Document(str(write_docx_report(h1, tmp_path / "c.docx"))), "Chỉ tiêu")
    rows = table_rows(table)
    assert len(rows[0]) == 9 and rows[0][4:6] == ["Tăng/giảm", "%"]
    models = next(r for r in rows if r[0].startswith("Tổng số mô hình"))
    assert models[2:] == ["1.215\n[CẦN KIỂM TRA 1]", "600", "+615", "+102,5%", "1.300", "−85",
                          "−6,5%"]
    sizes = {r.font.size for row in table.rows for cell in row.cells for p in cell.paragraphs
             for r in p.runs if r.text}
    assert sizes == {Pt(10)}


# ---------------------------------------------------------------- templates

def test_shipped_template_is_reproducible_and_tags_are_whole_runs():
    spec = importlib.util.spec_from_file_location("make_docx_template",
                                                  ROOT / "scripts" / "make_docx_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (ROOT / "templates" / "bao-cao.docx").read_bytes()
    assert module.template_bytes() == shipped
    assert default_template_path().read_bytes() == shipped
    xml = zipfile.ZipFile(ROOT / "templates" / "bao-cao.docx").read("word/document.xml").decode()
    runs = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)
    tags = [t for t in runs if "{" in t or "}" in t]
    assert len(tags) > 30
    for text in tags:  # every tag opens and closes inside one run
        assert text.count("{{") == text.count("}}") and text.count("{%") == text.count("%}"), text
        assert not set(text) & set("“”‘’"), text


def test_template_edited_in_word_split_runs_and_smart_quotes(tmp_path):
    """Word splits a tag over runs when part of it is reformatted, and turns
    quotes into smart quotes: the report still renders."""
    src = zipfile.ZipFile(default_template_path())
    xml = src.read("word/document.xml").decode("utf-8")
    split = xml.replace("<w:t>{{ subject }}</w:t>",
                        '<w:t>{{ sub</w:t></w:r><w:r><w:rPr><w:b/><w:i/></w:rPr><w:t>ject }}</w:t>', 1)
    assert split != xml
    quoted = split.replace("{%p if draft_note %}", "{%p if draft_note != “” %}", 1)
    assert quoted != split
    edited = tmp_path / "mau.docx"
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = quoted.encode("utf-8") if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info.filename, data)
    doc = Document(str(write_docx_report(build(), tmp_path / "out.docx", template_path=edited)))
    all_text = texts(doc.paragraphs)
    assert "Kết quả công tác dân vận năm 2024, phương hướng, nhiệm vụ năm 2025" in all_text
    assert any(t.startswith("Bản dự thảo do dvk tạo tự động") for t in all_text)


def test_bad_templates_are_usage_errors(tmp_path):
    src = zipfile.ZipFile(default_template_path())

    def variant(name, old, new):
        xml = src.read("word/document.xml").decode("utf-8")
        assert old in xml
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as dst:
            for info in src.infolist():
                data = xml.replace(old, new, 1).encode() if info.filename == "word/document.xml" \
                    else src.read(info)
                dst.writestr(info.filename, data)
        return path

    c = build()
    with pytest.raises(UsageError, match="sai cú pháp"):
        write_docx_report(c, tmp_path / "out.docx", template_path=variant(
            "a.docx", "{{ intro }}", "{{ intro "))
    with pytest.raises(UsageError, match="khong_co"):
        write_docx_report(c, tmp_path / "out.docx", template_path=variant(
            "b.docx", "{{ intro }}", "{{ khong_co }}"))
    with pytest.raises(UsageError, match="không được phép"):  # runs in a sandbox
        write_docx_report(c, tmp_path / "out.docx", template_path=variant(
            "d.docx", "{{ intro }}", "{{ cycler.__init__.__globals__.os.popen('id').read() }}"))
    (tmp_path / "c.docx").write_text("không phải Word", encoding="utf-8")
    with pytest.raises(UsageError, match="không phải tệp Word"):
        write_docx_report(c, tmp_path / "out.docx", template_path=tmp_path / "c.docx")
    with pytest.raises(UsageError, match="Không tìm thấy"):
        write_docx_report(c, tmp_path / "out.docx", template_path=tmp_path / "khong-co.docx")
    assert not (tmp_path / "out.docx").exists()  # nothing written on failure


# --------------------------------------------------------------------- chart

def test_chart_has_every_vietnamese_glyph(tmp_path):
    from dvk_cli.outputs.chart import chart_data, models_chart

    c = build()
    names, labels, values = chart_data(c)
    assert names == ["Thành phố Đồng Xoài", "Huyện Bù Đăng"]  # BCHQS reported only zeros
    assert labels == ["Kinh tế", "Văn hóa – xã hội", "Quốc phòng – an ninh",
                      "Xây dựng hệ thống chính trị"]
    assert values[0] == [300, 315]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = models_chart(c, tmp_path / "chart.png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()
               or "glyph" in str(w.message).lower()]
    assert missing == []
    assert path.read_bytes()[:4] == b"\x89PNG"
    # nobody reported models by field: no chart, and no image in the report
    none = build(split={"DONGXOAI": dict(TCD_LUOT=5)}, models=[], findings=())
    assert models_chart(none, tmp_path / "none.png") is None and not (tmp_path / "none.png").exists()
    doc = Document(str(write_docx_report(none, tmp_path / "none.docx")))
    assert len(doc.inline_shapes) == 0
    assert not any(t.startswith("Biểu đồ") for t in texts(doc.paragraphs))


def test_context_escapes_xml_characters(tmp_path):
    org = Organization(name="Ban Dân vận <Tỉnh> & “Thử”", area="toàn tỉnh", place="A & B")
    c = build(organization=org)
    assert docx_context(c)["header"]["issuing"] == "BAN DÂN VẬN <TỈNH> & “THỬ”"
    doc = Document(str(write_docx_report(c, tmp_path / "x.docx")))
    assert doc.tables[0].rows[0].cells[1].paragraphs[2].text.startswith("A & B, ngày")


# ----------------------------------------------------------------------- CLI

def test_aggregate_docx_flag_and_json(tmp_path):
    sample = copy_sample(tmp_path / "binh-phuoc")
    out = tmp_path / "out"
    result = runner.invoke(app, ["aggregate", str(sample / "2024"), "--period", "2024",
                                 "--out", str(out), "--docx", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outputs"]["docx"] == str(out / "bao-cao-2024.docx")
    assert sorted(p.name for p in out.iterdir()) == [
        "bao-cao-2024.docx", "bao-cao-2024.md", "tong-hop-2024.xlsx"]
    doc = Document(str(out / "bao-cao-2024.docx"))
    assert any(t.startswith("Toàn tỉnh đã xây dựng mới 1.215 mô hình")
               for t in texts(doc.paragraphs))


def test_report_command_errors(tmp_path):
    bad = runner.invoke(app, ["report", str(SAMPLE / "2024"), "--format", "pdf", "--out",
                              str(tmp_path)])
    assert bad.exit_code == 2 and "--format docx" in bad.output and "Traceback" not in bad.output
    md_tpl = tmp_path / "mau.md.j2"
    md_tpl.write_text("x", encoding="utf-8")
    wrong = runner.invoke(app, ["report", str(SAMPLE / "2024"), "--template", str(md_tpl),
                                "--out", str(tmp_path)])
    assert wrong.exit_code == 2 and ".docx" in wrong.output
    assert list(tmp_path.glob("bao-cao-*")) == []


@pytest.mark.slow
def test_help_does_not_import_word_or_chart_libraries():
    code = ("from dvk_cli.cli.app import app\n"
            "try:\n    app(['report', '--help'])\nexcept SystemExit:\n    pass")
    heavy, printed = loaded_by(code, ("docx", "docxtpl", "matplotlib", "jinja2", "pandas"))
    assert heavy == []
    assert "--format" in printed


# ----------------------------------------------------------------- LibreOffice

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_converts_to_pdf_with_libreoffice(sample_run, tmp_path):
    path, _, _ = sample_run
    pdf = to_pdf(path, tmp_path)
    assert pdf.name == "bao-cao-2024.pdf"
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        for words in ("ĐẢNG CỘNG SẢN VIỆT NAM", "BAN DÂN VẬN", "BÁO CÁO", "1.215", "TRƯỞNG BAN"):
            assert words in text, words
