"""How the dvk command ends, once its work is done and its output written.

A normal interpreter exit tears everything down: it clears every module and
frees every object one by one. dvk has nothing left to do by then — its
outputs are written atomically and closed, the history store committed (or
rolled back) and closed — yet that teardown took 0.12–0.2 s, a fifth of a
province's whole run (N = 130, bench/bench.py). `finish` does what an exit
must do and skips the rest:

1. It waits as the interpreter would: when a non-daemon thread still runs,
   the normal exit is taken (the interpreter joins it).
2. It runs the atexit handlers (multiprocessing reaps its children there,
   weakref.finalize and tempfile clean up there, coverage saves there).
3. It flushes stdout and stderr; if that fails (a closed pipe), the normal
   exit is taken, which reports it as Python always does.
4. os._exit with SystemExit's status: None is 0, an int is itself, anything
   else is printed to stderr and gives 1.

Only the `dvk` entry point (`main`) ends this way; the Typer app, its test
runner and the Python API end as they always did.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def status_of(code: object) -> int:
    """The process status SystemExit(code) gives (printing a non-int code to
    stderr, as the interpreter does)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        print(code, file=sys.stderr)
    except (OSError, ValueError):
        pass
    return 1


def _threads_running() -> bool:
    """A non-daemon thread other than this one is alive (the interpreter
    would wait for it)."""
    me = threading.current_thread()
    return any(t is not me and not t.daemon and t.is_alive() for t in threading.enumerate())


def finish(code: object = 0) -> NoReturn:
    """End the process with SystemExit(code)'s status, without the
    interpreter's teardown (see the module's docstring)."""
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is None or threading.current_thread() is not threading.main_thread() \
            or _threads_running():
        raise SystemExit(code)
    run_exitfuncs()  # (each handler's exception is printed and the next runs, as at exit)
    status = status_of(code)  # (prints a text code, as the interpreter does)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        raise SystemExit(status) from None  # the interpreter says what went wrong, as always
    os._exit(status & 0xFF)  # (what the system keeps of any status, negative ones too)
