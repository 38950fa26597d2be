"""Legacy Vietnamese encodings (TCVN3, VNI): tables, decoding, detection.

The tables below are written out letter by letter, as byte values, from two
independent published sources: TCVN3 as glibc's iconv converts TCVN5712-1
(only the VN3 code points: 67 lower-case letters and 7 capitals), VNI in the
order of the VNI-Windows chart. The module builds its tables from a compact
structure; the tests encode with these tables and expect the module to agree.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest
from helpers import ROOT, return_grid, write_xls, write_xlsx

from dvk_cli.reading.legacy import (
    ENCODING_NAMES,
    ENCODINGS,
    TCVN3,
    VNI,
    decode_tcvn3,
    decode_vni,
    detect_legacy,
    encode_tcvn3,
    encode_vni,
    file_encoding,
    to_unicode,
)

SEEDS = ROOT.parent / "shared" / "seeds"

# The 67 lower-case Vietnamese letters that are not ASCII.
LOWER = ("ăâêôơưđ" "àảãáạ" "ằẳẵắặ" "ầẩẫấậ" "èẻẽéẹ" "ềểễếệ" "ìỉĩíị" "òỏõóọ" "ồổỗốộ" "ờởỡớợ"
         "ùủũúụ" "ừửữứự" "ỳỷỹýỵ")
UPPER = LOWER.upper()

TCVN3_TABLE = {
    "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7, "ă": 0xA8,
    "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE, "à": 0xB5, "ả": 0xB6,
    "ã": 0xB7, "á": 0xB8, "ạ": 0xB9, "ằ": 0xBB, "ẳ": 0xBC, "ẵ": 0xBD, "ắ": 0xBE, "ặ": 0xC6,
    "ầ": 0xC7, "ẩ": 0xC8, "ẫ": 0xC9, "ấ": 0xCA, "ậ": 0xCB, "è": 0xCC, "ẻ": 0xCE, "ẽ": 0xCF,
    "é": 0xD0, "ẹ": 0xD1, "ề": 0xD2, "ể": 0xD3, "ễ": 0xD4, "ế": 0xD5, "ệ": 0xD6, "ì": 0xD7,
    "ỉ": 0xD8, "ĩ": 0xDC, "í": 0xDD, "ị": 0xDE, "ò": 0xDF, "ỏ": 0xE1, "õ": 0xE2, "ó": 0xE3,
    "ọ": 0xE4, "ồ": 0xE5, "ổ": 0xE6, "ỗ": 0xE7, "ố": 0xE8, "ộ": 0xE9, "ờ": 0xEA, "ở": 0xEB,
    "ỡ": 0xEC, "ớ": 0xED, "ợ": 0xEE, "ù": 0xEF, "ủ": 0xF1, "ũ": 0xF2, "ú": 0xF3, "ụ": 0xF4,
    "ừ": 0xF5, "ử": 0xF6, "ữ": 0xF7, "ứ": 0xF8, "ự": 0xF9, "ỳ": 0xFA, "ỷ": 0xFB, "ỹ": 0xFC,
    "ý": 0xFD, "ỵ": 0xFE,
}

VNI_TABLE = {
    "á": b"a\xf9", "à": b"a\xf8", "ả": b"a\xfb", "ã": b"a\xf5", "ạ": b"a\xef", "â": b"a\xe2",
    "ấ": b"a\xe1", "ầ": b"a\xe0", "ẩ": b"a\xe5", "ẫ": b"a\xe3", "ậ": b"a\xe4", "ă": b"a\xea",
    "ắ": b"a\xe9", "ằ": b"a\xe8", "ẳ": b"a\xfa", "ẵ": b"a\xfc", "ặ": b"a\xeb", "é": b"e\xf9",
    "è": b"e\xf8", "ẻ": b"e\xfb", "ẽ": b"e\xf5", "ẹ": b"e\xef", "ê": b"e\xe2", "ế": b"e\xe1",
    "ề": b"e\xe0", "ể": b"e\xe5", "ễ": b"e\xe3", "ệ": b"e\xe4", "ó": b"o\xf9", "ò": b"o\xf8",
    "ỏ": b"o\xfb", "õ": b"o\xf5", "ọ": b"o\xef", "ô": b"o\xe2", "ố": b"o\xe1", "ồ": b"o\xe0",
    "ổ": b"o\xe5", "ỗ": b"o\xe3", "ộ": b"o\xe4", "ơ": b"\xf4", "ớ": b"\xf4\xf9",
    "ờ": b"\xf4\xf8", "ở": b"\xf4\xfb", "ỡ": b"\xf4\xf5", "ợ": b"\xf4\xef", "ú": b"u\xf9",
    "ù": b"u\xf8", "ủ": b"u\xfb", "ũ": b"u\xf5", "ụ": b"u\xef", "ư": b"\xf6", "ứ": b"\xf6\xf9",
    "ừ": b"\xf6\xf8", "ử": b"\xf6\xfb", "ữ": b"\xf6\xf5", "ự": b"\xf6\xef", "í": b"\xed",
    "ì": b"\xec", "ỉ": b"\xe6", "ĩ": b"\xf3", "ị": b"\xf2", "ý": b"y\xf9", "ỳ": b"y\xf8",
    "ỷ": b"y\xfb", "ỹ": b"y\xf5", "ỵ": b"\xee", "đ": b"\xf1", "Á": b"A\xd9", "À": b"A\xd8",
    "Ả": b"A\xdb", "Ã": b"A\xd5", "Ạ": b"A\xcf", "Â": b"A\xc2", "Ấ": b"A\xc1", "Ầ": b"A\xc0",
    "Ẩ": b"A\xc5", "Ẫ": b"A\xc3", "Ậ": b"A\xc4", "Ă": b"A\xca", "Ắ": b"A\xc9", "Ằ": b"A\xc8",
    "Ẳ": b"A\xda", "Ẵ": b"A\xdc", "Ặ": b"A\xcb", "É": b"E\xd9", "È": b"E\xd8", "Ẻ": b"E\xdb",
    "Ẽ": b"E\xd5", "Ẹ": b"E\xcf", "Ê": b"E\xc2", "Ế": b"E\xc1", "Ề": b"E\xc0", "Ể": b"E\xc5",
    "Ễ": b"E\xc3", "Ệ": b"E\xc4", "Ó": b"O\xd9", "Ò": b"O\xd8", "Ỏ": b"O\xdb", "Õ": b"O\xd5",
    "Ọ": b"O\xcf", "Ô": b"O\xc2", "Ố": b"O\xc1", "Ồ": b"O\xc0", "Ổ": b"O\xc5", "Ỗ": b"O\xc3",
    "Ộ": b"O\xc4", "Ơ": b"\xd4", "Ớ": b"\xd4\xd9", "Ờ": b"\xd4\xd8", "Ở": b"\xd4\xdb",
    "Ỡ": b"\xd4\xd5", "Ợ": b"\xd4\xcf", "Ú": b"U\xd9", "Ù": b"U\xd8", "Ủ": b"U\xdb",
    "Ũ": b"U\xd5", "Ụ": b"U\xcf", "Ư": b"\xd6", "Ứ": b"\xd6\xd9", "Ừ": b"\xd6\xd8",
    "Ử": b"\xd6\xdb", "Ữ": b"\xd6\xd5", "Ự": b"\xd6\xcf", "Í": b"\xcd", "Ì": b"\xcc",
    "Ỉ": b"\xc6", "Ĩ": b"\xd3", "Ị": b"\xd2", "Ý": b"Y\xd9", "Ỳ": b"Y\xd8", "Ỷ": b"Y\xdb",
    "Ỹ": b"Y\xd5", "Ỵ": b"\xce", "Đ": b"\xd1",
}


def tcvn3(text: str) -> str:
    """What Excel holds for ``text`` typed in .VnTime: the font's bytes read as
    Windows-1252. Capitals with a tone mark take the lower-case code
    (.VnTimeH); other characters stay as they are."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        code = TCVN3_TABLE.get(ch, TCVN3_TABLE.get(ch.lower()))
        out.append(bytes([code]).decode("cp1252") if code is not None else ch)
    return "".join(out)


