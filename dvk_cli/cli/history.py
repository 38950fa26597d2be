"""The history commands: dvk history, diff, lock, unlock, baseline, trend.

Registered on the main Typer app by dvk_cli/cli.py. Only light imports at
module level (sqlite3 is fine); pandas and friends load inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXIT_OK, EXIT_DATA = 0, 1

_BLOCKS = " ▏▎▍▌▋▊▉█"
BAR_WIDTH = 40

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Đường dẫn dvk.toml (mặc định: tìm từ thư mục hiện tại).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON ra stdout.")]


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[rest] if rest else "")


def _status(sub, names_by_id: dict[int, str]) -> str:
    from dvk_cli.history.store import KIND_BASELINE, shown_time

    prefix = "số liệu nền, " if sub.kind == KIND_BASELINE else ""
    if sub.current:
        return prefix + "đang dùng"
    text = prefix + "đã thay thế"
    if sub.superseded_at:
        text += f" lúc {shown_time(sub.superseded_at)}"
    if sub.superseded_by:
        text += f" (bằng lần nộp #{sub.superseded_by})"
    return text


def register(app: typer.Typer, *, guard, console, print_json) -> None:
    """Add the history commands to `app` (guard, console and print_json are cli.py's)."""

    @app.command()
    @guard
    def history(
        unit: Annotated[str | None, typer.Argument(help="Mã (hoặc tên) đơn vị; bỏ trống: mọi đơn vị.")] = None,
        period: Annotated[str | None, typer.Option("--period", "-p", help="Chỉ kỳ này.")] = None,
        json_out: JsonOpt = False,
        config: ConfigOpt = None,
    ) -> None:
        """Liệt kê các lần nộp báo cáo đã lưu trong kho lịch sử dvk.sqlite."""
        from rich.table import Table

        from dvk_cli.history.ledger import find_store, parse_period_arg, resolve_unit, unit_names
        from dvk_cli.history.store import shown_time

        store, cfg = find_store(config)
        with store:
            code = resolve_unit(unit, cfg, store) if unit else None
            p = parse_period_arg(period) if period else None
            subs = store.submissions(unit=code, period=p.code if p else None)
            events = store.lock_events(p.code if p else None)
            counts = {s.id: len(store.values(s.id)) for s in subs}
            names = unit_names(cfg)
            if json_out:
                print_json({
                    "store": str(store.path),
                    "submissions": [{**s.__dict__, "values": counts[s.id],
                                     "unit_name": names.get(s.unit, s.unit)} for s in subs],
                    "locks": events,
                })
                return
            out = console()
            if not subs:
                out.print("Kho lịch sử chưa có lần nộp nào"
                          + (f" của {names.get(code, code)}" if code else "")
                          + (f" cho {p.label}" if p else "") + ".")
            else:
                table = Table(title=f"Các lần nộp báo cáo — {store.path}", title_justify="left")
                for col in ("#", "Đơn vị", "Kỳ", "Tệp", "SHA-256", "Đọc lúc", "Số chỉ tiêu",
                            "Tình trạng"):
                    table.add_column(col, overflow="fold",
                                     justify="right" if col in ("#", "Số chỉ tiêu") else "left")
                for s in subs:
                    style = "" if s.current else "dim"
                    table.add_row(str(s.id), names.get(s.unit, s.unit), s.period, s.file,
                                  s.sha256[:12], shown_time(s.read_at), str(counts[s.id]),
                                  _status(s, names), style=style)
                out.print(table)
            for e in events:
                word = "Khóa" if e["action"] == "lock" else "Mở khóa"
                reason = f": {e['reason']}" if e["reason"] else ""
                out.print(f"{word} kỳ {e['period']} lúc {shown_time(e['at'])}{reason}")

    @app.command()
    @guard
    def diff(
        unit: Annotated[str, typer.Argument(help="Mã (hoặc tên) đơn vị.")],
        period: Annotated[str, typer.Option("--period", "-p", help="Kỳ báo cáo.")],
        json_out: JsonOpt = False,
        config: ConfigOpt = None,
    ) -> None:
        """So sánh từng ô giữa hai lần nộp gần nhất của một đơn vị trong một kỳ."""
        from rich.table import Table

        from dvk_cli.core.catalog import catalog_for
        from dvk_cli.core.numbers import fmt_number
        from dvk_cli.history.ledger import (
            diff_latest,
            find_store,
            parse_period_arg,
            resolve_unit,
            unit_names,
        )
        from dvk_cli.history.store import shown_time

        store, cfg = find_store(config)
        with store:
            code = resolve_unit(unit, cfg, store)
            result = diff_latest(store, code, parse_period_arg(period), catalog_for(cfg))
        if json_out:
            print_json(result.to_dict())
            return
        out = console()
        name = unit_names(cfg).get(code, code)
        out.print(f"{name} — {result.period.label}: lần nộp #{result.old.id} ({result.old.file}, "
                  f"{shown_time(result.old.read_at)}) → lần nộp #{result.new.id} "
                  f"({result.new.file}, {shown_time(result.new.read_at)})")
        if not result.changes:
            out.print("Không có ô số liệu nào thay đổi.")
        else:
            table = Table(title=f"{len(result.changes)} ô thay đổi", title_justify="left")
            for col in ("Chỉ tiêu", "Mã", "Ô cũ", "Giá trị cũ", "Ô mới", "Giá trị mới"):
                table.add_column(col, overflow="fold",
                                 justify="right" if col.startswith("Giá trị") else "left")
            for c in result.changes:
                table.add_row(c.label, c.indicator, c.old_cell or "—",
                              fmt_number(c.old) if c.old is not None else "(trống)",
                              c.new_cell or "—",
                              fmt_number(c.new) if c.new is not None else "(trống)")
            out.print(table)
        if result.models_added:
            out.print(f"Mô hình mới trong danh sách ({len(result.models_added)}): "
                      + "; ".join(result.models_added))
        if result.models_removed:
            out.print(f"Mô hình không còn trong danh sách ({len(result.models_removed)}): "
                      + "; ".join(result.models_removed))

    @app.command()
    @guard
    def lock(
        period: Annotated[str, typer.Argument(help="Kỳ báo cáo cần khóa (ví dụ 2024).")],
        why: Annotated[str, typer.Option("--why", help="Ghi chú (ví dụ số, ngày báo cáo đã ký).")] = "",
        config: ConfigOpt = None,
    ) -> None:
        """Khóa một kỳ khi báo cáo đã ký: các lần chạy sau không ghi số liệu mới của kỳ này."""
        from dvk_cli.history.ledger import find_store, lock_period, parse_period_arg
        from dvk_cli.history.store import shown_time

        p = parse_period_arg(period)
        store, _ = find_store(config, create=True)
        with store:
            at = lock_period(store, p, why)
        console().print(f"[green]Đã khóa[/] kỳ {p.label} lúc {shown_time(at)} ({store.path}).")

    @app.command()
    @guard
    def unlock(
        period: Annotated[str, typer.Argument(help="Kỳ báo cáo cần mở khóa.")],
        why: Annotated[str, typer.Option("--why", help="Lý do mở khóa (bắt buộc, được lưu lại).")] = "",
        config: ConfigOpt = None,
    ) -> None:
        """Mở khóa một kỳ; lý do và thời điểm được ghi vào kho lịch sử."""
        from dvk_cli.history.ledger import find_store, parse_period_arg, unlock_period
        from dvk_cli.history.store import shown_time

        p = parse_period_arg(period)
        store, _ = find_store(config)
        with store:
            at = unlock_period(store, p, why)
        console().print(f"[green]Đã mở khóa[/] kỳ {p.label} lúc {shown_time(at)}; lý do: {why.strip()}")

    @app.command()
    @guard
    def baseline(
        file: Annotated[Path, typer.Argument(help="Biểu mẫu đã điền số liệu toàn địa bàn "
                                             "(hoặc tệp tổng hợp cũ có trang Biểu tổng hợp).")],
        period: Annotated[str | None, typer.Option("--period", "-p", help="Kỳ của số liệu.")] = None,
        replace: Annotated[bool, typer.Option("--replace", help="Thay số liệu nền đã nạp của kỳ này.")] = False,
        json_out: JsonOpt = False,
        config: ConfigOpt = None,
    ) -> None:
        """Nạp số liệu tổng hợp của một kỳ trước khi dùng dvk, để so sánh với các kỳ sau."""
        from dvk_cli.history.ledger import load_baseline

        result = load_baseline(file, period=period, config_path=config, replace=replace)
        errors = [f for f in result.findings if f.severity == "error"]
        if json_out:
            print_json({"period": result.period.code, "status": result.status,
                        "values": result.values, "store": result.store,
                        "findings": [f.to_dict() for f in result.findings]})
        else:
            out = console()
            for f in result.findings:
                out.print(f"[{'bold red' if f.severity == 'error' else 'yellow'}]"
                          f"{f.message}[/]")
            text = {
                "new": f"[green]Đã nạp[/] {result.values} chỉ tiêu làm số liệu nền {result.period.label}",
                "replaced": f"[green]Đã thay[/] số liệu nền {result.period.label} ({result.values} "
                            "chỉ tiêu; bản cũ vẫn giữ trong lịch sử)",
                "unchanged": f"Số liệu nền {result.period.label} từ tệp này đã có trong kho; "
                             "không thay đổi gì",
                "refused": f"[bold red]Chưa nạp[/] số liệu nền {result.period.label}: sửa các lỗi "
                           "trên rồi chạy lại",
            }[result.status]
            out.print(f"{text} ({result.store}).")
        raise typer.Exit(EXIT_DATA if errors or result.status == "refused" else EXIT_OK)

    @app.command()
    @guard
    def trend(
        code: Annotated[str, typer.Argument(help="Mã chỉ tiêu (cột Mã của biểu).")],
        unit: Annotated[str | None, typer.Option("--unit", "-u", help="Chỉ một đơn vị.")] = None,
        json_out: JsonOpt = False,
        config: ConfigOpt = None,
    ) -> None:
        """In số liệu một chỉ tiêu qua các kỳ đã lưu, kèm biểu đồ nhỏ."""
        from rich.table import Table

        from dvk_cli.core.catalog import catalog_for
        from dvk_cli.core.errors import UsageError
        from dvk_cli.core.numbers import fmt_value
        from dvk_cli.history.ledger import find_store, resolve_unit, unit_names, unit_series

        store, cfg = find_store(config)
        catalog = catalog_for(cfg)
        key = code.strip().upper()
        ind = catalog.indicators.get(key)
        if ind is None:
            raise UsageError(f"Không có chỉ tiêu mã “{code}” trong danh mục (xem cột Mã của biểu mẫu).")
        with store:
            unit_code = resolve_unit(unit, cfg, store) if unit else None
            series = unit_series(store, key, catalog, unit_code)
        who = unit_names(cfg).get(unit_code, unit_code) if unit_code else cfg.organization.area
        if json_out:
            print_json({"indicator": key, "unit": unit_code,
                        "series": [{"period": p.code, "label": p.label, "value": v}
                                   for p, v in series]})
            return
        out = console()
        if not series:
            out.print(f"Kho lịch sử chưa có số liệu {ind.short} ({key}) của {who}.")
            return
        top = max(float(v) for _, v in series)
        table = Table(title=f"{ind.label} ({key}) — {who}", title_justify="left")
        table.add_column("Kỳ")
        table.add_column("Số liệu", justify="right")
        table.add_column("", no_wrap=True)
        last_kind = None
        for p, v in series:
            if last_kind is not None and p.kind != last_kind:
                table.add_section()
            last_kind = p.kind
            shown = fmt_value(v, ind.type, ind.unit)
            if ind.type == "count" and ind.unit:
                shown = f"{shown} {ind.unit}"
            table.add_row(p.title, shown, f"[cyan]{bar(float(v), top)}[/]")
        out.print(table)
