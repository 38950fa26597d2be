"""Vietnamese text typed in the legacy 8-bit font encodings TCVN3 and VNI.

Before Unicode, Vietnamese was typed with fonts whose glyphs sit on the code
points of Windows-1252. Excel stores what was typed as those Windows-1252
characters, so a cell reads "HuyÖn Bï §¨ng" (TCVN3, .VnTime fonts) or
"Huyeän Buø Ñaêng" (VNI, VNI-Times fonts) instead of "Huyện Bù Đăng".

- **TCVN3** (TCVN 5712:1993, VN3; the "ABC" fonts .VnTime, .VnArial): every
  letter is one code point. It holds the 67 lower-case letters with diacritics
  and only seven capitals (Ă Â Ê Ô Ơ Ư Đ). Capitals with tone marks were set
  in the separate all-capital fonts (.VnTimeH), on the *lower-case* code
  points, so the font, not the text, says they are capitals.
  ``decode_tcvn3`` restores them where the text itself shows that it is
  written in capitals (see ``_restore_capitals``).
- **VNI** (VNI-Windows): a letter is a Latin base letter followed by one mark
  character ("aù" = á, "eä" = ệ), except for a few letters that have a code
  point of their own (ñ = đ, ô = ơ, ö = ư, the i family, î = ỵ). Upper-case
  letters use upper-case marks ("AÙ" = Á).

Windows-1252 and ISO-8859-1 agree on 0xA0-0xFF, where all these letters live.

No maintained PyPI library converts both encodings completely (the one that
does both leaves letters out of its VNI table), so the published tables are
written out here, compactly; ``tests/test_legacy.py`` checks every letter
against the same tables written out letter by letter.

``detect_legacy`` decides whether a string *is* legacy text: only when it
does not already read as Unicode Vietnamese, holds no letter the encoding
cannot produce, and decoding turns its words into Vietnamese syllables
(initial + rhyme from the list of Vietnamese rhymes, the tone mark on the
vowel that carries it, stops only with the sắc or nặng tone). ASCII text,
Unicode Vietnamese and Western words ("Café", "São Paulo", "Müller") are left
alone. A single word is ambiguous ("Bé" is Unicode "bé" or TCVN3 "bộ"), so it
counts only with a hint: ``file_encoding`` finds the encoding of a file from
all its texts, and ``to_unicode(text, hint)`` uses it.

Typical use on the texts of one sheet::

    hint = file_encoding(texts)
    text, encoding = to_unicode(text, hint)   # encoding is None: unchanged
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TCVN3 = "tcvn3"
VNI = "vni"
ENCODINGS = (TCVN3, VNI)
# How an encoding is named to users (findings, reports).
ENCODING_NAMES = {
    TCVN3: "TCVN3 (bảng mã ABC, phông .VnTime)",
    VNI: "VNI (phông VNI-Times)",
}

_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_TONES = {_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT}
# The twelve vowels as the tables list them.
_VOWELS = "aăâeêioôơuưy"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _letter(base: str, tone: str = "") -> str:
    return _nfc(base + tone)


# --------------------------------------------------------------------------
# TCVN3 (TCVN 5712:1993 VN3)
# --------------------------------------------------------------------------

# One five-character string per vowel (in _VOWELS order): the code points of
# the vowel with grave, hook above, tilde, acute and dot below, in the order
# the standard places them.
_TCVN3_TONE_ORDER = (_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT)
_TCVN3_TONED = "µ¶·¸¹ »¼½¾Æ ÇÈÉÊË ÌÎÏÐÑ ÒÓÔÕÖ ×ØÜÝÞ ßáâãä åæçèé êëìíî ïñòóô õö÷øù úûüýþ".split()
# Letters without a tone mark that are not ASCII: seven lower-case, seven capitals.
_TCVN3_PLAIN = dict(zip("ăâêôơưđĂÂÊÔƠƯĐ", "¨©ª«¬\xad®¡¢£¤¥¦§", strict=True))
_TCVN3_CAPITAL_CODES = frozenset("¡¢£¤¥¦§")


def _tcvn3_table() -> dict[str, str]:
    """Unicode letter -> TCVN3 code point, for the 74 letters TCVN3 has."""
    table = dict(_TCVN3_PLAIN)
    for vowel, codes in zip(_VOWELS, _TCVN3_TONED, strict=True):
        for tone, code in zip(_TCVN3_TONE_ORDER, codes, strict=True):
            table[_letter(vowel, tone)] = code
    return table


_TCVN3_ENCODE = _tcvn3_table()
_TCVN3_DECODE = {code: letter for letter, code in _TCVN3_ENCODE.items()}


# --------------------------------------------------------------------------
# VNI (VNI-Windows)
# --------------------------------------------------------------------------

# Tone marks written after a vowel: acute, grave, hook above, tilde, dot below
# (the order of the VNI keys 1-5).
_VNI_TONE_ORDER = (_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT)
_VNI_TONE_MARKS = "ùøûõï"
# Vowel-shape marks, alone and then combined with each of the five tones.
_VNI_CIRCUMFLEX = "âáàåãä"  # after a, e, o: â ê ô
_VNI_BREVE = "êéèúüë"  # after a: ă
# Letters with a code point of their own.
_VNI_HORN = {"ơ": "ô", "ư": "ö"}  # tone marks follow them like any vowel
_VNI_I = "íìæóò"  # i with the five tones
_VNI_SINGLE = {"đ": "ñ", "ỵ": "î"}


def _vni_table() -> dict[str, str]:
    """Unicode letter -> VNI spelling, lower case, for the 67 letters."""
    table: dict[str, str] = {}
    for vowel in "aeouy":
        for tone, mark in zip(_VNI_TONE_ORDER, _VNI_TONE_MARKS, strict=True):
            table[_letter(vowel, tone)] = vowel + mark
    for letter, base in _VNI_HORN.items():
        table[letter] = base
        for tone, mark in zip(_VNI_TONE_ORDER, _VNI_TONE_MARKS, strict=True):
            table[_letter(letter, tone)] = base + mark
    for letter, base, marks in (("â", "a", _VNI_CIRCUMFLEX), ("ê", "e", _VNI_CIRCUMFLEX),
                                ("ô", "o", _VNI_CIRCUMFLEX), ("ă", "a", _VNI_BREVE)):
        table[letter] = base + marks[0]
        for tone, mark in zip(_VNI_TONE_ORDER, marks[1:], strict=True):
            table[_letter(letter, tone)] = base + mark
    for tone, code in zip(_VNI_TONE_ORDER, _VNI_I, strict=True):
        table[_letter("i", tone)] = code
    table.update(_VNI_SINGLE)
    return table


def _vni_tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(encode table, two-character decode table, one-character decode table)."""
    lower = _vni_table()
    encode = dict(lower)
    encode.update({letter.upper(): spelling.upper() for letter, spelling in lower.items()})
    pairs: dict[str, str] = {}
    singles: dict[str, str] = {}
    for letter, spelling in encode.items():
        (pairs if len(spelling) == 2 else singles)[spelling] = letter
    # Tolerated spellings: a mark in the other case than its base letter
    # ("Aù" for Á, from converters and hand edits; the base letter decides the
    # case), and i/y with a plain tone mark ("iù", "yï") as some converters
    # write them; all of them look right in a VNI font.
    extra: dict[str, str] = {}
    for spelling, letter in pairs.items():
        base, mark = spelling[0], spelling[1]
        for other in (mark.lower(), mark.upper()):
            extra.setdefault(base + other, letter)
    for base in "iI":
        for tone, mark in zip(_VNI_TONE_ORDER, _VNI_TONE_MARKS, strict=True):
            letter = _letter(base, tone)
            extra.setdefault(base + mark, letter)
            extra.setdefault(base + mark.upper(), letter)
    extra.setdefault("yï", "ỵ")
    extra.setdefault("yÏ", "ỵ")
    extra.setdefault("Yï", "Ỵ")
    extra.setdefault("YÏ", "Ỵ")
    return encode, {**extra, **pairs}, singles


