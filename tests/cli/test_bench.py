"""The benchmark's generator (bench/bench.py) makes returns dvk reads in full:
N = 13 communes, read through the real CLI, with the totals the generator
computed from its own figures. (Functional only: nothing here is timed.)"""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers import ROOT
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.periods import parse_period
from dvk_cli.core.units import Unit
from dvk_cli.outputs.forms import build_form
from dvk_cli.reading.dispatch import read_return

BENCH = ROOT / "bench" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("dvk_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["dvk_bench"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("dvk_bench", None)


@pytest.fixture(scope="module")
def generated(bench, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench13")
    return folder, bench.generate(folder, 13, workers=1)


def test_dvk_reads_all_13_with_the_generated_totals(bench, generated, tmp_path):
    folder, manifest = generated
    files = sorted((folder / "returns").rglob("*.xlsx"))
    assert len(files) == 13
    assert len({f.read_bytes() for f in files}) == 13  # every file differs

    result = CliRunner().invoke(app, ["aggregate", str(folder / "returns"), "--period", "2024",
                                      "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(data["units"]) == [f"X{i:05d}" for i in range(1, 14)]
    assert data["missing"] == []
    assert not [f for f in data["findings"] if f["severity"] == "error"]

    expected = manifest["expected_totals"]
    assert set(data["totals"]) == set(expected)
    for code, value in expected.items():
        assert data["totals"][code] == pytest.approx(value, rel=1e-9, abs=1e-6), code
    # Hand check on one total: the model count is the sum of the units' own figures.
    catalog = default_catalog()
    own = sum(bench.unit_figures(i, catalog)[0][catalog.model_total] for i in range(13))
    assert data["totals"][catalog.model_total] == own
    # The units' names come from the generated registry, and the models are all listed.
    registry = (folder / "dvk.toml").read_text(encoding="utf-8")
    assert all(f'name = "{u["name"]}"' in registry for u in data["units"].values())
    with zipfile.ZipFile(tmp_path / "tong-hop-2024.xlsx") as z:
        assert "xl/workbook.xml" in z.namelist()
    wb = openpyxl.load_workbook(tmp_path / "tong-hop-2024.xlsx", read_only=True)
    listed = sum(len(bench.unit_figures(i, catalog)[1]) for i in range(13))
    models = [r for r in wb["Danh sách mô hình"].iter_rows(values_only=True)
              if r and isinstance(r[0], int)]
    assert 13 * 3 <= listed == len(models)


def test_generated_return_reads_like_the_form_dvk_writes(bench, generated, tmp_path):
    """A templated file is read exactly as build_form + openpyxl with the same data."""
    folder, _ = generated
    catalog = default_catalog()
    i = 5
    figures, models = bench.unit_figures(i, catalog)
    code, name, _ = bench.unit_identity(i, 13)
    wb = build_form(catalog, unit=Unit(code, name), period=parse_period("2024"),
                    values={c: bench.as_number(catalog, c, s) for c, s in figures.items()},
                    models=models)
    reference = tmp_path / "reference.xlsx"
    wb.save(reference)

    def essentials(path: Path):
        d = read_return(path, catalog)
        return (d.readable, d.unit_text, d.unit_code_text, d.period_text,
                [(v.code, v.value, v.cell) for v in d.values],
                [{k: v for k, v in m.items() if k != "row"} for m in d.models],
                sorted((f.rule, f.cell) for f in d.findings))

    generated_file = bench.return_path(folder, i, 13)
    assert essentials(generated_file) == essentials(reference)
    # openpyxl (hence Excel) opens the templated file and sees the same cells.
    got = openpyxl.load_workbook(generated_file)["Biểu số liệu"]
    cells = {row[2].value: row[4].value for row in got.iter_rows(min_row=1)
             if isinstance(row[2].value, str)}
    for c in catalog.input_codes:
        assert cells[c] == (bench.as_number(catalog, c, figures[c]) if c in figures else None), c
