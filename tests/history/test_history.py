"""The history store (dvk.sqlite): submissions, idempotent re-runs,
resubmissions, locks, migrations, a run that dies midway, baselines, history
outliers, trends and the comparisons in every output."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from helpers import consistent_values, find_row, return_grid, said, write_xlsx
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.comparisons import main_codes, previous_period, same_period_last_year
from dvk_cli.core.errors import UsageError
from dvk_cli.core.periods import Period, parse_period
from dvk_cli.history.ledger import HistoryOptions
from dvk_cli.history.store import MIGRATIONS, SCHEMA_VERSION, Store, migrate
from dvk_cli.pipeline import run

runner = CliRunner()
DATA_TABLES = ("submissions", "cell_values", "models", "locks")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def store_rows(path: Path, tables=DATA_TABLES) -> dict[str, list]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()


def full_dump(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def two_returns(folder: Path, period: str = "2024", budang: int = 10, budop: int = 6,
                **extra) -> tuple[Path, Path]:
    r = folder / "returns"
    a = write_xlsx(return_grid(consistent_values(budang, **extra), period=period),
                   r / f"budang-{period}.xlsx")
    b = write_xlsx(return_grid(consistent_values(budop), unit="H. Bù Đốp", period=period),
                   r / f"budop-{period}.xlsx")
    return a, b


def vi_int(n: int) -> str:
    """Vietnamese thousands (independent of dvk's formatter): 21725 -> '21.725'."""
    return f"{n:,}".replace(",", ".")


def vi_pct(p: float) -> str:
    return f"{p:.1f}".replace(".", ",") + "%"  # one decimal, always: "11,0%"


# ------------------------------------------------------------------ store basics

def test_store_created_from_nothing_with_every_value_and_its_cell(folder):
    a, _ = two_returns(folder)
    assert not (folder / "dvk.sqlite").exists()
    result = invoke("aggregate", folder / "returns", "--period", "2024", "--out", folder / "out")
    assert result.exit_code == 0, result.output
    db = folder / "dvk.sqlite"
    assert db.is_file()
    with Store(db, create=False) as store:
        assert store.version == SCHEMA_VERSION
        subs = store.submissions()
        assert [(s.unit, s.period, s.status) for s in subs] == [
            ("BUDANG", "2024", "current"), ("BUDOP", "2024", "current")]
        budang = subs[0]
        assert budang.file == "returns/budang-2024.xlsx" and budang.file_name == "budang-2024.xlsx"
        import hashlib
        assert budang.sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
        assert budang.read_at[:4].isdigit() and "T" in budang.read_at
        values = {v.indicator: (v.value, v.sheet, v.cell) for v in store.values(budang.id)}
        grid = return_grid(consistent_values(10))["Biểu số liệu"]
        for code, value in consistent_values(10).items():
            assert values[code] == (value, "Biểu số liệu", f"E{find_row(grid, code) + 1}"), code
        runs = store.runs()
        assert len(runs) == 1 and runs[0]["command"] == "aggregate"
        assert runs[0]["new_submissions"] == 2 and runs[0]["period"] == "2024"
        assert runs[0]["finished_at"]
    assert "Kho lịch sử (mới tạo)" in result.output


def test_same_file_read_twice_leaves_one_submission(folder):
    two_returns(folder)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 0
    before = store_rows(folder / "dvk.sqlite")
    # --force: a full run (an unchanged one would not even open the returns)
    again = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json",
                   "--force")
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert data["history"]["unchanged"] == 2 and data["history"]["new"] == 0
    assert store_rows(folder / "dvk.sqlite") == before  # nothing changed
    with Store(folder / "dvk.sqlite") as store:
        assert len(store.submissions()) == 2
        assert len(store.runs()) == 2  # every run is remembered


