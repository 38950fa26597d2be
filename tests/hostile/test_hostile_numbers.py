"""Hostile corpus: numbers that cannot be read, or cannot be true (issue 14).

One unit of the valid province sends its return with one hostile cell. dvk
runs as its own process; the run must end (exit 1: an error was found), name
the file and the cell, print valid JSON (no Infinity, no NaN), and give the
province's totals with only that one value left out — every other figure,
of that unit too, is counted as before."""

from __future__ import annotations

import json

import pytest
from helpers import find_row, return_grid, write_xlsx
from hostile_harness import YEAR, assert_contained, province, run_dvk
from realistic import PROVINCE, province_figures

UNIT = next(u for u in PROVINCE if u.code == "BUDANG")
FILE = "budang.xlsx"


def _strict_json(text: str) -> dict:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in the --json output")

    return json.loads(text, parse_constant=refuse)


def _send(p, code: str, cell: object) -> str:
    """Overwrite the unit's return with `cell` as the value of `code`; the cell's reference."""
    figures = dict(province_figures(YEAR)[UNIT.code])
    figures[code] = cell
    grid = return_grid(figures, unit=UNIT.name, code=UNIT.code, period=str(YEAR))
    write_xlsx(grid, p.returns / FILE)
    rows = next(iter(grid.values()))
    return f"E{find_row(rows, code) + 1}"


def _assert_totals(out, p, code: str, used: float | None) -> None:
    """The province's totals with the unit's `code` replaced by `used` (None: left out)."""
    got = _strict_json(out.stdout)["totals"]
    own = province_figures(YEAR)[UNIT.code][code]
    for c, value in p.totals.items():
        want = value if c != code else value - own + (used or 0)
        assert got.get(c) == pytest.approx(want, abs=1e-6), (c, got.get(c), want)


# (what the clerk typed, the indicator, words the run must say)
UNREADABLE = [
    pytest.param("1" * 400, "VB_SO", "quá lớn", id="400 ones typed as text"),
    pytest.param("9" * 5000, "TT_BUOI", "quá lớn", id="5000 digits typed as text"),
    pytest.param(1e308, "VANDONG_TIEN", "1e+308", id="1e308 in a money row"),
    pytest.param(1e20, "VB_SO", "1e+20", id="1e20 in a count row"),
    pytest.param("1 2", "MH_TIEUBIEU", "nhóm ba chữ số", id="a space inside digits"),
    pytest.param("١٢٣", "TCD_DOAN", "0–9", id="Arabic-Indic digits"),
]


def _refused(tmp_path, cell, code, rule) -> dict:
    """Send `cell` as the figure of `code`: dvk validate says one error of
    `rule` on its cell, leaves it out of the total and the other returns
    count; the finding."""
    p = province(tmp_path)
    ref = _send(p, code, cell)
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder)
    assert_contained(out, p, rc={1}, names=[FILE], totals=False)
    findings = [f for f in _strict_json(out.stdout)["findings"] if f["indicator"] == code
                and f["severity"] == "error"]
    assert [(f["rule"], f["cell"]) for f in findings] == [(rule, ref)], findings
    _assert_totals(out, p, code, None)
    return findings[0]


@pytest.mark.parametrize("cell, code, said", UNREADABLE)
def test_a_number_that_cannot_be_read_is_an_error_naming_the_cell(tmp_path, cell, code, said):
    finding = _refused(tmp_path, cell, code, "not_a_number")
    assert FILE in finding["file"] and said in finding["message"]


CANNOT_BE_TRUE = [
    pytest.param(5e13, "VANDONG_TIEN", "50.000.000.000 tỷ đồng", id="money no unit explains"),
    pytest.param(1e12, "MH_TONG", "1.000.000.000.000 mô hình", id="a trillion models"),
    pytest.param("250.000", "DUONG_DIEN_KM", "250.000 km", id="250 000 km of power line"),
]


@pytest.mark.parametrize("cell, code, said", CANNOT_BE_TRUE)
def test_a_figure_that_cannot_be_true_is_an_error_naming_the_cell(tmp_path, cell, code, said):
    finding = _refused(tmp_path, cell, code, "implausible")
    assert said in finding["message"] and "nhầm đơn vị tính" in finding["message"]


@pytest.mark.parametrize("cell, code, used", [
    pytest.param("１２３", "VB_SO", 123, id="full-width digits"),
    pytest.param("1 215", "TT_BUOI", 1215, id="space-grouped thousands"),
    pytest.param("1\u202f215", "TT_BUOI", 1215, id="narrow-NBSP-grouped thousands"),
])
def test_a_number_written_oddly_but_without_doubt_is_counted(tmp_path, cell, code, used):
    p = province(tmp_path)
    ref = _send(p, code, cell)
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder)
    assert_contained(out, p, rc={0, 1}, totals=False)
    findings = [f for f in _strict_json(out.stdout)["findings"] if f["indicator"] == code
                and f["cell"] == ref]
    assert all(f["severity"] != "error" for f in findings), findings
    if cell == "１２３":
        assert [f["rule"] for f in findings if f["severity"] == "info"] == ["fullwidth_digits"]
    _assert_totals(out, p, code, used)


def test_money_typed_in_dong_is_a_unit_slip_warning_not_a_refusal(tmp_path):
    """The plausible bound leaves a figure typed in đồng to the unit_slip check:
    a warning suggesting the figure meant; the typed figure stays in the total."""
    p = province(tmp_path)
    meant = province_figures(YEAR)[UNIT.code]["VANDONG_TIEN"]
    ref = _send(p, "VANDONG_TIEN", meant * 1_000_000)
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder)
    assert_contained(out, p, rc={0, 1}, totals=False)
    findings = [f for f in _strict_json(out.stdout)["findings"]
                if f["indicator"] == "VANDONG_TIEN" and f["unit"] == UNIT.code]
    assert [(f["rule"], f["severity"], f["cell"]) for f in findings] == [
        ("unit_slip", "warning", ref)], findings
    _assert_totals(out, p, "VANDONG_TIEN", meant * 1_000_000)


@pytest.mark.parametrize("error", ["#DIV/0!", "#REF!", "#N/A"])
def test_an_error_cell_is_an_error_naming_the_cell_not_a_blank(tmp_path, error):
    """Item 9: calamine reads an error value as an empty cell; dvk names it
    (the file's own error, written by Excel as t="e"), and the rest counts."""
    import zipfile

    p = province(tmp_path)
    ref = _send(p, "VB_SO", 7)
    path = p.returns / FILE
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode("utf-8")
    cell = f'<c r="{ref}" t="n"><v>7</v></c>'
    assert cell in xml, xml[:500]
    parts[sheet] = xml.replace(cell, f'<c r="{ref}" t="e"><f>1/0</f><v>{error}</v></c>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out = run_dvk("validate", str(YEAR), "--period", str(YEAR), "--json", cwd=p.folder)
    assert_contained(out, p, rc={1}, names=[FILE, error], totals=False)
    findings = [f for f in _strict_json(out.stdout)["findings"] if f["indicator"] == "VB_SO"
                and f["severity"] == "error"]
    assert [(f["rule"], f["cell"]) for f in findings] == [("not_a_number", ref)], findings
    _assert_totals(out, p, "VB_SO", None)