_VNI_ENCODE, _VNI_PAIRS, _VNI_SINGLES = _vni_tables()
_VNI_CODES = frozenset("".join(_VNI_ENCODE.values())) - frozenset("aeiouyAEIOUY")
# Codes that only mean something after a vowel.
_VNI_MARKS = _VNI_CODES - frozenset(_VNI_SINGLES)


# --------------------------------------------------------------------------
# Encoding and decoding
# --------------------------------------------------------------------------

def decode_tcvn3(text: str) -> str:
    """TCVN3 text (as Windows-1252 characters) -> Unicode NFC.

    Characters that are not TCVN3 letters are kept as they are. Words written
    in capitals (.VnTimeH fonts) come back in capitals.
    """
    decoded = "".join(_TCVN3_DECODE.get(ch, ch) for ch in text)
    return _nfc(_restore_capitals(text, decoded))


def decode_vni(text: str) -> str:
    """VNI text (as Windows-1252 characters) -> Unicode NFC.

    A mark that follows no letter it can go with is kept as it is.
    """
    return _nfc(_decode_vni(text))


def _decode_vni(text: str, stray: str | None = None) -> str:
    """VNI decoding; marks that follow no letter they fit become ``stray``
    when given."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        letter = _VNI_PAIRS.get(text[i : i + 2])
        if letter is not None:
            out.append(letter)
            i += 2
            continue
        ch = text[i]
        letter = _VNI_SINGLES.get(ch)
        if letter is None:
            letter = stray if stray is not None and ch in _VNI_MARKS else ch
        out.append(letter)
        i += 1
    return "".join(out)


def encode_tcvn3(text: str) -> str:
    """Unicode -> TCVN3, as a clerk's .VnTime cell reads in Excel.

    Capitals with a tone mark have no code point of their own in TCVN3: they
    are written with the lower-case code, as in the .VnTimeH capital fonts.
    """
    out = []
    for ch in _nfc(text):
        code = _TCVN3_ENCODE.get(ch) or _TCVN3_ENCODE.get(ch.lower())
        out.append(code or ch)
    return "".join(out)


def encode_vni(text: str) -> str:
    """Unicode -> VNI, as a clerk's VNI-Times cell reads in Excel."""
    return "".join(_VNI_ENCODE.get(ch, ch) for ch in _nfc(text))


