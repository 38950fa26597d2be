"""Edge behaviour of dvk_cli.core.units, one table per function: how the unit a
clerk writes in "Đơn vị báo cáo" (or in a file name) is matched against the
registry in dvk.toml (issue 11). Registries are built directly from Unit
objects, mostly WITHOUT aliases, so that prefix, case, spacing and Unicode
handling are what makes a row match. Expectations are written by hand."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dvk_cli.core.text import fold, strip_diacritics
from dvk_cli.core.units import Match, Registry, Unit, ascii_key, name_key


def _row(name, *values):
    return pytest.param(*values, id=name)


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _seen(m: Match):
    """(matched code | None, candidate codes, how)."""
    return (m.unit.code if m.unit else None, [u.code for u in m.candidates], m.how)


CODE, NAME, ASCII, FILE = "mã đơn vị", "tên đơn vị", "tên đơn vị (không dấu)", "tên tệp"

# Bình Phước: the city, three towns, seven districts (no aliases)
BINH_PHUOC = [
    Unit("DONGXOAI", "Thành phố Đồng Xoài", "Địa phương"),
    Unit("BINHLONG", "Thị xã Bình Long", "Địa phương"),
    Unit("PHUOCLONG", "Thị xã Phước Long", "Địa phương"),
    Unit("CHONTHANH", "Thị xã Chơn Thành", "Địa phương"),
    Unit("DONGPHU", "Huyện Đồng Phú", "Địa phương"),
    Unit("BUDANG", "Huyện Bù Đăng", "Địa phương"),
    Unit("BUGIAMAP", "Huyện Bù Gia Mập", "Địa phương"),
    Unit("BUDOP", "Huyện Bù Đốp", "Địa phương"),
    Unit("LOCNINH", "Huyện Lộc Ninh", "Địa phương"),
    Unit("HONQUAN", "Huyện Hớn Quản", "Địa phương"),
    Unit("PHURIENG", "Huyện Phú Riềng", "Địa phương"),
]
# Lộc Ninh district: its town and communes; Lộc Thành / Lộc Thạnh differ only in a tone mark
LOC_NINH = [
    Unit("TT_LOCNINH", "Thị trấn Lộc Ninh"),
    Unit("LOCTHAI", "Xã Lộc Thái"),
    Unit("LOCTHANH", "Xã Lộc Thành"),
    Unit("LOCTHANH2", "Xã Lộc Thạnh"),
    Unit("LOCHUNG", "Xã Lộc Hưng"),
]
# Đồng Xoài city: wards and a commune
DONG_XOAI = [
    Unit("TANPHU", "Phường Tân Phú"),
    Unit("TANBINH", "Phường Tân Bình"),
    Unit("TIENTHANH", "Phường Tiến Thành"),
    Unit("TIENHUNG", "Xã Tiến Hưng"),
]
# Hồ Chí Minh City: numbered and named districts
HCM = [
    Unit("Q1", "Quận 1"),
    Unit("Q10", "Quận 10"),
    Unit("TANBINH", "Quận Tân Bình"),
    Unit("CUCHI", "Huyện Củ Chi"),
]
# a central registry of provinces
PROVINCES = [
    Unit("BINHPHUOC", "Tỉnh Bình Phước"),
    Unit("BINHDUONG", "Tỉnh Bình Dương"),
    Unit("BINHDINH", "Tỉnh Bình Định"),
]
# Hậu Giang: Thị xã Long Mỹ and Huyện Long Mỹ share a name; Châu Thành A contains Châu Thành
HAU_GIANG = [
    Unit("VITHANH", "Thành phố Vị Thanh"),
    Unit("TX_LONGMY", "Thị xã Long Mỹ"),
    Unit("H_LONGMY", "Huyện Long Mỹ"),
    Unit("CHAUTHANH", "Huyện Châu Thành"),
    Unit("CHAUTHANHA", "Huyện Châu Thành A"),
]
# a province-wide registry of communes: two "Tân Phú" and one "Tấn Phú"
TAN_PHU = [
    Unit("TANPHU_DX", "Phường Tân Phú"),
    Unit("TANPHU_DP", "Thị trấn Tân Phú"),
    Unit("TANPHU_X", "Xã Tấn Phú"),
]
# as dvk.toml usually declares them: aliases repeating the name with a short prefix
WITH_ALIASES = [
    Unit("DONGXOAI", "Thành phố Đồng Xoài", aliases=["TP. Đồng Xoài", "Thành ủy Đồng Xoài"]),
    Unit("BUDANG", "Huyện Bù Đăng", aliases=["H. Bù Đăng", "Bu Dang", "Huyện ủy Bù Đăng"]),
]


# ------------------------------------------------------------------ fold / strip_diacritics
# (what is written, folded, without diacritics)

FOLD = [
    _row("Huyện Bù Đăng", "Huyện Bù Đăng", "huyện bù đăng", "Huyen Bu Dang"),
    _row("  ĐƠN  VỊ\tBÁO CÁO  (capitals, spaces, tab)", "  ĐƠN  VỊ\tBÁO CÁO  ", "đơn vị báo cáo",
         "  DON  VI\tBAO CAO  "),
    _row("Lộc Thạnh typed on a Mac (NFD)", _nfd("Lộc Thạnh"), "lộc thạnh", "Loc Thanh"),
    _row("đồng (lower-case đ)", "đồng", "đồng", "dong"),
]


@pytest.mark.parametrize("text, folded, plain", FOLD)
def test_fold_and_strip_diacritics(text, folded, plain):
    assert fold(text) == folded
    assert strip_diacritics(text) == plain



@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF)))
def test_strip_diacritics_drops_exactly_the_non_spacing_marks(text):
    # the definition, character by character (strip_diacritics uses a table)
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    expected = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    assert strip_diacritics(text) == expected


# ------------------------------------------------------------------ name_key / ascii_key
# (what is written, name key, ascii key)

KEYS = [
    # every administrative prefix is cut (compared without diacritics)
    _row("Huyện Bù Đăng", "Huyện Bù Đăng", "bù đăng", "bu dang"),
    _row("H. Bù Đăng", "H. Bù Đăng", "bù đăng", "bu dang"),
    _row("H.Bù Đăng (no space)", "H.Bù Đăng", "bù đăng", "bu dang"),
    _row("H Bù Đăng", "H Bù Đăng", "bù đăng", "bu dang"),
    _row("Thành phố Đồng Xoài", "Thành phố Đồng Xoài", "đồng xoài", "dong xoai"),
    _row("TP. Đồng Xoài", "TP. Đồng Xoài", "đồng xoài", "dong xoai"),
    _row("TP.Đồng Xoài", "TP.Đồng Xoài", "đồng xoài", "dong xoai"),
    _row("Tp Đồng Xoài", "Tp Đồng Xoài", "đồng xoài", "dong xoai"),
    _row("Thị xã Bình Long", "Thị xã Bình Long", "bình long", "binh long"),
    _row("TX. Bình Long", "TX. Bình Long", "bình long", "binh long"),
    _row("TX Bình Long", "TX Bình Long", "bình long", "binh long"),
    _row("Thị trấn Lộc Ninh", "Thị trấn Lộc Ninh", "lộc ninh", "loc ninh"),
    _row("TT. Lộc Ninh", "TT. Lộc Ninh", "lộc ninh", "loc ninh"),
    _row("Quận Tân Bình", "Quận Tân Bình", "tân bình", "tan binh"),
    _row("Q. Tân Bình", "Q. Tân Bình", "tân bình", "tan binh"),
    _row("Quận 1", "Quận 1", "1", "1"),
    _row("Q.1", "Q.1", "1", "1"),
    _row("Phường Tân Phú", "Phường Tân Phú", "tân phú", "tan phu"),
    _row("P. Tân Phú", "P. Tân Phú", "tân phú", "tan phu"),
    _row("Xã Lộc Thái", "Xã Lộc Thái", "lộc thái", "loc thai"),
    _row("Tỉnh Bình Phước", "Tỉnh Bình Phước", "bình phước", "binh phuoc"),
    _row("HUYỆN BÙ ĐĂNG (capitals)", "HUYỆN BÙ ĐĂNG", "bù đăng", "bu dang"),
    _row("THỊ XÃ BÌNH LONG (capitals)", "THỊ XÃ BÌNH LONG", "bình long", "binh long"),
    _row("Huyen Bu Dang (no diacritics)", "Huyen Bu Dang", "bu dang", "bu dang"),
    _row("Thi xa Binh Long (no diacritics)", "Thi xa Binh Long", "binh long", "binh long"),
    _row("TP. Thành phố Đồng Xoài (prefix twice)", "TP. Thành phố Đồng Xoài", "đồng xoài", "dong xoai"),
    # a name's own first letters are not a prefix
    _row("Hớn Quản keeps its H", "Hớn Quản", "hớn quản", "hon quan"),
    _row("Phước Long keeps its P", "Phước Long", "phước long", "phuoc long"),
    _row("Thị xã alone is a name, not a prefix", "Thị xã", "thị xã", "thi xa"),
    # Unicode form, case, spacing, punctuation
    _row("Huyện Bù Đăng typed on a Mac (NFD)", _nfd("Huyện Bù Đăng"), "bù đăng", "bu dang"),
    _row("  Huyện   Bù\tĐăng  (spaces, tab)", "  Huyện   Bù\tĐăng  ", "bù đăng", "bu dang"),
    _row("Huyện\u00a0Bù\u00a0Đăng (NBSP)", "Huyện\u00a0Bù\u00a0Đăng", "bù đăng", "bu dang"),
    _row("bu_dang (underscore)", "bu_dang", "bu dang", "bu dang"),
    _row("Bù–Đăng (en dash)", "Bù–Đăng", "bù đăng", "bu dang"),
    _row("Huyện Bù Đăng. (full stop)", "Huyện Bù Đăng.", "bù đăng", "bu dang"),
    _row("(Huyện Bù Đăng) in brackets", "(Huyện Bù Đăng)", "huyện bù đăng", "huyen bu dang"),
    _row("ĐỒNG PHÚ (capital Đ)", "ĐỒNG PHÚ", "đồng phú", "dong phu"),
    _row("Lộc Thạnh (dot below)", "Lộc Thạnh", "lộc thạnh", "loc thanh"),
    _row("code BUDANG", "BUDANG", "budang", "budang"),
]


@pytest.mark.parametrize("text, key, akey", KEYS)
def test_name_and_ascii_keys(text, key, akey):
    assert name_key(text) == key
    assert ascii_key(text) == akey


# ------------------------------------------------------------------ Registry.match
# (registry, what the clerk wrote in "Đơn vị báo cáo", (code | None, candidate codes, how))

MATCH = [
    # codes
    _row("code BUDANG", BINH_PHUOC, "BUDANG", ("BUDANG", [], CODE)),
    _row("code budang (lower case, spaces)", BINH_PHUOC, "  budang ", ("BUDANG", [], CODE)),
    _row("code Q1 (not the prefix Q)", HCM, "Q1", ("Q1", [], CODE)),
    _row("code DONGXOAI", BINH_PHUOC, "DONGXOAI", ("DONGXOAI", [], CODE)),
    # the registry's own name, then every prefix form of it
    _row("Huyện Bù Đăng", BINH_PHUOC, "Huyện Bù Đăng", ("BUDANG", [], NAME)),
    _row("H. Bù Đăng", BINH_PHUOC, "H. Bù Đăng", ("BUDANG", [], NAME)),
    _row("H Bù Đăng", BINH_PHUOC, "H Bù Đăng", ("BUDANG", [], NAME)),
    _row("Bù Đăng (no prefix)", BINH_PHUOC, "Bù Đăng", ("BUDANG", [], NAME)),
    _row("TP. Đồng Xoài", BINH_PHUOC, "TP. Đồng Xoài", ("DONGXOAI", [], NAME)),
    _row("Thành phố Đồng Xoài", BINH_PHUOC, "Thành phố Đồng Xoài", ("DONGXOAI", [], NAME)),
    _row("Thị xã Chơn Thành", BINH_PHUOC, "Thị xã Chơn Thành", ("CHONTHANH", [], NAME)),
    _row("TX. Bình Long", BINH_PHUOC, "TX. Bình Long", ("BINHLONG", [], NAME)),
    _row("Huyện Chơn Thành (the old name) is still Chơn Thành", BINH_PHUOC, "Huyện Chơn Thành",
         ("CHONTHANH", [], NAME)),
    _row("Thị trấn Lộc Ninh", LOC_NINH, "Thị trấn Lộc Ninh", ("TT_LOCNINH", [], NAME)),
    _row("TT. Lộc Ninh", LOC_NINH, "TT. Lộc Ninh", ("TT_LOCNINH", [], NAME)),
    _row("Xã Lộc Thái", LOC_NINH, "Xã Lộc Thái", ("LOCTHAI", [], NAME)),
    _row("Lộc Hưng (no prefix)", LOC_NINH, "Lộc Hưng", ("LOCHUNG", [], NAME)),
    _row("Phường Tân Phú", DONG_XOAI, "Phường Tân Phú", ("TANPHU", [], NAME)),
    _row("P. Tân Phú", DONG_XOAI, "P. Tân Phú", ("TANPHU", [], NAME)),
    _row("P.Tiến Thành", DONG_XOAI, "P.Tiến Thành", ("TIENTHANH", [], NAME)),
    _row("Xã Tiến Hưng", DONG_XOAI, "Xã Tiến Hưng", ("TIENHUNG", [], NAME)),
    _row("Quận Tân Bình", HCM, "Quận Tân Bình", ("TANBINH", [], NAME)),
    _row("Q. Tân Bình", HCM, "Q. Tân Bình", ("TANBINH", [], NAME)),
    _row("Q.1", HCM, "Q.1", ("Q1", [], NAME)),
    _row("Quận 10 is not Quận 1", HCM, "Quận 10", ("Q10", [], NAME)),
    _row("H. Củ Chi", HCM, "H. Củ Chi", ("CUCHI", [], NAME)),
    _row("Tỉnh Bình Phước", PROVINCES, "Tỉnh Bình Phước", ("BINHPHUOC", [], NAME)),
    _row("Bình Định (no prefix)", PROVINCES, "Bình Định", ("BINHDINH", [], NAME)),
    # Unicode form, case, spacing
    _row("Huyện Bù Đăng typed on a Mac (NFD)", BINH_PHUOC, _nfd("Huyện Bù Đăng"), ("BUDANG", [], NAME)),
    _row("dvk.toml typed on a Mac (NFD names), NFC header", [Unit("BUDANG", _nfd("Huyện Bù Đăng"))],
         "Huyện Bù Đăng", ("BUDANG", [], NAME)),
    _row("HUYỆN BÙ ĐĂNG", BINH_PHUOC, "HUYỆN BÙ ĐĂNG", ("BUDANG", [], NAME)),
    _row("  huyện   bù  đăng  ", BINH_PHUOC, "  huyện   bù  đăng  ", ("BUDANG", [], NAME)),
    # without diacritics: only when one unit fits
    _row("Bu Dang", BINH_PHUOC, "Bu Dang", ("BUDANG", [], ASCII)),
    _row("H. Bu Gia Map", BINH_PHUOC, "H. Bu Gia Map", ("BUGIAMAP", [], ASCII)),
    _row("HON QUAN", BINH_PHUOC, "HON QUAN", ("HONQUAN", [], ASCII)),
    _row("Xa Loc Thai", LOC_NINH, "Xa Loc Thai", ("LOCTHAI", [], ASCII)),
    # diacritic twins: the exact spelling picks one, no diacritics picks none
    _row("Xã Lộc Thành (exact)", LOC_NINH, "Xã Lộc Thành", ("LOCTHANH", [], NAME)),
    _row("Xã Lộc Thạnh (exact)", LOC_NINH, "Xã Lộc Thạnh", ("LOCTHANH2", [], NAME)),
    _row("Lộc Thạnh typed on a Mac (NFD)", LOC_NINH, _nfd("Lộc Thạnh"), ("LOCTHANH2", [], NAME)),
    _row("Loc Thanh (no diacritics: ambiguous)", LOC_NINH, "Loc Thanh",
         (None, ["LOCTHANH", "LOCTHANH2"], "")),
    _row("XA LOC THANH (no diacritics: ambiguous)", LOC_NINH, "XA LOC THANH",
         (None, ["LOCTHANH", "LOCTHANH2"], "")),
    # two units with the same name: never guessed, whatever the prefix says
    _row("Long Mỹ (town and district)", HAU_GIANG, "Long Mỹ", (None, ["TX_LONGMY", "H_LONGMY"], "")),
    _row("Thị xã Long Mỹ (prefixes are ignored)", HAU_GIANG, "Thị xã Long Mỹ",
         (None, ["TX_LONGMY", "H_LONGMY"], "")),
    _row("Long My (no diacritics)", HAU_GIANG, "Long My", (None, ["TX_LONGMY", "H_LONGMY"], "")),
    _row("code TX_LONGMY settles it", HAU_GIANG, "TX_LONGMY", ("TX_LONGMY", [], CODE)),
    _row("Châu Thành is not Châu Thành A", HAU_GIANG, "Huyện Châu Thành", ("CHAUTHANH", [], NAME)),
    _row("Châu Thành A", HAU_GIANG, "Châu Thành A", ("CHAUTHANHA", [], NAME)),
    # same name twice exactly, plus a diacritic twin: the candidates are the exact ones
    _row("Tân Phú (two exact, one Tấn Phú)", TAN_PHU, "Tân Phú", (None, ["TANPHU_DX", "TANPHU_DP"], "")),
    _row("Tấn Phú (exact)", TAN_PHU, "Tấn Phú", ("TANPHU_X", [], NAME)),
    _row("Tan Phu (no diacritics: all three)", TAN_PHU, "Tan Phu",
         (None, ["TANPHU_DX", "TANPHU_DP", "TANPHU_X"], "")),
    # aliases as dvk.toml declares them (an alias repeating the name counts once)
    _row("alias H. Bù Đăng (same key as the name)", WITH_ALIASES, "H. Bù Đăng", ("BUDANG", [], NAME)),
    _row("alias Bu Dang", WITH_ALIASES, "Bu Dang", ("BUDANG", [], NAME)),
    _row("alias Thành ủy Đồng Xoài", WITH_ALIASES, "Thành ủy Đồng Xoài", ("DONGXOAI", [], NAME)),
    _row("Thanh uy Dong Xoai (alias without diacritics)", WITH_ALIASES, "Thanh uy Dong Xoai",
         ("DONGXOAI", [], ASCII)),
    # unknown or empty
    _row("Huyện Bù Đốp is not in Lộc Ninh's registry", LOC_NINH, "Huyện Bù Đốp", (None, [], "")),
    _row("Bình Dương is not Bình Phước", BINH_PHUOC, "Bình Dương", (None, [], "")),
    _row("Bù (part of a name)", BINH_PHUOC, "Bù", (None, [], "")),
    _row("Huyện (prefix only)", BINH_PHUOC, "Huyện", (None, [], "")),
    _row("TP. (prefix only)", BINH_PHUOC, "TP.", (None, [], "")),
    _row("empty cell (None)", BINH_PHUOC, None, (None, [], "")),
    _row("empty string", BINH_PHUOC, "", (None, [], "")),
    _row("spaces only", BINH_PHUOC, "   ", (None, [], "")),
    _row("empty cell is not the word None (unit coded NONE)", [Unit("NONE", "Chưa phân loại")], None,
         (None, [], "")),
    _row("empty registry", [], "Huyện Bù Đăng", (None, [], "")),
]


@pytest.mark.parametrize("units, text, expected", MATCH)
def test_match(units, text, expected):
    assert _seen(Registry(units).match(text)) == expected


# ------------------------------------------------------------------ Registry.match_filename
# (registry, file name without extension, (code | None, candidate codes, how))

FILENAMES = [
    _row("file bu-dang-2024-H1", BINH_PHUOC, "bu-dang-2024-H1", ("BUDANG", [], FILE)),
    _row("file 'Bao cao Bu Dang 2024'", BINH_PHUOC, "Bao cao Bu Dang 2024", ("BUDANG", [], FILE)),
    _row("file 'Bù Đăng 2024' (diacritics)", BINH_PHUOC, "Bù Đăng 2024", ("BUDANG", [], FILE)),
    _row("file 'Bù Đăng 2024' (NFD, from a Mac)", BINH_PHUOC, _nfd("Bù Đăng 2024"), ("BUDANG", [], FILE)),
    _row("file huyen-bu-dang-2024", BINH_PHUOC, "huyen-bu-dang-2024", ("BUDANG", [], FILE)),
    _row("file BC_BUDANG_2024 (code)", BINH_PHUOC, "BC_BUDANG_2024", ("BUDANG", [], FILE)),
    _row("file BUDANG2024 (code glued to the year)", BINH_PHUOC, "BUDANG2024", ("BUDANG", [], FILE)),
    _row("file BUDANG-bu-dang-2024 (code and name)", BINH_PHUOC, "BUDANG-bu-dang-2024",
         ("BUDANG", [], FILE)),
    _row("file TP-Dong-Xoai-2024", BINH_PHUOC, "TP-Dong-Xoai-2024", ("DONGXOAI", [], FILE)),
    _row("file bu-gia-map (not bu-dang, not bu-dop)", BINH_PHUOC, "bu-gia-map-2024",
         ("BUGIAMAP", [], FILE)),
    # a key must be whole words of the name
    _row("file tong-hop-binh-phuoc-2024 (no unit)", BINH_PHUOC, "tong-hop-binh-phuoc-2024", (None, [], "")),
    _row("file bu-dangg-2024 (not a whole word)", BINH_PHUOC, "bu-dangg-2024", (None, [], "")),
    _row("file xbudang-2024 (code inside a word)", BINH_PHUOC, "xbudang-2024", (None, [], "")),
    _row("file bao-cao-2024 (no unit)", BINH_PHUOC, "bao-cao-2024", (None, [], "")),
    _row("file 2024 (digits only)", BINH_PHUOC, "2024", (None, [], "")),
    # two names of the same length: never guessed
    _row("file loc-thai-huyen-loc-ninh-2024 (two 8-letter names)", LOC_NINH,
         "xa-loc-thai-huyen-loc-ninh-2024", (None, ["TT_LOCNINH", "LOCTHAI"], "")),
    _row("file loc-ninh-loc-thai-2024 (the other way round)", LOC_NINH,
         "loc-ninh-loc-thai-2024", (None, ["TT_LOCNINH", "LOCTHAI"], "")),
    _row("file bu-dop-dong-phu (6 and 8 letters: the longer wins)", BINH_PHUOC,
         "bu-dop-dong-phu-2024", ("DONGPHU", [], FILE)),
    # diacritic twins and same-name units
    _row("file loc-thanh-2024 (Lộc Thành or Lộc Thạnh)", LOC_NINH, "loc-thanh-2024",
         (None, ["LOCTHANH", "LOCTHANH2"], "")),
    _row("file long-my-2024 (town or district)", HAU_GIANG, "long-my-2024",
         (None, ["TX_LONGMY", "H_LONGMY"], "")),
    # an alias repeating the name counts once
    _row("file bu-dang-2024 with aliases Bu Dang, H. Bù Đăng", WITH_ALIASES, "bu-dang-2024",
         ("BUDANG", [], FILE)),
    _row("file thanh-uy-dong-xoai (alias)", WITH_ALIASES, "thanh-uy-dong-xoai-2024",
         ("DONGXOAI", [], FILE)),
    _row("file with no registry", [], "bu-dang-2024", (None, [], "")),
]


@pytest.mark.parametrize("units, stem, expected", FILENAMES)
def test_match_filename(units, stem, expected):
    assert _seen(Registry(units).match_filename(stem)) == expected


# The longest name in the file name wins whatever order dvk.toml lists the units in.
# (registry order, file name, code)
LONGEST = [
    _row("file chau-thanh-a-2024, Châu Thành listed first", HAU_GIANG, "chau-thanh-a-2024", "CHAUTHANHA"),
    _row("file chau-thanh-a-2024, Châu Thành A listed first", HAU_GIANG[::-1], "chau-thanh-a-2024",
         "CHAUTHANHA"),
    _row("file chau-thanh-2024, Châu Thành listed first", HAU_GIANG, "chau-thanh-2024", "CHAUTHANH"),
    _row("file chau-thanh-2024, Châu Thành A listed first", HAU_GIANG[::-1], "chau-thanh-2024", "CHAUTHANH"),
    _row("file CHAUTHANHA-2024 (code), Châu Thành A listed first", HAU_GIANG[::-1], "CHAUTHANHA-2024",
         "CHAUTHANHA"),
    _row("file vi-thanh-chau-thanh-a, Vị Thanh listed first", HAU_GIANG, "vi-thanh-chau-thanh-a",
         "CHAUTHANHA"),
    _row("file vi-thanh-chau-thanh-a, Vị Thanh listed last", HAU_GIANG[::-1], "vi-thanh-chau-thanh-a",
         "CHAUTHANHA"),
]


@pytest.mark.parametrize("units, stem, code", LONGEST)
def test_match_filename_longest_name_wins(units, stem, code):
    assert _seen(Registry(units).match_filename(stem)) == (code, [], FILE)


# ------------------------------------------------------------------ Registry basics
# (registry, code asked for, code found | None)

GET = [
    _row("get BUDANG", BINH_PHUOC, "BUDANG", "BUDANG"),
    _row("get budang (lower case)", BINH_PHUOC, "budang", "BUDANG"),
    _row("get ' BUDANG ' (spaces)", BINH_PHUOC, " BUDANG ", "BUDANG"),
    _row("get BUDANGX (unknown)", BINH_PHUOC, "BUDANGX", None),
    _row("get a name is not a code", BINH_PHUOC, "Huyện Bù Đăng", None),
]


@pytest.mark.parametrize("units, code, expected", GET)
def test_get(units, code, expected):
    unit = Registry(units).get(code)
    assert (unit.code if unit else None) == expected


def test_registry_truth_and_order():
    assert not Registry([])
    assert Registry(LOC_NINH)
    assert [u.code for u in Registry(LOC_NINH)] == [
        "TT_LOCNINH", "LOCTHAI", "LOCTHANH", "LOCTHANH2", "LOCHUNG"]
