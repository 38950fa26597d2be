"""The command line end to end: exit codes, JSON, outputs, no tracebacks."""

from __future__ import annotations

import json

import openpyxl
import pytest
from helpers import THREE_UNITS, consistent_values, loaded_by, return_grid, write_config, write_xlsx
from typer.testing import CliRunner

from dvk_cli.cli.app import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_help_does_not_import_heavy_libraries():
    code = "from dvk_cli.cli.app import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    heavy, printed = loaded_by(code, ("pandas", "openpyxl", "python_calamine", "babel", "jinja2"))
    assert heavy == []
    assert "aggregate" in printed


def test_aggregate_writes_outputs_and_json(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10, DON_NHAN=20, DON_GQ=18)), r / "a.xlsx")
    write_xlsx(return_grid(consistent_values(6, DON_NHAN=30, DON_GQ=15), unit="H. Bù Đốp"), r / "b.xlsx")
    result = invoke("aggregate", r, "--period", "2024", "--out", folder / "out", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing but JSON on stdout
    assert data["period"] == "2024" and data["period_label"] == "năm 2024"
    assert data["totals"]["MH_TONG"] == 16
    assert data["totals"]["DON_TYLE"] == pytest.approx(66.0)  # 33/50, not (90+50)
    assert "QUA_SO" not in data["totals"]
    assert data["units"]["BUDANG"]["values"]["MH_TONG"] == 10
    assert data["units"]["BUDANG"]["name"] == "Huyện Bù Đăng"
    assert data["missing"] == ["DONGXOAI"]
    assert data["findings"] == []
    assert (folder / "out" / "tong-hop-2024.xlsx").is_file()
    assert (folder / "out" / "bao-cao-2024.md").is_file()
    wb = openpyxl.load_workbook(folder / "out" / "tong-hop-2024.xlsx")
    # one period on record: no comparison sheet, no "Xu hướng" (issue 15)
    assert wb.sheetnames == ["Tổng hợp", "Theo đơn vị", "Danh sách mô hình", "Kiểm tra", "Nguồn",
                             "Biểu tổng hợp"]


def test_data_errors_exit_1_and_still_write(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10, VB_SO="năm")), r / "a.xlsx")
    (r / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = invoke("aggregate", r, "--period", "2024", "--out", folder)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (folder / "tong-hop-2024.xlsx").is_file()
    wb = openpyxl.load_workbook(folder / "tong-hop-2024.xlsx")
    text = " ".join(str(c.value) for row in wb["Kiểm tra"].iter_rows() for c in row if c.value)
    assert "hong.xlsx" in text and "năm" in text


def test_warnings_exit_0_unless_strict(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10, MH_KT=50)), r / "a.xlsx")
    assert invoke("validate", r, "--period", "2024").exit_code == 0
    strict = invoke("validate", r, "--period", "2024", "--strict")
    assert strict.exit_code == 1
    assert "Tổng số mô hình" in strict.output


def test_validate_json_findings_carry_location(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10, TCD_LUOT="1,2,3")), r / "a.xlsx")
    result = invoke("validate", r, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    (finding,) = [f for f in data["findings"] if f["severity"] == "error"]
    assert finding["rule"] == "not_a_number"
    assert finding["file"].endswith("a.xlsx") and finding["sheet"] == "Biểu số liệu"
    assert finding["cell"].startswith("E") and finding["indicator"] == "TCD_LUOT"
    assert finding["unit"] == "BUDANG"


@pytest.mark.parametrize(
    "args,needle",
    [
        (["aggregate", "khong-ton-tai", "--period", "2024"], "Không tìm thấy"),
        (["aggregate", "returns", "--period", "năm ngoái"], "không hợp lệ"),
        (["validate", "returns", "--period", "2024"], "Không tìm thấy biểu"),
        (["aggregate", "returns", "--config", "khong.toml"], "cấu hình"),
    ],
)
def test_usage_errors_exit_2_in_vietnamese(folder, args, needle):
    result = invoke(*args)
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output


def test_broken_config_exit_2(folder):
    (folder / "dvk.toml").write_text("[organization\nname = 1", encoding="utf-8")
    write_xlsx(return_grid(consistent_values()), folder / "returns" / "a.xlsx")
    result = invoke("validate", folder / "returns")
    assert result.exit_code == 2
    assert "TOML" in result.output


def test_init_and_template_all(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "lam-viec")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lam-viec" / "dvk.toml").is_file()
    assert (tmp_path / "lam-viec" / "returns").is_dir()
    assert invoke("init", "lam-viec").exit_code == 2  # never overwrites
    write_config(tmp_path / "lam-viec", THREE_UNITS)
    result = invoke("template", tmp_path / "lam-viec" / "bieu", "--unit", "all", "--period", "2024-H1")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "lam-viec" / "bieu").glob("*.xlsx"))
    assert len(files) == 3
    single = invoke("template", tmp_path / "mau.xlsx")
    assert single.exit_code == 0 and (tmp_path / "mau.xlsx").is_file()