def vni(text: str) -> str:
    """What Excel holds for ``text`` typed in VNI-Times."""
    return "".join(VNI_TABLE[ch].decode("cp1252") if ch in VNI_TABLE else ch
                   for ch in unicodedata.normalize("NFC", text))


def tcvn3_readable(text: str) -> str:
    """``text`` as TCVN3 can give it back in title case: capitals with a tone
    mark have no code of their own (only a capital font shows them)."""
    return "".join(ch.lower() if ch.isupper() and ch.lower() in TCVN3_TABLE
                   and ch not in TCVN3_TABLE else ch for ch in text)


PHRASES = [
    "Huyện Bù Đăng",
    "Thị xã Bình Long",
    "Tổng số mô hình “Dân vận khéo”",
    "Nhà tình nghĩa – trị giá",
    "Số lượt tiếp công dân",
    "Đơn thư khiếu nại, tố cáo",
    "Thành phố Đồng Xoài",
    "Huyện Bù Gia Mập",
    "Thị xã Phước Long",
    "Đơn vị báo cáo",
    "Kỳ báo cáo",
    "Số mô hình tiêu biểu được khen thưởng",
    "Nhà đại đoàn kết – trị giá (triệu đồng)",
    "Ủy ban Mặt trận Tổ quốc Việt Nam huyện",
    "Xã Đắk Ơ",
    "6 tháng đầu năm 2024",
]