def test_changed_file_without_replace_is_an_error_and_changes_nothing(folder):
    a, _ = two_returns(folder)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 0
    before = store_rows(folder / "dvk.sqlite")
    write_xlsx(return_grid(consistent_values(12)), a)  # the unit sends a corrected return
    result = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    problem = [f for f in data["findings"] if f["rule"] == "resubmission"]
    assert len(problem) == 1 and problem[0]["severity"] == "error"
    assert problem[0]["unit"] == "BUDANG"
    message = problem[0]["message"]
    assert "returns/budang-2024.xlsx" in message  # the stored file
    assert "--replace BUDANG" in message and "bản đã lưu" in message
    # the stored return is used, not the new file
    assert data["units"]["BUDANG"]["values"]["MH_TONG"] == 10
    assert data["totals"]["MH_TONG"] == 16
    assert store_rows(folder / "dvk.sqlite") == before
    wb = openpyxl.load_workbook(folder / "tong-hop-2024.xlsx", read_only=True)
    statuses = [row[8] for row in wb["Nguồn"].iter_rows(min_row=5, values_only=True) if row[1]]
    assert "Không dùng: khác bản đã lưu" in statuses


def test_replace_keeps_both_and_diff_lists_exactly_the_changed_cells(folder):
    a, _ = two_returns(folder)
    models = [{"name": "Tổ tự quản"}, {"name": "Chợ an toàn"}]
    write_xlsx(return_grid(consistent_values(10), models=models), a)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code in (0, 1)
    changed = consistent_values(12, VB_SO=5)  # MH_TONG 10->12, TAPTHE, CANHAN 5->6, KT 7->9, VB_SO
    del changed["DUONG_DIEN_KM"]  # a value removed
    changed["QUA_SO"] = 30  # a value added
    new_models = [{"name": "Tổ tự quản"}, {"name": "Đường hoa nông thôn mới"}]
    write_xlsx(return_grid(changed, models=new_models), a)
    result = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json",
                    "--replace", "budang")
    data = json.loads(result.stdout)
    assert data["units"]["BUDANG"]["values"]["MH_TONG"] == 12
    assert any(f["rule"] == "resubmission_replaced" for f in data["findings"])
    with Store(folder / "dvk.sqlite") as store:
        subs = store.submissions(unit="BUDANG")
        assert [s.status for s in subs] == ["superseded", "current"]
        assert subs[0].superseded_by == subs[1].id
    history = invoke("history", "BUDANG", "--json")
    assert history.exit_code == 0, history.output
    listed = json.loads(history.stdout)["submissions"]
    assert [s["status"] for s in listed] == ["superseded", "current"]

    out = invoke("diff", "BUDANG", "--period", "2024", "--json")
    assert out.exit_code == 0, out.output
    diff = json.loads(out.stdout)
    grid = return_grid(changed)["Biểu số liệu"]

    def cell(code):
        return f"Biểu số liệu!E{find_row(grid, code) + 1}"

    got = {c["indicator"]: (c["old"], c["new"], c["old_cell"], c["new_cell"])
           for c in diff["changes"]}
    assert got == {
        "MH_TONG": (10, 12, cell("MH_TONG"), cell("MH_TONG")),
        "MH_TAPTHE": (5, 6, cell("MH_TAPTHE"), cell("MH_TAPTHE")),
        "MH_CANHAN": (5, 6, cell("MH_CANHAN"), cell("MH_CANHAN")),
        "MH_KT": (7, 9, cell("MH_KT"), cell("MH_KT")),
        "VB_SO": (4, 5, cell("VB_SO"), cell("VB_SO")),
        "DUONG_DIEN_KM": (3.5, None, cell("DUONG_DIEN_KM"), ""),
        "QUA_SO": (None, 30, "", cell("QUA_SO")),
    }
    assert diff["models_added"] == ["Đường hoa nông thôn mới"]
    assert diff["models_removed"] == ["Chợ an toàn"]
    text = invoke("diff", "BUDANG", "--period", "2024")
    assert "7 ô thay đổi" in text.output and "Traceback" not in text.output


