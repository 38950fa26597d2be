"""The command line speaks Vietnamese: help, usage errors, `dvk` alone; -C;
output to a pipe is not wrapped; `dvk template` keeps existing forms."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys

import pytest
from helpers import THREE_UNITS, copy_sample, invoke, said, write_config

ENGLISH = ("Show this message", "Missing argument", "No such command", "Did you mean", "[required]",
           "[default:", "Usage:", "Options:", "Arguments:", "Commands:", "Error:", "Invalid value",
           "Try '", "for help", "<list[", "<path>", "<str>", "{inputs}", "{period}", "[OPTIONS]",
           "COMMAND", "Missing option", "No such option", "requires an argument")

COMMANDS = ("init", "template", "validate", "aggregate", "report", "inspect", "history", "diff",
            "lock", "unlock", "accept", "unaccept", "baseline", "trend")


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_vietnamese_with_examples(command):
    result = invoke(*([command] if command else []), "--help")
    assert result.exit_code == 0, result.output
    assert english_in(result.output) == []
    assert "Cách dùng: dvk" in result.output
    assert "Tùy chọn:" in result.output and "In hướng dẫn này rồi thoát." in result.output
    assert "Ví dụ:" in result.output
    if command == "aggregate":
        assert "Cách dùng: dvk aggregate [TÙY_CHỌN] TỆP..." in result.output
        assert "Đối số:" in result.output and "[bắt buộc]" in said(result)
        assert "-p, --period KỲ" in result.output and "[mặc định: .]" in result.output
    if command == "template":
        assert "--unit MÃ" in result.output
    if command is None:
        assert "-C THƯ_MỤC" in result.output and "Lệnh:" in result.output


@pytest.mark.parametrize(
    "args,needle",
    [
        (["aggregate"], "Thiếu đối số 'TỆP...'"),
        (["agregate"], "Không có lệnh 'agregate'. Có phải ý bạn là 'aggregate'?"),
        (["aggregate", "x", "--period"], "Tùy chọn '--period' cần một giá trị."),
        (["aggregate", "x", "--bogus"], "Không có tùy chọn --bogus."),
        (["diff", "BUDANG"], "Thiếu tùy chọn '--period'"),
        (["lock"], "Thiếu đối số 'KỲ'"),
        (["trend", "A", "B"], "Thừa đối số: B."),
    ],
)
def test_usage_errors_are_vietnamese_exit_2(args, needle):
    result = invoke(*args)
    assert result.exit_code == 2
    assert needle in said(result)
    assert "Lỗi:" in result.output
    assert english_in(result.output) == []


def test_usage_error_shows_usage_and_help_hint():
    result = invoke("aggregate")
    assert "Cách dùng: dvk aggregate [TÙY_CHỌN] TỆP..." in result.output
    assert "Xem 'dvk aggregate --help' để biết cách dùng." in result.output


def test_dvk_alone_shows_the_period_workflow():
    result = invoke()
    assert result.exit_code == 0, result.output
    steps = [line for line in result.output.splitlines() if re.match(r"\d\. dvk ", line)]
    assert len(steps) == 5
    for step, command in zip(steps, ("init", "template", "validate", "aggregate", "lock"),
                             strict=True):
        assert f" {command} " in step
    assert str(datetime.date.today().year) in result.output
    assert english_in(result.output) == []


def test_dash_c_runs_store_commands_from_the_parent(tmp_path, monkeypatch):
    copy_sample(tmp_path / "tinh")
    monkeypatch.chdir(tmp_path)
    assert invoke("-C", "tinh", "aggregate", "2024", "--period", "2024", "--out",
                  "ket-qua").exit_code in (0, 1)
    assert (tmp_path / "tinh" / "ket-qua").is_dir()  # paths are read from the -C folder
    monkeypatch.chdir(tmp_path)
    result = invoke("-C", "tinh", "history", "--json")
    assert result.exit_code == 0, result.output
    assert '"submissions"' in result.stdout
    monkeypatch.chdir(tmp_path)
    assert "Không tìm thấy dvk.toml" in said(invoke("history"))  # none here


def test_dash_c_missing_folder_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("-C", "khong-co", "history")
    assert result.exit_code == 2
    assert "Không có thư mục “khong-co”" in said(result)


def test_init_next_step_works_from_where_it_was_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    year = datetime.date.today().year
    text = said(invoke("init", "lam-viec"))
    assert f"dvk -C lam-viec template bieu-mau --unit all --period {year}" in text
    assert "lam-viec/dvk.toml" in text
    monkeypatch.chdir(tmp_path)
    text = said(invoke("-C", "lam-viec", "init", "con"))
    assert f"dvk -C lam-viec/con template bieu-mau --unit all --period {year}" in text
    (tmp_path / "o-day").mkdir()
    monkeypatch.chdir(tmp_path / "o-day")
    text = said(invoke("init"))
    assert f"rồi chạy dvk template bieu-mau --unit all --period {year}" in text


def test_piped_output_is_not_wrapped(tmp_path):
    long_name = "thu-muc-co-ten-rat-dai-" * 6
    proc = subprocess.run([sys.executable, "-m", "dvk_cli", "init", str(tmp_path / long_name)],
                          capture_output=True, text=True, env={"PATH": "", "PYTHONUTF8": "1"})
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("Bước tiếp theo"))
    assert line.rstrip().endswith(".") and len(line) > 200
    assert "template bieu-mau --unit all" in line


def test_template_keeps_existing_forms_unless_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, THREE_UNITS)
    assert invoke("template", "bieu", "--unit", "all", "--period", "2024").exit_code == 0
    form = tmp_path / "bieu" / "budang-2024.xlsx"
    form.write_bytes(b"da dien")  # a unit filled it in
    result = invoke("template", "bieu", "--unit", "all", "--period", "2024")
    assert result.exit_code == 0, result.output
    assert form.read_bytes() == b"da dien"
    assert "Giữ nguyên 3 tệp đã có" in said(result) and "--force" in said(result)
    assert "budang-2024.xlsx" in result.output
    (tmp_path / "bieu" / "budop-2024.xlsx").unlink()
    result = invoke("template", "bieu", "--unit", "all", "--period", "2024")
    assert "Đã tạo 1 biểu mẫu" in said(result) and "Giữ nguyên 2 tệp" in said(result)
    assert (tmp_path / "bieu" / "budop-2024.xlsx").is_file()
    result = invoke("template", "bieu", "--unit", "all", "--period", "2024", "--force")
    assert result.exit_code == 0, result.output
    assert form.read_bytes()[:2] == b"PK"  # a fresh form again
    assert "ghi đè" in said(result)


def test_template_single_file_kept_unless_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("template", "mau.xlsx").exit_code == 0
    (tmp_path / "mau.xlsx").write_bytes(b"x")
    result = invoke("template", "mau.xlsx")
    assert result.exit_code == 0 and (tmp_path / "mau.xlsx").read_bytes() == b"x"
    assert "Giữ nguyên 1 tệp đã có" in said(result)
    assert invoke("template", "mau.xlsx", "--force").exit_code == 0
    assert (tmp_path / "mau.xlsx").read_bytes()[:2] == b"PK"


def test_report_prints_only_what_it_wrote_not_the_totals_table(sample_copy):
    """dvk report writes a report, not a workbook: no 40-row totals table on
    the terminal; what it wrote and the verdict are said (issue 15, item 8)."""
    from helpers import invoke, said

    result = invoke("report", "2024", "--period", "2024", "--format", "md", "--out", "ra")
    assert result.exit_code == 0, result.output
    text = said(result)
    assert "Đã ghi" in text and "bao-cao-2024.md" in text
    assert "Tổng hợp năm 2024 —" not in text and "Tổng cộng" not in text
    aggregate = said(invoke("aggregate", "2024", "--period", "2024", "--out", "ra2"))
    assert "Tổng hợp năm 2024 —" in aggregate  # aggregate keeps its table
