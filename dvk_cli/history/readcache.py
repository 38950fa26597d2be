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
``read_cache`` table of dvk.sqlite (dvk_cli/history/store.py); it holds
nothing the history does not hold in another form and may be dropped at any
time.

An entry is plain data: JSON (zlib-compressed) of the format ``FORMAT``,
written and read by the explicit functions below, never pickle. Whoever can
write dvk.sqlite (a shared office folder) can at most make a file read again:
an entry of another format, or one that does not decode to exactly the types
a ReturnData holds, is a miss, never an error and never code run.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_cli.core.cells import CellError
from dvk_cli.core.files import resolve
from dvk_cli.core.findings import Acceptance, Finding, Status
from dvk_cli.reading.returns import CellValue, ReturnData

if TYPE_CHECKING:
    from dvk_cli.history.store import Store

FORMAT = 1  # the format of read_cache.data; bump it when the encoding changes


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
    text = "\n".join((_code_fingerprint(), raw, repr(limits), f"format {FORMAT}"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_context(base: str, shown: str, mapping) -> str:
    return hashlib.sha256(f"{base}\n{shown}\n{mapping!r}".encode()).hexdigest()


# ------------------------------------------------------------------ plain data
#
# ReturnData <-> dict, written out field by field. The field lists are checked
# against the dataclasses: a field added to one of them and not here disables
# the cache (every file read, nothing cached) instead of losing the field.

_RETURN_FIELDS = ("path", "sha256", "readable", "sheet", "unit_text", "unit_code_text",
                  "period_text", "header_cells", "values", "computed", "models", "model_sheet",
                  "findings", "layout", "part", "parts", "legacy_cells")
_CELL_FIELDS = ("code", "value", "sheet", "cell", "how", "note", "raw", "label")
_FINDING_FIELDS = ("severity", "rule", "message", "file", "sheet", "cell", "unit", "indicator",
                   "brief", "value", "impact", "status", "accepted")
_ACCEPTANCE_FIELDS = ("why", "by", "at")
_TEXT_FIELDS = ("path", "sha256", "sheet", "unit_text", "unit_code_text", "period_text",
                "model_sheet", "layout", "part")


class NotPlainData(ValueError):
    """A value the cache cannot write as plain data (the file is not cached)."""


def supported() -> bool:
    """The cache knows every field of what it stores."""
    return (tuple(f.name for f in fields(ReturnData)) == _RETURN_FIELDS
            and tuple(f.name for f in fields(CellValue)) == _CELL_FIELDS
            and tuple(f.name for f in fields(Finding)) == _FINDING_FIELDS
            and tuple(f.name for f in fields(Acceptance)) == _ACCEPTANCE_FIELDS)


_PLAIN = (str, int, float, bool, type(None))


def _scalar_out(value: object) -> Any:
    """A cell's content as JSON: plain values as they are, the others tagged
    as a one-key object (a cell never holds an object, so a tag is unambiguous)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is CellError:
        return {"e": str(value)}
    if kind is datetime:
        return {"dt": value.isoformat()}  # type: ignore[attr-defined]
    if kind is date:
        return {"d": value.isoformat()}  # type: ignore[attr-defined]
    if kind is time:
        return {"t": value.isoformat()}  # type: ignore[attr-defined]
    if kind is timedelta:
        return {"td": [value.days, value.seconds, value.microseconds]}  # type: ignore[attr-defined]
    raise NotPlainData(kind.__name__)


def _scalar_in(value: Any) -> object:
    kind = type(value)
    if kind is str or kind is float or kind is int or kind is bool or value is None:
        return value
    if kind is not dict or len(value) != 1:
        raise ValueError("not a cell value")
    (tag, inner), = value.items()
    if tag == "e" and type(inner) is str:
        return CellError(inner)
    if tag == "dt" and type(inner) is str:
        return datetime.fromisoformat(inner)
    if tag == "d" and type(inner) is str:
        return date.fromisoformat(inner)
    if tag == "t" and type(inner) is str:
        return time.fromisoformat(inner)
    if tag == "td" and type(inner) is list and len(inner) == 3 \
            and all(type(x) is int for x in inner):
        return timedelta(days=inner[0], seconds=inner[1], microseconds=inner[2])
    raise ValueError("not a cell value")


def _text(value: object) -> str:
    if type(value) is not str:
        raise NotPlainData(type(value).__name__)
    return value  # type: ignore[return-value]


def _number(value: object) -> float | int:
    if type(value) is not int and type(value) is not float:
        raise NotPlainData(type(value).__name__)
    return value  # type: ignore[return-value]


_STR = frozenset({str})
_NUMBERS = frozenset({int, float})
_PLAIN_TYPES = frozenset(_PLAIN)


def _cells_out(cells: list[CellValue]) -> list[list]:
    """Cell values column by column (one JSON array per field: fast to read back)."""
    columns: list[list] = [[] for _ in _CELL_FIELDS]
    code, value, sheet, ref, how, note, raw, label = columns
    for v in cells:
        if type(v) is not CellValue:
            raise NotPlainData(type(v).__name__)
        code.append(_text(v.code))
        value.append(_number(v.value))
        sheet.append(_text(v.sheet))
        ref.append(_text(v.cell))
        how.append(_text(v.how))
        note.append(_text(v.note))
        raw.append(_scalar_out(v.raw))
        label.append(_text(v.label))
    for i in (2, 4, 5):  # sheet, how, note: mostly one text repeated
        column = columns[i]
        if len(column) > 1 and len(set(column)) == 1:
            columns[i] = column[:1]  # one element for n: that element n times
    return columns


def _column(items: Any, n: int, types: frozenset) -> list:
    if type(items) is not list or not set(map(type, items)) <= types:
        raise ValueError("not a column")
    if len(items) != n:
        if len(items) != 1:
            raise ValueError("not a column")
        items = items * n
    return items


def _cells_in(columns: Any) -> list[CellValue]:
    if type(columns) is not list or len(columns) != len(_CELL_FIELDS) \
            or type(columns[0]) is not list:
        raise ValueError("not cell values")
    n = len(columns[0])
    code, sheet, ref, how, note, label = (_column(columns[i], n, _STR) for i in (0, 2, 3, 4, 5, 7))
    value = _column(columns[1], n, _NUMBERS)
    raw = _column(columns[6], n, _PLAIN_TYPES | {dict})
    if not set(map(type, raw)) <= _PLAIN_TYPES:
        raw = [_scalar_in(x) for x in raw]
    return list(map(CellValue, code, value, sheet, ref, how, note, raw, label))


def _model_out(model: dict) -> dict:
    if type(model) is not dict:
        raise NotPlainData(type(model).__name__)
    return {_text(key): _scalar_out(value) for key, value in model.items()}


def _models_in(items: Any) -> list[dict]:
    if type(items) is not list:
        raise ValueError("not a list")
    out = []
    for model in items:
        if type(model) is not dict:
            raise ValueError("not a model")
        if not set(map(type, model.values())) <= _PLAIN_TYPES:
            model = {key: _scalar_in(value) for key, value in model.items()}
        out.append(model)  # a fresh dict from json.loads, keys always text
    return out


def _finding_out(f: Finding) -> list:
    if type(f) is not Finding:
        raise NotPlainData(type(f).__name__)
    a = f.accepted
    accepted = None if a is None else [_text(a.why), _text(a.by), _text(a.at)]
    impact = f.impact if f.impact is None else _number(f.impact)
    return [_text(f.severity), _text(f.rule), _text(f.message), _text(f.file), _text(f.sheet),
            _text(f.cell), _text(f.unit), _text(f.indicator), _text(f.brief),
            _scalar_out(f.value), impact, str(Status(f.status)), accepted]


def _findings_in(items: Any) -> list[Finding]:
    if type(items) is not list:
        raise ValueError("not a list")
    out = []
    for item in items:
        if type(item) is not list or len(item) != len(_FINDING_FIELDS):
            raise ValueError("not a finding")
        severity, rule, message, file, sheet, cell, unit, indicator, brief, value, impact, \
            status, accepted = item
        if any(type(t) is not str for t in item[:9]):
            raise ValueError("not a finding")
        if impact is not None and type(impact) is not int and type(impact) is not float:
            raise ValueError("not an impact")
        if accepted is not None:
            if (type(accepted) is not list or len(accepted) != 3
                    or any(type(t) is not str for t in accepted)):
                raise ValueError("not an acceptance")
            accepted = Acceptance(*accepted)
        if type(status) is not str:
            raise ValueError("not a status")
        out.append(Finding(severity, rule, message, file, sheet, cell, unit, indicator, brief,
                           value=_scalar_in(value), impact=impact,  # type: ignore[arg-type]
                           status=Status(status), accepted=accepted))
    return out


def return_to_dict(data: ReturnData) -> dict:
    """A ReturnData (and the rows of a wide table in it) as plain data;
    NotPlainData when it holds something else."""
    if type(data) is not ReturnData:
        raise NotPlainData(type(data).__name__)
    out: dict[str, Any] = {name: _text(getattr(data, name)) for name in _TEXT_FIELDS}
    if type(data.readable) is not bool:
        raise NotPlainData("readable")
    out["readable"] = data.readable
    out["header_cells"] = {_text(k): _text(v) for k, v in data.header_cells.items()}
    out["values"] = _cells_out(data.values)
    out["computed"] = _cells_out(data.computed)
    out["models"] = [_model_out(m) for m in data.models]
    out["findings"] = [_finding_out(f) for f in data.findings]
    out["parts"] = [return_to_dict(p) for p in data.parts]
    out["legacy_cells"] = [[_text(a), _text(b), _text(c)] for a, b, c in data.legacy_cells]
    return out


def return_from_dict(raw: Any) -> ReturnData:
    """The ReturnData written by return_to_dict; ValueError (or TypeError)
    for anything that is not exactly such data."""
    if type(raw) is not dict or raw.keys() != _RETURN_KEYS:
        raise ValueError("not a return")
    texts = {name: raw[name] for name in _TEXT_FIELDS}
    if any(type(t) is not str for t in texts.values()) or type(raw["readable"]) is not bool:
        raise ValueError("not a return")
    header = raw["header_cells"]
    if type(header) is not dict or any(type(v) is not str for v in header.values()):
        raise ValueError("not header cells")
    legacy = raw["legacy_cells"]
    if type(legacy) is not list:
        raise ValueError("not legacy cells")
    legacy_cells = []
    for item in legacy:
        if type(item) is not list or len(item) != 3 or any(type(t) is not str for t in item):
            raise ValueError("not a legacy cell")
        legacy_cells.append((item[0], item[1], item[2]))
    parts = raw["parts"]
    if type(parts) is not list:
        raise ValueError("not parts")
    return ReturnData(
        **texts, readable=raw["readable"], header_cells=dict(header),
        values=_cells_in(raw["values"]), computed=_cells_in(raw["computed"]),
        models=_models_in(raw["models"]), findings=_findings_in(raw["findings"]),
        parts=[return_from_dict(p) for p in parts], legacy_cells=legacy_cells)


_RETURN_KEYS = frozenset(_RETURN_FIELDS)


def encode(data: ReturnData) -> bytes:
    """The cache entry of a return (NotPlainData when it cannot be one)."""
    try:
        text = json.dumps(return_to_dict(data), ensure_ascii=False, separators=(",", ":"))
        return zlib.compress(text.encode("utf-8"), 1)
    except (TypeError, ValueError, UnicodeError) as exc:
        raise NotPlainData(str(exc)) from exc


def decode(blob: object) -> ReturnData:
    """The return of a cache entry; an exception for anything else."""
    if not isinstance(blob, bytes):
        raise ValueError("not an entry")
    return return_from_dict(json.loads(zlib.decompress(blob).decode("utf-8")))


# ------------------------------------------------------------------ the cache

def _key(path: Path) -> str | None:
    """A file's entry: its absolute path; None for a name SQLite cannot hold
    as text (bytes that are not UTF-8), a file that is simply read every time."""
    try:
        text = str(resolve(path))
        text.encode("utf-8")
    except (OSError, RuntimeError, UnicodeError):
        return None
    return text


@dataclass
class Lookup:
    """The outcome of a lookup, by position: the entries of files that look
    unchanged (size, time and reading context as cached), each with the
    SHA-256 the file had, to be taken only if its bytes still have it; the
    positions to read; each file's (size, mtime_ns) before it is read."""
    known: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    todo: list[int] = field(default_factory=list)
    stats: dict[int, tuple[int, int]] = field(default_factory=dict)


class ReadCache:
    """The read_cache table of one history store, read and written through
    the run's own connection to it.

    ``lookup`` reads it; the reading workers check each file's SHA-256 and
    decode its entry (``decode``, passed to them as what reuses an entry);
    ``save`` only prepares the rows of freshly read files; ``flush`` writes
    them into the run's transaction, so they are committed with the run or
    not at all (a run that fails or is interrupted leaves the store exactly
    as it was).
    """

    def __init__(self, store: Store, context: str, *, write: bool):
        self.store = store
        self.context = context
        self.write = write
        self.enabled = supported()
        self.pending: list[tuple] = []

    def lookup(self, files: list[Path], shown: list[str], mappings: dict) -> Lookup:
        """Which files may be taken from the cache (if their bytes are still
        the same: see Lookup) and which must be read."""
        result = Lookup()
        rows: dict = {}
        if self.enabled:
            rows = {path: rest for path, *rest in self.store.conn.execute(
                "SELECT path, size, mtime_ns, sha256, context, data FROM read_cache "
                "WHERE format = ?", (FORMAT,))}
        for i, path in enumerate(files):
            try:
                st = path.stat()
            except OSError:
                result.todo.append(i)  # the reader reports it
                continue
            result.stats[i] = (st.st_size, st.st_mtime_ns)
            key = _key(path)
            row = rows.get(key) if key is not None else None
            if (row is None or row[0] != st.st_size or row[1] != st.st_mtime_ns
                    or row[3] != _file_context(self.context, shown[i], mappings.get(path))):
                result.todo.append(i)
                continue
            result.known[i] = (row[2], row[4])
        return result

    def save(self, files: list[Path], shown: list[str], mappings: dict,
             returns: list[ReturnData], stats: dict[int, tuple[int, int]],
             positions: list[int]) -> None:
        """Prepare the rows of freshly read returns (their stat taken before
        reading, so a file changed while it was read is read again next time)."""
        if not self.write or not self.enabled:
            return
        for i, data in zip(positions, returns, strict=True):
            key = _key(files[i])
            if i not in stats or not data.sha256 or key is None:
                continue
            try:
                blob = encode(data)
            except NotPlainData:
                continue  # read again next time
            size, mtime = stats[i]
            self.pending.append((key, size, mtime, data.sha256,
                                 _file_context(self.context, shown[i], mappings.get(files[i])),
                                 FORMAT, blob))

    def flush(self) -> None:
        """Write the prepared rows into the run's transaction."""
        if not self.write:
            return
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO read_cache (path, size, mtime_ns, sha256, context, "
                "format, data) VALUES (?, ?, ?, ?, ?, ?, ?)", self.pending)
            # files deleted or moved since they were cached: their entries go
            gone = [(path,) for (path,) in conn.execute("SELECT path FROM read_cache")
                    if not Path(path).is_file()]
            conn.executemany("DELETE FROM read_cache WHERE path = ?", gone)
        self.pending = []
