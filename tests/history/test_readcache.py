"""Incremental re-runs (issue 7): with a history store, an unchanged file is
not parsed again, a changed one is, and the result is the one a full read
gives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from helpers import SAMPLE, consistent_values, copy_sample, return_grid, write_xlsx
from typer.testing import CliRunner

from dvk_cli import pipeline
from dvk_cli.cli.app import app
from dvk_cli.history.ledger import HistoryOptions
from dvk_cli.pipeline import run
from dvk_cli.reading import parallel

SAMPLE = SAMPLE
COLS = ["unit", "indicator", "value", "file", "sheet", "cell", "how", "note"]


@pytest.fixture
def folder(folder):
    """The shared working folder (tests/conftest.py) with returns in it."""
    tmp_path = folder
    r = tmp_path / "returns"
    write_xlsx(return_grid(consistent_values(10)), r / "budang.xlsx")
    write_xlsx(return_grid(consistent_values(6), unit="H. Bù Đốp"), r / "budop.xlsx")
    grid = return_grid(consistent_values(4), unit="Thành phố Đồng Xoài")
    grid["Biểu số liệu"][-1][4] = "mười"  # a value that is not a number: a finding, cached too
    write_xlsx(grid, r / "dongxoai.xlsx")
    return tmp_path


@pytest.fixture
def parsed(monkeypatch):
    """The files the reader actually parses in this process."""
    seen: list[str] = []
    original = parallel.read_return

    def spy(path, *args, **kwargs):
        seen.append(Path(path).name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(parallel, "read_return", spy)
    return seen


def table(result) -> pd.DataFrame:
    return result.values[COLS].sort_values(["unit", "indicator"]).reset_index(drop=True)


def findings(result) -> list[tuple]:
    return sorted((f.rule, f.file, f.sheet, f.cell, f.message) for f in result.findings)


def test_unchanged_files_are_not_parsed_and_give_the_full_result(folder, parsed):
    write = HistoryOptions()
    first = run([folder / "returns"], period="2024", history=write, workers=1)
    assert sorted(parsed) == ["budang.xlsx", "budop.xlsx", "dongxoai.xlsx"]
    assert first.history["read_cache"] == {"reused": 0, "read": 3}
    parsed.clear()
    again = run([folder / "returns"], period="2024", history=write, workers=1)
    assert parsed == []  # nothing parsed again
    assert again.history["read_cache"] == {"reused": 3, "read": 0}
    full = run([folder / "returns"], period="2024", workers=1)  # no store: everything read
    assert again.totals == full.totals == first.totals
    pd.testing.assert_frame_equal(table(again), table(full))
    assert findings(again) == findings(full)
    assert any(f[0] == "not_a_number" and "mười" in f[4] for f in findings(again))


def test_a_changed_file_is_read_again_and_only_it(folder, parsed):
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    write_xlsx(return_grid(consistent_values(12)), folder / "returns" / "budang.xlsx")
    parsed.clear()
    changed = run([folder / "returns"], period="2024", workers=1,
                  history=HistoryOptions(replace=frozenset({"BUDANG"})))
    assert parsed == ["budang.xlsx"]
    assert changed.history["read_cache"] == {"reused": 2, "read": 1}
    assert changed.totals["MH_TONG"] == 12 + 6 + 4
    full = run([folder / "returns"], period="2024", workers=1)
    assert changed.totals == full.totals


def test_same_size_and_time_but_other_bytes_is_read_again(folder, parsed):
    """The cheap check (size, mtime) passes; the SHA-256 does not."""
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    with sqlite3.connect(folder / "dvk.sqlite") as conn:
        conn.execute("UPDATE read_cache SET sha256 = 'khác' WHERE path LIKE '%budop.xlsx'")
    parsed.clear()
    again = run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    assert parsed == ["budop.xlsx"] and again.history["read_cache"]["reused"] == 2


def test_a_changed_dvk_toml_reads_everything_again(folder, parsed):
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    config = folder / "dvk.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[outliers]\nmin_units = 4\n",
                      encoding="utf-8")
    parsed.clear()
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    assert sorted(parsed) == ["budang.xlsx", "budop.xlsx", "dongxoai.xlsx"]


def test_validate_never_creates_the_store_and_a_failed_run_writes_no_cache(folder, monkeypatch):
    out = CliRunner().invoke(app, ["validate", "returns", "--period", "2024"])
    assert out.exit_code == 1 and not (folder / "dvk.sqlite").exists()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "consolidate", boom)
    with pytest.raises(KeyboardInterrupt):
        run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    if (folder / "dvk.sqlite").exists():
        with sqlite3.connect(folder / "dvk.sqlite") as conn:
            assert conn.execute("SELECT count(*) FROM read_cache").fetchone()[0] == 0


def test_cli_rerun_on_the_sample_says_what_it_reused(tmp_path, monkeypatch):
    dest = copy_sample(tmp_path / "binh-phuoc")
    monkeypatch.chdir(dest)
    runner = CliRunner()
    first = runner.invoke(app, ["aggregate", "2024", "--period", "2024", "--json"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["aggregate", "2024", "--period", "2024"],
                           env={"COLUMNS": "200"})
    assert second.exit_code == 0, second.output
    assert "dùng lại 11 tệp không đổi từ lần đọc trước, đọc 0 tệp" in second.output
    assert "1.215 mô hình" in (dest / "bao-cao-2024.md").read_text(encoding="utf-8")


def test_entries_of_deleted_files_are_dropped(folder):
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    (folder / "returns" / "budop.xlsx").unlink()
    write_xlsx(return_grid(consistent_values(2), unit="H. Bù Đốp"), folder / "returns" / "bd2.xlsx")
    run([folder / "returns"], period="2024", workers=1,
        history=HistoryOptions(replace=frozenset({"BUDOP"})))
    with sqlite3.connect(folder / "dvk.sqlite") as conn:
        names = sorted(Path(p).name for (p,) in conn.execute("SELECT path FROM read_cache"))
    assert names == ["bd2.xlsx", "budang.xlsx", "dongxoai.xlsx"]
