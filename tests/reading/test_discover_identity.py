"""find_returns and find_unread give what they gave before they worked on
text (scandir entries, one resolve per folder, a text sort key): the same
paths, in the same order, with the same twins dropped, the same folders
listed, the same errors. The code they had is kept below as the reference."""

from __future__ import annotations

import os
import random
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest

from dvk_cli.core import files
from dvk_cli.core.errors import UsageError
from dvk_cli.core.files import resolving
from dvk_cli.reading import dispatch
from dvk_cli.reading.dispatch import (
    _is_other_name,
    _is_return_name,
    _os_reason,
    find_returns,
    find_unread,
)

# ------------------------------------------------------------------ the reference (the code as it was)


def _old_resolve(path: Path) -> Path:
    folders = files._FOLDERS.get()
    name = path.name
    if folders is None or name in ("", ".", ".."):
        return path.resolve()
    parent = os.path.dirname(os.fspath(path))
    key = parent if os.path.isabs(parent) else os.path.join(os.getcwd(), parent)
    base = folders.get(key)
    if base is None:
        base = folders[key] = Path(key).resolve()
    if os.path.islink(path):
        return path.resolve()
    return base / name


def old_find_returns(inputs: list[Path], skip: set[Path] | None = None) -> list[Path]:
    out: list[tuple[Path, Path]] = []
    skip = {_old_resolved(p) for p in (skip or set())}
    for item in inputs:
        try:
            if item.is_dir():
                out.extend((p, rp) for p in _old_walk(item) if (rp := _old_resolved(p)) not in skip)
                continue
            listed = item.is_file()
        except OSError:
            listed = True
        if listed and _is_return_name(item.name):
            out.append((item, _old_resolved(item)))
    seen: set[Path] = set()
    unique = []
    for p, rp in out:
        if rp not in seen:
            seen.add(rp)
            unique.append(p)
    return unique


def old_find_unread(inputs: list[Path], skip: set[Path] | None = None) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    skip = {_old_resolved(p) for p in (skip or set())}
    for item in inputs:
        try:
            if item.is_dir():
                found = _old_walk_other(item)
            elif item.is_file() and _is_other_name(item.name):
                found = [item]
            else:
                found = []
        except OSError:
            continue
        for p in found:
            rp = _old_resolved(p)
            if rp not in skip and rp not in seen:
                seen.add(rp)
                out.append(p)
    return out


def _old_walk_other(top: Path) -> list[Path]:
    return sorted(path for path, is_file in _old_files_below(top, lambda folder, exc: None)
                  if is_file and _is_other_name(path.name))


def _old_files_below(top: Path, unlisted: Callable[[Path, OSError], None]
                     ) -> Iterator[tuple[Path, bool | None]]:
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            unlisted(folder, exc)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(path)
                    continue
                is_file: bool | None = entry.is_file()
            except OSError:
                is_file = None
            yield path, is_file


def _old_walk(top: Path) -> list[Path]:
    found: list[Path] = []

    def unlisted(folder: Path, exc: OSError) -> None:
        if folder == top:
            raise UsageError(f"Không đọc được thư mục “{dispatch.readable_path(str(top))}” "
                             f"({_os_reason(exc)}).") from None
        found.append(folder)

    for path, is_file in _old_files_below(top, unlisted):
        if is_file is not False and _is_return_name(path.name):
            found.append(path)
    return sorted(found)


def _old_resolved(path: Path) -> Path:
    try:
        return _old_resolve(path)
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


# ------------------------------------------------------------------ the tree