UNICODE_TEXTS = PHRASES + [
    "Ô Môn", "Cà Mau", "Tòa án", "Tây Ninh", "Cà phê Sài Gòn", "Tên mô hình", "Mã", "Mã đơn vị",
    "Nguyễn", "Bà Rịa – Vũng Tàu", "Đắk Lắk", "Hà Nội", "HÀ NỘI", "ĐƠN VỊ BÁO CÁO", "Chỉ tiêu",
    "Số liệu", "Ghi chú", "Đơn vị tính", "hòa", "hoà", "thủy", "thuỷ", "Bé", "NÊN", "Chi phí",
]
ASCII_TEXTS = ["MH_TONG", "NHA_TN_SO", "STT", "UBND", "2024", "1.215", "33,5", "x", "", " ",
               "Ban Dan van", "Quy I/2024", "TP. Dong Xoai"]
WESTERN_TEXTS = [
    "Café", "São Paulo", "Müller", "naïve", "Crème brûlée", "Ñandú", "Peña", "Zürich", "Straße",
    "Björk", "déjà vu", "José", "Hélène", "Curaçao", "El Niño", "Señor Gómez", "Ångström",
    "résumé", "François", "Besançon", "Málaga", "Bogotá", "Perú", "Mérida", "Göteborg",
    "Côte d'Ivoire", "Noël", "Loïc Dupont", "Citroën", "Gaël", "maïs", "Haïti", "São Tomé",
    "Québec", "Genève", "Köln", "Düsseldorf", "Málaga – Córdoba", "Ça va", "Œuvre", "Renée",
    "Café Trung Nguyên", "Quán Café Nguyên", "Jürgen Klopp", "Pokémon", "Señora", "año",
    "Fußball", "Ørsted", "Þór", "Łódź", "Dvořák", "Ελλάδα", "Москва", "北京",
]


# --------------------------------------------------------------------------
# Tables: every letter
# --------------------------------------------------------------------------

def test_the_tables_cover_the_whole_alphabet():
    assert len(LOWER) == 67 and len(set(LOWER)) == 67
    assert set(TCVN3_TABLE) == set(LOWER) | set("ĂÂÊÔƠƯĐ")
    assert set(VNI_TABLE) == set(LOWER) | set(UPPER) and len(VNI_TABLE) == 134
    assert len(set(TCVN3_TABLE.values())) == 74


@pytest.mark.parametrize("letter", sorted(TCVN3_TABLE))
def test_tcvn3_letter(letter):
    code = chr(TCVN3_TABLE[letter])
    assert encode_tcvn3(letter) == code
    assert decode_tcvn3(code) == letter


@pytest.mark.parametrize("letter", sorted(set(UPPER) - set("ĂÂÊÔƠƯĐ")))
def test_tcvn3_capitals_with_tone_marks(letter):
    """.VnTimeH capitals sit on the lower-case code; a word in capitals gets
    them back, a lone letter cannot know."""
    assert encode_tcvn3(letter) == chr(TCVN3_TABLE[letter.lower()])
    word = "X" + letter + "NG"
    assert encode_tcvn3(word) == tcvn3(word)
    assert decode_tcvn3(tcvn3(word)) == word
    assert decode_tcvn3(tcvn3(letter)) == letter.lower()


