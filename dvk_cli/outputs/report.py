"""The narrative report: a Vietnamese Markdown draft written from a
consolidation with a Jinja template (templates/bao-cao.md.j2 by default).

Every phrase about a figure comes from the catalog's ``sentences`` (mini-syntax:
"{CODE}" a formatted value, "{area}" the area word, "[ … ]" an optional part
left out when one of its codes is missing). Nothing here names an indicator
code: a clause for an indicator nobody reported never appears, and a missing
figure is never written as 0.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_cli.core.config import Config
from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import write_text_atomic
from dvk_cli.core.findings import SEVERITY_LABEL, SEVERITY_ORDER, Status
from dvk_cli.core.numbers import fmt_figure, fmt_figure_number, fmt_money, fmt_number, fmt_percent
from dvk_cli.core.periods import Period
from dvk_cli.core.text import join_vi, safe_text, shown_time
from dvk_cli.outputs.names import workbook_name
from dvk_cli.outputs.templating import (
    giatri,
    packaged_template,
    sandboxed_environment,
    template_errors,
)

if TYPE_CHECKING:
    import jinja2

    from dvk_cli.aggregation import Consolidation
    from dvk_cli.checks.marks import Mark, Marks
    from dvk_cli.core.catalog import Catalog, Group, Indicator, Sentence
    from dvk_cli.core.findings import Finding

TEMPLATE_NAME = "bao-cao.md.j2"
MAX_NAMED_MODELS = 10  # exemplary models named in prose; the rest are counted
MAX_FINDINGS_LISTED = 200  # beyond this the workbook's sheet Kiểm tra has them all

_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_AREA = "area"


# ------------------------------------------------------------------ phrases

def _present(values: Mapping[str, Any], code: str) -> bool:
    v = values.get(code)
    if v is None:
        return False
    try:
        return not math.isnan(float(v))
    except (TypeError, ValueError):
        return False


def _split_optional(text: str) -> list[tuple[str, bool]]:
    """Split a phrase into (part, optional) pieces at its [square brackets]."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    while pos < len(text):
        start = text.find("[", pos)
        if start < 0:
            parts.append((text[pos:], False))
            break
        end = text.find("]", start + 1)
        if end < 0 or "[" in text[start + 1:end]:
            raise ValueError(f"catalog: unbalanced [ ] in phrase {text!r}")
        if start > pos:
            parts.append((text[pos:start], False))
        parts.append((text[start + 1:end], True))
        pos = end + 1
    if any("]" in part for part, _ in parts):
        raise ValueError(f"catalog: unbalanced [ ] in phrase {text!r}")
    return parts


def _placeholders(text: str, catalog: Catalog) -> list[str]:
    """Indicator codes used by a piece of phrase ("{area}" excluded)."""
    codes = []
    for name in _PLACEHOLDER_RE.findall(text):
        name = name.strip()
        if name == _AREA:
            continue
        if name not in catalog.indicators:
            raise ValueError(f"catalog: phrase uses unknown code {{{name}}}")
        codes.append(name)
    return codes


# A piece of a rendered phrase: its text and the codes whose values it shows.
_Piece = tuple[str, list[str]]


def _pieces(text: str, values: Mapping[str, Any], catalog: Catalog,
            area: str, clause: Callable[[str], str | None] | None = None,
            ) -> list[_Piece] | None:
    """A phrase's parts (main text and [bracketed] parts) filled with values,
    each with the codes it shows; None when a code outside brackets is missing.

    `clause(code)` gives a comparison for the phrase's headline figure (the
    first outside [brackets]); it is put in parentheses after that part.
    """
    out: list[_Piece] = []
    for part, optional in _split_optional(text):
        codes = _placeholders(part, catalog)
        missing = [c for c in codes if not _present(values, c)]
        if missing:
            if optional:
                continue
            return None

        def repl(m: re.Match) -> str:
            name = m.group(1).strip()
            if name == _AREA:
                return area
            ind = catalog.indicators[name]
            return fmt_figure(values[name], ind, unit=False)

        filled = _PLACEHOLDER_RE.sub(repl, part)
        if clause is not None and codes and not optional:
            filled = _with_clause(filled, clause(codes[0]))
            clause = None
        out.append((filled, codes))
    return out