def test_accept_newer_replaces_only_files_modified_after_the_stored_one(folder):
    a, _ = two_returns(folder)
    old_time = 1_700_000_000
    os.utime(a, (old_time, old_time))
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 0
    write_xlsx(return_grid(consistent_values(12)), a)
    os.utime(a, (old_time - 3600, old_time - 3600))  # an older copy turns up
    refused = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json",
                     "--accept-newer")
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["units"]["BUDANG"]["values"]["MH_TONG"] == 10
    os.utime(a, (old_time + 3600, old_time + 3600))
    accepted = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json",
                      "--accept-newer")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.stdout)["units"]["BUDANG"]["values"]["MH_TONG"] == 12


def test_run_killed_inside_the_transaction_leaves_the_store_unchanged(folder, monkeypatch):
    a, _ = two_returns(folder)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 0
    before = full_dump(folder / "dvk.sqlite")
    write_xlsx(return_grid(consistent_values(12)), a)  # to replace
    write_xlsx(return_grid(consistent_values(3), unit="TP. Đồng Xoài"), folder / "returns" / "dx.xlsx")
    calls = []
    original = Store.insert_submission

    def dies_on_second_insert(self, **kwargs):
        calls.append(kwargs["unit"])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the clerk presses Ctrl+C midway
        return original(self, **kwargs)

    monkeypatch.setattr(Store, "insert_submission", dies_on_second_insert)
    with pytest.raises(KeyboardInterrupt):
        run([folder / "returns"], period="2024",
            history=HistoryOptions(replace=frozenset({"BUDANG"})))
    assert len(calls) == 2  # one submission was written inside the transaction, then it died
    assert full_dump(folder / "dvk.sqlite") == before
    monkeypatch.setattr(Store, "insert_submission", original)
    done = run([folder / "returns"], period="2024",
               history=HistoryOptions(replace=frozenset({"BUDANG"})))
    assert done.totals["MH_TONG"] == 12 + 6 + 3


def test_locked_period_refuses_new_data_and_unlock_records_why(folder):
    a, _ = two_returns(folder)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 0
    locked = invoke("lock", "2024", "--why", "Báo cáo số 45-BC/BDV đã ký")
    assert locked.exit_code == 0, locked.output
    assert invoke("lock", "2024").exit_code == 2  # already locked
    before = store_rows(folder / "dvk.sqlite", ("submissions", "cell_values", "models"))
    write_xlsx(return_grid(consistent_values(12)), a)
    write_xlsx(return_grid(consistent_values(3), unit="TP. Đồng Xoài"), folder / "returns" / "dx.xlsx")
    result = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json",
                    "--replace", "BUDANG")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    rules = [(f["rule"], f["severity"], f["unit"]) for f in data["findings"]]
    assert ("period_locked", "info", "") in rules  # says so
    # a changed copy of a stored return is named, never summed; a unit with
    # nothing stored cannot enter a locked period
    assert ("period_locked", "warning", "BUDANG") in rules
    assert ("period_locked", "error", "DONGXOAI") in rules
    assert data["units"]["BUDANG"]["values"]["MH_TONG"] == 10  # the signed figures
    assert "DONGXOAI" not in data["units"] and data["totals"]["MH_TONG"] == 16
    assert store_rows(folder / "dvk.sqlite", ("submissions", "cell_values", "models")) == before

    assert invoke("unlock", "2024").exit_code == 2  # a reason is required
    opened = invoke("unlock", "2024", "--why", "Huyện Bù Đăng gửi lại số liệu đã đính chính")
    assert opened.exit_code == 0, opened.output
    with Store(folder / "dvk.sqlite") as store:
        events = store.lock_events("2024")
        assert [e["action"] for e in events] == ["lock", "unlock"]
        assert events[1]["reason"] == "Huyện Bù Đăng gửi lại số liệu đã đính chính"
        assert events[1]["at"] >= events[0]["at"]
        assert store.lock_state("2024") is None
    after = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json",
                   "--replace", "BUDANG")
    assert json.loads(after.stdout)["totals"]["MH_TONG"] == 12 + 6 + 3


