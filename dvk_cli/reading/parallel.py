"""Reading many files: in this process, or across a process pool when there
are many (workers are module-level functions, as pools need)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from dvk_cli.core.catalog import Catalog
from dvk_cli.core.files import display_path
from dvk_cli.reading.dispatch import read_return
from dvk_cli.reading.mapping import Mapping
from dvk_cli.reading.returns import ReturnData

# Below this many files a process pool costs more than it saves.
PARALLEL_MIN_FILES = 64


ProgressHook = Callable[[int, int], None]


_worker_catalog: Catalog | None = None


def _init_worker(catalog: Catalog, limits=None) -> None:
    global _worker_catalog
    _worker_catalog = catalog
    if limits is not None:  # the guards' limits from dvk.toml [limits]
        from dvk_cli.reading.guards import set_limits

        set_limits(limits)


def _read_in_worker(item: tuple) -> ReturnData:
    path, shown, mapping = item
    assert _worker_catalog is not None, "the pool's initializer sets the catalog"
    return read_return(Path(path), _worker_catalog, shown, mapping)


def read_all(files: list[Path], catalog: Catalog, *, workers: int | None = None,
             progress: ProgressHook | None = None,
             mappings: dict[Path, Mapping] | None = None) -> list[ReturnData]:
    """Read every file, in parallel across processes when there are many.

    `mappings` gives the mapping file that applies to a file, if any.
    """
    mappings = mappings or {}
    items = [(str(p), display_path(p), mappings.get(p)) for p in files]
    cpus = os.cpu_count() or 1
    if workers is None:
        workers = min(cpus, 8) if len(files) >= PARALLEL_MIN_FILES and cpus > 1 else 1
    results: list[ReturnData] = []
    if workers <= 1:
        for i, (path, shown, mapping) in enumerate(items, start=1):
            results.append(read_return(Path(path), catalog, shown, mapping))
            if progress:
                progress(i, len(items))
        return results
    chunk = max(1, min(64, len(items) // (workers * 8) or 1))
    from dvk_cli.reading.guards import current_limits

    with ProcessPoolExecutor(workers, initializer=_init_worker,
                             initargs=(catalog, current_limits())) as pool:
        for i, data in enumerate(pool.map(_read_in_worker, items, chunksize=chunk), start=1):
            results.append(data)
            if progress:
                progress(i, len(items))
    return results
