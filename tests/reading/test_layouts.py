"""Returns dvk did not make: rows without codes, wide tables, units of
measure, mapping files, catalog extensions (issue 3)."""

from __future__ import annotations

import openpyxl
import pytest
from helpers import THREE_UNITS, write_config, write_xlsx
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.catalog import catalog_for, default_catalog
from dvk_cli.core.config import load_config
from dvk_cli.pipeline import run
from dvk_cli.reading.labels import LabelIndex, label_key

CAT = default_catalog()
runner = CliRunner()


def findings_of(result, rule):
    return [f for f in result.findings if f.rule == rule]


# ------------------------------------------------------------ label matching

@pytest.mark.parametrize("written, code", [
    ("1. Tổng số mô hình “Dân vận khéo”", "MH_TONG"),
    ("a) Mô hình tập thể", "MH_TAPTHE"),
    ("- Lĩnh vực văn hoá - xã hội", "MH_VHXH"),          # hoá / hóa, '-' / '–'
    ("LĨNH VỰC QUỐC PHÒNG, AN NINH", "MH_QPAN"),          # case, comma for dash
    ("+ Nhà tình nghĩa – trị giá (triệu đồng)", "NHA_TN_TIEN"),
    ("II.  Số lượt   tiếp công dân", "TCD_LUOT"),         # spacing, roman STT
    ("Tổng số mô hình \u201cDân vận khéo\u201d".replace("ô", "o\u0302"), "MH_TONG"),  # NFD
])
def test_label_normalisation_matches_exactly_one(written, code):
    assert LabelIndex(CAT).match(written).code == code


def test_tone_mark_placement_and_no_fuzzy_match():
    assert label_key("thuỷ lợi, hoà bình") == label_key("thủy lợi – hòa bình")
    index = LabelIndex(CAT)
    # one letter off, or a missing word, is not a match: never fuzzy
    assert index.match("Tổng số mô hình Dân vận khéo mới xây").code is None
    assert index.match("Số lượt tiếp công dâ").code is None
    assert index.match("Lĩnh vực kinh tê").code is None


def _no_code_form(path, unit="Huyện Bù Đăng", money_unit="triệu đồng"):
    """A commune's own sheet: no Mã column, its own wording and order."""
    rows = [
        ["BÁO CÁO KẾT QUẢ CÔNG TÁC DÂN VẬN NĂM 2024", None, None, None],
        ["Đơn vị báo cáo:", unit, None, None],
        [None, None, None, None],
        ["STT", "Nội dung", "ĐVT", "Kết quả"],
        ["I", "CÔNG TÁC DÂN VẬN KHÉO", None, None],           # a heading, no value: ignored
        ["1", "Số mô hình “Dân vận khéo” xây dựng mới", "mô hình", 12],
        ["", "- Tập thể", "mô hình", 8],
        ["", "- Cá nhân", "mô hình", 4],
        ["2", "Mô hình, điển hình tiêu biểu", "mô hình", 2],
        ["II", "TIẾP CÔNG DÂN", None, None],
        ["1", "Số lượt tiếp dân", "lượt", "1.215"],
        ["2", "Nhà tình nghĩa", "căn", 2],
        ["3", "Nhà tình nghĩa – trị giá", money_unit, 160],
        ["4", "Chương trình lạ chưa có trong danh mục", "buổi", 7],   # unknown: finding
    ]
    return write_xlsx({"Sheet1": rows}, path)


def test_form_without_code_column_reads_by_label(tmp_path):
    write_config(tmp_path, THREE_UNITS)
    _no_code_form(tmp_path / "bu-dang.xlsx")
    result = run([tmp_path], period="2024")
    assert result.units and "BUDANG" in result.units
    t = result.totals
    assert (t["MH_TONG"], t["MH_TAPTHE"], t["MH_CANHAN"], t["MH_TIEUBIEU"]) == (12, 8, 4, 2)
    assert t["TCD_LUOT"] == 1215 and t["NHA_TN_SO"] == 2 and t["NHA_TN_TIEN"] == 160
    tidy = result.values.set_index("indicator")
    assert tidy.loc["MH_TONG", "how"] == "nhãn" and tidy.loc["MH_TONG", "cell"] == "D6"
    # the period came from the title, the unknown row became a finding naming it
    unknown = findings_of(result, "label_unknown")
    assert len(unknown) == 1 and "Chương trình lạ" in unknown[0].message
    assert unknown[0].cell == "D14" and unknown[0].file.endswith("bu-dang.xlsx")
    assert "TT_BUOI" not in t


