"""An unchanged re-run, decided before anything is parsed or written.

`dvk aggregate` records, in the run's own transaction, what decided its
outputs: a fingerprint of the inputs (each file's path, size and mtime), of
dvk.toml and the files it points to (mappings, templates), of the command's
options and of dvk's version; the store's generation (bumped by triggers on
every change of returns, findings, acceptances and locks); and the hashes of
the outputs it wrote. The next `dvk aggregate` with the same options compares
before reading anything: when everything is the same and the outputs are
still there, unmodified, it says so and where they are, and exits with the
code the recorded run had — nothing is re-read and nothing rewritten.

Anything else is a full run: a file added, removed, touched or edited; a
changed dvk.toml, mapping or template; another dvk version; an accepted
finding, a lock or a replacement recorded since; an output deleted or edited."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_cli.core.version import VERSION

if TYPE_CHECKING:
    from dvk_cli.core.config import Config
    from dvk_cli.history.store import Store

# bumped when what the fingerprint covers changes meaning
FORMAT = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RunKey:
    """Which recorded run a new one is compared with (the command and its
    output folder) and the fingerprint of everything else that decides it."""

    command: str
    target: str
    fingerprint: str


@dataclass(frozen=True)
class Unchanged:
    """A recorded run whose outputs still hold: where they are, its exit code,
    its JSON result, its one-line verdict and when it ran."""

    paths: dict[str, Path]
    exit_code: int
    data: dict[str, Any]
    summary: str
    at: str


def _stat(path: Path) -> list:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path), st.st_size, st.st_mtime_ns]


def _file_digest(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _config_files(config: Config) -> list[Path]:
    """The files dvk.toml points to that shape the outputs: mapping files and
    the Word template of [report]."""
    raw = config.raw or {}
    found = []
    for entry in raw.get("mappings", []) or []:
        if isinstance(entry, dict) and isinstance(entry.get("mapping"), str):
            found.append(config.folder / entry["mapping"])
    report = raw.get("report")
    if isinstance(report, dict) and isinstance(report.get("template"), str):
        found.append(config.folder / report["template"])
    return found


def run_key(command: str, out: Path, *, config: Config, files: Iterable[Path],
            others: Iterable[Path], options: Mapping[str, Any]) -> RunKey:
    """The key of a run about to start: `files` are the returns it would read,
    `others` the files it would name without reading, `options` what the
    command was asked (period, docx, template, strict …)."""
    config_digest = _file_digest(config.path) if config.path else None
    parts = {
        "format": FORMAT,
        "version": VERSION,
        "config": [str(config.path) if config.path else None, config_digest],
        "config_files": [_stat(p) for p in _config_files(config)],
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items()},
        "template": _stat(Path(options["template"])) if options.get("template") else None,
        "files": [_stat(p) for p in files],
        "others": [_stat(p) for p in others],
    }
    # ASCII escapes: a file name that is not UTF-8 (surrogates) is hashed as it is
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True, default=str)
    return RunKey(command, _target(out), hashlib.sha256(text.encode("ascii")).hexdigest())


def _target(out: Path) -> str:
    """The output folder as a key: its path's bytes, hashed (a folder whose
    name is not UTF-8 is a key like any other)."""
    return hashlib.sha256(os.fsencode(out.resolve())).hexdigest()


def generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def find_unchanged(store: Store, key: RunKey) -> Unchanged | None:
    """The recorded run `key` matches, when its outputs are still as written
    and nothing in the store changed since; else None (a full run)."""
    row = store.conn.execute(
        "SELECT fingerprint, generation, outputs, exit_code, result, summary, at "
        "FROM run_state WHERE command = ? AND target = ?", (key.command, key.target)).fetchone()
    if row is None:
        return None
    fingerprint, gen, outputs, exit_code, blob, summary, at = row
    if fingerprint != key.fingerprint or gen != generation(store.conn):
        return None
    try:
        written = json.loads(outputs)
        data = json.loads(zlib.decompress(blob).decode("utf-8"))
    except (ValueError, zlib.error, TypeError):
        return None
    if not isinstance(written, dict) or not isinstance(data, dict) or not written:
        return None
    paths = {}
    for name, (path, digest) in written.items():
        if _file_digest(Path(path)) != digest:
            return None  # deleted, edited or replaced: written again
        paths[name] = Path(path)
    return Unchanged(paths, int(exit_code), data, summary or "", at or "")


def record(store: Store, key: RunKey, *, paths: Mapping[str, Path], exit_code: int,
           data: Mapping[str, Any], summary: str, at: str) -> None:
    """Record a run in its own open transaction, after its outputs are written
    and its other writes to the store are done (the generation read here is
    the one it commits)."""
    outputs = {name: [str(path), _file_digest(Path(path))] for name, path in paths.items()}
    blob = zlib.compress(json.dumps(data, allow_nan=False).encode("ascii"), 6)
    store.conn.execute(
        "INSERT OR REPLACE INTO run_state (command, target, fingerprint, generation, outputs, "
        "exit_code, result, summary, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (key.command, key.target, key.fingerprint, generation(store.conn),
         json.dumps(outputs), exit_code, blob, summary.encode("utf-8", "replace").decode(), at))


def forget(store: Store, command: str, out: Path) -> None:
    """Drop the record of `command` into `out` (a run that wrote its outputs
    but could not be recorded must never be taken for unchanged)."""
    store.conn.execute("DELETE FROM run_state WHERE command = ? AND target = ?",
                       (command, _target(out)))
