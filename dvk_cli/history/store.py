"""The history store: one SQLite file (dvk.sqlite) beside dvk.toml.

It keeps every return dvk has read (unit, period, file, SHA-256, time read,
every value with its cell, the model list), baselines typed from reports made
before dvk, every `dvk aggregate` run, and period locks. No server: the
standard library's sqlite3.

The schema is versioned with ``PRAGMA user_version`` and a list of migration
steps; each step and each run's writes happen in one transaction, so a run
that dies midway leaves the store exactly as it was.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dvk_cli.core.errors import UsageError
from dvk_cli.core.findings import Finding

STORE_NAME = "dvk.sqlite"
AREA = ""  # the unit code of a baseline: the whole area, not one unit
KIND_RETURN = "return"
KIND_BASELINE = "baseline"
CURRENT = "current"
SUPERSEDED = "superseded"

# One entry per schema version; entry i brings a store from version i to i + 1.
MIGRATIONS: list[tuple[str, ...]] = [
    # v1: returns, their values and models, runs
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            command TEXT NOT NULL,
            period TEXT,
            inputs TEXT,
            files INTEGER NOT NULL DEFAULT 0,
            new_submissions INTEGER NOT NULL DEFAULT 0,
            replaced INTEGER NOT NULL DEFAULT 0,
            refused INTEGER NOT NULL DEFAULT 0,
            dvk_version TEXT
        )""",
        """CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            unit TEXT NOT NULL,
            period TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'return',
            file TEXT NOT NULL,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            file_mtime REAL,
            read_at TEXT NOT NULL,
            sheet TEXT,
            run_id INTEGER REFERENCES runs(id),
            status TEXT NOT NULL DEFAULT 'current',
            superseded_by INTEGER REFERENCES submissions(id),
            superseded_at TEXT,
            UNIQUE (unit, period, kind, sha256)
        )""",
        # at most one current submission per unit, period and kind
        """CREATE UNIQUE INDEX submissions_current
            ON submissions(unit, period, kind) WHERE status = 'current'""",
        """CREATE TABLE cell_values (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            indicator TEXT NOT NULL,
            value REAL NOT NULL,
            sheet TEXT,
            cell TEXT,
            how TEXT,
            note TEXT,
            PRIMARY KEY (submission_id, indicator)
        )""",
        """CREATE TABLE models (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            position INTEGER NOT NULL,
            stt TEXT,
            name TEXT,
            field TEXT,
            kind TEXT,
            exemplary INTEGER NOT NULL DEFAULT 0,
            implementer TEXT,
            note TEXT,
            sheet TEXT,
            row INTEGER,
            PRIMARY KEY (submission_id, position)
        )""",
    ),
    # v2: period locks and their history; runs remember whether the period was locked
    (
        """CREATE TABLE locks (
            period TEXT PRIMARY KEY,
            locked_at TEXT NOT NULL,
            reason TEXT
        )""",
        """CREATE TABLE lock_events (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            action TEXT NOT NULL,
            at TEXT NOT NULL,
            reason TEXT
        )""",
        "ALTER TABLE runs ADD COLUMN locked INTEGER NOT NULL DEFAULT 0",
    ),
    # v3: what each file read as, so a re-run parses only the files that changed
    # (dvk_cli/readcache.py); a cache, never history: rows are replaced freely
    (
        """CREATE TABLE read_cache (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            context TEXT NOT NULL,
            data BLOB NOT NULL
        )""",
    ),
    # v4: sign-off. The findings of each period as its latest run left them
    # (resolved_at set once a later run no longer raises one), the clerk's
    # acceptances, the reading findings of each stored return (a return used
    # from the store keeps its problems), forced locks
    (
        """CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            unit TEXT NOT NULL DEFAULT '',
            rule TEXT NOT NULL,
            indicator TEXT NOT NULL DEFAULT '',
            cell TEXT NOT NULL DEFAULT '',
            sha256 TEXT NOT NULL DEFAULT '',
            severity TEXT NOT NULL,
            message TEXT NOT NULL,
            file TEXT,
            sheet TEXT,
            impact REAL,
            first_run INTEGER REFERENCES runs(id),
            last_run INTEGER REFERENCES runs(id),
            resolved_at TEXT,
            UNIQUE (period, unit, rule, indicator, cell, sha256)
        )""",
        """CREATE TABLE acceptances (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            unit TEXT NOT NULL,
            rule TEXT NOT NULL,
            indicator TEXT NOT NULL DEFAULT '',
            cell TEXT NOT NULL DEFAULT '',
            sha256 TEXT NOT NULL DEFAULT '',
            severity TEXT,
            message TEXT,
            why TEXT NOT NULL,
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_by TEXT
        )""",
        """CREATE TABLE submission_findings (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            position INTEGER NOT NULL,
            severity TEXT NOT NULL,
            rule TEXT NOT NULL,
            message TEXT NOT NULL,
            sheet TEXT,
            cell TEXT,
            indicator TEXT,
            brief TEXT,
            value TEXT,
            PRIMARY KEY (submission_id, position)
        )""",
        "ALTER TABLE lock_events ADD COLUMN forced INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE lock_events ADD COLUMN open_findings TEXT",
    ),
    # v5: the read cache holds plain data (JSON of a versioned format, see
    # readcache.py), never pickle: the pickled rows of v3 are dropped unread
    (
        "DROP TABLE read_cache",
        """CREATE TABLE read_cache (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            context TEXT NOT NULL,
            format INTEGER NOT NULL,
            data BLOB NOT NULL
        )""",
    ),
    # v6: an unchanged re-run is decided before anything is read (runstate.py):
    # the store's generation, bumped by every change of what decides a run's
    # outputs (returns, findings, acceptances, locks), and each recorded run
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO meta (key, value) VALUES ('generation', 0)",
        """CREATE TABLE run_state (
            command TEXT NOT NULL,
            target TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            generation INTEGER NOT NULL,
            outputs TEXT NOT NULL,
            exit_code INTEGER NOT NULL,
            result BLOB NOT NULL,
            summary TEXT,
            at TEXT,
            PRIMARY KEY (command, target)
        )""",
        "CREATE TRIGGER generation_submissions_i AFTER INSERT ON submissions BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_submissions_u AFTER UPDATE ON submissions BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_submissions_d AFTER DELETE ON submissions BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_locks_i AFTER INSERT ON locks BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_locks_u AFTER UPDATE ON locks BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_locks_d AFTER DELETE ON locks BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_lock_events_i AFTER INSERT ON lock_events BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_lock_events_u AFTER UPDATE ON lock_events BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_lock_events_d AFTER DELETE ON lock_events BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_findings_i AFTER INSERT ON findings BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_findings_u AFTER UPDATE ON findings BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_findings_d AFTER DELETE ON findings BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_acceptances_i AFTER INSERT ON acceptances BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_acceptances_u AFTER UPDATE ON acceptances BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
        "CREATE TRIGGER generation_acceptances_d AFTER DELETE ON acceptances BEGIN "
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'; END",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    """Local time with its offset, to the second (2024-12-20T09:15:02+07:00)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class Submission:
    id: int
    unit: str
    period: str
    kind: str
    file: str
    file_name: str
    sha256: str
    file_mtime: float | None
    read_at: str
    sheet: str
    run_id: int | None
    status: str
    superseded_by: int | None
    superseded_at: str | None

    @property
    def current(self) -> bool:
        return self.status == CURRENT