DECODERS = {TCVN3: decode_tcvn3, VNI: decode_vni}
ENCODERS = {TCVN3: encode_tcvn3, VNI: encode_vni}


def _restore_capitals(text: str, decoded: str) -> str:
    """Upper-case TCVN3 words that were set in a capital font.

    TCVN3 has no code points for capitals with tone marks: "HUYỆN" set in
    .VnTimeH is "HUYÖN", whose "Ö" is the code of the lower-case ệ. The ASCII
    letters and the seven TCVN3 capitals of the words holding such codes show
    the case: the words are in capitals when all those letters are upper
    case, there are at least two, and one of them is not the first letter of
    its word ("Hµ Tõ", title case, stays as it is). Decided for all those
    words of the text together first ("Hµ NéI" is HÀ NỘI), else word by word.
    ASCII-only words are left as they are: acronyms ("UBND X·") show nothing.
    """
    # decode_tcvn3 maps one character to one, so positions line up.
    words = []
    for m in _WORD.finditer(decoded):
        start, end = m.span()
        if not any(ch in _TCVN3_DECODE for ch in text[start:end]):
            continue
        cased = [(k > start, text[k].isupper() or text[k] in _TCVN3_CAPITAL_CODES)
                 for k in range(start, end)
                 if (text[k].isascii() and text[k].isalpha()) or text[k] in _TCVN3_CAPITAL_CODES]
        words.append((start, end, cased))

    def capitals(cased: list[tuple[bool, bool]]) -> bool:
        return (len(cased) >= 2 and all(upper for _, upper in cased)
                and any(inner for inner, _ in cased))

    together = capitals([c for _, _, cased in words for c in cased])
    out = list(decoded)
    for start, end, cased in words:
        if together or capitals(cased):
            out[start:end] = decoded[start:end].upper()
    return "".join(out)


