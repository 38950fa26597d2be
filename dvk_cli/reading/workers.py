"""Every file is parsed in a worker process, never in dvk's own (the forked
parser of Apache Tika): a parser that aborts, panics, loops or allocates
without bound takes only its own file down.

Each worker reads files one at a time under the limits of dvk.toml [limits]
(they are sent, and their returns come back, in batches of READ_BATCH;
files that come with a read-cache entry in batches of REUSE_BATCH: taking
an entry reads no workbook):
its data segment may grow by `max_memory_mb` at most (RLIMIT_DATA: a huge
allocation fails inside the worker instead of exhausting the machine), and
the parent kills a worker whose file takes longer than `max_seconds`. A
worker that dies gives a finding on the file it was reading (which it
keeps in memory shared with dvk, `_Slot`); the other files of its batch are
read again, and a fresh worker goes on with the rest. Workers die with dvk (PR_SET_PDEATHSIG, and the end of
their pipe), and the parent reaps every worker it started before returning,
raising, or on Ctrl-C.

Workers are forked from dvk when dvk has no other thread (fast: about 10 ms,
the reading modules are already loaded); when it does (a progress bar's
refresh thread, a library caller's threads), from a forkserver that loaded
only the reading modules, since forking a threaded process can copy a lock
another thread held. IPC is multiprocessing's pickling pipes between dvk and
its own children.
"""

from __future__ import annotations

import collections
import faulthandler
import gc
import hashlib
import multiprocessing
import os
import pickle
import selectors
import signal
import stat
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from dvk_cli.core import collector
from dvk_cli.core.catalog import Catalog
from dvk_cli.core.files import display_path
from dvk_cli.reading.dispatch import read_return
from dvk_cli.reading.guards import Limits, set_limits
from dvk_cli.reading.mapping import Mapping
from dvk_cli.reading.returns import ReturnData, unreadable

MB = 1024 * 1024
# What a file read before gave (a cache entry), taken instead of reading the
# file when its bytes still have that SHA-256: (sha256 hex, entry).
Known = tuple[str, bytes]
# path, as shown (None: the worker names it, display_path), mapping file,
# sheet, what it gave before (or None)
Task = tuple[str, "str | None", "Mapping | None", "str | None", "Known | None"]
# An entry back to the return it holds; raises for anything that is not one.
Reuse = Callable[[bytes], ReturnData]
ProgressHook = Callable[[int, int], None]

IN_FLIGHT = 2  # batches queued to one worker: the next is there when one ends
# Files to read go to a worker up to this many at once and come back in one
# message: dvk's own handling of a message (waking up, receiving, feeding)
# and the worker's sending cost about as much as a tenth of a file's read
# (N = 10,035: 1.6 s of dvk's CPU). Which file a worker is reading is in
# its `slot` (shared memory), so that one that dies or runs out of time
# gives the finding on that file alone, and its time limit is the file's.
READ_BATCH = 8
# Files that come with what they gave before (`Known`) go to a worker this
# many at once, and come back in one message: taking an entry costs a
# fraction of a millisecond, less than dvk's own handling of a message per
# file (a re-run after one file changed, N = 3,321: 3,320 entries).
REUSE_BATCH = 16
# Workers run this much below dvk's own priority (nice): they are batch work,
# while dvk's process does what the run waits for as they read (importing
# pandas, receiving their returns). On two cores, three busy processes
# shared them evenly and the imports of a province's run (N = 130) ended
# after the reads; the clerk's other programs come before them too.
WORKER_NICE = 5
START_TIMEOUT = 60.0  # seconds for a new worker to report ready
STOP_TIMEOUT = 2.0  # seconds for a worker to exit after its pipe closes
STDERR_KEPT = 8192  # bytes kept of the start and of the end of a worker's stderr
_EXIT_MEMORY = 70  # a worker that ran out of memory and could not say so
_EXIT_CRASH = 71  # a worker whose reader raised and could not say so
_PR_SET_PDEATHSIG = 1


class WorkerStartError(RuntimeError):
    """No worker process could be started (the system, not a file)."""


# ------------------------------------------------------------------ the worker

_prctl: Any = None


def _load_prctl() -> Any:
    """libc's prctl (Linux), loaded once in dvk so that forked workers have it
    at hand (ctypes takes 15 ms to import)."""
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        try:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            _prctl = False
    return _prctl


