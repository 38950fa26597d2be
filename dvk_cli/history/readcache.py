"""Parsed returns remembered in the history store: a re-run parses only the
files that changed.

A file is taken from the cache only when everything that decides how it reads
is the same as when it was cached:

- the file itself: same size and modification time (the cheap check, from
  ``stat``), then the same SHA-256 of its bytes (so a file restored with its
  old time but other content is read again);
- the way dvk reads it: the same dvk code, catalog and dvk.toml, the same
  guard limits, the same mapping file, the same path as shown to the user.

Anything else is read again and its entry replaced. The cache lives in the
``read_cache`` table of dvk.sqlite (dvk_cli/store.py); it holds nothing the
history does not hold in another form and may be dropped at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
import sqlite3
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dvk_cli.reading.returns import ReturnData

# Pickle is only ever read back from the store dvk itself wrote beside
# dvk.toml; a protocol number fixed so that one Python writes what another reads.
_PROTOCOL = 5


def code_files() -> list[Path]:
    """Every source and data file of the dvk_cli package, subpackages included."""
    package = Path(__file__).resolve().parent.parent  # dvk_cli
    return sorted(package.rglob("*.py")) + sorted(package.rglob("*.toml"))


@cache
def _code_fingerprint() -> str:
    """The dvk source itself: a changed reader never reuses what an older one read."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in code_files():
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def reading_context(config, limits) -> str:
    """A fingerprint of everything but the file that decides how a file reads."""
    raw = json.dumps(getattr(config, "raw", {}) or {}, sort_keys=True, ensure_ascii=False,
                     default=str)
    text = "\n".join((_code_fingerprint(), raw, repr(limits)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_context(base: str, shown: str, mapping) -> str:
    return hashlib.sha256(f"{base}\n{shown}\n{mapping!r}".encode()).hexdigest()


@dataclass
class Lookup:
    """The outcome of a lookup: cached returns by position, positions to read."""
    hits: dict[int, ReturnData] = field(default_factory=dict)
    todo: list[int] = field(default_factory=list)
    stats: dict[int, tuple[int, int]] = field(default_factory=dict)  # position -> (size, mtime_ns)


class ReadCache:
    """The read_cache table of one history store.

    ``lookup`` reads it; ``save`` only prepares the rows of freshly read files;
    ``flush`` writes them, once the run has succeeded (a run that fails or is
    interrupted leaves the store exactly as it was).
    """

    def __init__(self, store_path: Path, context: str, *, write: bool):
        self.path = Path(store_path)
        self.created = not self.path.is_file()
        self.context = context
        self.write = write
        self.pending: list[tuple] = []

    def lookup(self, files: list[Path], shown: list[str], mappings: dict) -> Lookup:
        """Which files can be taken from the cache (read back) and which must be read."""
        result = Lookup()
        rows = {}
        if not self.created:
            from dvk_cli.history.store import Store

            with Store(self.path, create=False) as store:  # migrates an older store
                rows = {path: rest for path, *rest in store.conn.execute(
                    "SELECT path, size, mtime_ns, sha256, context, data FROM read_cache")}
        for i, path in enumerate(files):
            try:
                st = path.stat()
            except OSError:
                result.todo.append(i)  # the reader reports it
                continue
            result.stats[i] = (st.st_size, st.st_mtime_ns)
            row = rows.get(str(path.resolve()))
            if (row is None or row[0] != st.st_size or row[1] != st.st_mtime_ns
                    or row[3] != _file_context(self.context, shown[i], mappings.get(path))):
                result.todo.append(i)
                continue
            try:
                same = hashlib.sha256(path.read_bytes()).hexdigest() == row[2]
                data = pickle.loads(zlib.decompress(row[4])) if same else None
            except Exception:  # noqa: BLE001 - an unreadable entry is a miss, never a failure
                data = None
            if isinstance(data, ReturnData):
                result.hits[i] = data
            else:
                result.todo.append(i)
        return result

    def save(self, files: list[Path], shown: list[str], mappings: dict,
             returns: list[ReturnData], stats: dict[int, tuple[int, int]],
             positions: list[int]) -> None:
        """Prepare the rows of freshly read returns (their stat taken before
        reading, so a file changed while it was read is read again next time)."""
        if not self.write:
            return
        for i, data in zip(positions, returns, strict=True):
            if i not in stats or not data.sha256:
                continue
            size, mtime = stats[i]
            blob = zlib.compress(pickle.dumps(data, protocol=_PROTOCOL), 1)
            self.pending.append((str(files[i].resolve()), size, mtime, data.sha256,
                                 _file_context(self.context, shown[i], mappings.get(files[i])),
                                 blob))

    def flush(self) -> None:
        """Write the prepared rows (the store is created if the run did not)."""
        if not self.write:
            return
        from dvk_cli.history.store import Store

        with contextlib.suppress(sqlite3.OperationalError):  # a busy store: no caching this time
            with Store(self.path) as store, store.transaction() as conn:
                conn.executemany("INSERT OR REPLACE INTO read_cache VALUES (?, ?, ?, ?, ?, ?)",
                                 self.pending)
                # files deleted or moved since they were cached: their entries go
                gone = [(path,) for (path,) in conn.execute("SELECT path FROM read_cache")
                        if not Path(path).is_file()]
                conn.executemany("DELETE FROM read_cache WHERE path = ?", gone)
        self.pending = []