# --------------------------------------------------------------------------
# Vietnamese syllables
# --------------------------------------------------------------------------

_INITIALS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n",
             "ng", "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")
# Rhymes (vần) without the tone mark.
_RHYMES = frozenset("""
a ai ao au ay ac ach am an ang anh ap at
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e eo ec em en eng ep et
ê êch êm ên ênh êp êt êu
i ia iu ich im in inh ip it iêc iêm iên iêng iêp iêt iêu
y yêm yên yêt yêu ych ynh yn yp yt yu
o oc oi om on ong op ot oong ooc
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
oe oem oen oeo oet
uân uâng uât uây uê uêch uênh uơ
uy uya uych uyên uyêt uyn uynh uyp uyt uyu
""".split())
_STOPS = ("p", "t", "c", "ch")
_CONSONANTS = "bcdđghklmnpqrstvx"
_PLAIN_VOWELS = "aăâeêioôơuưy"
_VIETNAMESE_LOWER = frozenset(
    [_letter(v, t) for v in _PLAIN_VOWELS for t in ("", *_TONES)] + list(_CONSONANTS)
)
_VIETNAMESE_LETTERS = _VIETNAMESE_LOWER | {ch.upper() for ch in _VIETNAMESE_LOWER}
_VOWEL_LETTERS = _VIETNAMESE_LETTERS - set(_CONSONANTS) - set(_CONSONANTS.upper())
# Built like a syllable: an initial (or "kr", as in minority-language place
# names), one to three vowels, a final consonant Vietnamese has (or "k": Đắk).
_LOOSE = re.compile("(?:{})?[{}]{{1,3}}(?:ch|nh|ng|[cmnptk])?".format(
    "|".join(sorted([*_INITIALS[1:], "kr"], key=len, reverse=True)), _PLAIN_VOWELS))
_WORD = re.compile(r"[^\W\d_]+")


def _split_tone(word: str) -> tuple[str, str, int, int]:
    """(letters without the tone mark, the tone mark, how many tone marks, the
    position of the letter that carries the tone or -1)."""
    letters, tone, count, where = [], "", 0, -1
    for k, ch in enumerate(_nfc(word)):
        parts = unicodedata.normalize("NFD", ch)
        marks = [p for p in parts if p in _TONES]
        if marks:
            tone, count, where = marks[-1], count + len(marks), k
            parts = "".join(p for p in parts if p not in _TONES)
        letters.append(_nfc(parts))
    return "".join(letters), tone, count, where


def _tone_places(rhyme: str) -> set[int]:
    """Where in ``rhyme`` the tone mark may sit: on the vowel with a shape mark
    (the last one: ươ -> ơ), else on the last vowel before a final consonant,
    the middle one of three, the first of two (or either for oa, oe, uy: hòa
    and hoà are both written)."""
    cluster = rhyme.rstrip(_CONSONANTS)
    shaped = [k for k, ch in enumerate(cluster) if ch in "ăâêôơư"]
    if shaped:
        return {shaped[-1]}
    if len(cluster) == 1 or len(cluster) < len(rhyme):
        return {len(cluster) - 1}
    if len(cluster) == 3:
        return {1}
    return {0, 1} if cluster in ("oa", "oe", "uy") else {0}


