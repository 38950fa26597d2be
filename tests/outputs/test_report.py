"""The narrative report: catalog phrases, prose per group, the default
template and a user template, written from a consolidation of seed-000 figures
(Bình Phước 2024) split over units."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from dvk_cli.aggregation import MODEL_COLUMNS, TIDY_COLUMNS, Source, UnitInfo, consolidate
from dvk_cli.core.catalog import Group, Sentence, default_catalog
from dvk_cli.core.config import Organization
from dvk_cli.core.errors import UsageError
from dvk_cli.core.findings import Finding
from dvk_cli.core.periods import parse_period
from dvk_cli.core.units import Unit
from dvk_cli.outputs.report import (
    group_sentences,
    render_phrase,
    render_report,
    report_context,
    write_report,
)

CAT = default_catalog()

UNITS = {
    "DONGXOAI": UnitInfo("DONGXOAI", "Thành phố Đồng Xoài", "Địa phương", "r/dong-xoai.xlsx"),
    "BUDANG": UnitInfo("BUDANG", "Huyện Bù Đăng", "Địa phương", "r/bu-dang.xlsx"),
    "BCHQS": UnitInfo("BCHQS", "Bộ Chỉ huy Quân sự tỉnh", "Lực lượng vũ trang", "r/bchqs.xlsx"),
}
MISSING = [Unit("BUDOP", "Huyện Bù Đốp", "Địa phương"), Unit("LOCNINH", "Huyện Lộc Ninh")]

# Seed 000 totals split over three units. Nobody reports QUA_*, CAU_*, TT_*, HS_*,
# TCD_DOAN, VANDONG_TIEN, NHA_CTD_*, NHA_KHAC_*; MH_QPAN is reported as 0 by all.
SPLIT = {
    "DONGXOAI": dict(MH_TONG=600, MH_TAPTHE=400, MH_CANHAN=200, MH_KT=300, MH_VHXH=300,
                     MH_QPAN=0, MH_TIEUBIEU=8, VB_SO=40, TCD_LUOT=4000, TCD_NGUOI=2000,
                     DON_NHAN=120, DON_GQ=118, DUONG_DIEN_KM=20, DUONG_GT_KM=10.1),
    "BUDANG": dict(MH_TONG=615, MH_TAPTHE=415, MH_CANHAN=200, MH_KT=315, MH_VHXH=300,
                   MH_QPAN=0, MH_TIEUBIEU=8, TCD_LUOT=3257, TCD_NGUOI=1812, DON_NHAN=80,
                   DON_GQ=79, NHA_DDK_SO=5, NHA_DDK_TIEN=250, DUONG_DIEN_KM=13.5,
                   DUONG_GT_KM=5.05),
    "BCHQS": dict(NHA_TN_SO=19, NHA_TN_TIEN=1520, NHA_DD_SO=1, NHA_DD_TIEN=80, MH_QPAN=0),
}

EXEMPLARY = [
    ("DONGXOAI", "Tuyến đường hoa kiểu mẫu", True),
    ("BUDANG", "“Viên gạch nghĩa tình”", True),
    ("BUDANG", "Mô hình thường", False),
    ("BCHQS", "Đoàn kết quân dân, ấm tình xứ đạo", True),
]

WARNING = Finding("warning", "MH_TIEUBIEU", "Số mô hình tiêu biểu (9) lớn hơn tổng số mô hình (8)",
                  file="r/bu-dang.xlsx", sheet="Biểu số liệu", cell="E15", unit="BUDANG",
                  indicator="MH_TIEUBIEU")
ERROR = Finding("error", "not_a_number",
                "Số đoàn đông người (TCD_DOAN): “mười” không đọc được là số; giá trị không được dùng.",
                file="r/dong-xoai.xlsx", sheet="Biểu số liệu", cell="E20", unit="DONGXOAI",
                indicator="TCD_DOAN")


def tidy(split: dict) -> pd.DataFrame:
    rows = [
        (unit, "2024", code, float(value), UNITS[unit].file, "Biểu số liệu", f"E{i + 7}", "mã", "")
        for unit, values in split.items()
        for i, (code, value) in enumerate(values.items())
    ]
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def models_df(items) -> pd.DataFrame:
    rows = [
        (unit, str(i), name, "Kinh tế", "Tập thể", flag, "", "", UNITS[unit].file,
         "Danh sách mô hình", i + 1)
        for i, (unit, name, flag) in enumerate(items, start=1)
    ]
    df = pd.DataFrame(rows, columns=MODEL_COLUMNS)
    df["exemplary"] = df["exemplary"].astype(bool)
    return df


def build(split=SPLIT, models=EXEMPLARY, findings=(WARNING, ERROR), missing=MISSING,
          period="2024", organization=None, registry=True):
    units = {code: UNITS[code] for code in split}
    # the registry holds the units that reported and those that did not
    registry = ([Unit(code=u.code, name=u.name) for u in units.values()] + list(missing)
                if registry else [])
    sources = [Source(path=u.file, sha256="0" * 64, unit=u.code, unit_name=u.name, period=period,
                      status="dùng") for u in units.values()]
    sources.append(Source(path="r/trung.xlsx", sha256="1" * 64, status="trùng báo cáo"))
    org = organization or Organization(name="Ban Dân vận Tỉnh ủy Bình Phước", area="toàn tỉnh",
                                       superior="Tỉnh ủy Bình Phước", place="Bình Phước")
    return consolidate(
        tidy(split), models_df(models), units, period=parse_period(period), organization=org,
        catalog=CAT, registry_units=registry, findings=list(findings), sources=sources,
    )


@pytest.fixture(scope="module")
def consolidation():
    return build()


@pytest.fixture(scope="module")
def text(consolidation):
    return render_report(consolidation)


def paragraph(text: str, start: str) -> str:
    return next(p for p in text.split("\n\n") if p.startswith(start))


# ----------------------------------------------------------------- phrases

def test_render_phrase_values_area_and_optional_segments():
    phrase = "{area} đã tiếp {TCD_LUOT} lượt công dân[ với {TCD_NGUOI} người][, {TCD_DOAN} đoàn đông người]"
    assert render_phrase(phrase, {"TCD_LUOT": 7257, "TCD_NGUOI": 3812}, CAT, "toàn tỉnh") == (
        "toàn tỉnh đã tiếp 7.257 lượt công dân với 3.812 người"
    )
    assert render_phrase(phrase, {"TCD_LUOT": 7257, "TCD_DOAN": 3}, CAT, "toàn huyện") == (
        "toàn huyện đã tiếp 7.257 lượt công dân, 3 đoàn đông người"
    )
    # a code outside brackets missing: nothing can be said; NaN counts as missing
    assert render_phrase(phrase, {"TCD_NGUOI": 3812}, CAT, "toàn tỉnh") is None
    assert render_phrase(phrase, {"TCD_LUOT": float("nan")}, CAT, "toàn tỉnh") is None
    # a reported 0 is a value, not a missing one
    assert render_phrase("có {TCD_DOAN} đoàn", {"TCD_DOAN": 0}, CAT, "") == "có 0 đoàn"


def test_render_phrase_formats_by_type():
    values = {"NHA_TN_TIEN": 1520, "NHA_DD_TIEN": 80, "DUONG_GT_KM": 15.15,
              "DUONG_DIEN_KM": 33.5, "DON_TYLE": 98.5, "MH_TONG": 1215}
    phrase = "{MH_TONG}; {NHA_TN_TIEN}; {NHA_DD_TIEN}; {DUONG_GT_KM}; {DUONG_DIEN_KM}; {DON_TYLE}"
    assert render_phrase(phrase, values, CAT, "") == (
        "1.215; 1,52 tỷ đồng; 80 triệu đồng; 15,15 km; 33,5 km; 98,5%"
    )


def test_render_phrase_rejects_unknown_code_and_unbalanced_brackets():
    with pytest.raises(ValueError, match="KHONG_CO"):
        render_phrase("{KHONG_CO} cái", {}, CAT, "")
    with pytest.raises(ValueError, match="unbalanced"):
        render_phrase("{MH_TONG}[ mô hình", {"MH_TONG": 1}, CAT, "")
    with pytest.raises(ValueError, match="unbalanced"):
        render_phrase("{MH_TONG}] mô hình", {"MH_TONG": 1}, CAT, "")


def test_group_sentences_details_dropped_when_missing_or_zero():
    group = Group("g", "I", "Nhóm", (
        Sentence("có {MH_TONG} mô hình", details=(
            "{MH_TAPTHE} tập thể", "{MH_CANHAN} cá nhân", "{MH_QPAN} quốc phòng",
        )),
        Sentence("tặng {QUA_SO} phần quà"),  # nobody reported: dropped
        Sentence("{NHA_SO} căn nhà", detail_intro="gồm", detail_sep="; ", details=(
            "{NHA_TN_SO} nhà tình nghĩa[ trị giá {NHA_TN_TIEN}]",
            "{NHA_DD_SO} nhà đồng đội[ trị giá {NHA_DD_TIEN}]",
        )),
    ))
    values = {"MH_TONG": 10, "MH_TAPTHE": 10, "MH_QPAN": 0, "NHA_SO": 3, "NHA_TN_SO": 3,
              "NHA_DD_SO": 0, "NHA_DD_TIEN": 0}
    assert group_sentences(group, values, CAT, "toàn tỉnh") == [
        "có 10 mô hình, trong đó 10 tập thể",
        "3 căn nhà, gồm 3 nhà tình nghĩa",
    ]
    # no detail left: no dangling "trong đó"
    assert group_sentences(group, {"MH_TONG": 4, "MH_QPAN": 0}, CAT, "") == ["có 4 mô hình"]
    assert group_sentences(group, {}, CAT, "") == []


# ------------------------------------------------------------------ report

def test_report_says_the_seed_000_figures_in_prose(text):
    # Hướng dẫn 36-HD/VPTW: the committee above, the Ban under it (bold), then "*"
    assert "TỈNH ỦY BÌNH PHƯỚC\n\n**BAN DÂN VẬN**\n\n\\*\n" in text
    assert "BÁO CÁO" in text and "Kết quả công tác dân vận năm 2024" in text
    assert "tổng kết" in text and "từ 3 báo cáo" in text
    models = paragraph(text, "Toàn tỉnh đã xây dựng mới")
    # the WARNING on Bù Đăng's MH_TIEUBIEU marks the figures of its rule, once a sentence
    mark = ("[CẦN KIỂM TRA: Huyện Bù Đăng – số mô hình tiêu biểu (9) lớn hơn tổng số mô hình "
            "(8)]")
    assert models.startswith(
        f"Toàn tỉnh đã xây dựng mới 1.215 mô hình “Dân vận khéo” {mark}, trong "
        "đó 815 mô hình tập thể, 400 mô hình cá nhân, 615 mô hình kinh tế, "
        "600 mô hình văn hóa – xã hội; có 16 mô hình, điển hình tiêu biểu được biểu dương, "
        f"khen thưởng {mark}."
    )
    for fragment in ["đã ban hành 40 văn bản", "7.257 lượt công dân với 3.812 người",
                     "tiếp nhận 200 đơn thư", "đã giải quyết 197 đơn", "đạt 98,5%",
                     "19 căn nhà tình nghĩa trị giá 1,52 tỷ đồng",
                     "1 căn nhà “Đồng đội” trị giá 80 triệu đồng",
                     "5 căn nhà “Đại đoàn kết” trị giá 250 triệu đồng",
                     "xây dựng, sửa chữa 25 căn nhà", "tổng trị giá 1,85 tỷ đồng",
                     "kéo 33,5 km đường điện thắp sáng", "15,15 km đường giao thông"]:
        assert fragment in text, fragment
    # sentences are joined as prose: one paragraph per group, ending with a full stop
    an_sinh = paragraph(text, "Các cấp, các ngành, Mặt trận Tổ quốc và các đoàn thể đã xây dựng, sửa chữa")
    assert an_sinh.endswith("kéo 33,5 km đường điện thắp sáng.")
    assert "\n" not in an_sinh and ".;" not in an_sinh and ".." not in text


def test_report_has_no_clause_for_unreported_or_zero_figures(text):
    # QUA_SO, CAU_SO, VANDONG_TIEN, HS_NHAN, TT_BUOI: nobody reported them
    for words in ["phần quà", "cây cầu", "vận động ủng hộ", "hồ sơ thủ tục", "buổi tuyên truyền",
                  "Chữ thập đỏ", "nhà ở khác"]:
        assert words not in text, words
    assert "đoàn đông người" not in paragraph(text, "Trong kỳ, các cấp, các ngành đã tiếp")
    # MH_QPAN was reported, but 0 everywhere: its detail is dropped
    assert "quốc phòng – an ninh" not in paragraph(text, "Toàn tỉnh đã xây dựng mới")
    prose = [p for p in text.split("\n\n")
             if p.startswith(("Trong năm 2024, ", "Toàn tỉnh", "Trong kỳ, ", "Các cấp"))]
    assert len(prose) == 4
    for p in prose:
        assert " 0 " not in p and " 0," not in p


def test_report_names_exemplary_models_units_and_findings(text):
    line = paragraph(text, "Các mô hình tiêu biểu:")
    assert line == ("Các mô hình tiêu biểu: “Tuyến đường hoa kiểu mẫu” (Thành phố Đồng Xoài), "
                    "“Viên gạch nghĩa tình” (Huyện Bù Đăng) và "
                    "“Đoàn kết quân dân, ấm tình xứ đạo” (Bộ Chỉ huy Quân sự tỉnh).")
    assert "Mô hình thường" not in text
    assert "3/5 đơn vị" in text
    assert "Các đơn vị chưa nộp báo cáo (2): Huyện Bù Đốp và Huyện Lộc Ninh." in text
    assert "r/trung.xlsx (trùng báo cáo)" in text
    assert "1 lỗi và 1 cảnh báo" in text and "không làm thay đổi số liệu" in text
    assert ("- Đơn vị Huyện Bù Đăng – tệp r/bu-dang.xlsx, trang “Biểu số liệu”, ô E15: "
            "Số mô hình tiêu biểu (9) lớn hơn tổng số mô hình (8)") in text
    assert ("- Đơn vị Thành phố Đồng Xoài – tệp r/dong-xoai.xlsx, trang “Biểu số liệu”, ô E20: "
            "Số đoàn đông người (TCD_DOAN): “mười” không đọc được là số") in text
    assert text.index("**Lỗi (1):**") < text.index("**Cảnh báo (1):**")


def test_report_table_sections_and_placeholders(text):
    assert "| Chỉ tiêu | Đơn vị tính | Kết quả |" in text
    assert ("| Tổng số mô hình “Dân vận khéo” xây dựng mới trong kỳ | mô hình | "
            "1.215 [CẦN KIỂM TRA 1] |") in text
    assert "| – Nhà tình nghĩa – trị giá | triệu đồng | 1.520 |" in text
    assert "| – Tỷ lệ giải quyết đơn thư | % | 98,5 |" in text
    assert "| Đường giao thông nông thôn làm mới, nâng cấp | km | 15,15 |" in text
    assert "| – Lĩnh vực quốc phòng – an ninh | mô hình | 0 |" in text  # reported zero: shown
    assert "Quà tặng" not in text and "Cầu giao thông" not in text  # unreported: no row
    # rows in catalog order
    assert text.index("| Văn bản lãnh đạo") < text.index("| Tổng số mô hình") < text.index(
        "| Số lượt tiếp công dân") < text.index("| Đường điện thắp sáng")
    # group subsections in catalog order, only groups with data
    titles = [g.title for g in CAT.groups.values()]
    positions = [text.index(f". {t}\n") for t in titles]
    assert positions == sorted(positions)
    assert text.index("## I. KẾT QUẢ ĐẠT ĐƯỢC") < positions[0]
    assert text.index("## II. HẠN CHẾ, NGUYÊN NHÂN") < text.index(
        "## III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025")
    assert text.count("**[CẦN BỔ SUNG]**") >= 3  # note + sections II and III
    for section in ("## II.", "## III."):
        after = text[text.index(section):]
        assert after.split("\n\n")[1].startswith("> **[CẦN BỔ SUNG]**")


def test_report_is_nfc_even_from_nfd_input():
    nfd = unicodedata.normalize("NFD", "Ban Dân vận Huyện ủy Gò Công Tây")
    c = build(organization=Organization(name=nfd, area=unicodedata.normalize("NFD", "toàn huyện")))
    out = render_report(c)
    assert unicodedata.is_normalized("NFC", out)
    assert "BAN DÂN VẬN HUYỆN ỦY GÒ CÔNG TÂY" in out
    assert "Toàn huyện đã xây dựng mới" in out


def test_half_year_period_many_models_no_findings_all_reported():
    models = [("DONGXOAI", f"Mô hình số {i}", True) for i in range(1, 14)]
    c = build(models=models, findings=(), missing=[], period="2024-H1")
    out = render_report(c)
    assert "Kết quả công tác dân vận 6 tháng đầu năm 2024" in out
    assert "sơ kết" in out
    assert "## III. PHƯƠNG HƯỚNG, NHIỆM VỤ 6 THÁNG CUỐI NĂM 2024" in out
    # only the first paragraph names the period
    assert out.count("Trong 6 tháng đầu năm 2024, ") == 1 and "Toàn tỉnh đã xây dựng mới" in out
    line = paragraph(out, "Các mô hình tiêu biểu:")
    assert line.count("“Mô hình số") == 10
    assert "“Mô hình số 10” (Thành phố Đồng Xoài) và 3 mô hình khác." in line
    assert "Mô hình số 11" not in out
    assert "Tất cả các đơn vị đã nộp báo cáo." in out
    assert "Không phát hiện lỗi hay cảnh báo nào" in out


def test_without_registry_the_report_does_not_claim_everyone_reported():
    c = build(missing=[], findings=(), registry=False)
    out = render_report(c)
    assert "Tất cả các đơn vị đã nộp báo cáo" not in out
    assert f"Đã nhận và tổng hợp báo cáo của {len(c.units)} đơn vị." in out
    assert "Chưa khai báo danh sách đơn vị trong dvk.toml" in out


def test_reported_detail_without_its_total_is_still_said():
    c = build(split={"DONGXOAI": dict(TT_LUOT=500, MH_TAPTHE=3)}, models=[], findings=())
    out = render_report(c)
    assert "Trong năm 2024, các đơn vị đã báo cáo lượt người dự tuyên truyền: 500 lượt người." in out
    assert "\n\nCác đơn vị đã báo cáo mô hình tập thể: 3 mô hình.\n" in out
    assert "Các mô hình tiêu biểu" not in out


def test_report_without_any_figure():
    c = build(split={"DONGXOAI": {}}, models=[], findings=())
    ctx = report_context(c)
    assert ctx["groups"] == [] and ctx["table"] == []
    out = render_report(c)
    assert "Chưa có số liệu nào được báo cáo trong năm 2024." in out
    assert "| Chỉ tiêu |" not in out


def test_context_has_no_codes_needed_and_template_has_no_code():
    from dvk_cli.outputs.report import default_template_text

    template = default_template_text()
    for code in CAT.codes:
        assert code not in template, code


def test_user_template_with_filters(consolidation, tmp_path):
    (tmp_path / "phan-dau.j2").write_text("Kính gửi: {{ organization.superior }}\n", encoding="utf-8")
    tpl = tmp_path / "mau.md.j2"
    tpl.write_text(
        "{% include 'phan-dau.j2' %}"
        "{{ 1215 | so }} | {{ 1520 | tien }} | {{ 250 | tien }} | {{ 98.5 | phantram }} | "
        "{{ (0.985 * 100) | phantram }}\n"
        "{% for g in table %}{% for r in g.rows %}{{ r.short }}={{ r | giatri }};{% endfor %}{% endfor %}\n\n"  # trim_blocks eats one
        "{{ indicators['DUONG_GT_KM'] | giatri }}\n"
        "{{ 'toàn tỉnh đã làm' | cau }}\n",
        encoding="utf-8",
    )
    out_path = write_report(consolidation, tmp_path / "out" / "bao-cao.md", tpl)
    out = out_path.read_text(encoding="utf-8")
    lines = out.splitlines()
    assert lines[0] == "Kính gửi: Tỉnh ủy Bình Phước"
    assert lines[1] == "1.215 | 1,52 tỷ đồng | 250 triệu đồng | 98,5% | 98,5%"
    assert "Tổng số mô hình=1.215;" in lines[2]
    assert "Nhà tình nghĩa (tr.đ)=1,52 tỷ đồng;" in lines[2]
    assert "Tỷ lệ giải quyết đơn (%)=98,5%;" in lines[2]
    assert "Phần quà" not in lines[2]
    assert lines[3] == "15,15 km"
    assert lines[4] == "Toàn tỉnh đã làm."
    assert list((tmp_path / "out").iterdir()) == [out_path]  # no temp file left behind


def test_user_template_errors_are_usage_errors(consolidation, tmp_path):
    bad = tmp_path / "sai.md.j2"
    bad.write_text("{% for g in groups %}", encoding="utf-8")
    with pytest.raises(UsageError, match="sai cú pháp"):
        render_report(consolidation, bad)
    unknown = tmp_path / "la.md.j2"
    unknown.write_text("{{ khong_co }}", encoding="utf-8")
    with pytest.raises(UsageError, match="khong_co"):
        render_report(consolidation, unknown)
    with pytest.raises(UsageError, match="Không tìm thấy"):
        render_report(consolidation, tmp_path / "khong-co.j2")


@pytest.mark.parametrize("payload", [
    "{{ cycler.__init__.__globals__.os.popen('echo pwned').read() }}",
    "{{ groups.__class__.__mro__ }}",
    "{{ ''.__class__.__subclasses__() }}",
])
def test_a_shared_template_cannot_run_code(consolidation, tmp_path, payload):
    hostile = tmp_path / "mau-chia-se.md.j2"
    hostile.write_text("Báo cáo {{ period.label }} " + payload, encoding="utf-8")
    with pytest.raises(UsageError, match="không được phép") as caught:
        render_report(consolidation, hostile)
    assert "pwned" not in str(caught.value)


def test_write_report_replaces_atomically(consolidation, tmp_path):
    target = tmp_path / "bao-cao-2024.md"
    target.write_text("cũ", encoding="utf-8")
    path = write_report(consolidation, target)
    assert path == target
    written = target.read_text(encoding="utf-8")
    assert written == render_report(consolidation)
    assert "1.215 mô hình" in written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bao-cao-2024.md"]


def test_many_warnings_no_errors_listed_up_to_the_cap():
    from dvk_cli.outputs.report import MAX_FINDINGS_LISTED

    n = MAX_FINDINGS_LISTED + 5
    warnings = [Finding("warning", "MH_LOAI", f"Cảnh báo thử số {i}.", file="r/bu-dang.xlsx",
                        cell=f"E{i}", unit="BUDANG") for i in range(n)]
    out = render_report(build(findings=warnings))
    assert f"đã phát hiện {n} cảnh báo." in out
    assert "lỗi" not in paragraph(out, "Khi kiểm tra số liệu")
    assert "không làm thay đổi số liệu" in out
    assert f"**Cảnh báo ({n}):**" in out
    assert out.count("- Đơn vị Huyện Bù Đăng – tệp r/bu-dang.xlsx, ô E") == MAX_FINDINGS_LISTED
    assert f"Cảnh báo thử số {MAX_FINDINGS_LISTED - 1}." in out
    assert f"Cảnh báo thử số {MAX_FINDINGS_LISTED}." not in out
    assert "… và 5 vấn đề khác (xem trang Kiểm tra trong tệp `tong-hop-2024.xlsx`)." in out


@pytest.mark.parametrize("text, expected", [
    ("toàn tỉnh đã xây dựng", "Toàn tỉnh đã xây dựng"),
    ("“dân vận khéo”", "“Dân vận khéo”"),
    ("6 tháng đầu năm 2023", "6 tháng đầu năm 2023"),   # a column heading, not "6 Tháng"
    ("năm 2023", "Năm 2023"),
])
def test_capitalize_first_touches_only_a_leading_letter(text, expected):
    from dvk_cli.outputs.report import capitalize_first

    assert capitalize_first(text) == expected


def test_outputs_are_not_private_files(consolidation, tmp_path):
    """The temp file is 0600; the output gets the umask's mode, or keeps the
    mode of the file it replaces (a shared folder stays shared)."""
    import os

    old = os.umask(0o022)
    try:
        fresh = write_report(consolidation, tmp_path / "moi.md")
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "cu.md"
        kept.write_text("cũ", encoding="utf-8")
        kept.chmod(0o664)
        write_report(consolidation, kept)
        assert kept.stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(old)
