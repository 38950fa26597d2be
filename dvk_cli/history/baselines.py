"""Baselines: figures of a period before dvk, typed from an earlier report or workbook."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import readable_path, relative_path
from dvk_cli.core.findings import Finding
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.core.text import shown_time
from dvk_cli.history.lookup import find_store, parse_period_arg
from dvk_cli.history.store import (
    AREA,
    KIND_BASELINE,
    StoredValue,
)

if TYPE_CHECKING:
    pass


@dataclass
class BaselineResult:
    period: Period
    status: str  # new | unchanged | replaced | refused
    values: int = 0
    findings: list[Finding] = field(default_factory=list)
    store: str = ""


def load_baseline(file: Path, *, period: str | None = None, config_path: Path | None = None,
                  replace: bool = False) -> BaselineResult:
    """Past totals typed into a blank form (or an earlier Biểu tổng hợp), stored
    as the whole area's figures for a period before dvk."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.core.files import display_path
    from dvk_cli.core.version import VERSION
    from dvk_cli.reading.dispatch import read_return

    shown = display_path(file)
    if not file.is_file():
        raise UsageError(f"Không tìm thấy “{shown}”.")
    store, config = find_store(config_path, [file], create=True)
    with store:
        catalog = catalog_for(config)
        data = read_return(file, catalog, shown)
        if data.parts:
            raise UsageError(f"Tệp {shown} là bảng nhiều dòng đơn vị; số liệu nền phải là số liệu "
                             "toàn địa bàn trong một biểu (biểu mẫu trống hoặc Biểu tổng hợp).")
        errors = [f for f in data.findings if f.severity == "error"]
        file_period = parse_period(data.period_text) if data.period_text else None
        if period:
            p = parse_period_arg(period)
            if file_period is not None and file_period != p:
                raise UsageError(f"Tệp {shown} ghi kỳ báo cáo {file_period.label}, không phải "
                                 f"{p.label}.")
        elif file_period is not None:
            p = file_period
        else:
            raise UsageError("Không xác định được kỳ của số liệu nền; hãy ghi --period (ví dụ "
                             "--period 2023).")
        result = BaselineResult(p, "refused", len(data.values), list(data.findings),
                                str(store.path))
        if not data.readable or errors or not data.values:
            if data.readable and not data.values and not errors:
                result.findings.append(Finding(
                    "error", "baseline_empty",
                    f"Tệp {shown}: không đọc được số liệu nào (cần cột Mã và Số liệu như biểu mẫu).",
                    file=shown))
            return result
        lock = store.lock_state(p.code)
        current = store.current(AREA, p.code, KIND_BASELINE)
        if current is not None and current.sha256 == data.sha256:
            result.status = "unchanged"
            return result
        if lock:
            raise UsageError(f"Kỳ {p.label} đã khóa lúc {shown_time(lock.locked_at)}: không nhận "
                             "số liệu nền mới.")
        if current is not None and not replace:
            raise UsageError(
                f"Đã có số liệu nền {p.label} (tệp {current.file}, nạp lúc "
                f"{shown_time(current.read_at)}); tệp {shown} có số liệu khác. Dùng --replace để "
                "thay thế (bản cũ vẫn giữ trong lịch sử)."
            )
        values = [StoredValue(v.code, v.value, v.sheet, v.cell, v.how, v.note)
                  for v in data.values]
        with store.transaction():
            # a lock or another baseline committed since the checks above: refused
            again = store.current(AREA, p.code, KIND_BASELINE)
            if store.lock_state(p.code) or (again and (not current or again.id != current.id)):
                raise UsageError(f"Kỳ {p.label} vừa được khóa hoặc vừa nhận số liệu nền khác trong "
                                 "lúc dvk đọc tệp; hãy chạy lại lệnh.")
            run_id = store.start_run("baseline", p.code, json.dumps([str(file)]), 1, VERSION)
            if current is not None:
                store.supersede(current.id)
            earlier = store.find(AREA, p.code, data.sha256, KIND_BASELINE)
            if earlier is not None:
                store.reinstate(earlier.id)
                new_id = earlier.id
            else:
                new_id = store.insert_submission(
                    unit=AREA, period=p.code, kind=KIND_BASELINE,
                    file=relative_path(file, store.path.parent), file_name=readable_path(file.name),
                    sha256=data.sha256, values=values, models=list(data.models),
                    file_mtime=file.stat().st_mtime, sheet=data.sheet, run_id=run_id)
            if current is not None:
                store.link_successor(current.id, new_id)
            store.finish_run(run_id, new=int(current is None), replaced=int(current is not None),
                             refused=0, locked=False)
        result.status = "replaced" if current is not None else "new"
        return result