@lru_cache(maxsize=1 << 14)
def _syllable(word: str) -> str | None:
    """'strict' for a Vietnamese syllable, 'loose' for a word built like one
    (consonants, one to three vowels, consonants; at most one tone mark), such
    as minority-language place names ("Đắk"); None otherwise."""
    if not (word.islower() or word.isupper() or word.istitle()):
        return None
    base, tone, count, where = _split_tone(word.lower())
    if count > 1 or not _LOOSE.fullmatch(base):
        return None
    misplaced = False
    for initial in _INITIALS:
        rhyme = base[len(initial):]
        if not base.startswith(initial) or rhyme not in _RHYMES:
            continue
        if (initial == "qu" and rhyme[0] in "ou") or (initial == "gi" and rhyme[0] == "i"):
            continue
        if rhyme.endswith(_STOPS) and tone not in (_ACUTE, _DOT):
            continue
        if tone and where - len(initial) not in _tone_places(rhyme):
            misplaced = True
            continue
        return "strict"
    # A tone mark on the wrong vowel ("xaõ") is how VNI text looks when read
    # as Unicode; Vietnamese written in Unicode does not do that.
    return None if misplaced else "loose"


def _tally(text: str) -> tuple[int, int, int, int, int]:
    """Count the words of ``text``: (Vietnamese syllables, words only built
    like one, other words, ASCII words that are not Vietnamese, ASCII words
    that are Vietnamese syllables ("Ban", "xem")).

    A word holding a stray VNI mark is an other word. Words without a vowel
    ("HĐND", "km") and ASCII words in capitals ("UBND", "MTTQ") count as none
    of them.
    """
    strict = loose = other = foreign = plain = 0
    for word in _WORD.findall(text):
        if _STRAY in word:
            other += 1
            continue
        if not any(ch in _VOWEL_LETTERS for ch in word):
            continue
        if word.isascii():
            if not word.isupper():
                if _syllable(word) is None:
                    foreign += 1
                else:
                    plain += 1
            continue
        kind = _syllable(word)
        if kind == "strict":
            strict += 1
        elif kind == "loose":
            loose += 1
        else:
            other += 1
    return strict, loose, other, foreign, plain


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------

# Stands for a VNI mark that followed no vowel it fits: a letter, so it stays
# inside its word, and no Vietnamese one, so that word is no syllable.
_STRAY = "\u0294"
_CP1252_HIGH = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))
# Symbols that are TCVN3 letters: inside a word they show the text is TCVN3,
# not Unicode ("t×nh", "gi¸", "l\xadîng").
_TCVN3_SYMBOLS = frozenset(ch for ch in _TCVN3_DECODE if not ch.isalpha())


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _impossible(ch: str, encoding: str) -> bool:
    """A letter that text in ``encoding`` cannot contain: Latin-1 letters
    that are no part of the encoding's table ("à" is not a TCVN3 code; "ç",
    "ß" are in neither)."""
    if ch.isascii() or not _is_letter(ch):
        return False
    if encoding == TCVN3:
        return ch not in _TCVN3_DECODE
    return ch not in _VNI_CODES


def _symbol_in_word(text: str) -> bool:
    """Whether a symbol that is a TCVN3 letter touches a letter ("t×nh",
    "gi¸", "l\xadît"): TCVN3, for neither Unicode nor VNI words hold one."""
    for k, ch in enumerate(text):
        if ch in _TCVN3_SYMBOLS:
            before = text[k - 1] if k else ""
            after = text[k + 1] if k + 1 < len(text) else ""
            if before.isalpha() or after.isalpha():
                return True
    return False


def _reads_as_unicode(text: str) -> bool:
    """Whether ``text`` already is Unicode Vietnamese: no letter foreign to
    Vietnamese, and every word that is not ASCII a Vietnamese syllable."""
    if any(not ch.isascii() and _is_letter(ch) and ch not in _VIETNAMESE_LETTERS for ch in text):
        return False
    if _symbol_in_word(text):
        return False
    strict, loose, other, _, _ = _tally(text)
    return strict >= 1 and loose == 0 and other == 0


