"""Terminal output for people: summary tables, findings, a one-line verdict."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.aggregation import Consolidation
from dvk_cli.cli.common import shown
from dvk_cli.core.findings import SEVERITY_LABEL, SEVERITY_ORDER, Finding, Status
from dvk_cli.core.numbers import fmt_figure_number, fmt_percent
from dvk_cli.core.unitstate import UnitState
from dvk_cli.inspection import Inspection

if TYPE_CHECKING:
    from dvk_cli.checks.marks import Mark, Marks

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MAX_FINDINGS_SHOWN = 40


def verdict(c: Consolidation) -> str:
    """'2/6 đơn vị hợp lệ, 1 đơn vị cần xem lại, 2 đơn vị cần sửa, 1 đơn vị chưa
    nộp': the states of core.unitstate, as every output says them."""
    return c.state_summary()


def _state_cell(state: UnitState) -> str:
    """A unit's state as every output words it, in its colour."""
    return f"[{state.style}]{state.label}[/]"


def _severity_cell(f: Finding) -> str:
    """'Cảnh báo' in its colour; an accepted one dim, with its status."""
    label = SEVERITY_LABEL.get(f.severity, f.severity)
    if f.status == Status.ACCEPTED:
        return f"[dim]{label} ({f.status.label.lower()})[/]"
    return f"[{_STYLE.get(f.severity, '')}]{label}[/]"


def _message_cell(f: Finding) -> str:
    """The message (text from the returns: escaped), with the acceptance's reason."""
    from dvk_cli.outputs.report import accepted_note

    note = accepted_note(f)
    return shown(f.message) + (f" [dim]{shown(note)}[/]" if note else "")


def _findings_table(c: Consolidation):
    from rich.table import Table

    table = Table(title="Vấn đề phát hiện", title_justify="left", show_lines=False)
    table.add_column("Mức độ")
    table.add_column("Đơn vị")
    table.add_column("Tệp / ô", overflow="fold")
    table.add_column("Nội dung", overflow="fold")
    for f in c.findings[:MAX_FINDINGS_SHOWN]:  # in order: severity, open first, impact
        unit = c.units[f.unit].name if f.unit in c.units else f.unit
        where = f.file + (f" [{f.sheet}!{f.cell}]" if f.cell else "")
        table.add_row(_severity_cell(f), shown(unit), shown(where), _message_cell(f))
    return table


def _print_findings(console, c: Consolidation) -> None:
    if not c.findings:
        console.print("[green]Không phát hiện vấn đề nào trong các biểu.[/]")
        return
    console.print(_findings_table(c))
    if len(c.findings) > MAX_FINDINGS_SHOWN:
        console.print(f"… và {len(c.findings) - MAX_FINDINGS_SHOWN} vấn đề khác "
                      "(xem trang Kiểm tra trong tệp tổng hợp hoặc dùng --json).")


def _print_missing(console, c: Consolidation) -> None:
    if c.missing:
        names = ", ".join(u.name for u in c.missing)
        console.print(f"[yellow]Chưa nộp báo cáo ({len(c.missing)}):[/] {shown(names)}")


def _print_verdict(console, c: Consolidation) -> None:
    """'11/11 đơn vị hợp lệ — 0 lỗi, 0 cảnh báo.': open ones counted, accepted apart."""
    style = "bold red" if c.errors else ("yellow" if c.warnings else "bold green")
    accepted = f" ({len(c.accepted)} đã chấp nhận)" if c.accepted else ""
    console.print(f"[{style}]{shown(verdict(c))}[/] — {len(c.errors)} lỗi, "
                  f"{len(c.warnings)} cảnh báo{accepted}.")


def _print_marks(console, marks: Marks) -> None:
    """'Số liệu cần kiểm tra:' and each mark, numbered as in the totals table."""
    if not marks:
        return
    console.print("[bold yellow]Số liệu cần kiểm tra:[/]")
    for m in marks:
        console.print(f"  [yellow]⚠ {m.number}[/] {shown(m.text)}")


def _marked_total(figure: str, marks: tuple[Mark, ...]) -> str:
    """'1.215 mô hình ⚠ 1, 2' for a total that includes suspect values."""
    if not marks:
        return figure
    return f"{figure} [yellow]⚠ {', '.join(str(m.number) for m in marks)}[/]"