def test_ambiguous_label_is_a_finding_not_a_guess(tmp_path):
    # the province adds an indicator whose synonym collides with an existing label
    write_config(tmp_path, THREE_UNITS)
    with open(tmp_path / "dvk.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[indicators]]\ncode = "TCD_TRUCTUYEN"\nlabel = "Tiếp công dân trực tuyến"\n'
                 'unit = "lượt"\ngroup = "chinh_quyen"\nsynonyms = ["Số lượt tiếp dân"]\n')
    _no_code_form(tmp_path / "bu-dang.xlsx")
    result = run([tmp_path], period="2024")
    amb = findings_of(result, "label_ambiguous")
    assert len(amb) == 1
    assert "TCD_LUOT" in amb[0].message and "TCD_TRUCTUYEN" in amb[0].message
    assert amb[0].cell == "D11"
    assert "TCD_LUOT" not in result.totals and "TCD_TRUCTUYEN" not in result.totals


# ------------------------------------------------------------ units of measure

@pytest.mark.parametrize("written, expected", [
    ("đồng", 0.16), ("nghìn đồng", 160), ("Tỷ đồng", 160_000), ("triệu đồng", 160_000),
])
def test_money_unit_conversion(tmp_path, written, expected):
    write_config(tmp_path, THREE_UNITS)
    typed = {"đồng": 160_000, "nghìn đồng": 160_000, "Tỷ đồng": 160, "triệu đồng": 160_000}[written]
    rows = [
        ["Đơn vị báo cáo", "Huyện Bù Đăng"], ["Kỳ báo cáo", "2024"], [],
        ["Mã", "Chỉ tiêu", "Đơn vị tính", "Số liệu"],
        ["NHA_TN_SO", "Nhà tình nghĩa – số căn", "căn", 2],
        ["NHA_TN_TIEN", "Nhà tình nghĩa – trị giá", written, typed],
        ["DUONG_GT_KM", "Đường giao thông nông thôn", "m", 1250],
    ]
    write_xlsx({"Biểu": rows}, tmp_path / "r.xlsx")
    result = run([tmp_path], period="2024")
    assert result.totals["NHA_TN_TIEN"] == pytest.approx(expected)
    assert result.totals["DUONG_GT_KM"] == pytest.approx(1.25)
    info = findings_of(result, "unit_converted")
    assert {f.indicator for f in info} == ({"DUONG_GT_KM"} if written == "triệu đồng"
                                          else {"NHA_TN_TIEN", "DUONG_GT_KM"})
    assert all(f.severity == "info" for f in info)
    note = result.values.set_index("indicator").loc["DUONG_GT_KM", "note"]
    assert "1.250 m" in note and "1,25 km" in note


def test_unknown_unit_of_measure_is_not_guessed(tmp_path):
    write_config(tmp_path, THREE_UNITS)
    rows = [["Đơn vị báo cáo", "Huyện Bù Đăng"], ["Kỳ báo cáo", "2024"], [],
            ["Mã", "Chỉ tiêu", "ĐVT", "Số liệu"], ["QUA_TIEN", "Quà", "USD", 500]]
    write_xlsx({"Biểu": rows}, tmp_path / "r.xlsx")
    result = run([tmp_path], period="2024")
    assert "QUA_TIEN" not in result.totals
    (f,) = findings_of(result, "unit_of_measure")
    assert f.severity == "error" and "USD" in f.message and f.cell == "D5"


# ------------------------------------------------------------ wide tables