def _joined(pieces: list[_Piece], marker: _SentenceMarks | None = None) -> str:
    """The pieces as one text; with a marker, each piece ends with the marks
    of its figures not yet told in the sentence."""
    if marker is None:
        return "".join(text for text, _ in pieces)
    return "".join(_with_marks(text, marker.take(codes)) for text, codes in pieces)


class _SentenceMarks:
    """The marks of one sentence: each mark is told once, after the first
    piece that shows a figure it touches."""

    def __init__(self, marks: Marks) -> None:
        self.marks = marks
        self.told: set[int] = set()

    def take(self, codes: list[str]) -> list[str]:
        """Texts of the marks on `codes` not told yet in this sentence."""
        texts = []
        for code in codes:
            for mark in self.marks.on(code):
                if mark.number not in self.told:
                    self.told.add(mark.number)
                    texts.append(mark.text)
        return texts


def _with_marks(text: str, marks: list[str]) -> str:
    """'… 150.007,8 tỷ đồng' + marks -> '… 150.007,8 tỷ đồng [CẦN KIỂM TRA: …]',
    before the piece's trailing spaces."""
    if not marks:
        return text
    stripped = text.rstrip()
    return f"{stripped} {' '.join(marks)}{text[len(stripped):]}"


def _with_clause(text: str, clause: str | None) -> str:
    """'… mô hình “Dân vận khéo”' + clause -> '… (tăng 128 mô hình, 11,8% so với năm 2023)';
    a part already ending in parentheses takes the clause inside them."""
    if not clause:
        return text
    stripped = text.rstrip()
    if stripped.endswith(")"):
        return f"{stripped[:-1]}; {clause}){text[len(stripped):]}"
    return f"{stripped} ({clause}){text[len(stripped):]}"


def render_phrase(text: str, values: Mapping[str, float | int], catalog: Catalog,
                  area: str) -> str | None:
    """Fill a catalog phrase with formatted values.

    "{CODE}" becomes the value formatted for its type (counts bare, money,
    lengths and percentages with their unit); "{area}" becomes `area`. A part
    in [brackets] is left out when one of its codes is missing; None is
    returned when a code outside brackets is missing (nobody reported it).
    """
    pieces = _pieces(text, values, catalog, area)
    return None if pieces is None else _joined(pieces)


def _sentence(sentence: Sentence, values: Mapping[str, Any], catalog: Catalog,
              area: str, clause: Callable[[str], str | None] | None = None,
              marks: Marks | None = None) -> tuple[str | None, set[str]]:
    """One catalog sentence with its details, and the codes it accounts for
    (shown, or deliberately left out because every value was 0). With
    `marks`, each mark on a figure shown is told once, after the piece where
    its first figure appears."""
    main = _pieces(sentence.text, values, catalog, area, clause)
    if main is None:
        return None, set()
    covered = {code for _, codes in main for code in codes}
    details: list[list[_Piece]] = []
    for detail in sentence.details:
        pieces = _pieces(detail, values, catalog, area)
        if pieces is None:
            continue
        present = [c for c in _placeholders(detail, catalog) if _present(values, c)]
        covered.update(present)
        if present and all(float(values[c]) == 0 for c in present):
            continue
        details.append(pieces)
    marker = _SentenceMarks(marks) if marks else None
    text = _joined(main, marker)
    if details:
        said = [_joined(pieces, marker) for pieces in details]
        text = f"{text}, {sentence.detail_intro} {sentence.detail_sep.join(said)}"
    return text, covered


def group_sentences(group: Group, values: Mapping[str, float | int], catalog: Catalog,
                    area: str, clause: Callable[[str], str | None] | None = None,
                    marks: Marks | None = None) -> list[str]:
    """The group's catalog sentences that can be said with the values given.

    A sentence is dropped when a code of its main text is missing; a detail is
    dropped when a code is missing or when all its values are 0. Details are
    joined with the sentence's detail_sep after ", <detail_intro> ". With
    `marks` (from checks.marks.marks_for), a figure that includes a suspect
    value carries its mark ("[CẦN KIỂM TRA: <đơn vị> – <ngắn gọn>]").
    """
    out = []
    for sentence in group.sentences:
        text, _ = _sentence(sentence, values, catalog, area, clause, marks)
        if text is not None:
            out.append(text)
    return out


