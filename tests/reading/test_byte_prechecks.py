"""The byte searches that spare the reader a regular expression's scan say
"no" only where the scan finds nothing.

- guards._prefixed_cell: _PREFIXED_C (":c" then a space, '/' or '>') is
  searched only where ":c" occurs;
- errorcells._mark_xlsx: "'e'" is looked for only in a part holding a
  single quote.

Both are drawn by hypothesis from the bytes that make or break a match,
and checked on the sheet parts openpyxl writes and a few hand-made ones."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dvk_cli.core.cells import CellError
from dvk_cli.reading import errorcells, guards

SETTINGS = settings(max_examples=600, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# The bytes that make or break a match, and some others.
_PIECES = [b":", b"c", b":c", b" ", b"\t", b"\n", b"/", b">", b"<", b"x", b"'", b'"', b"e",
           b"t", b"=", b"t=", b"'e'", b'"e"', b"<c", b"\xc3", b"\xa1"]
_DRAWN = st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join)


@SETTINGS
@given(_DRAWN)
def test_a_prefixed_cell_is_found_as_the_expression_finds_it(data):
    assert guards._prefixed_cell(data) == (guards._PREFIXED_C.search(data) is not None)


@pytest.mark.parametrize("data, found", [
    (b'<x:c r="A1"><v>1</v></x:c>', True),
    (b"<x:c/>", True),
    (b"<x:c\t>", True),
    (b'<c r="A1"><v>1</v></c>', False),
    (b"<x:col/>", False),
    (b"http://a:c", False),
])
def test_a_prefixed_cell_in_a_part(data, found):
    assert guards._prefixed_cell(data) is found


def _flagged_before(data: bytes) -> bool:
    """_mark_xlsx's test of a part before the single-quote search."""
    return bool((b'"e"' in data or b"'e'" in data) and errorcells._ERROR_TYPE.search(data))


@SETTINGS
@given(_DRAWN)
def test_the_error_type_test_is_the_one_before(data):
    assert errorcells._may_hold_errors(data) == _flagged_before(data)


@pytest.mark.parametrize("data, flagged", [
    (b"<c r='B1' t='e'><v>#N/A</v></c>", True),
    (b'<c r="B1" t="e"><v>#N/A</v></c>', True),
    (b"<c r='B1' t = 'e'>", True),
    (b'<c r="B1" t="n"><v>1</v></c>', False),
    (b"<c r='B1' t='s'><v>0</v></c>", False),
    (b"<t>'e'</t>", False),
])
def test_an_error_type_in_a_part(data, flagged):
    assert errorcells._may_hold_errors(data) is flagged


def _xlsx_with_parts(tmp_path, parts: dict[str, bytes]):
    """A zip whose parts are `parts` (errorcells reads only the names and bytes)."""
    import zipfile

    path = tmp_path / "book.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return zipfile.ZipFile(path)


@pytest.mark.parametrize("quote", [b'"', b"'"])
def test_an_error_cell_is_marked_whatever_its_quotes(tmp_path, quote):
    cell = b'<c r="B1" t=' + quote + b"e" + quote + b"><v>#DIV/0!</v></c>"
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<sheetData><row r="1"><c r="A1"><v>1</v></c>' + cell + b"</row></sheetData></worksheet>")
    workbook = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                b'<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    z = _xlsx_with_parts(tmp_path, {"xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": rels,
                                    "xl/worksheets/sheet1.xml": sheet})
    sheets = [("S", [[1.0, ""]])]
    errorcells._mark_xlsx(z, sheets)
    assert sheets[0][1][0][1] == CellError("#DIV/0!")
