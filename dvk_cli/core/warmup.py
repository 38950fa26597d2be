"""Modules a run will need, imported in a background thread while the
returns are read in worker processes.

The main process only waits for the workers then (their pipes, in `select`),
so importing pandas and numpy there (0.4 s, most of a province's run) costs
no time. The thread starts once the workers are forked: a worker is forked
only from a process without other threads (dvk_cli/reading/workers.py), and
is joined once the files are read, so that no thread outlives the read.

An import that fails here is ignored: the module is imported again where it
is used, and fails there with the usual error.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field


@dataclass
class Warmup:
    """Import `modules` in the background: `start` (once), then `join`."""

    modules: tuple[str, ...]
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        if self._thread is not None or not self.modules:
            return
        self._thread = threading.Thread(target=self._import, name="dvk-warmup", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _import(self) -> None:
        for name in self.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - imported again, and reported, where used
                pass