def print_unchanged(console, result) -> None:
    """dvk aggregate when nothing changed: when it last ran, where the outputs
    are, and that run's verdict (api.UnchangedResult)."""
    from dvk_cli.core.text import shown_time

    console.print(f"[green]Không có gì thay đổi[/] kể từ lần tổng hợp lúc {shown(shown_time(result.at))}: "
                  "các biểu, dvk.toml, kho lịch sử và các tệp kết quả vẫn như cũ, nên dvk không "
                  "đọc lại và không ghi lại. (Dùng --force để tổng hợp lại từ đầu.)")
    console.print("Kết quả vẫn ở:")
    for path in result.paths.values():
        console.print(f"  {shown(str(path))}")
    if result.summary:
        style = "bold red" if result.exit_code else "bold green"
        console.print(f"[{style}]{shown(result.summary)}[/]")


def print_summary(console, c: Consolidation, outputs: list[Path], *, totals: bool = True) -> None:
    """The totals table (totals=False: not, for dvk report, which writes no
    workbook and says only what it wrote), the marks, the comparison with the
    store, missing units, findings, the files written and the verdict."""
    from dvk_cli.checks.marks import marks_for

    marks = marks_for(c)
    if totals:
        _print_totals(console, c, marks)
    _print_marks(console, marks)
    _print_history(console, c)
    _print_missing(console, c)
    _print_findings(console, c)
    for path in outputs:
        console.print(f"[green]Đã ghi[/] {shown(str(path))}")
    _print_verdict(console, c)


def _print_totals(console, c: Consolidation, marks) -> None:
    from rich.table import Table

    table = Table(title=f"Tổng hợp {c.period.label} — {len(c.units)} đơn vị",
                  title_justify="left")
    table.add_column("Chỉ tiêu", overflow="fold")
    table.add_column("Mã", style="dim")
    table.add_column("Tổng cộng", justify="right")
    table.add_column("ĐV báo cáo", justify="right")
    sets = _comparison_columns(table, c)
    for code, ind in c.catalog.indicators.items():
        if code not in c.totals:
            continue
        value = c.totals[code]
        # the console keeps money in triệu đồng, as typed, with no space before %
        figure = fmt_figure_number(value, ind) + ("%" if ind.type == "percent" else f" {ind.unit}")
        table.add_row(shown(ind.short), shown(code), _marked_total(shown(figure), marks.on(code)),
                      str(c.reporting.get(code, "")), *_comparison_cells(sets, ind, value))
    console.print(table)


def _comparison_columns(table, c: Consolidation) -> list[dict]:
    """Columns kỳ trước / cùng kỳ, tăng/giảm, % when the history store has them."""
    from dvk_cli.core.comparisons import comparison_sets

    sets = comparison_sets(c.compare or {}, c.period)
    for s in sets:
        table.add_column(s["title"], justify="right")
        table.add_column("Tăng/giảm", justify="right")
        table.add_column("%", justify="right")
    return sets


def _comparison_cells(sets: list[dict], ind, value) -> list[str]:
    from dvk_cli.core.comparisons import change

    cells = []
    for s in sets:
        before = s["data"].get("totals", {}).get(ind.code)
        diff, pct = change(value, before, ind.type)
        cells.append("" if before is None else fmt_figure_number(before, ind))
        if diff is None:
            cells += ["", ""]
            continue
        sign = "+" if diff > 0 else "−" if diff < 0 else ""
        style = "green" if diff > 0 else "red" if diff < 0 else ""
        text = f"{sign}{fmt_figure_number(abs(diff), ind)}"
        cells.append(f"[{style}]{text}[/]" if style else text)
        cells.append("" if pct is None else f"{'+' if pct > 0 else '−' if pct < 0 else ''}"
                                            f"{fmt_percent(abs(pct))}")
    return cells


def _print_history(console, c: Consolidation) -> None:
    """One line on what the run did to the history store."""
    h = c.history
    if not h:
        return
    parts = []
    for key, word in (("new", "báo cáo mới"), ("unchanged", "không đổi"),
                      ("replaced", "thay thế"), ("refused", "không nhận")):
        if h.get(key):
            parts.append(f"{h[key]} {word}")
    verb = "Kho lịch sử" + (" (mới tạo)" if h.get("created") else "")
    if not h.get("written"):
        verb += " (chỉ đọc)"
    text = ", ".join(parts) or "không có báo cáo nào"
    cached = h.get("read_cache") or {}
    if cached.get("reused"):
        text += (f"; dùng lại {cached['reused']} tệp không đổi từ lần đọc trước, "
                 f"đọc {cached['read']} tệp")
    if h.get("locked"):
        text += f"; kỳ {c.period.label} đã khóa"
    console.print(f"[cyan]{verb}[/] {shown(str(h.get('store', '')))}: {shown(text)}.")


