"""Mutation testing for dvk's core modules, run on demand (not in CI).

Each mutant is one small change to one module's code (a comparison, an
arithmetic or boolean operator, a number, True/False, break/continue, a
dropped `not` or minus sign). The module's tests run against it; a mutant
that leaves them green *survived*: a behaviour no test pins.

    python scripts/mutate.py                   # every module in TESTS
    python scripts/mutate.py numbers periods   # some of them
    python scripts/mutate.py numbers --tests tests/test_numbers.py   # other tests
    python scripts/mutate.py checks --list     # the mutants, without running

How it runs: the parent imports the heavy third-party libraries once, never
dvk itself; each mutant runs in a forked child that installs the mutated
module through an import hook and runs pytest in-process (about 0.3 s a
mutant). Children that hang are killed after a timeout (counted as killed).

Equivalent mutants (no behaviour can reveal them) are listed in EQUIVALENT
with a one-line reason and are not counted; a key that no longer matches a
mutant is reported as stale so the list stays honest.
"""

from __future__ import annotations

import argparse
import ast
import importlib.abc
import importlib.util
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "dvk_cli"

# module (dotted, below dvk_cli) -> the tests that pin it (fast, pure tests)
TESTS: dict[str, list[str]] = {
    "core.numbers": ["tests/core/test_numbers.py", "tests/core/test_edges_numbers.py"],
    "core.periods": ["tests/core/test_edges_periods.py"],
    "core.units": ["tests/core/test_edges_units.py"],
    "core.text": ["tests/core/test_edges_units.py", "tests/core/test_edges_periods.py"],
    "reading.measures": ["tests/reading/test_edges_measures.py"],
    "aggregation": ["tests/test_edges_aggregation.py"],
    "checks.per_unit": ["tests/checks/test_rules.py", "tests/checks/test_edges_checks.py"],
    "checks.peers": ["tests/checks/test_outliers.py", "tests/checks/test_edges_outliers.py",
                     "tests/checks/test_expected.py"],
    "checks.expected": ["tests/checks/test_expected.py", "tests/checks/test_edges_outliers.py"],
    "checks.marks": ["tests/checks/test_edges_marks.py", "tests/outputs/test_marks.py"],
    "history.signoff": ["tests/history/test_signoff.py"],
}

# "module:qualname:change:source line" -> why no test can tell the mutant apart
EQUIVALENT: dict[str, str] = {
    "core.numbers:fmt_number:< → <=:if float(rounded).is_integer() and abs(rounded) < 1e15:":
        "at exactly 1e15 the fast path and Babel print the same string",
    "core.numbers:fmt_number:1000000000000000.0 → 2000000000000000.0:"
    "if float(rounded).is_integer() and abs(rounded) < 1e15:":
        "whole floats up to 2e15 are exact: both paths print the same (60,000 values tried)",
    "core.numbers:fmt_value:0 → 1:return fmt_number(value, 0 if float(value).is_integer() else 2)":
        "only whole values take this branch, and fmt_number prints them alike with 0 or 1 decimal",
    "core.periods:parse_period:4 → 5:return Period(int(groups[1]), \"Q\", idx) if 1 <= idx <= 4 else None":
        "idx is 0-4 only: digits 1-4, Roman numerals up to iv, 0 for anything else",
    "core.units:name_key:break → continue:break":
        "no prefix matched, so the text is unchanged and the next pass finds none either",
    "core.units:Registry.match:> → >=:if len(hits) > 1:":
        "reached only after len(hits) == 1 returned: the count is 0 or at least 2",
    "core.units:Registry.match:> → >=:return Match(None, hits if len(hits) > 1 else [])":
        "as above: len(hits) is never 1 here",
    "core.units:Registry.match_filename:0 → 1:best = 0":
        "keys are never empty; a first match of length 1 takes the == branch to the same result",
    "core.text:_fold_text:1 → 2:@lru_cache(maxsize=1 << 16)":
        "the size of a cache: what it returns is the same",
    "core.text:_fold_text:16 → 17:@lru_cache(maxsize=1 << 16)":
        "the size of a cache: what it returns is the same",
    "checks.per_unit:parse_comparison:1024 → 1025:@lru_cache(maxsize=1024) "
    "# the same few rules are evaluated for every unit":
        "the size of a cache: what it returns is the same",
    "checks.per_unit:parse_side:1024 → 1025:@lru_cache(maxsize=1024)":
        "the size of a cache: what it returns is the same",
    "checks.peers:flag_values:True → False:strict=True):":
        "the values and their leave-one-out medians always have the same length",
    "checks.peers:flag_values:break → continue:break":
        "the three slip windows (10^6, 10^3, 10^-3, half a decade each) cannot overlap",
    "checks.peers:_times:< → <=:"
    "return f\"gấp khoảng {fmt_number(ratio, 1 if ratio < 10 else 0)} lần\"":
        "differs only at a ratio of exactly 10, printed '10' with or without one decimal",
    "checks.peers:_times:> → >=:"
    "return f\"chỉ bằng khoảng 1/{fmt_number(1 / ratio, 1 if ratio > 0.1 else 0)}\"":
        "differs only at exactly 0.1, where 1/ratio is 10.0 and prints '10' either way",
    "checks.peers:find_outliers:True → False:v[\"cell\"].tolist(), strict=True)}":
        "the zipped lists are columns of one DataFrame: always the same length",
    "reading.measures:apply:< → <=:if conv.factor < 1:":
        "differs only for a factor of exactly 1, which returns earlier as an identity",
    "reading.measures:apply:1 → 2:if conv.factor < 1:":
        "differs only for factors in [1, 2); the tables hold powers of ten only",
}

