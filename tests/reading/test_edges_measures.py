"""Edge behaviour of dvk_cli.reading.measures, one table per function: every unit of
measure a clerk may write in the "Đơn vị tính" column, with the exact factor
to the catalog unit (triệu đồng, km), and the converted values (issue 11).

Every spelling is listed by hand and every factor written out as a number:
nothing here is derived from the module's own tables."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from dvk_cli.reading.measures import Conversion, UnknownMeasure, apply, conversion

REJECT = UnknownMeasure  # marker in the tables: the unit must be refused


def _row(name, *values):
    return pytest.param(*values, id=name)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ------------------------------------------------------------------ conversion
# (indicator type, unit as written, factor | None | REJECT)

CONVERSION = [
    # money -> triệu đồng: already triệu (×1)
    _row("triệu đồng", "money", "triệu đồng", 1),
    _row("Triệu", "money", "Triệu", 1),
    _row("tr.đ", "money", "tr.đ", 1),
    _row("tr", "money", "tr", 1),
    _row("triệu VNĐ", "money", "triệu VNĐ", 1),
    _row("triệu VND", "money", "triệu VND", 1),
    _row("Tr.đồng", "money", "Tr.đồng", 1),
    # đồng (×10⁻⁶)
    _row("đồng", "money", "đồng", 1e-6),
    _row("đ", "money", "đ", 1e-6),
    _row("VNĐ", "money", "VNĐ", 1e-6),
    _row("VND", "money", "VND", 1e-6),
    _row("đồng VN", "money", "đồng VN", 1e-6),
    # nghìn đồng (×10⁻³)
    _row("nghìn đồng", "money", "nghìn đồng", 1e-3),
    _row("ngàn đồng", "money", "ngàn đồng", 1e-3),
    _row("nghìn", "money", "nghìn", 1e-3),
    _row("ngàn", "money", "ngàn", 1e-3),
    _row("1000đ", "money", "1000đ", 1e-3),
    _row("1.000 đồng", "money", "1.000 đồng", 1e-3),
    _row("nghìn VNĐ", "money", "nghìn VNĐ", 1e-3),
    _row("ng.đ", "money", "ng.đ", 1e-3),
    # tỷ đồng (×1000, not ×100)
    _row("tỷ đồng", "money", "tỷ đồng", 1000),
    _row("tỉ đồng", "money", "tỉ đồng", 1000),
    _row("tỷ", "money", "tỷ", 1000),
    _row("tỉ", "money", "tỉ", 1000),
    _row("tỷ VNĐ", "money", "tỷ VNĐ", 1000),
    # length -> km
    _row("km", "length", "km", 1),
    _row("kilômét", "length", "kilômét", 1),
    _row("kilomet", "length", "kilomet", 1),
    _row("kilômet", "length", "kilômet", 1),
    _row("kílômét", "length", "kílômét", 1),
    _row("cây số", "length", "cây số", 1),
    _row("m", "length", "m", 1e-3),
    _row("mét", "length", "mét", 1e-3),
    _row("met", "length", "met", 1e-3),
    _row("md", "length", "md", 1e-3),
    _row("mét dài", "length", "mét dài", 1e-3),
    # case, spacing, dots, Unicode forms
    _row("upper case TỶ ĐỒNG", "money", "TỶ ĐỒNG", 1000),
    _row("title case Nghìn Đồng", "money", "Nghìn Đồng", 1e-3),
    _row("NFD nghìn đồng", "money", nfd("nghìn đồng"), 1e-3),
    _row("NFD upper TỶ ĐỒNG", "money", nfd("TỶ ĐỒNG"), 1000),
    _row("NFD mét", "length", nfd("mét"), 1e-3),
    _row("NBSP inside nghìn đồng", "money", "nghìn\u00a0đồng", 1e-3),
    _row("spaces around", "money", "  tỷ đồng  ", 1000),
    _row("extra spaces inside", "money", "triệu   đồng", 1),
    _row("spaced dots tr. đ", "money", "tr. đ", 1),
    _row("Cây Số upper", "length", "Cây Số", 1),
    # several spellings of one unit agree
    _row("Triệu đồng (tr.đ)", "money", "Triệu đồng (tr.đ)", 1),
    _row("đồng/VNĐ", "money", "đồng/VNĐ", 1e-6),
    _row("m (mét)", "length", "m (mét)", 1e-3),
    _row("tỷ đồng; tỉ", "money", "tỷ đồng; tỉ", 1000),
    # one spelling in brackets or with a stray separator
    _row("(đồng) in brackets", "money", "(đồng)", 1e-6),
    _row("(triệu đồng) in brackets", "money", "(triệu đồng)", 1),
    _row("trailing semicolon", "money", "nghìn đồng;", 1e-3),
    # nothing written, or a type without conversions
    _row("no unit (None)", "money", None, None),
    _row("no unit (empty)", "money", "", None),
    _row("only spaces", "money", "   ", None),
    _row("only NBSP", "length", "\u00a0", None),
    _row("count row 'người'", "count", "người", None),
    _row("count row with a money word", "count", "đồng", None),
    _row("count row nothing written", "count", None, None),
    _row("percent row '%'", "percent", "%", None),
    # never guessed
    _row("contradictory triệu đồng / đồng", "money", "triệu đồng / đồng", REJECT),
    _row("contradictory đồng (tỷ đồng)", "money", "đồng (tỷ đồng)", REJECT),
    _row("contradictory km/m", "length", "km/m", REJECT),
    _row("one part unknown triệu đồng (USD)", "money", "triệu đồng (USD)", REJECT),
    _row("foreign currency USD", "money", "USD", REJECT),
    _row("trăm nghìn is not a unit here", "money", "trăm nghìn", REJECT),
    _row("square metres on a length row", "length", "m2", REJECT),
    _row("length unit on a money row", "money", "mét", REJECT),
    _row("money unit on a length row", "length", "tỷ đồng", REJECT),
    _row("brackets only", "money", "()", REJECT),
    _row("slash only", "money", "/", REJECT),
    _row("doubled word đồng đồng", "money", "đồng đồng", REJECT),
]


@pytest.mark.parametrize("type_, written, expected", CONVERSION)
def test_conversion(type_, written, expected):
    if expected is REJECT:
        with pytest.raises(UnknownMeasure) as info:
            conversion(type_, written)
        assert str(info.value) == written.strip()  # the message names the unit as written
        return
    got = conversion(type_, written)
    if expected is None:
        assert got is None
    else:
        assert got.factor == expected


@pytest.mark.parametrize("written, kept", [
    _row("spaces trimmed", " Tỷ đồng ", "Tỷ đồng"),
    _row("NFD stored as NFC", nfd("nghìn đồng"), "nghìn đồng"),
    _row("brackets kept", "Triệu đồng (tr.đ)", "Triệu đồng (tr.đ)"),
])
def test_conversion_keeps_the_unit_as_written(written, kept):
    assert conversion("money", written).written == kept


def test_unknown_measure_is_a_value_error():
    assert issubclass(UnknownMeasure, ValueError)


# ------------------------------------------------------------------ Conversion
# (written, factor, identity)

IDENTITY = [
    _row("triệu đồng is identity", "triệu đồng", 1, True),
    _row("km is identity", "km", 1, True),
    _row("float factor 1.0 is identity", "triệu", 1.0, True),
    _row("đồng is not", "đồng", 1e-6, False),
    _row("nghìn đồng is not", "nghìn đồng", 1e-3, False),
    _row("tỷ đồng is not", "tỷ đồng", 1000, False),
    _row("factor 2 is not", "x2", 2, False),
]


@pytest.mark.parametrize("written, factor, identity", IDENTITY)
def test_conversion_identity(written, factor, identity):
    assert Conversion(written, factor).identity is identity


def test_conversion_is_immutable_and_hashable():
    conv = Conversion("tỷ đồng", 1000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        conv.factor = 1  # type: ignore[misc]
    assert {conv, Conversion("tỷ đồng", 1000)} == {conv}


# ------------------------------------------------------------------ apply
# (typed value, indicator type, unit written or None, value in the catalog unit)

APPLY = [
    _row("1.520.500.000 đồng is 1520,5 triệu", 1_520_500_000, "money", "đồng", 1520.5),
    _row("2.000.000 đồng is 2 triệu (int)", 2_000_000, "money", "đồng", 2),
    _row("1 đồng is 0,000001 triệu", 1, "money", "đồng", 0.000001),
    _row("999 đồng", 999, "money", "VNĐ", 0.000999),
    _row("0 đồng is 0", 0, "money", "đồng", 0),
    _row("160.000 nghìn đồng is 160 triệu (int)", 160_000, "money", "nghìn đồng", 160),
    _row("1234,5 ngàn đồng", 1234.5, "money", "ngàn đồng", 1.2345),
    _row("80.000 nghìn đồng is 80", 80_000, "money", "1.000 đồng", 80),
    _row("1,52 tỷ is 1520 triệu (no binary noise)", 1.52, "money", "tỷ đồng", 1520),
    _row("0,35 tỷ is 350 triệu", 0.35, "money", "tỉ", 350),
    _row("513,2 tỷ is 513200 triệu (noise 1e-10 removed)", 513.2, "money", "tỷ", 513200),
    _row("2 tỷ is 2000", 2, "money", "tỷ đồng", 2000),
    _row("1,2345 tỷ keeps its decimals", 1.2345, "money", "tỷ đồng", 1234.5),
    _row("250 triệu stays 250", 250, "money", "triệu đồng", 250),
    _row("33,5 triệu stays 33,5", 33.5, "money", "tr.đ", 33.5),
    _row("noisy float in triệu is left alone", 0.1 + 0.2, "money", "triệu", 0.30000000000000004),
    _row("1250 m is 1,25 km", 1250, "length", "m", 1.25),
    _row("500 mét dài is 0,5 km", 500, "length", "mét dài", 0.5),
    _row("3000 mét is 3 km (int)", 3000, "length", "mét", 3),
    _row("12,5 km stays", 12.5, "length", "km", 12.5),
    _row("no unit written: value as is", 7.25, "money", None, 7.25),
    _row("no unit written: noise left alone", 0.1 + 0.2, "money", None, 0.30000000000000004),
    _row("count row: value as is", 12, "count", "người", 12),
]


@pytest.mark.parametrize("value, type_, written, expected", APPLY)
def test_apply(value, type_, written, expected):
    got = apply(value, conversion(type_, written))
    assert got == expected
    assert type(got) is type(expected), f"{got!r} should be {type(expected).__name__}"
