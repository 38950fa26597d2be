"""The pure parts of checks.marks, one row per case: which figures include a
suspect value, the few words of a mark, and the area's parts against its
wholes. Expected values are written out by hand."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import consistent_values

from dvk_cli.checks.marks import (
    brief_of,
    dependents,
    finding_codes,
    marks_for,
    part_findings,
    part_mismatches,
)
from dvk_cli.core.catalog import Indicator, default_catalog
from dvk_cli.core.findings import Finding, Status
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
    for name, values in units.items():  # None: the file is already written
        path = tmp_path / f"{len(files)}.xlsx"
        files.append(path if values is None else write_xlsx(return_grid(values, unit=name), path))
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


def test_marks_are_numbered_and_name_the_unit_and_the_rejected_text(tmp_path):
    from helpers import find_row, return_grid

    kinds_off = consistent_values(10, MH_TONG=12, MH_KT=9)
    rejected = return_grid(consistent_values(6), unit="H. Bù Đốp")
    rows = rejected["Biểu số liệu"]
    rows[find_row(rows, "VB_SO")][4] = "khoảng 30"
    c = consolidation(tmp_path, {"Huyện Bù Đăng": kinds_off, "H. Bù Đốp": consistent_values(6),
                                 "TP. Đồng Xoài": {"MH_TONG": 4}})
    from helpers import write_xlsx

    marks = marks_for(c)
    assert [(m.number, m.unit, m.unit_name) for m in marks] == [
        (1, "BUDANG", "Huyện Bù Đăng"), (2, "", "toàn tỉnh")]
    first, area = marks.marks
    assert first.codes == {"MH_TONG", "MH_TAPTHE", "MH_CANHAN"}
    assert first.text == ("[CẦN KIỂM TRA: Huyện Bù Đăng – tổng số mô hình (12) khác tổng mô hình "
                          "tập thể và cá nhân (10)]")
    assert area.codes == {"MH_TONG", "MH_KT", "MH_VHXH", "MH_QPAN", "MH_XDHT"}
    assert area.brief.endswith("(Thành phố Đồng Xoài chưa báo cáo đủ các phần)")
    assert marks.on("MH_KT") == (area,) and marks.on("VB_SO") == ()
    assert marks.on_unit("BUDANG", "MH_CANHAN") == (first,) and marks.on_unit("BUDOP", "MH_TONG") == ()
    [info] = part_findings(c)
    assert info.severity == "info" and info.rule == "parts_total" and info.unit == ""
    assert "Thành phố Đồng Xoài báo cáo chưa đủ các phần" in info.message
    assert info.brief.endswith("(Thành phố Đồng Xoài chưa báo cáo đủ)")

    # a value not used leaves its total short: marked, with the text as written
    write_xlsx(rejected, tmp_path / "1.xlsx")
    c = consolidation(tmp_path, {"Huyện Bù Đăng": consistent_values(10), "H. Bù Đốp": None})
    marks = marks_for(c)
    assert [(m.unit, m.codes) for m in marks] == [("BUDOP", {"VB_SO"})]
    assert marks.rejected == {("BUDOP", "VB_SO"): "khoảng 30"}


def test_no_mark_for_infos_accepted_findings_or_files_not_used(tmp_path):
    c = consolidation(tmp_path, {"Huyện Bù Đăng": consistent_values(10, MH_TONG=12, MH_KT=9),
                                 "H. Bù Đốp": consistent_values(6)})
    [f] = [f for f in c.findings if f.unit]
    for changed in (dataclasses.replace(f, severity="info"),
                    dataclasses.replace(f, status=Status.ACCEPTED),
                    dataclasses.replace(f, file="khac.xlsx"),
                    dataclasses.replace(f, unit="BUDOP", file="")):
        c.findings = [changed]
        assert [m.unit for m in marks_for(c)] == (["BUDOP"] if changed.unit == "BUDOP" else [])
