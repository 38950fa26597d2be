"""Cells whose figure calamine would silently replace or misplace: two cells at
one position, a cell written in another row's place, a reference beyond the
sheet. The guard refuses the file naming the sheet and the cell; cells out
of order but distinct, and empty cells, are read as they are."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import SAMPLE, consistent_values, return_grid, write_xlsx

from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading.dispatch import read_return
from dvk_cli.reading.guards import archive_problem

CAT = default_catalog()
SHEET_XML = "xl/worksheets/sheet1.xml"
SHEET = "Biểu số liệu"
VALUES = consistent_values(10)
CODES = list(CAT.indicators)
CODE_A, CODE_B = "MH_TONG", "MH_TAPTHE"  # return_grid: on rows 10 and 11, their figures in E
TAIL = "dvk không đọc tệp này để khỏi lấy nhầm số. Đề nghị đơn vị mở bằng Excel, lưu lại và gửi lại."


def duplicate(ref: str) -> str:
    return f"trang “{SHEET}” có hai ô cùng địa chỉ {ref} (tệp bị sửa hoặc hỏng cấu trúc); {TAIL}"


def misplaced(ref: str, row: int) -> str:
    return (f"trang “{SHEET}” có hai ô cùng địa chỉ {ref}, một ô trong số đó lại nằm ở dòng {row} "
            f"(tệp bị sửa hoặc hỏng cấu trúc); {TAIL}")


def outside(ref: str) -> str:
    return (f"trang “{SHEET}” có ô {ref} nằm ngoài giới hạn của trang tính (cột XFD, dòng 1.048.576); "
            f"tệp bị sửa hoặc hỏng cấu trúc, {TAIL}")


@pytest.fixture(scope="module")
def ordinary(tmp_path_factory) -> bytes:
    return write_xlsx(return_grid(VALUES), tmp_path_factory.mktemp("r") / "r.xlsx").read_bytes()


def rezip(raw: bytes, edit: Callable[[str], str], part: str = SHEET_XML) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                new = edit(data.decode("utf-8"))
                assert new != data.decode("utf-8"), "the edit changed nothing"
                data = new.encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


def cell(xml: str, ref: str) -> str:
    start = xml.index(f'<c r="{ref}"')
    return xml[start:xml.index("</c>", start) + 4]


def after(ref: str, extra: str) -> Callable[[str], str]:
    """Insert `extra` right after the cell `ref`."""
    return lambda xml: xml.replace(cell(xml, ref), cell(xml, ref) + extra, 1)


def replace(ref: str, new: str) -> Callable[[str], str]:
    return lambda xml: xml.replace(cell(xml, ref), new, 1)


def with_comment(edit: Callable[[str], str]) -> Callable[[str], str]:
    """The edit, in a part that is not "plain" (read by the general tokenizer)."""
    return lambda xml: edit(xml).replace("<sheetData>", "<sheetData><!-- it's not plain -->", 1)


def read(raw: bytes, tmp_path: Path, name: str = "r.xlsx"):
    path = tmp_path / name
    path.write_bytes(raw)
    return read_return(path, CAT)


def figures(data) -> dict:
    return {v.code: v.value for v in data.values}


# ------------------------------------------------------------------ refused, named

VA = VALUES[CODE_A]
REFUSED = {
    "duplicate": (after("E10", '<c r="E10" t="n"><v>0</v></c>'), duplicate("E10")),
    "duplicate_same_figure": (after("E10", f'<c r="E10" t="n"><v>{VA}</v></c>'), duplicate("E10")),
    "duplicate_text": (after("E10", '<c r="E10" t="inlineStr"><is><t></t></is></c>'), duplicate("E10")),
    "duplicate_apart": (after("E12", '<c r="E10" t="n"><v>5</v></c>'), misplaced("E10", 12)),
    "duplicate_without_r": (replace("E10", '<c t="n"><v>2</v></c><c r="E10" t="n"><v>3</v></c>'),
                            duplicate("E10")),  # the cell without r follows D7: it is E10
    "collide_forward": (replace("E10", f'<c r="E11" t="n"><v>{VA}</v></c>'), misplaced("E11", 10)),
    "collide_back": (replace("E11", '<c r="E10" t="n"><v>1</v></c>'), misplaced("E10", 11)),
    "column_past_xfd": (replace("E10", f'<c r="XFE10" t="n"><v>{VA}</v></c>'), outside("XFE10")),
    "four_letters": (replace("E10", f'<c r="AAAA10" t="n"><v>{VA}</v></c>'), outside("AAAA10")),
    "row_past_last": (replace("E10", f'<c r="E1048577" t="n"><v>{VA}</v></c>'), outside("E1048577")),
    "row_absurd": (replace("E10", f'<c r="E99999999999" t="n"><v>{VA}</v></c>'), outside("E99999999999")),
    "row_element_past_last": (lambda xml: xml.replace('<row r="1"', '<row r="1048577"', 1)
                              .replace('<c r="A1" ', "<c ", 1), outside("A1048577")),
}


@pytest.mark.parametrize("plain", [True, False], ids=["fast", "tokenizer"])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_lost_or_replaced_figure_refuses_the_file(ordinary, case, plain):
    edit, message = REFUSED[case]
    raw = rezip(ordinary, edit if plain else with_comment(edit))
    assert archive_problem(raw) == ("malformed_workbook", message)
    assert archive_problem(raw, every_part=True) == ("malformed_workbook", message)


def test_the_finding_names_file_sheet_and_cell(ordinary, tmp_path):
    data = read(rezip(ordinary, after("E10", '<c r="E10" t="n"><v>0</v></c>')), tmp_path, "bu-dang.xlsx")
    assert not data.readable
    (finding,) = data.findings
    assert finding.rule == "malformed_workbook" and finding.severity == "error"
    assert "bu-dang.xlsx" in finding.message and duplicate("E10") in finding.message


def test_calamine_really_loses_these_figures(ordinary):
    """The premise: what calamine does with each case (a newer version may
    change; the guard refuses the file either way)."""
    from python_calamine import CalamineWorkbook

    def grid(raw):
        return CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_name(SHEET).to_python(
            skip_empty_area=False)

    assert grid(rezip(ordinary, REFUSED["duplicate"][0]))[9][4] == 0  # the last wins
    rows = grid(rezip(ordinary, REFUSED["collide_forward"][0]))
    assert rows[9][4] == "" and rows[10][4] == VALUES[CODE_B]  # one figure gone
    assert grid(rezip(ordinary, REFUSED["column_past_xfd"][0]))[9][4] == ""  # moved off the sheet


def test_a_big_part_read_in_chunks_is_checked_from_its_start(tmp_path):
    """A part over one chunk: a cell repeated far from the first is found by
    scanning the part again, exactly."""
    filler = [[r * 10 + c for c in range(10)] for r in range(3000)]
    grid = return_grid(VALUES) | {"Phụ lục": filler}
    raw = write_xlsx(grid, tmp_path / "big.xlsx").read_bytes()
    assert archive_problem(raw) is None
    part = "xl/worksheets/sheet2.xml"
    assert zipfile.ZipFile(io.BytesIO(raw)).getinfo(part).file_size > 2 * 256 * 1024
    bad = rezip(raw, after("J3000", '<c r="B2" t="n"><v>1</v></c>'), part)
    assert archive_problem(bad) == ("malformed_workbook", misplaced("B2", 3000).replace(SHEET, "Phụ lục"))
    # the same cells, the last row first: out of order, all distinct, accepted
    def last_first(xml: str) -> str:
        row = xml[xml.index('<row r="3000"'):xml.index("</row>", xml.index('<row r="3000"')) + 6]
        return xml.replace(row, "", 1).replace("<sheetData>", "<sheetData>" + row, 1)
    assert archive_problem(rezip(raw, last_first, part)) is None


# ------------------------------------------------------------------ accepted, read as they are

def swap_rows(xml: str) -> str:
    """Rows 11 and 10 swapped, and in row 12 the cells reversed: out of order, distinct."""
    r10 = xml[xml.index('<row r="10"'):xml.index('<row r="11"')]
    r11 = xml[xml.index('<row r="11"'):xml.index('<row r="12"')]
    xml = xml.replace(r10 + r11, r11 + r10, 1)
    r12 = xml[xml.index('<row r="12"'):xml.index('<row r="13"')]
    head, body = r12[:r12.index(">") + 1], r12[r12.index(">") + 1:-len("</row>")]
    cells = [c + "</c>" for c in body.split("</c>") if c]
    assert len(cells) > 2
    return xml.replace(r12, head + "".join(reversed(cells)) + "</row>", 1)


ACCEPTED = {
    "out_of_order": swap_rows,
    "empty_styled_duplicate": after("E10", '<c r="E10" s="1"/>'),
    "empty_open_duplicate": after("E10", '<c r="E10" s="1"></c>'),
    "formula_only_duplicate": after("E10", '<c r="E10"><f>1+1</f></c>'),
    "empty_styled_past_xfd": after("E10", '<c r="XFE10" s="1"/>'),
    "last_column": after("E10", '<c r="XFD10" s="1"/>'),
}


@pytest.mark.parametrize("plain", [True, False], ids=["fast", "tokenizer"])
@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_cells_calamine_reads_as_they_are_are_accepted(ordinary, tmp_path, case, plain):
    edit = ACCEPTED[case]
    raw = rezip(ordinary, edit if plain else with_comment(edit))
    assert archive_problem(raw) is None
    data = read(raw, tmp_path)
    assert data.readable, [f.message for f in data.findings]
    assert figures(data) == VALUES


@pytest.mark.parametrize("case", ["empty_styled_duplicate", "empty_open_duplicate", "formula_only_duplicate"])
def test_for_openpyxl_an_empty_duplicate_replaces_the_figure(ordinary, case):
    """openpyxl (every_part: the feedback copy) keeps empty cells: the last one
    would blank the figure."""
    raw = rezip(ordinary, ACCEPTED[case])
    assert archive_problem(raw, every_part=True) == ("malformed_workbook", duplicate("E10"))


def test_a_part_no_sheet_reads_is_not_checked(ordinary):
    """A worksheet part the workbook does not name: calamine never reads it."""
    src = zipfile.ZipFile(io.BytesIO(ordinary))
    xml = src.read(SHEET_XML).decode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/worksheets/orphan.xml", after("E10", '<c r="E10" t="n"><v>0</v></c>')(xml))
    assert archive_problem(out.getvalue()) is None


def test_ordinary_returns_are_accepted(tmp_path):
    models = [{"name": "Mô hình A", "field": "Kinh tế", "status": "Đang duy trì", "year": "2023"}]
    grids = [return_grid(VALUES), return_grid(VALUES, models=models, extra_top=2),
             return_grid({}), {"Trống": [[None]]}]
    for i, grid in enumerate(grids):
        assert archive_problem(write_xlsx(grid, tmp_path / f"{i}.xlsx").read_bytes()) is None
    samples = sorted(SAMPLE.rglob("*.xlsx"))
    assert samples
    for path in samples:
        assert archive_problem(path.read_bytes()) is None, path


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_a_return_saved_by_libreoffice_is_accepted_and_read(tmp_path):
    write_xlsx(return_grid(VALUES), tmp_path / "r.xlsx")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "lo"),
                    str(tmp_path / "r.xlsx")], check=True, capture_output=True, timeout=180)
    raw = (tmp_path / "lo" / "r.xlsx").read_bytes()
    assert archive_problem(raw) is None and archive_problem(raw, every_part=True) is None
    data = read(raw, tmp_path)
    assert data.readable and figures(data) == VALUES