@pytest.mark.parametrize("letter", sorted(VNI_TABLE))
def test_vni_letter(letter):
    spelling = VNI_TABLE[letter].decode("cp1252")
    assert encode_vni(letter) == spelling
    assert decode_vni(spelling) == letter


def test_whole_alphabet_round_trips():
    text = " ".join(LOWER) + " " + " ".join(UPPER) + " " + LOWER + " " + UPPER
    assert encode_vni(text) == vni(text)
    assert decode_vni(vni(text)) == text
    assert encode_tcvn3(text) == tcvn3(text)
    lower = text.lower()
    assert decode_tcvn3(tcvn3(lower)) == lower
    assert decode_tcvn3(tcvn3(text)).lower() == lower
    # Letter by letter inside words, lower case and capitals, both schemes.
    for letter in LOWER:
        for word in ("ng" + letter + "n", "NG" + letter.upper() + "N"):
            assert decode_vni(vni(word)) == word
            assert decode_tcvn3(tcvn3(word)) == word


def test_output_is_nfc_and_non_letters_pass_through():
    mixed = "Số 1.215; “trị giá” – 33,5% (x) ≥ 2 — Ok"
    for encode, decode in ((tcvn3, decode_tcvn3), (vni, decode_vni)):
        decoded = decode(encode(mixed))
        assert decoded == mixed
        assert unicodedata.is_normalized("NFC", decoded)
    # Encoders take decomposed (NFD) input too.
    nfd = unicodedata.normalize("NFD", "Huyện Bù Đăng")
    assert encode_vni(nfd) == vni("Huyện Bù Đăng")
    assert encode_tcvn3(nfd) == tcvn3("Huyện Bù Đăng")


@pytest.mark.skipif(shutil.which("iconv") is None, reason="needs glibc iconv")
@pytest.mark.slow
def test_tcvn3_agrees_with_iconv():
    """glibc's TCVN5712-1 converter, for every VN3 code point."""
    codes = bytes(sorted(TCVN3_TABLE.values()))
    run = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=codes,
                         capture_output=True)
    if run.returncode != 0:
        pytest.skip("iconv has no TCVN5712-1 here")
    expected = unicodedata.normalize("NFC", run.stdout.decode("utf-8"))
    assert len(expected) == 74
    assert [decode_tcvn3(chr(b)) for b in codes] == list(expected)


# --------------------------------------------------------------------------
# Phrases
# --------------------------------------------------------------------------

@pytest.mark.parametrize("phrase", PHRASES)
def test_phrases_decode_exactly(phrase):
    assert to_unicode(vni(phrase)) == (phrase, VNI)
    assert to_unicode(tcvn3(phrase)) == (tcvn3_readable(phrase), TCVN3)
    assert to_unicode(tcvn3(phrase.upper())) == (phrase.upper(), TCVN3)


def test_what_a_clerk_sees():
    assert tcvn3("Huyện Bù Đăng") == "HuyÖn Bï §¨ng"
    assert vni("Huyện Bù Đăng") == "Huyeän Buø Ñaêng"
    assert to_unicode("HuyÖn Bï §¨ng") == ("Huyện Bù Đăng", "tcvn3")
    assert to_unicode("Huyeän Buø Ñaêng") == ("Huyện Bù Đăng", "vni")
    assert to_unicode("Tæng sè m« h×nh “D©n vËn khÐo”") == ("Tổng số mô hình “Dân vận khéo”",
                                                           "tcvn3")
    assert to_unicode("Nhaø tình nghóa – trò giaù") == ("Nhà tình nghĩa – trị giá", "vni")


def test_headings_in_capitals():
    for text in ("ĐƠN VỊ BÁO CÁO", "HUYỆN BÙ ĐĂNG", "BIỂU SỐ LIỆU CÔNG TÁC DÂN VẬN", "HÀ NỘI"):
        assert to_unicode(vni(text)) == (text, VNI)
        assert to_unicode(tcvn3(text)) == (text, TCVN3)
    # Capitals are only restored where the text shows them.
    assert decode_tcvn3(tcvn3("Tổng số HUYỆN")) == "Tổng số HUYỆN"
    assert decode_tcvn3(tcvn3("Hà Tĩnh")) == "Hà Tĩnh"
    assert decode_tcvn3(tcvn3("UBND Xã")) == "UBND Xã"


