"""The history store attacked from outside dvk, each dvk run its own process
(issue 14): two runs at once on a new store, a read cache entry forged to
run code, a damaged store, a store folder that cannot be written."""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hostile_harness import assert_contained, province, run_dvk

BUSY = "đang có một lần chạy khác ghi vào; hãy chờ lần chạy đó xong rồi chạy lại"
BROKEN = ("UNIQUE constraint failed", "already exists", "Lỗi không mong đợi", "Traceback",
          "đã hỏng")


def _start(folder: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "dvk_cli", *args], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, encoding="utf-8")


def test_two_aggregates_at_once_on_a_new_store_both_end_cleanly(tmp_path):
    p = province(tmp_path)
    procs = [_start(p.folder, "aggregate", "2026", "--period", "2026", "--out", f"out{i}",
                    "--json") for i in range(2)]
    outcomes = [(proc.wait(timeout=300), *proc.communicate()) for proc in procs]
    stored = 0
    for rc, out, err in outcomes:
        text = " ".join((out + err).split())
        assert not any(bad in text for bad in BROKEN), text[-2000:]
        if rc == 2:  # the other run held the store longer than this one would wait
            assert BUSY in text, text[-2000:]
        else:
            assert rc in (0, 1), text[-2000:]
            stored += 1
    assert stored >= 1
    conn = sqlite3.connect(p.folder / "dvk.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == stored
        current = conn.execute("SELECT unit, count(*) FROM submissions WHERE period = '2026' "
                               "AND status = 'current' GROUP BY unit").fetchall()
        assert len(current) == 11 and all(n == 1 for _, n in current)
        # the second run found the first one's returns unchanged: nothing twice
        assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] == 11
    finally:
        conn.close()


def test_a_forged_cache_entry_runs_nothing_in_a_plain_validate(tmp_path):
    p = province(tmp_path)
    first = run_dvk("aggregate", "2026", "--period", "2026", "--out", "out", cwd=p.folder)
    assert first.rc in (0, 1), first.stderr
    marker = tmp_path / "pwned"

    class Plant:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    payload = zlib.compress(pickle.dumps(Plant(), protocol=5), 1)
    with sqlite3.connect(p.folder / "dvk.sqlite") as conn:
        assert conn.execute("UPDATE read_cache SET data = ?", (payload,)).rowcount == 11
    out = run_dvk("validate", "2026", "--period", "2026", "--json", cwd=p.folder)
    assert_contained(out, p, rc={0, 1})
    assert not marker.exists()


def test_a_damaged_store_stops_aggregate_with_a_clear_message(tmp_path):
    p = province(tmp_path)
    first = run_dvk("aggregate", "2026", "--period", "2026", "--out", "out", cwd=p.folder)
    assert first.rc in (0, 1), first.stderr
    db = p.folder / "dvk.sqlite"
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master "
                        "WHERE name = 'sqlite_autoindex_cell_values_1'").fetchone()[0]
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size + 8)
        f.write(b"\xff" * 64)
    out = run_dvk("aggregate", "2026", "--period", "2026", "--out", "out", cwd=p.folder)
    assert_contained(out, rc={2}, names=["dvk.sqlite", "đã hỏng", "sao lưu"])


def test_a_store_folder_that_cannot_be_written_is_named(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into a folder of mode 0555: chmod cannot make it read-only")
    p = province(tmp_path)
    first = run_dvk("aggregate", "2026", "--period", "2026", "--out", str(tmp_path / "out"),
                    cwd=p.folder)
    assert first.rc in (0, 1), first.stderr
    os.chmod(p.folder, 0o555)
    try:
        out = run_dvk("aggregate", "2026", "--period", "2026", "--out", str(tmp_path / "out"),
                      cwd=p.folder)
    finally:
        os.chmod(p.folder, 0o755)
    assert_contained(out, rc={2}, names=["dvk.sqlite", "chỉ cho đọc"])