def _unit_groups(c: Consolidation) -> list[tuple[str, list]]:
    """Findings grouped by unit (files of no known unit first), each group in
    the order of c.findings (severity, open before accepted, largest impact
    first); groups with errors before groups with warnings only."""
    groups: dict[str, list] = {}
    for f in c.findings:
        groups.setdefault(f.unit, []).append(f)
    order = {code: i for i, code in enumerate(c.units)}

    def key(item):
        unit, items = item
        worst = min(SEVERITY_ORDER.get(f.severity, 9) for f in items)
        return (unit != "", worst, order.get(unit, len(order)), unit)

    out = []
    for unit, items in sorted(groups.items(), key=key):
        # one finding told for each of several files (a duplicate return) is shown once
        seen: set[tuple[str, str]] = set()
        unique = []
        for f in items:
            if (f.severity, f.message) not in seen:
                seen.add((f.severity, f.message))
                unique.append(f)
        items = unique
        out.append((unit, items))
    return out


def _grouped_findings_table(c: Consolidation, limit: int = MAX_FINDINGS_SHOWN):
    from rich.table import Table

    names = {u.code: u.name for u in (*c.missing, *c.held)}
    names.update({code: info.name for code, info in c.units.items()})
    table = Table(title="Vấn đề phát hiện, theo đơn vị", title_justify="left")
    table.add_column("Đơn vị", overflow="fold")
    table.add_column("Mức độ")
    table.add_column("Ô", overflow="fold")
    table.add_column("Nội dung", overflow="fold")
    told = 0
    groups = _unit_groups(c)
    total = sum(len(items) for _, items in groups)
    for unit, items in groups:
        if told >= limit:
            break
        name = names.get(unit, unit) if unit else "(chưa xác định đơn vị)"
        for i, f in enumerate(items):
            if told >= limit:
                break
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or Path(f.file).name)
            table.add_row(f"[bold]{shown(name)}[/]" if i == 0 else "", _severity_cell(f),
                          shown(where), _message_cell(f))
            told += 1
        table.add_section()
    return table, told, total


def print_init(console, result, where: str = "", year: int | None = None) -> None:
    """dvk init: the files made and the next step (result: dvk_cli.api.InitResult).
    `where`: "-C FOLDER " when the folder is not where dvk was run, so that the
    commands shown work as typed; `year`: the period shown (the current year)."""
    import datetime

    for path in result.paths:
        console.print(f"[green]Đã tạo[/] {shown(str(path))}")
    year = year or datetime.date.today().year
    toml = "dvk.toml"
    if where:
        toml = shown(where.removeprefix("-C ").strip().strip('"').rstrip("/\\") + "/dvk.toml")
    console.print(f"Bước tiếp theo: khai báo các đơn vị trong {toml}, rồi chạy "
                  f"[bold]dvk {shown(where)}template bieu-mau --unit all --period {year}[/].")


def print_forms(console, result) -> None:
    """dvk template: the forms written, overwritten or kept (result:
    dvk_cli.api.FormsResult)."""
    new, overwritten, old = result.written, result.overwritten, result.kept
    if result.per_unit:
        if new:
            console.print(f"[green]Đã tạo {len(new)} biểu mẫu[/] trong {shown(str(result.out))}"
                          + (f" (ghi đè {len(overwritten)} tệp đã có)" if overwritten else ""))
    elif new:
        console.print(f"[green]Đã tạo biểu mẫu[/] {shown(str(new[0]))}"
                      + (" (ghi đè tệp đã có)" if overwritten else ""))
    if old:
        console.print(f"[yellow]Giữ nguyên {len(old)} tệp đã có[/] (dùng --force để ghi đè):")
        for p in old:
            console.print(f"  {shown(str(p))}")