def test_vni_tolerates_marks_in_the_other_case():
    assert decode_vni("Aùp Baéc") == "Áp Bắc"
    assert decode_vni("AÙP BAÉC") == "ÁP BẮC"
    assert decode_vni("Ngaõ tö Soùc Sôn") == "Ngã tư Sóc Sơn"
    # A mark after no vowel stays as it is.
    assert decode_vni("Café") == "Café"


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text", UNICODE_TEXTS + ASCII_TEXTS + WESTERN_TEXTS)
def test_detection_does_not_fire(text):
    for hint in (None, *ENCODINGS):
        assert detect_legacy(text, hint) is None, hint
        assert to_unicode(text, hint) == (text, None)
    assert to_unicode(unicodedata.normalize("NFD", text)) == (
        unicodedata.normalize("NFD", text), None)


def test_detection_does_not_fire_on_catalog_and_sample_texts():
    import tomllib

    from dvk_cli.core.catalog import default_catalog

    cat = default_catalog()
    texts = set(cat.codes)
    for ind in cat.indicators.values():
        texts.update([ind.label, ind.unit or "", *(ind.synonyms or ())])
    cfg = tomllib.loads((ROOT / "sample_data" / "binh-phuoc" / "dvk.toml").read_text("utf-8"))
    for unit in cfg["units"]:
        texts.update(str(v) for v in unit.values())
    assert len(texts) > 100
    assert [t for t in texts if any(detect_legacy(t, h) for h in (None, *ENCODINGS))] == []


def test_detection_does_not_fire_on_place_and_calendar_names_of_latin_languages():
    """Country and currency names, months and weekdays in 39 languages
    written in the Latin alphabet (from Babel's CLDR data). With a file's
    hint a single word can read as Vietnamese (Icelandic "Mön" = TCVN3
    "mửn"): the hint says the file is legacy text."""
    from babel import Locale

    texts = set()
    for code in ("fr de es pt it ca nl da sv nb is fi et ga gl eu af sq lb fo br oc rm cy "
                 "gd en tr hu cs pl ro sk sl hr lt lv mt vi").split():
        loc = Locale.parse(code)
        texts.update(loc.territories.values(), loc.currencies.values(),
                     loc.months["format"]["wide"].values(), loc.days["format"]["wide"].values())
    texts = {t for t in texts if not t.isascii()}
    assert len(texts) > 3000
    assert [t for t in texts if detect_legacy(t)] == []


def test_ambiguous_short_texts_need_the_file_hint():
    # "bæ sung" is bổ sung in TCVN3 and bỉ sung in VNI; alone it stays.
    assert detect_legacy("bæ sung") is None
    assert to_unicode("bæ sung", hint=TCVN3) == ("bổ sung", TCVN3)
    assert to_unicode("bæ sung", hint=VNI) == ("bỉ sung", VNI)
    # One word proves little; the hint makes it count.
    assert to_unicode(vni("Mã")) == (vni("Mã"), None)
    assert to_unicode(vni("Mã"), hint=VNI) == ("Mã", VNI)
    assert to_unicode(vni("đơn"), hint=VNI) == ("đơn", VNI)
    # ...unless a TCVN3 symbol sits inside the word: no other text holds one.
    assert to_unicode(tcvn3("Mã")) == ("Mã", TCVN3)
    assert to_unicode(tcvn3("HĐND")) == ("HĐND", TCVN3)
    # Text that reads as Unicode stays Unicode whatever the hint: forms mix
    # the template's Unicode labels with what the clerk typed.
    for text in ("Tên mô hình", "Mã", "Ghi chú", "Bé"):
        assert to_unicode(text, hint=TCVN3) == (text, None)
        assert to_unicode(text, hint=VNI) == (text, None)
    with pytest.raises(ValueError):
        detect_legacy("bæ sung", hint="viscii")