@dataclass
class StoredValue:
    indicator: str
    value: float | int
    sheet: str
    cell: str
    how: str = ""
    note: str = ""


FindingKey = tuple[str, str, str, str, str]  # unit, rule, indicator, cell, sha256


@dataclass(frozen=True)
class _Keyed:
    """What a stored finding and an acceptance both record of the finding."""

    id: int
    period: str
    unit: str
    rule: str
    indicator: str
    cell: str
    sha256: str
    severity: str
    message: str

    @property
    def key(self) -> FindingKey:
        return (self.unit, self.rule, self.indicator, self.cell, self.sha256)


@dataclass(frozen=True)
class StoredFinding(_Keyed):
    """A finding as the latest run of its period left it."""

    file: str
    sheet: str
    impact: float | None
    first_run: int | None
    last_run: int | None
    resolved_at: str | None


@dataclass(frozen=True)
class StoredAcceptance(_Keyed):
    """The clerk's acceptance of one finding (revoked by dvk unaccept)."""

    why: str
    by: str
    at: str
    revoked_at: str | None
    revoked_by: str | None


_FINDING_COLUMNS = ("id, period, unit, rule, indicator, cell, sha256, severity, message, "
                    "file, sheet, impact, first_run, last_run, resolved_at")
_ACCEPTANCE_COLUMNS = ("id, period, unit, rule, indicator, cell, sha256, severity, message, "
                       "why, by, at, revoked_at, revoked_by")