def _wide(path, total_tn: float, title="BIỂU TỔNG HỢP CÔNG TÁC DÂN VẬN NĂM 2024"):
    """One row per commune; two header rows with merged group headers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp xã"
    ws["A1"] = title
    ws.append([])
    ws.append(["STT", "Xã, phường, thị trấn", "Mô hình “Dân vận khéo”", None, None,
               "Nhà tình nghĩa", None, "Số lượt tiếp công dân"])
    ws.append([None, None, "Tổng số", "Tập thể", "Cá nhân", "Số căn", "Trị giá (nghìn đồng)", None])
    for rng in ("A3:A4", "B3:B4", "C3:E3", "F3:G3", "H3:H4"):
        ws.merge_cells(rng)
    ws.append([1, "Thị trấn Đức Phong", 10, 6, 4, 1, 80_000, 120])
    ws.append([2, "Xã Đoàn Kết", 7, 5, 2, 0, 0, 95])
    ws.append([3, "Xã Minh Hưng", 5, 3, 2, 2, 150_000, 60])
    ws.append(["Tổng cộng", None, 22, 14, 8, 3, total_tn, 275])
    ws.merge_cells("A8:B8")
    wb.save(path)
    return path


COMMUNES = [("DUCPHONG", "Thị trấn Đức Phong", ["TT. Đức Phong"]),
            ("DOANKET", "Xã Đoàn Kết", []), ("MINHHUNG", "Xã Minh Hưng", [])]


@pytest.mark.parametrize("total_tn, mismatch", [(230_000, False), (250_000, True)])
def test_wide_table_two_row_header_and_total_row(tmp_path, total_tn, mismatch):
    write_config(tmp_path, COMMUNES, name="Ban Dân vận Huyện ủy Bù Đăng", code="BUDANG")
    _wide(tmp_path / "tong-hop-xa.xlsx", total_tn)
    result = run([tmp_path], period="2024")
    assert list(result.units) == ["DUCPHONG", "DOANKET", "MINHHUNG"]
    t = result.totals
    assert (t["MH_TONG"], t["MH_TAPTHE"], t["MH_CANHAN"]) == (22, 14, 8)
    assert t["NHA_TN_SO"] == 3 and t["NHA_TN_TIEN"] == 230  # nghìn đồng -> triệu đồng
    assert t["TCD_LUOT"] == 275
    # each unit has its own provenance (row), and the total row is not a unit
    tidy = result.values
    row = tidy[(tidy.unit == "DOANKET") & (tidy.indicator == "MH_TONG")].iloc[0]
    assert (row.cell, row.how, row.sheet) == ("C6", "bảng ngang", "Tổng hợp xã")
    assert len(result.sources) == 3 and all("dòng" in s.path for s in result.sources)
    wrong = findings_of(result, "wide_total_mismatch")
    if mismatch:
        assert len(wrong) == 1 and wrong[0].cell == "G8" and wrong[0].indicator == "NHA_TN_TIEN"
        assert "250" in wrong[0].message and "230" in wrong[0].message
    else:
        assert wrong == []
    assert not result.errors


MODEL_ROWS = [["STT", "Tên mô hình", "Lĩnh vực", "Loại", "Tiêu biểu", "Đơn vị, người thực hiện"],
              *([k, f"Mô hình số {k}", "Kinh tế", "Tập thể", None, "Hội Nông dân"]
                for k in range(1, 6))]


def _codes_without_header(values: dict[str, float]) -> list[list]:
    return [["Đơn vị báo cáo", "Huyện Bù Đăng"], ["Kỳ báo cáo", "Năm 2024"],
            *([k, CAT[code].label, code, CAT[code].unit, value]
              for k, (code, value) in enumerate(values.items(), start=1))]


@pytest.mark.parametrize("grid, rule, said", [
    # its headers over a first model ("Lĩnh vực" – "Kinh tế", "Loại" – "Tập thể") once
    # read as two indicator columns, and each model as a unit with no figure, no finding
    ({"Danh sách mô hình": MODEL_ROWS}, "no_indicator_codes", "chỉ có danh sách mô hình"),
    ({"Danh sách mô hình": MODEL_ROWS,
      "Số liệu": _codes_without_header({"MH_TONG": 5, "TT_BUOI": 3})},
     "no_value_column", "có mã chỉ tiêu nhưng không tìm thấy hàng tiêu đề"),
])
def test_a_models_list_is_never_read_as_a_wide_table(tmp_path, grid, rule, said):
    from dvk_cli.reading.dispatch import read_return

    data = read_return(write_xlsx(grid, tmp_path / "bu-dang.xlsx"), CAT)
    assert not data.readable and not data.parts and not data.values
    [finding] = data.findings
    assert (finding.rule, finding.severity) == (rule, "error") and said in finding.message


def test_a_wide_table_above_a_models_list_on_its_sheet_ends_where_the_list_begins(tmp_path):
    from dvk_cli.reading.dispatch import read_return

    path = _wide(tmp_path / "tong-hop-xa.xlsx", 230_000)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.append([])
    for row in MODEL_ROWS:
        ws.append(row)
    wb.save(path)
    data = read_return(path, CAT)
    assert data.readable and data.layout == "bảng ngang"
    assert [p.unit_text for p in data.parts] == ["Thị trấn Đức Phong", "Xã Đoàn Kết",
                                                  "Xã Minh Hưng"]
    assert not [f for f in data.findings if f.severity != "info"]


# ------------------------------------------------------------ mapping files

def _odd_layout(path):
    rows = [
        ["ỦY BAN MẶT TRẬN TỔ QUỐC"],
        ["Báo cáo nhanh", None, "Huyện Bù Đốp"],
        ["Thời gian", None, "Năm 2024"],
        [],
        ["Phần A", "mô hình mới", None, 31],
        ["Phần B", "người đến", None, 140],
        ["Phần C", "kinh phí nhà", None, 90_000],
    ]
    return write_xlsx({"BC nhanh": rows}, path)


def test_mapping_file_through_dvk_toml_and_inspect(tmp_path):
    write_config(tmp_path, THREE_UNITS)
    (tmp_path / "anh-xa").mkdir()
    (tmp_path / "anh-xa" / "budop.toml").write_text(
        'sheet = "BC nhanh"\nunit_cell = "C2"\nperiod_cell = "C3"\n'
        '[cells]\nMH_TONG = "D5"\nTCD_NGUOI = "D6"\n'
        'NHA_DDK_TIEN = { cell = "D7", unit = "nghìn đồng" }\n', encoding="utf-8")
    with open(tmp_path / "dvk.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[mappings]]\nfiles = "bao-cao-nhanh*.xlsx"\nmapping = "anh-xa/budop.toml"\n')
    _odd_layout(tmp_path / "bao-cao-nhanh-bu-dop.xlsx")
    result = run([tmp_path], period="2024")
    assert list(result.units) == ["BUDOP"]
    assert result.totals["MH_TONG"] == 31 and result.totals["TCD_NGUOI"] == 140
    assert result.totals["NHA_DDK_TIEN"] == 90
    assert set(result.values["how"]) == {"ánh xạ (budop.toml)"}

    out = runner.invoke(app, ["inspect", str(tmp_path / "bao-cao-nhanh-bu-dop.xlsx")],
                        terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "ánh xạ (budop.toml)" in out.output and "BUDOP – Huyện Bù Đốp" in out.output
    assert "D5" in out.output and "MH_TONG" in out.output and "90 triệu đồng" in out.output


def test_bad_mapping_is_a_usage_error(tmp_path):
    write_config(tmp_path, THREE_UNITS)
    (tmp_path / "m.toml").write_text('[cells]\nKHONG_CO = "D5"\n', encoding="utf-8")
    _odd_layout(tmp_path / "x.xlsx")
    out = runner.invoke(app, ["inspect", str(tmp_path / "x.xlsx"), "--mapping",
                              str(tmp_path / "m.toml")])
    assert out.exit_code == 2 and "KHONG_CO" in out.output and "Traceback" not in out.output


def test_inspect_shows_label_matches_and_wide_rows(tmp_path):
    write_config(tmp_path, COMMUNES)
    _wide(tmp_path / "w.xlsx", 230_000)
    out = runner.invoke(app, ["inspect", str(tmp_path / "w.xlsx")], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "bảng ngang" in out.output and "dòng 5" in out.output and "dòng 7" in out.output
    assert "DOANKET – Xã Đoàn Kết" in out.output
    _no_code_form(tmp_path / "n.xlsx", unit="Xã Đoàn Kết")
    out = runner.invoke(app, ["inspect", str(tmp_path / "n.xlsx"), "--json"])
    data = __import__("json").loads(out.output)
    hows = {v["indicator"]: v["how"] for v in data["returns"][0]["values"]}
    assert hows["MH_TONG"] == "nhãn" and data["layout"] == "biểu dọc"


# ------------------------------------------------------------ catalog extensions

EXTENSION = """
[catalog]
version = 2
retire = ["TCD_DOAN"]

