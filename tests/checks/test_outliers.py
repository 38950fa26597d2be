"""Peer outliers and unit slips among the 11 units of one run."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import consistent_values, return_grid, write_config, write_xlsx
from typer.testing import CliRunner

from dvk_cli.checks.peers import OutlierSettings, flag_values
from dvk_cli.cli.app import app
from dvk_cli.core.catalog import default_catalog
from dvk_cli.pipeline import run

CAT = default_catalog()
ELEVEN = [
    ("DONGXOAI", "Thành phố Đồng Xoài", 1.6), ("BINHLONG", "Thị xã Bình Long", 0.8),
    ("PHUOCLONG", "Thị xã Phước Long", 0.7), ("CHONTHANH", "Thị xã Chơn Thành", 1.2),
    ("DONGPHU", "Huyện Đồng Phú", 1.1), ("BUDANG", "Huyện Bù Đăng", 1.5),
    ("BUGIAMAP", "Huyện Bù Gia Mập", 0.9), ("BUDOP", "Huyện Bù Đốp", 0.65),
    ("LOCNINH", "Huyện Lộc Ninh", 1.3), ("HONQUAN", "Huyện Hớn Quản", 1.0),
    ("PHURIENG", "Huyện Phú Riềng", 1.05),
]


def unit_values(size: float, **extra) -> dict:
    """Figures of a unit `size` times an average district, passing every rule."""
    values = consistent_values(round(100 * size), TT_BUOI=round(250 * size),
                               TT_LUOT=round(14000 * size), QUA_SO=round(4000 * size),
                               QUA_TIEN=round(2000 * size), VANDONG_TIEN=round(6500 * size),
                               DUONG_GT_KM=round(1.2 * size, 2))
    values.update(extra)
    return values


@pytest.fixture
def province(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, [(code, name, []) for code, name, _ in ELEVEN])
    (tmp_path / "returns").mkdir()
    return tmp_path


def write_units(folder, changes: dict[str, dict]) -> None:
    for code, name, size in ELEVEN:
        write_xlsx(return_grid(unit_values(size, **changes.get(code, {})), unit=name, code=code),
                   folder / "returns" / f"{code.lower()}.xlsx")


def test_eleven_consistent_units_have_no_outliers(province):
    write_units(province, {})
    result = run([province / "returns"], period="2024")
    assert result.findings == []


def test_a_thousandfold_money_slip_and_a_count_outlier(province):
    # Đồng Phú typed VANDONG_TIEN in nghìn đồng (7.150.000 for 7.150 triệu);
    # Bù Đốp typed 1.625 sessions (an extra digit: 162 expected).
    write_units(province, {"DONGPHU": {"VANDONG_TIEN": 7_150_000},
                           "BUDOP": {"TT_BUOI": 1625}})
    result = run([province / "returns"], period="2024")
    found = {(f.rule, f.unit, f.indicator): f for f in result.findings}
    assert set(found) == {("unit_slip", "DONGPHU", "VANDONG_TIEN"),
                          ("outlier_peer", "BUDOP", "TT_BUOI")}
    slip = found[("unit_slip", "DONGPHU", "VANDONG_TIEN")]
    assert slip.severity == "warning" and slip.sheet == "Biểu số liệu" and slip.cell.startswith("E")
    assert "ghi 7.150.000 triệu đồng" in slip.message
    assert "có thể đã ghi theo nghìn đồng thay vì triệu đồng" in slip.message
    assert "số đúng là 7.150 triệu đồng" in slip.message and "không tự sửa" in slip.message
    # suggested, never applied: the total still holds the figure as typed
    assert result.totals["VANDONG_TIEN"] == pytest.approx(
        sum(round(6500 * s) for c, _, s in ELEVEN if c != "DONGPHU") + 7_150_000)
    assert slip.brief == "có thể ghi theo nghìn đồng thay vì triệu đồng (số đúng có thể là 7.150)"
    assert slip.impact is not None and slip.impact > 0.9
    outlier = found[("outlier_peer", "BUDOP", "TT_BUOI")]
    assert outlier.severity == "warning" and outlier.impact is not None and outlier.impact > 0.2
    assert "ghi 1.625 buổi" in outlier.message and "mức dự kiến cho đơn vị" in outlier.message
    assert "mức trung vị của 10 đơn vị khác cùng nhóm “Địa phương”" in outlier.message
    assert outlier.brief.startswith("gấp khoảng ") and "mức dự kiến (khoảng " in outlier.brief


def test_slips_of_a_million_and_of_ty_dong(province):
    write_units(province, {"BUDANG": {"QUA_TIEN": 3_000_000_000},  # đồng
                           "HONQUAN": {"QUA_TIEN": 2}})  # tỷ đồng
    result = run([province / "returns"], period="2024")
    slips = {f.unit: f.message for f in result.findings if f.rule == "unit_slip"}
    assert set(slips) == {"BUDANG", "HONQUAN"}
    assert "theo đồng thay vì triệu đồng" in slips["BUDANG"]
    assert "số đúng là 3.000 triệu đồng" in slips["BUDANG"]
    assert "theo tỷ đồng" in slips["HONQUAN"] and "số đúng là 2.000 triệu đồng" in slips["HONQUAN"]
    # the value-per-gift rule sees the same slip from its own side
    assert any(f.rule == "QUA_GIA_CAO" and f.unit == "BUDANG" for f in result.findings)


def test_threshold_min_units_and_switch_from_dvk_toml(province):
    write_units(province, {"BUDOP": {"TT_BUOI": 1625}})
    config = province / "dvk.toml"
    base = config.read_text(encoding="utf-8")
    config.write_text(base + "\n[outliers]\nthreshold = 100\n", encoding="utf-8")
    assert [f for f in run([province / "returns"], period="2024").findings] == []
    config.write_text(base + "\n[outliers]\nmin_units = 12\n", encoding="utf-8")
    assert run([province / "returns"], period="2024").findings == []
    config.write_text(base + "\n[outliers]\nenabled = false\n", encoding="utf-8")
    assert run([province / "returns"], period="2024").findings == []
    config.write_text(base, encoding="utf-8")
    out = CliRunner().invoke(app, ["validate", "returns", "--strict"])
    assert out.exit_code == 1 and "Huyện Bù Đốp" in out.output


def test_fewer_than_five_units_are_not_compared():
    # VB_SO, TCD_LUOT and HS_NHAN alike everywhere: every unit of size 1
    table = pd.DataFrame({"TT_BUOI": [100.0, 120.0, 90.0, 5000.0], "VB_SO": 10.0,
                          "TCD_LUOT": 300.0, "HS_NHAN": 9000.0}, index=list("ABCD"))
    assert flag_values(table, CAT) == []
    table.loc["E"] = [110.0, 10.0, 300.0, 9000.0]
    flags = flag_values(table, CAT)
    assert [(f.unit, f.rule) for f in flags] == [("D", "outlier_peer")]
    # the median of the four others (100, 120, 90, 110), times size 1
    assert flags[0].expected.reference == 105.0 and flags[0].expected.scale == 1.0


def test_settings_default():
    assert OutlierSettings() == OutlierSettings(3.5, 5, 3.0, True, 0.01)


def test_medians_of_others_equal_the_median_without_each_value():
    """The O(n log n) leave-one-out medians against pandas, with ties, odd and even n."""
    import numpy as np
    import pandas as pd

    from dvk_cli.checks.peers import medians_of_others

    rng = np.random.default_rng(7)
    for n in range(2, 30):
        for values in (rng.integers(1, 6, n).astype(float), rng.random(n) * 1000):
            s = pd.Series(values)
            expected = [s.drop(i).median() for i in range(n)]
            assert np.allclose(medians_of_others(values), expected)
