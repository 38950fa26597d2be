"""The history commands: dvk history, diff, lock, unlock, baseline, trend.

Each parses its arguments, calls one function of dvk_cli.api (the logic is in
dvk_cli/history/commands.py), renders the result and exits with its code.
`register` adds them to the app of dvk_cli/cli/app.py. Only light imports at
module level; rich and the store load inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dvk_cli.cli.common import JsonOpt, console, examples, guard, print_json, shown

_BLOCKS = " ▏▎▍▌▋▊▉█"
BAR_WIDTH = 40

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Đường dẫn dvk.toml (mặc định: tìm từ thư mục hiện tại).")
]


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[rest] if rest else "")


# ------------------------------------------------------------------ commands

def history(
    unit: Annotated[str | None, typer.Argument(help="Mã (hoặc tên) đơn vị; bỏ trống: mọi đơn vị.")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Chỉ kỳ này.")] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Liệt kê các lần nộp báo cáo đã lưu trong kho lịch sử dvk.sqlite."""
    from dvk_cli import api

    result = api.submissions(unit, period=period, config=config)
    if json_out:
        print_json(result.to_dict())
    else:
        print_submissions(console(), result)
    raise typer.Exit(result.exit_code)


def diff(
    unit: Annotated[str, typer.Argument(help="Mã (hoặc tên) đơn vị.")],
    period: Annotated[str, typer.Option("--period", "-p", help="Kỳ báo cáo.")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """So sánh từng ô giữa hai lần nộp gần nhất của một đơn vị trong một kỳ."""
    from dvk_cli import api

    result = api.diff(unit, period=period, config=config)
    if json_out:
        print_json(result.to_dict())
    else:
        print_diff(console(), result)
    raise typer.Exit(result.exit_code)


def lock(
    period: Annotated[str, typer.Argument(help="Kỳ báo cáo cần khóa (ví dụ 2024).")],
    why: Annotated[str, typer.Option("--why", help="Ghi chú (ví dụ số, ngày báo cáo đã ký).")] = "",
    force: Annotated[bool, typer.Option("--force", help="Khóa cả khi còn lỗi, cảnh báo chưa xử lý "
                                        "(cần --why; danh sách vấn đề còn mở được lưu lại).")] = False,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Khóa một kỳ khi báo cáo đã ký: các lần chạy sau không ghi số liệu mới của kỳ này.
    Không khóa khi kỳ còn lỗi, cảnh báo đang mở (xem dvk accept)."""
    from dvk_cli import api

    result = api.lock(period, why=why, force=force, config=config)
    if json_out:
        print_json(result.to_dict())
    else:
        print_lock(console(), result)
    raise typer.Exit(result.exit_code)


RuleOpt = Annotated[str | None, typer.Option("--rule", help="Mã quy tắc kiểm tra (cột rule trong "
                                             "--json, ví dụ MH_LOAI, unit_slip).")]
IndicatorOpt = Annotated[str | None, typer.Option("--indicator", help="Mã chỉ tiêu (cột Mã của "
                                                  "biểu).")]
PeriodReq = Annotated[str, typer.Option("--period", "-p", help="Kỳ báo cáo.")]


def accept(
    unit: Annotated[str | None, typer.Argument(help="Mã (hoặc tên) đơn vị.")] = None,
    period: PeriodReq = "",
    indicator: IndicatorOpt = None,
    rule: RuleOpt = None,
    why: Annotated[str, typer.Option("--why", help="Lý do chấp nhận (bắt buộc), ví dụ đã xác minh "
                                     "với đơn vị.")] = "",
    list_only: Annotated[bool, typer.Option("--list", help="Liệt kê các vấn đề đã chấp nhận của "
                                            "kỳ.")] = False,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Chấp nhận lỗi, cảnh báo đã xác minh của một đơn vị (ghi người, thời điểm, lý do): số liệu
    không còn bị đánh dấu cần kiểm tra và kỳ có thể khóa."""
    from dvk_cli import api

    if not period:
        raise typer.BadParameter("Hãy ghi kỳ báo cáo: --period KỲ.", param_hint="--period")
    result = api.accept(unit, period=period, indicator=indicator, rule=rule, why=why,
                        list_only=list_only, config=config)
    if json_out:
        print_json(result.to_dict())
    else:
        print_accepted(console(), result)
    raise typer.Exit(result.exit_code)


def unaccept(
    unit: Annotated[str, typer.Argument(help="Mã (hoặc tên) đơn vị.")],
    period: PeriodReq,
    indicator: IndicatorOpt = None,
    rule: RuleOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Bỏ chấp nhận: vấn đề trở lại trạng thái đang mở."""
    from dvk_cli import api

    result = api.unaccept(unit, period=period, indicator=indicator, rule=rule, config=config)
    if json_out:
        print_json(result.to_dict())
    else:
        print_accepted(console(), result)
    raise typer.Exit(result.exit_code)


def unlock(
    period: Annotated[str, typer.Argument(help="Kỳ báo cáo cần mở khóa.")],
    why: Annotated[str, typer.Option("--why", help="Lý do mở khóa (bắt buộc, được lưu lại).")] = "",
    config: ConfigOpt = None,
) -> None:
    """Mở khóa một kỳ; lý do và thời điểm được ghi vào kho lịch sử."""
    from dvk_cli import api

    result = api.unlock(period, why=why, config=config)
    print_lock(console(), result)
    raise typer.Exit(result.exit_code)


def baseline(
    file: Annotated[Path, typer.Argument(help="Biểu mẫu đã điền số liệu toàn địa bàn "
                                         "(hoặc tệp tổng hợp cũ có trang Biểu tổng hợp).")],
    period: Annotated[str | None, typer.Option("--period", "-p", help="Kỳ của số liệu.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Thay số liệu nền đã nạp của kỳ này.")] = False,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Nạp số liệu tổng hợp của một kỳ trước khi dùng dvk, để so sánh với các kỳ sau."""
    from dvk_cli import api

    result = api.load_baseline(file, period=period, config=config, replace=replace)
    if json_out:
        print_json(result.to_dict())
    else:
        print_baseline(console(), result)
    raise typer.Exit(result.exit_code)


def trend(
    code: Annotated[str, typer.Argument(help="Mã chỉ tiêu (cột Mã của biểu).")],
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="Chỉ một đơn vị.")] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """In số liệu một chỉ tiêu qua các kỳ đã lưu, kèm biểu đồ nhỏ."""
    from dvk_cli import api

    result = api.trend(code, unit=unit, config=config)
    if json_out:
        print_json(result.to_dict())
    else:
        print_trend(console(), result)
    raise typer.Exit(result.exit_code)


COMMANDS = (history, diff, lock, unlock, accept, unaccept, baseline, trend)


EXAMPLES = {
    "history": ("dvk history", "dvk history BUDANG --period 2024", "dvk -C lam-viec history"),
    "diff": ("dvk diff BUDANG --period 2024",),
    "lock": ('dvk lock 2024 --why "Báo cáo số 15-BC/BDVTU ngày 10/12/2024"',),
    "unlock": ('dvk unlock 2024 --why "Bổ sung số liệu Huyện Bù Đăng"',),
    "accept": ('dvk accept BUDANG --period 2024 --rule MH_LOAI --why "Đã xác minh với đơn vị"',
               "dvk accept --period 2024 --list"),
    "unaccept": ("dvk unaccept BUDANG --period 2024 --rule MH_LOAI",),
    "baseline": ("dvk baseline tong-hop-2023.xlsx --period 2023",),
    "trend": ("dvk trend MÃ_CHỈ_TIÊU   (mã ở cột “Mã” của biểu mẫu)", "dvk trend MÃ_CHỈ_TIÊU --unit BUDANG"),
}


def register(app: typer.Typer) -> None:
    """Add the history commands to `app`, after its own."""
    from dvk_cli.cli.vietnamese import VnCommand

    for command in COMMANDS:
        app.command(cls=VnCommand, epilog=examples(*EXAMPLES[command.__name__]))(guard(command))


# ------------------------------------------------------------------ rendering
# Text from files, dvk.toml and the store is data: it goes through `shown`
# (cli/common.py) before rich reads markup in it (a reason "[/]" must print
# as written, never crash), or is printed with markup=False.


def _status(sub, names: dict[str, str]) -> str:
    from dvk_cli.core.text import shown_time
    from dvk_cli.history.store import KIND_BASELINE

    prefix = "số liệu nền, " if sub.kind == KIND_BASELINE else ""
    if sub.current:
        return prefix + "đang dùng"
    text = prefix + "đã thay thế"
    if sub.superseded_at:
        text += f" lúc {shown_time(sub.superseded_at)}"
    if sub.superseded_by:
        text += f" (bằng lần nộp #{sub.superseded_by})"
    return text


def print_submissions(out, result) -> None:
    """dvk history: the table of submissions, then the lock events."""
    from rich.table import Table

    from dvk_cli.core.text import shown_time

    code, p = result.unit, result.period
    if not result.submissions:
        out.print("Kho lịch sử chưa có lần nộp nào"
                  + (f" của {result.unit_name(code)}" if code else "")
                  + (f" cho {p.label}" if p else "") + ".", markup=False)
    else:
        table = Table(title=shown(f"Các lần nộp báo cáo — {result.store}"), title_justify="left")
        for col in ("#", "Đơn vị", "Kỳ", "Tệp", "SHA-256", "Đọc lúc", "Số chỉ tiêu", "Tình trạng"):
            table.add_column(col, overflow="fold",
                             justify="right" if col in ("#", "Số chỉ tiêu") else "left")
        for s in result.submissions:
            style = "" if s.current else "dim"
            table.add_row(str(s.id), shown(result.unit_name(s.unit)), shown(s.period),
                          shown(s.file), s.sha256[:12], shown_time(s.read_at),
                          str(result.values[s.id]), shown(_status(s, result.names)), style=style)
        out.print(table)
    for e in result.locks:
        word = "Khóa" if e["action"] == "lock" else "Mở khóa"
        reason = f": {e['reason']}" if e["reason"] else ""
        out.print(f"{word} kỳ {e['period']} lúc {shown_time(e['at'])}{reason}", markup=False)


def print_diff(out, result) -> None:
    """dvk diff: the two submissions, the cells that changed, the models added or removed."""
    from rich.table import Table

    from dvk_cli.core.numbers import fmt_number
    from dvk_cli.core.text import shown_time

    old, new = result.old, result.new
    out.print(f"{result.unit_name} — {result.period.label}: lần nộp #{old.id} ({old.file}, "
              f"{shown_time(old.read_at)}) → lần nộp #{new.id} "
              f"({new.file}, {shown_time(new.read_at)})", markup=False)
    if not result.changes:
        out.print("Không có ô số liệu nào thay đổi.")
    else:
        table = Table(title=f"{len(result.changes)} ô thay đổi", title_justify="left")
        for col in ("Chỉ tiêu", "Mã", "Ô cũ", "Giá trị cũ", "Ô mới", "Giá trị mới"):
            table.add_column(col, overflow="fold",
                             justify="right" if col.startswith("Giá trị") else "left")
        def value(number, text: str) -> str:
            if number is not None:
                return fmt_number(number)
            return shown(f"“{text}” (không dùng)") if text else "(trống)"

        for c in result.changes:
            table.add_row(shown(c.label), c.indicator, shown(c.old_cell or "—"),
                          value(c.old, c.old_text), shown(c.new_cell or "—"),
                          value(c.new, c.new_text))
        out.print(table)
    if result.models_added:
        out.print(f"Mô hình mới trong danh sách ({len(result.models_added)}): "
                  + "; ".join(result.models_added), markup=False)
    if result.models_removed:
        out.print(f"Mô hình không còn trong danh sách ({len(result.models_removed)}): "
                  + "; ".join(result.models_removed), markup=False)


def _finding_line(f, names: dict[str, str]) -> str:
    from dvk_cli.core.findings import SEVERITY_LABEL

    who = names.get(f.unit, f.unit) or "(chưa xác định đơn vị)"
    what = f.indicator or f.rule
    cell = f", ô {f.cell}" if f.cell else ""
    return (f"- {SEVERITY_LABEL.get(f.severity, f.severity)} · {shown(who)} · {shown(what)}"
            f"{shown(cell)} ({shown(f.rule)}): {shown(f.message)}")


def _counted(findings) -> str:
    """'3 vấn đề (1 lỗi, 2 cảnh báo)'."""
    errors = sum(1 for f in findings if f.severity == "error")
    parts = [f"{errors} lỗi"] if errors else []
    if len(findings) - errors:
        parts.append(f"{len(findings) - errors} cảnh báo")
    return f"{len(findings)} vấn đề ({', '.join(parts)})"


def print_lock(out, result) -> None:
    """dvk lock / dvk unlock: one line; a refused lock lists what is open."""
    from dvk_cli.core.text import shown_time

    if result.refused:
        out.print(f"[bold red]Chưa khóa[/] kỳ {result.period.label}: còn {_counted(result.open)} "
                  "đang mở (theo lần dvk aggregate gần nhất của kỳ):")
        for f in result.open:
            out.print(_finding_line(f, result.names))
        out.print("Sửa và chạy lại dvk aggregate, hoặc chấp nhận từng vấn đề đã xác minh: dvk accept "
                  f"ĐƠN_VỊ --period {result.period.code} --indicator MÃ --why \"…\". Khóa bằng "
                  "mọi giá: dvk lock … --force --why \"…\".")
        return
    if result.locked:
        out.print(f"[green]Đã khóa[/] kỳ {result.period.label} lúc {shown_time(result.at)} "
                  f"({shown(str(result.store))}).")
        if result.forced:
            out.print(f"[yellow]Khóa khi còn {_counted(result.open)} đang mở[/] (đã ghi lại "
                      "cùng lý do):")
            for f in result.open:
                out.print(_finding_line(f, result.names))
    else:
        out.print(f"[green]Đã mở khóa[/] kỳ {result.period.label} lúc {shown_time(result.at)}; "
                  f"lý do: {shown(result.reason)}")


def print_accepted(out, result) -> None:
    """dvk accept / unaccept / accept --list: the findings with who, when, why."""
    from dvk_cli.core.text import shown_time

    label = result.period.label
    if not result.items:
        out.print(f"Chưa có vấn đề nào được chấp nhận trong {label}.")
        return
    head = {"accept": f"[green]Đã chấp nhận[/] {len(result.items)} vấn đề ({label}):",
            "unaccept": f"[yellow]Đã bỏ chấp nhận[/] {len(result.items)} vấn đề ({label}); các "
                        "vấn đề này trở lại đang mở:",
            "list": f"Các vấn đề đã chấp nhận trong {label} ({len(result.items)}):"}[result.action]
    out.print(head)
    for f, a in result.items:
        out.print(_finding_line(f, result.names))
        out.print(f"  chấp nhận: {shown(a.why)} ({shown(a.by)}, {shown_time(a.at)})")


def print_baseline(out, result) -> None:
    """dvk baseline: the findings, then what was stored."""
    for f in result.findings:
        out.print(f"[{'bold red' if f.severity == 'error' else 'yellow'}]{shown(f.message)}[/]")
    label = result.period.label
    text = {
        "new": f"[green]Đã nạp[/] {result.values} chỉ tiêu làm số liệu nền {label}",
        "replaced": f"[green]Đã thay[/] số liệu nền {label} ({result.values} chỉ tiêu; bản cũ "
                    "vẫn giữ trong lịch sử)",
        "unchanged": f"Số liệu nền {label} từ tệp này đã có trong kho; không thay đổi gì",
        "refused": f"[bold red]Chưa nạp[/] số liệu nền {label}: sửa các lỗi trên rồi chạy lại",
    }[result.status]
    out.print(f"{text} ({shown(str(result.store))}).")


def print_trend(out, result) -> None:
    """dvk trend: the indicator over the periods, with a bar each."""
    from rich.table import Table

    from dvk_cli.core.numbers import fmt_figure

    ind, key = result.indicator, result.code
    if not result.series:
        out.print(f"Kho lịch sử chưa có số liệu {ind.short} ({key}) của {result.who}.",
                  markup=False)
        return
    top = max(float(v) for _, v in result.series)
    table = Table(title=shown(f"{ind.label} ({key}) — {result.who}"), title_justify="left")
    table.add_column("Kỳ")
    table.add_column("Số liệu", justify="right")
    table.add_column("", no_wrap=True)
    last_kind = None
    for p, v in result.series:
        if last_kind is not None and p.kind != last_kind:
            table.add_section()
        last_kind = p.kind
        table.add_row(p.title, fmt_figure(v, ind), f"[cyan]{bar(float(v), top)}[/]")
    out.print(table)
