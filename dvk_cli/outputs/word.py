"""The Word report (bao-cao-<kỳ>.docx): the draft in the Party's document
format (Hướng dẫn 36-HD/VPTW), rendered with docxtpl from templates/bao-cao.docx.

The wording of every figure comes from `report.report_context` — the same
paragraphs the Markdown report prints — so the .md and the .docx never
disagree. This module adds what only the Word document has: the header block
and signature from the `[report]` section of dvk.toml, the period-aware
headings, the tables (main figures, with comparisons when the history store
filled `Consolidation.compare`; units) and the chart.

docxtpl, python-docx and matplotlib are imported inside the functions.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_cli.core.config import Config
from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import atomic_path
from dvk_cli.core.numbers import fmt_figure_number, fmt_money, fmt_number, fmt_percent
from dvk_cli.core.periods import Period
from dvk_cli.core.text import safe_text
from dvk_cli.outputs.issuer import ReportSettings, report_settings, unit_table_codes
from dvk_cli.outputs.report import (
    REJECTED_WORD,
    as_sentence,
    join_vi,
    next_period,
    rejected_text,
    report_context,
    tagged,
)
from dvk_cli.outputs.templating import (
    giatri,
    packaged_template,
    sandboxed_environment,
    template_errors,
)

if TYPE_CHECKING:
    from dvk_cli.aggregation import Consolidation
    from dvk_cli.checks.marks import Marks
    from dvk_cli.core.catalog import Indicator

TEMPLATE_NAME = "bao-cao.docx"
TODO = "[CẦN BỔ SUNG]"
TEXT_WIDTH_CM = 16.5  # A4 with the template's 30 mm / 15 mm side margins
CHART_WIDTH_MM = 150
COMPACT_ABOVE = 6  # tables with more columns get smaller text
COMPACT_HALF_POINTS = 20  # 10 pt
MARK_START = "[CẦN KIỂM TRA"  # what highlight_marks looks for in the rendered runs
TAG_SEP = "\n"  # a figure's tags go under it in a table cell (a line break)
PARAGRAPH = "\a"  # docxtpl: a new paragraph, formatted as the one it is in
# A mark as written, with one level of [brackets] inside it.
_MARK_RE = r"\[CẦN KIỂM TRA(?:[^\[\]]|\[[^\[\]]*\])*\]"

# ------------------------------------------------------------------ wording

def wording(p: Period) -> dict:
    """Period-aware titles and headings, as real reports word them: a year is
    'tổng kết', a half-year or 9 months 'sơ kết', a quarter or month 'kết quả'
    with 'nhiệm vụ trọng tâm' for the next one."""
    nxt = next_period(p)
    plan = (f"nhiệm vụ trọng tâm {nxt}" if p.kind in ("Q", "M")
            else f"phương hướng, nhiệm vụ {nxt}")
    review = {"Y": "tổng kết", "H": "sơ kết", "9M": "sơ kết"}.get(p.kind, "kết quả")
    lead = "Sơ kết" if p.kind == "H" else "Kết quả"
    return {
        "subject": f"{lead} công tác dân vận {p.label}, {plan}",
        "review": review,
        "plan": plan,
        "headings": {
            "results": f"I. KẾT QUẢ CÔNG TÁC DÂN VẬN {p.label.upper()}",
            "limits": "II. HẠN CHẾ, NGUYÊN NHÂN",
            "tasks": f"III. {plan.upper()}",
        },
    }


def _date_line(settings: ReportSettings, year: int) -> str:
    place = settings.place or "……"
    if settings.date:
        d = settings.date
        return f"{place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"
    return f"{place}, ngày … tháng … năm {year}"


def _number_line(settings: ReportSettings) -> str:
    """'Số     -BC/BDVTU' (no colon; the number is left for the văn thư)."""
    number = settings.number or "    "
    return f"Số {number}-{settings.symbol}"


def _recipient_lines(recipients) -> list[str]:
    items = [r.strip().lstrip("-–").strip().rstrip(".,;") for r in recipients]
    items = [r for r in items if r]
    return [f"- {r}{'.' if i == len(items) - 1 else ','}" for i, r in enumerate(items)]


# ------------------------------------------------------------------- tables

def _missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def figures_table(ctx: dict) -> dict:
    """Main figures: the rows of the Markdown table; when the history store
    gave comparisons, the same kỳ trước / cùng kỳ, tăng/giảm and % columns
    (from the context's `compare`, so the .md and .docx show the same)."""
    compare = ctx.get("compare") or {}
    columns = compare.get("columns") or []
    by_code = compare.get("rows") or {}
    headers = ["Kết quả"]
    for col in columns:
        headers += [col["heading"], "Tăng/giảm", "%"]
    rows = []
    for group in ctx["table"]:
        rows.append({"label": group["title"], "bold": True, "unit": "",
                     "cells": [""] * len(headers), "code": ""})
        for r in group["rows"]:
            cells = [TAG_SEP.join(x for x in (r["number"], r["tags"]) if x)]
            entry = by_code.get(r["code"], {})
            for col in columns:
                x = entry.get(col["key"], {})
                cells += [x.get("number", ""), x.get("change", ""), x.get("percent", "")]
            rows.append({"label": ("– " if r["child"] else "") + r["label"], "bold": False,
                         "unit": r["unit"], "cells": cells, "code": r["code"]})
    return {"headers": headers, "rows": rows,
            "comparisons": [col.get("label", col["heading"]) for col in columns]}


def units_table(c: Consolidation, settings: ReportSettings, marks: Marks) -> dict:
    """Units × the chosen indicators: figures with their marks' tags, a value
    that was not used shown as written ("bị loại: khoảng 30")."""
    codes = [code for code in unit_table_codes(c.catalog, settings) if code in c.totals]
    if not codes or not c.units:
        return {"headers": [], "rows": [], "total": [], "codes": [], "blank": False,
                "tagged": False, "rejected": False}
    inds = [c.catalog.indicators[code] for code in codes]
    rows = []
    for unit, info in c.units.items():
        rows.append({"name": safe_text(info.name),  # one line in its cell
                     "cells": [_unit_cell(c, marks, unit, ind) for ind in inds]})
    cells = [cell for row in rows for cell in row["cells"]]
    total = [tagged(fmt_figure_number(c.totals[ind.code], ind), marks.on(ind.code), TAG_SEP)
             for ind in inds]
    return {
        "headers": [ind.short for ind in inds],
        "rows": rows,
        "total": total,
        "codes": codes,
        "blank": "" in cells,
        "tagged": any(MARK_START in cell for cell in (*cells, *total)),
        "rejected": any(cell.startswith(REJECTED_WORD) for cell in cells),
    }


def _unit_cell(c: Consolidation, marks: Marks, unit: str, ind: Indicator) -> str:
    """One unit's figure for the table of units, with its marks' tags; '' when
    the unit did not report it."""
    value = (c.per_unit.at[unit, ind.code]
             if unit in c.per_unit.index and ind.code in c.per_unit.columns else None)
    if value is not None and not _missing(value):
        text = fmt_figure_number(value, ind)
    elif (unit, ind.code) in marks.rejected:
        text = rejected_text(safe_text(marks.rejected[(unit, ind.code)]))
    else:
        return ""
    return tagged(text, marks.on_unit(unit, ind.code), TAG_SEP)


def _units_note(units: dict, workbook: str) -> str:
    notes = []
    if units["blank"]:
        notes.append("Ô để trống: đơn vị không báo cáo chỉ tiêu này.")
    if units["rejected"]:
        notes.append("Ô “bị loại”: giá trị đơn vị ghi không dùng được (ghi như trong báo cáo), "
                     "không được cộng vào tổng.")
    if units["tagged"]:
        notes.append(f"Số liệu có nhãn {MARK_START} …]: xem danh sách ở ghi chú đầu bản dự thảo.")
    notes.append(f"Số liệu chi tiết của từng đơn vị: xem tệp {workbook}.")
    return " ".join(notes)


def _draft_note(ctx: dict) -> list[str]:
    """The paragraphs of the notice at the top of the draft: what it is and
    the findings, then the marks, each in a paragraph of its own."""
    note = (f"Bản dự thảo do dvk tạo tự động từ {ctx['returns']} báo cáo của các đơn vị. "
            f"Đề nghị rà soát số liệu, bổ sung các phần có đánh dấu {TODO} và xóa ghi chú này "
            "trước khi trình ký.")
    if ctx["findings_counts"]:
        note += (f" Khi kiểm tra số liệu đã phát hiện {ctx['findings_counts']} (xem trang Kiểm "
                 f"tra trong tệp {ctx['workbook']}).")
    marks = [ctx["marks_notice"], *(m["item"] for m in ctx["marks"])] if ctx["marks"] else []
    return [note, *marks]


# ------------------------------------------------------------------ context

def docx_context(c: Consolidation, settings: ReportSettings | None = None,
                 marks: Marks | None = None) -> dict:
    """Everything the Word template needs (plain data; the chart is added
    when rendering). Built on `report_context`, so the prose is the .md's.
    `marks`: checks.marks.marks_for(c), when the caller already has them."""
    from dvk_cli.checks.marks import marks_for

    settings = settings or report_settings(c.config or Config(organization=c.organization))
    marks = marks_for(c) if marks is None else marks
    ctx = report_context(c, marks)
    words = wording(c.period)
    by_key = {g["key"]: g for g in ctx["groups"]}

    sections = []
    for i, (key, group) in enumerate(c.catalog.groups.items(), start=1):
        g = by_key.get(key)
        sections.append({
            "key": key,
            "heading": f"{i}. {group.title}",
            "paragraph": g["paragraph"] if g else "",
            "models_sentence": g["models_sentence"] if g else "",
            "todo": "" if g else ("Chưa có số liệu về nội dung này trong báo cáo của các đơn vị; "
                                  "bổ sung đánh giá (nếu có)."),
        })

    figures = figures_table(ctx)
    units = units_table(c, settings, marks)
    n_table = 0
    if figures["rows"]:
        n_table += 1
        figures["caption"] = f"Bảng {n_table}. Số liệu chủ yếu {c.period.label}"
    if units["rows"]:
        n_table += 1
        units["caption"] = f"Bảng {n_table}. Một số chỉ tiêu theo đơn vị {c.period.label}"
        units["note"] = _units_note(units, ctx["workbook"])

    org = c.organization
    ctx.update({
        "header": {
            "superior": settings.superior.upper(),
            "issuing": settings.issuing_body.upper(),
            "number": _number_line(settings),
            "date_line": _date_line(settings, c.period.year),
        },
        "subject": words["subject"],
        "headings": {**words["headings"],
                     "figures": f"{len(sections) + 1}. Số liệu chủ yếu"},
        "intro": as_sentence(f"{org.name} báo cáo {words['review']} công tác dân vận "
                             f"{c.period.label}, {words['plan']} như sau:"),
        "draft_note": _draft_note(ctx),  # paragraphs; joined by PARAGRAPH below
        "sections": sections,
        "figures": figures,
        "units_table": units,
        "chart": None,
        "chart_caption": (f"Biểu đồ 1. Mô hình “Dân vận khéo” xây dựng mới {c.period.label} "
                          "theo lĩnh vực và theo đơn vị"),
        "recipients": _recipient_lines(settings.recipients),
        "signer": {
            "on_behalf": settings.signer_for.upper(),
            "title": settings.signer_title.upper(),
            "name": settings.signer_name,
        },
    })
    ctx = _nfc(ctx)
    # after _nfc, which takes control characters out of the texts
    ctx["draft_note"] = PARAGRAPH.join(ctx["draft_note"])
    return ctx


def _nfc(value: Any) -> Any:
    """NFC text safe to show (core.text.safe_text): no control characters Word's
    XML cannot hold or docxtpl would turn into paragraphs and page breaks
    (\a, \f), no escape sequences or bidi overrides; a line break ("\n", a
    line break in Word) kept where dvk's own texts put one."""
    if isinstance(value, str):
        return safe_text(value, multiline=True)
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


# ---------------------------------------------------------------- rendering

def default_template_path() -> Path:
    """The packaged Word template; from the checkout's templates/ when not installed."""
    return packaged_template(TEMPLATE_NAME)


def _jinja_env():
    import jinja2

    env = sandboxed_environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update({
        "so": fmt_number, "tien": fmt_money, "phantram": fmt_percent, "giatri": giatri,
        "cau": as_sentence, "noi": join_vi,
    })
    return env


def _widths_for(caption: str, ncols: int) -> list[float] | None:
    if caption == "dvk-so-lieu" and ncols >= 3:
        extra = ncols - 2
        if extra == 1:  # the figure column holds a tag "[CẦN KIỂM TRA 12]" on one line
            return [9.0, 2.8, 4.7]
        unit_w = 2.0
        value_w = min(1.9, (TEXT_WIDTH_CM - unit_w - 4.2) / extra)
        return [TEXT_WIDTH_CM - unit_w - extra * value_w, unit_w] + [value_w] * extra
    if caption == "dvk-don-vi" and ncols >= 2:
        first = 4.6
        return [first] + [(TEXT_WIDTH_CM - first) / (ncols - 1)] * (ncols - 1)
    return None


def _fit_tables(document) -> None:
    """Column widths of the generated tables (docxtpl's column loops leave them
    equal): the label column wide, the figures narrow."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    for tbl in document.element.body.iter(qn("w:tbl")):
        tbl_pr = tbl.find(qn("w:tblPr"))
        cap = tbl_pr.find(qn("w:tblCaption")) if tbl_pr is not None else None
        if cap is None:
            continue
        rows = tbl.findall(qn("w:tr"))
        if not rows:
            continue
        ncols = len(rows[0].findall(qn("w:tc")))
        widths = _widths_for(cap.get(qn("w:val")), ncols)
        if not widths:
            continue
        twips = [int(Cm(w).twips) for w in widths]
        grid = tbl.find(qn("w:tblGrid"))
        for col in list(grid):
            grid.remove(col)
        for w in twips:
            col = OxmlElement("w:gridCol")
            col.set(qn("w:w"), str(w))
            grid.append(col)
        for tr in rows:
            for tc, w in zip(tr.findall(qn("w:tc")), twips, strict=False):
                tc_pr = tc.get_or_add_tcPr()
                tc_w = tc_pr.find(qn("w:tcW"))
                if tc_w is None:
                    tc_w = OxmlElement("w:tcW")
                    tc_pr.insert(0, tc_w)
                tc_w.set(qn("w:w"), str(w))
                tc_w.set(qn("w:type"), "dxa")
        layout = tbl_pr.find(qn("w:tblLayout"))
        if layout is None:
            layout = OxmlElement("w:tblLayout")
            tbl_pr.append(layout)
        layout.set(qn("w:type"), "fixed")
        if ncols > COMPACT_ABOVE:
            _compact(tbl, tbl_pr)


def _compact(tbl, tbl_pr) -> None:
    """A wide table (two comparisons): 10 pt text, narrow cell margins."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = tbl_pr.find(qn("w:tblCellMar"))
    if margins is None:
        margins = OxmlElement("w:tblCellMar")
        tbl_pr.append(margins)
    for side in ("left", "right"):
        el = margins.find(qn(f"w:{side}"))
        if el is None:
            el = OxmlElement(f"w:{side}")
            margins.append(el)
        el.set(qn("w:w"), "45")
        el.set(qn("w:type"), "dxa")
    for run in tbl.iter(qn("w:r")):
        r_pr = run.get_or_add_rPr()
        for tag in ("w:sz", "w:szCs"):
            el = r_pr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                r_pr.append(el)
            el.set(qn("w:val"), str(COMPACT_HALF_POINTS))


def update_fields_on_open(document) -> None:
    """Ask Word to update fields (page numbers, a table of contents) on opening."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = document.settings.element
    el = settings.find(qn("w:updateFields"))
    if el is None:
        el = OxmlElement("w:updateFields")
        settings.append(el)
    el.set(qn("w:val"), "true")


def highlight_marks(document, marks: Marks | None = None) -> int:
    """Put every mark ("[CẦN KIỂM TRA …]") of the rendered document in a run of
    its own, bold on yellow, the rest of the run's text keeping its format
    (paragraphs of the body and of table cells). `marks`: their texts are found
    whole even when a brief holds a "]". Returns the number of marks found."""
    from docx.oxml.ns import qn

    pattern = _mark_pattern(marks)
    found = 0
    for run in list(document.element.body.iter(qn("w:r"))):
        if any(MARK_START in (t.text or "") for t in run.iter(qn("w:t"))):
            found += _split_run(run, pattern)
    return found


def _mark_pattern(marks: Marks | None) -> re.Pattern:
    # as rendered: report_context made every text safe and one line
    known = {safe_text(text) for m in (marks or ()) for text in (m.text, m.tag)}
    longest_first = sorted(known, key=len, reverse=True)
    return re.compile("(" + "|".join([*map(re.escape, longest_first), _MARK_RE]) + ")")


def _split_run(run, pattern: re.Pattern) -> int:
    """Replace `run` by runs of its text and of each mark in it; returns the marks."""
    plain, found = None, 0
    for is_mark, element in _run_content(run, pattern):
        if is_mark:
            _emphasised(_sibling_run(run)).append(element)
            plain, found = None, found + 1
            continue
        if plain is None:
            plain = _sibling_run(run)
        plain.append(element)
    run.getparent().remove(run)
    return found


def _run_content(run, pattern: re.Pattern):
    """The run's content in order, as (is a mark, element): its texts cut at
    the marks, its other elements (line breaks, tabs…) as they are."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for child in list(run):
        if child.tag == qn("w:rPr"):
            continue
        if child.tag != qn("w:t"):
            yield False, child
            continue
        for i, piece in enumerate(pattern.split(child.text or "")):
            if piece:
                t = OxmlElement("w:t")
                t.text = piece
                t.set(qn("xml:space"), "preserve")
                yield bool(i % 2), t


def _sibling_run(run):
    """A new empty run before `run`, formatted as it is."""
    from copy import deepcopy

    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    new = OxmlElement("w:r")
    props = run.find(qn("w:rPr"))
    if props is not None:
        new.append(deepcopy(props))
    run.addprevious(new)
    return new


def _emphasised(run):
    """Bold on yellow: how a mark stands out of the text."""
    from docx.enum.text import WD_COLOR_INDEX
    from docx.text.font import Font

    font = Font(run)
    font.bold = True
    font.highlight_color = WD_COLOR_INDEX.YELLOW
    return run


def _rich_rows(tpl, rows: list[dict]) -> list[dict]:
    from docxtpl import RichText

    return [{**row, "label": RichText(row["label"], bold=row["bold"])} for row in rows]


def _load_template(path: Path):
    import zipfile

    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate

    if not path.is_file():
        raise UsageError(f"Không tìm thấy mẫu báo cáo Word “{path}”.")
    tpl = DocxTemplate(str(path))
    try:
        tpl.init_docx()
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise UsageError(f"Mẫu báo cáo “{path}” không phải tệp Word (.docx) hợp lệ.") from exc
    return tpl


def render_docx(c: Consolidation, settings: ReportSettings | None = None,
                template_path: Path | None = None):
    """The rendered report as a python-docx Document (not saved)."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    from dvk_cli.checks.marks import marks_for
    from dvk_cli.outputs.chart import models_chart

    settings = settings or report_settings(c.config or Config(organization=c.organization))
    path = Path(template_path or settings.template or default_template_path())
    tpl = _load_template(path)
    marks = marks_for(c)
    context = docx_context(c, settings, marks)
    context["figures"] = {**context["figures"],
                          "rows": _rich_rows(tpl, context["figures"]["rows"])}
    with tempfile.TemporaryDirectory(prefix="dvk-") as tmp:
        chart = models_chart(c, Path(tmp) / "bieu-do.png")
        if chart is not None:
            context["chart"] = InlineImage(tpl, str(chart), width=Mm(CHART_WIDTH_MM))
        with template_errors(path.name, word=True):
            tpl.render(context, _jinja_env(), autoescape=True)
    document = tpl.docx
    _fit_tables(document)
    highlight_marks(document, marks)
    update_fields_on_open(document)
    props = document.core_properties
    props.title = context["subject"]
    props.author = safe_text(c.organization.name)  # core.xml holds no control character
    props.comments = "Dự thảo do dvk tạo"
    now = dt.datetime.now().replace(microsecond=0)
    props.created = props.modified = now
    return document


def write_docx_report(c: Consolidation, path: Path | str, settings: ReportSettings | None = None,
                      template_path: Path | None = None) -> Path:
    """Render and write bao-cao-<kỳ>.docx atomically; returns the path written."""
    document = render_docx(c, settings, template_path)
    target = Path(path)
    with atomic_path(target) as tmp:
        document.save(str(tmp))
    return target
