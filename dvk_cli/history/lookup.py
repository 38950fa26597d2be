"""Finding a working folder's store, and reading periods, units and series from it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.history.store import (
    AREA,
    STORE_NAME,
    Store,
    store_path_for,
)

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Catalog
    from dvk_cli.core.config import Config


def find_store(config_path: Path | None = None, start: list[Path] | None = None, *,
               create: bool = False) -> tuple[Store, Config]:
    """The store beside the dvk.toml found from `start` (default: the current folder)."""
    from dvk_cli.core.config import find_config, load_config

    path = find_config(start or [Path.cwd()], config_path)
    if path is None:
        raise UsageError(
            f"Không tìm thấy dvk.toml: kho lịch sử {STORE_NAME} nằm cùng thư mục với dvk.toml. "
            "Chạy lệnh trong thư mục làm việc hoặc chỉ rõ --config."
        )
    config = load_config(path)
    store_file = store_path_for(config)
    assert store_file is not None  # config came from a dvk.toml file
    if not create and not store_file.is_file():
        raise UsageError(
            f"Chưa có kho lịch sử {store_file}: kho được tạo khi chạy dvk aggregate lần đầu."
        )
    return Store(store_file), config


def parse_period_arg(text: str) -> Period:
    p = parse_period(text)
    if p is None:
        raise UsageError(
            f"Kỳ báo cáo “{text}” không hợp lệ. Ví dụ: 2024, 2024-H1, 2024-Q3, 2024-9M, 2024-05."
        )
    return p


def resolve_unit(text: str, config: Config, store: Store | None = None) -> str:
    """A unit code from a code or a name (dvk.toml), or a code known to the store."""
    registry = config.registry
    if registry:
        unit = registry.get(text)
        if unit is None:
            m = registry.match(text)
            unit = m.unit
            if unit is None and m.candidates:
                names = ", ".join(u.name for u in m.candidates)
                raise UsageError(f"“{text}” khớp với nhiều đơn vị ({names}); hãy ghi mã đơn vị.")
        if unit is not None:
            return unit.code
    code = text.strip().upper()
    if store is not None and store.submissions(unit=code):
        return code
    raise UsageError(f"Không có đơn vị “{text}” trong dvk.toml hay trong kho lịch sử.")


def unit_names(config: Config) -> dict[str, str]:
    names = {u.code: u.name for u in config.registry}
    names[AREA] = "Toàn địa bàn (số liệu nền)"
    return names


def unit_series(store: Store, code: str, catalog: Catalog,
                unit: str | None = None) -> list[tuple[Period, float | int | None]]:
    """One indicator over every stored period (whole area, or one unit), in
    period order, kinds grouped (years, then halves, quarters …)."""
    from dvk_cli.history.compare import consolidate_figures, period_figures

    kinds = {"Y": 0, "H": 1, "9M": 2, "Q": 3, "M": 4}
    periods = sorted((p for p in map(parse_period, store.periods()) if p is not None),
                     key=lambda p: (kinds.get(p.kind, 9), p.year, p.index))
    series = []
    for p in periods:
        if unit is None:
            figures = period_figures(store, p, catalog)
            value = figures["totals"].get(code) if figures else None
        else:
            values = store.period_values(p.code).get(unit)
            if not values:
                continue
            _, table = consolidate_figures({unit: values}, p, catalog)
            value = table.get(unit, {}).get(code)
        if value is not None:
            series.append((p, value))
    return series