def print_validation(console, c: Consolidation, feedback=None) -> None:
    """The per-unit table, the findings grouped by unit, clean units, feedback
    files written, and the verdict."""
    from rich.table import Table

    table = Table(title=f"Kiểm tra biểu {c.period.label}", title_justify="left")
    table.add_column("Đơn vị")
    table.add_column("Tệp", overflow="fold")
    table.add_column("Lỗi", justify="right")
    table.add_column("Cảnh báo", justify="right")
    table.add_column("Kết quả")
    clean = []
    states = c.unit_states()
    for code, info in c.units.items():
        # open ones: an accepted finding no longer asks the unit for anything
        errs = sum(1 for f in c.findings if f.unit == code and f.severity == "error" and f.open)
        warns = sum(1 for f in c.findings
                    if f.unit == code and f.severity == "warning" and f.open)
        if states[code] == UnitState.VALID:
            clean.append(info.name)
        table.add_row(shown(info.name), shown(info.file), str(errs), str(warns),
                      _state_cell(states[code]))
    for unit in c.held:
        mine = [f for f in c.findings if f.unit == unit.code and f.open]
        files = sorted({f.file for f in mine if f.file})
        told = {(f.severity, f.message) for f in mine}  # a duplicate is told once per file
        table.add_row(shown(unit.name), "\n".join(shown(f) for f in files) or "—",
                      str(sum(sev == "error" for sev, _ in told)),
                      str(sum(sev == "warning" for sev, _ in told)),
                      _state_cell(UnitState.HELD))
    for unit in c.missing:
        table.add_row(shown(unit.name), "—", "", "", _state_cell(UnitState.MISSING))
    console.print(table)
    if c.findings:
        findings_table, told, total = _grouped_findings_table(c)
        console.print(findings_table)
        if total > told:
            console.print(f"… và {total - told} vấn đề khác "
                          "(dùng --json, hoặc --feedback để có bản đánh dấu cho từng đơn vị).")
    else:
        console.print("[green]Không phát hiện vấn đề nào trong các biểu.[/]")
    if clean:
        console.print(f"[green]Hợp lệ ({len(clean)}):[/] {shown(', '.join(clean))}")
    _print_missing(console, c)
    if feedback is not None:
        for item in feedback.written:
            console.print(f"[green]Đã ghi bản phản hồi[/] {shown(str(item.path))} "
                          f"({item.problems} vấn đề)")
        for file, reason in feedback.skipped:
            console.print(f"[yellow]Không tạo bản phản hồi cho[/] {shown(f'{file}: {reason}')}")
        if clean:
            console.print(f"Không tạo bản phản hồi cho {len(clean)} đơn vị hợp lệ.")
    _print_verdict(console, c)


def print_inspection(console, ins: Inspection) -> None:
    """What `dvk inspect` shows: how one file is read, cell by cell."""
    from rich.table import Table

    from dvk_cli.core.findings import SEVERITY_LABEL

    console.print(f"[bold]{shown(str(ins.path))}[/]")
    console.print(f"Cách đọc: [bold]{ins.layout}[/]"
                  + shown((f", trang “{ins.sheet}”" if ins.sheet else "")
                           + (f", tệp ánh xạ {ins.mapping}" if ins.mapping else "")))
    if ins.legacy_cells:
        from dvk_cli.reading.legacy import ENCODING_NAMES

        names = " và ".join(ENCODING_NAMES.get(e, e) for e in ins.legacy_encodings)
        console.print(f"Đã chuyển {ins.legacy_cells} ô gõ bằng bảng mã {names} sang Unicode.")
    for view in ins.returns:
        head = shown(f"— {view.part} —") if view.part else ""
        if head:
            console.print(f"\n[bold]{head}[/]")
        console.print(shown(f"Đơn vị: “{view.unit_text}”"
                             + (f" (ô {view.unit_cell})" if view.unit_cell else ""))
                      + f" → [bold]{shown(str(view.unit))}[/]")
        console.print(shown(f"Kỳ báo cáo: “{view.period_text}”"
                             + (f" (ô {view.period_cell})" if view.period_cell else ""))
                      + f" → [bold]{shown(str(view.period))}[/]")
        table = Table(show_lines=False, pad_edge=False)
        table.add_column("Ô", no_wrap=True)
        table.add_column("Nội dung ô", justify="right", no_wrap=True)
        table.add_column("Chỉ tiêu", no_wrap=True)
        table.add_column("Giá trị", justify="right", no_wrap=True)
        table.add_column("Nhận ra bằng", overflow="fold")
        for v in view.values:
            how = v["how"] if v["how"] == "mã" else f"{v['how']}: “{v['label']}”"
            notes = [n for n in (v["note"], "tính toán, dvk tự tính lại" if v["computed"] else "") if n]
            if notes:
                how += f" ({'; '.join(notes)})"
            cell = v["cell"] if v["sheet"] == ins.sheet else f"{v['sheet']}!{v['cell']}"
            table.add_row(shown(str(cell)), shown(str(v["raw"])), shown(v["indicator"]),
                          shown(str(v["shown"])), shown(how))
        console.print(table)
        if view.models:
            console.print(f"Danh sách mô hình: {view.models} mô hình.")
    if ins.findings:
        console.print()
        for f in ins.findings:
            where = ", ".join(x for x in (f.sheet and f"trang “{f.sheet}”", f.cell and f"ô {f.cell}") if x)
            label = SEVERITY_LABEL.get(f.severity, f.severity)
            style = {"error": "bold red", "warning": "yellow"}.get(f.severity, "cyan")
            text = f"{where}: {f.message}" if where else f.message
            console.print(f"[{style}]{label}[/] {shown(text)}")
