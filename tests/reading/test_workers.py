"""Every file is read in a worker process: a reader that dies (abort, signal,
panic, memory, time) gives a finding on its file, the other files are read,
and no worker outlives read_all.

Hostile readers are monkeypatched into dvk_cli.reading.workers: the workers
are forked from this (single-threaded) test process and inherit them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import threading
import time
import zipfile
from pathlib import Path

import pytest
from helpers import consistent_values, record_start_methods, return_grid, write_xlsx

from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading import workers
from dvk_cli.reading.dispatch import read_return
from dvk_cli.reading.guards import Limits, current_limits, set_limits
from dvk_cli.reading.parallel import read_all


class FakePanic(BaseException):  # what pyo3_runtime.PanicException derives from
    pass


def _alive(pid: int) -> bool:
    """`pid` still exists (running, or a zombie nobody reaped)."""
    return Path(f"/proc/{pid}").exists()


@pytest.fixture
def returns(tmp_path) -> list[Path]:
    """Five valid returns of different units."""
    out = []
    for k, unit in enumerate(["Huyện Bù Đăng", "H. Bù Đốp", "Thành phố Đồng Xoài", "A", "B"]):
        out.append(write_xlsx(return_grid(consistent_values(4 + k), unit=unit),
                              tmp_path / f"ok{k}.xlsx"))
    return out


@pytest.fixture
def limits():
    before = current_limits()
    yield lambda **kw: set_limits(Limits(**kw))
    set_limits(before)


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """The worker's reader replaced: a file's name says how it behaves; every
    worker that reads a file records its pid in `pids`."""
    pids = tmp_path / "pids"
    real = workers.read_return

    def reader(path, *args, **kwargs):
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        name = Path(path).stem
        if name == "abort":
            os.abort()
        if name == "slowabort":  # dies once the other worker has read everything it had
            time.sleep(0.5)
            os.abort()
        if name == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        if name == "segfault":
            ctypes.string_at(0)
        if name == "panic":
            raise FakePanic("called `Option::unwrap()` on a `None` value")
        if name == "interrupt":
            raise KeyboardInterrupt
        if name == "exit":
            raise SystemExit(3)
        if name == "bug":
            raise ValueError("a bug in a layout")
        if name == "memoryerror":
            raise MemoryError
        if name == "hog":
            held = []
            while True:
                held.append(b"x" * (4 << 20))
        if name == "hang":
            time.sleep(3600)
        if name == "unpicklable":
            data = real(path, *args, **kwargs)
            data.models.append({"f": lambda: None})
            return data
        return real(path, *args, **kwargs)

    monkeypatch.setattr(workers, "read_return", reader)
    assert threading.active_count() == 1, "workers must be forked to inherit the reader"

    def seen() -> set[int]:
        return {int(line) for line in pids.read_text().split()} if pids.exists() else set()

    return seen


def named(tmp_path: Path, source: Path, *names: str) -> list[Path]:
    return [Path(shutil.copy(source, tmp_path / f"{name}.xlsx")) for name in names]


def by_file(results) -> dict[str, list[tuple[str, str]]]:
    return {Path(r.path).stem: [(f.rule, f.message) for f in r.findings] for r in results}


def test_files_are_read_in_other_processes_in_order_with_progress(returns, hostile):
    catalog = default_catalog()
    calls = []
    got = read_all(returns, catalog, workers=2, progress=lambda d, n: calls.append((d, n)))
    assert [r.path for r in got] == [str(p) for p in returns]
    for data, path in zip(got, returns, strict=True):
        alone = read_return(path, catalog)
        assert data.readable and data.sha256 == alone.sha256
        assert [(v.code, v.value, v.cell) for v in data.values] == \
               [(v.code, v.value, v.cell) for v in alone.values]
    assert calls == [(i, 5) for i in range(1, 6)]
    pids = hostile()
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert not any(map(_alive, pids))  # exited and reaped


def test_no_file_no_worker(hostile):
    assert read_all([], default_catalog()) == []
    assert hostile() == set()


@pytest.mark.parametrize("workers_asked", [1, 2])
def test_every_way_a_reader_dies_is_a_finding_on_its_file(tmp_path, returns, hostile,
                                                           workers_asked):
    killers = named(tmp_path, returns[0], "abort", "sigkill", "segfault", "panic", "interrupt",
                    "exit", "bug", "memoryerror", "unpicklable")
    files = [p for pair in zip(returns + returns[:4], killers, strict=True) for p in pair]
    got = read_all(files, default_catalog(), workers=workers_asked)
    assert [r.path for r in got] == [str(p) for p in files]
    found = by_file(got)
    for data in got:
        if data.path.endswith(tuple(f"ok{k}.xlsx" for k in range(5))):
            assert data.readable and data.values and not data.findings, data.findings
    expected = {"abort": ("read_crashed", "SIGABRT"), "sigkill": ("read_crashed", "SIGKILL"),
                "segfault": ("read_crashed", "SIGSEGV"),
                "panic": ("read_crashed", "FakePanic: called `Option::unwrap()`"),
                "interrupt": ("read_crashed", "KeyboardInterrupt"),
                "exit": ("read_crashed", "SystemExit: 3"),
                "bug": ("read_crashed", "ValueError: a bug in a layout"),
                "memoryerror": ("read_memory_limit", "vượt giới hạn bộ nhớ (400 MB cho một tệp"),
                "unpicklable": ("read_crashed", "pickle")}
    for name, (rule, text) in expected.items():
        [(got_rule, message)] = found[name]
        assert got_rule == rule, (name, message)
        assert text in message and message.startswith(f"Tệp {tmp_path / name}.xlsx: không đọc được")
    assert not [r for r in got if not r.readable and r.path.startswith(str(tmp_path / "ok"))]
    assert not any(map(_alive, hostile()))


def _with_far_cell(source, huge):
    """A copy of `source` with one cell at XFD1048576 (calamine asks for 512 GB)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(huge, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576">'
                                                     b"<v>1</v></c></row></sheetData>")
            out.writestr(info, data)
    return huge


