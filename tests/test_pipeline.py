"""A whole run: identity of returns, periods, duplicates, checks, totals."""

from __future__ import annotations

import math
import unicodedata

import pytest
from helpers import consistent_values, return_grid, write_ods, write_xlsx

from dvk_cli.core.errors import UsageError
from dvk_cli.pipeline import run


def rules_of(result):
    return [f.rule for f in result.findings]


def test_units_matched_by_alias_nfd_code_and_file_name(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10), unit="H. Bù Đăng"), r / "1.xlsx")
    write_xlsx(return_grid(consistent_values(8), unit=unicodedata.normalize("NFD", "huyện  bù đốp")),
               r / "2.xlsx")
    write_ods(return_grid(consistent_values(6), unit=None, code=None, period=None), r / "dong-xoai-2024.ods")
    result = run([r], period="2024")
    assert list(result.units) == ["BUDANG", "BUDOP", "DONGXOAI"]  # registry order
    assert result.findings == []
    assert result.totals["MH_TONG"] == 24
    assert result.missing == []


def test_totals_absent_when_nobody_reported_and_ratio_recomputed(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10, DON_NHAN=10, DON_GQ=9)), r / "a.xlsx")
    write_xlsx(return_grid(consistent_values(10, DON_NHAN=190, DON_GQ=95), unit="TP. Đồng Xoài"),
               r / "b.xlsx")
    result = run([r], period="2024")
    assert "QUA_SO" not in result.totals  # nobody reported: absent, not 0
    # unit ratios 90% and 50%; the province ratio is 104/200, not 140 nor 70
    assert result.totals["DON_TYLE"] == pytest.approx(52.0)
    assert result.per_unit.loc["BUDANG", "DON_TYLE"] == pytest.approx(90.0)
    assert math.isnan(result.per_unit.loc["BUDANG", "QUA_SO"])
    assert [u.code for u in result.missing] == ["BUDOP"]


def test_seed_001_field_mismatch_warns_per_unit_and_keeps_totals(folder):
    # Nghệ An 6 tháng 2024: 4.494 models but fields add up to 4.503.
    r = folder / "returns"
    a = dict(MH_TONG=2494, MH_TAPTHE=2000, MH_CANHAN=494, MH_KT=700, MH_VHXH=1300, MH_QPAN=250,
             MH_XDHT=250)  # fields 2.500 ≠ 2.494
    b = dict(MH_TONG=2000, MH_TAPTHE=1729, MH_CANHAN=271, MH_KT=512, MH_VHXH=998, MH_QPAN=236,
             MH_XDHT=257)  # fields 2.003 ≠ 2.000
    write_xlsx(return_grid(a, period="6 tháng đầu năm 2024"), r / "a.xlsx")
    write_xlsx(return_grid(b, unit="Huyện Bù Đốp", period="2024-H1"), r / "b.xlsx")
    result = run([r])  # period taken from the returns
    assert result.period.code == "2024-H1"
    mismatch = [f for f in result.findings if f.rule == "MH_LINHVUC"]
    assert sorted(f.unit for f in mismatch) == ["BUDANG", "BUDOP"]
    assert all(f.severity == "warning" and f.cell and f.file for f in mismatch)
    assert result.totals["MH_TONG"] == 4494
    assert (result.totals["MH_KT"], result.totals["MH_VHXH"], result.totals["MH_QPAN"],
            result.totals["MH_XDHT"]) == (1212, 2298, 486, 507)
    assert result.totals["MH_TAPTHE"] == 3729 and result.totals["MH_CANHAN"] == 765
    assert not result.errors


def test_unknown_unit_period_mismatch_and_duplicates(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(), unit="Huyện Lạ"), r / "la.xlsx")
    write_xlsx(return_grid(consistent_values(), unit="Huyện Bù Đốp", period="2023"), r / "cu.xlsx")
    write_xlsx(return_grid(consistent_values(5), unit="TP. Đồng Xoài"), r / "dx1.xlsx")
    write_xlsx(return_grid(consistent_values(7), unit="Thành phố Đồng Xoài"), r / "dx2.xlsx")
    write_xlsx(return_grid(consistent_values(3)), r / "bd.xlsx")
    result = run([r], period="2024")
    rules = rules_of(result)
    assert rules.count("unit_unknown") == 1
    assert rules.count("period_mismatch") == 1
    assert rules.count("duplicate_return") == 2  # both reported, neither used
    assert list(result.units) == ["BUDANG"]
    assert result.totals["MH_TONG"] == 3
    # they sent something, with an error: held back, not "missing"
    assert sorted(u.code for u in result.held) == ["BUDOP", "DONGXOAI"]
    assert result.missing == [] and result.expected == 3
    status = {s.path.split("/")[-1]: s.status for s in result.sources}
    assert status["dx1.xlsx"] == status["dx2.xlsx"] == "trùng báo cáo"
    assert status["bd.xlsx"] == "dùng"
    unknown = next(f for f in result.findings if f.rule == "unit_unknown")
    assert "Huyện Lạ" in unknown.message and unknown.cell == "B2"


