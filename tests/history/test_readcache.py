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
    """The files the reading workers actually parse (every file goes to them:
    one they did not take from its cache entry was parsed)."""
    seen: list[str] = []
    original = parallel.read_in_workers

    def spy(items, *args, reused=None, **kwargs):
        taken: set[int] = set() if reused is None else reused
        results = original(items, *args, reused=taken, **kwargs)
        seen.extend(Path(items[i][0]).name for i in range(len(items)) if i not in taken)
        return results

    monkeypatch.setattr(parallel, "read_in_workers", spy)
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
    second = runner.invoke(app, ["aggregate", "2024", "--period", "2024", "--force"],
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


# ------------------------------------------------------------------ plain data, never pickle
# (issue 14, item 6: whoever can write dvk.sqlite must not get code run by dvk validate)

def test_every_sample_return_round_trips_exactly():
    """Every file of the sample province, as read, comes back from its cache
    entry equal field by field (values, cells, models, findings, parts…)."""
    from dvk_cli.core.catalog import catalog_for
    from dvk_cli.core.config import load_config
    from dvk_cli.history.readcache import decode, encode
    from dvk_cli.reading.dispatch import read_return

    catalog = catalog_for(load_config(SAMPLE / "dvk.toml"))
    files = sorted(p for p in SAMPLE.rglob("*") if p.suffix in {".xlsx", ".xls", ".ods"})
    assert len(files) >= 22
    for path in files:
        data = read_return(path, catalog, path.name)
        assert data.readable and data.values, path
        back = decode(encode(data))
        assert back == data, path
        assert [type(v.raw) for v in back.values] == [type(v.raw) for v in data.values]
        assert [type(v.value) for v in back.values] == [type(v.value) for v in data.values]


def test_every_kind_of_cell_content_and_finding_round_trips():
    from datetime import date, datetime, time, timedelta

    from dvk_cli.core.cells import CellError
    from dvk_cli.core.findings import Acceptance, Finding, Status
    from dvk_cli.history.readcache import decode, encode
    from dvk_cli.reading.returns import CellValue, ReturnData

    raws = ["12", 12, 12.5, True, None, float("inf"), -0.0, 10**30, CellError("#DIV/0!"),
            datetime(2024, 12, 31, 8, 15, 2), date(2024, 1, 2), time(7, 30),
            timedelta(days=2, seconds=5, microseconds=7), "{\"e\": \"#REF!\"}"]
    values = [CellValue("MH_TONG", i + 0.25 if i % 2 else i, "Biểu", f"E{i}", "nhãn", "đã đổi",
                        raw, "Tổng số mô hình") for i, raw in enumerate(raws)]
    findings = [
        Finding("error", "not_a_number", "Ô E9 ghi “mười”", file="a.xlsx", sheet="Biểu",
                cell="E9", unit="BUDANG", indicator="MH_TONG", brief="ô E9", value="mười"),
        Finding("warning", "outlier", "Lệch", impact=0.125, status=Status.ACCEPTED,
                accepted=Acceptance("đã xác minh", "chi", "2024-12-20T09:15:02+07:00")),
    ]
    part = ReturnData(path="bang.xlsx", sha256="ab", readable=True, part="dòng 7",
                      values=values[:2], header_cells={"unit": "B7"})
    data = ReturnData(
        path="bang.xlsx", sha256="ab" * 32, readable=True, sheet="Biểu", unit_text="Huyện Bù Đăng",
        unit_code_text="BUDANG", period_text="Năm 2024", header_cells={"period": "C6"},
        values=values, computed=values[:1],
        models=[{"stt": "1", "name": "Mô hình", "exemplary": True, "row": 4, "when": date(2024, 5, 1)}],
        model_sheet="Danh sách mô hình", findings=findings, layout="bảng ngang", parts=[part],
        legacy_cells=[("Biểu", "C4", "TCVN3")])
    back = decode(encode(data))
    assert back == data
    assert type(back.values[8].raw) is CellError and type(back.legacy_cells[0]) is tuple
    assert back.findings[1].accepted == findings[1].accepted


def test_an_entry_that_is_not_exactly_a_return_is_refused():
    import json
    import zlib

    from dvk_cli.history.readcache import NotPlainData, decode, encode, return_to_dict
    from dvk_cli.reading.returns import CellValue, ReturnData

    good = return_to_dict(ReturnData(path="a.xlsx", readable=True,
                                     values=[CellValue("MH_TONG", 3, "Biểu", "E9")]))

    def entry(changed: dict) -> bytes:
        return zlib.compress(json.dumps({**good, **changed}).encode())

    bad = [{"readable": "yes"}, {"values": [["MH_TONG"], [True], ["Biểu"], ["E9"], ["mã"], [""],
                                            [None], [""]]},
           {"values": [["MH_TONG"], [3], ["Biểu"], ["E9"], ["mã"], [""], [{"x": 1}], [""]]},
           {"findings": [["error"]]}, {"parts": [{}]}, {"legacy_cells": [["a", "b"]]}]
    for changed in bad:
        with pytest.raises((ValueError, TypeError)):
            decode(entry(changed))
    extra = dict(good, more=1)
    with pytest.raises(ValueError):
        decode(zlib.compress(json.dumps(extra).encode()))
    assert decode(entry({})) == ReturnData(path="a.xlsx", readable=True,
                                           values=[CellValue("MH_TONG", 3, "Biểu", "E9")])
    with pytest.raises(NotPlainData):
        encode(ReturnData(path="a.xlsx", values=[CellValue("X", 1, "s", "A1", raw=object())]))


def _marker_payload(marker: Path) -> bytes:
    """A cache entry that, if unpickled, creates `marker` (what an attacker
    who can write the store would plant)."""
    import pickle
    import zlib

    class Plant:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    return zlib.compress(pickle.dumps(Plant(), protocol=5), 1)


def test_the_marker_payload_really_runs_when_unpickled(tmp_path):
    """The forged entries below would run code under pickle: the tests that
    show dvk does not run them can fail."""
    import pickle
    import zlib

    probe = tmp_path / "probe"
    pickle.loads(zlib.decompress(_marker_payload(probe)))
    assert probe.exists()


def test_a_forged_pickle_entry_is_never_run_and_the_file_is_read_again(folder, parsed, tmp_path):
    marker = tmp_path / "pwned"
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    with sqlite3.connect(folder / "dvk.sqlite") as conn:
        changed = conn.execute("UPDATE read_cache SET data = ? WHERE path LIKE '%budop.xlsx'",
                               (_marker_payload(marker),)).rowcount
    assert changed == 1
    parsed.clear()
    out = CliRunner().invoke(app, ["validate", "returns", "--period", "2024"])
    assert out.exit_code in (0, 1), out.output
    assert not marker.exists()
    assert parsed == ["budop.xlsx"]  # the forged entry is a miss: the file is read again
    again = run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    full = run([folder / "returns"], period="2024", workers=1)
    assert again.totals == full.totals and not marker.exists()


def test_an_old_store_with_pickled_entries_is_migrated_without_unpickling(folder, parsed,
                                                                           tmp_path):
    """A v4 store (pickled read cache) whose entries match the files exactly:
    the migration drops them unread."""
    from dvk_cli.history.store import SCHEMA_VERSION

    marker = tmp_path / "pwned"
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    db = folder / "dvk.sqlite"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT path, size, mtime_ns, sha256, context FROM read_cache").fetchall()
        conn.execute("DROP TABLE read_cache")
        conn.execute("CREATE TABLE read_cache (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                     "mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, context TEXT NOT NULL, "
                     "data BLOB NOT NULL)")
        conn.executemany("INSERT INTO read_cache VALUES (?, ?, ?, ?, ?, ?)",
                         [(*row, _marker_payload(marker)) for row in rows])
        # what later versions added goes too: the store is a true v4 one
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                       ).fetchall():
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DROP TABLE meta")
        conn.execute("DROP TABLE run_state")
        conn.execute("PRAGMA user_version = 4")
    assert len(rows) == 3
    parsed.clear()
    out = CliRunner().invoke(app, ["validate", "returns", "--period", "2024"])
    assert out.exit_code in (0, 1), out.output
    assert not marker.exists()
    assert sorted(parsed) == ["budang.xlsx", "budop.xlsx", "dongxoai.xlsx"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM read_cache").fetchone()[0] == 0


def test_an_entry_of_another_format_or_not_a_return_is_a_miss(folder, parsed):
    import zlib

    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    with sqlite3.connect(folder / "dvk.sqlite") as conn:
        conn.execute("UPDATE read_cache SET format = 99 WHERE path LIKE '%budop.xlsx'")
        conn.execute("UPDATE read_cache SET data = ? WHERE path LIKE '%budang.xlsx'",
                     (zlib.compress(b'{"path": "budang.xlsx", "values": "all of them"}'),))
    parsed.clear()
    again = run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    assert sorted(parsed) == ["budang.xlsx", "budop.xlsx"]
    assert again.history["read_cache"] == {"reused": 1, "read": 2}
    full = run([folder / "returns"], period="2024", workers=1)
    assert again.totals == full.totals
    pd.testing.assert_frame_equal(table(again), table(full))
    parsed.clear()  # the entries were replaced: all three reused now
    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=1)
    assert parsed == []