@dataclass
class Lock:
    period: str
    locked_at: str
    reason: str


_SUBMISSION_COLUMNS = ("id, unit, period, kind, file, file_name, sha256, file_mtime, read_at, "
                       "sheet, run_id, status, superseded_by, superseded_at")


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _user_version(conn: sqlite3.Connection) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise UsageError(
            f"Kho lịch sử được tạo bởi phiên bản dvk mới hơn (lược đồ {version}, phiên bản này "
            f"hiểu đến {SCHEMA_VERSION}); hãy cập nhật dvk."
        )
    return version


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the store to schema version `target`, every step in one transaction.

    The version is read again once the write lock is held: two runs that
    create a new store at once both end with one schema (the second finds it
    made), never "table … already exists". A store already at `target` takes
    no lock at all."""
    version = _user_version(conn)
    if version >= target:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn)  # a concurrent creator may have done it meanwhile
        start = version
        while version < target:
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            version += 1
        if version != start:
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise
    return version


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is open (SQLite may have rolled it back
    already: a full disk, an I/O error)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


BUSY_WAIT_S = 5.0  # how long a run waits for another run's write to the store
COMMIT_WAIT_S = 30.0  # how long a commit waits for readers to finish a statement

_BUSY = "SQLITE_BUSY", "SQLITE_LOCKED"
_READ_ONLY = "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH"
_FULL = ("SQLITE_FULL",)
_IO = ("SQLITE_IOERR",)
_CANT_OPEN = ("SQLITE_CANTOPEN",)
_CORRUPT = ("SQLITE_CORRUPT",)
_NOT_A_DB = ("SQLITE_NOTADB",)
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def busy_message(path: Path) -> str:
    return (f"Kho lịch sử {path} đang có một lần chạy khác ghi vào; hãy chờ lần chạy đó xong "
            "rồi chạy lại.")


def recovery(path: Path) -> str:
    """How to recover from a damaged store (dvk keeps no backup of it)."""
    return (f"dvk không tự sao lưu kho lịch sử: hãy chép bản sao lưu gần nhất của {path.name} "
            "(nếu có) đè lên tệp này rồi chạy lại. Nếu không có bản sao lưu, đổi tên tệp hỏng để "
            "giữ lại (có thể cứu phần còn đọc được bằng lệnh sqlite3 “.recover”) rồi chạy lại: "
            "dvk tạo kho mới, nhưng lịch sử các kỳ trước, khóa kỳ và các chấp nhận phải nạp lại.")


def corrupt_message(path: Path, detail: str) -> str:
    return f"Kho lịch sử {path} đã hỏng ({detail}). {recovery(path)}"


def _kind(exc: BaseException) -> str:
    """The class of an SQLite error: its primary result code's name (by the
    message when the code is not known)."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    for prefix in (*_BUSY, *_READ_ONLY, *_FULL, *_IO, *_CANT_OPEN, *_CORRUPT, *_NOT_A_DB):
        if name == prefix or name.startswith(prefix + "_"):
            return prefix
    text = str(exc).lower()
    for needle, kind in (("locked", "SQLITE_BUSY"), ("readonly", "SQLITE_READONLY"),
                         ("disk is full", "SQLITE_FULL"), ("disk i/o", "SQLITE_IOERR"),
                         ("unable to open", "SQLITE_CANTOPEN"), ("malformed", "SQLITE_CORRUPT"),
                         ("not a database", "SQLITE_NOTADB")):
        if needle in text:
            return kind
    return ""


