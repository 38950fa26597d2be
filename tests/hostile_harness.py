"""The harness of the hostile-input corpus (issue 14): a valid province, one
hostile file dropped among its returns, and dvk run as its own process.

    from hostile_harness import province, run_dvk, assert_contained

    p = province(tmp_path)                 # dvk.toml + 2026/ with 11 valid returns
    (p.folder / "2026" / "bad.xlsx").write_bytes(hostile)
    out = run_dvk("validate", "2026", "--period", "2026", "--json", cwd=p.folder)
    assert_contained(out, p, rc={1}, names="bad.xlsx")

`run_dvk` measures the peak resident memory of dvk and of every process it
started and waited for (os.wait4 on the child), so a test can hold the run
under 500 MB. `assert_contained` checks what every item of the corpus must
show: the exit code, no traceback, the file (or cell) named, and the other
returns' totals unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from realistic import write_province

PEAK_LIMIT_MB = 500
YEAR = 2026


@dataclass(frozen=True)
class Outcome:
    rc: int
    stdout: str
    stderr: str
    peak_mb: float  # peak RSS of dvk and the processes it waited for

    @property
    def said(self) -> str:
        """stdout and stderr as one line (the console may wrap)."""
        return " ".join((self.stdout + "\n" + self.stderr).split())

    def json(self) -> dict:
        return json.loads(self.stdout)


@dataclass(frozen=True)
class HostileProvince:
    folder: Path  # the working folder: dvk.toml here
    returns: Path  # folder / "2026"
    totals: dict[str, float]  # the valid returns' totals, as dvk reports them alone


def province(tmp_path: Path, units: int | None = None) -> HostileProvince:
    """The realistic province's 2026 returns (one year: no store needed) and
    the totals dvk gives for them before any hostile file joins them."""
    from realistic import PROVINCE

    return province_of(tmp_path, PROVINCE if units is None else PROVINCE[:units])


def province_of(tmp_path: Path, chosen) -> HostileProvince:
    """The 2026 returns of the units `chosen` (realistic.RealUnit) and their totals."""
    from dvk_cli.core.numbers import clean

    p = write_province(tmp_path / "prov", years=(YEAR,), units=chosen)
    totals: dict[str, float] = {}
    for figures in p.figures[YEAR].values():
        for code, value in figures.items():
            if value is not None:
                totals[code] = totals.get(code, 0) + value
    return HostileProvince(folder=tmp_path / "prov", returns=p.returns[YEAR],
                           totals={code: clean(v) for code, v in totals.items()})


# Linux keeps a process's peak RSS across exec: a dvk started straight from a
# pytest worker that has grown to 345 MB would report 345 MB, whatever dvk
# used. So a small launcher (a fresh Python, a few MB) starts dvk and reports
# dvk's own rusage (os.wait4: dvk and every process it waited for).
_LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "dvk_cli", *sys.argv[2:]], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_dvk(*args: object, cwd: Path, timeout: float = 300,
            env: dict[str, str] | None = None) -> Outcome:
    """`python -m dvk_cli ARGS` in `cwd`, with its exit code, output and peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "maxrss"
        full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(peak_file), *map(str, args)],
                                cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=full_env, start_new_session=True)
        try:
            _, status, _ = _wait4(proc.pid, timeout)
        except TimeoutError:
            os.killpg(proc.pid, 9)
            os.waitpid(proc.pid, 0)
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Outcome(rc=proc.returncode, stdout=out.read().decode("utf-8", "replace"),
                       stderr=err.read().decode("utf-8", "replace"),
                       peak_mb=int(peak_file.read_text()) / 1024)


def _wait4(pid: int, timeout: float):
    import time

    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return done, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"dvk did not finish in {timeout} s")
        time.sleep(0.02)


def assert_contained(out: Outcome, p: HostileProvince | None = None, *,
                     rc: Iterable[int] = (0, 1), names: Iterable[str] | str = (),
                     totals: bool = True, peak_mb: float = PEAK_LIMIT_MB) -> None:
    """What every item of the corpus must show (see the module docstring).

    `names`: texts the output must contain (the file, the cell …). With `p`
    and totals=True the run's --json totals must equal the valid returns' own.
    """
    allowed = set(rc)
    assert "Traceback" not in out.stderr + out.stdout, out.stderr[-3000:]
    assert out.rc in allowed, (out.rc, out.stderr[-3000:], out.stdout[-3000:])
    for text in [names] if isinstance(names, str) else names:
        assert text in out.said, f"{text!r} not in: {out.said[-3000:]}"
    assert out.peak_mb < peak_mb, f"peak memory {out.peak_mb:.0f} MB"
    if p is not None and totals:
        got = out.json()["totals"]
        for code, value in p.totals.items():
            assert got.get(code) == value, (code, got.get(code), value)