NFC = unicodedata.normalize("NFC", "Bù Đốp")
NFD = unicodedata.normalize("NFD", "Bù Đốp")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    top = tmp_path / "returns"
    names = [
        # names whose Path order is not their text order ("a/b" > "a-b/c" as text)
        "a/b.xlsx", "a/b/c/d.xlsx", "a/b/e.xls", "a-b/c.xlsx", "a.b/x.xlsx", "a.xlsx", "a0/f.ods",
        "A/g.xlsx", "A/B.xlsx", "a b/h.xlsm", "a_b/i.xlsx", "ab.XLSX", "b/a/a/a.xlsx",
        # Vietnamese names, NFC and NFD (two names to the OS), with diacritics
        f"{NFC}/Xã Thiện Hưng.xlsx", f"{NFD}/Xã Thiện Hưng.xlsx", f"{NFC}/{NFD}.xlsx",
        "Đồng Xoài/báo cáo.xlsx", "Dong Xoai/bao cao.xlsx", "Ẩn/ẩn.xlsx",
        # hidden, lock and other files
        ".an/j.xlsx", ".k.xlsx", "a/.l.xlsx", "~$lock.xlsx", "a/~$m.xlsx", "~m.xlsx",
        "note.pdf", "a/scan.jpg", "a-b/thu.docx", "dvk.toml", "tong-hop-2024.xlsx",
        "bao-cao-2024.md", "bao-cao-abc.md", "a/b/c/nen.zip", ".an/an.pdf", "~$x.pdf",
        f"{NFD}/ảnh.png",
    ]
    for name in names:
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    # random names from characters that sort differently as text and as components
    rng = random.Random(20240611)
    alphabet = ["a", "b", "-", ".", "0", " ", "A", "_", "é", "e\u0301", "đ", "~"]
    for _ in range(60):
        parts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3)))
                 for _ in range(rng.randint(1, 3))]
        parts = [p if p not in (".", "..") else p + "x" for p in parts]
        path = top.joinpath(*parts[:-1], parts[-1] + rng.choice([".xlsx", ".pdf", ".xls"]))
        if any(parent.is_file() for parent in path.parents):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_dir():
            path.write_bytes(b"x")
    # symlinks: a file (to a file found before it, and to one found after it),
    # a folder (not followed), a loop, a link to nowhere, a link to a folder
    (top / "z-link.xlsx").symlink_to(top / "a" / "b.xlsx")
    (top / "0-link.xlsx").symlink_to(top / "b" / "a" / "a" / "a.xlsx")
    (top / "a-b" / "up.xlsx").symlink_to(Path("..") / "a.xlsx")
    (top / "linked").symlink_to(top / "a")
    (top / "vong.xlsx").symlink_to(top / "vong.xlsx")
    (top / "mat.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    (top / "thu-muc.xlsx").symlink_to(top / "a-b")
    (top / "ngoai.pdf").symlink_to(top / "note.pdf")
    # a folder reached another way: the same files by a second INPUT path
    (tmp_path / "via").symlink_to(top)
    monkeypatch.chdir(tmp_path)
    return top


def _both(inputs: list[Path], skip: set[Path] | None = None) -> None:
    for block in (False, True):
        with resolving() if block else nullcontext():
            new = (find_returns(inputs, skip), find_unread(inputs, skip))
        with resolving() if block else nullcontext():
            old = (old_find_returns(inputs, skip), old_find_unread(inputs, skip))
        assert new == old
        assert [str(p) for p in new[0]] == [str(p) for p in old[0]]  # the same text, too
        assert [type(p) for p in new[0] + new[1]] == [type(p) for p in old[0] + old[1]]


def test_order_twins_and_skips_are_the_old_ones(tree: Path) -> None:
    found = old_find_returns([tree])
    assert len(found) > 40
    # the case this is about: component order, not text order
    names = [p.relative_to(tree).as_posix() for p in found]
    assert names.index("a/b/c/d.xlsx") < names.index("a/b.xlsx") < names.index("a-b/c.xlsx")
    assert sorted(names) != names
    _both([tree])
    _both([Path("returns")])
    _both([Path("returns/")])
    _both([Path("./returns/a"), tree / "a-b" / "c.xlsx", tree, Path("via"), tree / "a"])
    _both([Path("via/a"), Path("returns/a")], skip={tree / "a" / "b.xlsx", Path("via/a-b/up.xlsx")})
    _both([tree, tree], skip={Path("via/z-link.xlsx"), tree / "note.pdf", Path("nowhere")})
    _both([tree / "vong.xlsx", tree / "mat.xlsx", tree / "z-link.xlsx", tree / "a" / "b.xlsx",
           tree / "note.pdf", tree / "ngoai.pdf", tree / "thu-muc.xlsx", tree / "linked",
           tree / "khong-co.xlsx", tree / "~$lock.xlsx", tree / ".k.xlsx"])
    _both([tree / ("x" * 300 + ".xlsx"), tree / "a" / ("y" * 300), tree / "nowhere"])


def test_the_working_folder_as_input(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    _both([Path(".")])
    _both([Path(""), Path("a"), Path("..") / "returns"], skip={Path("a/b.xlsx")})
    monkeypatch.chdir(tree / "a")
    _both([Path(".."), Path("../a-b")])


def _deny(monkeypatch: pytest.MonkeyPatch, denied: set[str]) -> None:
    """os.scandir refuses the folders named (as chmod 000 would for a user
    who is not root), for the new code and the reference alike."""
    real = os.scandir

    def scandir(folder: str | Path = ".") -> Iterator[os.DirEntry[str]]:
        if os.path.basename(os.fspath(folder)) in denied:
            raise PermissionError(13, "Permission denied", os.fspath(folder))
        return real(folder)

    monkeypatch.setattr(os, "scandir", scandir)


def test_folders_that_cannot_be_listed(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _deny(monkeypatch, {"a", "c", NFD})
    _both([tree])
    found = find_returns([tree])
    assert tree / "a" in found and tree / NFD in found and tree / "a" / "b.xlsx" not in found
    _both([tree / "a-b", Path("via")])
    for inputs in ([tree / "a"], [tree, Path("returns/a")]):
        with pytest.raises(UsageError) as new:
            find_returns(inputs)
        with pytest.raises(UsageError) as old:
            old_find_returns(inputs)
        assert str(new.value) == str(old.value)
        assert "Không đọc được thư mục" in str(new.value)
        assert find_unread(inputs) == old_find_unread(inputs)  # never raises


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root lists a folder whatever its mode")
def test_a_folder_without_permission(tree: Path) -> None:
    locked = tree / "a"
    half = tree / "a-b"
    locked.chmod(0)
    half.chmod(0o600)  # listed, but its files cannot be looked at
    try:
        _both([tree])
        assert locked in find_returns([tree])
        with pytest.raises(UsageError) as new:
            find_returns([locked])
        with pytest.raises(UsageError) as old:
            old_find_returns([locked])
        assert str(new.value) == str(old.value)
    finally:
        locked.chmod(0o755)
        half.chmod(0o755)


def test_the_folders_are_resolved_once_each(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What makes discovery fast: no Path.resolve for each file that is not a
    symlink, only for each folder and each symlink."""
    calls: list[str] = []
    original = Path.resolve

    def counted(self: Path, strict: bool = False) -> Path:
        calls.append(str(self))
        return original(self, strict)

    monkeypatch.setattr(Path, "resolve", counted)
    found = find_returns([tree])  # outside resolving(): no folder is remembered
    folders = {str(p.parent) for p in found}
    links = [p for p in found if p.is_symlink()]
    assert len(calls) <= len(folders) + 2 * len(links)
    assert len(found) > len(folders) + len(links)
