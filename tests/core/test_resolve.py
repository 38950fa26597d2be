"""files.resolve: within resolving() each folder is looked up once, and the
result is Path.resolve's for every kind of path a run meets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dvk_cli.core import files
from dvk_cli.core.files import display_path, resolve, resolving


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    real = tmp_path / "real" / "tinh"
    real.mkdir(parents=True)
    (real / "a.xlsx").write_bytes(b"a")
    (real / "b.xlsx").write_bytes(b"b")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "c.xlsx").write_bytes(b"c")
    (tmp_path / "via").symlink_to(tmp_path / "real")                 # a folder symlink
    (real / "link.xlsx").symlink_to(tmp_path / "other" / "c.xlsx")    # a file symlink
    (real / "dangling.xlsx").symlink_to(tmp_path / "nowhere.xlsx")   # to nothing
    (real / "loop.xlsx").symlink_to(real / "loop.xlsx")              # to itself
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _paths(root: Path) -> list[Path]:
    names = ["a.xlsx", "b.xlsx", "link.xlsx", "dangling.xlsx", "missing.xlsx", ".", ".."]
    folders = [root / "real" / "tinh", root / "via" / "tinh", Path("via/tinh"), Path("real/tinh"),
               root / "real" / "tinh" / ".." / "tinh", Path("via/tinh/../tinh"), Path(".")]
    return [folder / name for folder in folders for name in names] + [Path("a.xlsx"), Path("")]


def _outcome(fn, path: Path) -> object:
    try:
        return fn(path)
    except (OSError, RuntimeError) as exc:
        return type(exc)


def test_resolve_within_the_block_is_path_resolve(tree: Path) -> None:
    expected = [_outcome(Path.resolve, p) for p in _paths(tree)]
    with resolving():
        got = [_outcome(resolve, p) for p in _paths(tree)]
        again = [_outcome(resolve, p) for p in _paths(tree)]  # from the folders seen
    assert got == expected
    assert again == expected
    loop = tree / "real" / "tinh" / "loop.xlsx"
    with resolving():
        assert _outcome(resolve, loop) == _outcome(Path.resolve, loop)


def test_each_folder_is_resolved_once(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = Path.resolve

    def counted(self: Path, strict: bool = False) -> Path:
        calls.append(str(self))
        return original(self, strict)

    real = tree.resolve() / "real" / "tinh"
    monkeypatch.setattr(Path, "resolve", counted)
    paths = [tree / "via" / "tinh" / f"{i}.xlsx" for i in range(50)]
    with resolving():
        resolved = [resolve(p) for p in paths]
        shown = [display_path(p) for p in paths]
    assert resolved == [real / f"{i}.xlsx" for i in range(50)]
    assert shown == [os.path.join("real", "tinh", f"{i}.xlsx") for i in range(50)]
    assert len(calls) == 2  # the folder, the working folder
    calls.clear()
    assert resolve(paths[0]) == resolved[0]  # outside the block: Path.resolve itself
    assert calls == [str(paths[0])]


def test_the_block_ends_and_nests(tree: Path) -> None:
    with resolving():
        with resolving():
            resolve(tree / "via" / "tinh" / "a.xlsx")
        assert files._FOLDERS.get()  # the outer block's folders are kept
    assert files._FOLDERS.get() is None


def test_a_run_names_files_by_the_folder_it_sees(tree: Path) -> None:
    # the working folder reached through a symlink: shown paths stay relative
    os.chdir(tree / "via")
    with resolving():
        assert display_path(Path("tinh/a.xlsx")) == os.path.join("tinh", "a.xlsx")
        assert display_path(tree / "other" / "c.xlsx") == str(tree / "other" / "c.xlsx")


def test_discovery_finds_the_same_files_within_the_block(tree: Path) -> None:
    """find_returns/find_unread resolve every path they meet (to drop twins
    reached twice and the files to skip): within resolving() the same files."""
    from dvk_cli.reading.dispatch import find_returns, find_unread

    (tree / "real" / "tinh" / "note.pdf").write_bytes(b"%PDF")
    inputs = [tree / "real", tree / "via", Path("via/tinh"), tree / "other" / "c.xlsx"]
    skip = {Path("via/tinh/b.xlsx")}
    expected = (find_returns(inputs, skip), find_unread(inputs, skip))
    with resolving():
        got = (find_returns(inputs, skip), find_unread(inputs, skip))
    assert got == expected
    names = sorted(p.name for p in expected[0])
    assert "b.xlsx" not in names and names.count("a.xlsx") == 1
