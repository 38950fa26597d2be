"""Build templates/bao-cao.docx, the Word template of the report (docxtpl).

The template follows the Party's document format (Hướng dẫn 36-HD/VPTW, 2018):
A4, Times New Roman, the header table (superior body, issuing body, "*",
number line | "ĐẢNG CỘNG SẢN VIỆT NAM" over a rule, place and date), "BÁO CÁO",
the subject line, a 14 pt justified body with a first-line indent, "Nơi nhận:"
and the signature block.

Every Jinja tag is written as one run, with straight quotes, so that no tag is
ever split across Word runs; the file stays editable in Word (styles "Heading 1",
"Heading 2" and the "DVK …" styles carry the formatting). The zip is written
with fixed timestamps, so running this script again gives the same bytes:

    python scripts/make_docx_template.py        # writes templates/bao-cao.docx
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from dvk_cli.outputs.word import update_fields_on_open

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "templates" / "bao-cao.docx"

FONT = "Times New Roman"
TEXT_WIDTH_CM = 16.5  # A4 210 mm - left 30 mm - right 15 mm
LEFT_COL_CM, RIGHT_COL_CM = 8.0, 8.5  # the header table
PARTY_LINE_CM = 6.0  # the rule under "ĐẢNG CỘNG SẢN VIỆT NAM" (the text is 6.5 cm)
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


# ------------------------------------------------------------------ helpers

def _set_fonts(rpr_parent, name: str = FONT) -> None:
    """Explicit fonts for every script (no theme fonts, which would win)."""
    rpr = rpr_parent.get_or_add_rPr() if hasattr(rpr_parent, "get_or_add_rPr") else rpr_parent
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _style_font(style, size: float, bold: bool = False, italic: bool = False) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = italic
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(style.element)


def _paragraph_style(doc, name: str, *, size: float = 14, bold: bool = False,
                     italic: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER,
                     indent_cm: float = 0, after: float = 0, before: float = 0,
                     base: str = "Normal"):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, 1)
    style.base_style = styles[base]
    style.quick_style = True
    _style_font(style, size, bold, italic)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Cm(indent_cm)
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(before)
    return style


def _par(container, runs, style: str | None = None, align=None):
    """A paragraph of runs: each (text, {bold, italic, size, underline, highlight})."""
    p = container.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    _add_runs(p, runs)
    return p


def _add_runs(p, runs) -> None:
    for item in runs:
        text, fmt = (item, {}) if isinstance(item, str) else item
        run = p.add_run(text)
        run.bold = fmt.get("bold")
        run.italic = fmt.get("italic")
        if "size" in fmt:
            run.font.size = Pt(fmt["size"])
        if fmt.get("underline"):
            run.underline = True
        if fmt.get("highlight"):
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _tag(container, tag: str):
    """A paragraph holding only a docxtpl paragraph tag ({%p … %}); removed on render."""
    return _par(container, [tag], style="Normal")


def _first_cell_paragraph(cell):
    p = cell.paragraphs[0]
    return p


def _cell_par(cell, runs, style: str, first: bool = False):
    if first:
        p = _first_cell_paragraph(cell)
        p.style = cell.part.document.styles[style]
        _add_runs(p, runs)
        return p
    return _par(cell, runs, style=style)


def _column_loop(cells, loop: str, style: str) -> None:
    """Three cells that docxtpl turns into one column per item: {%tc for … %}, the item, endfor."""
    var = loop.split(" in ")[0].strip()
    for cell, text in zip(cells, ("{%tc for " + loop + " %}", "{{ " + var + " }}", "{%tc endfor %}"),
                          strict=True):
        _cell_par(cell, [text], style, first=True)


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _caption(table, text: str) -> None:
    """Alt-text title (w:tblCaption): lets dvk find the table after rendering."""
    el = OxmlElement("w:tblCaption")
    el.set(qn("w:val"), text)
    table._tbl.tblPr.append(el)


def _widths(table, widths_cm) -> None:
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)


def _bottom_rule(paragraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    p_pr.append(bdr)


def _cant_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    tr_pr.append(el)


def _page_number_header(doc, section) -> None:
    """Page numbers at the top centre, from page 2 (a PAGE field)."""
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.style = doc.styles["DVK Căn giữa"]
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), " PAGE ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    fld.append(run)
    p._p.append(fld)




def _doc_defaults(doc) -> None:
    """Times New Roman and Vietnamese proofing language as the document defaults."""
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "en-US")
    lang.set(qn("w:bidi"), "ar-SA")


# ----------------------------------------------------------------- document

def build() -> Document:
    doc = Document()
    _doc_defaults(doc)

    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)

    normal = doc.styles["Normal"]
    _style_font(normal, 14)
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = Cm(1)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.15
    fmt.widow_control = True

    for name in ("Heading 1", "Heading 2"):
        h = doc.styles[name]
        _style_font(h, 14, bold=True)
        hf = h.paragraph_format
        hf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        hf.first_line_indent = Cm(1)
        hf.space_before = Pt(6)
        hf.space_after = Pt(6)
        hf.line_spacing = 1.15
        hf.keep_with_next = True

    _paragraph_style(doc, "DVK Căn giữa")
    _paragraph_style(doc, "DVK Tiêu đề", size=16, bold=True, before=12)
    _paragraph_style(doc, "DVK Trích yếu", bold=True)
    _paragraph_style(doc, "DVK Bảng", size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph_style(doc, "DVK Bảng tiêu đề", size=12, bold=True)
    _paragraph_style(doc, "DVK Bảng số", size=12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph_style(doc, "DVK Chú thích", size=12, italic=True, after=6, before=3)
    _paragraph_style(doc, "DVK Nơi nhận", size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph_style(doc, "DVK Dự thảo", size=12, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                     after=6)
    _page_number_header(doc, section)

    # -- header table: the issuing body | the Party's name, place and date
    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(head)
    _caption(head, "dvk-tieu-de")
    _widths(head, [LEFT_COL_CM, RIGHT_COL_CM])
    left, right = head.rows[0].cells
    _cell_par(left, ["{{ header.superior }}"], "DVK Căn giữa", first=True)
    _cell_par(left, [("{{ header.issuing }}", {"bold": True})], "DVK Căn giữa")
    _cell_par(left, ["*"], "DVK Căn giữa")
    _cell_par(left, ["{{ header.number }}"], "DVK Căn giữa")
    party = _cell_par(right, [("ĐẢNG CỘNG SẢN VIỆT NAM", {"bold": True, "size": 15})],
                      "DVK Căn giữa", first=True)
    party.paragraph_format.keep_with_next = True
    # the rule under it: an empty paragraph, 2 pt high, with a bottom border
    rule = _cell_par(right, [""], "DVK Căn giữa")
    _bottom_rule(rule)
    inset = (RIGHT_COL_CM - 0.38 - PARTY_LINE_CM) / 2
    fmt = rule.paragraph_format
    fmt.left_indent = fmt.right_indent = Cm(inset)
    fmt.line_spacing = Pt(2)
    date = _cell_par(right, [("{{ header.date_line }}", {"italic": True})], "DVK Căn giữa")
    date.paragraph_format.space_before = Pt(8)

    # -- title and subject
    _par(doc, ["BÁO CÁO"], style="DVK Tiêu đề")
    _par(doc, ["{{ subject }}"], style="DVK Trích yếu")
    _par(doc, ["-----"], style="DVK Căn giữa").paragraph_format.space_after = Pt(12)

    _tag(doc, "{%p if draft_note %}")
    _par(doc, [("{{ draft_note }}", {"highlight": True})], style="DVK Dự thảo")
    _tag(doc, "{%p endif %}")
    _par(doc, ["{{ intro }}"])

    # -- I. results, by group of the catalog
    _par(doc, ["{{ headings.results }}"], style="Heading 1")
    _tag(doc, "{%p for s in sections %}")
    _par(doc, ["{{ s.heading }}"], style="Heading 2")
    _tag(doc, "{%p if s.paragraph %}")
    _par(doc, ["{{ s.paragraph }}"])
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if s.models_sentence %}")
    _par(doc, ["{{ s.models_sentence }}"])
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if s.todo %}")
    _par(doc, [("[CẦN BỔ SUNG] ", {"bold": True, "highlight": True}),
               ("{{ s.todo }}", {"highlight": True})])
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")

    # -- main figures: status, table of figures, table of units, chart
    _par(doc, ["{{ headings.figures }}"], style="Heading 2")
    _tag(doc, "{%p for s in reporting_status %}")
    _tag(doc, "{%p if s.todo %}")
    _par(doc, [("[CẦN BỔ SUNG] ", {"bold": True, "highlight": True}),
               ("{{ s.text }}", {"highlight": True})])
    _tag(doc, "{%p else %}")
    _par(doc, ["{{ s.text }}"])
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")

    _tag(doc, "{%p if figures.rows %}")
    _par(doc, ["{{ figures.caption }}"], style="DVK Chú thích")
    fig = doc.add_table(rows=4, cols=5, style="Table Grid")
    fig.alignment = WD_TABLE_ALIGNMENT.CENTER
    _caption(fig, "dvk-so-lieu")
    _widths(fig, [8.0, 3.0, 0.5, 4.5, 0.5])
    hdr = fig.rows[0].cells
    _cell_par(hdr[0], ["Chỉ tiêu"], "DVK Bảng tiêu đề", first=True)
    _cell_par(hdr[1], ["Đơn vị tính"], "DVK Bảng tiêu đề", first=True)
    _column_loop(hdr[2:5], "h in figures.headers", "DVK Bảng tiêu đề")
    _repeat_header(fig.rows[0])
    _cell_par(fig.rows[1].cells[0], ["{%tr for row in figures.rows %}"], "DVK Bảng", first=True)
    body = fig.rows[2].cells
    _cell_par(body[0], ["{{r row.label }}"], "DVK Bảng", first=True)
    _cell_par(body[1], ["{{ row.unit }}"], "DVK Bảng", first=True)
    body[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _column_loop(body[2:5], "v in row.cells", "DVK Bảng số")
    _cell_par(fig.rows[3].cells[0], ["{%tr endfor %}"], "DVK Bảng", first=True)
    _tag(doc, "{%p endif %}")

    _tag(doc, "{%p if units_table.rows %}")
    _par(doc, ["{{ units_table.caption }}"], style="DVK Chú thích")
    ut = doc.add_table(rows=5, cols=4, style="Table Grid")
    ut.alignment = WD_TABLE_ALIGNMENT.CENTER
    _caption(ut, "dvk-don-vi")
    _widths(ut, [5.0, 0.5, 10.5, 0.5])
    hdr = ut.rows[0].cells
    _cell_par(hdr[0], ["Đơn vị"], "DVK Bảng tiêu đề", first=True)
    _column_loop(hdr[1:4], "h in units_table.headers", "DVK Bảng tiêu đề")
    _repeat_header(ut.rows[0])
    _cell_par(ut.rows[1].cells[0], ["{%tr for row in units_table.rows %}"], "DVK Bảng", first=True)
    body = ut.rows[2].cells
    _cell_par(body[0], ["{{ row.name }}"], "DVK Bảng", first=True)
    _column_loop(body[1:4], "v in row.cells", "DVK Bảng số")
    _cell_par(ut.rows[3].cells[0], ["{%tr endfor %}"], "DVK Bảng", first=True)
    total = ut.rows[4].cells
    _cell_par(total[0], [("Tổng cộng", {"bold": True})], "DVK Bảng", first=True)
    _cell_par(total[1], ["{%tc for v in units_table.total %}"], "DVK Bảng số", first=True)
    _cell_par(total[2], [("{{ v }}", {"bold": True})], "DVK Bảng số", first=True)
    _cell_par(total[3], ["{%tc endfor %}"], "DVK Bảng số", first=True)
    _par(doc, ["{{ units_table.note }}"], style="DVK Chú thích")
    _tag(doc, "{%p endif %}")

    _tag(doc, "{%p if chart %}")
    _par(doc, ["{{ chart }}"], style="DVK Căn giữa").paragraph_format.keep_with_next = True
    _par(doc, ["{{ chart_caption }}"], style="DVK Chú thích")
    _tag(doc, "{%p endif %}")

    # -- II. and III.: what the figures cannot write
    _par(doc, ["{{ headings.limits }}"], style="Heading 1")
    _par(doc, [("[CẦN BỔ SUNG] ", {"bold": True, "highlight": True}),
               ("{{ placeholders.limits }}", {"highlight": True})])
    _par(doc, ["{{ headings.tasks }}"], style="Heading 1")
    last = _par(doc, [("[CẦN BỔ SUNG] ", {"bold": True, "highlight": True}),
                      ("{{ placeholders.tasks }}", {"highlight": True})])
    # the last paragraph goes with the signature (never a signature alone on a
    # page), 12 pt above the block
    last.paragraph_format.keep_with_next = True
    last.paragraph_format.space_after = Pt(12)

    # -- recipients | signature: one row that cannot split, "Nơi nhận:" level
    # with the first line of the signature (no space above either)
    sign = doc.add_table(rows=1, cols=2)
    sign.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(sign)
    _caption(sign, "dvk-chu-ky")
    _widths(sign, [LEFT_COL_CM, RIGHT_COL_CM])
    _cant_split(sign.rows[0])  # recipients and signature stay on one page
    left, right = sign.rows[0].cells
    _cell_par(left, [("Nơi nhận", {"underline": True, "size": 14}), (":", {"size": 14})],
              "DVK Nơi nhận", first=True)
    _tag(left, "{%p for r in recipients %}")
    _par(left, ["{{ r }}"], style="DVK Nơi nhận")
    _tag(left, "{%p endfor %}")
    _cell_par(right, ["{%p if signer.on_behalf %}"], "DVK Căn giữa", first=True)
    _par(right, [("{{ signer.on_behalf }}", {"bold": True})], style="DVK Căn giữa")
    _tag(right, "{%p endif %}")
    # the title right under "K/T TRƯỞNG BAN", no blank line between them
    _par(right, [("{{ signer.title }}", {"bold": True})], style="DVK Căn giữa")
    for _ in range(3):  # room for the signature
        _par(right, [""], style="DVK Căn giữa")
    _par(right, [("{{ signer.name }}", {"bold": True})], style="DVK Căn giữa")

    update_fields_on_open(doc)
    props = doc.core_properties
    props.title = "Báo cáo công tác dân vận (mẫu của dvk)"
    props.author = "dvk"
    props.last_modified_by = "dvk"
    props.comments = "Mẫu báo cáo Word của dvk (docxtpl): các thẻ Jinja được thay khi chạy dvk report."
    from datetime import datetime

    props.created = props.modified = datetime(2024, 1, 1)
    props.revision = 1
    return doc


def _reproducible_zip(data: bytes) -> bytes:
    """The same .docx with fixed timestamps and order, so rebuilding gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def template_bytes() -> bytes:
    buffer = io.BytesIO()
    build().save(buffer)
    return _reproducible_zip(buffer.getvalue())


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.write_bytes(template_bytes())
    print(f"Đã ghi {out}")


if __name__ == "__main__":
    main(sys.argv)
