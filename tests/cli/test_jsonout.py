"""--json is written by dvk_cli/cli/jsonout.py: byte for byte what
json.dumps(ensure_ascii=False, indent=2, allow_nan=False) writes."""

from __future__ import annotations

import enum
import io
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dvk_cli.cli.jsonout import PrettyJson


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Severity(enum.StrEnum):
    ERROR = "lỗi"
    WARNING = "cảnh báo"


class Ratio(float):
    pass


# Subclasses of the scalar types too (an IntEnum, a str enum): the writer's
# fast path takes the exact types only.
scalars = (st.none() | st.booleans() | st.integers() | st.text()
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from([Level.LOW, Level.HIGH, Severity.ERROR, Severity.WARNING])
           | st.floats(allow_nan=False, allow_infinity=False).map(Ratio))
keys = st.text() | st.integers() | st.booleans() | st.none() \
    | st.floats(allow_nan=False, allow_infinity=False)
data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                    | st.tuples(inner, inner)
                    | st.dictionaries(keys, inner, max_size=4), max_leaves=40)


def written(value) -> tuple[str, int]:
    out = io.StringIO()
    pieces = []

    def write(text):
        pieces.append(text)
        out.write(text)

    PrettyJson(write).dump(value)
    return out.getvalue(), len(pieces)


@settings(max_examples=400)
@given(data)
def test_the_same_bytes_as_json_dumps(value):
    assert written(value)[0] == json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False)


def test_a_large_result_is_written_in_pieces_that_join_to_the_same_text(monkeypatch):
    from dvk_cli.cli import jsonout

    monkeypatch.setattr(jsonout, "_FLUSH_PARTS", 16)
    value = {"units": {f"U{i}": {"name": f"Xã {i}", "values": {"A": i, "B": i / 7}}
                       for i in range(300)},
             "findings": [{"rule": "r", "impact": 0.5, "accepted": None}] * 50, "empty": {},
             "none": []}
    text, pieces = written(value)
    assert pieces > 20
    assert text == json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False)
    flat = list(range(100))  # a long list of scalars is written in pieces too
    text, pieces = written({"flat": flat})
    assert pieces > 5 and text == json.dumps({"flat": flat}, indent=2)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, {"a": [1, math.nan]}])
def test_no_nan_or_infinity(bad):
    with pytest.raises(ValueError, match="Out of range float"):
        written(bad)


@pytest.mark.parametrize("bad", [object(), {"a": {1, 2}}, {(1, 2): 3}])
def test_what_json_refuses_is_refused(bad):
    with pytest.raises(TypeError):
        written(bad)
    with pytest.raises(TypeError):
        json.dumps(bad, ensure_ascii=False, indent=2, allow_nan=False)
