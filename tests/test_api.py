"""The Python twin of every command (dvk_cli/api.py, `from dvk_cli import …`):
real returns, real files and stores, the same results and exit codes as the
command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import openpyxl
import pytest
from helpers import consistent_values, loaded_by, return_grid, write_xlsx
from typer.testing import CliRunner

import dvk_cli
from dvk_cli import api
from dvk_cli.aggregation import Consolidation
from dvk_cli.cli.app import app
from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import parse_period
from dvk_cli.outputs.names import report_name, workbook_name
from dvk_cli.reading.dispatch import read_return


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def budang(folder: Path, models: int, period: str = "2024", name: str | None = None) -> Path:
    """Huyện Bù Đăng's return with `models` models (its MH_TONG)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_xlsx(return_grid(consistent_values(models), period=period),
                      folder / (name or f"budang-{period}.xlsx"))


# ------------------------------------------------------------------ the package

def test_the_package_lists_and_serves_the_api():
    assert set(dvk_cli.__all__) == {"__version__", *api.__all__}
    assert {"aggregate", "validate", "trend", "RunResult"} <= set(dir(dvk_cli))
    for name in api.__all__:
        assert getattr(dvk_cli, name) is getattr(api, name)
    from dvk_cli import aggregate, load_baseline

    assert aggregate is api.aggregate and load_baseline is api.load_baseline
    assert dvk_cli.__version__
    with pytest.raises(AttributeError):
        dvk_cli.no_such_function  # noqa: B018


@pytest.mark.slow
def test_import_is_light_and_the_api_is_there():
    heavy = ("pandas", "openpyxl", "python_calamine", "numpy", "jinja2", "typer", "rich")
    assert loaded_by("import dvk_cli", heavy)[0] == []
    loaded, printed = loaded_by("import dvk_cli\nprint(dvk_cli.aggregate)", heavy)
    assert "<function aggregate" in printed
    assert loaded == []  # the api loads pandas & co only when a function runs


# ------------------------------------------------------------------ aggregate

def test_aggregate_rolls_up_the_sample(sample_copy, tmp_path):
    out = tmp_path / "ket-qua"
    result = dvk_cli.aggregate(sample_copy / "2024", period="2024", out=out, docx=True)
    assert result.totals["MH_TONG"] == 1215
    assert result.totals["DUONG_DIEN_KM"] == pytest.approx(33.5)
    assert result.exit_code == 0 and result.findings == ()
    assert isinstance(result.consolidation, Consolidation)
    assert result.totals == result.consolidation.totals
    assert result.paths["workbook"].is_file()
    assert result.period.code == "2024" and len(result.consolidation.units) == 11
    assert result.paths == {"workbook": out / "tong-hop-2024.xlsx",
                            "report": out / "bao-cao-2024.md",
                            "docx": out / "bao-cao-2024.docx"}
    assert all(path.is_file() for path in result.paths.values())
    assert "1.215 mô hình" in result.paths["report"].read_text(encoding="utf-8")
    back = read_return(result.paths["workbook"], result.consolidation.catalog)
    assert {v.code: v.value for v in back.values}["MH_TONG"] == 1215
    # the history store beside dvk.toml took the 11 returns
    assert (sample_copy / "dvk.sqlite").is_file()
    assert result.consolidation.history["new"] == 11
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.exit_code = 2  # type: ignore[misc]


def test_aggregate_gives_the_json_of_the_command_line(sample_copy, tmp_path):
    out = tmp_path / "out"
    cli = CliRunner().invoke(app, ["aggregate", "2024", "--period", "2024", "--out", str(out),
                                   "--no-store", "--json"])
    assert cli.exit_code == 0, cli.output
    result = dvk_cli.aggregate("2024", period="2024", out=out, no_store=True)
    assert result.to_dict() == json.loads(cli.stdout)
    assert result.to_dict()["totals"] == result.totals
    assert not (sample_copy / "dvk.sqlite").exists()


def test_aggregate_usage_errors(sample_copy):
    with pytest.raises(UsageError, match="Không tìm thấy"):
        dvk_cli.aggregate("khong-co", period="2024")
    with pytest.raises(UsageError, match="không hợp lệ"):
        dvk_cli.aggregate("2024", period="năm ngoái")
    with pytest.raises(UsageError, match="cần kho lịch sử"):
        dvk_cli.aggregate("2024", period="2024", no_store=True, replace=["BUDANG"])
    with pytest.raises(UsageError, match="mẫu báo cáo"):
        dvk_cli.aggregate("2024", period="2024", template="khong-co.j2")
    assert not list(sample_copy.glob("tong-hop-*"))


