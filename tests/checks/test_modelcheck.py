"""The model list against the summary figures, on built workbooks."""

from __future__ import annotations

import pytest
from helpers import consistent_values, return_grid, write_ods, write_xlsx

from dvk_cli.checks.models import category_words, match_category
from dvk_cli.core.catalog import default_catalog
from dvk_cli.pipeline import run

CAT = default_catalog()
FIELDS = {c.code: c.label for c in CAT.model_fields}


def model_list(n_kt=3, n_vhxh=1, n_qpan=0, n_xdht=0, tapthe=2, exemplary=1, **texts):
    """Models whose counts follow the arguments; `texts` overrides a row's field
    text: {"field_0": "VH-XH"}."""
    fields = ["Kinh tế"] * n_kt + ["Văn hóa – xã hội"] * n_vhxh + ["Quốc phòng – an ninh"] * n_qpan \
        + ["Xây dựng hệ thống chính trị"] * n_xdht
    models = []
    for i, field in enumerate(fields):
        models.append({"name": f"Mô hình {i + 1}", "field": texts.get(f"field_{i}", field),
                       "kind": texts.get(f"kind_{i}", "Tập thể" if i < tapthe else "Cá nhân"),
                       "exemplary": i < exemplary})
    return models


def summary(n=4, kt=3, vhxh=1, qpan=0, xdht=0, tapthe=2, tieubieu=1, **extra):
    values = consistent_values(n, MH_KT=kt, MH_VHXH=vhxh, MH_QPAN=qpan, MH_XDHT=xdht,
                               MH_TAPTHE=tapthe, MH_CANHAN=n - tapthe, MH_TIEUBIEU=tieubieu)
    values.update(extra)
    return values


def model_findings(result):
    return [f for f in result.findings if f.rule.startswith("model_")]


@pytest.mark.parametrize("text,code", [
    ("Kinh tế", "MH_KT"), ("kinh te", "MH_KT"), ("KT", "MH_KT"), ("Lĩnh vực kinh tế", "MH_KT"),
    ("VH-XH", "MH_VHXH"), ("Văn hoá xã hội", "MH_VHXH"), ("văn hóa, xã hội", "MH_VHXH"),
    ("Xã hội – văn hóa", "MH_VHXH"), ("QP-AN", "MH_QPAN"), ("quốc phòng an ninh", "MH_QPAN"),
    ("XD HTCT", "MH_XDHT"), ("Xây dựng hệ thống chính trị", "MH_XDHT"),
])
def test_field_texts_are_normalised(text, code):
    assert match_category(text, CAT.model_fields).category.code == code


@pytest.mark.parametrize("text,code", [("Tập thể", "MH_TAPTHE"), ("tap the", "MH_TAPTHE"),
                                       ("TT", "MH_TAPTHE"), ("Cá nhân", "MH_CANHAN"),
                                       ("Mô hình cá nhân", "MH_CANHAN"), ("CN", "MH_CANHAN")])
def test_kind_texts_are_normalised(text, code):
    assert match_category(text, CAT.model_kinds).category.code == code


def test_unknown_texts_match_nothing():
    for text in ("Nông nghiệp", "Kinh tế – xã hội", "VH", ""):
        assert match_category(text, CAT.model_fields).category is None, text
    assert category_words("Lĩnh vực: Văn hoá – Xã hội") == ("van", "hoa", "xa", "hoi")


def test_a_complete_list_that_agrees(folder):
    models = model_list(**{"field_0": "kinh te", "field_3": "VH-XH", "kind_1": "TT"})
    write_xlsx(return_grid(summary(), models=models), folder / "returns" / "a.xlsx")
    result = run([folder / "returns"], period="2024")
    assert result.findings == []


