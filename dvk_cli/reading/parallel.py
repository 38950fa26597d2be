"""Reading many files: each in a worker process (dvk_cli/reading/workers.py),
one worker for a few files, min(cpus, 8) when there are many."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from dvk_cli.core.catalog import Catalog
from dvk_cli.reading.guards import current_limits
from dvk_cli.reading.mapping import Mapping
from dvk_cli.reading.returns import ReturnData
from dvk_cli.reading.workers import Known, Reuse, read_in_workers

# Below this many files more than one worker costs more than it saves.
PARALLEL_MIN_FILES = 64


ProgressHook = Callable[[int, int], None]


def worker_count(files: int, workers: int | None = None) -> int:
    """How many worker processes read `files` files (`workers`: as asked)."""
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = min(cpus, 8) if files >= PARALLEL_MIN_FILES and cpus > 1 else 1
    return max(1, min(workers, files))


def read_all(files: list[Path], catalog: Catalog, *, workers: int | None = None,
             progress: ProgressHook | None = None,
             mappings: dict[Path, Mapping] | None = None,
             sheet: str | None = None,
             started: Callable[[], None] | None = None,
             known: dict[int, Known] | None = None,
             reuse: Reuse | None = None,
             reused: set[int] | None = None,
             shown: list[str] | None = None) -> list[ReturnData]:
    """Read every file in worker processes, under dvk.toml [limits]; the
    results keep the files' order. `progress(done, total)` is called after
    each file; `mappings` gives the mapping file that applies to a file;
    `sheet` (dvk.toml [reading] sheet) names the data sheet of a workbook
    that holds several tables; `started()` is called once the workers run.

    `known` gives, by position, what a file gave when it was read before (a
    read-cache entry and the SHA-256 the file had): a worker takes it
    (`reuse`) instead of reading the file when the file still has those
    bytes, and its position goes into `reused`. `shown`: how each file is
    named (`display_path`), when the caller has it already.

    Never raises for a file: one that kills its reader (memory, time, a
    crash) gives a finding and the others are read. Only KeyboardInterrupt
    (after the workers are stopped) and system errors propagate.
    """
    if not files:
        return []
    mappings = mappings or {}
    known = known or {}
    # Without `shown`, each worker names its files (display_path): the names
    # are not made one after the other before any worker starts.
    names: list[str] | list[None] = [None] * len(files) if shown is None else shown
    items = [(str(p), name, mappings.get(p), sheet, known.get(i))
             for i, (p, name) in enumerate(zip(files, names, strict=True))]
    return read_in_workers(items, catalog, current_limits(), worker_count(len(files), workers),
                           progress, started, reuse=reuse, reused=reused)
