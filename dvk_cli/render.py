"""Terminal output for people: summary tables, findings, a one-line verdict."""

from __future__ import annotations

from pathlib import Path

from .aggregation import Consolidation
from .findings import SEVERITY_LABEL
from .numbers import fmt_number, fmt_percent

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MAX_FINDINGS_SHOWN = 40


def verdict(c: Consolidation) -> str:
    """'9/11 đơn vị hợp lệ, 2 đơn vị cần sửa, 1 đơn vị chưa nộp'."""
    with_problems = {f.unit for f in c.findings if f.unit and f.severity in ("error", "warning")}
    clean = [u for u in c.units if u not in with_problems]
    expected = len(c.units) + len(c.missing)
    parts = [f"{len(clean)}/{expected} đơn vị hợp lệ"]
    fix = len({u for u in with_problems})
    if fix:
        parts.append(f"{fix} đơn vị cần sửa")
    if c.missing:
        parts.append(f"{len(c.missing)} đơn vị chưa nộp")
    unidentified = [f for f in c.findings if not f.unit and f.severity == "error"]
    if unidentified:
        parts.append(f"{len({f.file for f in unidentified})} tệp không dùng được")
    return ", ".join(parts)


def _findings_table(c: Consolidation):
    from rich.table import Table

    table = Table(title="Vấn đề phát hiện", title_justify="left", show_lines=False)
    table.add_column("Mức độ")
    table.add_column("Đơn vị")
    table.add_column("Tệp / ô", overflow="fold")
    table.add_column("Nội dung", overflow="fold")
    for f in c.findings[:MAX_FINDINGS_SHOWN]:
        unit = c.units[f.unit].name if f.unit in c.units else f.unit
        where = f.file + (f" [{f.sheet}!{f.cell}]" if f.cell else "")
        table.add_row(f"[{_STYLE.get(f.severity, '')}]{SEVERITY_LABEL.get(f.severity, f.severity)}[/]",
                      unit, where, f.message)
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
        console.print(f"[yellow]Chưa nộp báo cáo ({len(c.missing)}):[/] {names}")


def _print_verdict(console, c: Consolidation) -> None:
    style = "bold red" if c.errors else ("yellow" if c.warnings else "bold green")
    console.print(f"[{style}]{verdict(c)}[/] — {len(c.errors)} lỗi, {len(c.warnings)} cảnh báo.")


def print_summary(console, c: Consolidation, outputs: list[Path]) -> None:
    from rich.table import Table

    table = Table(title=f"Tổng hợp {c.period.label} — {len(c.units)} đơn vị",
                  title_justify="left")
    table.add_column("Chỉ tiêu", overflow="fold")
    table.add_column("Mã", style="dim")
    table.add_column("Tổng cộng", justify="right")
    table.add_column("ĐV báo cáo", justify="right")
    for code, ind in c.catalog.indicators.items():
        if code not in c.totals:
            continue
        value = c.totals[code]
        if ind.type == "percent":
            shown = fmt_percent(value)
        else:
            shown = f"{fmt_number(value, 2)} {ind.unit}"
        table.add_row(ind.short, code, shown, str(c.reporting.get(code, "")))
    console.print(table)
    _print_missing(console, c)
    _print_findings(console, c)
    for path in outputs:
        console.print(f"[green]Đã ghi[/] {path}")
    _print_verdict(console, c)


def print_validation(console, c: Consolidation) -> None:
    from rich.table import Table

    table = Table(title=f"Kiểm tra biểu {c.period.label}", title_justify="left")
    table.add_column("Đơn vị")
    table.add_column("Tệp", overflow="fold")
    table.add_column("Lỗi", justify="right")
    table.add_column("Cảnh báo", justify="right")
    table.add_column("Kết quả")
    for code, info in c.units.items():
        errs = sum(1 for f in c.findings if f.unit == code and f.severity == "error")
        warns = sum(1 for f in c.findings if f.unit == code and f.severity == "warning")
        status = ("[red]cần sửa[/]" if errs else "[yellow]xem cảnh báo[/]" if warns
                  else "[green]hợp lệ[/]")
        table.add_row(info.name, info.file, str(errs), str(warns), status)
    for unit in c.missing:
        table.add_row(unit.name, "—", "", "", "[yellow]chưa nộp[/]")
    console.print(table)
    _print_findings(console, c)
    _print_verdict(console, c)