def test_a_complete_list_that_disagrees_names_both_places(folder):
    # 4 models, as many as MH_TONG: 2 economic listed but 3 in the summary,
    # 2 exemplary marked but 1 in the summary
    models = model_list(n_kt=2, n_vhxh=2, exemplary=2)
    write_xlsx(return_grid(summary(), models=models), folder / "returns" / "a.xlsx")
    result = run([folder / "returns"], period="2024")
    found = {f.indicator: f for f in model_findings(result)}
    assert set(found) == {"MH_KT", "MH_VHXH", "MH_TIEUBIEU"}
    assert {f.rule for f in found.values()} == {"model_list_mismatch"}
    kt = found["MH_KT"]
    assert kt.severity == "warning" and kt.unit == "BUDANG"
    assert kt.sheet == "Biểu số liệu" and kt.cell.startswith("E")  # the summary's cell…
    assert "trang “Danh sách mô hình”, dòng 2–5" in kt.message  # …and the list
    assert "2 mô hình lĩnh vực “Kinh tế”" in kt.message and f"ô {kt.cell} ghi 3" in kt.message
    assert "2 mô hình đánh dấu tiêu biểu (dòng 2–3)" in found["MH_TIEUBIEU"].message


def test_a_longer_list_and_too_many_exemplary(folder):
    # 6 models listed, 3 exemplary; the summary says 4 models, 1 exemplary
    models = model_list(n_kt=4, n_vhxh=2, exemplary=3)
    write_xlsx(return_grid(summary(), models=models), folder / "returns" / "a.xlsx")
    result = run([folder / "returns"], period="2024")
    found = {f.rule: f for f in model_findings(result)}
    assert set(found) == {"model_list_longer", "model_exemplary"}  # not compared by field
    longer = found["model_list_longer"]
    assert longer.indicator == "MH_TONG" and longer.cell.startswith("E")
    assert "liệt kê 6 mô hình, nhiều hơn tổng số mô hình ghi ở trang “Biểu số liệu”" in longer.message
    assert "(4)" in longer.message and "dòng 2–7" in longer.message
    ex = found["model_exemplary"]
    assert ex.indicator == "MH_TIEUBIEU" and "đánh dấu 3 mô hình tiêu biểu (dòng 2–4)" in ex.message


def test_a_shorter_list_is_a_selection(folder):
    models = model_list(n_kt=1, n_vhxh=0, tapthe=1, exemplary=1)  # 1 of 40 models
    write_xlsx(return_grid(summary(40, kt=30, vhxh=10, tapthe=20), models=models),
               folder / "returns" / "a.xlsx")
    assert model_findings(run([folder / "returns"], period="2024")) == []


def test_unknown_categories_are_reported_at_their_cell(folder):
    models = model_list(**{"field_1": "Nông nghiệp", "kind_2": "Hộ gia đình"})
    write_xlsx(return_grid(summary(), models=models), folder / "returns" / "a.xlsx")
    write_ods(return_grid(summary(), models=model_list(**{"field_0": "Môi trường"}),
                          unit="TP. Đồng Xoài"), folder / "returns" / "b.ods")
    result = run([folder / "returns"], period="2024")
    unknown = [f for f in model_findings(result) if f.rule == "model_category"]
    assert {(f.unit, f.cell) for f in unknown} == {("BUDANG", "C3"), ("BUDANG", "D4"),
                                                  ("DONGXOAI", "C2")}
    field = next(f for f in unknown if f.cell == "C3")
    assert field.sheet == "Danh sách mô hình"
    assert "lĩnh vực “Nông nghiệp” không thuộc (Kinh tế, Văn hóa – xã hội" in field.message
    # an uncounted row makes the complete list disagree with the summary
    mismatch = [f.indicator for f in model_findings(result) if f.rule == "model_list_mismatch"]
    assert sorted(mismatch) == ["MH_CANHAN", "MH_KT", "MH_KT"]


def test_severity_of_model_checks_from_dvk_toml(folder):
    config = folder / "dvk.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + '\n[[rules]]\nid = "model_list_longer"\nseverity = "error"\n', encoding="utf-8")
    write_xlsx(return_grid(summary(), models=model_list(n_kt=5)), folder / "returns" / "a.xlsx")
    result = run([folder / "returns"], period="2024")
    assert [(f.rule, f.severity) for f in model_findings(result)] == [("model_list_longer", "error")]