def test_entries_that_break_the_decoder_are_misses_in_the_workers(folder, parsed):
    """Entries are decoded in the reading workers: one nested deep enough to
    exhaust the JSON decoder's recursion, one that is not zlib data, one of
    the wrong type: each file is read again, the results are exact, and the
    run goes on."""
    import zlib

    run([folder / "returns"], period="2024", history=HistoryOptions(), workers=2)
    with sqlite3.connect(folder / "dvk.sqlite") as conn:
        conn.execute("UPDATE read_cache SET data = ? WHERE path LIKE '%budang.xlsx'",
                     (zlib.compress(b"[" * 200_000 + b"]" * 200_000),))
        conn.execute("UPDATE read_cache SET data = ? WHERE path LIKE '%budop.xlsx'",
                     (b"not zlib at all",))
        conn.execute("UPDATE read_cache SET data = 42 WHERE path LIKE '%dongxoai.xlsx'")
    parsed.clear()
    again = run([folder / "returns"], period="2024", history=HistoryOptions(), workers=2)
    assert sorted(parsed) == ["budang.xlsx", "budop.xlsx", "dongxoai.xlsx"]
    assert again.history["read_cache"] == {"reused": 0, "read": 3}
    full = run([folder / "returns"], period="2024", workers=1)
    assert again.totals == full.totals
    pd.testing.assert_frame_equal(table(again), table(full))
    assert findings(again) == findings(full)
