"""Modules a run will need, imported in a background thread while the
returns are read in worker processes.

The main process only waits for the workers then (their pipes, in `select`),
so importing pandas and numpy there (0.4 s, most of a province's run) costs
no time. The thread starts once the workers are forked: a worker is forked
only from a process without other threads (dvk_cli/reading/workers.py), and
is joined once the files are read, so that no thread outlives the read.

An entry "module:function" also calls the module's function (no arguments):
work the run will need whatever the returns say, such as compiling the
report template, done here instead of after the read.

An import (or call) that fails here is ignored: the module is imported
again, and the function called again, where it is used, and fails there
with the usual error.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field


@dataclass
class Warmup:
    """Import `modules` ("module", or "module:function" to call it too) in
    the background: `start` (once), then `join`."""

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
        for entry in self.modules:
            name, _, function = entry.partition(":")
            try:
                module = importlib.import_module(name)
                if function:
                    getattr(module, function)()
            except Exception:  # noqa: BLE001 - done again, and reported, where used
                pass