_SWAP_CMP = {
    ast.Lt: (ast.LtE, "<", "<="), ast.LtE: (ast.Lt, "<=", "<"),
    ast.Gt: (ast.GtE, ">", ">="), ast.GtE: (ast.Gt, ">=", ">"),
    ast.Eq: (ast.NotEq, "==", "!="), ast.NotEq: (ast.Eq, "!=", "=="),
    ast.In: (ast.NotIn, "in", "not in"), ast.NotIn: (ast.In, "not in", "in"),
    ast.Is: (ast.IsNot, "is", "is not"), ast.IsNot: (ast.Is, "is not", "is"),
}
_SWAP_BIN = {
    ast.Add: (ast.Sub, "+", "-"), ast.Sub: (ast.Add, "-", "+"),
    ast.Mult: (ast.Div, "*", "/"), ast.Div: (ast.Mult, "/", "*"),
    ast.FloorDiv: (ast.Div, "//", "/"), ast.Mod: (ast.FloorDiv, "%", "//"),
    ast.Pow: (ast.Mult, "**", "*"),
}
_SKIP_FIELDS = {"annotation", "returns", "type_comment"}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # position of the node in the deterministic walk
    variant: int  # which change of that node (Compare: which operator)
    line: int
    qualname: str
    change: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.module}:{self.qualname}:{self.change}:{self.source}"


def _walk(tree: ast.AST):
    """Nodes in a fixed order with their qualname, parent and field, skipping
    docstrings, annotations and `if TYPE_CHECKING:` blocks."""

    def visit(node, qual, parent, field, pos):
        yield node, qual, parent, field, pos
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qual = f"{qual}.{node.name}" if qual else node.name
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) \
                and node.test.id == "TYPE_CHECKING":
            return
        for name, value in ast.iter_fields(node):
            if name in _SKIP_FIELDS:
                continue
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        if i == 0 and name == "body" and _is_docstring(item):
                            continue
                        yield from visit(item, qual, node, name, i)
            elif isinstance(value, ast.AST):
                yield from visit(value, qual, node, name, None)

    yield from visit(tree, "", None, None, None)


def _is_docstring(node: ast.AST) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str | bytes))