def test_filled_templates_round_trip(tmp_path, monkeypatch):
    """Forms written by `dvk template`, filled in by units, read back by `dvk aggregate`."""
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, THREE_UNITS)
    assert invoke("template", tmp_path / "bieu", "--unit", "all", "--period", "2024").exit_code == 0
    for i, path in enumerate(sorted((tmp_path / "bieu").glob("*.xlsx"))):
        wb = openpyxl.load_workbook(path)
        ws = wb["Biểu số liệu"]
        code_col = value_col = None
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == "Mã":
                    code_col = cell.column
                if cell.value == "Số liệu":
                    value_col = cell.column
        for row in ws.iter_rows():
            code = row[code_col - 1].value
            if code in ("MH_TONG", "MH_TAPTHE"):
                ws.cell(row[0].row, value_col, 10 * (i + 1))
        wb.save(path)
    result = invoke("aggregate", tmp_path / "bieu", "--json", "--out", tmp_path)
    data = json.loads(result.stdout)
    assert data["totals"]["MH_TONG"] == 60
    assert sorted(data["units"]) == ["BUDANG", "BUDOP", "DONGXOAI"]
    assert data["period"] == "2024"


def test_rollup_of_two_provinces(tmp_path, monkeypatch):
    """Biểu tổng hợp of two provinces read one level up as returns."""
    monkeypatch.chdir(tmp_path)
    for prov, code, n in (("Tỉnh A", "TINHA", 10), ("Tỉnh B", "TINHB", 20)):
        folder = tmp_path / code
        (folder / "returns").mkdir(parents=True)
        write_config(folder, THREE_UNITS, name=f"Ban Dân vận Tỉnh ủy {prov}", code=code)
        write_xlsx(return_grid(consistent_values(n, DON_NHAN=10, DON_GQ=9)),
                   folder / "returns" / "a.xlsx")
        write_xlsx(return_grid(consistent_values(n + 2, DON_NHAN=40, DON_GQ=20), unit="H. Bù Đốp"),
                   folder / "returns" / "b.xlsx")
        result = invoke("aggregate", folder / "returns", "--period", "2024", "--out", folder)
        assert result.exit_code == 0, result.output
    upper = tmp_path / "trung-uong"
    upper.mkdir()
    (upper / "dvk.toml").write_text(
        '[organization]\nname = "Ban Dân vận Trung ương"\narea = "toàn quốc"\n\n'
        '[[units]]\ncode = "TINHA"\nname = "Ban Dân vận Tỉnh ủy Tỉnh A"\n\n'
        '[[units]]\ncode = "TINHB"\nname = "Ban Dân vận Tỉnh ủy Tỉnh B"\n', encoding="utf-8")
    result = invoke("aggregate", tmp_path / "TINHA" / "tong-hop-2024.xlsx",
                    tmp_path / "TINHB" / "tong-hop-2024.xlsx", "--config", upper / "dvk.toml",
                    "--out", upper, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(data["units"]) == ["TINHA", "TINHB"]
    assert data["totals"]["MH_TONG"] == (10 + 12) + (20 + 22)
    assert data["units"]["TINHA"]["values"]["MH_TONG"] == 22
    assert data["totals"]["DON_NHAN"] == 100 and data["totals"]["DON_GQ"] == 58
    assert data["totals"]["DON_TYLE"] == pytest.approx(58.0)
    assert data["findings"] == []


def test_version():
    from dvk_cli import __version__

    out = invoke("--version")
    assert out.exit_code == 0 and out.output.strip() == f"dvk {__version__}"


def test_a_unit_that_sent_two_returns_is_not_called_missing(folder):
    """Duplicate returns: the unit sent something, so it is 'cần sửa', not
    'chưa nộp'; the duplicate finding is listed once; the report asks the
    unit to resend instead of saying it did not report."""
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(3)), r / "bd.xlsx")
    write_xlsx(return_grid(consistent_values(5), unit="TP. Đồng Xoài"), r / "dx1.xlsx")
    write_xlsx(return_grid(consistent_values(7), unit="Thành phố Đồng Xoài"), r / "dx2.xlsx")
    out = runner.invoke(app, ["validate", "returns", "--period", "2024", "--no-store"],
                        env={"COLUMNS": "300"})
    assert out.exit_code == 1
    row = next(line for line in out.output.splitlines() if "Thành phố Đồng Xoài" in line
               and "dx1.xlsx" in line)
    assert "│   1 │" in row and "chưa tổng hợp (cần sửa)" in row and "chưa nộp" not in row
    assert out.output.count("Đơn vị Thành phố Đồng Xoài có 2") == 1
    assert "1 đơn vị chưa nộp" in out.output  # Bù Đốp sent nothing
    data = json.loads(invoke("validate", "returns", "--period", "2024", "--json",
                             "--no-store").stdout)
    assert data["held"] == ["DONGXOAI"] and data["missing"] == ["BUDOP"]
    invoke("aggregate", "returns", "--period", "2024", "--no-store")
    report = (folder / "bao-cao-2024.md").read_text(encoding="utf-8")
    assert "tổng hợp báo cáo của 1/3 đơn vị" in report
    assert "Báo cáo của Thành phố Đồng Xoài chưa được tổng hợp vì có lỗi" in report
    assert "chưa nộp báo cáo (1): Huyện Bù Đốp" in report
