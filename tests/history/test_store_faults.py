"""The history store under concurrency and faults (issue 14, items 13-15):
one writer at a time, a period locked while a run is in progress, a store
or output folder that cannot be written, a full disk, a damaged store, and
the temp outputs a killed run leaves behind.

Every run here is the real command line (in-process) on a realistic province
(tests/realistic.py); "the store untouched" is checked by its full SQL dump.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from helpers import invoke, said
from realistic import write_province

from dvk_cli import api, pipeline
from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import parse_period
from dvk_cli.history import store as store_module
from dvk_cli.history.ledger import HistoryOptions, Ledger
from dvk_cli.history.store import Store, migrate
from dvk_cli.outputs import tempfiles

BUSY = "đang có một lần chạy khác ghi vào; hãy chờ lần chạy đó xong rồi chạy lại"


@pytest.fixture
def prov(tmp_path, monkeypatch):
    """The realistic province (2025 and 2026) as the working folder."""
    folder = tmp_path / "prov"
    write_province(folder)
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def quick(monkeypatch):
    """Runs wait 0.2 s (not 5 s) for another run's write lock."""
    monkeypatch.setattr(store_module, "BUSY_WAIT_S", 0.2)


def aggregate(year: int, *extra):
    return invoke("aggregate", str(year), "--period", str(year), "--out", "out", *extra)


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def names(result, path: Path) -> bool:
    """The output names `path` (the console may break a long path anywhere)."""
    return "".join(str(path).split()) in "".join(result.output.split())


def ok(result) -> None:
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# ------------------------------------------------------------------ one writer at a time

def test_a_run_that_finds_the_store_being_written_says_so_and_writes_nothing(prov, quick):
    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    before = dump(db)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another run holds the write lock
    try:
        result = aggregate(2026)
        assert result.exit_code == 2, result.output
        assert BUSY in said(result) and names(result, db)
        assert "Traceback" not in result.output
        locked = invoke("lock", "2025", "--why", "đã ký")
        assert locked.exit_code == 2 and BUSY in said(locked)
        ok(invoke("validate", "2026", "--period", "2026"))  # reading is never blocked
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert dump(db) == before
    assert not (prov / "out" / "tong-hop-2026.xlsx").exists()  # nothing written for the run
    ok(aggregate(2026))  # the other run is done: this one goes through
    assert count(db, "runs") == 2


def test_a_store_made_by_a_concurrent_creator_is_used_not_made_again(tmp_path, monkeypatch):
    """Two runs open a new store at once: the second reads version 0, then the
    first makes the whole schema; the second must find it made."""
    db = tmp_path / "dvk.sqlite"
    first = sqlite3.connect(db, isolation_level=None)
    real = store_module._user_version
    calls = []

    def racing(conn):
        version = real(conn)
        if conn is second and not calls:
            calls.append(version)
            migrate(first)  # the other run creates the schema right now
        return version

    second = sqlite3.connect(db, isolation_level=None)
    monkeypatch.setattr(store_module, "_user_version", racing)
    assert migrate(second) == store_module.SCHEMA_VERSION
    assert calls == [0]  # the race did happen
    tables = [r[0] for r in second.execute(
        "SELECT name FROM sqlite_master WHERE name = 'runs'")]
    assert tables == ["runs"]
    assert second.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_a_lock_asked_for_during_a_run_waits_for_the_run(prov, quick, monkeypatch):
    """dvk lock while dvk aggregate is between reading and committing: the lock
    is refused with the "another run" message; the run stores its returns."""
    ok(aggregate(2025))
    asked: list[str] = []
    original = pipeline.check

    def lock_meanwhile(*args, **kwargs):
        try:
            api.lock("2026", why="đã ký", force=True)
        except UsageError as exc:
            asked.append(str(exc))
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "check", lock_meanwhile)
    ok(aggregate(2026))
    assert len(asked) == 1 and BUSY in asked[0]
    db = prov / "dvk.sqlite"
    with Store(db, create=False) as store:
        assert store.lock_state("2026") is None
        assert len(store.period_values("2026")) == 11  # the run's returns were stored
    monkeypatch.setattr(pipeline, "check", original)
    assert invoke("lock", "2026", "--why", "đã ký", "--force").exit_code == 0


