"""What `dvk aggregate` imports: a province's run is mostly start-up, so
nothing the command does not use is imported (issue 16). Writing the Word
report, editing workbooks and typer's pydantic coercion stay out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import copy_sample

# Heavy packages the aggregate path (without --docx) has no use for.
NOT_NEEDED = ("pydantic", "openpyxl", "matplotlib", "docxtpl", "docx", "PIL", "lxml")

# The dvk entry point ends the process itself (cli/ending.py) once the atexit
# handlers have run: the probe looks at the process from one of them.
PROBE = """
import atexit, json, os, runpy, sys
sys.argv = ["dvk", *sys.argv[1:]]

def probe():
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None
    print(json.dumps({"modules": sorted({m.split(".")[0] for m in sys.modules}),
                      "threads": threads}))

atexit.register(probe)
runpy.run_module("dvk_cli", run_name="__main__")
"""


def _run(*args: str, cwd: Path, env: dict | None = None) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, env={**environ, **(env or {})})
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "code": done.returncode}


def _imported(*args: str, cwd: Path) -> tuple[int, set[str]]:
    result = _run(*args, cwd=cwd)
    return result["code"], set(result["modules"])


def test_aggregate_imports_only_what_it_uses(tmp_path):
    folder = copy_sample(tmp_path / "tinh")
    code, modules = _imported("aggregate", "2024", "--period", "2024", "--out", "ra",
                              "--no-store", cwd=folder)
    assert code in (0, 1, None)
    assert (folder / "ra" / "tong-hop-2024.xlsx").exists()  # it really ran
    assert {"pandas", "xlsxwriter"} <= modules  # (calamine runs in the reading workers)
    assert not modules & set(NOT_NEEDED), sorted(modules & set(NOT_NEEDED))


def test_a_command_that_stops_at_once_imports_no_pydantic(tmp_path):
    code, modules = _imported("aggregate", str(tmp_path / "khong-co"), "--period", "2024",
                              cwd=tmp_path)
    assert code not in (0, None)
    assert "pydantic" not in modules and "pandas" not in modules


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or (os.cpu_count() or 1) < 2,
                    reason="counts the process's threads in /proc, on several cores")
def test_numpy_starts_no_blas_threads_unless_the_user_asks(tmp_path):
    """OpenBLAS starts a thread per extra core when numpy is imported: dvk
    sets OPENBLAS_NUM_THREADS=1 (unless set), so its process ends with the
    main thread only, while the same run with the user's 2 has more."""
    folder = copy_sample(tmp_path / "tinh")
    args = ("aggregate", "2024", "--period", "2024", "--out", "ra", "--no-store")
    ours = _run(*args, cwd=folder)
    theirs = _run(*args, cwd=folder, env={"OPENBLAS_NUM_THREADS": "2"})
    assert ours["threads"] == 1
    assert theirs["threads"] > 1