def _uncovered_clauses(group: Group, values: Mapping[str, Any], catalog: Catalog,
                       area: str, marks: Marks | None = None) -> list[str]:
    """Plain clauses for reported, non-zero figures no rendered sentence shows
    (e.g. a detail reported while its total was left empty): a figure that
    units reported is never silently left out of the prose."""
    covered: set[str] = set()
    for sentence in group.sentences:
        covered |= _sentence(sentence, values, catalog, area)[1]
    clauses = []
    for ind in catalog.in_group(group.key):
        if ind.code in covered or not _present(values, ind.code) or float(values[ind.code]) == 0:
            continue
        clause = f"{_lower_first(ind.label)}: {fmt_figure(values[ind.code], ind)}"
        told = [m.text for m in marks.on(ind.code)] if marks else []
        clauses.append(_with_marks(clause, told))
    return clauses


# ------------------------------------------------------------- text helpers

def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def capitalize_first(text: str) -> str:
    """Upper-case the first letter only ("toàn tỉnh …" -> "Toàn tỉnh …");
    str.capitalize would lower-case the rest (“Dân vận khéo”). Text that
    starts with a number stays as it is ("6 tháng đầu năm 2023")."""
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1:]
        if ch.isdigit():
            return text
    return text


def as_sentence(text: str) -> str:
    """Capitalised, ending with a full stop (unless it already ends a sentence)."""
    text = capitalize_first(str(text).strip())
    if text and text[-1] not in ".!?…:":
        text += "."
    return text


def _quoted(name: str) -> str:
    return "“" + name.strip().strip("“”\"'").strip() + "”"


# ----------------------------------------------------------------- Markdown
# Every value a template prints with {{ … }} is data (a unit name from a
# return, a file name, a finding's message): `md_text` makes it one line of
# plain text in Markdown, so that "*đậm*", "# Tiêu đề", "[x](http://…)",
# "<b>" or "a | b" are shown as written and never become emphasis, a heading,
# a link, HTML or a table column. Normal Vietnamese text (parentheses,
# dashes, commas, dots, “quotes”, %) is left as it is. dvk's own tags
# "[CẦN KIỂM TRA …]" and "[CẦN BỔ SUNG]" keep their brackets unescaped.


class MdText(str):
    """Text already written as Markdown (the `o_bang` filter's output): the
    template prints it without escaping it again."""


_MD_SPECIAL = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)|[*_`~<>|\[\]]|&(?=#?\w+;)")
# What a line starting with the text would turn into: a heading, a list item,
# a setext underline or a thematic break.
_MD_LINE_START = re.compile(r"^(\s*)(#|[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|=+\s*$|-+\s*$)")
_DVK_TAGS = ("[CẦN KIỂM TRA", "[CẦN BỔ SUNG")


def _md_plain(text: str) -> str:
    def escape(m: re.Match) -> str:
        i = m.start()
        if (m.group() == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum()
                and text[i + 1].isalnum()):
            return "_"  # inside a word ("ten_tep") "_" is never emphasis: kept
        return "\\" + m.group()

    return _MD_SPECIAL.sub(escape, text)


def _dvk_tag_end(text: str, start: int) -> int:
    """The index after the "]" closing the dvk tag at `start` ("[" … "]", with
    brackets inside balanced), or -1 when it is not closed."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "[":
            depth += 1
        elif text[i] == "]":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def md_text(value: object) -> str:
    """`value` as one line of Markdown that shows exactly its text."""
    text = safe_text(value)
    out = []
    pos = 0
    while pos < len(text):
        starts = [i for i in (text.find(tag, pos) for tag in _DVK_TAGS) if i >= 0]
        start = min(starts, default=-1)
        end = _dvk_tag_end(text, start) if start >= 0 else -1
        if end < 0:
            out.append(_md_plain(text[pos:]))
            break
        out.append(_md_plain(text[pos:start]))
        closing = "\\]" if text[end:end + 1] in ("(", "[", ":") else "]"  # no link after it
        out.append("[" + _md_plain(text[start + 1:end - 1]) + closing)
        pos = end
    escaped = "".join(out)
    m = _MD_LINE_START.match(escaped)
    if m:
        lead, mark = m.group(1), m.group(2)
        at = m.end() if mark.isdigit() else len(lead)  # "1\\. …", "\\# …"
        escaped = f"{escaped[:at]}\\{escaped[at:]}"
    return escaped


def md_finalize(value: Any) -> Any:
    """Jinja `finalize` of the Markdown report: what {{ … }} prints."""
    if isinstance(value, MdText) or value is None or isinstance(value, (bool, int, float)):
        return value
    return md_text(value)


def _md_cell(text: object) -> MdText:
    """The filter `o_bang`: a table cell (md_text escapes "|" too)."""
    return MdText(md_text(text))


def next_period(p: Period) -> str:
    """Label of the period the 'phương hướng, nhiệm vụ' section is about."""
    if p.kind == "Y":
        return Period(p.year + 1, "Y").label
    if p.kind == "H":
        return Period(p.year, "H", 2).label if p.index == 1 else Period(p.year + 1, "H", 1).label
    if p.kind == "Q":
        return (Period(p.year, "Q", p.index + 1) if p.index < 4
                else Period(p.year + 1, "Q", 1)).label
    if p.kind == "9M":
        return f"3 tháng cuối năm {p.year}"
    return (Period(p.year, "M", p.index + 1) if p.index < 12 else Period(p.year + 1, "M", 1)).label


# ------------------------------------------------------------------ context

def _indicator_dict(ind: Indicator, value, reporting: int, marks: tuple[Mark, ...] = ()) -> dict:
    number = fmt_figure_number(value, ind)
    return {
        "code": ind.code,
        "label": ind.label,
        "short": ind.short,
        "unit": ind.unit,
        "type": ind.type,
        "computed": ind.computed,
        "child": bool(ind.parent),
        "value": value,
        "number": number,  # the figure alone, Vietnamese notation ("1.520")
        "text": fmt_figure(value, ind, unit=False),  # as in prose ("1,52 tỷ đồng")
        "reporting": reporting,
        "marks": [m.number for m in marks],  # marks of the figure (numbers)
        "tags": _tags(marks),  # "[CẦN KIỂM TRA 1]", "" when the figure has no mark
        "cell": tagged(number, marks),  # a table cell: the figure and its tags
    }


def tagged(text: str, marks: tuple[Mark, ...], sep: str = " ") -> str:
    """A table cell: '150.007,8 [CẦN KIỂM TRA 3]' (the text alone without marks);
    `sep` between the figure and its tags."""
    return sep.join([text, _tags(marks)]) if marks else text


def _tags(marks: tuple[Mark, ...]) -> str:
    return " ".join(m.tag for m in marks)


def _truthy(flag: Any) -> bool:
    try:
        return flag is not None and not (isinstance(flag, float) and math.isnan(flag)) and bool(flag)
    except (TypeError, ValueError):  # pandas.NA
        return False


def _exemplary(c: Consolidation) -> list[dict]:
    models = c.models
    if models is None or not len(models) or "exemplary" not in models.columns:
        return []
    out = []
    # Only the exemplary rows are looked at (a national list has ~40,000
    # rows), column by column: a record per row costs more than the row.
    chosen = [i for i, flag in enumerate(models["exemplary"].tolist()) if _truthy(flag)]
    if not chosen:
        return []

    def column(key: str) -> list:
        if key not in models.columns:
            return [None] * len(chosen)
        values = models[key].tolist()
        return [values[i] for i in chosen]

    for unit, name, field_, kind, implementer in zip(
            column("unit"), column("name"), column("field"), column("kind"),
            column("implementer"), strict=True):
        unit = str(unit or "")
        info = c.units.get(unit)
        unit_name = info.name if info else unit
        name = str(name or "").strip()
        if not name:
            continue
        out.append({
            "name": name.strip("“”\"'").strip(),
            "unit": unit,
            "unit_name": unit_name,
            "field": str(field_ or ""),
            "kind": str(kind or ""),
            "implementer": str(implementer or ""),
            "label": f"{_quoted(name)} ({unit_name})" if unit_name else _quoted(name),
        })
    return out


def _unit_names(c: Consolidation) -> dict[str, str]:
    names = {s.unit: s.unit_name for s in c.sources if s.unit and s.unit_name}
    names.update({u.code: u.name for u in (*c.missing, *c.held)})
    names.update({code: info.name for code, info in c.units.items()})
    return names


def _opening(period: Period, paragraph: int) -> str:
    """How the n-th paragraph of results opens (0-based): only the first names
    the period ("Trong năm 2024, "); the others alternate between no opening
    and "Trong kỳ, ", so the report does not read like a form."""
    if paragraph == 0:
        return f"Trong {period.label}, "
    return "" if paragraph % 2 else "Trong kỳ, "


def _with_subject(group: Group, clause: str, area: str) -> str:
    """The group's subject before a clause ("các cấp, các ngành đã xây dựng,
    sửa chữa …"); none when the group has none, when the clause already starts
    with it, or when its area word is empty."""
    subject = " ".join(group.subject.replace("{area}", area).split())
    if not subject or subject.startswith("đã") or clause.lower().startswith(subject.lower()):
        return clause
    return f"{subject} {clause}"


def _group_paragraph(period: Period, paragraph: int, sentences: list[str]) -> str:
    if not sentences:
        return ""
    return as_sentence(_opening(period, paragraph) + "; ".join(sentences))


def _models_sentence(models: list[dict]) -> str:
    if not models:
        return ""
    named = [m["label"] for m in models[:MAX_NAMED_MODELS]]
    if len(models) > MAX_NAMED_MODELS:
        named.append(f"{len(models) - MAX_NAMED_MODELS} mô hình khác")
    return f"Các mô hình tiêu biểu: {join_vi(named)}."


def _reporting_status(c: Consolidation) -> list[dict]:
    """Sentences on who sent a return; `todo` marks one the clerk must complete."""
    if not c.registered:
        return [
            {"text": f"Đã nhận và tổng hợp báo cáo của {len(c.units)} đơn vị. "
                     f"Kết quả kiểm tra: {c.state_summary()}.", "todo": False},
            {"text": "Chưa khai báo danh sách đơn vị trong dvk.toml nên chưa xác định được các "
                     "đơn vị chưa nộp báo cáo.", "todo": True},
        ]
    out = [{"text": f"Đã nhận và tổng hợp báo cáo của {len(c.units)}/"
                    f"{c.expected} đơn vị. Kết quả kiểm tra: {c.state_summary()}.",
            "todo": False}]
    if c.held:
        names = join_vi(u.name for u in c.held)
        out.append({"text": f"Báo cáo của {names} chưa được tổng hợp vì có lỗi (xem trang Kiểm "
                            "tra); đề nghị đơn vị sửa và gửi lại.", "todo": True})
    if c.missing:
        names = join_vi(u.name for u in c.missing)
        out.append({"text": f"Các đơn vị chưa nộp báo cáo ({len(c.missing)}): {names}.",
                    "todo": False})
    elif not c.held:
        out.append({"text": "Tất cả các đơn vị đã nộp báo cáo.", "todo": False})
    return out


def _todo_texts(period: Period) -> dict:
    """Texts of the sections the figures cannot write (marked [CẦN BỔ SUNG])."""
    return {
        "limits": f"Nêu những hạn chế, khó khăn, vướng mắc trong công tác dân vận {period.label} "
                  "(lãnh đạo, chỉ đạo; phong trào thi đua “Dân vận khéo”; dân vận chính quyền; "
                  "chăm lo an sinh xã hội…) và nguyên nhân khách quan, chủ quan. Phần này không "
                  "tự tạo được từ số liệu.",
        "tasks": f"Nêu phương hướng, các nhiệm vụ và giải pháp trọng tâm của công tác dân vận "
                 f"{next_period(period)}, chỉ tiêu phấn đấu (nếu có) và kiến nghị, đề xuất với "
                 "cấp trên.",
    }


REJECTED_WORD = "bị loại"  # a unit's value that was not used, shown as written


def rejected_text(value: str) -> str:
    """A cell for a value that was not used: 'bị loại: khoảng 30'."""
    return f"{REJECTED_WORD}: {value}" if value.strip() else REJECTED_WORD


def mark_item(mark: Mark) -> str:
    """A mark in a list: '[CẦN KIỂM TRA 1] Huyện Bù Đăng – <ngắn gọn>'."""
    return f"{mark.tag} {mark.unit_name} – {mark.brief}"


def marks_notice(marks: Marks) -> str:
    """The draft notice's sentence on the marks ('' when there is none)."""
    from dvk_cli.checks.marks import MARK_WORD

    if not marks:
        return ""
    return (f"Bản dự thảo có {len(marks)} số liệu đánh dấu [{MARK_WORD}], cần kiểm tra lại với "
            "đơn vị trước khi trình ký:")


def _marks_context(marks: Marks) -> list[dict]:
    return [{"number": m.number, "tag": m.tag, "text": m.text, "unit_name": m.unit_name,
             "brief": m.brief, "item": mark_item(m)} for m in marks]


def accepted_note(f: Finding) -> str:
    """'(đã chấp nhận: <lý do>)' for an accepted finding, else ''."""
    if f.status != Status.ACCEPTED:
        return ""
    why = f.accepted.why if f.accepted else ""
    return f"(đã chấp nhận: {why})" if why else "(đã chấp nhận)"


def status_text(f: Finding) -> str:
    """'Đang mở', 'Đã khắc phục', or 'Đã chấp nhận – <lý do> (<người>, 09:15 ngày 20/12/2024)'."""
    a = f.accepted
    if f.status != Status.ACCEPTED or a is None:
        return f.status.label
    who = ", ".join(x for x in (a.by, shown_time(a.at) if a.at else "") if x)
    return f"{f.status.label} – {a.why}" + (f" ({who})" if who else "")


def findings_counts(c: Consolidation) -> str:
    """'1 lỗi và 2 cảnh báo'; with accepted ones '1 lỗi, 2 cảnh báo đang mở, 1 đã chấp
    nhận'; infos counted last ('… và 3 thông tin'). '' when there is no finding."""
    infos = sum(1 for f in c.findings if f.severity == "info")
    tail = [f"{infos} {SEVERITY_LABEL['info'].lower()}"] if infos else []
    if c.accepted:
        head = (f"{len(c.errors)} lỗi, {len(c.warnings)} cảnh báo đang mở, "
                f"{len(c.accepted)} đã chấp nhận")
        return join_vi([head, *tail])
    counts = [f"{n} {SEVERITY_LABEL[sev].lower()}"
              for sev, n in (("error", len(c.errors)), ("warning", len(c.warnings))) if n]
    return join_vi(counts + tail)


def report_comparisons(c: Consolidation) -> dict:
    """Comparisons with earlier periods from c.compare (the history store):
    "clause" gives, for an indicator code, the words appended to its sentence
    ("tăng 128 mô hình, 11,8% so với năm 2023"), or None; "context" is the
    template's `compare` (columns, and for each code the figures compared)."""
    from dvk_cli.core.comparisons import change, comparison_clause, comparison_sets

    sets = comparison_sets(c.compare or {}, c.period)
    catalog = c.catalog

    def clause(code: str) -> str | None:
        ind = catalog.indicators.get(code)
        if ind is None or code not in c.totals or not sets:
            return None
        return comparison_clause(ind, c.totals[code], c.compare, c.period)

    rows: dict[str, dict] = {}
    for code, ind in catalog.indicators.items():
        if code not in c.totals:
            continue
        entry = {}
        for s in sets:
            before = s["data"].get("totals", {}).get(code)
            diff, pct = change(c.totals[code], before, ind.type)
            entry[s["key"]] = {
                "before": before,
                "number": fmt_figure_number(before, ind) if before is not None else "",
                "diff": diff,
                "change": (("+" if diff > 0 else "−" if diff < 0 else "") +
                           fmt_figure_number(abs(diff), ind)) if diff is not None else "",
                "percent": (("+" if pct > 0 else "−" if pct < 0 else "") +
                            fmt_percent(abs(pct))) if pct is not None else "",
            }
        rows[code] = entry
    columns = [{"key": s["key"], "title": s["title"], "label": s["data"]["label"],
                "heading": capitalize_first(s["data"]["label"]),
                "ref": s["ref"], "source": s["data"].get("source", "returns"),
                "units": s["data"].get("units", 0)} for s in sets]
    return {"clause": clause, "context": {"columns": columns, "rows": rows}}


def report_context(c: Consolidation, marks: Marks | None = None) -> dict:
    """Everything the report template needs, as plain dicts and strings.

    `marks`: checks.marks.marks_for(c), when the caller already has them (one
    computation per output)."""
    from dvk_cli.checks.marks import marks_for

    marks = marks_for(c) if marks is None else marks
    catalog = c.catalog
    org = c.organization
    area = org.area
    values = c.totals
    comparisons = report_comparisons(c)  # kỳ trước, cùng kỳ: clauses and table columns

    indicators = {
        code: _indicator_dict(ind, values[code], c.reporting.get(code, 0), marks.on(code))
        for code, ind in catalog.indicators.items()
        if code in values
    }

    model_key = catalog.model_exemplary or catalog.model_total
    model_group = catalog.indicators[model_key].group if model_key in catalog.indicators else None
    exemplary = _exemplary(c)

    groups = []
    table = []
    paragraphs = 0  # paragraphs of results written so far (their openings vary)
    for key, group in catalog.groups.items():
        rows = [indicators[i.code] for i in catalog.in_group(key) if i.code in indicators]
        if rows:
            table.append({"key": key, "roman": group.roman, "title": group.title, "rows": rows})
        sentences = group_sentences(group, values, catalog, area, comparisons["clause"], marks)
        if sentences:  # the subject before the first sentence of the catalog
            sentences[0] = _with_subject(group, sentences[0], area)
        uncovered = _uncovered_clauses(group, values, catalog, area, marks)
        if uncovered and not sentences:  # "lượt người dự …: 500" needs a subject too
            uncovered[0] = f"các đơn vị đã báo cáo {uncovered[0]}"
        sentences += uncovered
        models = exemplary if key == model_group else []
        if not sentences and not models:
            continue
        groups.append({
            "key": key,
            "roman": group.roman,
            "title": group.title,
            "sentences": sentences,
            # the group's prose as one paragraph, and the sentence naming its
            # exemplary models: shared by the .md and .docx reports
            "paragraph": _group_paragraph(c.period, paragraphs, sentences),
            "models_sentence": _models_sentence(models),
            "models": models[:MAX_NAMED_MODELS],
            "models_more": max(0, len(models) - MAX_NAMED_MODELS),
            "models_total": len(models),
            "indicators": rows,
        })
        paragraphs += bool(sentences)

    names = _unit_names(c)
    findings = []
    # c.findings is in the order to tell them: by severity, open before
    # accepted, the largest impact first (core.findings.sort_findings)
    for f in sorted(c.findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 9)):
        findings.append({
            "severity": f.severity,
            "severity_label": SEVERITY_LABEL.get(f.severity, f.severity),
            "rule": f.rule,
            "unit": f.unit,
            "unit_name": names.get(f.unit, f.unit),
            "where": f.where,
            "message": f.message,
            "status": str(f.status),
            "accepted": accepted_note(f),  # "(đã chấp nhận: <lý do>)" or ""
        })
    shown = findings[:MAX_FINDINGS_LISTED]
    sections = []
    for sev in sorted({f["severity"] for f in findings}, key=lambda s: SEVERITY_ORDER.get(s, 9)):
        sections.append({
            "severity": sev,
            "label": SEVERITY_LABEL.get(sev, sev),
            "count": sum(1 for f in findings if f["severity"] == sev),
            "entries": [f for f in shown if f["severity"] == sev],  # those listed
        })

    expected = c.expected
    from dvk_cli.outputs.issuer import report_settings

    issuer = report_settings(c.config or Config(organization=org))
    return _one_line({
        "organization": {
            "name": org.name,
            "name_upper": org.name.upper(),
            # the issuing lines of Hướng dẫn 36-HD/VPTW (outputs.issuer), as the
            # Word report writes them: the committee above, the Ban under it
            "superior": issuer.superior,
            "superior_upper": issuer.superior.upper(),
            "issuing": issuer.issuing_body,
            "issuing_upper": issuer.issuing_body.upper(),
            "place": org.place,
            "area": area,
        },
        "period": {
            "code": c.period.code,
            "label": c.period.label,
            "title": c.period.title,
            "review_word": c.period.review_word,
            "year": c.period.year,
            "kind": c.period.kind,
        },
        "next_period": {"label": next_period(c.period)},
        "returns": len(c.units),
        "expected": expected,
        "has_registry": bool(c.registered),
        "reporting_status": _reporting_status(c),
        "placeholders": _todo_texts(c.period),
        "units": [info.name for info in c.units.values()],
        "missing": [u.name for u in c.missing],
        "held": [u.name for u in c.held],
        "unused_sources": [{"path": s.path, "status": s.status_text} for s in c.sources
                           if not s.used],
        "groups": groups,
        "table": table,
        "indicators": indicators,
        "compare": comparisons["context"],
        "exemplary_models": exemplary,
        "findings": shown,
        "finding_sections": sections,
        "findings_total": len(findings),
        "findings_more": len(findings) - len(shown),
        "findings_counts": findings_counts(c),
        "n_errors": len(c.errors),
        "n_warnings": len(c.warnings),
        "n_accepted": len(c.accepted),
        "marks": _marks_context(marks),
        "marks_notice": marks_notice(marks),
        "table_marks": [mark_item(m) for m in marks if m.codes & indicators.keys()],
        "workbook": workbook_name(c.period),
    })


def _one_line(value: Any) -> Any:
    """Every text of the context safe to show and on one line (core.text.
    safe_text): a unit name with a line break, an escape sequence or a bidi
    override from dvk.toml or a return reaches neither report as such."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_one_line(v) for v in value)
    return value


# -------------------------------------------------------------------- Jinja

def _environment(search_path: Path | None = None):
    import jinja2

    loader = jinja2.FileSystemLoader(str(search_path)) if search_path else None
    env = sandboxed_environment(
        loader=loader,
        autoescape=False,  # Markdown, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=md_finalize,  # every value printed is data: shown as written
    )
    env.filters.update({
        "so": fmt_number,
        "tien": fmt_money,
        "phantram": fmt_percent,
        "giatri": giatri,
        "cau": as_sentence,
        "noi": join_vi,
        "o_bang": _md_cell,
    })
    return env


def default_template_text() -> str:
    """The packaged template; from the checkout's templates/ when not installed."""
    return packaged_template(TEMPLATE_NAME).read_text(encoding="utf-8")


@functools.cache
def default_template() -> jinja2.Template:
    """The packaged template, compiled once: while the returns are read
    (a warmup entry of dvk_cli/api.py), not after them (~25 ms)."""
    return _environment().from_string(default_template_text())


def render_report(c: Consolidation, template_path: Path | None = None) -> str:
    """The report as Markdown text (NFC)."""
    context = report_context(c)
    if template_path is not None:
        template_path = Path(template_path)
    try:
        with template_errors(template_path or TEMPLATE_NAME):
            if template_path is None:
                template = default_template()
            else:
                if not template_path.is_file():
                    raise UsageError(f"Không tìm thấy mẫu báo cáo “{template_path}”.")
                env = _environment(template_path.resolve().parent)
                template = env.get_template(template_path.name)
            text = template.render(**context)
    except UnicodeDecodeError as exc:
        raise UsageError(f"Mẫu báo cáo “{template_path}” phải lưu bằng mã UTF-8.") from exc
    return unicodedata.normalize("NFC", text)


def write_report(c: Consolidation, path: Path | str,
                 template_path: Path | None = None) -> Path:
    """Render and write the report atomically; returns the path written."""
    return write_text_atomic(Path(path), render_report(c, template_path))
