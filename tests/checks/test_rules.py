"""Rules as data: operators, factors, conditions and missing-value strategies,
evaluated on built workbooks; dvk.toml adding, redefining and demoting rules."""

from __future__ import annotations

import json

import pytest
from helpers import THREE_UNITS, consistent_values, return_grid, write_config, write_xlsx
from typer.testing import CliRunner

from dvk_cli.checks.per_unit import RuleSyntaxError, check_rule, evaluate_side, parse_side
from dvk_cli.checks.rules import configure_checks, validate_check
from dvk_cli.cli.app import app
from dvk_cli.core.catalog import Check, default_catalog
from dvk_cli.core.config import ConfigError
from dvk_cli.pipeline import run

CAT = default_catalog()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "returns").mkdir()
    return tmp_path


def configure(folder, rules_toml: str):
    config = write_config(folder, THREE_UNITS)
    config.write_text(config.read_text(encoding="utf-8") + "\n" + rules_toml, encoding="utf-8")
    return config


def rule_findings(result, rule):
    return [f for f in result.findings if f.rule == rule]


# ------------------------------------------------------------------ expressions

def test_sides_with_factors_and_constants():
    assert parse_side("10 * TCD_LUOT") == ((10.0, "TCD_LUOT"),)
    assert parse_side("A_B*2.5 - 3 + C_D") == ((2.5, "A_B"), (-3.0, None), (1.0, "C_D"))
    assert evaluate_side("0.5 * A_B + C_D - 1", {"A_B": 10, "C_D": 4}) == 8.0
    for bad in ("A_B ++ C_D", "A_B * C_D", "2 A_B", "a_b", "A_B / 2", ""):
        with pytest.raises(RuleSyntaxError):
            parse_side(bad)


@pytest.mark.parametrize("missing,values,expected", [
    # skip_any: any missing code of a side skips the rule
    ("skip_any", {"T_A": 10, "P_A": 4}, None),
    ("skip_any", {"T_A": 10, "P_A": 4, "P_B": 5}, (10.0, 9.0)),
    # skip_all: a side is skipped only when all its codes are missing; others count as 0
    ("skip_all", {"T_A": 10, "P_A": 4}, (10.0, 4.0)),
    ("skip_all", {"T_A": 10}, None),
    ("skip_all", {"P_A": 4, "P_B": 5}, None),
    # zero: never skipped
    ("zero", {"T_A": 10}, (10.0, 0.0)),
    ("zero", {"P_A": 4, "P_B": 5}, (0.0, 9.0)),
    ("zero", {}, None),  # 0 == 0 holds
])
def test_missing_value_strategies(missing, values, expected):
    check = Check("R", "warning", "T_A == P_A + P_B", "{left} {right}", missing=missing)
    assert check_rule(check, values) == expected


@pytest.mark.parametrize("expr,holds", [
    ("X_A == 5", True), ("X_A != 5", False), ("X_A <= 4", False), ("X_A >= 5", True),
    ("X_A < 6", True), ("X_A > 5", False), ("X_A <= 2 * X_B + 1", True), ("X_A < 2 * X_B", False),
])
def test_operators(expr, holds):
    result = check_rule(Check("R", "warning", expr, "m"), {"X_A": 5, "X_B": 2})
    assert (result is None) == holds


def test_default_checks_are_valid_and_include_the_officers_rules():
    ids = {c.id for c in CAT.checks}
    assert {"MH_LOAI", "MH_LINHVUC", "MH_TIEUBIEU", "HS_DUNGHAN", "DON_GQ", "TCD_NGUOI",
            "NHA_DDK_GIA_CAO", "NHA_DDK_GIA_THAP", "NHA_TN_TIEN"} <= ids
    for check in CAT.checks:
        validate_check(check, CAT)
    strategies = {c.missing for c in CAT.checks}
    assert strategies == {"skip_any", "skip_all", "zero"}


# ------------------------------------------------------------------ on built workbooks