def store_error(exc: BaseException, path: Path | str) -> UsageError | None:
    """The Vietnamese message (a UsageError, exit code 2) for a store that
    another run is writing, that cannot be written (read-only, full disk),
    that cannot be opened or that is damaged; None for anything else (a bug,
    not the clerk's environment)."""
    path = Path(path)
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        if exc.errno in _READ_ONLY_ERRNOS:
            kind = "SQLITE_READONLY"
        elif exc.errno in _FULL_ERRNOS:
            kind = "SQLITE_FULL"
        else:
            kind = "SQLITE_IOERR"
    elif isinstance(exc, sqlite3.Error):
        kind = _kind(exc)
    else:
        return None
    untouched = "lần chạy này không ghi gì vào kho lịch sử"
    if kind in _BUSY:
        return UsageError(busy_message(path))
    if kind in _READ_ONLY:
        return UsageError(
            f"Không ghi được vào kho lịch sử {path}: tệp hoặc thư mục chứa nó chỉ cho đọc, hoặc "
            f"không có quyền ghi; {untouched}. Hãy cho phép ghi (hoặc chép thư mục làm việc sang "
            "nơi ghi được) rồi chạy lại; dvk aggregate và dvk validate chạy được mà không dùng "
            "kho lịch sử với --no-store.")
    if kind in _FULL:
        return UsageError(f"Không ghi được vào kho lịch sử {path}: ổ đĩa đã đầy; {untouched}. "
                          "Hãy giải phóng chỗ trống rồi chạy lại.")
    if kind in _IO:
        return UsageError(
            f"Lỗi đọc/ghi đĩa khi dùng kho lịch sử {path} ({exc}): ổ đĩa có thể đã đầy, chỉ cho "
            f"đọc hoặc ổ mạng bị ngắt; {untouched}. Hãy kiểm tra ổ đĩa rồi chạy lại.")
    if kind in _CANT_OPEN:
        return UsageError(f"Không mở được kho lịch sử {path}: thư mục không tồn tại, chỉ cho đọc "
                          "hoặc không có quyền.")
    if kind in _NOT_A_DB:
        return UsageError(f"Tệp {path} không phải là kho lịch sử của dvk hoặc đã hỏng ({exc}). "
                          + recovery(path))
    if kind in _CORRUPT:
        return UsageError(corrupt_message(path, str(exc)))
    return None


@contextlib.contextmanager
def store_errors(path: Path | str | None) -> Iterator[None]:
    """Turn the store's environment errors into their Vietnamese messages."""
    try:
        yield
    except sqlite3.Error as exc:
        mapped = store_error(exc, path) if path is not None else None
        if mapped is None:
            raise
        raise mapped from exc