def _legacy_score(text: str, encoding: str, hint: str | None = None) -> int | None:
    """How well ``text`` decodes to Vietnamese in ``encoding``: syllables,
    less look-alikes, less three for every other word and two for every
    non-Vietnamese ASCII word. None when the text cannot be in ``encoding``,
    does not change, or does not decode to Vietnamese.

    One word proves little (French "thaï" is VNI for "thạ") and a word
    without a vowel nothing ("®vt" is TCVN3 for "đvt"): they count only with
    stronger evidence, the file's ``hint`` or a TCVN3 symbol inside a word
    ("M·", "H§ND"), which neither Unicode nor VNI text holds.
    """
    if any(_impossible(ch, encoding) for ch in text):
        return None
    if encoding == VNI and _symbol_in_word(text):
        return None
    decoded = _nfc(_decode_vni(text, _STRAY)) if encoding == VNI else decode_tcvn3(text)
    if decoded == _nfc(text):
        return None
    strict, loose, other, foreign, plain = _tally(decoded)
    score = strict - loose - 3 * other - 2 * foreign
    if score < 0:
        return None
    strong = hint == encoding or (encoding == TCVN3 and _symbol_in_word(text))
    if strict == 0:
        return score if strong and loose == 0 and other == 0 else None
    if strict + loose + plain == 1 and not strong:
        return None
    return score


def _outside_both(text: str) -> bool:
    """Letters beyond Latin-1 (ễ, ư, ơ, Chinese…): the text is Unicode."""
    return any(ord(ch) > 0xFF and ch not in _CP1252_HIGH and _is_letter(ch) for ch in text)


@lru_cache(maxsize=1 << 14)
def _detect(text: str, hint: str | None) -> str | None:
    if len(text.strip()) < 2 or text.isascii() or _outside_both(text) or _reads_as_unicode(text):
        return None
    scores = {enc: score for enc in ENCODINGS
              if (score := _legacy_score(text, enc, hint)) is not None}
    if hint in scores:
        return hint
    ranked = sorted(((score, enc) for enc, score in scores.items()), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None  # not legacy text, or both encodings read equally well: do not guess
    return ranked[0][1]


def detect_legacy(text: str, hint: str | None = None) -> str | None:
    """"tcvn3", "vni" or None (Unicode, ASCII, or not clearly legacy text).

    ``hint`` is the encoding of other texts of the same file (see
    ``file_encoding``): when a text reads as Vietnamese in both encodings
    ("bæ sung" is bổ sung in TCVN3 and bỉ sung in VNI), the hint decides.
    Text that reads as Unicode Vietnamese stays Unicode whatever the hint:
    forms mix the template's Unicode labels with what a clerk typed.
    """
    if not isinstance(text, str):
        return None
    if hint is not None and hint not in DECODERS:
        raise ValueError(f"unknown encoding {hint!r}")
    return _detect(text, hint)


def file_encoding(texts) -> str | None:
    """The legacy encoding most texts of one file are detected in, or None
    (none detected, or as many in one as in the other)."""
    counts = dict.fromkeys(ENCODINGS, 0)
    for text in texts:
        encoding = detect_legacy(text)
        if encoding is not None:
            counts[encoding] += 1
    (first, top), (_, second) = sorted(counts.items(), key=lambda kv: -kv[1])
    return first if top > second else None


def to_unicode(text: str, hint: str | None = None) -> tuple[str, str | None]:
    """(text converted to Unicode NFC, encoding name) for legacy text,
    (text unchanged, None) otherwise."""
    encoding = detect_legacy(text, hint)
    if encoding is None:
        return text, None
    return DECODERS[encoding](text), encoding
