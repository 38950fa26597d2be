"""Hostile input, property test: random mutations of ONE valid return among
a small valid province never produce a traceback nor a total that silently
changes (issue 14).

For each example one unit's return is rebuilt with random mutations —
cells typed as text in every notation clerks use (and some no clerk
should), error values, formulas, dates, booleans; header cells changed;
rows deleted, duplicated, swapped; the table moved; the sheet renamed;
other sheets added, hidden copies among them — or its .xlsx damaged byte by
byte or edited in its XML. Then dvk_cli.api.run reads the province and:

* it raises nothing but UsageError (a BaseException such as pyo3's
  PanicException included);
* the other units' figures are exactly theirs (unless an error names their
  file: a mutated header may claim their unit);
* every total is the sum of the other units' figures and of what dvk took
  from the mutated return;
* what dvk took from the mutated return for an indicator is what the
  mutated cell unambiguously holds (see hostile_mutations: the oracle) —
  or an open error or warning names the file and that cell or indicator;
  a whole return refused with an error naming it counts nothing.

The examples are derandomized (the same in every run). To hunt defects run
many more locally:

    DVK_HYPOTHESIS_EXAMPLES=2000 pytest tests/hostile/test_properties.py

DVK_HYPOTHESIS_STRICT=1 also counts the catalog's cross checks (MH_LOAI …)
and peer outliers as not naming a misread cell, and a return refused after
mutations that change no figure as a failure.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from hostile_mutations import (
    CATALOG,
    INPUT_CODES,
    XLSX_ERRORS,
    Accept,
    Draft,
    edit_sheet_xml,
    header_outcome,
    mutate_bytes,
)
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st

import dvk_cli.api as api
from dvk_cli.core.errors import UsageError
from dvk_cli.core.numbers import clean

YEAR = 2026
STRICT = os.environ.get("DVK_HYPOTHESIS_STRICT") == "1"
EXAMPLES = int(os.environ.get("DVK_HYPOTHESIS_EXAMPLES", "0"))
# Hunting: append every failing example to this file (JSON lines) instead of failing.
COLLECT = os.environ.get("DVK_HYPOTHESIS_COLLECT")


def _settings(ci_examples: int):
    # In CI no shrinking (up to 5 minutes per failure): the failing example is printed as
    # drawn, its mutations listed; hunting runs shrink to the minimal example.
    phases = list(Phase) if EXAMPLES else [Phase.explicit, Phase.reuse, Phase.generate]
    return settings(max_examples=EXAMPLES or ci_examples, deadline=None, derandomize=True,
                    database=None, print_blob=False, phases=phases,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ------------------------------------------------------------------ the province

@dataclass
class Base:
    """Three valid returns (realistic province, 2026) and dvk.toml; peer
    outliers off (fast, and they must not be what reports a misread cell)."""

    folder: Path
    config: Path
    files: dict[str, Path]  # unit -> its valid .xlsx
    figures: dict[str, dict[str, float]]
    names: dict[str, str]
    counter: list[int]

    def example_dir(self) -> Path:
        self.counter[0] += 1
        d = self.folder / f"ex{self.counter[0]}"
        d.mkdir()
        return d


_BASES: dict[Path, Base] = {}


def base_for(tmp_path: Path) -> Base:
    if tmp_path not in _BASES:
        from realistic import PROVINCE, write_province

        units = PROVINCE[:3]
        p = write_province(tmp_path / "prov", years=(YEAR,), units=units,
                           extra_config="[outliers]\nenabled = false")
        files = {u.code: p.returns[YEAR] / f"{u.code.lower()}.xlsx" for u in units}
        _BASES[tmp_path] = Base(tmp_path, p.config, files, p.figures[YEAR],
                                {u.code: u.name for u in units}, [0])
    return _BASES[tmp_path]


# ------------------------------------------------------------------ running and judging

def run_province(base: Base, target: str, write) -> tuple[api.RunResult | None, Path]:
    """The other units' valid files and the mutated one (written by `write`
    into the folder) read by api.run; None when a UsageError stopped it."""
    folder = base.example_dir()
    for unit, path in base.files.items():
        if unit != target:
            shutil.copyfile(path, folder / path.name)
    try:
        mutated = write(folder)
    except Exception as exc:  # a value our own writer cannot store: not dvk's business
        note(f"writer refused: {exc!r}")
        assume(False)
        raise
    try:
        result = api.run([folder], period=str(YEAR), config=base.config)
    except UsageError as exc:  # allowed: a clean exit 2
        if COLLECT:
            import json

            with open(COLLECT, "a", encoding="utf-8") as out:
                out.write(json.dumps({"usage_error": str(exc)}, ensure_ascii=False) + "\n")
        return None, mutated
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - PanicException is a BaseException
        if COLLECT:
            import json

            with open(COLLECT, "a", encoding="utf-8") as out:
                out.write(json.dumps({"raised": f"{type(exc).__name__}: {exc!r}"[:500]}) + "\n")
            return None, mutated
        pytest.fail(f"api.run raised {type(exc).__module__}.{type(exc).__name__}: {exc!r}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.to_dict()  # the JSON of the run builds too
    return result, mutated


READING_ONLY_EXCLUDED = {check.id for check in CATALOG.checks} | {
    "outlier_peer", "outlier_history", "unit_slip"}


def _names(f, path: Path) -> bool:
    return f.file == str(path) or f.file.startswith(f"{path} [") or Path(f.file).name == path.name


def judge(result: api.RunResult, base: Base, target: str, path: Path, expect: dict[str, Accept],
          cells: dict[str, str], file_level: set[str], outcomes: set[str],
          neutral: bool) -> list[str]:
    """Every broken property, as a sentence (empty: all hold)."""
    problems: list[str] = []
    findings = [f for f in result.findings if f.open and f.severity in ("error", "warning")]
    v = result.consolidation.values
    taken: dict[str, dict[str, list]] = {}
    units_of: dict[str, set[str]] = {}
    for unit, code, value, file in zip(v["unit"].tolist(), v["indicator"].tolist(),
                                       v["value"].tolist(), v["file"].tolist(), strict=True):
        name = Path(str(file).split(" [")[0]).name
        taken.setdefault(name, {}).setdefault(code, []).append(value)
        units_of.setdefault(name, set()).add(str(unit))

    def errors_naming(p: Path) -> list:
        return [f for f in findings if f.severity == "error" and _names(f, p)]

    # the other units count, exactly
    for unit, own in base.files.items():
        if unit == target:
            continue
        got = {c: vals for c, vals in taken.get(own.name, {}).items()}
        want = {c: [x] for c, x in base.figures[unit].items() if x is not None}
        if got == want or (not got and errors_naming(own)):
            continue
        problems.append(f"untouched {own.name}: took {got} instead of {want}")

    mine = taken.get(path.name, {})
    refused = not mine and bool(errors_naming(path))
    if not refused:
        if "refuse" in outcomes and len(outcomes) == 1:
            problems.append(f"the return had to be refused with an error naming it; dvk took "
                            f"{mine} as {units_of.get(path.name)}")
        elif units_of.get(path.name, {target}) - {target} and not errors_naming(path):
            problems.append(f"figures counted for unit {units_of[path.name]}, not {target}")
        for code in INPUT_CODES:
            got_values = mine.get(code, [])
            got = got_values[0] if len(got_values) == 1 else (None if not got_values else "many")
            ok = expect.get(code, Accept({base.figures[target].get(code)}))
            if got != "many" and got in ok:
                continue
            flagged = [f for f in findings if _names(f, path) and (
                code in file_level or f.indicator == code or (cells.get(code) and f.cell == cells[code]))
                and not (STRICT and f.rule in READING_ONLY_EXCLUDED)]
            if not flagged:
                shown = sorted(ok, key=str) if ok else "nothing without a finding"
                problems.append(f"{code} ({cells.get(code) or 'no cell'}): took {got_values or 'nothing'}, "
                                f"expected {shown}, and no open error/warning names it")
    elif STRICT and neutral:
        problems.append("a return whose figures no mutation changed was refused")

    # totals = the others' + what was taken from the mutated return
    for code in INPUT_CODES:
        parts = [x for vals in taken.values() for x in vals.get(code, [])]
        want_total = clean(sum(parts)) if parts else None
        got_total = result.totals.get(code)
        if want_total is None and got_total is None:
            continue
        if got_total is None or want_total is None or not math.isclose(
                got_total, want_total, rel_tol=1e-9, abs_tol=1e-9):
            problems.append(f"total {code}: {got_total} but the figures used add up to {want_total}")
    return problems


def check(problems: list[str], result: api.RunResult, steps: list[str]) -> None:
    if problems and COLLECT:
        import json

        with open(COLLECT, "a", encoding="utf-8") as out:
            out.write(json.dumps({"steps": steps, "problems": problems, "findings": [
                f"{f.severity} {f.rule} {Path(f.file).name} {f.cell} [{f.indicator}]"
                for f in result.findings]}, ensure_ascii=False, default=repr) + "\n")
        return
    assert not problems, report(problems, result, steps)


def report(problems: list[str], result: api.RunResult, steps: list[str]) -> str:
    lines = ["mutations: " + "; ".join(steps), *problems, "findings:"]
    lines += [f"  {f.severity} {f.rule} {Path(f.file).name} {f.sheet}!{f.cell} [{f.indicator}] "
              f"{f.message[:150]}" for f in result.findings]
    return "\n".join(lines)


# ------------------------------------------------------------------ strategies

DIGITS = st.integers(min_value=0, max_value=10**7)


def vi_grouped(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@st.composite
def notations(draw) -> str:
    """A number written as clerks (or their software) write one: the oracle decides."""
    n = draw(DIGITS)
    frac = draw(st.integers(min_value=1, max_value=99))
    readable = [  # one reading (the oracle's), or refused as a count's fraction, a negative …
        str(n), f"  {n}  ", vi_grouped(n), f"{vi_grouped(n)},{frac}", f"{n},{frac}",
        f"{n}.{frac}", f"{n:,}.{frac}", f"{n:,}".replace(",", " "),
        f"{n:,}".replace(",", "\u00a0"), f"{n:,}".replace(",", "\u202f"), f"-{n}", f"- {n}",
        f"+{n}", f"0{n}", str(n).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),
        "-", "", " ", "—"]
    ambiguous = [  # two numbers, a slip, other digits, too large: nothing without a finding
        f"{n} {frac}", "1 2", "12 34", f"{n:,}" if n >= 1000 else "1,234,567", f"{n}e3",
        "1e20", "1e308", "9" * draw(st.integers(min_value=16, max_value=400)),
        f"{vi_grouped(n)} {frac:03}", f"{n} ,{frac}", f"1{n} {frac:03}{frac}",
        str(n).translate({ord(d): 0x0660 + int(d) for d in "0123456789"}),  # Arabic-Indic
        str(n).translate({ord(d): 0x0966 + int(d) for d in "0123456789"}),  # Devanagari
        str(n).translate({ord(d): 0x1D7CE + int(d) for d in "0123456789"}),  # math bold
        f"{n}\n{frac}", f"{n}\u200b", f"{frac}/{n + 1}", f"{n}..{frac}", f"{n},{frac},{frac}",
        "1.2.3", f"{n}.{frac:03}.{frac}", f"1.{n:04}"]
    junk = [f"{n} người", f"khoảng {n}", f"{n}%", f"{n}[/red]", f"[red]{n}[/red]", f"{n}\x07",
            f"{n}\t", "N/A", "không", "x", "#DIV/0!", "#REF!", "=1+1", f"={n}", "=SUM(E7:E9)",
            "TRUE", "nan", "inf", "１２３", "١٢٣", "\x1b[31m5"]
    return draw(st.sampled_from(draw(st.sampled_from([readable, ambiguous, junk]))))


typed_numbers = st.one_of(
    st.integers(min_value=-10**20, max_value=10**20),
    st.integers(min_value=0, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.sampled_from([1e15, 1e308, -0.0, 0.5, 2.5e-7, 10**15 - 1, 10**15, 10**299]),
)

cell_values = st.one_of(
    notations(),
    notations(),
    notations(),
    typed_numbers,
    st.booleans(),
    st.sampled_from([datetime(2026, 3, 1), date(2025, 12, 31), datetime(1900, 1, 1, 12, 30)]),
    st.sampled_from(XLSX_ERRORS),
    st.text(max_size=12),
    st.text(alphabet="0123456789 .,+-eE", max_size=10),
)

SHEET_NAMES = st.one_of(
    st.sampled_from(["Sheet1", "Biểu 01", "Số liệu", "Data", "Biểu số liệu (2)", "Báo cáo",
                     "Danh sách mô hình", "'quoted", "x" * 31, "Ẩn"]),
    st.text(alphabet=st.characters(blacklist_characters="[]:*?/\\'",
                                   blacklist_categories=("Cs", "Cc")),
            min_size=1, max_size=31).filter(lambda s: s.strip() == s and s.strip()),
)

NOTES = st.lists(st.one_of(st.sampled_from([
    "Ghi chú: số liệu tạm tính", "Người lập biểu", "Số liệu", "Mã", "VB_SO", "123", "1.215"]),
    st.text(max_size=20)), min_size=1, max_size=4)


@st.composite
def grid_mutation(draw, d: Draft, names: dict[str, str], kind: str | None = None) -> None:
    """Apply one random mutation (of `kind`, or any) to the draft."""
    free = [c for c in INPUT_CODES if c not in d.touched and d.row_of(c) is not None]
    kind = kind or draw(st.sampled_from([
        "cell", "delete", "duplicate", "swap", "blank_rows", "shift", "rename", "notes", "copy",
        "header"]))
    if kind == "cell" and free:
        d.set_cell(draw(st.sampled_from(free)), draw(cell_values))
    elif kind == "delete" and free:
        d.delete_row(draw(st.sampled_from(free)))
    elif kind == "duplicate" and free:
        d.duplicate_row(draw(st.sampled_from(free)), draw(st.booleans()))
    elif kind == "swap" and len(free) > 1:
        a, b = draw(st.lists(st.sampled_from(free), min_size=2, max_size=2, unique=True))
        d.swap_rows(a, b)
    elif kind == "blank_rows":
        d.insert_blank_rows(draw(st.sampled_from(["top", "table"])),
                            draw(st.integers(min_value=1, max_value=30)))
    elif kind == "shift":
        d.shift_columns(draw(st.integers(min_value=1, max_value=3)))
    elif kind == "rename":
        d.rename_sheet(draw(SHEET_NAMES))
    elif kind == "notes":
        d.add_notes_sheet(draw(SHEET_NAMES), draw(NOTES), draw(st.booleans()))
    elif kind == "copy":
        d.add_copy(draw(SHEET_NAMES), draw(st.sampled_from([0, 1, 1000])), draw(st.booleans()),
                   draw(st.booleans()), draw(st.one_of(st.none(), st.integers(1, 40))))
    elif kind == "partial_copy":  # a smaller second table: fewer rows, other figures
        d.add_copy(draw(SHEET_NAMES), draw(st.sampled_from([1, 1000])), draw(st.booleans()),
                   draw(st.booleans()), draw(st.integers(1, 17)))
    elif kind == "header":
        key = draw(st.sampled_from(["unit", "code", "period"]))
        others = [c for c in names if c != d.unit]
        if key == "unit":
            value = draw(st.one_of(st.sampled_from([
                names[d.unit], names[d.unit].upper(), f"  {names[d.unit]}  ",
                names[others[0]], "", "Ban Dân vận", "Bù Đăng", "[red]x[/red]"]),
                st.text(max_size=15)))
        elif key == "code":
            value = draw(st.sampled_from([d.unit, f" {d.unit.lower()} ", f"{d.unit}2",
                                          others[0], "", "???", 123]))
        else:
            value = draw(st.sampled_from(["2026", " 2026 ", 2026, 2026.0, "Năm 2026", "2025",
                                          "2026-H1", "6 tháng đầu năm 2026", "", "năm ngoái",
                                          "Quý I/2026"]))
        d.set_header(key, value)


# ------------------------------------------------------------------ the properties

GRID_KINDS = ["delete", "duplicate", "swap", "blank_rows", "shift", "rename", "notes", "copy",
              "partial_copy", "header", "cell"]


@pytest.mark.parametrize("focus", GRID_KINDS)
@_settings(ci_examples=6)
@given(data=st.data())
def test_a_mutated_return_never_crashes_nor_silently_changes_a_total(tmp_path, focus, data):
    """One cell typed anew, one mutation of kind `focus` and up to two more."""
    base = base_for(tmp_path)
    target = data.draw(st.sampled_from(sorted(base.files)), label="unit")
    fmt = data.draw(st.sampled_from(["xlsx", "xlsx", "xls", "ods"]), label="format")
    d = Draft.of(target, base.names[target], base.figures[target], fmt)
    kinds = ["cell", focus] + [None] * data.draw(st.integers(0, 2), label="more mutations")
    for kind in data.draw(st.permutations(kinds), label="order"):
        data.draw(grid_mutation(d, base.names, kind))
    d.finish()
    note(f"{fmt}: " + "; ".join(d.steps))
    cells = {c: d.cell_of(c) for c in INPUT_CODES}

    def write(folder: Path) -> Path:
        return d.write(folder / f"{target.lower()}.{fmt}")

    result, path = run_province(base, target, write)
    if result is None:  # UsageError: allowed (a period slip), never with two valid returns
        if COLLECT:
            return
        pytest.fail("UsageError with two valid returns of the period beside the mutated one")
    outcomes = header_outcome(d.header, base.names, target)
    problems = judge(result, base, target, path, d.expect, cells, d.file_level, outcomes,
                     neutral=d.neutral)
    check(problems, result, [fmt, *d.steps])


XML_KINDS = {
    "error": st.sampled_from(XLSX_ERRORS),
    "bool": st.just(""),
    "shared_string_missing": st.sampled_from(["0", "99999", "-1"]),
    "inline_text": notations(),
    "str_formula": notations(),
    "formula_cached": st.just(""),
    "formula_uncached": st.just(""),
    "v_text": st.sampled_from(["", "abc", "1e400", "NaN", "INF", "1,5", "0x1F", " 7 ", "7.0",
                               "7E0", "+7", "١٢", "1 2", "1e20", ".5"]),
    "duplicate_cell": st.sampled_from(["0", "7", "123456"]),
    "ref_out": st.just(""),
    "ref_malformed": st.sampled_from(["e{row}", "$E${row}", "E0{row}", "E {row}", "", "{row}E",
                                      "R{row}C5", "E"]),
    "ref_out_of_sheet": st.sampled_from(["XFE{row}", "E1048577", "AAAA{row}", "E99999999999"]),
    "ref_collide": st.just(""),
    "no_cell_refs": st.just(""),
    "no_row_refs": st.just(""),
    "dimension": st.sampled_from(["", "A1", "A1:B2", "E7:E7", "A1:XFD1048576", "Z99:A1"]),
}


@pytest.mark.parametrize("level", ["flip", "truncate", "splice", *sorted(XML_KINDS)])
@_settings(ci_examples=4)
@given(data=st.data())
def test_a_damaged_or_edited_xlsx_is_refused_or_read_as_it_is(tmp_path, level, data):
    """Bytes flipped, cut or replaced; or one edit (`level`) of the sheet's XML."""
    base = base_for(tmp_path)
    target = data.draw(st.sampled_from(sorted(base.files)), label="unit")
    raw = base.files[target].read_bytes()
    figures = base.figures[target]
    expect: dict[str, Accept] = {}
    file_level: set[str] = set()
    if level in XML_KINDS:
        kind = level
        with_value = [c for c in INPUT_CODES if figures.get(c) is not None]
        code = data.draw(st.sampled_from(with_value), label="code")
        following = [c for c in with_value if c != code]
        other = data.draw(st.sampled_from(following), label="other")
        arg = data.draw(XML_KINDS[kind], label="arg")
        mutated, edit = edit_sheet_xml(raw, kind, code, other, arg, figures)
        expect, file_level, steps = edit.expect, edit.file_level, [edit.description]
        cells = {code: f"E{7 + list(CATALOG.indicators).index(code)}"}
        if kind == "ref_collide":
            cells[other] = f"E{7 + list(CATALOG.indicators).index(other)}"
    else:
        where = data.draw(st.floats(min_value=0, max_value=1), label="where")
        payload = data.draw(st.binary(min_size=1, max_size=16), label="payload")
        mutated = mutate_bytes(raw, level, where, payload)
        assume(mutated != raw)
        steps = [f"{level} at {where:.4f} with {payload!r}"]
        cells = {}
    note("; ".join(steps))

    def write(folder: Path) -> Path:
        path = folder / f"{target.lower()}.xlsx"
        path.write_bytes(mutated)
        return path

    result, path = run_province(base, target, write)
    if result is None:
        if COLLECT:
            return
        pytest.fail("UsageError with two valid returns of the period beside the mutated one")
    problems = judge(result, base, target, path, expect, cells, file_level, {target, "refuse"},
                     neutral=False)
    check(problems, result, steps)