class Store:
    """An open history store. Use as a context manager, or call close().

    check=True (a store opened to be written) runs SQLite's quick check of
    every page first, so that a damaged store is named before a run writes
    into it, never after."""

    def __init__(self, path: Path | str, *, create: bool = True, check: bool = False):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise UsageError(f"Chưa có kho lịch sử {self.path}.")
        existed = self.path.is_file()
        try:
            if not existed:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc) from exc
        try:
            self.conn.execute("PRAGMA foreign_keys = ON")
            migrate(self.conn)
            if check:
                self.check()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                self.conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from exc
            raise
        self.created = not existed

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_WAIT_S)

    def _error(self, exc: BaseException) -> BaseException:
        """The Vietnamese message for `exc`, or `exc` itself (a bug)."""
        mapped = store_error(exc, self.path)
        if mapped is not None:
            return mapped
        if type(exc) in (sqlite3.DatabaseError, sqlite3.OperationalError):  # not a bug's error
            return UsageError(
                f"Tệp {self.path} không phải là kho lịch sử của dvk hoặc đã hỏng ({exc}).")
        return exc

    def check(self) -> None:
        """SQLite's quick check of every page of the store (a damaged index
        page too); UsageError naming the store and how to recover."""
        rows = self.conn.execute("PRAGMA quick_check(3)").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            detail = " ".join(" ".join(str(r[0]) for r in rows).split())
            detail = detail.replace("*** in database main *** ", "")
            raise UsageError(corrupt_message(
                self.path, "SQLite: " + (detail if len(detail) <= 200 else detail[:199] + "…")))

    # -------------------------------------------------------------- plumbing

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):
            mapped = store_error(exc, self.path)
            if mapped is not None:
                raise mapped from exc

    def begin_write(self) -> None:
        """Take the store's write lock for a whole run (BEGIN IMMEDIATE),
        waiting BUSY_WAIT_S for another run to finish; UsageError when it
        does not. Every write of the run then happens in this transaction,
        which `commit` or `rollback` ends."""
        try:
            # the run's changes stay in memory until it commits: spilling them
            # into the file midway would take the exclusive lock and stop
            # every reader (dvk validate, dvk history) for the rest of the run
            self.conn.execute("PRAGMA cache_spill = OFF")
            self.conn.execute("BEGIN IMMEDIATE")
            # write the header page (the same version): a store or folder that
            # cannot be written is told now, before the run reads anything
            self.conn.execute(f"PRAGMA user_version = {self.version}")
        except sqlite3.Error as exc:
            _rollback(self.conn)
            raise self._error(exc) from exc

    def commit(self) -> None:
        """Commit the open transaction (nothing when none is open)."""
        if not self.conn.in_transaction:
            return
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(COMMIT_WAIT_S * 1000)}")
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(self.conn)
            raise self._error(exc) from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT_S * 1000)}")

    def rollback(self) -> None:
        _rollback(self.conn)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: commit at the end, roll back on any exception.
        Inside a run's open transaction (begin_write) it is a savepoint: all
        or nothing within the run, committed with the run."""
        if self.conn.in_transaction:
            self.conn.execute("SAVEPOINT dvk_step")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK TO dvk_step")
                        self.conn.execute("RELEASE dvk_step")
                raise
            self.conn.execute("RELEASE dvk_step")
            return
        self.begin_write()
        try:
            yield self.conn
        except BaseException:
            _rollback(self.conn)
            raise
        self.commit()

    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # -------------------------------------------------------------- reading

    def _submissions(self, where: str = "", args: tuple = ()) -> list[Submission]:
        sql = f"SELECT {_SUBMISSION_COLUMNS} FROM submissions"
        if where:
            sql += f" WHERE {where}"
        sql += " ORDER BY id"
        return [Submission(*row) for row in self.conn.execute(sql, args)]

    def submission(self, submission_id: int) -> Submission | None:
        found = self._submissions("id = ?", (submission_id,))
        return found[0] if found else None

    def current(self, unit: str, period: str, kind: str = KIND_RETURN) -> Submission | None:
        found = self._submissions("unit = ? AND period = ? AND kind = ? AND status = ?",
                                  (unit, period, kind, CURRENT))
        return found[0] if found else None

    def currents(self, period: str, kind: str = KIND_RETURN) -> dict[str, Submission]:
        """`current` of every unit of a period, by unit, in one query."""
        out: dict[str, Submission] = {}
        for sub in self._submissions("period = ? AND kind = ? AND status = ?",
                                     (period, kind, CURRENT)):
            out.setdefault(sub.unit, sub)  # the first by id, as `current` takes it
        return out

    def find(self, unit: str, period: str, sha256: str,
             kind: str = KIND_RETURN) -> Submission | None:
        found = self._submissions("unit = ? AND period = ? AND kind = ? AND sha256 = ?",
                                  (unit, period, kind, sha256))
        return found[0] if found else None

    def submissions(self, unit: str | None = None, period: str | None = None,
                    kind: str | None = None) -> list[Submission]:
        clauses, args = [], []
        for column, value in (("unit", unit), ("period", period), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        return self._submissions(" AND ".join(clauses), tuple(args))

    def values(self, submission_id: int) -> list[StoredValue]:
        rows = self.conn.execute(
            "SELECT indicator, value, sheet, cell, how, note FROM cell_values "
            "WHERE submission_id = ? ORDER BY rowid", (submission_id,))
        return [StoredValue(code, _number(v), sheet or "", cell or "", how or "", note or "")
                for code, v, sheet, cell, how, note in rows]

    def models(self, submission_id: int) -> list[dict]:
        rows = self.conn.execute(
            "SELECT stt, name, field, kind, exemplary, implementer, note, sheet, row FROM models "
            "WHERE submission_id = ? ORDER BY position", (submission_id,))
        keys = ("stt", "name", "field", "kind", "exemplary", "implementer", "note", "sheet", "row")
        out = []
        for row in rows:
            m = dict(zip(keys, row, strict=True))
            m["exemplary"] = bool(m["exemplary"])
            out.append(m)
        return out

    def submission_findings(self, submission_id: int) -> list[dict]:
        """The findings of a stored return as read (values not used, labels not known…)."""
        rows = self.conn.execute(
            "SELECT severity, rule, message, sheet, cell, indicator, brief, value "
            "FROM submission_findings WHERE submission_id = ? ORDER BY position", (submission_id,))
        keys = ("severity", "rule", "message", "sheet", "cell", "indicator", "brief", "value")
        return [{k: (v or "") for k, v in zip(keys, row, strict=True)} for row in rows]

    def period_findings(self, period: str, *, resolved: bool = False) -> list[StoredFinding]:
        """The findings the latest run of `period` raised (resolved=True: those
        a later run no longer raised)."""
        where = "resolved_at IS NOT NULL" if resolved else "resolved_at IS NULL"
        rows = self.conn.execute(
            f"SELECT {_FINDING_COLUMNS} FROM findings WHERE period = ? AND {where} ORDER BY id",
            (period,))
        return [StoredFinding(*row) for row in rows]

    def acceptances(self, period: str, *, active: bool = True) -> list[StoredAcceptance]:
        """The acceptances of a period (active: not revoked), oldest first."""
        sql = f"SELECT {_ACCEPTANCE_COLUMNS} FROM acceptances WHERE period = ?"
        if active:
            sql += " AND revoked_at IS NULL"
        rows = self.conn.execute(sql + " ORDER BY id", (period,))
        return [StoredAcceptance(*row) for row in rows]

    def period_values(self, period: str, kind: str = KIND_RETURN) -> dict[str, dict[str, float]]:
        """{unit: {indicator: value}} from the current submissions of a period."""
        out: dict[str, dict[str, float]] = {}
        rows = self.conn.execute(
            "SELECT s.unit, v.indicator, v.value FROM submissions s "
            "JOIN cell_values v ON v.submission_id = s.id "
            "WHERE s.period = ? AND s.kind = ? AND s.status = ? ORDER BY s.id, v.rowid",
            (period, kind, CURRENT))
        for unit, code, value in rows:
            out.setdefault(unit, {})[code] = _number(value)
        return out

    def unit_history(self, unit: str) -> dict[str, dict[str, float]]:
        """{period: {indicator: value}} of a unit's current returns."""
        out: dict[str, dict[str, float]] = {}
        rows = self.conn.execute(
            "SELECT s.period, v.indicator, v.value FROM submissions s "
            "JOIN cell_values v ON v.submission_id = s.id "
            "WHERE s.unit = ? AND s.kind = ? AND s.status = ?", (unit, KIND_RETURN, CURRENT))
        for period, code, value in rows:
            out.setdefault(period, {})[code] = _number(value)
        return out

    def periods(self) -> list[str]:
        """Every period with a current return or baseline."""
        rows = self.conn.execute(
            "SELECT DISTINCT period FROM submissions WHERE status = ?", (CURRENT,))
        return [r[0] for r in rows]

    def runs(self) -> list[dict]:
        cur = self.conn.execute("SELECT * FROM runs ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def lock_state(self, period: str) -> Lock | None:
        row = self.conn.execute("SELECT period, locked_at, reason FROM locks WHERE period = ?",
                                (period,)).fetchone()
        return Lock(*row) if row else None

    def lock_events(self, period: str | None = None) -> list[dict]:
        sql = "SELECT period, action, at, reason, forced FROM lock_events"
        args: tuple = ()
        if period is not None:
            sql += " WHERE period = ?"
            args = (period,)
        rows = self.conn.execute(sql + " ORDER BY id", args)
        return [{"period": p, "action": action, "at": at, "reason": reason,
                 "forced": bool(forced)} for p, action, at, reason, forced in rows]

    # -------------------------------------------------------------- writing
    # (call inside `with store.transaction():`)

    def start_run(self, command: str, period: str, inputs: str, files: int,
                  version: str = "") -> int:
        cur = self.conn.execute(
            "INSERT INTO runs (started_at, command, period, inputs, files, dvk_version) "
            "VALUES (?, ?, ?, ?, ?, ?)", (now(), command, period, inputs, files, version))
        assert cur.lastrowid is not None  # an INSERT always sets it
        return cur.lastrowid

    def finish_run(self, run_id: int, *, new: int, replaced: int, refused: int,
                   locked: bool) -> None:
        self.conn.execute(
            "UPDATE runs SET finished_at = ?, new_submissions = ?, replaced = ?, refused = ?, "
            "locked = ? WHERE id = ?", (now(), new, replaced, refused, int(locked), run_id))

    def insert_submission(self, *, unit: str, period: str, file: str, file_name: str,
                          sha256: str, values: list[StoredValue], models: list[dict],
                          kind: str = KIND_RETURN, file_mtime: float | None = None,
                          sheet: str = "", run_id: int | None = None,
                          findings: tuple[Finding, ...] | list[Finding] = ()) -> int:
        cur = self.conn.execute(
            "INSERT INTO submissions (unit, period, kind, file, file_name, sha256, file_mtime, "
            "read_at, sheet, run_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (unit, period, kind, file, file_name, sha256, file_mtime, now(), sheet, run_id,
             CURRENT))
        assert cur.lastrowid is not None  # an INSERT always sets it
        sid = cur.lastrowid
        self.conn.executemany(
            "INSERT INTO cell_values (submission_id, indicator, value, sheet, cell, how, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(sid, v.indicator, float(v.value), v.sheet, v.cell, v.how, v.note) for v in values])
        self.conn.executemany(
            "INSERT INTO models (submission_id, position, stt, name, field, kind, exemplary, "
            "implementer, note, sheet, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, i, _text(m.get("stt")), _text(m.get("name")), _text(m.get("field")),
              _text(m.get("kind")), int(bool(m.get("exemplary"))), _text(m.get("implementer")),
              _text(m.get("note")), _text(m.get("sheet")), _int(m.get("row")))
             for i, m in enumerate(models)])
        self.conn.executemany(
            "INSERT INTO submission_findings (submission_id, position, severity, rule, message, "
            "sheet, cell, indicator, brief, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, i, f.severity, f.rule, f.message, f.sheet, f.cell, f.indicator, f.brief,
              f.value) for i, f in enumerate(findings)])
        return sid

    def supersede(self, old_id: int) -> None:
        """Retire a current submission (it stays in history)."""
        self.conn.execute(
            "UPDATE submissions SET status = ?, superseded_at = ? WHERE id = ?",
            (SUPERSEDED, now(), old_id))

    def link_successor(self, old_id: int, new_id: int) -> None:
        self.conn.execute("UPDATE submissions SET superseded_by = ? WHERE id = ?",
                          (new_id, old_id))

    def reinstate(self, submission_id: int) -> None:
        """Make an older submission current again (the same file sent back)."""
        self.conn.execute(
            "UPDATE submissions SET status = ?, superseded_by = NULL, superseded_at = NULL "
            "WHERE id = ?", (CURRENT, submission_id))

    def record_findings(self, period: str, run_id: int | None,
                        rows: list[tuple[FindingKey, Finding]], scope: set[str],
                        previous: list[StoredFinding] | None = None) -> None:
        """Leave the period's findings as this run found them: `rows` (key,
        Finding) are raised now; an earlier unresolved finding of a unit in
        `scope` ("" for findings of no unit) that is not among them is resolved.
        `previous`: the period's unresolved findings (`period_findings`), when
        the caller has read them already in this transaction."""
        at = now()
        current = {key for key, _ in rows}
        if previous is None:
            previous = self.period_findings(period)
        # (executemany: one statement prepared for thousands of rows)
        self.conn.executemany("UPDATE findings SET resolved_at = ? WHERE id = ?",
                              [(at, old.id) for old in previous
                               if old.key not in current and old.unit in scope])
        self.conn.executemany(
            "INSERT INTO findings (period, unit, rule, indicator, cell, sha256, severity, "
            "message, file, sheet, impact, first_run, last_run) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (period, unit, rule, indicator, cell, sha256) DO UPDATE SET "
            "severity = excluded.severity, message = excluded.message, "
            "file = excluded.file, sheet = excluded.sheet, impact = excluded.impact, "
            "last_run = excluded.last_run, resolved_at = NULL",
            [(period, *key, f.severity, f.message, f.file, f.sheet, f.impact, run_id, run_id)
             for key, f in rows])

    def accept(self, finding: StoredFinding, why: str, by: str) -> str:
        at = now()
        self.conn.execute(
            "INSERT INTO acceptances (period, unit, rule, indicator, cell, sha256, severity, "
            "message, why, by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (finding.period, finding.unit, finding.rule, finding.indicator, finding.cell,
             finding.sha256, finding.severity, finding.message, why, by, at))
        return at

    def revoke(self, acceptance_id: int, by: str) -> str:
        at = now()
        self.conn.execute("UPDATE acceptances SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                          (at, by, acceptance_id))
        return at

    def lock(self, period: str, reason: str = "", *, forced: bool = False,
             open_findings: str | None = None) -> str:
        at = now()
        self.conn.execute("INSERT INTO locks (period, locked_at, reason) VALUES (?, ?, ?)",
                          (period, at, reason))
        self.conn.execute(
            "INSERT INTO lock_events (period, action, at, reason, forced, open_findings) "
            "VALUES (?, 'lock', ?, ?, ?, ?)", (period, at, reason, int(forced), open_findings))
        return at

    def unlock(self, period: str, reason: str) -> str:
        at = now()
        self.conn.execute("DELETE FROM locks WHERE period = ?", (period,))
        self.conn.execute(
            "INSERT INTO lock_events (period, action, at, reason) VALUES (?, 'unlock', ?, ?)",
            (period, at, reason))
        return at

    def dump(self) -> str:
        """The whole store as SQL text (for comparing states in tests and checks)."""
        return "\n".join(self.conn.iterdump())


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return str(value)


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def store_path_for(config) -> Path | None:
    """dvk.sqlite beside the dvk.toml in use; None without a dvk.toml."""
    return config.path.parent / STORE_NAME if getattr(config, "path", None) else None