def _die_with_parent(parent_pid: int | None) -> None:
    """SIGKILL this process when its parent dies (Linux), however it dies.

    `parent_pid`: dvk's pid when the worker was forked from it (None for a
    forkserver's child: the forkserver itself exits when dvk does)."""
    prctl = _load_prctl()
    if prctl:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1 or (parent_pid is not None and os.getppid() != parent_pid):
        os._exit(0)  # the parent died before prctl


def _vm_data() -> int | None:
    """This process's data segment in bytes (what RLIMIT_DATA counts), or None."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _lower_priority() -> None:
    """WORKER_NICE below the parent (where the system has nice)."""
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):
        pass


def _limit_memory(max_memory_mb: int) -> None:
    """Let the data segment grow by `max_memory_mb` from here, no more: an
    allocation beyond fails (MemoryError in Python, an abort in Rust)."""
    try:
        import resource
    except ImportError:  # not a POSIX system: no limit
        return
    used = _vm_data()
    if used is None:  # no /proc (not Linux): RLIMIT_DATA would not bound mmap anyway
        return
    limit = used + max_memory_mb * MB
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ValueError, OSError):
        pass


def _describe(exc: BaseException) -> str:
    text = unicodedata.normalize("NFC", " ".join(str(exc).split()))
    name = type(exc).__name__
    return f"{name}: {text[:120]}" if text else name


def serve(conn: Connection, err: Connection, catalog: Catalog, limits: Limits,
          parent_pid: int | None, close: list[int] | tuple = (),
          reuse: Reuse | None = None, slot: Any = None) -> None:
    """A worker's life: read the files the parent sends until its pipe ends.

    `close`: descriptors inherited from dvk that are not this worker's.
    Tasks: ("read", [(i, path, shown, mapping, sheet), ...]), files to read
    one after the other; ("reuse", [(i, path, Known), ...]), files whose
    entries are taken (`reuse`) when their bytes are still the same; nothing
    is read for the others, which the parent sends again to be read.
    Messages to the parent: ("ready", pid), ("done", [(i, pickled
    ReturnData), ...]), ("reused", [(i, ReturnData | None), ...]) and
    ("failed", "memory" | "crash", detail) just before exiting.

    `slot` (shared with the parent, see `_Slot`): the file being read and
    when its read began, from before it is opened until its return is
    pickled; -1 between files. Each return is pickled on its own, in its
    file's time: one that cannot be is that file's failure.
    """
    _die_with_parent(parent_pid)
    _lower_priority()
    for fd in close:
        try:
            os.close(fd)
        except OSError:
            pass
    faulthandler.disable()  # a fatal error's dump would reach the user's terminal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    os.dup2(err.fileno(), 2)  # what the parsers print (a Rust abort says why) goes to the parent
    err.close()
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr
    set_limits(limits)
    gc.enable()  # (forked from dvk while it waits for the results: see read_in_workers)
    _limit_memory(limits.max_memory_mb)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone or closed the pipe
            break
        if task is None:
            break
        failure: tuple[str, str] | None = None
        try:
            if task[0] == "reuse":
                conn.send(("reused", [(i, None if reuse is None else _reused(path, known, reuse, limits))
                                      for i, path, known in task[1]]))
            else:
                read = []
                for i, path, shown, mapping, sheet in task[1]:
                    _Slot.reading(slot, i)
                    file = Path(path)
                    shown = display_path(file) if shown is None else shown
                    data = read_return(file, catalog, shown, mapping, sheet=sheet)
                    read.append((i, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)))
                    del data
                _Slot.reading(slot, -1)
                conn.send(("done", read))
                del read
        except MemoryError:
            failure = ("memory", "MemoryError")
        except BaseException as exc:  # a Rust panic (PanicException) is a BaseException
            failure = ("crash", _describe(exc))
        if failure is not None:  # (the traceback and the file's data are freed by now)
            code = _EXIT_MEMORY if failure[0] == "memory" else _EXIT_CRASH
            try:
                conn.send(("failed", *failure))
            except BaseException:
                os._exit(code)
            os._exit(code)
    os._exit(0)


def _reused(path: str, known: Known, reuse: Reuse, limits: Limits) -> ReturnData | None:
    """What the file gave before, when its bytes still have the SHA-256 they
    had then; None (the file is read) when they do not, or the entry is not
    exactly a return (`reuse` raises), or the file cannot be read here."""
    sha256, entry = known
    try:
        # (O_NONBLOCK: a FIFO put in the file's place is never waited on;
        # read_return then says what it is)
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > limits.max_unpacked:
                return None
            raw = fh.read(info.st_size)  # (never read(limit): that allocates the whole limit)
            if fh.read(1):  # it grew while read: read it as any other file
                return None
        if hashlib.sha256(raw).hexdigest() != sha256:
            return None
        del raw
        return reuse(entry)
    except Exception:  # noqa: BLE001 - an entry that does not decode is a miss, never a failure
        return None


class _Slot:
    """Which file a worker is reading, in memory it shares with dvk: two
    64-bit integers, the file's index (-1: none) and when its read began
    (time.monotonic_ns; the clock is the system's, the same in every
    process). The worker writes the time first: dvk may see a new time with
    the file before it (a later deadline for a file that ended), never a
    file with the time of the one before it."""

    @staticmethod
    def make(ctx: Any) -> Any:
        slot = ctx.RawArray("q", 2)
        slot[0] = -1
        return slot

    @staticmethod
    def reading(slot: Any, i: int) -> None:
        if slot is not None:
            if i >= 0:
                slot[1] = time.monotonic_ns()
            slot[0] = i

    @staticmethod
    def read(slot: Any) -> tuple[int, float]:
        """(index of the file being read or -1, when its read began in
        time.monotonic seconds)."""
        i, began = slot[0], slot[1]
        return i, began / 1e9


# ------------------------------------------------------------------ the parent

def _context() -> Any:
    """fork when this process has no other thread; a lean forkserver otherwise."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["dvk_cli.reading.workers", "ctypes"])
        return ctx
    return multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class _Batch:
    """Files sent to a worker in one message: to be read (READ_BATCH at
    most), or whose cache entries are to be taken (`reuse`, REUSE_BATCH)."""

    files: tuple[int, ...]
    reuse: bool = False