def test_run_reads_and_checks_but_writes_nothing(sample_copy):
    before = snapshot(sample_copy)
    result = dvk_cli.run(sample_copy / "2024", period="2024")
    assert result.totals["MH_TONG"] == 1215 and result.exit_code == 0
    assert result.paths == {} and "outputs" not in result.to_dict()
    # consulting the store (read only) writes nothing either, not even a new store
    again = dvk_cli.run([sample_copy / "2024"], period="2024", store=True, strict=True)
    assert again.totals == result.totals and again.exit_code == 0
    assert snapshot(sample_copy) == before


def test_write_outputs_names_the_files_as_aggregate_does(folder):
    budang(folder / "returns", 10)
    result = dvk_cli.run(folder / "returns", period="2024")
    paths = dvk_cli.write_outputs(result, folder / "out")
    p = parse_period("2024")
    assert paths == {"workbook": folder / "out" / workbook_name(p),
                     "report": folder / "out" / report_name(p, "md")}
    assert workbook_name("2024-Q1") == "tong-hop-2024-Q1.xlsx"
    assert report_name(p, "docx") == "bao-cao-2024.docx"
    assert all(path.is_file() for path in paths.values())


def test_report_writes_only_the_report(folder):
    budang(folder / "returns", 10)
    result = dvk_cli.report(folder / "returns", period="2024", out=folder / "out", format="md")
    assert result.paths == {"report": folder / "out" / "bao-cao-2024.md"}
    assert sorted(p.name for p in (folder / "out").iterdir()) == ["bao-cao-2024.md"]
    with pytest.raises(UsageError, match="--format docx"):
        dvk_cli.report(folder / "returns", period="2024", format="pdf")


# ------------------------------------------------------------------ validate

