"""The catalog is the single source of indicator codes, and is consistent."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import ROOT

from dvk_cli.checks.per_unit import holds
from dvk_cli.core.catalog import codes_in, default_catalog

CAT = default_catalog()


def _source_text(path: Path) -> str:
    """A file's text; for a Word template, the XML of its body, headers and footers."""
    if path.suffix.lower() == ".docx":
        import zipfile

        with zipfile.ZipFile(path) as z:
            parts = [n for n in z.namelist()
                     if n.startswith("word/") and n.endswith(".xml")]
            assert "word/document.xml" in parts
            return "\n".join(z.read(n).decode("utf-8") for n in parts)
    return path.read_text(encoding="utf-8")


def test_no_indicator_code_outside_the_catalog():
    sources = [*(ROOT / "dvk_cli").rglob("*.py"), *(ROOT / "templates").glob("*")]
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, CAT.codes)) + r")\b")
    offenders = {
        p.name: sorted(set(pattern.findall(_source_text(p))))
        for p in sources
        if p.is_file() and pattern.search(_source_text(p))
    }
    assert offenders == {}


def test_spec_codes_present_in_form_order():
    spec = ROOT.parent / "shared" / "spec" / "data-contract.md"
    if spec.is_file():  # beside the repository in development and CI
        table = spec.read_text(encoding="utf-8").split("## 2.")[0]
        spec_codes = set(re.findall(r"\b[A-Z]{2,}(?:_[A-Z]+)+\b", table))
        assert spec_codes <= set(CAT.codes), spec_codes - set(CAT.codes)
    groups = list(CAT.groups)
    order = [groups.index(i.group) for i in CAT.indicators.values()]
    assert order == sorted(order)


def test_phrases_checks_and_model_categories_use_known_codes():
    for group in CAT.groups.values():
        for sentence in group.sentences:
            for text in (sentence.text, *sentence.details):
                for code in re.findall(r"\{([A-Z_0-9]+)\}", text):
                    assert code in CAT, (group.key, code)
    for check in CAT.checks:
        assert all(code in CAT for code in check.codes)
    for cat in CAT.model_fields + CAT.model_kinds:
        assert cat.code in CAT
    assert CAT.model_total in CAT and CAT.model_exemplary in CAT


def test_computed_indicators():
    ratios = [i for i in CAT.computed if i.operation == "ratio"]
    assert ratios and all(len(i.operands) == 2 and i.type == "percent" for i in ratios)
    assert codes_in("ratio: A_B / C_D") == ["A_B", "C_D"]


def test_rule_expressions():
    values = {"A_X": 5, "B_X": 3, "C_X": 2}
    assert holds("A_X == B_X + C_X", values)[0]
    assert not holds("A_X < B_X - C_X + 1", values)[0]
    assert holds("A_X >= 5", values)[0]
    assert holds("A_X != B_X", values)[0]
    assert holds("A_X == D_X", values) is None  # missing code: skipped