def _changes(node: ast.AST) -> list[str]:
    """The changes this node admits, described for people."""
    if isinstance(node, ast.Compare):
        return [f"{_SWAP_CMP[type(op)][1]} → {_SWAP_CMP[type(op)][2]}"
                for op in node.ops if type(op) in _SWAP_CMP]
    if isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BIN:
        if isinstance(node.op, (ast.Add, ast.Mod)) and (_is_text(node.left) or _is_text(node.right)):
            return []  # string concatenation / %-formatting
        _, a, b = _SWAP_BIN[type(node.op)]
        return [f"{a} → {b}"]
    if isinstance(node, ast.AugAssign) and type(node.op) in _SWAP_BIN:
        _, a, b = _SWAP_BIN[type(node.op)]
        return [f"{a}= → {b}="]
    if isinstance(node, ast.BoolOp):
        return ["and → or" if isinstance(node.op, ast.And) else "or → and"]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        return ["drop not" if isinstance(node.op, ast.Not) else "drop unary -"]
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return [f"{v} → {not v}"]
        if isinstance(v, int):
            return [f"{v} → {v + 1}"]
        if isinstance(v, float):
            return [f"{v!r} → {_float_mutant(v)!r}"]
    if isinstance(node, ast.Break):
        return ["break → continue"]
    if isinstance(node, ast.Continue):
        return ["continue → break"]
    return []


def _float_mutant(v: float) -> float:
    return 1.0 if v == 0 else v * 2


def _apply(node, parent, field, pos, variant: int) -> None:
    def replace(new):
        if pos is None:
            setattr(parent, field, new)
        else:
            getattr(parent, field)[pos] = new

    if isinstance(node, ast.Compare):
        ops = [i for i, op in enumerate(node.ops) if type(op) in _SWAP_CMP]
        i = ops[variant]
        node.ops[i] = _SWAP_CMP[type(node.ops[i])][0]()
    elif isinstance(node, ast.BinOp | ast.AugAssign):
        node.op = _SWAP_BIN[type(node.op)][0]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        replace(node.operand)
    elif isinstance(node, ast.Constant):
        v = node.value
        node.value = (not v) if isinstance(v, bool) else (
            v + 1 if isinstance(v, int) else _float_mutant(v))
    elif isinstance(node, ast.Break):
        replace(ast.Continue())
    elif isinstance(node, ast.Continue):
        replace(ast.Break())


def module_path(module: str) -> Path:
    base = ROOT / PACKAGE / Path(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def mutants_of(module: str) -> list[Mutant]:
    path = module_path(module)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for index, (node, qual, _p, _f, _i) in enumerate(_walk(ast.parse(text))):
        for variant, change in enumerate(_changes(node)):
            line = getattr(node, "lineno", 0)
            source = " ".join(lines[line - 1].split()) if line else ""
            found.append(Mutant(module, index, variant, line, qual or "<module>", change, source))
    # the same change twice on one line gets #2, #3… so keys stay unique
    seen: dict[str, int] = {}
    out = []
    for m in found:
        n = seen[m.key] = seen.get(m.key, 0) + 1
        out.append(m if n == 1 else Mutant(m.module, m.index, m.variant, m.line, m.qualname,
                                           f"{m.change} #{n}", m.source))
    return out


def mutated_code(m: Mutant):
    path = module_path(m.module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for index, (node, _q, parent, field, pos) in enumerate(_walk(tree)):
        if index == m.index:
            _apply(node, parent, field, pos, m.variant)
            break
    ast.fix_missing_locations(tree)
    return compile(tree, str(path), "exec")


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, fullname: str, path: Path, code):
        self.fullname, self.path, self.code = fullname, path, code

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.fullname:
            return None
        is_pkg = self.path.name == "__init__.py"
        return importlib.util.spec_from_file_location(
            fullname, self.path, loader=self,
            submodule_search_locations=[str(self.path.parent)] if is_pkg else None)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.code, module.__dict__)


def _child(module: str, code, tests: list[str], timeout: float, quiet: bool) -> None:
    """In the forked child: install the mutant, run pytest, exit with its code."""
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        if code is not None:
            sys.meta_path.insert(0, _MutantFinder(f"{PACKAGE}.{module}", module_path(module), code))
        if quiet:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
        import pytest

        rc = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--no-header", *tests])
        os._exit(int(rc))
    except BaseException:  # noqa: BLE001 - a mutant that breaks import is killed
        os._exit(3)


