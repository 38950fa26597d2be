"""The shipped sample (sample_data/binh-phuoc) runs clean end to end and says
what the province published for 2024; the generator reproduces it."""

from __future__ import annotations

import importlib.util
import shutil

import openpyxl
import pytest
from helpers import ROOT, SAMPLE
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.catalog import default_catalog
from dvk_cli.pipeline import run
from dvk_cli.reading.dispatch import read_return

# The figures of the seed article (Bình Phước, tổng kết năm 2024), in the
# catalog's units: money in triệu đồng, lengths in km.
PUBLISHED_2024 = {
    "MH_TONG": 1215, "MH_TIEUBIEU": 16, "VB_SO": 40, "TCD_LUOT": 7257, "TCD_NGUOI": 3812,
    "NHA_TN_SO": 19, "NHA_TN_TIEN": 1520, "NHA_DD_SO": 1, "NHA_DD_TIEN": 80,
    "NHA_DDK_SO": 5, "NHA_DDK_TIEN": 250, "DUONG_DIEN_KM": 33.5, "DUONG_GT_KM": 15.15,
}


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "scripts" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_2024_totals_are_the_published_figures():
    result = run([SAMPLE / "2024"], period="2024")
    assert not result.errors and not result.warnings
    assert len(result.units) == 11 and not result.missing
    for code, expected in PUBLISHED_2024.items():
        assert result.totals[code] == pytest.approx(expected), code
    # every total is the sum of the per-unit cells in the tidy table
    tidy = result.values
    for code in PUBLISHED_2024:
        assert tidy[tidy["indicator"] == code]["value"].sum() == pytest.approx(result.totals[code])
    # the .ods return was read like the others
    assert any(str(f).endswith(".ods") for f in tidy["file"].unique())
    assert sum(1 for m in result.models.to_dict("records") if m["exemplary"]) == 16


def test_sample_2023_is_clean():
    result = run([SAMPLE / "2023"], period="2023")
    assert not result.errors and not result.warnings and len(result.units) == 11


def test_quick_start_command(tmp_path, monkeypatch):
    """The README's quick start: dvk aggregate sample_data/binh-phuoc/2024 --period 2024."""
    monkeypatch.chdir(tmp_path)
    # --no-store: the shipped sample folder must not get a history store (dvk.sqlite)
    had_store = (SAMPLE / "dvk.sqlite").exists()
    out = CliRunner().invoke(app, ["aggregate", str(SAMPLE / "2024"), "--period", "2024",
                                   "--no-store"])
    assert out.exit_code == 0, out.output
    report = (tmp_path / "bao-cao-2024.md").read_text(encoding="utf-8")
    for phrase in ("1.215 mô hình", "16 mô hình", "40 văn bản", "7.257 lượt công dân",
                   "3.812 người", "19 căn nhà tình nghĩa trị giá 1,52 tỷ đồng",
                   "1 căn nhà “Đồng đội” trị giá 80 triệu đồng",
                   "5 căn nhà “Đại đoàn kết” trị giá 250 triệu đồng",
                   "33,5 km đường điện", "15,15 km đường giao thông nông thôn"):
        assert phrase in report, phrase
    wb = openpyxl.load_workbook(tmp_path / "tong-hop-2024.xlsx", read_only=True)
    assert "Tổng hợp" in wb.sheetnames
    # the consolidated return reads back as one return with the same totals
    data = read_return(tmp_path / "tong-hop-2024.xlsx", default_catalog())
    back = {v.code: v.value for v in data.values}
    for code, expected in PUBLISHED_2024.items():
        assert back[code] == pytest.approx(expected), code
    # inputs untouched by the run: nothing written beside them
    assert not list((SAMPLE / "2024").glob("tong-hop-*"))
    assert (SAMPLE / "dvk.sqlite").exists() == had_store


def test_generator_reproduces_the_sample(tmp_path):
    pytest.importorskip("odf")
    gen = _load_generator()
    out = tmp_path / "binh-phuoc"
    gen.build(out)
    assert (out / "dvk.toml").read_text(encoding="utf-8") == (SAMPLE / "dvk.toml").read_text(
        encoding="utf-8")
    for year in ("2023", "2024"):
        fresh = run([out / year], period=year)
        shipped = run([SAMPLE / year], period=year)
        assert fresh.totals == shipped.totals
        cols = ["unit", "indicator", "value", "sheet", "cell"]
        a = fresh.values[cols].sort_values(cols).reset_index(drop=True)
        b = shipped.values[cols].sort_values(cols).reset_index(drop=True)
        assert a.equals(b)
    shutil.rmtree(out)


def test_progress_is_reported_for_every_file_serial_and_parallel():
    """The progress bar's hook sees every file once, in order, in both read modes;
    parallel and serial reads give the same tidy table."""
    results = {}
    for workers in (1, 2):
        calls: list[tuple[int, int]] = []
        totals_seen: list[int] = []

        def factory(total, calls=calls, totals_seen=totals_seen):
            totals_seen.append(total)
            return lambda done, all_: calls.append((done, all_))

        result = run([SAMPLE / "2024"], period="2024", workers=workers, progress=factory)
        assert totals_seen == [11]
        assert calls == [(i, 11) for i in range(1, 12)]
        cols = ["unit", "indicator", "value", "file", "sheet", "cell"]
        results[workers] = result.values[cols].sort_values(cols).reset_index(drop=True)
    assert results[1].equals(results[2])
