"""No suspect figure reaches an output unmarked: the marks of checks.marks in
the Markdown and Word reports, the workbook and the terminal, taken from real
runs (dvk_cli.api.run on generated returns, and the clean sample) and read
back from the files written."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from helpers import (
    THREE_UNITS,
    consistent_values,
    copy_sample,
    return_grid,
    write_config,
    write_xlsx,
)
from rich.console import Console

from dvk_cli import api
from dvk_cli.checks.marks import Mark, Marks, marks_for
from dvk_cli.cli.render import print_summary, print_validation, verdict
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.findings import Acceptance, Status, sort_findings
from dvk_cli.outputs import styles
from dvk_cli.outputs.report import _uncovered_clauses, group_sentences, render_phrase
from dvk_cli.outputs.word import highlight_marks

CAT = default_catalog()
MARK = "[CẦN KIỂM TRA"
WHY = "đã xác minh với đơn vị: 5 mô hình chưa phân loại"
ACCEPTANCE = Acceptance(why=WHY, by="van.thu", at="2024-12-20T09:15:02+07:00")


# ------------------------------------------------------------------ runs

def _run(base):
    """Bù Đăng: MH_TONG 95 but tập thể + cá nhân 90 (warning MH_LOAI); Bù Đốp:
    “khoảng 30” lượt tiếp công dân (error not_a_number); Đồng Xoài: clean."""
    write_config(base, THREE_UNITS)
    returns = base / "returns"
    returns.mkdir()
    write_xlsx(return_grid(consistent_values(MH_TONG=95, MH_TAPTHE=45, MH_CANHAN=45, MH_KT=92)),
               returns / "bu-dang.xlsx")
    write_xlsx(return_grid(consistent_values(TCD_LUOT="khoảng 30"), unit="Huyện Bù Đốp"),
               returns / "bu-dop.xlsx")
    write_xlsx(return_grid(consistent_values(), unit="Thành phố Đồng Xoài"),
               returns / "dong-xoai.xlsx")
    return api.run(returns, period="2024", config=base / "dvk.toml")


def _written(c, out):
    paths = api.write_outputs(c, out, docx=True)
    md = paths["report"].read_text(encoding="utf-8")
    return md, Document(str(paths["docx"])), openpyxl.load_workbook(paths["workbook"])


def _accepted(c, rule="MH_LOAI", impact=None):
    """The consolidation with the finding of `rule` accepted by the clerk."""
    findings = [dataclasses.replace(f, status=Status.ACCEPTED, accepted=ACCEPTANCE, impact=impact)
                if f.rule == rule else f for f in c.findings]
    return dataclasses.replace(c, findings=sort_findings(findings))


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    base = tmp_path_factory.mktemp("marks")
    c = _run(base).consolidation
    marks = marks_for(c)
    return c, marks, *_written(c, base / "out")


@pytest.fixture(scope="module")
def accepted(tmp_path_factory, marked):
    c = _accepted(marked[0], impact=0.125)
    return c, marks_for(c), *_written(c, tmp_path_factory.mktemp("accepted"))


def mark_of(marks: Marks, rule: str) -> Mark:
    return next(m for m in marks if m.finding is not None and m.finding.rule == rule)


def paragraph(md: str, start: str) -> str:
    return next(p for p in md.split("\n\n") if p.startswith(start))


def docx_texts(doc) -> list[str]:
    """Every paragraph of the body and of the table cells."""
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return texts


def docx_runs(doc):
    for p in doc.paragraphs:
        yield from p.runs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    yield from p.runs


def cell_of(ws, code: str, header: str = "Tổng cộng"):
    """On Tổng hợp: the `header` cell of the row of indicator `code`."""
    for row in ws.iter_rows():
        cols = {c.value: c.column for c in row if c.value in (header, "Mã")}
        if len(cols) == 2:
            break
    for r in range(row[0].row + 1, ws.max_row + 1):
        if ws.cell(r, cols["Mã"]).value == code:
            return ws.cell(r, cols[header])
    raise AssertionError(code)


def unit_cell(ws, unit: str, code: str):
    """On Theo đơn vị: the cell of `unit` (code, or "Tổng cộng") for indicator `code`."""
    code_row = next(r[0].row for r in ws.iter_rows() if any(x.value == "MH_TONG" for x in r))
    col = next(j for j in range(1, ws.max_column + 1) if ws.cell(code_row, j).value == code)
    for r in range(code_row + 1, ws.max_row + 1):
        if unit in (ws.cell(r, 2).value, ws.cell(r, 1).value):
            return ws.cell(r, col)
    raise AssertionError(unit)


def fill_of(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:] if cell.fill.fill_type == "solid" else ""


def all_workbook_text(wb) -> str:
    parts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                parts += [str(cell.value or ""), cell.comment.text if cell.comment else ""]
    return "\n".join(parts)


def terminal(show, *args) -> str:
    out = io.StringIO()
    show(Console(file=out, width=200, color_system=None), *args)
    return out.getvalue()


# ------------------------------------------------------------------ the run

def test_the_run_has_the_findings_the_marks_come_from(marked):
    c, marks, *_ = marked
    warning = next(f for f in c.findings if f.rule == "MH_LOAI")
    error = next(f for f in c.findings if f.rule == "not_a_number")
    assert (warning.severity, warning.unit) == ("warning", "BUDANG")
    assert (error.severity, error.unit, error.value) == ("error", "BUDOP", "khoảng 30")
    assert {"MH_TONG", "MH_TAPTHE", "MH_CANHAN"} <= mark_of(marks, "MH_LOAI").codes
    assert "TCD_LUOT" in mark_of(marks, "not_a_number").codes
    assert marks.rejected[("BUDOP", "TCD_LUOT")] == "khoảng 30"


# ------------------------------------------------------------------ phrases

def test_a_mark_ends_the_piece_of_its_first_figure_and_is_told_once():
    group = CAT.groups["an_sinh"]
    values = {"NHA_SO": 412, "NHA_TIEN": 150_007_800, "NHA_DDK_SO": 12, "NHA_DDK_TIEN": 150_000_000,
              "NHA_TN_SO": 400, "NHA_TN_TIEN": 7800}
    mark = Mark(1, "BUDANG", "Huyện Bù Đăng", "có thể ghi theo đồng thay vì triệu đồng",
                frozenset({"NHA_DDK_TIEN", "NHA_TIEN"}))
    first = group_sentences(group, values, CAT, "toàn tỉnh", marks=Marks((mark,)))[0]
    assert first.startswith(
        "xây dựng, sửa chữa 412 căn nhà cho hộ nghèo, gia đình chính sách, hộ khó khăn, tổng trị "
        "giá 150.007,8 tỷ đồng [CẦN KIỂM TRA: Huyện Bù Đăng – có thể ghi theo đồng thay vì triệu "
        "đồng], trong đó 400 căn nhà tình nghĩa")
    assert first.count(mark.text) == 1  # not again at the detail “Đại đoàn kết” trị giá
    assert first.endswith("12 căn nhà “Đại đoàn kết” trị giá 150.000 tỷ đồng")
    # without marks, as before; render_phrase keeps its behaviour
    plain = group_sentences(group, values, CAT, "toàn tỉnh")[0]
    assert MARK not in plain and plain == first.replace(f" {mark.text}", "")
    assert render_phrase(group.sentences[0].text, values, CAT, "") == plain.split(", trong đó")[0]


def test_a_figure_said_outside_the_catalog_sentences_is_marked_too():
    group = CAT.groups["dan_van_kheo"]
    mark = Mark(1, "BUDANG", "Huyện Bù Đăng", "x", frozenset({"MH_TAPTHE"}))
    # a detail reported without its total: said in a clause of its own
    assert _uncovered_clauses(group, {"MH_TAPTHE": 3}, CAT, "", Marks((mark,))) == [
        f"mô hình tập thể: 3 mô hình {mark.text}"]


def test_a_mark_in_the_middle_of_a_phrase_keeps_the_spaces_around_it():
    group = CAT.groups["chinh_quyen"]
    mark = Mark(2, "BUDOP", "Huyện Bù Đốp", "ô E18 ghi “khoảng 30”", frozenset({"TCD_LUOT"}))
    said = group_sentences(group, {"TCD_LUOT": 200, "TCD_NGUOI": 240}, CAT, "",
                           marks=Marks((mark,)))
    assert said == [f"tiếp 200 lượt công dân {mark.text} với 240 người"]


# ------------------------------------------------------------------ Markdown

def test_markdown_sentence_table_and_notice_carry_the_marks(marked):
    c, marks, md, _, _ = marked
    loai, number = mark_of(marks, "MH_LOAI"), mark_of(marks, "not_a_number")
    models = paragraph(md, "Toàn tỉnh đã xây dựng mới")
    assert models.startswith(f"Toàn tỉnh đã xây dựng mới 115 mô hình "
                             f"“Dân vận khéo” {loai.text}, trong đó 55 mô hình tập thể")
    assert models.count(loai.text) == 1
    visits = paragraph(md, "Trong kỳ, các cấp, các ngành đã tiếp")
    assert f"đã tiếp 200 lượt công dân {number.text}" in visits
    assert f"| Tổng số mô hình “Dân vận khéo” xây dựng mới trong kỳ | mô hình | 115 {loai.tag} |" in md
    assert f"| Số lượt tiếp công dân | lượt | 200 {number.tag} |" in md
    assert "| Số người được tiếp | người | 240 |" in md  # unmarked rows stay bare
    notice = md[:md.index("## I.")]
    assert f"Bản dự thảo có {len(marks)} số liệu đánh dấu [CẦN KIỂM TRA]" in notice
    for m in marks:
        assert f"> - {m.tag} {m.unit_name} – {m.brief}" in notice
        assert f"- {m.tag} {m.unit_name} – {m.brief}" in md[md.index("Số liệu chủ yếu"):]


def test_markdown_problems_open_then_accepted_with_the_reason(accepted):
    c, marks, md, _, _ = accepted
    assert "đã phát hiện 1 lỗi, 0 cảnh báo đang mở, 1 đã chấp nhận" in md
    assert f"Tổng số mô hình (95) khác tổng mô hình tập thể và cá nhân (90) (đã chấp nhận: {WHY})" in md
    # accepted: its marks are gone, the other mark stays
    assert len(marks) == 1 and marks.marks[0].finding.rule == "not_a_number"
    models = paragraph(md, "Toàn tỉnh đã xây dựng mới")
    assert MARK not in models
    assert "| 115 |" in md
    assert "Bản dự thảo có 1 số liệu đánh dấu" in md


# ------------------------------------------------------------------ Word

def test_word_marks_are_highlighted_runs_of_their_own(marked):
    c, marks, _, doc, _ = marked
    loai = mark_of(marks, "MH_LOAI")
    highlighted = [r for r in docx_runs(doc) if r.font.highlight_color == WD_COLOR_INDEX.YELLOW
                   and MARK in r.text]
    assert any(r.text == loai.text and r.font.bold for r in highlighted)
    # every mark written is in a highlighted run, nothing else in that run
    for r in docx_runs(doc):
        if MARK in r.text:
            assert r.font.highlight_color == WD_COLOR_INDEX.YELLOW and r.font.bold, r.text
            assert r.text.startswith("[") and r.text.endswith("]"), r.text
    sentence = next(p for p in doc.paragraphs if p.text.startswith("Toàn tỉnh đã xây dựng mới"))
    assert f"115 mô hình “Dân vận khéo” {loai.text}, trong đó" in sentence.text
    # the rest of the sentence keeps the paragraph's own format
    plain = [r for r in sentence.runs if MARK not in r.text]
    assert plain and all(r.font.highlight_color is None and not r.font.bold for r in plain)


def test_word_tables_and_notice(marked):
    c, marks, _, doc, _ = marked
    loai, number = mark_of(marks, "MH_LOAI"), mark_of(marks, "not_a_number")
    figures = next(t for t in doc.tables if t.rows[0].cells[0].text == "Chỉ tiêu")
    row = next(r for r in figures.rows if r.cells[0].text.startswith("Tổng số mô hình"))
    assert row.cells[2].text == f"115\n{loai.tag}"
    units = next(t for t in doc.tables if t.rows[0].cells[0].text == "Đơn vị")
    headers = [cell.text for cell in units.rows[0].cells]
    rows = {r.cells[0].text: [cell.text for cell in r.cells] for r in units.rows[1:]}
    visits = headers.index("Lượt tiếp công dân")
    assert rows["Huyện Bù Đốp"][visits] == f"bị loại: khoảng 30\n{number.tag}"
    assert rows["Huyện Bù Đăng"][headers.index("Tổng số mô hình")] == f"95\n{loai.tag}"
    assert rows["Thành phố Đồng Xoài"][headers.index("Tổng số mô hình")] == "10"
    assert rows["Tổng cộng"][visits] == f"200\n{number.tag}"
    texts = docx_texts(doc)
    assert any(t.startswith("Ô “bị loại”") or "Ô “bị loại”" in t for t in texts)
    notice = [p.text for p in doc.paragraphs[:12]]
    assert f"Bản dự thảo có {len(marks)} số liệu đánh dấu [CẦN KIỂM TRA], cần kiểm tra lại với " \
           "đơn vị trước khi trình ký:" in notice
    for m in marks:
        assert f"{m.tag} {m.unit_name} – {m.brief}" in notice


def test_word_accepted_finding_has_no_mark(accepted):
    _, marks, _, doc, _ = accepted
    text = "\n".join(docx_texts(doc))
    assert "Huyện Bù Đăng – tổng số mô hình" not in text
    assert "1 lỗi, 0 cảnh báo đang mở, 1 đã chấp nhận" in text
    assert marks.marks[0].text in text


def test_highlight_splits_runs_and_keeps_their_format():
    doc = Document()
    p = doc.add_paragraph()
    run = p.add_run("Có 12 [CẦN KIỂM TRA: Huyện A – ghi “x]” sai] và 3 [CẦN KIỂM TRA 2]")
    run.italic = True
    run.add_break()
    run.add_text("dòng sau")
    cell = doc.add_table(rows=1, cols=1).cell(0, 0)
    cell.paragraphs[0].add_run("1.215 [CẦN KIỂM TRA 1]")
    mark = Mark(1, "A", "Huyện A", "ghi “x]” sai", frozenset({"MH_TONG"}))
    assert highlight_marks(doc, Marks((mark,))) == 3
    runs = doc.paragraphs[0].runs
    assert [r.text for r in runs] == ["Có 12 ", mark.text, " và 3 ", "[CẦN KIỂM TRA 2]",
                                      "\ndòng sau"]
    assert all(r.italic for r in runs)
    assert [bool(r.bold) for r in runs] == [False, True, False, True, False]
    assert [r.font.highlight_color for r in runs][1::2] == [WD_COLOR_INDEX.YELLOW] * 2
    cell_runs = cell.paragraphs[0].runs
    assert [r.text for r in cell_runs] == ["1.215 ", "[CẦN KIỂM TRA 1]"]
    assert cell_runs[1].font.highlight_color == WD_COLOR_INDEX.YELLOW


# ------------------------------------------------------------------ workbook

def test_workbook_marks_totals_and_units(marked):
    c, marks, _, _, wb = marked
    loai, number = mark_of(marks, "MH_LOAI"), mark_of(marks, "not_a_number")
    total = cell_of(wb["Tổng hợp"], "MH_TONG")
    assert total.value == 115 and isinstance(total.value, int)  # still a number
    assert fill_of(total) == styles.SUSPECT_FILL
    assert loai.note in total.comment.text and "bu-dang.xlsx" in total.comment.text
    assert "ô E" in total.comment.text
    clean = cell_of(wb["Tổng hợp"], "VB_SO")
    assert clean.comment is None and fill_of(clean) != styles.SUSPECT_FILL
    visits = cell_of(wb["Tổng hợp"], "TCD_LUOT")
    assert visits.value == 200 and number.note in visits.comment.text

    ws = wb["Theo đơn vị"]
    bu_dang = unit_cell(ws, "BUDANG", "MH_TONG")
    assert bu_dang.value == 95 and fill_of(bu_dang) == styles.SUSPECT_FILL
    assert loai.note in bu_dang.comment.text
    dong_xoai = unit_cell(ws, "DONGXOAI", "MH_TONG")
    assert dong_xoai.value == 10 and dong_xoai.comment is None
    rejected = unit_cell(ws, "BUDOP", "TCD_LUOT")
    assert rejected.value == "bị loại: khoảng 30"
    assert rejected.font.i and fill_of(rejected) == styles.REJECTED_FILL
    assert "“khoảng 30” không đọc được là số" in rejected.comment.text
    assert fill_of(unit_cell(ws, "Tổng cộng", "TCD_LUOT")) == styles.SUSPECT_FILL
    form = wb["Biểu tổng hợp"]  # what goes one level up: still the number, marked
    sent = next(r[4] for r in form.iter_rows() if r[2].value == "MH_TONG")
    assert sent.value == 115 and fill_of(sent) == styles.SUSPECT_FILL and sent.comment
    legend = all_workbook_text(wb)
    assert "Ô tô màu cam" in legend and "Ô “bị loại: …”" in legend


def test_checks_sheet_status_impact_and_counts(accepted):
    c, _, _, _, wb = accepted
    ws = wb["Kiểm tra"]
    header = next(r for r in ws.iter_rows() if r[0].value == "STT")
    cols = {cell.value: cell.column - 1 for cell in header}
    assert list(cols)[-2:] == ["Tình trạng", "Ảnh hưởng"]
    rows = [[cell.value for cell in r] for r in ws.iter_rows(min_row=header[0].row + 1)
            if r[0].value]
    status = [r[cols["Tình trạng"]] for r in rows]
    assert status[0] == "Đang mở"  # the open error first
    assert status[1] == f"Đã chấp nhận – {WHY} (van.thu, 09:15 ngày 20/12/2024)"
    assert rows[1][cols["Ảnh hưởng"]] == "12,5%" and rows[0][cols["Ảnh hưởng"]] is None
    assert "1 lỗi, 0 cảnh báo đang mở, 1 đã chấp nhận" in ws["A2"].value
    # accepted: the figure is no longer marked, the rejected value still said
    assert cell_of(wb["Tổng hợp"], "MH_TONG").comment is None
    assert unit_cell(wb["Theo đơn vị"], "BUDOP", "TCD_LUOT").value == "bị loại: khoảng 30"


def test_resolved_findings_come_last_on_the_checks_sheet(marked, tmp_path):
    c = marked[0]
    gone = dataclasses.replace(c.findings[0], status=Status.RESOLVED, message="Đã sửa.")
    c2 = dataclasses.replace(c, resolved=[gone])
    ws = _written(c2, tmp_path)[2]["Kiểm tra"]
    values = [[cell.value for cell in r] for r in ws.iter_rows() if r[0].value]
    last = values[-1]
    assert "Đã sửa." in last and "Đã khắc phục" in last
    assert "1 đã khắc phục" in ws["A2"].value


# ------------------------------------------------------------------ terminal

def test_terminal_totals_marks_and_verdict(marked, accepted):
    c, marks = marked[:2]
    out = terminal(print_summary, c, [])
    loai = mark_of(marks, "MH_LOAI")
    assert f"115 mô hình ⚠ {loai.number}" in out
    assert "Số liệu cần kiểm tra:" in out and loai.text in out
    assert "1/3 đơn vị hợp lệ, 1 đơn vị cần xem lại, 1 đơn vị cần sửa — 1 lỗi, 1 cảnh báo." in out

    c2 = accepted[0]
    # an accepted warning no longer asks Bù Đăng to fix anything
    assert verdict(c2) == "2/3 đơn vị hợp lệ, 1 đơn vị cần sửa"
    out = terminal(print_validation, c2)
    assert "— 1 lỗi, 0 cảnh báo (1 đã chấp nhận)." in out
    assert "đã chấp nhận" in out and WHY in out
    assert "115 mô hình ⚠" not in terminal(print_summary, c2, [])


def test_terminal_shows_file_text_as_text(marked):
    c = marked[0]
    f = dataclasses.replace(c.findings[0], message="Ô ghi “[bold]30[/bold]” không phải số")
    c2 = dataclasses.replace(c, findings=[f, *c.findings[1:]])
    assert "“[bold]30[/bold]”" in terminal(print_validation, c2)


# ------------------------------------------------------------------ the clean sample

def test_the_clean_sample_has_no_mark_anywhere(tmp_path):
    sample = copy_sample(tmp_path / "binh-phuoc")
    result = api.run(sample / "2024", period="2024", config=sample / "dvk.toml")
    c = result.consolidation
    assert not marks_for(c)
    md, doc, wb = _written(c, tmp_path / "out")
    assert MARK not in md
    assert not any(MARK in t for t in docx_texts(doc))
    assert not any(r.font.highlight_color == WD_COLOR_INDEX.YELLOW and r.font.bold
                   for r in docx_runs(doc) if "[CẦN BỔ SUNG]" not in r.text)
    text = all_workbook_text(wb)
    assert MARK not in text and "bị loại" not in text and "Ô tô màu cam" not in text
    out = terminal(print_summary, c, [])
    assert "11/11 đơn vị hợp lệ — 0 lỗi, 0 cảnh báo" in out
    assert "⚠" not in out and "Số liệu cần kiểm tra" not in out