@dataclass(eq=False)
class _Worker:
    proc: Any  # multiprocessing.Process
    conn: Connection
    err: Connection
    started: float
    slot: Any = None  # the file it is reading (_Slot)
    ready: bool = False
    # what it was sent and has not answered yet, in order
    tasks: collections.deque[_Batch] = field(default_factory=collections.deque)
    since: float = 0.0  # when it last answered (or said it was ready)
    files_read: int = 0
    killed_for_time: bool = False
    exitcode: int | None = None
    fds: tuple[int, int, int] = (-1, -1, -1)  # its pipe, its stderr, its sentinel
    stderr: bytearray = field(default_factory=bytearray)  # its start
    stderr_tail: bytearray = field(default_factory=bytearray)  # and its end

    def said(self) -> str:
        return (bytes(self.stderr) + b"\n" + bytes(self.stderr_tail)).decode("utf-8", "replace")

    def drain(self) -> None:
        """Keep the start and the end of what the worker wrote on stderr (a
        Rust abort says why first, then prints a long backtrace)."""
        fd = self.err.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not chunk:
                return
            room = STDERR_KEPT - len(self.stderr)
            if room > 0:
                self.stderr += chunk[:room]
                chunk = chunk[room:]
            self.stderr_tail += chunk
            del self.stderr_tail[:-STDERR_KEPT]


def _seconds(value: float) -> str:
    from dvk_cli.core.numbers import fmt_number

    return fmt_number(value, 1)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"tín hiệu {code}"


def died(shown: str, limits: Limits, *, cause: str, detail: str = "") -> ReturnData:
    """The finding on a file whose reader died: cause is memory | time | crash."""
    data = ReturnData(path=shown)
    if cause == "memory":
        return unreadable(data, "read_memory_limit",
                          f"không đọc được: vượt giới hạn bộ nhớ ({limits.max_memory_mb} MB cho một "
                          "tệp, [limits] max_memory_mb trong dvk.toml). Đề nghị đơn vị kiểm tra lại "
                          "tệp (mở bằng Excel, xóa các trang, vùng thừa, lưu lại và gửi lại).")
    if cause == "time":
        return unreadable(data, "read_time_limit",
                          f"không đọc được: vượt giới hạn thời gian ({_seconds(limits.max_seconds)} "
                          "giây cho một tệp, [limits] max_seconds trong dvk.toml). Đề nghị đơn vị "
                          "kiểm tra lại tệp (mở bằng Excel, lưu lại và gửi lại).")
    return unreadable(data, "read_crashed",
                      f"không đọc được: trình đọc bảng tính bị dừng bất thường ({detail}). Đề nghị "
                      "đơn vị mở tệp bằng Excel, lưu lại và gửi lại.")


