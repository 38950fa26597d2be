"""Sign-off, through the command line on generated returns: findings keep a
status (open, accepted, resolved), the lock waits for open ones, extra
copies never drop a unit, a locked period sums its stored returns only, and
a wrong --period is the clerk's slip."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from helpers import consistent_values, find_row, invoke, return_grid, said, write_xlsx


def as_json(*args) -> tuple[int, dict]:
    result = invoke(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def write_return(folder: Path, name: str, models: int, *, unit: str = "Huyện Bù Đăng",
                 period: str = "2024", **extra) -> Path:
    return write_xlsx(return_grid(consistent_values(models, **extra), unit=unit, period=period),
                      folder / "returns" / name)


def three_returns(folder: Path, period: str = "2024", **budang) -> None:
    write_return(folder, "budang.xlsx", 10, period=period, **budang)
    write_return(folder, "budop.xlsx", 6, unit="H. Bù Đốp", period=period)
    write_return(folder, "dongxoai.xlsx", 20, unit="TP. Đồng Xoài", period=period)


def aggregate(folder: Path, *extra) -> tuple[int, dict]:
    return as_json("aggregate", folder / "returns", "-p", "2024", "-o", folder / "out", *extra)


def by_rule(data: dict, rule: str) -> list[dict]:
    return [f for f in data["findings"] if f["rule"] == rule]


# ------------------------------------------------------------------ accept and lock

def test_lock_waits_for_open_findings_accept_records_who_when_why(folder):
    # Bù Đăng: models by kind (5 + 5) do not add up to its total (12)
    three_returns(folder, MH_TONG=12, MH_KT=9)
    code, data = aggregate(folder)
    assert code == 0
    [loai] = by_rule(data, "MH_LOAI")
    assert loai["status"] == "open" and loai["unit"] == "BUDANG" and "accepted" not in loai

    refused = invoke("lock", "2024", "--why", "Báo cáo số 12-BC/BDV")
    assert refused.exit_code == 1
    assert "Chưa khóa" in refused.output and "MH_LOAI" in refused.output
    with sqlite3.connect(folder / "dvk.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0

    # a reason is required; an indicator no open finding is about is refused, naming the open ones
    assert invoke("accept", "BUDANG", "-p", "2024", "--indicator", "MH_TONG").exit_code == 2
    wrong = invoke("accept", "BUDANG", "-p", "2024", "--indicator", "VB_SO", "--why", "x")
    assert wrong.exit_code == 2 and "MH_LOAI" in wrong.output
    done = invoke("accept", "Huyện Bù Đăng", "-p", "2024", "--indicator", "MH_CANHAN",
                  "--why", "Đã xác minh: 2 mô hình chưa phân loại")
    assert done.exit_code == 0, done.output
    code, listed = as_json("accept", "--list", "-p", "2024")
    [item] = listed["findings"]
    assert item["rule"] == "MH_LOAI" and item["unit"] == "BUDANG"
    assert item["accepted"]["why"] == "Đã xác minh: 2 mô hình chưa phân loại"
    assert item["accepted"]["by"] and item["accepted"]["at"].startswith("20")

    # the next run shows it accepted, with the reason, and counts no open warning
    code, data = aggregate(folder)
    [loai] = by_rule(data, "MH_LOAI")
    assert loai["status"] == "accepted"
    assert loai["accepted"]["why"] == "Đã xác minh: 2 mô hình chưa phân loại"
    assert [f for f in data["findings"] if f["status"] == "open" and f["severity"] != "info"] == []

    locked = invoke("lock", "2024", "--why", "Báo cáo số 12-BC/BDV")
    assert locked.exit_code == 0, locked.output


def test_unaccept_reopens_and_force_locks_with_a_recorded_reason(folder):
    three_returns(folder, MH_TONG=12, MH_KT=9)
    aggregate(folder)
    assert invoke("accept", "BUDANG", "-p", "2024", "--rule", "MH_LOAI", "--why", "ok").exit_code == 0
    assert invoke("unaccept", "BUDANG", "-p", "2024", "--rule", "MH_LOAI").exit_code == 0
    assert invoke("unaccept", "BUDANG", "-p", "2024", "--rule", "MH_LOAI").exit_code == 2
    code, data = aggregate(folder)
    assert by_rule(data, "MH_LOAI")[0]["status"] == "open"
    assert invoke("lock", "2024").exit_code == 1
    assert invoke("lock", "2024", "--force").exit_code == 2  # --force needs --why
    forced = invoke("lock", "2024", "--force", "--why", "Lãnh đạo duyệt, sửa ở kỳ sau")
    assert forced.exit_code == 0 and "MH_LOAI" in forced.output
    with sqlite3.connect(folder / "dvk.sqlite") as conn:
        reason, was_forced, listing = conn.execute(
            "SELECT reason, forced, open_findings FROM lock_events").fetchone()
    assert reason == "Lãnh đạo duyệt, sửa ở kỳ sau" and was_forced == 1
    assert [f["rule"] for f in json.loads(listing)] == ["MH_LOAI"]


def test_a_corrected_return_resolves_the_finding_and_new_figures_reopen_an_acceptance(folder):
    three_returns(folder, MH_TONG=12, MH_KT=9)
    aggregate(folder)
    assert invoke("accept", "BUDANG", "-p", "2024", "--rule", "MH_LOAI", "--why", "ok").exit_code == 0
    # the unit sends other figures that still break the rule: what was accepted is not what is summed
    write_return(folder, "budang.xlsx", 10, MH_TONG=13, MH_KT=10)
    code, data = aggregate(folder, "--replace", "BUDANG")
    statuses = sorted((f["status"], f["message"]) for f in by_rule(data, "MH_LOAI"))
    assert [s for s, _ in statuses] == ["open", "resolved"]
    assert "(13)" in next(m for s, m in statuses if s == "open")
    # then a correct return: nothing open, the earlier one resolved
    write_return(folder, "budang.xlsx", 10)
    code, data = aggregate(folder, "--replace", "BUDANG")
    assert [f["status"] for f in by_rule(data, "MH_LOAI")] == ["resolved"]
    assert invoke("lock", "2024").exit_code == 0


def test_the_store_keeps_when_each_finding_was_first_and_last_raised(folder):
    def stored() -> list[tuple]:
        with sqlite3.connect(folder / "dvk.sqlite") as conn:
            return conn.execute("SELECT unit, rule, first_run, last_run, resolved_at IS NOT NULL "
                                "FROM findings WHERE rule = 'MH_LOAI' ORDER BY id").fetchall()

    def runs() -> list[int]:
        with sqlite3.connect(folder / "dvk.sqlite") as conn:
            return [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id")]

    three_returns(folder, MH_TONG=12, MH_KT=9)
    aggregate(folder)
    [first] = runs()
    assert stored() == [("BUDANG", "MH_LOAI", first, first, 0)]
    # another unit resends: Bù Đăng's finding is raised again, by the second run
    write_return(folder, "budop.xlsx", 7, unit="H. Bù Đốp")
    assert aggregate(folder, "--replace", "BUDOP")[0] == 0
    second = runs()[-1]
    assert second > first and stored() == [("BUDANG", "MH_LOAI", first, second, 0)]
    # Bù Đăng corrects its return: the finding is resolved, as the second run left it
    write_return(folder, "budang.xlsx", 10)
    assert aggregate(folder, "--replace", "BUDANG")[0] == 0
    assert stored() == [("BUDANG", "MH_LOAI", first, second, 1)]


# ------------------------------------------------------------------ copies and locks

def test_a_second_different_copy_keeps_the_unit_and_names_the_file(folder):
    three_returns(folder)
    code, first = aggregate(folder)
    assert first["totals"]["MH_TONG"] == 36
    write_return(folder, "Bù Đăng 2024 bổ sung.xlsx", 15)
    code, data = aggregate(folder)
    assert "BUDANG" in data["units"] and data["totals"]["MH_TONG"] == 36
    [named] = by_rule(data, "resubmission")
    assert "Bù Đăng 2024 bổ sung.xlsx" in named["message"] and "--replace BUDANG" in named["message"]
    assert "chưa tổng hợp báo cáo nào" not in json.dumps(data, ensure_ascii=False)
    # an identical copy is an info and counts once
    (folder / "returns" / "Bù Đăng 2024 bổ sung.xlsx").unlink()
    (folder / "returns" / "ban sao.xlsx").write_bytes((folder / "returns" / "budang.xlsx").read_bytes())
    code, data = aggregate(folder)
    assert code == 0 and data["totals"]["MH_TONG"] == 36
    assert [f["severity"] for f in by_rule(data, "duplicate_copy")] == ["info"]
    # with --replace the new file is taken
    write_return(folder, "Bù Đăng 2024 bổ sung.xlsx", 15)
    (folder / "returns" / "ban sao.xlsx").unlink()
    code, data = aggregate(folder, "--replace", "BUDANG")
    assert data["totals"]["MH_TONG"] == 15 + 6 + 20


def test_without_a_store_two_different_files_hold_the_unit_and_identical_ones_count_once(folder):
    three_returns(folder)
    (folder / "returns" / "copy.xlsx").write_bytes((folder / "returns" / "budop.xlsx").read_bytes())
    code, data = aggregate(folder, "--no-store")
    assert code == 0 and data["totals"]["MH_TONG"] == 36
    write_return(folder, "budop-moi.xlsx", 7, unit="H. Bù Đốp")
    code, data = aggregate(folder, "--no-store")
    assert code == 1 and "BUDOP" in data["held"] and data["totals"]["MH_TONG"] == 30


def test_a_locked_period_sums_its_stored_returns_only(folder):
    three_returns(folder)
    aggregate(folder)
    assert invoke("lock", "2024", "--why", "đã ký").exit_code == 0
    write_return(folder, "budang.xlsx", 99)  # changed after the lock
    (folder / "returns" / "budop.xlsx").unlink()  # and one file gone from the folder
    code, data = aggregate(folder)
    assert data["totals"]["MH_TONG"] == 36 and set(data["units"]) == {"BUDANG", "BUDOP", "DONGXOAI"}
    warned = [f for f in by_rule(data, "period_locked") if f["severity"] == "warning"]
    assert len(warned) == 1 and "budang.xlsx" in warned[0]["message"]
    assert warned[0]["unit"] == "BUDANG" and code == 0


def test_a_stored_return_keeps_its_problems_when_a_resubmission_is_refused(folder):
    three_returns(folder)
    grid = return_grid(consistent_values(10), unit="Huyện Bù Đăng")
    rows = grid["Biểu số liệu"]
    rows[find_row(rows, "VB_SO")][4] = "khoảng 30"
    write_xlsx(grid, folder / "returns" / "budang.xlsx")
    code, data = aggregate(folder)
    assert [f["value"] for f in by_rule(data, "not_a_number")] == ["khoảng 30"]
    write_return(folder, "budang.xlsx", 11)  # a new file, not accepted
    (folder / "returns" / "budang.xlsx").rename(folder / "returns" / "budang-moi.xlsx")
    # the stored version's own file is gone: the stored return is used, with its problem
    code, data = aggregate(folder)
    assert data["units"]["BUDANG"]["values"]["MH_TONG"] == 10
    [kept] = by_rule(data, "not_a_number")
    assert kept["unit"] == "BUDANG" and kept["value"] == "khoảng 30" and kept["status"] == "open"


# ------------------------------------------------------------------ the period asked for

def test_a_wrong_period_is_the_clerks_slip_with_nothing_written(folder, tmp_path):
    three_returns(folder)
    feedback = tmp_path / "phan-hoi"
    result = invoke("validate", folder / "returns", "--period", "2022", "--feedback", feedback)
    assert result.exit_code == 2
    assert "các biểu đều là năm 2024 — có phải --period 2024?" in said(result)
    assert "Traceback" not in result.output
    assert not feedback.exists()
    assert not (folder / "dvk.sqlite").exists()


def test_returns_of_several_other_periods_are_listed(folder):
    three_returns(folder)
    write_return(folder, "budang-2023.xlsx", 9, period="2023")
    result = invoke("aggregate", folder / "returns", "--period", "2022", "-o", folder / "out")
    assert result.exit_code == 2
    assert "năm 2023 (1 tệp), năm 2024 (3 tệp)" in said(result)
    assert not (folder / "out").exists()


def test_brackets_in_reasons_and_paths_print_as_written(folder, tmp_path):
    three_returns(folder)
    aggregate(folder)
    locked = invoke("lock", "2024", "--why", "[/red] số [bold]45")
    assert locked.exit_code == 0, locked.output
    opened = invoke("unlock", "2024", "--why", "[/] gửi lại")
    assert opened.exit_code == 0 and "lý do: [/] gửi lại" in said(opened)
    listed = invoke("history", "BUDANG")
    assert listed.exit_code == 0 and "Traceback" not in listed.output
    assert "[/red] số [bold]45" in said(listed) and "[/] gửi lại" in said(listed)
    odd = tmp_path / "x[" / "y]"
    odd.mkdir(parents=True)
    missing = invoke("validate", odd)
    assert missing.exit_code == 2 and "x[/y]" in said(missing)  # the path as written
