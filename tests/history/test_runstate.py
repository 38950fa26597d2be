"""An unchanged re-run of dvk aggregate (issue 16): decided before anything
is read, it writes nothing and says so; any change of the inputs, dvk.toml,
dvk's version, the store or the outputs makes a full run."""

from __future__ import annotations

import hashlib
import json
import os

import openpyxl
import pytest
from helpers import consistent_values, copy_sample, return_grid, write_xlsx
from typer.testing import CliRunner

import dvk_cli
from dvk_cli import api
from dvk_cli.cli.app import app
from dvk_cli.history import runstate


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder):
    """Every file under `folder` with its bytes' digest and mtime."""
    return {p.relative_to(folder): (digest(p), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def province(tmp_path, monkeypatch):
    sample = copy_sample(tmp_path / "binh-phuoc")
    monkeypatch.chdir(sample)
    first = api.aggregate("2024", period="2024", out="ket-qua")
    assert isinstance(first, api.RunResult) and first.exit_code == 0
    return sample


def again(**kw):
    return api.aggregate("2024", period="2024", out="ket-qua", **kw)


def test_an_unchanged_rerun_reads_and_writes_nothing_and_says_so(province, monkeypatch):
    before = snapshot(province)
    # nothing may be read: a read of any return would fail the test
    import dvk_cli.pipeline as pipeline

    monkeypatch.setattr(pipeline, "_stages", lambda *a, **k: pytest.fail("a return was read"))
    result = again()
    assert isinstance(result, api.UnchangedResult)
    assert result.exit_code == 0 and result.summary == "11/11 đơn vị hợp lệ"
    assert set(result.paths) == {"workbook", "report"}
    assert snapshot(province) == before  # outputs, store and inputs: not a byte written
    data = result.to_dict()
    assert data["unchanged"] is True and data["totals"]["MH_TONG"] == 1215

    out = CliRunner().invoke(app, ["aggregate", "2024", "--period", "2024", "--out", "ket-qua"],
                             env={"COLUMNS": "400"})
    assert out.exit_code == 0, out.output
    said = " ".join(out.output.split())
    assert "Không có gì thay đổi kể từ lần tổng hợp lúc" in said
    assert "ket-qua/tong-hop-2024.xlsx" in said and "11/11 đơn vị hợp lệ" in said
    js = CliRunner().invoke(app, ["aggregate", "2024", "--period", "2024", "--out", "ket-qua",
                                  "--json"])
    assert json.loads(js.stdout)["unchanged"] is True
    assert snapshot(province) == before


def test_force_and_other_options_make_a_full_run(province):
    assert isinstance(again(force=True), api.RunResult)
    assert isinstance(again(docx=True), api.RunResult)  # other options: another run
    assert isinstance(again(docx=True), api.UnchangedResult)
    assert isinstance(api.aggregate("2024", period="2024", out="khac"), api.RunResult)
    assert isinstance(again(no_store=True), api.RunResult)  # no store: nothing to compare


@pytest.mark.parametrize("change", ["delete", "edit"])
def test_a_deleted_or_edited_output_is_written_again(province, change):
    workbook = province / "ket-qua" / "tong-hop-2024.xlsx"
    if change == "delete":
        workbook.unlink()
    else:
        with open(workbook, "ab") as f:
            f.write(b"\0")
    broken = digest(workbook) if workbook.exists() else None
    result = again()
    assert isinstance(result, api.RunResult)
    assert digest(workbook) not in (broken, None)  # written again, whole
    assert openpyxl.load_workbook(workbook).sheetnames[0] == "Tổng hợp"
    assert isinstance(again(), api.UnchangedResult)


def test_a_touched_added_or_edited_return_makes_a_full_run(province):
    ret = sorted((province / "2024").glob("*.xlsx"))[0]
    st = ret.stat()
    os.utime(ret, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert isinstance(again(), api.RunResult)
    assert isinstance(again(), api.UnchangedResult)
    write_xlsx(return_grid(consistent_values(4), unit="Huyện Lạ"), province / "2024" / "la.xlsx")
    result = again()
    assert isinstance(result, api.RunResult) and result.exit_code == 1  # an unknown unit
    repeat = again()
    assert isinstance(repeat, api.UnchangedResult) and repeat.exit_code == 1
    (province / "2024" / "la.xlsx").unlink()
    assert isinstance(again(), api.RunResult)


def test_a_changed_config_or_version_makes_a_full_run(province, monkeypatch):
    toml = province / "dvk.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n# một dòng ghi chú\n", encoding="utf-8")
    assert isinstance(again(), api.RunResult)
    assert isinstance(again(), api.UnchangedResult)
    monkeypatch.setattr(runstate, "VERSION", dvk_cli.__version__ + ".1")
    assert isinstance(again(), api.RunResult)


def test_an_acceptance_or_a_lock_makes_a_full_run(tmp_path, monkeypatch):
    sample = copy_sample(tmp_path / "binh-phuoc")
    monkeypatch.chdir(sample)
    # a warning to accept: Bù Đăng's dossiers on time above dossiers received
    write_xlsx(return_grid(consistent_values(6, HS_DUNGHAN=250), unit="Huyện Bù Đăng"),
               sample / "2024" / "budang-2024.xlsx")
    first = again()
    assert isinstance(first, api.RunResult) and first.warnings
    assert isinstance(again(), api.UnchangedResult)
    for indicator in sorted({f.indicator for f in first.warnings}):
        accepted = api.accept("BUDANG", period="2024", indicator=indicator,
                              why="Đã xác minh với đơn vị")
        assert accepted.exit_code == 0
    result = again()
    assert isinstance(result, api.RunResult) and not result.warnings
    assert isinstance(again(), api.UnchangedResult)
    assert api.lock("2024", why="Đã ký").exit_code == 0
    assert isinstance(again(), api.RunResult)


def test_the_record_is_in_the_runs_own_transaction(province, monkeypatch):
    """A run whose store writes are not committed leaves no record: the next
    run with the same inputs is a full one, not an "unchanged" one."""
    import dvk_cli.pipeline as pipeline

    (province / "2024" / "extra.xlsx").write_bytes(
        (sorted((province / "2024").glob("*.xlsx"))[0]).read_bytes())

    def refused(self):
        self.rollback()
        raise api.UsageError("kho lịch sử đang bận")

    with monkeypatch.context() as m:
        m.setattr(pipeline.Pending, "commit", refused)
        with pytest.raises(api.UsageError):
            again()
    assert isinstance(again(), api.RunResult)
    assert isinstance(again(), api.UnchangedResult)


def test_a_full_run_reads_what_its_key_describes_and_loads_dvk_toml_once(province, monkeypatch):
    import dvk_cli.pipeline as pipeline

    loads, finds = [], []
    real_load, real_find = pipeline.load_config, pipeline.find_returns
    monkeypatch.setattr(pipeline, "load_config", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr(pipeline, "find_returns",
                        lambda *a, **k: finds.append(a) or real_find(*a, **k))
    result = again(force=True)
    assert isinstance(result, api.RunResult) and result.exit_code == 0
    assert len(loads) == 1 and len(finds) == 1
    # and the run's record is the key it was decided by: the next run is unchanged
    assert isinstance(again(), api.UnchangedResult)
