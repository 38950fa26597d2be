"""The pure parts of checks.marks, one row per case: which figures include a
suspect value, the few words of a mark, and the area's parts against its
wholes. Expected values are written out by hand."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import consistent_values

from dvk_cli.checks.marks import brief_of, dependents, finding_codes, part_mismatches
from dvk_cli.core.catalog import Indicator, default_catalog
from dvk_cli.core.findings import Finding
from dvk_cli.pipeline import check, configure, consolidate_stage, identify

CAT = default_catalog()


def with_nested(catalog=CAT):
    """The catalog plus a computed total of totals (houses and their value,
    in a made-up unit), so that a dependent of a dependent exists."""
    extra = Indicator("NHA_TONG2", "Nhà và trị giá", "Nhà+", "x", "count", "computed", "an_sinh",
                      formula="sum: NHA_SO + NHA_TIEN")
    return dataclasses.replace(catalog, indicators={**catalog.indicators, extra.code: extra})


@pytest.mark.parametrize("codes, expected", [
    ({"VB_SO"}, {"VB_SO"}),
    ({"NHA_DDK_TIEN"}, {"NHA_DDK_TIEN", "NHA_TIEN"}),
    ({"DON_GQ"}, {"DON_GQ", "DON_TYLE"}),
    ({"HS_NHAN", "NHA_TN_SO"}, {"HS_NHAN", "HS_TYLE", "NHA_TN_SO", "NHA_SO"}),
    (set(), set()),
])
def test_dependents(codes, expected):
    assert dependents(codes, CAT) == frozenset(expected)


def test_dependents_are_transitive():
    nested = with_nested()
    assert dependents({"NHA_DDK_SO"}, nested) == {"NHA_DDK_SO", "NHA_SO", "NHA_TONG2"}
    assert dependents({"NHA_TONG2"}, nested) == {"NHA_TONG2"}


@pytest.mark.parametrize("rule, indicator, expected", [
    ("MH_LOAI", "MH_TONG", {"MH_TONG", "MH_TAPTHE", "MH_CANHAN"}),
    ("unit_slip", "NHA_DDK_TIEN", {"NHA_DDK_TIEN", "NHA_TIEN"}),
    ("resubmission", "", set()),
    ("label_unknown", "KHONG_CO", set()),
])
def test_finding_codes(rule, indicator, expected):
    f = Finding("warning", rule, "…", unit="X", indicator=indicator)
    assert finding_codes(f, CAT) == frozenset(expected)


LONG = ("Tổng số mô hình ghi rất nhiều chữ để vượt quá chín mươi ký tự của một dấu cần kiểm tra "
        "trong câu báo cáo")


@pytest.mark.parametrize("brief, message, expected", [
    ("có thể ghi theo đồng", "Bất kỳ. Câu sau.", "có thể ghi theo đồng"),
    ("Ô E12 ghi “x”", "", "ô E12 ghi “x”"),
    ("", "Tổng số mô hình (95) khác tổng (90). Đề nghị kiểm tra.", "tổng số mô hình (95) khác tổng (90)"),
    ("", "Giá trị 1.271 triệu; xem lại", "giá trị 1.271 triệu"),
    ("", "Tỷ lệ 1.5 lần. Sau", "tỷ lệ 1.5 lần"),
    ("", "MH_TONG lớn hơn.", "MH_TONG lớn hơn"),
    ("", "Xong:", "xong"),
    ("", LONG, "t" + LONG[1:86] + "…"),
    ("", "TP. Đồng Xoài ghi sai. Sau", "TP. Đồng Xoài ghi sai"),
    ("", "Ghi “khoảng 30”. Sau", "ghi “khoảng 30”"),
    ("", "Ghi (30); sau", "ghi (30)"),
    ("", LONG[:90], LONG[:1].lower() + LONG[1:90]),
])
def test_brief_of(brief, message, expected):
    assert brief_of(Finding("warning", "r", message, brief=brief)) == expected


def consolidation(tmp_path, units: dict[str, dict]):
    """A consolidation of generated returns (no store), straight from the stages."""
    from helpers import THREE_UNITS, return_grid, write_config, write_xlsx

    write_config(tmp_path, THREE_UNITS)
    files = []
    for name, values in units.items():
        files.append(write_xlsx(return_grid(values, unit=name), tmp_path / f"{len(files)}.xlsx"))
    settings = configure([tmp_path], config_path=tmp_path / "dvk.toml")
    from dvk_cli.reading.parallel import read_all

    found = identify(read_all(files, settings.catalog, workers=1), settings.config)
    admitted = [(d, u) for d, u, _ in found.returns]
    tidy, models = check(admitted, found.returns[0][2], settings.catalog, found.findings)
    return consolidate_stage(tidy, models, admitted, found, found.returns[0][2], settings)


def test_a_whole_without_its_parts_breaks_the_areas_equalities(tmp_path):
    whole_only = {"MH_TONG": 7, "VB_SO": 3}
    c = consolidation(tmp_path, {"Huyện Bù Đăng": consistent_values(10),
                                 "H. Bù Đốp": whole_only})
    found = {m.check.id: m for m in part_mismatches(c)}
    assert set(found) == {"MH_LOAI", "MH_LINHVUC"}  # equalities only, not MH_TIEUBIEU's <=
    assert (found["MH_LOAI"].left, found["MH_LOAI"].right) == (17, 10)
    assert found["MH_LOAI"].units == ("BUDOP",)


def test_a_unit_breaking_the_rule_itself_is_told_by_its_own_finding(tmp_path):
    c = consolidation(tmp_path, {"Huyện Bù Đăng": consistent_values(10, MH_TONG=12, MH_KT=9),
                                 "H. Bù Đốp": consistent_values(6)})
    assert [f.rule for f in c.findings if f.unit] == ["MH_LOAI"]
    assert part_mismatches(c) == []  # its warning and mark say it, not an area mark


def test_complete_parts_give_nothing(tmp_path):
    c = consolidation(tmp_path, {"Huyện Bù Đăng": consistent_values(10),
                                 "H. Bù Đốp": consistent_values(6)})
    assert part_mismatches(c) == []