def test_migrations_from_an_empty_v1_store(tmp_path):
    path = tmp_path / "dvk.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute("INSERT INTO submissions (unit, period, file, file_name, sha256, read_at) "
                 "VALUES ('BUDANG', '2023', 'a.xlsx', 'a.xlsx', 'abc', '2024-01-05T08:00:00+07:00')")
    conn.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'locks'").fetchall()
    conn.close()
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION == len(MIGRATIONS) == 6
        assert store.conn.execute("SELECT count(*) FROM read_cache").fetchone()[0] == 0
        assert [s.unit for s in store.submissions()] == ["BUDANG"]  # data kept
        with store.transaction():
            store.lock("2023", "đã ký")
        assert store.lock_state("2023").reason == "đã ký"
        assert store.runs() == []
    # an empty v1 store migrates the same way
    empty = tmp_path / "empty.sqlite"
    conn = sqlite3.connect(empty, isolation_level=None)
    migrate(conn, target=1)
    conn.close()
    with Store(empty) as store:
        assert store.version == SCHEMA_VERSION and store.submissions() == []


def test_a_newer_or_foreign_store_is_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(UsageError, match="mới hơn"):
        Store(newer)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(UsageError, match="không phải là kho lịch sử"):
        Store(junk)


def test_no_store_and_validate_leave_the_store_alone(folder):
    a, _ = two_returns(folder)
    result = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--no-store",
                    "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["compare"] == {}
    assert not (folder / "dvk.sqlite").exists()
    assert invoke("validate", folder / "returns", "-p", "2024").exit_code == 0
    assert not (folder / "dvk.sqlite").exists()  # validate never creates the store
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 0
    before = full_dump(folder / "dvk.sqlite")
    write_xlsx(return_grid(consistent_values(12)), a)
    checked = invoke("validate", folder / "returns", "-p", "2024", "--json")
    assert checked.exit_code == 1  # the conflict is reported …
    assert any(f["rule"] == "resubmission" for f in json.loads(checked.stdout)["findings"])
    assert full_dump(folder / "dvk.sqlite") == before  # … and nothing is written
    assert invoke("aggregate", folder / "returns", "--replace", "KHONGCO", "-p", "2024").exit_code == 2


# ------------------------------------------------------------------ periods and wording

@pytest.mark.parametrize("code, previous, last_year", [
    ("2024", "2023", "2023"),
    ("2024-H1", "2023-H2", "2023-H1"),
    ("2024-H2", "2024-H1", "2023-H2"),
    ("2024-Q3", "2024-Q2", "2023-Q3"),
    ("2024-Q1", "2023-Q4", "2023-Q1"),
    ("2024-9M", "2023-9M", "2023-9M"),
    ("2024-05", "2024-04", "2023-05"),
    ("2024-01", "2023-12", "2023-01"),
])
def test_previous_and_same_period_last_year(code, previous, last_year):
    p = parse_period(code)
    assert previous_period(p).code == previous
    assert same_period_last_year(p).code == last_year