def test_file_encoding():
    cells = ["STT", "Mã", tcvn3("Chỉ tiêu"), tcvn3("Huyện Bù Đăng"), "bæ sung", None, 12]
    assert file_encoding(cells) == TCVN3
    assert file_encoding([vni("Huyện Bù Đăng"), vni("Số liệu"), tcvn3("Số liệu")]) == VNI
    assert file_encoding([vni("Số liệu"), tcvn3("Số liệu")]) is None
    assert file_encoding(["Số liệu", "Café"]) is None


def test_non_text_is_left_alone():
    for value in (None, 12, 3.5):
        assert detect_legacy(value) is None
        assert to_unicode(value) == (value, None)


def test_encoding_names_for_users():
    assert set(ENCODING_NAMES) == set(ENCODINGS)
    assert all(unicodedata.is_normalized("NFC", n) for n in ENCODING_NAMES.values())


# --------------------------------------------------------------------------
# Real text and real files
# --------------------------------------------------------------------------

def _seed_lines() -> list[str]:
    lines = []
    for path in sorted(SEEDS.glob("0*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = unicodedata.normalize("NFC", line.strip())
            if len(_WORDS.findall(line)) >= 4:
                lines.append(line)
    return lines


_WORDS = re.compile(r"[^\W\d_]+")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is beside the repository")
def test_seed_articles_line_by_line():
    """Every line of the five source articles: as Unicode never detected; typed
    in TCVN3 or VNI, detected and decoded back exactly (TCVN3 loses the case of
    capitals with tone marks in title case, as the font does)."""
    lines = _seed_lines()
    assert len(lines) > 80
    english = {"Nội dung no image"}  # English words outweigh one Vietnamese one
    for line in lines:
        assert detect_legacy(line) is None, line
        if line in english or vni(line) == line:  # English, or ASCII only (links)
            continue
        assert to_unicode(vni(line)) == (line, VNI), line
        decoded, encoding = to_unicode(tcvn3(line))
        assert encoding == TCVN3 and decoded.lower() == line.lower(), line


def test_workbook_cells_read_back_and_decode(tmp_path):
    """A return typed in a legacy font, saved as .xlsx and .xls, read with
    calamine as dvk reads returns: every label and the unit name decode."""
    from python_calamine import CalamineWorkbook

    for encode, encoding in ((tcvn3, TCVN3), (vni, VNI)):
        grid = return_grid({"MH_TONG": 12}, unit=encode("Huyện Bù Đăng"))
        rows = grid["Biểu số liệu"]
        originals = {}
        for row in rows:
            if isinstance(row[1], str) and encode(row[1]) != row[1] and row[0] != "Đơn vị báo cáo":
                originals[encode(row[1])] = row[1]
                row[1] = encode(row[1])
        assert len(originals) > 20  # every indicator label, the table headers
        for writer, name in ((write_xlsx, "r.xlsx"), (write_xls, "r.xls")):
            path = writer(grid, tmp_path / f"{encoding}-{name}")
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Biểu số liệu")
            cells = [v for row in sheet.to_python() for v in row if isinstance(v, str) and v]
            hint = file_encoding(cells)
            assert hint == encoding
            decoded = {v: to_unicode(v, hint) for v in cells}
            assert decoded[encode("Huyện Bù Đăng")] == ("Huyện Bù Đăng", encoding)
            for legacy, original in originals.items():
                text, found = decoded[legacy]
                assert found == encoding and text.lower() == original.lower(), original
            # The template's own Unicode texts and the codes are left alone.
            assert decoded["Mã"] == ("Mã", None)
            assert decoded["MH_TONG"] == ("MH_TONG", None)


# ------------------------------------------------------------ through dvk itself

def _legacy_no_code_form(encode, writer, path):
    """A commune's own sheet typed entirely in a legacy font: title, unit name,
    labels, units of measure and the model list; no Mã column."""
    rows = [
        ["BÁO CÁO KẾT QUẢ CÔNG TÁC DÂN VẬN NĂM 2024", None, None, None],
        ["Đơn vị báo cáo:", "Huyện Bù Đăng", None, None],
        [None, None, None, None],
        ["STT", "Nội dung", "ĐVT", "Kết quả"],
        ["1", "Số mô hình “Dân vận khéo” xây dựng mới", "mô hình", 3],
        ["", "- Tập thể", "mô hình", 2],
        ["", "- Cá nhân", "mô hình", 1],
        ["", "- Lĩnh vực kinh tế", "mô hình", 2],
        ["", "- Lĩnh vực văn hóa – xã hội", "mô hình", 1],
        ["2", "Mô hình, điển hình tiêu biểu", "mô hình", 1],
        ["3", "Số lượt tiếp dân", "lượt", 57],
        ["4", "Nhà tình nghĩa – trị giá", "triệu đồng", 160],
    ]
    models = [
        ["STT", "Tên mô hình", "Lĩnh vực", "Loại", "Tiêu biểu", "Đơn vị thực hiện"],
        [1, "Tuyến đường nông thôn mới kiểu mẫu", "Kinh tế", "Tập thể", "x", "Xã Bom Bo"],
        [2, "Dân vận khéo trong vận động hiến đất làm đường", "Kinh tế", "Tập thể", None,
         "Xã Đăng Hà"],
        [3, "Sinh hoạt văn nghệ cộng đồng dân tộc S'tiêng", "Văn hóa – xã hội", "Cá nhân",
         None, "Bà Điểu Thị Hương"],
    ]
    grid = {"Sheet1": rows, "Danh sách mô hình": models}
    for sheet in grid.values():
        for row in sheet:
            for i, v in enumerate(row):
                if isinstance(v, str):
                    row[i] = encode(v)
    return writer(grid, path)


@pytest.mark.parametrize("encode, encoding", [(tcvn3, TCVN3), (vni, VNI)])
@pytest.mark.parametrize("writer", [write_xlsx, write_xls])
def test_legacy_return_reads_like_a_unicode_one(tmp_path, encode, encoding, writer):
    """dvk reads a return typed in TCVN3 or VNI: the unit is found by its name,
    the period by the title, every label matches, the model list keeps its
    names in Unicode, and an info finding says which cells were converted."""
    from helpers import THREE_UNITS, write_config

    from dvk_cli.pipeline import run

    write_config(tmp_path, THREE_UNITS)
    suffix = ".xlsx" if writer is write_xlsx else ".xls"
    _legacy_no_code_form(encode, writer, tmp_path / f"bao-cao{suffix}")
    result = run([tmp_path], period="2024")
    assert list(result.units) == ["BUDANG"]
    t = result.totals
    assert (t["MH_TONG"], t["MH_TAPTHE"], t["MH_CANHAN"]) == (3, 2, 1)
    assert (t["MH_KT"], t["MH_VHXH"], t["MH_TIEUBIEU"]) == (2, 1, 1)
    assert t["TCD_LUOT"] == 57 and t["NHA_TN_TIEN"] == 160
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    names = sorted(result.models["name"])
    assert names == sorted(["Tuyến đường nông thôn mới kiểu mẫu",
                            "Dân vận khéo trong vận động hiến đất làm đường",
                            "Sinh hoạt văn nghệ cộng đồng dân tộc S'tiêng"])
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    (info,) = [f for f in result.findings if f.rule == "legacy_encoding"]
    assert info.severity == "info" and info.sheet == "Sheet1" and info.cell == "A1"
    assert ENCODING_NAMES[encoding].split()[0] in info.message


def test_legacy_cli_inspect_and_validate(tmp_path):
    from helpers import THREE_UNITS, write_config
    from typer.testing import CliRunner

    from dvk_cli.cli.app import app

    write_config(tmp_path, THREE_UNITS)
    path = _legacy_no_code_form(tcvn3, write_xlsx, tmp_path / "bu-dang.xlsx")
    runner = CliRunner()
    shown = runner.invoke(app, ["inspect", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "Huyện Bù Đăng" in shown.output and "TCVN3" in shown.output
    checked = runner.invoke(app, ["validate", str(tmp_path), "--period", "2024", "--json"])
    assert checked.exit_code == 0, checked.output
    import json

    report = json.loads(checked.stdout)
    rules = {f["rule"] for f in report["findings"]}
    assert "legacy_encoding" in rules
    # the input file is never rewritten
    assert "BÁO CÁO" not in openpyxl_text(path) and tcvn3("Huyện Bù Đăng") in openpyxl_text(path)


def openpyxl_text(path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    return " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True)
                    for v in row if v is not None)