def test_a_period_locked_between_reading_and_committing_takes_nothing(prov):
    """A ledger on a store it opened itself (no run-long lock): the period is
    locked by another connection after the ledger read it; its commit is
    refused and writes nothing."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.core.config import load_config

    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    config = load_config(prov / "dvk.toml")
    period = parse_period("2026")
    ledger = Ledger.open(HistoryOptions(), config, period, catalog_for(config), [prov / "2026"])
    assert ledger is not None and ledger.lock is None
    with Store(db) as other, other.transaction():
        other.lock("2026", "đã ký")
    before = dump(db)
    with pytest.raises(UsageError, match="vừa được khóa"):
        ledger.commit(11)
    ledger.close()
    assert dump(db) == before


# ------------------------------------------------------------------ outputs first, then the store

def test_the_run_is_committed_only_after_its_outputs_are_written(prov, monkeypatch):
    """While the outputs are written, the run's writes are in the store's
    open transaction: another reader (dvk validate, dvk history) still reads,
    and sees the store as it was."""
    from dvk_cli.outputs import workbook

    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    seen = []
    original = workbook.write_workbook

    def watching(*args, **kwargs):
        reader = sqlite3.connect(db, timeout=1)
        try:
            seen.append(reader.execute("SELECT count(*) FROM runs").fetchone()[0])
            seen.append(reader.execute("SELECT count(*) FROM submissions").fetchone()[0])
        finally:
            reader.close()
        return original(*args, **kwargs)

    def small_cache(store, conn):  # the run's writes exceed the page cache many times
        conn.execute("PRAGMA cache_size = 5")
        return conn

    _connect_with(monkeypatch, small_cache)
    monkeypatch.setattr(workbook, "write_workbook", watching)
    ok(aggregate(2026))
    assert seen == [1, 11]
    assert count(db, "runs") == 2 and count(db, "submissions") == 22


def _not_a_folder(prov: Path) -> str:
    blocker = prov / "blocker.txt"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    return str(blocker / "out")


def _fail_report(monkeypatch, exc: BaseException) -> None:
    from dvk_cli.outputs import report

    def failing(*args, **kwargs):
        raise exc

    monkeypatch.setattr(report, "write_report", failing)


@pytest.mark.parametrize("fault", ["out_not_a_folder", "disk_full", "read_only_out"])
def test_outputs_that_cannot_be_written_leave_the_store_as_it_was(prov, monkeypatch, fault):
    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    before = dump(db)
    out = "out"
    if fault == "out_not_a_folder":
        out = _not_a_folder(prov)
        expected = "là một tệp, không phải thư mục"
    elif fault == "disk_full":
        _fail_report(monkeypatch, OSError(errno.ENOSPC, "No space left on device",
                                          str(prov / "out" / ".bao-cao-2026-x1y2z3a4.md")))
        expected = "đã đầy"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into a folder of mode 0500: chmod cannot make it read-only")
        (prov / "ro").mkdir(mode=0o500)
        out = str(prov / "ro")
        expected = "chỉ cho đọc"
    result = invoke("aggregate", "2026", "--period", "2026", "--out", out)
    assert result.exit_code == 2, result.output
    text = said(result)
    assert expected in text and "Lỗi không mong đợi" not in text
    assert "Kho lịch sử không ghi nhận lần chạy này" in text
    assert "Traceback" not in result.output
    assert dump(db) == before


def test_an_interrupted_output_write_leaves_a_new_store_empty(prov, monkeypatch):
    _fail_report(monkeypatch, KeyboardInterrupt())
    result = aggregate(2026)
    assert result.exit_code == 130, result.output
    db = prov / "dvk.sqlite"
    assert count(db, "runs") == count(db, "submissions") == count(db, "read_cache") == 0


def test_out_that_is_a_file_is_refused_before_anything_is_read(prov, monkeypatch):
    (prov / "out.xlsx").write_bytes(b"not a folder")
    monkeypatch.setattr(pipeline, "run_pending", lambda *a, **k: pytest.fail("read anyway"))
    result = invoke("aggregate", "2026", "--period", "2026", "--out", "out.xlsx")
    assert result.exit_code == 2 and names(result, Path("out.xlsx"))
    assert "là một tệp, không phải thư mục" in said(result)


# ------------------------------------------------------------------ a store that cannot be written

def _connect_with(monkeypatch, prepare) -> None:
    original = Store._connect

    def connect(self):
        conn = original(self)
        return prepare(self, conn)

    monkeypatch.setattr(Store, "_connect", connect)


def test_a_read_only_store_is_named_and_validate_still_reads_it(prov, monkeypatch):
    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    before = dump(db)

    def read_only(store, conn):
        conn.close()
        return sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, isolation_level=None)

    _connect_with(monkeypatch, read_only)
    result = aggregate(2026)
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "chỉ cho đọc" in text and names(result, db) and "Lỗi không mong đợi" not in text
    ok(invoke("validate", "2025", "--period", "2025"))
    assert dump(db) == before


def test_a_read_only_folder_is_named(prov):
    if os.geteuid() == 0:
        pytest.skip("root writes into a folder of mode 0555: chmod cannot make it read-only")
    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    before = dump(db)
    os.chmod(prov, 0o555)
    try:
        result = aggregate(2026)
    finally:
        os.chmod(prov, 0o755)
    assert result.exit_code == 2 and "chỉ cho đọc" in said(result), result.output
    assert dump(db) == before


def test_a_full_disk_under_the_store_is_named_and_the_store_kept(prov, monkeypatch):
    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    before = dump(db)

    def no_room(store, conn):
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk is full"
        return conn

    _connect_with(monkeypatch, no_room)
    result = aggregate(2026)
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "ổ đĩa đã đầy" in text and names(result, db) and "Lỗi không mong đợi" not in text
    assert dump(db) == before
    assert not (prov / "out" / "tong-hop-2026.xlsx").exists()


def test_store_errors_are_told_in_vietnamese_by_their_kind(tmp_path):
    db = tmp_path / "dvk.sqlite"

    def err(name: str, text: str) -> sqlite3.OperationalError:
        exc = sqlite3.OperationalError(text)
        exc.sqlite_errorname = name  # type: ignore[attr-defined]
        return exc

    cases = {
        err("SQLITE_BUSY", "database is locked"): BUSY,
        err("SQLITE_READONLY_DIRECTORY", "attempt to write"): "chỉ cho đọc",
        err("SQLITE_FULL", "database or disk is full"): "ổ đĩa đã đầy",
        err("SQLITE_IOERR_WRITE", "disk I/O error"): "Lỗi đọc/ghi đĩa",
        err("SQLITE_CANTOPEN", "unable to open database file"): "Không mở được",
        sqlite3.DatabaseError("database disk image is malformed"): "đã hỏng",
        OSError(errno.EROFS, "Read-only file system"): "chỉ cho đọc",
        OSError(errno.ENOSPC, "No space left on device"): "ổ đĩa đã đầy",
    }
    for exc, expected in cases.items():
        mapped = store_module.store_error(exc, db)
        assert mapped is not None and expected in str(mapped) and str(db) in str(mapped), exc
    assert store_module.store_error(sqlite3.IntegrityError("UNIQUE constraint failed"), db) is None


# ------------------------------------------------------------------ a damaged store

def _damage_an_index_page(db: Path) -> None:
    """Overwrite the cell pointers of the root page of the submissions' unique
    index: a damage plain queries do not notice."""
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master "
                        "WHERE name = 'sqlite_autoindex_submissions_1'").fetchone()[0]
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size + 8)
        f.write(b"\xff" * 64)
    conn = sqlite3.connect(db)
    try:  # the damage is real, and invisible to a plain count
        assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] > 0
        assert conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    finally:
        conn.close()


def test_a_damaged_index_page_is_named_with_how_to_recover(prov):
    ok(aggregate(2025))
    db = prov / "dvk.sqlite"
    _damage_an_index_page(db)
    damaged = db.read_bytes()
    result = aggregate(2026)
    assert result.exit_code == 2, result.output
    text = said(result)
    assert "đã hỏng" in text and names(result, db) and "sao lưu" in text
    assert db.read_bytes() == damaged  # nothing written into it
    locked = invoke("lock", "2025", "--why", "đã ký")
    assert locked.exit_code == 2 and "đã hỏng" in said(locked)


# ------------------------------------------------------------------ temp outputs of a killed run

def test_stale_temp_outputs_are_removed_and_nothing_else(prov):
    out = prov / "out"
    out.mkdir()
    old = time.time() - 3600
    stale = [out / ".tong-hop-2026-k3j9x2ab.xlsx", out / ".bao-cao-2026-H1-ab_cd123.md",
             out / ".bao-cao-2025-zz99yy88.docx"]
    fresh = out / ".tong-hop-2026-q1w2e3r4.xlsx"  # a run writing right now
    kept = [fresh, out / ".tong-hop-ghi-chu.txt", out / "tong-hop-2024.xlsx",
            out / ".tong-hop-2026-k3j9x2ab.xlsx.bak", out / ".other-2026-k3j9x2ab.xlsx"]
    for path in stale + kept:
        path.write_bytes(b"PK partial")
        if path is not fresh:
            os.utime(path, (old, old))
    (out / ".bao-cao-2026-dir12345.md").mkdir()  # not a regular file: left alone
    os.utime(out / ".bao-cao-2026-dir12345.md", (old, old))
    ok(aggregate(2026))
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert (out / ".bao-cao-2026-dir12345.md").is_dir()
    assert (out / "tong-hop-2026.xlsx").is_file()


def test_temp_output_names(tmp_path):
    assert tempfiles.is_temp_output(".tong-hop-2024-abcd_123.xlsx")
    assert tempfiles.is_temp_output(".bao-cao-2024-Q3-k3j9x2ab.docx")
    assert not tempfiles.is_temp_output("tong-hop-2024.xlsx")
    assert not tempfiles.is_temp_output(".tong-hop-2024.xlsx")
    assert not tempfiles.is_temp_output(".tong-hop-2024-abcd1234.xlsx.tmp")
    assert not tempfiles.is_temp_output(".bao-cao-2024-abcd1234.pdf")
    target = tmp_path / ".tong-hop-2024-abcd1234.xlsx"
    target.write_bytes(b"x")
    now = time.time()
    assert tempfiles.stale_temp_outputs(tmp_path, now=now) == []
    assert tempfiles.remove_stale_temp_outputs(tmp_path, now=now + 3600) == [target]
    assert not target.exists()
    assert tempfiles.stale_temp_outputs(tmp_path / "missing") == []


def test_a_healthy_store_passes_the_check(prov, tmp_path):
    """Sanity: the fixtures' store is a real, healthy store (the tests above
    compare against it)."""
    ok(aggregate(2025))
    copy = tmp_path / "copy.sqlite"
    shutil.copy(prov / "dvk.sqlite", copy)
    with Store(copy, create=False, check=True) as store:
        assert store.version == store_module.SCHEMA_VERSION
        assert len(store.runs()) == 1