def test_validate_exit_codes_with_a_broken_return(folder):
    returns = folder / "returns"
    write_xlsx(return_grid(consistent_values(10, VB_SO="năm")), returns / "a.xlsx")
    (returns / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = dvk_cli.validate(returns, period="2024")
    assert result.exit_code == 1
    rules = {f.rule for f in result.findings if f.severity == "error"}
    assert "not_a_number" in rules and any(f.file.endswith("hong.xlsx") for f in result.findings)
    assert result.feedback is None and "feedback" not in result.to_dict()
    # validate consults the store but never creates or writes it
    assert not (folder / "dvk.sqlite").exists()


def test_validate_warnings_exit_0_unless_strict(folder):
    write_xlsx(return_grid(consistent_values(10, MH_KT=50)), folder / "returns" / "a.xlsx")
    assert dvk_cli.validate(folder / "returns", period="2024").exit_code == 0
    strict = dvk_cli.validate(folder / "returns", period="2024", strict=True)
    assert strict.exit_code == 1 and strict.warnings and not strict.errors


def test_validate_writes_feedback_copies(folder):
    write_xlsx(return_grid(consistent_values(10, VB_SO="năm")), folder / "returns" / "a.xlsx")
    result = dvk_cli.validate(folder / "returns", period="2024", feedback=folder / "phan-hoi")
    (copy,) = result.feedback.written
    assert copy.path.is_file() and copy.path.parent == folder / "phan-hoi"
    assert result.to_dict()["feedback"]["written"] == [str(copy.path)]
    with pytest.raises(UsageError, match="Thư mục phản hồi"):
        dvk_cli.validate(folder / "returns", feedback=folder / "returns" / "phan-hoi")


# ------------------------------------------------------------------ folder, forms, inspect

def test_init_folder(tmp_path):
    result = dvk_cli.init_folder(tmp_path / "lam-viec", name="Ban Dân vận Huyện ủy Bù Đăng")
    assert result.paths == (tmp_path / "lam-viec" / "dvk.toml", tmp_path / "lam-viec" / "returns")
    assert result.paths[1].is_dir() and result.exit_code == 0
    assert "Ban Dân vận Huyện ủy Bù Đăng" in result.paths[0].read_text(encoding="utf-8")
    with pytest.raises(FileExistsError):
        dvk_cli.init_folder(tmp_path / "lam-viec")


def test_write_forms(sample_copy):
    every = dvk_cli.write_forms(sample_copy / "bieu-mau", period="2024")
    assert every.per_unit and len(every.paths) == 11
    assert all(p.is_file() and p.parent == sample_copy / "bieu-mau" for p in every.paths)
    one = dvk_cli.write_forms(sample_copy / "mot", unit="BUDANG", period="2024")
    assert not one.per_unit and one.paths == (sample_copy / "mot.xlsx",)
    ws = openpyxl.load_workbook(one.paths[0]).worksheets[0]
    assert "Huyện Bù Đăng" in [c.value for row in ws.iter_rows() for c in row]
    blank = dvk_cli.write_forms(sample_copy / "trong.xlsx", unit=None)
    assert blank.paths[0].is_file()
    with pytest.raises(UsageError, match="không có trong dvk.toml"):
        dvk_cli.write_forms(sample_copy / "x.xlsx", unit="KHONGCO")
    with pytest.raises(UsageError, match="không hợp lệ"):
        dvk_cli.write_forms(sample_copy / "y", period="2024-Z")


def test_inspect_file(sample_copy):
    result = dvk_cli.inspect_file(sample_copy / "2024" / "budang-2024.xlsx")
    assert result.exit_code == 0
    (view,) = result.inspection.returns
    assert view.unit.startswith("BUDANG")
    assert any(v["indicator"] == "MH_TONG" for v in view.values)
    assert result.to_dict()["file"].endswith("budang-2024.xlsx")
    (sample_copy / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    broken = dvk_cli.inspect_file(sample_copy / "hong.xlsx")
    assert broken.exit_code == 1 and broken.findings
    with pytest.raises(UsageError):
        dvk_cli.inspect_file(sample_copy / "khong-co.xlsx")


# ------------------------------------------------------------------ the history store

def test_history_twins(folder):
    returns = folder / "returns"
    budang(returns, 10)
    first = dvk_cli.aggregate(returns, period="2024", out=folder / "out")
    assert first.exit_code == 0 and first.totals["MH_TONG"] == 10

    subs = dvk_cli.submissions()
    assert subs.store == folder / "dvk.sqlite"
    (sub,) = subs.submissions
    assert sub.unit == "BUDANG" and sub.current and subs.values[sub.id] > 0
    assert subs.to_dict()["submissions"][0]["unit_name"] == "Huyện Bù Đăng"

    # a resubmission is refused, then taken with replace
    budang(returns, 12)
    refused = dvk_cli.aggregate(returns, period="2024", out=folder / "out")
    assert refused.exit_code == 1 and refused.totals["MH_TONG"] == 10
    taken = dvk_cli.aggregate(returns, period="2024", out=folder / "out", replace=["BUDANG"])
    assert taken.exit_code == 0 and taken.totals["MH_TONG"] == 12
    both = dvk_cli.submissions("Huyện Bù Đăng", period="2024")
    assert both.unit == "BUDANG" and [s.current for s in both.submissions] == [False, True]

    changed = dvk_cli.diff("BUDANG", period="2024")
    assert changed.unit_name == "Huyện Bù Đăng" and changed.old.id < changed.new.id
    by_code = {c.indicator: c for c in changed.changes}
    assert (by_code["MH_TONG"].old, by_code["MH_TONG"].new) == (10, 12)
    assert changed.to_dict()["new"]["id"] == changed.new.id
    with pytest.raises(UsageError, match="Không có đơn vị"):
        dvk_cli.diff("khong-co", period="2024")

    locked = dvk_cli.lock("2024", why="Báo cáo số 5")
    assert locked.locked and locked.period.code == "2024" and locked.at
    with pytest.raises(UsageError, match="đã khóa"):
        dvk_cli.lock("2024")
    budang(returns, 14)
    during = dvk_cli.aggregate(returns, period="2024", out=folder / "out", replace=["BUDANG"])
    assert during.totals["MH_TONG"] == 12  # the locked period holds; the new file is named
    assert [f.rule for f in during.warnings] == ["period_locked"] and during.exit_code == 0
    assert [e["action"] for e in dvk_cli.submissions().locks] == ["lock"]
    with pytest.raises(UsageError, match="lý do"):
        dvk_cli.unlock("2024", why=" ")
    unlocked = dvk_cli.unlock("2024", why="  sửa số liệu ")
    assert not unlocked.locked and unlocked.reason == "sửa số liệu"
    assert [e["action"] for e in dvk_cli.submissions().locks] == ["lock", "unlock"]

    # the trend over two years, of the area and of one unit
    budang(folder / "r2023", 7, period="2023")
    dvk_cli.aggregate(folder / "r2023", period="2023", out=folder / "out2023")
    trend = dvk_cli.trend("mh_tong")
    assert trend.code == "MH_TONG" and trend.unit is None
    assert [(p.code, v) for p, v in trend.series] == [("2023", 7), ("2024", 12)]
    assert trend.to_dict()["series"][1] == {"period": "2024", "label": "năm 2024", "value": 12}
    assert [v for _, v in dvk_cli.trend("MH_TONG", unit="BUDANG").series] == [7, 12]
    with pytest.raises(UsageError, match="KHONG"):
        dvk_cli.trend("KHONG")


def test_load_baseline(folder):
    budang(folder / "r2023", 7, period="2023")
    dvk_cli.aggregate(folder / "r2023", period="2023", out=folder / "out", no_store=True)
    loaded = dvk_cli.load_baseline(folder / "out" / "tong-hop-2023.xlsx")
    assert loaded.status == "new" and loaded.period.code == "2023" and loaded.values > 0
    assert loaded.exit_code == 0 and loaded.store == str(folder / "dvk.sqlite")
    again = dvk_cli.load_baseline(folder / "out" / "tong-hop-2023.xlsx", period="2023")
    assert again.status == "unchanged" and again.exit_code == 0
    assert [s.kind for s in dvk_cli.submissions().submissions] == ["baseline"]
    assert dvk_cli.trend("MH_TONG").series[0][1] == 7

    blank = dvk_cli.write_forms(folder / "trong.xlsx", unit=None).paths[0]
    refused = dvk_cli.load_baseline(blank, period="2022")
    assert refused.status == "refused" and refused.exit_code == 1
    assert refused.to_dict()["findings"][0]["rule"] == "baseline_empty"
    with pytest.raises(UsageError, match="không phải"):
        dvk_cli.load_baseline(folder / "out" / "tong-hop-2023.xlsx", period="2022")


def test_a_baseline_is_refused_when_its_period_is_locked_while_it_is_read(folder, monkeypatch):
    """The lock is checked again in the transaction that stores the baseline:
    a `dvk lock` committed after the first check (simulated from another
    connection when the baseline looks for the period's current one) wins."""
    import sqlite3

    from dvk_cli.history.store import Store

    budang(folder / "r2023", 7, period="2023")
    dvk_cli.aggregate(folder / "r2023", period="2023", out=folder / "out", no_store=True)
    original = Store.current
    calls = []

    def lock_meanwhile(self, *args, **kwargs):
        if not calls:
            conn = sqlite3.connect(self.path)
            conn.execute("INSERT INTO locks (period, locked_at, reason) "
                         "VALUES ('2023', '2026-12-03T10:00:00', 'x')")
            conn.commit()
            conn.close()
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "current", lock_meanwhile)
    with pytest.raises(UsageError, match="vừa được khóa"):
        dvk_cli.load_baseline(folder / "out" / "tong-hop-2023.xlsx", period="2023")
    monkeypatch.setattr(Store, "current", original)
    assert not dvk_cli.submissions().submissions  # nothing stored


def test_write_forms_keeps_a_form_already_there_unless_forced(folder):
    first = dvk_cli.write_forms(folder / "bieu-mau", period="2026")
    assert first.kept == () and first.written == first.paths and len(first.paths) == 3
    filled = first.paths[0]
    filled.write_bytes(b"PK started filling")
    again = dvk_cli.write_forms(folder / "bieu-mau", period="2026")
    assert set(again.kept) == set(first.paths) and again.written == ()
    assert filled.read_bytes() == b"PK started filling"
    forced = dvk_cli.write_forms(folder / "bieu-mau", period="2026", force=True)
    assert set(forced.overwritten) == set(first.paths) and forced.kept == ()
    assert filled.read_bytes().startswith(b"PK") and len(filled.read_bytes()) > 1000