def test_mixed_periods_without_period_is_a_usage_error(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(), period="2023"), r / "a.xlsx")
    write_xlsx(return_grid(consistent_values(), unit="H. Bù Đốp", period="2024"), r / "b.xlsx")
    with pytest.raises(UsageError, match="nhiều kỳ"):
        run([r])


def test_bad_period_argument_and_missing_input(folder):
    with pytest.raises(UsageError, match="không hợp lệ"):
        run([folder / "returns"], period="2024-X")
    with pytest.raises(UsageError, match="Không tìm thấy"):
        run([folder / "khong-co"], period="2024")
    with pytest.raises(UsageError, match="Không tìm thấy biểu"):
        run([folder / "returns"], period="2024")


def test_no_config_units_from_returns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_xlsx(return_grid(consistent_values(4), unit="Xã An Bình", code="ANBINH"), tmp_path / "a.xlsx")
    write_xlsx(return_grid(consistent_values(6), unit="Xã Tân Lập", code=None), tmp_path / "b.xlsx")
    result = run([tmp_path], period="2024")
    assert sorted(result.units) == ["ANBINH", "TANLAP"]
    assert result.missing == []
    assert result.totals["MH_TONG"] == 10


def test_computed_row_typed_value(folder):
    r = folder / "returns"
    values = consistent_values(NHA_DDK_SO=2, NHA_DDK_TIEN=100, NHA_SO=9, DON_TYLE=90)
    write_xlsx(return_grid(values), r / "a.xlsx")
    result = run([r], period="2024")
    typed = [f for f in result.findings if f.rule == "computed_typed"]
    # NHA_SO typed 9 but parts give 2 -> warning; DON_TYLE typed 90 = 18/20 -> silent
    assert [f.indicator for f in typed] == ["NHA_SO"]
    assert result.totals["NHA_SO"] == 2


def test_parallel_and_serial_reads_agree(folder):
    from dvk_cli.core.catalog import default_catalog
    from dvk_cli.reading.dispatch import find_returns
    from dvk_cli.reading.parallel import read_all

    r = folder / "returns"
    for i in range(6):
        write_xlsx(return_grid(consistent_values(i + 3)), r / f"{i}.xlsx")
    files = find_returns([r])
    serial = read_all(files, default_catalog(), workers=1)
    parallel = read_all(files, default_catalog(), workers=2)
    assert [(d.path, [(v.code, v.value, v.cell) for v in d.values]) for d in serial] == \
           [(d.path, [(v.code, v.value, v.cell) for v in d.values]) for d in parallel]


# ------------------------------------------------------------------ the tidy table

def _tidy_the_plain_way(returns, period):
    """The tidy table as a frame of whole rows, every text column made a
    category afterwards: what TidyRows.frame must give."""
    import pandas as pd

    from dvk_cli.aggregation import TIDY_COLUMNS

    rows = [(unit, period, v.code, v.value, file, v.sheet, v.cell, v.how, v.note)
            for unit, file, values in returns for v in values]
    frame = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    for column in TIDY_COLUMNS:
        if column != "value":
            frame[column] = frame[column].astype("category")
    return frame


@pytest.mark.parametrize("seed", range(40))
def test_the_tidy_table_gathered_by_return_is_the_table_of_whole_rows(seed):
    """Returns without values (first, last, all of them), a unit or file that
    comes back, values int or not whole, notes empty or not: the same frame,
    dtypes and categories included."""
    import pickle
    import random

    import pandas as pd

    from dvk_cli.pipeline import TidyRows
    from dvk_cli.reading.returns import CellValue

    rng = random.Random(seed)
    returns = []
    for r in range(rng.choice([0, 1, 2, 5, 30])):
        values = [CellValue(rng.choice(["B_A", "A_B", "TT_BUOI", "Z"]),
                            rng.choice([rng.randint(0, 9), rng.uniform(0, 1e6), 0.1]),
                            rng.choice(["Biểu", "Sheet1"]), f"E{rng.randint(1, 40)}",
                            how=rng.choice(["mã", "nhãn"]), note=rng.choice(["", "", "nghìn đồng"]))
                  for _ in range(rng.choice([0, 0, 1, 3, 12]))]
        returns.append((rng.choice(["X02", "X01", "Xã Đông"]) if rng.random() < 0.3 else f"U{r}",
                        rng.choice(["/a/b.xlsx", f"/r/{r}.xlsx"]), values))
    tidy = TidyRows()
    for unit, file, values in returns:
        tidy.add(unit, file, values)
    got, expected = tidy.frame("2024-H1"), _tidy_the_plain_way(returns, "2024-H1")
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_categorical=True)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    for column in expected:  # down to the codes' dtype (the frames' blocks may be in another order)
        assert pickle.dumps(got[column], 5) == pickle.dumps(expected[column], 5)
    if len(got):
        assert pickle.dumps(got, 5) == pickle.dumps(expected, 5)
    tidy.clear()
    assert not (tidy.units or tidy.files or tidy.counts or tidy.rows)
