"""Issue 14: a file that kills its reader (abort, memory, time, ≥ 64 files)
takes only itself down; dvk run as its own process, as a user runs it.

Hostile readers that no real file of ours reproduces on demand (a hang, a
slow climb in memory) are injected with a sitecustomize module on
PYTHONPATH: it replaces the worker's `read_return` for files whose name says
so, in dvk and in the workers forked from it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hostile_harness import (
    YEAR,
    HostileProvince,
    assert_contained,
    province,
    province_of,
    run_dvk,
)
from realistic import RealUnit

from dvk_cli.reading.parallel import worker_count

INJECT = '''
import os, time
import dvk_cli.reading.guards as guards
import dvk_cli.reading.workers as workers

guards.archive_problem = lambda raw, limits=None: None  # let the parser meet the file
_real = workers.read_return

def _hostile(path, *args, **kwargs):
    name = os.path.basename(str(path))
    if name.startswith("hang"):
        time.sleep(3600)
    if name.startswith("hog"):  # a slow climb, as a looping sector chain makes
        held = []
        while True:
            held.append(b"x" * (4 << 20))
    if name.startswith("slow"):
        time.sleep(3600)
    return _real(path, *args, **kwargs)

workers.read_return = _hostile
'''


def injected(tmp_path: Path) -> dict[str, str]:
    """The environment that runs dvk with the hostile readers above."""
    where = tmp_path / "inject"
    where.mkdir(exist_ok=True)
    (where / "sitecustomize.py").write_text(INJECT, encoding="utf-8")
    return {"PYTHONPATH": os.pathsep.join([str(where), os.environ.get("PYTHONPATH", "")])}


def cell_at_xfd(source: Path, dest: Path) -> Path:
    """`source` with one more cell at XFD1048576: calamine builds the dense
    grid from A1 and asks for 512 GB (17 billion cells)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"</sheetData>",
                                    b"<row r='1048576'><c r='XFD1048576' t='n'><v>1</v></c></row>"
                                    b"</sheetData>")
            out.writestr(info, data)
    return dest


def with_limits(p: HostileProvince, text: str) -> None:
    config = p.folder / "dvk.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[limits]\n" + text + "\n",
                      encoding="utf-8")


def rules_on(out, name: str) -> set[str]:
    return {f["rule"] for f in out.json()["findings"] if name in (f.get("file") or "")}


def test_a_return_that_makes_calamine_abort_is_a_finding_and_the_others_count(tmp_path):
    p = province(tmp_path)
    cell_at_xfd(next(p.returns.glob("*.xlsx")), p.returns / "khong-lo.xlsx")
    with_limits(p, "max_cells = 1000000000000")
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder,
                  env=injected(tmp_path))
    assert_contained(out, p, rc={1}, names=["khong-lo.xlsx", "vượt giới hạn bộ nhớ",
                                           "400 MB", "max_memory_mb"])
    assert rules_on(out, "khong-lo.xlsx") == {"read_memory_limit"}
    assert len(out.json()["units"]) == len(list(p.returns.glob("*.xlsx"))) - 1


def test_a_reader_that_hangs_is_stopped_at_the_time_limit(tmp_path):
    p = province(tmp_path)
    (p.returns / "hang.xlsx").write_bytes(next(p.returns.glob("*.xlsx")).read_bytes())
    with_limits(p, "max_seconds = 1")
    started = time.monotonic()
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder,
                  env=injected(tmp_path), timeout=60)
    assert time.monotonic() - started < 30
    assert_contained(out, p, rc={1}, names=["hang.xlsx", "vượt giới hạn thời gian", "1 giây",
                                           "max_seconds"])
    assert rules_on(out, "hang.xlsx") == {"read_time_limit"}


def test_a_reader_whose_memory_climbs_is_stopped_under_the_memory_bound(tmp_path):
    p = province(tmp_path)
    (p.returns / "hog.xlsx").write_bytes(next(p.returns.glob("*.xlsx")).read_bytes())
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder,
                  env=injected(tmp_path), timeout=120)
    assert_contained(out, p, rc={1}, names=["hog.xlsx", "vượt giới hạn bộ nhớ"])  # < 500 MB
    assert rules_on(out, "hog.xlsx") == {"read_memory_limit"}
    assert out.peak_mb > 300  # the climb was real: the limit, not luck, stopped it


def test_a_lower_memory_limit_from_dvk_toml_applies(tmp_path):
    p = province(tmp_path)
    (p.returns / "hog.xlsx").write_bytes(next(p.returns.glob("*.xlsx")).read_bytes())
    with_limits(p, "max_memory_mb = 100")
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder,
                  env=injected(tmp_path), timeout=120)
    assert_contained(out, p, rc={1}, names=["hog.xlsx", "100 MB"], peak_mb=300)
    assert rules_on(out, "hog.xlsx") == {"read_memory_limit"}


def big_province(tmp_path: Path, units: int) -> HostileProvince:
    """`units` valid returns (enough for several workers) and their totals."""
    chosen = [RealUnit(f"XA{k:03d}", f"Xã Thử Nghiệm {k:03d}", 0.5 + (k % 7) / 4)
              for k in range(1, units + 1)]
    return province_of(tmp_path, chosen)


def test_one_killer_among_64_files_is_named_and_the_63_others_count(tmp_path):
    p = big_province(tmp_path, 63)
    cell_at_xfd(p.returns / "xa001.xlsx", p.returns / "xa-khong-lo.xlsx")
    with_limits(p, "max_cells = 1000000000000")
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder,
                  env=injected(tmp_path))
    assert_contained(out, p, rc={1}, names=["xa-khong-lo.xlsx", "vượt giới hạn bộ nhớ"])
    assert "BrokenProcessPool" not in out.said
    assert rules_on(out, "xa-khong-lo.xlsx") == {"read_memory_limit"}
    assert len(out.json()["units"]) == 63


def _children(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie no parent reaps is not running


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_dvk_mid_read_leaves_no_worker_behind(tmp_path):
    p = big_province(tmp_path, 64)
    for k in range(1, 65):  # every read blocks: the workers are busy when dvk dies
        (p.returns / f"xa{k:03d}.xlsx").rename(p.returns / f"slow{k:03d}.xlsx")
    expected = worker_count(64)  # 2 or more on a machine with 2 cores or more
    env = {**os.environ, **injected(tmp_path)}
    dvk = subprocess.Popen([sys.executable, "-m", "dvk_cli", "validate", str(YEAR), "--period",
                            str(YEAR), "--json"], cwd=p.folder, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < expected:
            workers = _children(dvk.pid)
            time.sleep(0.05)
        assert len(workers) == expected, (workers, expected)
        time.sleep(0.3)  # well into their (endless) reads
        os.kill(dvk.pid, signal.SIGKILL)
        dvk.wait(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(map(_alive, workers)):
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)], "workers outlived dvk"
    finally:
        if dvk.poll() is None:
            dvk.kill()
            dvk.wait()