def test_quarter_report_compares_with_previous_quarter_and_same_quarter_last_year(folder):
    r = folder / "returns"
    for period, n, vb in (("2023-Q3", 8, 4), ("2024-Q2", 12, 5), ("2024-Q3", 10, 4)):
        sub = r / period
        sub.mkdir()
        write_xlsx(return_grid(consistent_values(n, VB_SO=vb), period=period), sub / "budang.xlsx")
        result = invoke("aggregate", sub, "-p", period, "-o", folder / "out", "--json")
        assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["compare"]["previous"]["period"] == "2024-Q2"
    assert data["compare"]["previous"]["label"] == "quý II năm 2024"
    assert data["compare"]["previous"]["totals"]["MH_TONG"] == 12
    assert data["compare"]["same_period_last_year"]["totals"]["MH_TONG"] == 8
    assert data["compare"]["same_period_last_year"]["per_unit"]["BUDANG"]["MH_TONG"] == 8
    report = (folder / "out" / "bao-cao-2024-Q3.md").read_text(encoding="utf-8")
    assert ("10 mô hình “Dân vận khéo” (giảm 2 mô hình, 16,7% so với quý II năm 2024; "
            "tăng 2 mô hình, 25,0% so với cùng kỳ năm 2023)") in report
    assert ("4 văn bản lãnh đạo, chỉ đạo về công tác dân vận (giảm 1 văn bản, 20,0% so với "
            "quý II năm 2024; bằng cùng kỳ năm 2023)") in report
    # terminal summary: both comparisons as columns
    text = runner.invoke(app, ["aggregate", str(r / "2024-Q3"), "-p", "2024-Q3", "-o",
                               str(folder / "out"), "--force"], env={"COLUMNS": "250"})
    assert "Kỳ trước (quý II năm 2024)" in text.output
    assert "Cùng kỳ (quý III năm 2023)" in text.output
    wb = openpyxl.load_workbook(folder / "out" / "tong-hop-2024-Q3.xlsx")
    header = [c.value for c in wb["Tổng hợp"][4]]
    assert header[6:] == ["Kỳ trước (quý II năm 2024)", "Tăng/giảm", "%",
                          "Cùng kỳ (quý III năm 2023)", "Tăng/giảm", "%"]


def test_no_comparison_clause_without_history(folder):
    two_returns(folder)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 0
    report = (folder / "bao-cao-2024.md").read_text(encoding="utf-8")
    assert "so với" not in report and "Tăng/giảm" not in report
    wb = openpyxl.load_workbook(folder / "tong-hop-2024.xlsx")
    assert [c.value for c in wb["Tổng hợp"][4]][-1] == "Số đơn vị báo cáo"
    assert "Xu hướng" not in wb.sheetnames  # one period: nothing to draw
    assert "So sánh theo đơn vị" not in wb.sheetnames


# ------------------------------------------------------------------ the sample, 2023 -> 2024