def test_a_file_that_calamine_cannot_allocate_for_is_a_memory_finding(tmp_path, returns, limits):
    """A real file: one cell at XFD1048576 makes calamine ask for 512 GB and
    abort (the guards' area check is lifted so that the parser meets it)."""
    limits(max_cells=10**12)
    huge = _with_far_cell(returns[0], tmp_path / "huge.xlsx")
    got = read_all([returns[0], huge, returns[1]], default_catalog())
    assert [r.readable for r in got] == [True, False, True]
    assert [f.rule for f in got[1].findings] == ["read_memory_limit"]


def test_memory_beyond_the_limit_stops_the_reader_not_the_machine(tmp_path, returns, hostile,
                                                                  limits):
    import multiprocessing
    import resource

    limits(max_memory_mb=120)
    files = [returns[0], *named(tmp_path, returns[0], "hog"), returns[1]]

    def measured(conn) -> None:
        # in a process of its own: its children are only the read's workers
        # (this test process may have reaped bigger children of other tests)
        got = read_all(files, default_catalog())
        conn.send(([r.readable for r in got], by_file(got)["hog"],
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
        conn.close()

    here, there = multiprocessing.get_context("fork").Pipe()
    child = multiprocessing.get_context("fork").Process(target=measured, args=(there,))
    child.start()
    readable, found, own, workers_peak = here.recv()
    child.join(60)
    assert readable == [True, False, True]
    [(rule, message)] = found
    assert rule == "read_memory_limit" and "120 MB" in message
    # the worker grew by 120 MB at most, above what it shared with this process
    assert workers_peak < own + 200


def test_a_reader_that_hangs_is_killed_at_the_time_limit(tmp_path, returns, hostile, limits):
    limits(max_seconds=0.5)
    files = [returns[0], *named(tmp_path, returns[0], "hang"), returns[1], returns[2]]
    started = time.monotonic()
    got = read_all(files, default_catalog(), workers=1)
    assert time.monotonic() - started < 10
    assert [r.readable for r in got] == [True, False, True, True]
    [(rule, message)] = by_file(got)["hang"]
    assert rule == "read_time_limit" and "0,5 giây" in message
    assert not any(map(_alive, hostile()))


def test_ctrl_c_stops_and_reaps_every_worker(tmp_path, returns, hostile):
    files = [returns[0], returns[1], *named(tmp_path, returns[0], "hang", "hang", "hang")]

    def progress(done, total):
        if done == 1:
            time.sleep(0.3)  # the other worker is in its endless read by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        read_all(files, default_catalog(), workers=2, progress=progress)
    pids = hostile()
    assert pids and not any(map(_alive, pids))


def test_workers_fork_from_a_threaded_process_through_a_forkserver(tmp_path, returns, limits):
    """With another thread running (a progress bar's), workers come from a
    forkserver; a file that kills its reader is still only a finding."""
    limits(max_cells=10**12)
    huge = _with_far_cell(returns[0], tmp_path / "huge.xlsx")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert workers._context().get_start_method() == "forkserver"
        got = read_all([returns[0], huge, returns[1]], default_catalog())
    finally:
        stop.set()
        other.join()
    assert [r.readable for r in got] == [True, False, True]
    assert [f.rule for f in got[1].findings] == ["read_memory_limit"]
    assert got[0].values and got[2].values


def test_files_a_dead_worker_gives_back_go_to_an_idle_worker(tmp_path, returns, hostile):
    """Worker 1 reads [ok0, ok1] and goes idle; worker 2 holds [slowabort,
    ok2] and dies. ok2 is given back while only the idle worker is left (one
    file to go: no new worker): it must be fed, not waited on forever."""
    files = [returns[0], returns[1], *named(tmp_path, returns[0], "slowabort"), returns[2]]
    start = time.monotonic()
    got = read_all(files, default_catalog(), workers=2)
    assert time.monotonic() - start < 30
    assert [r.readable for r in got] == [True, True, False, True]
    assert by_file(got)["slowabort"][0][0] == "read_crashed"
    assert not any(map(_alive, hostile()))


def test_a_worker_that_dies_while_the_imports_run_is_replaced_from_a_forkserver(
        tmp_path, returns, hostile, monkeypatch):
    # dvk starts a thread of imports once the workers are forked (core/warmup.py):
    # a worker started while it runs may not be forked from a threaded process
    (abort,) = named(tmp_path, returns[0], "abort")
    files = [abort, *returns]
    methods = record_start_methods(monkeypatch)
    done = threading.Event()
    importing = threading.Thread(target=done.wait, args=(60,))
    # (a thread an earlier test left running in this process: no fork at all)
    alone = threading.active_count() == 1
    try:
        # one worker: the files after the one that kills it need a new worker
        # (with two, the other may read them all first on a loaded machine)
        got = read_all(files, default_catalog(), workers=1, started=importing.start)
    finally:
        done.set()
        if importing.is_alive():
            importing.join()
    assert [r.path for r in got] == [str(p) for p in files]
    [(rule, message)] = by_file(got)["abort"]
    assert rule == "read_crashed" and "SIGABRT" in message
    assert all(r.readable and r.values and not r.findings for r in got[1:])
    assert methods[0] == ("fork" if alone else "forkserver") and "forkserver" in methods[1:]
    assert not any(map(_alive, hostile()))


def test_a_fifo_in_place_of_a_known_file_is_not_waited_on(tmp_path):
    """A cache entry is taken only from a regular file: a FIFO put where the
    file was gives no entry at once (the reader then says what it is)."""
    import os
    import time

    from dvk_cli.reading.guards import current_limits
    from dvk_cli.reading.workers import _reused

    fifo = tmp_path / "bien-ban.xlsx"
    os.mkfifo(fifo)
    start = time.monotonic()
    assert _reused(str(fifo), ("0" * 64, b"entry"), lambda entry: None, current_limits()) is None
    assert time.monotonic() - start < 5


def _known_copies(tmp_path: Path, returns: list[Path], count: int) -> list[Path]:
    return [Path(shutil.copy(returns[k % 5], tmp_path / f"known{k}.xlsx")) for k in range(count)]


def _entries(files: list[Path], catalog, changed=(), entry=None) -> dict:
    """Cache entries as the store keeps them (`entry(path, blob)` may replace
    one); a file in `changed` has another SHA-256 than its entry's."""
    from dvk_cli.history.readcache import encode

    known = {}
    for i, path in enumerate(files):
        data = read_return(path, catalog, str(path))
        blob = encode(data)
        if entry is not None:
            blob = entry(path, blob)
        known[i] = ("0" * 64 if path in changed else data.sha256, blob)
    return known


def _same_as_read(files: list[Path], got, catalog, skip=()) -> None:
    assert [r.path for r in got] == [str(p) for p in files]
    for path, data in zip(files, got, strict=True):
        if path not in skip:
            alone = read_return(path, catalog, str(path))
            assert data.readable and not data.findings
            assert [(v.code, v.value, v.cell) for v in data.values] == \
                   [(v.code, v.value, v.cell) for v in alone.values]


def test_known_files_go_in_batches_and_a_changed_one_that_kills_its_reader_is_its_own_finding(
        tmp_path, returns, hostile, limits):
    """Files with a cache entry go to a worker REUSE_BATCH at once. One that
    changed (its SHA-256 differs) is read on its own, and when its read hangs
    or aborts, it alone gets the finding: every other file is taken from its
    entry."""
    from dvk_cli.history.readcache import decode

    limits(max_seconds=0.5)
    catalog = default_catalog()
    copies = _known_copies(tmp_path, returns, 2 * workers.REUSE_BATCH + 3)
    hang, abort = named(tmp_path, returns[0], "hang", "abort")
    files = [*copies[:3], hang, *copies[3:20], abort, *copies[20:]]
    known = _entries(files, catalog, changed=(hang, abort))
    reused: set[int] = set()
    got = read_all(files, catalog, workers=1, known=known, reuse=decode, reused=reused)
    assert reused == {i for i, p in enumerate(files) if p not in (hang, abort)}
    found = by_file(got)
    assert [rule for rule, _ in found["hang"]] == ["read_time_limit"]
    assert [rule for rule, _ in found["abort"]] == ["read_crashed"]
    _same_as_read(files, got, catalog, skip=(hang, abort))
    assert not any(map(_alive, hostile()))


@pytest.mark.parametrize("how", ["abort", "hang", "sigkill"])
def test_a_worker_that_dies_taking_entries_leaves_their_files_to_be_read(
        tmp_path, returns, hostile, limits, how):
    """Taking an entry that kills the worker (or takes longer than the time
    limit) is no file's fault: the files of that batch are read as any other,
    and give what a read gives, without a finding; the other batches are
    taken from their entries."""
    from dvk_cli.history.readcache import decode

    limits(max_seconds=0.5)
    catalog = default_catalog()
    files = _known_copies(tmp_path, returns, 2 * workers.REUSE_BATCH + 5)
    bad = files[workers.REUSE_BATCH + 2]  # in the second batch

    def entry(path: Path, blob: bytes) -> bytes:
        return how.encode() if path == bad else blob

    def taker(blob: bytes):
        if blob == b"abort":
            os.abort()
        if blob == b"sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        if blob == b"hang":
            time.sleep(3600)
        return decode(blob)

    known = _entries(files, catalog, entry=entry)
    reused: set[int] = set()
    got = read_all(files, catalog, workers=1, known=known, reuse=taker, reused=reused)
    second = set(range(workers.REUSE_BATCH, 2 * workers.REUSE_BATCH))
    assert reused == set(range(len(files))) - second
    _same_as_read(files, got, catalog)
    assert not any(map(_alive, hostile()))


def test_an_answer_about_other_files_is_not_taken():
    from collections import deque

    from dvk_cli.reading.workers import _answers, _Batch

    read, reuse = _Batch((3, 4)), _Batch((4, 5), reuse=True)
    assert _answers(deque([read, reuse]), ("done", [(3, b""), (4, b"")]))
    assert not _answers(deque([read]), ("done", [(3, b"")]))
    assert not _answers(deque([read]), ("done", [(4, b""), (3, b"")]))
    assert not _answers(deque([read]), ("reused", [(3, None), (4, None)]))
    assert _answers(deque([reuse, read]), ("reused", [(4, None), (5, None)]))
    assert not _answers(deque([reuse]), ("reused", [(5, None), (4, None)]))
    assert not _answers(deque([reuse]), ("reused", [(4, None)]))
    assert not _answers(deque([reuse]), ("done", [(4, b""), (5, b"")]))
    assert not _answers(deque(), ("done", [(4, b"")]))


def test_workers_name_their_files_as_dvk_shows_them(tmp_path, returns, hostile, monkeypatch):
    """Without names from the caller, each worker names its files
    (display_path: relative to the working folder), also on the finding of a
    file that killed its reader."""
    from dvk_cli.core.files import display_path

    (abort,) = named(tmp_path, returns[0], "abort")
    monkeypatch.chdir(tmp_path)
    files = [returns[0], abort, returns[1]]
    got = read_all(files, default_catalog(), workers=2)
    assert [r.path for r in got] == ["ok0.xlsx", "abort.xlsx", "ok1.xlsx"]
    assert [r.path for r in got] == [display_path(p) for p in files]
    assert got[1].findings[0].message.startswith("Tệp abort.xlsx: không đọc được")


class _TooLong(Exception):
    pass


def _read_within(seconds: int, *args, **kwargs):
    """read_all, stopped (its workers reaped) if it takes longer than
    `seconds`: a batch sent again and again would never end."""
    def stop(signum, frame):
        raise _TooLong(f"read_all took longer than {seconds} s")

    before = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        return read_all(*args, **kwargs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def _batch_sizes(monkeypatch) -> list[int]:
    """The number of files in each read batch answered (recorded in dvk's process)."""
    sizes: list[int] = []
    real = workers._answers

    def spy(tasks, message):
        if message[0] == "done":
            sizes.append(len(message[1]))
        return real(tasks, message)

    monkeypatch.setattr(workers, "_answers", spy)
    return sizes


@pytest.mark.parametrize("workers_asked", [1, 2])
@pytest.mark.parametrize("killer", ["abort", "sigkill", "memoryerror", "unpicklable", "panic"])
def test_a_reader_that_dies_within_a_batch_gives_the_finding_on_its_file_alone(
        tmp_path, returns, hostile, monkeypatch, killer, workers_asked):
    """Files to read go to a worker READ_BATCH at once. One that kills its
    reader in the middle of a batch gets the finding; the files read before
    it in that batch (their returns died with the worker) and after it are
    read again, each giving what it gives alone."""
    catalog = default_catalog()
    sizes = _batch_sizes(monkeypatch)
    copies = _known_copies(tmp_path, returns, 40)
    (bad,) = named(tmp_path, returns[0], killer)
    files = [*copies[:13], bad, *copies[13:]]
    got = _read_within(120, files, catalog, workers=workers_asked)
    assert max(sizes) == workers.READ_BATCH and sum(sizes) == len(files) - 1
    found = by_file(got)
    rule = "read_memory_limit" if killer == "memoryerror" else "read_crashed"
    assert [r for r, _ in found[killer]] == [rule]
    _same_as_read(files, got, catalog, skip=(bad,))
    assert not any(map(_alive, hostile()))


def test_the_time_limit_is_each_files_not_its_batchs(tmp_path, returns, hostile, limits,
                                                      monkeypatch):
    """Six files of 0.3 s each in batches take longer together than the time
    limit (0.7 s): none is stopped; one that hangs among them is."""
    limits(max_seconds=0.7)
    inner = workers.read_return  # (the hostile one: "hang" hangs)

    def reader(path, *args, **kwargs):
        if Path(path).stem.startswith("slow"):
            time.sleep(0.3)
        return inner(path, *args, **kwargs)

    monkeypatch.setattr(workers, "read_return", reader)
    sizes = _batch_sizes(monkeypatch)
    slow = named(tmp_path, returns[0], *(f"slow{k}" for k in range(6)))
    (hang,) = named(tmp_path, returns[0], "hang")
    files = [*slow[:4], hang, *slow[4:], *returns]
    got = read_all(files, default_catalog(), workers=1)
    assert max(sizes) >= 3
    assert [r.readable for r in got] == [f != hang for f in files]
    assert [r for r, _ in by_file(got)["hang"]] == ["read_time_limit"]
    assert not any(map(_alive, hostile()))


def test_a_worker_that_dies_between_files_leaves_each_to_be_read_alone(
        tmp_path, returns, hostile, monkeypatch):
    """A worker that dies after reading a batch, before its answer is out,
    was reading no file: each file of the batch is read in a batch of its
    own, and only the one after which a worker dies gets the finding."""
    catalog = default_catalog()
    marked = {"bad": False}
    inner = workers.read_return

    def reader(path, *args, **kwargs):
        if Path(path).stem == "dieafter":
            marked["bad"] = True  # (in the worker's memory)
        return inner(path, *args, **kwargs)

    real_reading = workers._Slot.reading

    def reading(slot, i):
        real_reading(slot, i)
        if i == -1 and marked["bad"]:  # (it has said that it reads no file)
            os.abort()

    monkeypatch.setattr(workers, "read_return", reader)
    monkeypatch.setattr(workers._Slot, "reading", staticmethod(reading))
    sizes = _batch_sizes(monkeypatch)
    copies = _known_copies(tmp_path, returns, 30)
    (bad,) = named(tmp_path, returns[0], "dieafter")
    files = [*copies[:10], bad, *copies[10:]]
    got = _read_within(120, files, catalog, workers=1)
    assert max(sizes) == workers.READ_BATCH
    assert [r for r, _ in by_file(got)["dieafter"]] == ["read_crashed"]
    _same_as_read(files, got, catalog, skip=(bad,))
    assert not any(map(_alive, hostile()))


@pytest.mark.parametrize(("at", "finding"), [(0, True), (3, False), (8, False)])
def test_a_file_that_kills_a_worker_after_others_it_read_is_tried_again(
        tmp_path, returns, hostile, monkeypatch, at, finding):
    """What the files read before it left in the worker may be to blame: a
    file that kills a worker that read others, also earlier in its batch, is
    tried again in a fresh one (here it reads then). The first file a fresh
    worker reads is not. (20 other files, one worker: the first batch is
    files 0-7, the second begins with file 8.)"""
    catalog = default_catalog()
    flaked = tmp_path / "flaked"
    inner = workers.read_return

    def reader(path, *args, **kwargs):
        if Path(path).stem == "flaky" and not flaked.exists():
            flaked.touch()
            os.abort()
        return inner(path, *args, **kwargs)

    monkeypatch.setattr(workers, "read_return", reader)
    copies = _known_copies(tmp_path, returns, 20)
    (flaky,) = named(tmp_path, returns[0], "flaky")
    files = [*copies[:at], flaky, *copies[at:]]
    got = _read_within(120, files, catalog, workers=1)
    assert flaked.exists()
    if finding:
        assert [r for r, _ in by_file(got)["flaky"]] == ["read_crashed"]
        _same_as_read(files, got, catalog, skip=(flaky,))
    else:
        _same_as_read(files, got, catalog)


def test_workers_read_below_dvks_own_priority(tmp_path, returns, monkeypatch):
    """dvk's own process (imports, receiving) comes before its readers."""
    def reader(path, *args, **kwargs):
        data = read_return(path, *args, **kwargs)
        data.period_text = str(os.nice(0))  # the worker's niceness, carried back
        return data

    monkeypatch.setattr(workers, "read_return", reader)
    assert threading.active_count() == 1, "workers must be forked to inherit the reader"
    got = read_all(returns, default_catalog(), workers=2)
    expected = min(19, os.nice(0) + workers.WORKER_NICE)
    assert [r.period_text for r in got] == [str(expected)] * len(returns)
    assert all(r.readable for r in got)
