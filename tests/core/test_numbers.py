"""Vietnamese number formatting: the fast path for whole numbers says
exactly what Babel says (Babel stays the reference for decimals)."""

from __future__ import annotations

import random

import pytest
from babel.numbers import format_decimal

from dvk_cli.core.numbers import fmt_money, fmt_number


def babel(value, decimals):
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round(value, decimals), format=pattern, locale="vi")


@pytest.mark.parametrize("value", [0, 1, -1, 999, 1000, -1215, 1215.0, 123456789, 0.004, 2.5,
                                   1e14, 7257.0001, 15.15, 33.5, 1519.999, 4494])
@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_fmt_number_agrees_with_babel(value, decimals):
    assert fmt_number(value, decimals) == babel(value, decimals)


def test_fmt_number_agrees_with_babel_on_random_values():
    rng = random.Random(1)
    for _ in range(5000):
        value = rng.choice([rng.randint(-10**9, 10**9), rng.uniform(-1e6, 1e6),
                            round(rng.uniform(0, 1e4), 2)])
        decimals = rng.choice([0, 1, 2])
        assert fmt_number(value, decimals) == babel(value, decimals), (value, decimals)


def test_seed_figures():
    assert fmt_number(4494) == "4.494" and fmt_number(-0.0, 0) == "0"
    assert fmt_money(1520) == "1,52 tỷ đồng" and fmt_money(80) == "80 triệu đồng"
