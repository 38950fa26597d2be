"""dvk's own temporary outputs left behind by a run that was killed while
writing (core/files.py `atomic_path` writes each output to a temp file beside
it, ``.tong-hop-2024-k3j9x2ab.xlsx``, then renames it): the next run in the
same output folder removes them.

Only names of exactly that shape are touched (a dot, the stem of one of dvk's
outputs, the temp file's random part, the output's suffix), only regular
files, and only when nothing has written to them for STALE_AFTER_S: a run
writing into the same folder right now keeps its temp files.
"""

from __future__ import annotations

import re
import stat
import time
from pathlib import Path

from dvk_cli.outputs.names import REPORT_FORMATS, REPORT_STEM, WORKBOOK_STEM

STALE_AFTER_S = 5 * 60  # a live run writes its temp file within seconds

_SUFFIXES = "|".join(re.escape(s) for s in ("xlsx", *REPORT_FORMATS))
# .<stem>-<period code>-<random part of mkstemp>.<suffix>
TEMP_OUTPUT = re.compile(
    rf"^\.(?:{re.escape(WORKBOOK_STEM)}|{re.escape(REPORT_STEM)})-[0-9A-Za-z-]+-[0-9A-Za-z_]{{6,16}}"
    rf"\.(?:{_SUFFIXES})$")


def is_temp_output(name: str) -> bool:
    """A name dvk gives the temp file of one of its outputs."""
    return TEMP_OUTPUT.match(name) is not None


def stale_temp_outputs(folder: Path, *, now: float | None = None,
                       age: float = STALE_AFTER_S) -> list[Path]:
    """dvk's temp outputs in `folder` that nothing has written to for `age` seconds."""
    now = time.time() if now is None else now
    out: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return out  # no folder (yet), or not readable: nothing to clean
    for path in entries:
        if not is_temp_output(path.name):
            continue
        try:
            st = path.lstat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and now - st.st_mtime >= age:
            out.append(path)
    return sorted(out)


def remove_stale_temp_outputs(folder: Path, *, now: float | None = None,
                              age: float = STALE_AFTER_S) -> list[Path]:
    """Remove dvk's stale temp outputs from `folder`; the paths removed. A
    file that cannot be removed (in use, no permission) is left alone."""
    removed = []
    for path in stale_temp_outputs(folder, now=now, age=age):
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed
