"""fmt_number writes decimals without Babel's per-call pattern parsing
(issue 16: thousands of messages per run); it must write exactly what
Babel's "#,##0.##" writes in the vi locale."""

from __future__ import annotations

import decimal
import random

import pytest
from babel.numbers import format_decimal

from dvk_cli.core.numbers import fmt_number


def babel(value: float, decimals: int) -> str:
    rounded = round(value, decimals)
    if rounded == 0:
        return "0"  # Babel writes "-0" for -0.004; dvk never does
    with decimal.localcontext() as ctx:
        ctx.prec = decimal.MAX_PREC
        return format_decimal(rounded, format="#,##0" + ("." + "#" * decimals if decimals else ""),
                              locale="vi")


def values():
    rng = random.Random(16)
    out = [2.675, 1.005, 0.125, 33.5, 15.15, -0.004, 1e14 + 0.5, 0.1 + 0.2, -1e-9, 5e-7, -2.5]
    out += [rng.uniform(-1e6, 1e6) for _ in range(3000)]
    out += [rng.random() * 10 ** rng.randint(-6, 14) for _ in range(3000)]
    return out


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_decimals_as_babel_writes_them(decimals):
    wrong = [(v, fmt_number(v, decimals), babel(v, decimals)) for v in values()
             if fmt_number(v, decimals) != babel(v, decimals)]
    assert wrong == []
