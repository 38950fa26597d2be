"""Hostile corpus, item 7: a shared report template or a rule message in
dvk.toml is data for dvk, never code it runs or a format that takes the machine.

Each case runs dvk as its own process beside a valid province and checks the
exit code, that no traceback is shown, that the culprit is named, that the
payload did nothing (no marker file) and the memory bound."""

from __future__ import annotations

import zipfile

import pytest
from hostile_harness import assert_contained, province, run_dvk

# Each payload would create MARKER if Jinja evaluated it outside its sandbox.
PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ lipsum.__globals__['os'].system('touch MARKER') }}",
    "{% for x in range(10**9) %}{% endfor %}",
]


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_a_markdown_template_cannot_run_code(tmp_path, payload):
    p = province(tmp_path, units=3)
    (p.folder / "shared.j2").write_text("# Báo cáo\n" + payload + "\n", encoding="utf-8")
    out = run_dvk("report", "2026", "--period", "2026", "--format", "md", "--template",
                  "shared.j2", "--no-store", cwd=p.folder)
    assert_contained(out, rc={2}, names=["shared.j2", "môi trường cách ly"])
    assert not (p.folder / "MARKER").exists()
    assert not list(p.folder.glob("bao-cao-*"))  # no half-rendered report


def test_a_template_looping_a_billion_times_is_refused_quickly(tmp_path):
    """The sandbox caps range(): the loop is refused, not run for an hour."""
    p = province(tmp_path, units=3)
    (p.folder / "loop.j2").write_text(PAYLOADS[3], encoding="utf-8")
    out = run_dvk("report", "2026", "--period", "2026", "--format", "md", "--template",
                  "loop.j2", "--no-store", cwd=p.folder, timeout=60)
    assert_contained(out, rc={2}, names=["loop.j2"])


def test_a_template_that_loops_too_long_is_stopped(tmp_path, monkeypatch):
    """Loops nested in each other pass the sandbox's range() cap; the render
    deadline stops them (shortened here through the module constant)."""
    import dvk_cli.outputs.templating as templating
    from dvk_cli.core.errors import UsageError
    from dvk_cli.outputs.report import render_report

    monkeypatch.setattr(templating, "RENDER_SECONDS", 0.5)
    template = tmp_path / "slow.j2"
    template.write_text("{% for i in range(100000) %}{% for j in range(100000) %}"
                        "{% endfor %}{% endfor %}", encoding="utf-8")
    from realistic import consolidation

    c = consolidation({"DONGXOAI": {"VB_SO": 3}})
    with pytest.raises(UsageError, match="slow.j2.*quá 0.5 giây"):
        render_report(c, template)


def _docx_with(template_text: str, base, target):
    """The default Word template with `template_text` put into its body."""
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                at = text.index("<w:body>") + len("<w:body>")
                text = text[:at] + f"<w:p><w:r><w:t>{template_text}</w:t></w:r></w:p>" + text[at:]
                data = text.encode("utf-8")
            dst.writestr(info, data)


def test_a_word_template_cannot_run_code(tmp_path):
    from dvk_cli.outputs.templating import packaged_template
    from dvk_cli.outputs.word import TEMPLATE_NAME

    p = province(tmp_path, units=3)
    payload = PAYLOADS[0].replace("'", "&apos;")
    _docx_with(payload, packaged_template(TEMPLATE_NAME), p.folder / "shared.docx")
    out = run_dvk("report", "2026", "--period", "2026", "--template", "shared.docx",
                  "--no-store", cwd=p.folder)
    assert_contained(out, rc={2}, names=["shared.docx"])
    assert not (p.folder / "MARKER").exists()


@pytest.mark.parametrize("message", [
    "{left:>300000000}",  # a width that would take 3 GB
    "{left.__class__.__mro__}",  # attribute access
    "{left[0]}",  # indexing
    "{left!r:{right}}",  # conversions and nested fields
])
def test_a_rule_message_takes_plain_names_only(tmp_path, message):
    p = province(tmp_path, units=3)
    with (p.folder / "dvk.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[[rules]]\nid = "vb"\nassert = "VB_SO >= 0"\nmessage = "{message}"\n')
    out = run_dvk("validate", "2026", "--period", "2026", cwd=p.folder)
    assert_contained(out, rc={2}, names=["dvk.toml", "vb", message])
