"""The hostile corpus's harness on the valid province alone: what every item compares with."""

from hostile_harness import assert_contained, province, run_dvk


def test_valid_province_alone_gives_its_own_totals_within_the_memory_bound(tmp_path):
    p = province(tmp_path)
    out = run_dvk("validate", "2026", "--period", "2026", "--json", cwd=p.folder)
    assert_contained(out, p, rc={0})
    assert out.peak_mb > 20  # the measure is real: a Python with pandas loaded
