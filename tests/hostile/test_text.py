"""The hostile corpus, text items (issue 14, items 5 and 8): a return whose
file name, unit name and model names carry rich markup, Markdown, terminal
escapes and control characters, dropped among the province's returns; a lock
reason "[/]". dvk runs as its own process: the exit code is its own, no
traceback, the texts are said as written (without what a terminal would act
on), and the other returns' totals are unchanged.
"""

from __future__ import annotations

import re

from helpers import return_grid, write_xls
from hostile_harness import YEAR, assert_contained, province, run_dvk

FILE = "[DV] Bù Đốp [bản cuối].xls"
UNIT = "[bold]Xã lạ[/] *x* \x1b[2J\x1b]0;tiêu đề\x07\r\x08\u202e#1"
UNIT_SHOWN = "[bold]Xã lạ[/] *x* #1"  # what may be shown of it
MODEL = "Mô hình [/red]\n# Tiêu đề giả\x00"
# What no output may hold: escape sequences, C0/C1 controls, bidi overrides.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_return(p) -> None:
    """A return of a unit dvk.toml does not know (so it is not added), in .xls:
    the format keeps any character a unit's software may put in a cell."""
    grid = return_grid({"VB_SO": 3, "MH_TONG": 1, "MH_TAPTHE": 1, "MH_KT": 1},
                       unit=UNIT, code=None, period=str(YEAR),
                       models=[{"name": MODEL, "exemplary": True}])
    write_xls(grid, p.returns / FILE)


def test_hostile_texts_in_a_return_are_said_as_written(tmp_path):
    p = province(tmp_path)
    _hostile_return(p)
    as_json = run_dvk("validate", YEAR, "--period", YEAR, "--json", "--no-store", cwd=p.folder)
    assert_contained(as_json, p, rc={1}, names=[FILE, UNIT_SHOWN])
    assert not FORBIDDEN.search(as_json.stdout)  # the JSON escapes what it keeps (\u001b)

    out = run_dvk("aggregate", YEAR, "--period", YEAR, "--docx", "--out", "ra", cwd=p.folder)
    assert_contained(out, rc={1}, names=[f"{YEAR}/{FILE}", f"“{UNIT_SHOWN}”",
                                         f"Đã ghi ra/bao-cao-{YEAR}.md"])
    assert not FORBIDDEN.search(out.stdout + out.stderr), repr(out.stdout[-2000:])
    md = (p.folder / "ra" / f"bao-cao-{YEAR}.md").read_text(encoding="utf-8")
    assert not FORBIDDEN.search(md)
    assert "“\\[bold\\]Xã lạ\\[/\\] \\*x\\* #1”" in md  # Markdown shows the name as written
    assert not any(line.startswith("# Tiêu đề giả") for line in md.splitlines())


def test_a_lock_reason_with_markup_prints_in_every_later_history(tmp_path):
    p = province(tmp_path)
    _hostile_return(p)
    assert_contained(run_dvk("aggregate", YEAR, "--period", YEAR, cwd=p.folder), rc={1},
                     names=[FILE])
    locked = run_dvk("lock", YEAR, "--force", "--why", "[/]", cwd=p.folder)
    assert_contained(locked, rc={0}, names=[f"“{UNIT_SHOWN}”"])
    for _ in range(2):
        history = run_dvk("history", cwd=p.folder)
        assert_contained(history, rc={0}, names=[f"Khóa kỳ {YEAR}"])
        assert re.search(rf"Khóa kỳ {YEAR} lúc [\d:]+ ngày [\d/]+: \[/\]", history.said), history.said[-500:]
    listed = run_dvk("history", "--json", cwd=p.folder)
    assert_contained(listed, rc={0})
    assert not FORBIDDEN.search(listed.stdout)


def test_an_input_path_with_markup_is_said_as_written(tmp_path):
    """Item 5: a folder "returns[" holding "x]" (the path returns[/x]) is read,
    and a path that does not exist is named with its brackets, exit 2."""
    import shutil

    p = province(tmp_path, units=3)
    odd = p.folder / "returns[" / "x]"
    shutil.copytree(p.returns, odd)
    shutil.rmtree(p.returns)
    out = run_dvk("validate", "returns[/x]", "--period", YEAR, "--json", cwd=p.folder)
    assert_contained(out, p, rc={0})
    missing = run_dvk("validate", "returns[/y]", "--period", YEAR, cwd=p.folder)
    assert_contained(missing, rc={2}, names=["“returns[/y]”"])