[[indicators]]
code = "CHO_SO"
label = "Chợ dân sinh được xây mới, sửa chữa"
short = "Chợ dân sinh"
unit = "chợ"
type = "count"
group = "an_sinh"
synonyms = ["Chợ dân sinh"]
phrase = "xây mới, sửa chữa {CHO_SO} chợ dân sinh"
"""


def test_catalog_extension_flows_to_form_workbook_and_report(tmp_path, monkeypatch):
    from helpers import return_grid

    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, THREE_UNITS)
    with open(tmp_path / "dvk.toml", "a", encoding="utf-8") as fh:
        fh.write(EXTENSION)
    cat = catalog_for(load_config(tmp_path / "dvk.toml"))
    assert cat.version == 2 and "CHO_SO" in cat and "TCD_DOAN" not in cat
    assert "TCD_DOAN" in cat.retired

    # the form carries the new row and not the retired one
    out = runner.invoke(app, ["template", str(tmp_path / "forms"), "--unit", "all", "--period", "2024"])
    assert out.exit_code == 0, out.output
    form = openpyxl.load_workbook(tmp_path / "forms" / "budang-2024.xlsx")
    codes = {c.value for row in form["Biểu số liệu"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "CHO_SO" in codes and "TCD_DOAN" not in codes

    # an old form (default catalog, with TCD_DOAN) and one with the new indicator both read
    (tmp_path / "returns").mkdir()
    old = return_grid({"MH_TONG": 5, "TCD_DOAN": 2}, unit="Huyện Bù Đăng")
    write_xlsx(old, tmp_path / "returns" / "bu-dang.xlsx")
    new = return_grid({"MH_TONG": 3}, unit="Thành phố Đồng Xoài")
    new["Biểu số liệu"].append([99, "Chợ dân sinh", "CHO_SO", "chợ", 4, None])
    write_xlsx(new, tmp_path / "returns" / "dong-xoai.xlsx")
    out = runner.invoke(app, ["aggregate", str(tmp_path / "returns"), "--period", "2024"])
    assert out.exit_code == 0, out.output
    result = run([tmp_path / "returns"], period="2024")
    assert result.totals["CHO_SO"] == 4 and result.totals["MH_TONG"] == 8
    retired = findings_of(result, "retired_code")
    assert len(retired) == 1 and retired[0].severity == "info"

    wb = openpyxl.load_workbook(tmp_path / "tong-hop-2024.xlsx")
    texts = {c.value for row in wb["Tổng hợp"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "Chợ dân sinh được xây mới, sửa chữa" in texts
    report = (tmp_path / "bao-cao-2024.md").read_text(encoding="utf-8")
    assert "xây mới, sửa chữa 4 chợ dân sinh" in report
    assert "đoàn đông người" not in report


def test_bad_extension_is_a_clear_usage_error(tmp_path):
    write_config(tmp_path, THREE_UNITS)
    with open(tmp_path / "dvk.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[indicators]]\ncode = "MH_TONG"\nlabel = "x"\nunit = "y"\ngroup = "an_sinh"\n')
    write_xlsx({"S": [["Mã", "Số liệu"], ["MH_TONG", 1]]}, tmp_path / "r.xlsx")
    out = runner.invoke(app, ["validate", str(tmp_path), "--period", "2024"])
    assert out.exit_code == 2 and "MH_TONG đã có trong danh mục" in out.output