# ------------------------------------------------ the whole run at once

def _generated_run(seed: int):
    """A consolidation-like record of random model lists and summaries: texts
    known, misspelt, ambiguous or blank, totals equal to the list's length or
    not, figures missing, and the units' rows interleaved."""
    import random
    import types

    import numpy as np
    import pandas as pd

    rng = random.Random(seed)
    fields = ["Kinh tế", "kinh te", "VH-XH", "QP-AN", "XD HTCT", "Xây dựng", "Khác", "", "  ",
              "Văn hóa – xã hội"]
    kinds = ["Tập thể", "Cá nhân", "tap the", "Hộ gia đình", "", "Khác", "Kinh tế"]
    units = [f"U{i:03d}" for i in range(rng.randint(1, 40))]
    model_rows, value_rows, per_unit = [], [], {}
    codes = list(CAT.indicators)
    for unit in units:
        n = rng.randint(0, 12)
        file = f"/tmp/{unit}.xlsx"
        for r in range(n):
            model_rows.append((unit, rng.choice(fields), rng.choice(kinds), rng.random() < 0.3,
                               file, "Danh sách mô hình", 10 + r))
        figures = {code: float(rng.randint(0, 9)) if rng.random() < 0.8 else np.nan
                   for code in codes}
        figures["MH_TONG"] = rng.choice([float(n), float(n), float(n + 1), float(max(n - 1, 0)),
                                         np.nan])
        per_unit[unit] = figures
        for code, value in figures.items():
            if value == value and rng.random() < 0.9:
                value_rows.append((unit, code, file, "Biểu", f"C{rng.randint(5, 60)}"))
    rng.shuffle(model_rows)  # a unit's rows need not follow each other
    models = pd.DataFrame(model_rows, columns=["unit", "field", "kind", "exemplary", "file",
                                               "sheet", "row"])
    for column in ("unit", "field", "kind", "file", "sheet"):
        models[column] = models[column].astype("category")
    values = pd.DataFrame(value_rows, columns=["unit", "indicator", "file", "sheet", "cell"])
    return types.SimpleNamespace(catalog=CAT, models=models, values=values.astype("category"),
                                 per_unit=pd.DataFrame.from_dict(per_unit, orient="index"))


def _model_findings_one_by_one(c):
    """check_model_lists the straightforward way: each unit's rows as a
    DataFrame, its whole row of figures, each text matched afresh."""
    import math

    from dvk_cli.checks.models import check_unit_models

    cat = c.catalog
    codes = {cat.model_total, cat.model_exemplary,
             *(m.code for m in (*cat.model_fields, *cat.model_kinds))}
    where: dict = {}
    for _, v in c.values.iterrows():
        if v["indicator"] in codes:
            where.setdefault(v["unit"], {})[v["indicator"]] = (v["file"], v["sheet"], v["cell"])
    findings = []
    for unit in dict.fromkeys(c.models["unit"].tolist()):
        rows = c.models[(c.models["unit"] == unit).to_numpy()]
        row = c.per_unit.loc[unit] if unit in c.per_unit.index else None
        summary = {} if row is None else {k: float(v) for k, v in row.items() if not math.isnan(v)}
        findings += check_unit_models(rows, summary, where.get(unit, {}), cat, unit=unit,
                                      locate=False)
    return findings


@pytest.mark.parametrize("seed", range(25))
def test_the_run_at_once_finds_what_unit_by_unit_finds(seed):
    from dvk_cli.checks.models import check_model_lists

    c = _generated_run(seed)
    expected = _model_findings_one_by_one(c)
    assert check_model_lists(c, locate=False) == expected  # the same findings, in the same order
    if seed == 0:
        assert {f.rule for f in expected} >= {"model_category", "model_list_mismatch",
                                              "model_list_longer"}