def _cause_of_death(worker: _Worker) -> tuple[str, str]:
    """(memory | time | crash, detail) for a worker that died without saying why."""
    if worker.killed_for_time:
        return "time", ""
    code = worker.exitcode
    said = worker.said()
    if code == _EXIT_MEMORY or "memory allocation of" in said or "MemoryError" in said:
        return "memory", ""
    if code is not None and code < 0:
        return "crash", _signal_name(-code)
    if "panicked" in said:
        return "crash", "Rust panic"
    return "crash", f"mã thoát {code}"


def share_strings(data: ReturnData, seen: dict[str, str]) -> None:
    """Make the texts every return repeats (codes, labels, cells, sheets) one
    object each, as they were in the worker: a return unpickled alone would
    otherwise hold its own copies (20 MB over 3,321 returns)."""
    shared = seen.setdefault
    for values in (data.values, data.computed):
        for v in values:
            code, label, cell, sheet, how = v.code, v.label, v.cell, v.sheet, v.how
            v.code = shared(code, code)
            v.label = shared(label, label)
            v.cell = shared(cell, cell)
            v.sheet = shared(sheet, sheet)
            v.how = shared(how, how)
    for part in data.parts:
        share_strings(part, seen)


def read_in_workers(items: list[Task], catalog: Catalog, limits: Limits, workers: int,
                    progress: ProgressHook | None = None,
                    started: Callable[[], None] | None = None, *,
                    reuse: Reuse | None = None,
                    reused: set[int] | None = None) -> list[ReturnData]:
    """Read `items` in `workers` worker processes; the results keep their order.
    `started()` is called once the first workers are forked and fed (the
    process may then start threads of its own). An item's `Known` entry is
    taken (`reuse`, in the worker, REUSE_BATCH items at once) instead of
    reading its file when the file is unchanged; the positions of those go
    into `reused`. A file whose entry is not taken is read like the others.

    Never raises for a file: a worker that dies gives the finding on the file
    it was reading. One that dies taking entries was reading no file: the
    files of that batch are read, one by one. KeyboardInterrupt (and any
    error of the parent) kills and reaps the workers before propagating.
    """
    n = len(items)
    results: list[ReturnData | None] = [None] * n
    if n == 0:
        return []
    _load_prctl()
    events = selectors.DefaultSelector()  # the workers' pipes and process sentinels
    pending = collections.deque(range(n))
    pool: list[_Worker] = []
    done = 0
    start_failures = 0
    retried: set[int] = set()
    unknown: set[int] = set()  # files whose entry was not taken: read as any other
    # files read in a batch whose worker died between files: each is read in
    # a batch of its own, so that a death is always some file's
    alone: set[int] = set()
    shared: dict[str, str] = {}
    workers = max(1, min(workers, n))

    def start() -> None:
        # Chosen for each worker: one that replaces a dead worker while the
        # process has another thread (`started` may begin one) is not forked.
        ctx = _context()
        conn, child_conn = ctx.Pipe(duplex=True)
        err_r, err_w = ctx.Pipe(duplex=False)
        forked = ctx.get_start_method() == "fork"
        # A forked worker closes its copies of the other workers' pipes, so
        # that each worker sees the end of its own pipe when dvk is gone.
        others = [fd for w in pool for fd in w.fds[:2]] if forked else []
        slot = _Slot.make(ctx)
        proc = ctx.Process(target=serve, name="dvk-reader", daemon=True,
                           args=(child_conn, err_w, catalog, limits,
                                 os.getpid() if forked else None, others, reuse, slot))
        proc.start()
        child_conn.close()
        err_w.close()
        os.set_blocking(err_r.fileno(), False)
        worker = _Worker(proc, conn, err_r, started=time.monotonic(), slot=slot,
                         fds=(conn.fileno(), err_r.fileno(), proc.sentinel))
        pool.append(worker)
        for fd in worker.fds:
            events.register(fd, selectors.EVENT_READ, worker)

    buffer = bytearray(1 << 20)  # one for every message: no heap left in pieces

    def receive(conn: Connection) -> Any:
        nonlocal buffer
        try:
            size = conn.recv_bytes_into(buffer)
        except multiprocessing.BufferTooShort as exc:
            whole = exc.args[0]
            buffer = bytearray(max(len(whole), 2 * len(buffer)))
            return pickle.loads(whole)
        with memoryview(buffer)[:size] as view:
            return pickle.loads(view)

    def known(i: int) -> bool:
        return reuse is not None and items[i][4] is not None and i not in unknown

    def feed(worker: _Worker) -> None:
        while pending and len(worker.tasks) < IN_FLIGHT:
            i = pending.popleft()
            batch = [i]
            message: tuple
            if known(i):  # with the files after it that have an entry too
                while pending and len(batch) < REUSE_BATCH and known(pending[0]):
                    batch.append(pending.popleft())
                task = _Batch(tuple(batch), reuse=True)
                message = ("reuse", [(j, items[j][0], items[j][4]) for j in batch])
            else:
                if i not in alone:
                    # Smaller batches as the end nears: no worker idles while
                    # another still has many files queued.
                    size = min(READ_BATCH, max(1, (len(pending) + 1) // (IN_FLIGHT * workers)))
                    while (pending and len(batch) < size and not known(pending[0])
                           and pending[0] not in alone):
                        batch.append(pending.popleft())
                task = _Batch(tuple(batch))
                message = ("read", [(j, *items[j][:4]) for j in batch])
            if not worker.tasks:
                worker.since = time.monotonic()
            worker.tasks.append(task)
            try:
                worker.conn.send(message)
            except OSError:  # it died: the main loop buries it and sends its files elsewhere
                return

    def give_back(tasks: collections.deque[_Batch]) -> None:
        """The batches a dead worker held go back to `pending`, as their files."""
        for task in reversed(tasks):
            pending.extendleft(reversed(task.files))

    def shown(i: int) -> str:
        name = items[i][1]
        return display_path(Path(items[i][0])) if name is None else name

    def reading(worker: _Worker) -> tuple[int, float] | None:
        """The file of the batch at the head of its queue that the worker is
        reading (or was, when it died), and when it began, if any."""
        at, began = _Slot.read(worker.slot)
        head = worker.tasks[0] if worker.tasks else None
        return (at, began) if head is not None and not head.reuse and at in head.files else None

    def deadline(worker: _Worker) -> float:
        if not worker.ready:
            return worker.started + START_TIMEOUT
        now_reading = reading(worker)
        began = worker.since if now_reading is None else max(worker.since, now_reading[1])
        return began + limits.max_seconds

    def taken(got: list) -> None:
        """A batch's answer: each file whose entry was taken is done; the
        others (changed, or an entry that did not decode) are read."""
        for i, data in reversed(got):
            if data is None:
                unknown.add(i)
                pending.appendleft(i)
        for i, data in got:
            if data is not None:
                share_strings(data, shared)
                if reused is not None:
                    reused.add(i)
                finish(i, data)

    def returned(read: list[tuple[int, bytes]]) -> None:
        """A batch's answer: each file's return, pickled on its own."""
        for i, blob in read:
            try:
                data = pickle.loads(blob)
            except Exception as exc:  # noqa: BLE001 - dvk's own bug: that file's finding
                data = died(shown(i), limits, cause="crash", detail=_describe(exc))
            share_strings(data, shared)
            finish(i, data)

    def finish(i: int, data: ReturnData) -> None:
        nonlocal done
        results[i] = data
        done += 1
        if progress:
            progress(done, n)

    def bury(worker: _Worker, cause: str | None = None, detail: str = "") -> None:
        """A dead (or killed) worker: the finding on its file, the others sent back."""
        nonlocal start_failures
        pool.remove(worker)
        for fd in worker.fds:
            events.unregister(fd)
        _stop(worker, kill=True)
        if not worker.ready and cause is None:
            start_failures += 1
            give_back(worker.tasks)
            if start_failures >= 3:
                raise WorkerStartError(
                    "Không khởi động được tiến trình đọc biểu (lỗi hệ thống, không phải do tệp"
                    f"): {_cause_of_death(worker)[1]}.")
            return
        if cause is None:
            cause, detail = _cause_of_death(worker)
        head = worker.tasks[0] if worker.tasks else None
        now_reading = reading(worker)
        at = None if now_reading is None else now_reading[0]
        if head is not None and head.reuse:
            # It died taking cache entries: its files are read as any other,
            # each then the one a reader that dies is reading.
            unknown.update(head.files)
        elif head is not None and at is None and len(head.files) > 1:
            # It died between files (sending what it had read): no file of
            # the batch is to blame; each is read on its own.
            alone.update(head.files)
        elif head is not None:
            worker.tasks.popleft()
            if at is None:
                at = head.files[0]
            k = head.files.index(at)
            # (the files before it were read, their returns lost with the worker)
            rest = head.files[:k] + head.files[k + 1:]
            if cause != "time" and (worker.files_read or k) and at not in retried:
                # What earlier files left in the worker (memory it kept, a
                # damaged state) may be to blame: a fresh worker tries again.
                retried.add(at)
                rest = head.files
            else:
                finish(at, died(shown(at), limits, cause=cause, detail=detail))
            if rest:
                worker.tasks.appendleft(_Batch(rest))
        give_back(worker.tasks)

    # The results hold no reference cycles: the cyclic collector, which would
    # walk every object kept so far again and again as thousands of returns
    # are unpickled (a third of dvk's own time while reading), waits until
    # they are all in. (A forked worker re-enables it in `serve`.)
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(workers):
            start()
        for worker in pool:
            feed(worker)
        if started is not None:
            started()
        while done < n:
            while len(pool) < min(workers, n - done) and pending:
                start()
                feed(pool[-1])
            for worker in pool:
                # Files a dead worker gave back may wait while a live one idles
                # (it was served before that worker died): feed it now, or the
                # select below would wait forever with no deadline.
                feed(worker)
            now = time.monotonic()
            deadlines = [deadline(w) for w in pool if w.tasks or not w.ready]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            ready = {key.fd for key, _ in events.select(timeout)}
            now = time.monotonic()
            for worker in list(pool):
                conn_fd, err_fd, ended_fd = worker.fds
                if err_fd in ready:
                    worker.drain()
                ended = ended_fd in ready
                alive = True
                # One message per wake-up (the selector reports the pipe again
                # while more are waiting); all of them from a worker that ended.
                waiting = conn_fd in ready
                while alive and (waiting or (ended and worker.conn.poll())):
                    waiting = False
                    try:
                        message = receive(worker.conn)
                    except (EOFError, OSError):
                        alive = False
                        break
                    except Exception as exc:  # a result that does not unpickle
                        bury(worker, "crash", _describe(exc))
                        alive = False
                        break
                    kind = message[0]
                    if kind == "ready":
                        worker.ready = True
                        worker.since = time.monotonic()
                        start_failures = 0
                    elif kind in ("done", "reused") and not _answers(worker.tasks, message):
                        bury(worker, "crash", "trả lời không đúng việc được giao")
                        alive = False
                    elif kind in ("done", "reused"):
                        task = worker.tasks.popleft()
                        worker.since = time.monotonic()
                        worker.stderr.clear()  # what it says next is about the next file
                        worker.stderr_tail.clear()
                        worker.files_read += len(task.files)
                        if kind == "done":
                            returned(message[1])
                        else:
                            taken(message[1])
                    else:  # "failed": the worker exits after saying why
                        bury(worker, message[1], message[2])
                        alive = False
                if worker not in pool:
                    continue
                if not alive or ended:
                    if ended:
                        worker.drain()
                    bury(worker)
                elif worker.ready and worker.tasks and now > deadline(worker):
                    worker.killed_for_time = True
                    bury(worker, "time")
                elif not worker.ready and now - worker.started > START_TIMEOUT:
                    bury(worker)
                else:
                    feed(worker)
    except BaseException:
        for worker in pool:
            _stop(worker, kill=True)
        pool.clear()
        raise
    finally:
        for worker in pool:
            _stop(worker, kill=False)
        events.close()
        if collecting:
            # Within a run (core/collector.py) the returns stay until its
            # outputs are written: out of the collector's sight before it
            # is enabled again, or its first pass walks every object
            # unpickled since it was disabled (65 ms at N = 3,321).
            collector.settle()
            gc.enable()
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _answers(tasks: collections.deque[_Batch], message: tuple) -> bool:
    """Whether a worker's "done" or "reused" message answers the batch at the
    head of its queue (a worker is dvk's own code: this is a bug's net)."""
    if not tasks:
        return False
    head = tasks[0]
    return (head.reuse == (message[0] == "reused")
            and [i for i, _ in message[1]] == list(head.files))


def _stop(worker: _Worker, *, kill: bool) -> None:
    """End a worker (its pipe closed: it exits; or SIGKILL) and reap it."""
    proc = worker.proc
    if not kill:
        try:
            worker.conn.send(None)
        except (OSError, ValueError):
            pass
    worker.conn.close()
    if kill:
        if proc.is_alive():
            proc.kill()
    proc.join(STOP_TIMEOUT)
    if proc.is_alive():
        proc.kill()
        proc.join()
    worker.exitcode = proc.exitcode
    worker.drain()
    worker.err.close()
    proc.close()