@pytest.mark.parametrize("extra,rule,expected", [
    # the default rules of spec §1 and the added ones, each failing once
    (dict(DON_GQ=25), "DON_GQ", "Đơn thư đã giải quyết (25) nhiều hơn đơn thư tiếp nhận (20)"),
    (dict(TCD_NGUOI=1001), "TCD_NGUOI", "Số người được tiếp (1.001) nhiều hơn 10 người cho mỗi "
                                        "lượt tiếp công dân (100 lượt)"),
    (dict(TCD_NGUOI=1000), "TCD_NGUOI", None),
    (dict(NHA_DDK_TIEN=100_000), "NHA_DDK_GIA_CAO", "100.000 triệu đồng cho 2 căn"),
    (dict(NHA_DDK_TIEN=0.1), "NHA_DDK_GIA_THAP", "0,1 triệu đồng cho 2 căn"),
    (dict(HS_DUNGHAN=201), "HS_DUNGHAN", "(201) nhiều hơn hồ sơ tiếp nhận (200)"),
    (dict(TT_BUOI=30, TT_LUOT=12), "TT_LUOT", "(12) ít hơn số buổi tuyên truyền (30)"),
])
def test_rule_failures_on_a_return(folder, extra, rule, expected):
    write_config(folder, THREE_UNITS)
    write_xlsx(return_grid(consistent_values(10, **extra)), folder / "returns" / "a.xlsx")
    found = rule_findings(run([folder / "returns"], period="2024"), rule)
    if expected is None:
        assert found == []
    else:
        (f,) = found
        assert expected in f.message
        assert f.severity == "warning" and f.unit == "BUDANG"
        assert f.sheet == "Biểu số liệu" and f.cell.startswith("E")


def test_missing_strategies_on_a_return(folder):
    """MH_LINHVUC is skip_all: blank fields count as 0 once one field is given;
    house values use zero: a value with a blank number of houses is reported."""
    write_config(folder, THREE_UNITS)
    r = folder / "returns"
    values = consistent_values(10)
    for code in ("MH_QPAN", "MH_XDHT"):
        values.pop(code)  # 7 + 1 = 8 of 10
    values.pop("NHA_DDK_SO")  # 100 triệu đồng, no houses given
    write_xlsx(return_grid(values), r / "a.xlsx")
    no_fields = consistent_values(10)
    for code in ("MH_KT", "MH_VHXH", "MH_QPAN", "MH_XDHT"):
        no_fields.pop(code)  # nothing by field: not checked
    write_xlsx(return_grid(no_fields, unit="H. Bù Đốp"), r / "b.xlsx")
    result = run([r], period="2024")
    (fields,) = rule_findings(result, "MH_LINHVUC")
    assert fields.unit == "BUDANG" and "(10) khác tổng theo 4 lĩnh vực (8)" in fields.message
    (house,) = rule_findings(result, "NHA_DDK_TIEN")
    assert house.unit == "BUDANG" and "100 triệu đồng" in house.message
    assert "số căn bằng 0 hoặc để trống" in house.message
    assert house.cell  # the value's cell, although the first code was blank
    assert rule_findings(result, "NHA_DDK_GIA_THAP") == []  # skip_any: needs both


def test_dvk_toml_adds_a_rule_and_demotes_one(folder):
    configure(folder, """
[[rules]]
id = "QUA_TOI_THIEU"
assert = "QUA_TIEN >= 0.1 * QUA_SO"
when = "QUA_SO > 0"
severity = "error"
message = "Quà tặng: {QUA_TIEN} triệu đồng cho {QUA_SO} phần, dưới 100.000 đồng một phần ({right})"

[[rules]]
id = "MH_LINHVUC"
severity = "off"

[[rules]]
id = "DON_GQ"
severity = "error"

[[rules]]
id = "outlier_peer"
severity = "off"
""")
    write_xlsx(return_grid(consistent_values(10, MH_KT=50, QUA_SO=500, QUA_TIEN=20, DON_GQ=21)),
               folder / "returns" / "a.xlsx")
    result = run([folder / "returns"], period="2024")
    (added,) = rule_findings(result, "QUA_TOI_THIEU")
    assert added.severity == "error"
    assert added.message == "Quà tặng: 20 triệu đồng cho 500 phần, dưới 100.000 đồng một phần (50)"
    assert rule_findings(result, "MH_LINHVUC") == []  # turned off
    assert [f.severity for f in rule_findings(result, "DON_GQ")] == ["error"]  # promoted
    assert {c.id for c in result.catalog.checks} >= {"QUA_TOI_THIEU", "MH_LOAI"}
    # the CLI: errors from rules exit 1, JSON carries them
    out = CliRunner().invoke(app, ["validate", str(folder / "returns"), "--json"])
    assert out.exit_code == 1
    assert {f["rule"] for f in json.loads(out.stdout)["findings"]} >= {"QUA_TOI_THIEU", "DON_GQ"}