def test_sample_2024_compared_with_2023_in_report_workbook_json_and_terminal(sample_copy):
    truth = run([sample_copy / "2023"], period="2023")  # no store: the plain 2023 result
    tidy = truth.values
    assert truth.totals["MH_TONG"] == tidy[tidy["indicator"] == "MH_TONG"]["value"].sum()
    out = sample_copy / "out"
    first = invoke("aggregate", sample_copy / "2023", "-p", "2023", "-o", out, "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["compare"] == {}
    result = invoke("aggregate", sample_copy / "2024", "-p", "2024", "-o", out, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (sample_copy / "dvk.sqlite").is_file()
    now = data["totals"]

    # JSON: both comparisons, 2023 figures exactly as a plain 2023 run gives them
    for key in ("previous", "same_period_last_year"):
        entry = data["compare"][key]
        assert entry["period"] == "2023" and entry["label"] == "năm 2023"
        assert entry["totals"] == pytest.approx(truth.totals)
        for unit in truth.units:
            row = truth.per_unit.loc[unit].dropna().to_dict()
            assert entry["per_unit"][unit] == pytest.approx(row), unit
    before = truth.totals

    # the report: one clause per headline figure, numbers computed here
    report = (out / "bao-cao-2024.md").read_text(encoding="utf-8")
    mh = now["MH_TONG"] - before["MH_TONG"]
    assert mh == 128
    assert (f"{vi_int(now['MH_TONG'])} mô hình “Dân vận khéo” (tăng {mh} mô hình, "
            f"{vi_pct(mh / before['MH_TONG'] * 100)} so với năm 2023)") in report
    assert "1.215 mô hình “Dân vận khéo” (tăng 128 mô hình, 11,8% so với năm 2023)" in report
    for code, unit_word in (("VB_SO", "văn bản"), ("TCD_LUOT", "lượt"), ("HS_NHAN", "hồ sơ"),
                            ("NHA_SO", "căn"), ("QUA_SO", "phần")):
        d = now[code] - before[code]
        word = "tăng" if d > 0 else "giảm"
        clause = (f"{vi_int(now[code])} " if code != "NHA_SO" else f"{now[code]} căn nhà")
        expected = f"{word} {vi_int(abs(d))} {unit_word}, {vi_pct(abs(d) / before[code] * 100)} so với năm 2023"
        assert expected in report, (code, expected)
        assert clause in report
    assert "Số liệu năm 2023 lấy từ kho lịch sử của dvk (báo cáo của 11 đơn vị)" in report
    assert "| Năm 2023 | Tăng/giảm | % |" in report

    # the workbook: Tổng hợp columns, Theo đơn vị comparison, Xu hướng with a chart
    wb = openpyxl.load_workbook(out / "tong-hop-2024.xlsx")
    ws = wb["Tổng hợp"]
    header = [c.value for c in ws[4]]
    assert header[4:] == ["Tổng cộng", "Số đơn vị báo cáo", "Kỳ trước, cùng kỳ (năm 2023)",
                          "Tăng/giảm", "%"]
    checked = 0
    for row in ws.iter_rows(min_row=5, values_only=True):
        code = row[2]
        if code in now:
            assert row[4] == pytest.approx(now[code])
            if code in before:
                assert row[6] == pytest.approx(before[code]), code
                assert row[7] == pytest.approx(now[code] - before[code], abs=1e-6), code
                if before[code] and not code.endswith("TYLE"):
                    assert row[8] == pytest.approx(
                        round((now[code] - before[code]) / before[code] * 100, 1)), code
                checked += 1
    assert checked == len(before)
    units_ws = wb["So sánh theo đơn vị"]  # a sheet of its own (issue 15)
    rows = list(units_ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("SO SÁNH VỚI NĂM 2023"))
    start = next(i for i in range(start, len(rows)) if rows[i][0] == "STT") - 1
    assert rows[start + 1][:9] == ("STT", "Mã đơn vị", "Đơn vị", "Chỉ tiêu", "Mã", "Kỳ này",
                                   "Kỳ trước, cùng kỳ (năm 2023)", "Tăng/giảm", "%")
    by_key = {(r[1], r[4]): r for r in rows[start + 2:] if r[1]}
    for unit in ("DONGXOAI", "LOCNINH"):
        unit_before = truth.per_unit.loc[unit]
        row = by_key[(unit, "MH_TONG")]
        assert row[6] == unit_before["MH_TONG"]
        assert row[7] == row[5] - unit_before["MH_TONG"]
    trend = wb["Xu hướng"]
    assert [c.value for c in trend[4]][3:5] == ["Năm 2023", "Năm 2024"]
    trend_rows = {r[1]: r for r in trend.iter_rows(min_row=5, values_only=True) if r[1]}
    label = truth.catalog.indicators["MH_TONG"].label
    assert trend_rows[label][3:5] == (before["MH_TONG"], now["MH_TONG"])
    assert len(trend._charts) == len([c for c in main_codes(truth.catalog) if c in now])

    # the terminal summary
    text = runner.invoke(app, ["aggregate", str(sample_copy / "2024"), "-p", "2024", "-o",
                               str(out), "--force"], env={"COLUMNS": "200"})
    assert text.exit_code == 0
    assert "Kỳ trước, cùng kỳ (năm 2023)" in text.output
    assert "+128" in text.output and "+11,8%" in text.output
    assert "11 không đổi" in text.output


def test_trend_command_prints_the_series_with_a_chart(sample_copy):
    for year in ("2023", "2024"):
        assert invoke("aggregate", sample_copy / year, "-p", year, "-o",
                      sample_copy / "out").exit_code == 0
    out = invoke("trend", "MH_TONG", "--json")
    assert out.exit_code == 0, out.output
    series = json.loads(out.stdout)["series"]
    assert [(s["period"], s["value"]) for s in series] == [("2023", 1087), ("2024", 1215)]
    text = runner.invoke(app, ["trend", "mh_tong"], env={"COLUMNS": "120"})
    assert "1.087 mô hình" in text.output and "1.215 mô hình" in text.output
    assert "█" * 35 in text.output  # 1087/1215 of the 40-character bar
    unit = invoke("trend", "MH_TONG", "--unit", "Huyện Lộc Ninh", "--json")
    truth = {y: run([sample_copy / y], period=y).per_unit.loc["LOCNINH", "MH_TONG"]
             for y in ("2023", "2024")}
    assert [s["value"] for s in json.loads(unit.stdout)["series"]] == [truth["2023"], truth["2024"]]
    assert invoke("trend", "KHONG_CO").exit_code == 2


# ------------------------------------------------------------------ baselines

def test_baseline_from_a_typed_form_gives_the_comparison(folder):
    base = {"MH_TONG": 20, "MH_TAPTHE": 12, "VB_SO": 9, "DON_NHAN": 100, "DON_GQ": 80}
    form = write_xlsx(return_grid(base, unit="Ban Dân vận Tỉnh ủy", period="2023"),
                      folder / "so-lieu-2023.xlsx")
    loaded = invoke("baseline", form, "--period", "2023")
    assert loaded.exit_code == 0, loaded.output
    assert "Đã nạp 5 chỉ tiêu" in loaded.output
    again = invoke("baseline", form, "--period", "2023")
    assert again.exit_code == 0 and "không thay đổi" in again.output
    other = write_xlsx(return_grid({**base, "MH_TONG": 21}, period="2023"), folder / "khac.xlsx")
    assert invoke("baseline", other, "--period", "2023").exit_code == 2  # needs --replace
    assert invoke("baseline", form, "--period", "2022").exit_code == 2  # the file says 2023
    two_returns(folder)
    result = invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder, "--json")
    data = json.loads(result.stdout)
    prev = data["compare"]["previous"]
    assert prev["source"] == "baseline" and prev["period"] == "2023"
    assert prev["totals"] == {**base, "DON_TYLE": 80}  # the ratio recomputed from its parts
    report = (folder / "bao-cao-2024.md").read_text(encoding="utf-8")
    # the baseline is the whole area; this year Đồng Xoài has not reported: the sentence says so
    assert ("16 mô hình “Dân vận khéo” (giảm 4 mô hình, 20,0% so với năm 2023 (năm nay chưa có "
            "báo cáo của Thành phố Đồng Xoài))") in report
    assert ("8 văn bản lãnh đạo, chỉ đạo về công tác dân vận (giảm 1 văn bản, 11,1% so với năm "
            "2023 (năm nay chưa có báo cáo của Thành phố Đồng Xoài))") in report
    assert "Số liệu năm 2023 lấy từ kho lịch sử của dvk (số liệu nền đã nạp)" in report
    replaced = invoke("baseline", other, "--period", "2023", "--replace")
    assert replaced.exit_code == 0, replaced.output
    with Store(folder / "dvk.sqlite") as store:
        kinds = [(s.kind, s.status) for s in store.submissions(period="2023")]
        assert kinds == [("baseline", "superseded"), ("baseline", "current")]


def test_baseline_from_an_earlier_consolidated_workbook(tmp_path, monkeypatch, sample_copy):
    earlier = tmp_path / "earlier"
    done = invoke("aggregate", sample_copy / "2023", "-p", "2023", "-o", earlier, "--no-store")
    assert done.exit_code == 0
    truth = run([sample_copy / "2023"], period="2023")
    loaded = invoke("baseline", earlier / "tong-hop-2023.xlsx", "--config",
                    sample_copy / "dvk.toml")
    assert loaded.exit_code == 0, loaded.output
    with Store(sample_copy / "dvk.sqlite") as store:
        from dvk_cli.history.compare import period_figures
        figures = period_figures(store, Period(2023, "Y"), truth.catalog)
    assert figures["source"] == "baseline"
    assert figures["totals"] == pytest.approx(truth.totals)


# ------------------------------------------------------------------ history outliers

def test_a_value_far_from_the_units_own_history_is_a_warning(folder):
    r = folder / "returns"
    dongxoai = {"2022": 5, "2023": 5, "2024": 6}  # steady
    for year, n in (("2021", 10), ("2022", 12), ("2023", 11), ("2024", 60)):
        sub = r / year
        sub.mkdir()
        write_xlsx(return_grid(consistent_values(n), period=year), sub / "budang.xlsx")
        write_xlsx(return_grid(consistent_values(7), unit="H. Bù Đốp", period=year),
                   sub / "budop.xlsx")
        if year in dongxoai:
            write_xlsx(return_grid(consistent_values(dongxoai[year]), unit="TP. Đồng Xoài",
                                   period=year), sub / "dongxoai.xlsx")
        result = invoke("aggregate", sub, "-p", year, "-o", folder / "out", "--json")
    data = json.loads(result.stdout)
    found = [f for f in data["findings"] if f["rule"] == "outlier_history"]
    by = {(f["unit"], f["indicator"]): f for f in found}
    assert ("BUDANG", "MH_TONG") in by
    assert {f["unit"] for f in found} == {"BUDANG"}  # steady Bù Đốp and Đồng Xoài
    f = by[("BUDANG", "MH_TONG")]
    assert f["severity"] == "warning" and f["file"].endswith("budang.xlsx")
    grid = return_grid(consistent_values(60))["Biểu số liệu"]
    assert f["cell"] == f"E{find_row(grid, 'MH_TONG') + 1}" and f["sheet"] == "Biểu số liệu"
    # compared with its own 2023 return (11), adjusted for the others' change (7 + 5 -> 7 + 6)
    assert "ghi 60 mô hình, gấp khoảng 5 lần mức dự kiến" in f["message"]
    assert "tăng khoảng 8%" in f["message"] and 0.5 < f["impact"] < 0.8


def test_diff_shows_a_rejected_value_as_the_unit_typed_it(folder, monkeypatch):
    """A value that was not used ("khoảng 30") is shown as written, not as
    "(trống)", on the side where it was typed (issue 15, item 8)."""
    a, _ = two_returns(folder)
    first = consistent_values(10)
    first["QUA_SO"] = "khoảng 30"
    write_xlsx(return_grid(first), a)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder).exit_code == 1
    fixed = consistent_values(10)
    fixed["QUA_SO"] = 30
    write_xlsx(return_grid(fixed), a)
    assert invoke("aggregate", folder / "returns", "-p", "2024", "-o", folder,
                  "--replace", "budang").exit_code in (0, 1)
    out = invoke("diff", "BUDANG", "--period", "2024", "--json")
    assert out.exit_code == 0, out.output
    [change] = [c for c in json.loads(out.stdout)["changes"] if c["indicator"] == "QUA_SO"]
    assert (change["old"], change["old_text"], change["new"]) == (None, "khoảng 30", 30)
    assert change["old_cell"].endswith(f"E{find_row(return_grid(fixed)['Biểu số liệu'], 'QUA_SO') + 1}")
    monkeypatch.setenv("COLUMNS", "400")  # the table's cells whole on one line
    shown_diff = said(invoke("diff", "BUDANG", "--period", "2024"))
    assert "“khoảng 30” (không dùng)" in shown_diff and "(trống)" not in shown_diff