def _preload() -> None:
    """Import what every child would import anyway, so forks start warm."""
    import importlib

    for name in ("pandas", "numpy", "openpyxl", "python_calamine", "babel.numbers", "rich",
                 "rich.console", "typer", "jinja2", "pytest", "hypothesis"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    if any(k == PACKAGE or k.startswith(PACKAGE + ".") for k in sys.modules):
        raise SystemExit("dvk was imported before forking: mutants would not be seen")


def run(mutants: list[Mutant], tests: list[str], jobs: int, timeout: float,
        on_done) -> None:
    pending = list(mutants)
    running: dict[int, tuple[Mutant, float]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            m = pending.pop(0)
            code = mutated_code(m)
            pid = os.fork()
            if pid == 0:
                _child(m.module, code, tests, timeout, quiet=True)
            running[pid] = (m, time.monotonic())
        pid, status = os.waitpid(-1, 0)
        m, _start = running.pop(pid)
        if os.WIFEXITED(status):
            rc = os.WEXITSTATUS(status)
            outcome = "survived" if rc == 0 else "killed"
        else:
            outcome = "timeout"  # a hang or a crash: the tests noticed
        on_done(m, outcome)


def baseline(module: str, tests: list[str], timeout: float) -> float:
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(module, None, tests, timeout, quiet=True)
    _pid, status = os.waitpid(pid, 0)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        raise SystemExit(f"{module}: the unmutated tests fail ({' '.join(tests)}); fix them first")
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help="modules below dvk_cli (default: all in TESTS)")
    ap.add_argument("--tests", nargs="+", help="test files to run instead of TESTS[module]")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--show-killed", action="store_true")
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    modules = args.modules or list(TESTS)
    for mod in modules:
        if not module_path(mod).exists():
            ap.error(f"no module {PACKAGE}.{mod}")
    if args.list:
        for mod in modules:
            for m in mutants_of(mod):
                mark = "  (equivalent)" if m.key in EQUIVALENT else ""
                print(f"{mod}:{m.line}  {m.key}{mark}")
        return 0
    _preload()
    rows = []
    all_keys: set[str] = set()
    for mod in modules:
        tests = args.tests or [t for t in TESTS.get(mod, []) if (ROOT / t).exists()]
        if not tests:
            print(f"{mod}: no tests to run", file=sys.stderr)
            continue
        base = baseline(mod, tests, timeout=600)
        timeout = max(10.0, 5 * base)
        mutants = mutants_of(mod)
        all_keys |= {m.key for m in mutants}
        counted = [m for m in mutants if m.key not in EQUIVALENT]
        results: dict[str, list[Mutant]] = {"killed": [], "survived": [], "timeout": []}
        t0 = time.monotonic()

        def done(m, outcome, results=results):
            results[outcome].append(m)
            if args.show_killed or outcome == "survived":
                print(f"  {outcome:8} {m.module}:{m.line}  {m.key}", flush=True)

        print(f"{mod}: {len(counted)} mutants ({len(mutants) - len(counted)} equivalent), "
              f"tests {' '.join(tests)} ({base:.1f} s)", flush=True)
        run(counted, tests, args.jobs, timeout, done)
        killed = len(results["killed"]) + len(results["timeout"])
        score = 100 * killed / len(counted) if counted else 100.0
        rows.append((mod, len(mutants), len(mutants) - len(counted), killed,
                     len(results["survived"]), score, time.monotonic() - t0))
    print()
    print(f"{'module':14} {'mutants':>7} {'equiv':>5} {'killed':>6} {'survived':>8} "
          f"{'score':>6} {'time':>6}")
    for mod, n, eq, k, s, score, secs in rows:
        print(f"{mod:14} {n:7} {eq:5} {k:6} {s:8} {score:5.1f}% {secs:5.0f}s")
    stale = [k for k in EQUIVALENT if k.split(":", 1)[0] in modules and k not in all_keys]
    for k in stale:
        print(f"stale EQUIVALENT key (no such mutant): {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