def test_dvk_toml_demotes_an_error_rule_to_warning(folder):
    configure(folder, '[[rules]]\nid = "HS_DUNGHAN"\nseverity = "error"\n')
    write_xlsx(return_grid(consistent_values(10, HS_DUNGHAN=300)), folder / "returns" / "a.xlsx")
    runner = CliRunner()
    assert runner.invoke(app, ["validate", "returns"]).exit_code == 1
    configure(folder, '[[rules]]\nid = "HS_DUNGHAN"\nseverity = "warning"\n')
    assert runner.invoke(app, ["validate", "returns"]).exit_code == 0
    assert runner.invoke(app, ["validate", "returns", "--strict"]).exit_code == 1


@pytest.mark.parametrize("toml,needle", [
    ('[[rules]]\nid = "X_1"\nassert = "MH_TONG <= KHONG_CO"\nmessage = "m"\n', "KHONG_CO"),
    ('[[rules]]\nid = "X_1"\nassert = "MH_TONG <<= 3"\nmessage = "m"\n', "assert không hợp lệ"),
    ('[[rules]]\nid = "X_1"\nassert = "MH_TONG <= 3"\n', "thiếu message"),
    ('[[rules]]\nid = "X_1"\nassert = "MH_TONG <= 3"\nmessage = "{tong}"\n', "message"),
    ('[[rules]]\nid = "X_1"\nassert = "MH_TONG <= 3"\nmessage = "m"\nmissing = "never"\n', "missing"),
    ('[[rules]]\nid = "MH_LOAI"\nseverity = "fatal"\n', "severity"),
    ('[[rules]]\nid = "MH_LOAI"\nseverty = "error"\n', "khóa lạ"),
    ('[[rules]]\nid = "unit_slip"\nassert = "MH_TONG <= 3"\n', "chỉ đổi được severity"),
    ("[outliers]\nthreshold = 0\n", "threshold"),
    ('[limits]\nmax_cells = "nhiều"\n', "max_cells"),
])
def test_invalid_rules_are_configuration_errors(folder, toml, needle):
    configure(folder, toml)
    write_xlsx(return_grid(consistent_values(10)), folder / "returns" / "a.xlsx")
    with pytest.raises(ConfigError) as exc:
        run([folder / "returns"], period="2024")
    assert needle in str(exc.value)
    out = CliRunner().invoke(app, ["validate", "returns"])
    assert out.exit_code == 2 and "Traceback" not in out.output


def test_configure_checks_leaves_the_catalog_alone():
    changed = configure_checks(CAT, {"rules": [{"id": "MH_LOAI", "severity": "error"}]})
    assert next(c for c in changed.checks if c.id == "MH_LOAI").severity == "error"
    assert next(c for c in CAT.checks if c.id == "MH_LOAI").severity == "warning"
    assert configure_checks(CAT, {}) is CAT


@pytest.mark.parametrize("message", [
    "Quá nhiều: {left:>300000000}",  # a width that would take gigabytes
    "{left.__class__.__mro__}",  # an attribute: code in a message
    "{left[0]}",
    "{left!r}",
])
def test_a_rule_message_takes_plain_names_only(message):
    rule = {"id": "CHO_TOIDA", "assert": "VB_SO <= 50", "message": message}
    with pytest.raises(ConfigError, match="chỉ dùng tên trong ngoặc nhọn"):
        configure_checks(CAT, {"rules": [rule]})


def test_a_rule_message_with_names_and_literal_braces():
    rule = {"id": "CHO_TOIDA", "assert": "VB_SO <= 5", "message": "{{x}} {VB_SO} > {right}"}
    check = next(c for c in configure_checks(CAT, {"rules": [rule]}).checks if c.id == "CHO_TOIDA")
    from dvk_cli.checks.per_unit import format_message

    assert format_message(check, 7, 5, {"VB_SO": 7}) == "{x} 7 > 5"
