"""File helpers: atomic output (temp file in the same folder, then rename)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

# Within `resolving()`: each folder's resolved path, by its absolute text.
_FOLDERS: ContextVar[dict[str, Path] | None] = ContextVar("dvk_resolved_folders", default=None)


@contextlib.contextmanager
def resolving() -> Iterator[None]:
    """Within this block `resolve` looks each folder up once: a run resolves
    every return's path three times (finding it, its read-cache entry, how
    it is shown), thousands of files in a few folders, and Path.resolve
    checks every component of every path each time. A folder whose place
    changes during the block (a symlink retargeted mid-run) is not seen."""
    if _FOLDERS.get() is not None:  # nested: the outer block's folders
        yield
        return
    token = _FOLDERS.set({})
    try:
        yield
    finally:
        _FOLDERS.reset(token)


def resolve(path: Path) -> Path:
    """`path.resolve()`, the same result and the same exceptions; within
    `resolving()` the folder is looked up once, and only the file's own
    name is checked (a symlink is resolved in full)."""
    folders = _FOLDERS.get()
    name = path.name
    if folders is None or name in ("", ".", ".."):
        return path.resolve()
    base = _folder(folders, os.path.dirname(os.fspath(path)))
    if os.path.islink(path):
        return path.resolve()
    return base / name


def resolve_folder(folder: Path) -> Path:
    """`folder.resolve()`, the same result and the same exceptions; within
    `resolving()` looked up once, with the folders `resolve` looked up (a
    file that is not a symlink resolves to its name in it)."""
    folders = _FOLDERS.get()
    if folders is None:
        return folder.resolve()
    return _folder(folders, os.fspath(folder))


def _folder(folders: dict[str, Path], text: str) -> Path:
    """The folder `text` (relative to the working folder) resolved, once."""
    key = text if os.path.isabs(text) else os.path.join(os.getcwd(), text)
    base = folders.get(key)
    if base is None:
        base = folders[key] = Path(key).resolve()
    return base


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it over `target`.

    A crash or an exception leaves `target` as it was (and no temp file behind).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); an output is shared like any
        # file the user saves: keep the old file's mode, else honour the umask.
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: Path, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def save_workbook_atomic(workbook, target: Path) -> Path:
    """Save an openpyxl workbook atomically."""
    with atomic_path(target) as tmp:
        workbook.save(tmp)
    return Path(target)


_NOT_UTF8 = re.compile("[\udc80-\udcff]+")  # bytes of a name that were not UTF-8 (surrogateescape)
_SURROGATE = re.compile("[\ud800-\udfff]")


def readable_path(text: str) -> str:
    """A path as the OS gave it, made printable: the bytes of a name that
    were not UTF-8 (a zip made on Windows: "Bù Đốp.xlsx" in Windows-1258,
    which Python keeps as surrogate escapes, and which no message, JSON,
    workbook or SQLite store can hold) are read as Windows-1258, the
    Vietnamese Windows code page; a byte that code page lacks is shown
    as \\xNN. Names that are valid UTF-8 are returned unchanged."""
    if not _SURROGATE.search(text):
        return text

    def windows_1258(run: re.Match[str]) -> str:
        return run.group(0).encode("utf-8", "surrogateescape").decode("cp1258", "backslashreplace")

    fixed = unicodedata.normalize("NFC", _NOT_UTF8.sub(windows_1258, text))
    return fixed.encode("utf-8", "backslashreplace").decode("utf-8")  # any other lone surrogate


def _cwd() -> Path:
    """The working folder, resolved (once per folder within `resolving()`)."""
    folders = _FOLDERS.get()
    if folders is None:
        return Path.cwd().resolve()
    cwd = os.getcwd()
    found = folders.get("\0cwd\0" + cwd)
    if found is None:
        found = folders["\0cwd\0" + cwd] = Path(cwd).resolve()
    return found


def display_path(path: Path) -> str:
    """How messages, JSON, workbooks and the store name a file: relative to
    the working folder when below it, printable (`readable_path`) always."""
    try:
        shown = str(resolve(path).relative_to(_cwd()))
    except (ValueError, OSError, RuntimeError):  # outside; cwd gone; a symlink loop
        shown = str(path)
    return readable_path(shown)


def relative_path(path: Path, folder: Path) -> str:
    """`path` below `folder` as a POSIX path (how the store names files), else
    absolute; printable (`readable_path`)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        resolved = Path(os.path.abspath(path))
    try:
        return readable_path(resolved.relative_to(folder.resolve()).as_posix())
    except (ValueError, OSError, RuntimeError):
        return readable_path(str(resolved))
