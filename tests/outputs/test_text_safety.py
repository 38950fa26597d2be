"""Text is data (issue 14, items 5 and 8): what a return, dvk.toml, a path or
a reason typed on the command line holds reaches the terminal, the Markdown
report, the Word report and the workbook as written, never as rich markup,
Markdown, XML, terminal escapes or control characters; and never crashes.

Every test runs the command line on files it writes, then reads what dvk
printed and the files it wrote.
"""

from __future__ import annotations

import json
import re

import docx
import openpyxl
import pytest
from helpers import (
    consistent_values,
    invoke,
    return_grid,
    said,
    write_config,
    write_xls,
    write_xlsx,
)

from dvk_cli.outputs.report import md_finalize, md_text

# What no output may hold: escape sequences, C0/C1 controls, bidi overrides.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

MARKUP_UNIT = "[bold]Xã A[/]"
MARKDOWN_UNIT = "Xã B & <C> | *đậm* _nghiêng_ [liên kết](http://x.vn) `mã`"
EMOJI_UNIT = ":thumbs_up: Xã D"
BRACKET_FILE = "[DV] Bù Đốp [bản cuối].xlsx"
UNITS = [
    ("XAA", MARKUP_UNIT, []),
    ("XAB", MARKDOWN_UNIT, []),
    ("XAD", EMOJI_UNIT, []),
    ("DONGXOAI", "Thành phố Đồng Xoài (cũ)", ["TP. Đồng Xoài"]),
]


@pytest.fixture
def hostile(folder, monkeypatch):
    """The working folder with the units above: XAA's return in a file named
    with brackets, XAD's return, an unknown unit "[/red] năm"; XAB and
    DONGXOAI do not report."""
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping inside table cells
    write_config(folder, UNITS)
    returns = folder / "returns"
    models = [{"name": "Mô hình [tiêu biểu] *sáng tạo*", "exemplary": True}]
    write_xlsx(return_grid(consistent_values(), unit=MARKUP_UNIT, code="XAA", models=models),
               returns / BRACKET_FILE)
    write_xlsx(return_grid(consistent_values(), unit=EMOJI_UNIT, code="XAD"), returns / "d.xlsx")
    write_xlsx(return_grid(consistent_values(), unit="[/red] năm", code=None), returns / "lạ.xlsx")
    return folder


def _no_traceback(result, codes=(0, 1)) -> None:
    """The command ended by its own exit code, not by an exception."""
    assert result.exit_code in codes, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def test_validate_prints_names_files_and_cells_with_their_brackets(hostile):
    result = invoke("validate", "returns", "--period", "2024")
    _no_traceback(result, (1,))
    out = said(result)
    assert f"returns/{BRACKET_FILE}" in out  # rich must not eat "[bản cuối]"
    assert MARKUP_UNIT in out
    assert EMOJI_UNIT in out  # no :emoji: codes read in data
    assert "“[/red] năm”" in out
    assert MARKDOWN_UNIT in out  # listed as not reported
    assert "[bold]" not in result.output.replace(MARKUP_UNIT, "")  # no markup leaked as such


def test_aggregate_and_json_keep_the_texts(hostile):
    result = invoke("aggregate", "returns", "--period", "2024", "--docx")
    _no_traceback(result, (1,))
    out = said(result)
    assert "Chưa nộp báo cáo (2): " + MARKDOWN_UNIT + ", Thành phố Đồng Xoài (cũ)" in out
    assert "“[/red] năm”" in out
    for name in ("tong-hop-2024.xlsx", "bao-cao-2024.md", "bao-cao-2024.docx"):
        assert f"Đã ghi {name}" in out
    data = invoke("validate", "returns", "--period", "2024", "--json")
    _no_traceback(data, (1,))
    parsed = json.loads(data.output)
    assert parsed["units"]["XAA"] == {**parsed["units"]["XAA"], "name": MARKUP_UNIT,
                                      "file": f"returns/{BRACKET_FILE}"}


def test_a_path_with_markup_is_said_as_typed(hostile):
    missing = invoke("validate", "returns[/x]", "--period", "2024")
    _no_traceback(missing, (2,))
    assert "“returns[/x]”" in said(missing)
    # the same text as a real folder: "returns[" holding "x]"
    real = hostile / "returns[" / "x]"
    real.mkdir(parents=True)
    write_xlsx(return_grid(consistent_values(), unit="Thành phố Đồng Xoài (cũ)", code="DONGXOAI"),
               real / "dx.xlsx")
    result = invoke("validate", "returns[/x]", "--period", "2024")
    _no_traceback(result, (0, 1))
    assert "returns[/x]/dx.xlsx" in said(result)


def test_a_lock_reason_with_markup_never_breaks_history(hostile):
    _no_traceback(invoke("aggregate", "returns", "--period", "2024"), (1,))
    locked = invoke("lock", "2024", "--force", "--why", "[/]")
    _no_traceback(locked, (0,))
    assert "[/red] năm" in said(locked)  # the open finding listed, as written
    for _ in range(2):  # every later dvk history
        history = invoke("history")
        _no_traceback(history, (0,))
        assert re.search(r"Khóa kỳ 2024 lúc .*: \[/\]", said(history)), said(history)
        assert f"returns/{BRACKET_FILE}" in said(history) and MARKUP_UNIT in said(history)
    unlocked = invoke("unlock", "2024", "--why", "[bold]sửa số[/bold] \x1b[2J")
    _no_traceback(unlocked, (0,))
    assert "lý do: [bold]sửa số[/bold]" in said(unlocked)
    assert "\x1b" not in unlocked.output
    history = invoke("history")
    assert "Mở khóa kỳ 2024" in said(history) and "[bold]sửa số[/bold]" in said(history)
    assert "\x1b" not in history.output


# ------------------------------------------------------------ control characters

HOSTILE_UNIT = "Xã \x1b[31mĐỏ\r\x08\u202e lạ\x1b]0;tiêu đề\x07\x00\x01"
HOSTILE_MODEL = "Mô hình\x1b[2J\n# Tiêu đề giả\u202e\x0c hay"


@pytest.fixture
def controls(folder, monkeypatch):
    """Returns (.xls: the format keeps any character) whose texts carry
    escapes and control characters: an unknown unit's name, a model's name."""
    monkeypatch.setenv("COLUMNS", "400")
    returns = folder / "returns"
    models = [{"name": HOSTILE_MODEL, "exemplary": True, "implementer": "Ông A\x1b[5m"}]
    write_xls(return_grid(consistent_values(), unit="Huyện Bù Đăng", code="BUDANG",
                          models=models), returns / "a.xls")
    write_xls(return_grid(consistent_values(), unit=HOSTILE_UNIT, code=None), returns / "b.xls")
    return folder


def test_control_characters_reach_no_output(controls):
    result = invoke("aggregate", "returns", "--period", "2024", "--docx")
    _no_traceback(result, (1,))
    assert not FORBIDDEN.search(result.output), repr(result.output)
    assert "“Xã Đỏ lạ”" in said(result)  # the name, without what a terminal would act on

    md = (controls / "bao-cao-2024.md").read_text(encoding="utf-8")
    assert not FORBIDDEN.search(md)
    assert "“Mô hình # Tiêu đề giả hay” (Huyện Bù Đăng)" in md  # one line, no heading
    assert not any(line.startswith("# Tiêu đề giả") for line in md.splitlines())
    assert "“Xã Đỏ lạ”" in md

    document = docx.Document(str(controls / "bao-cao-2024.docx"))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert not any(FORBIDDEN.search(t) for t in texts)
    assert any("“Mô hình # Tiêu đề giả hay”" in t for t in texts)

    wb = openpyxl.load_workbook(controls / "tong-hop-2024.xlsx")  # written and readable
    assert "Kiểm tra" in wb.sheetnames


def test_a_control_character_in_a_unit_name_of_a_return_is_cleaned_at_the_source(folder):
    write_xls(return_grid(consistent_values(), unit="Huyện Bù\x01 Đăng\x1b[0m", code=None),
              folder / "returns" / "a.xls")
    result = invoke("aggregate", "returns", "--period", "2024", "--json")
    _no_traceback(result, (0, 1))
    assert "\\u0001" not in result.output and "\\u001b" not in result.output
    assert list(json.loads(result.output)["units"]) == ["BUDANG"]  # recognised by its name


def test_a_line_break_in_a_dvk_toml_name_injects_no_heading(folder):
    (folder / "dvk.toml").write_text(
        '[organization]\nname = "Ban Dân vận"\n\n[[units]]\ncode = "XA"\n'
        'name = "Xã A\\n# Tiêu đề giả"\n', encoding="utf-8")
    write_xlsx(return_grid(consistent_values(), unit="Xã A", code="XA"), folder / "returns" / "a.xlsx")
    result = invoke("aggregate", "returns", "--period", "2024")
    _no_traceback(result, (0, 1, 2))
    if result.exit_code == 2:  # refused, with a message that shows the name harmlessly
        assert "Lỗi:" in result.output and "\\n# Tiêu đề giả" in said(result)
        return
    md = (folder / "bao-cao-2024.md").read_text(encoding="utf-8")
    assert not any(line.startswith("# Tiêu đề giả") for line in md.splitlines())


# ------------------------------------------------------------------- Markdown

def test_markdown_report_shows_names_as_written(hostile):
    _no_traceback(invoke("aggregate", "returns", "--period", "2024", "--no-store"), (1,))
    md = (hostile / "bao-cao-2024.md").read_text(encoding="utf-8")
    escaped = md_text(MARKDOWN_UNIT)
    assert escaped == ("Xã B & \\<C\\> \\| \\*đậm\\* \\_nghiêng\\_ \\[liên kết\\](http://x.vn) "
                       "\\`mã\\`")
    assert escaped in md  # among the units that did not report
    assert "](http" not in md.replace("\\](http", "")  # no link made of a name
    assert "<C>" not in md and "*đậm*" not in md.replace("\\*đậm\\*", "")
    assert "“Mô hình \\[tiêu biểu\\] \\*sáng tạo\\*” (\\[bold\\]Xã A\\[/\\])" in md
    assert "Thành phố Đồng Xoài (cũ)" in md  # a normal name is left as written
    assert "**[CẦN BỔ SUNG]**" in md  # the template's own Markdown is kept


def test_a_custom_template_prints_every_value_as_data(hostile):
    write_config(hostile, [*UNITS, ("XAE", "# Xã E", []), ("XAF", "1. Xã F", []),
                           ("XAG", "- Xã G", [])])
    tpl = hostile / "mau.md.j2"
    tpl.write_text("{% for u in missing %}{{ u }}\n{% endfor %}"
                   "{{ '**' }}đậm{{ '**' }}\n", encoding="utf-8")
    result = invoke("report", "returns", "--period", "2024", "--format", "md", "--template", tpl,
                    "--no-store")
    _no_traceback(result, (1,))
    lines = (hostile / "bao-cao-2024.md").read_text(encoding="utf-8").splitlines()
    assert lines == [md_text(MARKDOWN_UNIT), "Thành phố Đồng Xoài (cũ)", "\\# Xã E", "1\\. Xã F",
                     "\\- Xã G", "\\*\\*đậm\\*\\*"]


@pytest.mark.parametrize("value, shown", [
    ("Huyện Bù Đăng (cũ) – 1, 2.", "Huyện Bù Đăng (cũ) – 1, 2."),
    ("1.215 [CẦN KIỂM TRA 1]", "1.215 [CẦN KIỂM TRA 1]"),  # dvk's own tag kept
    ("[CẦN KIỂM TRA: Xã [A] – *x*]", "[CẦN KIỂM TRA: Xã \\[A\\] – \\*x\\*]"),
    ("[CẦN KIỂM TRA 1](http://x.vn)", "[CẦN KIỂM TRA 1\\](http://x.vn)"),  # no link
    ("Số đoàn (TCD_DOAN)", "Số đoàn (TCD_DOAN)"),  # "_" inside a word is no emphasis
    ("## Xã", "\\## Xã"), ("+ Xã", "\\+ Xã"), ("2024) Xã", "2024\\) Xã"), ("===", "\\==="),
    ("a &amp; b", "a \\&amp; b"), ("C:\\thư mục\\", "C:\\thư mục\\\\"),
    ("Xã A\n# Tiêu đề", "Xã A # Tiêu đề"), ("<script>", "\\<script\\>"),
])
def test_md_text(value, shown):
    assert md_text(value) == shown


def test_md_finalize_leaves_numbers_alone():
    assert md_finalize(1215) == 1215 and md_finalize(1.5) == 1.5 and md_finalize(None) is None


# ----------------------------------------------------------------------- Word

def test_word_report_keeps_ampersands_and_angle_brackets(folder):
    write_config(folder, [("XA", "Xã A & <B>", []), ("XC", "Xã C \x1b[1m", [])],
                 name="Ban Dân vận & <Thử>")
    write_xlsx(return_grid(consistent_values(), unit="Xã A & <B>", code="XA",
                           models=[{"name": "Mô hình <1> & 2", "exemplary": True}]),
               folder / "returns" / "a.xlsx")
    result = invoke("report", "returns", "--period", "2024", "--no-store")
    _no_traceback(result, (0, 1, 2))
    if result.exit_code == 2:  # dvk.toml's "\x1b" refused: the rest without it
        write_config(folder, [("XA", "Xã A & <B>", [])], name="Ban Dân vận & <Thử>")
        result = invoke("report", "returns", "--period", "2024", "--no-store")
        _no_traceback(result, (0, 1))
    document = docx.Document(str(folder / "bao-cao-2024.docx"))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for row in t.rows for c in row.cells])
    assert "“Mô hình <1> & 2” (Xã A & <B>)" in text
    assert "Ban Dân vận & <Thử>" in text
    assert "&amp;" not in text and "&lt;" not in text
    assert not FORBIDDEN.search(text)


# ------------------------------------------------------------------ file names

def test_a_file_name_that_is_not_utf8_is_shown_and_written_without_crash(folder, monkeypatch):
    """Linux hands such a name to Python with lone surrogates ("\\udcff"),
    which no output can encode: dvk shows each byte as one character (U+FFFD,
    or the byte read in a legacy code page), brackets kept, and writes every
    output."""
    import os

    monkeypatch.setenv("COLUMNS", "400")
    name = os.fsdecode(b"\xff\xfe [b\xe1o c\xe1o].xlsx")
    try:
        write_xlsx(return_grid(consistent_values(), unit="Huyện Bù Đăng", code="BUDANG"),
                   folder / "returns" / name)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    shown = invoke("validate", "returns", "--period", "2024", "--no-store")
    _no_traceback(shown, (0, 1))
    as_shown = re.compile(r"returns/.. \[b.o c.o\]\.xlsx")  # one character a byte
    assert as_shown.search(said(shown)), said(shown)
    result = invoke("aggregate", "returns", "--period", "2024", "--no-store", "--docx")
    _no_traceback(result, (0, 1))
    for written in ("tong-hop-2024.xlsx", "bao-cao-2024.md", "bao-cao-2024.docx"):
        assert (folder / written).is_file()
    openpyxl.load_workbook(folder / "tong-hop-2024.xlsx")
    data = invoke("validate", "returns", "--period", "2024", "--no-store", "--json")
    _no_traceback(data, (0, 1))
    assert as_shown.fullmatch(json.loads(data.output)["units"]["BUDANG"]["file"])


# -------------------------------------------------------------------- console

def test_the_console_is_a_safety_net_behind_the_escaping():
    """A text some future call site forgets to escape still prints (as plain
    text, without escape sequences) instead of raising rich's MarkupError."""
    import io

    from dvk_cli.cli.common import console, shown

    out = console()
    out.file = io.StringIO()
    out.print("Lý do: [/] \x1b[2J\x1b]0;x\x07 :thumbs_up:")
    out.print(f"[green]Đã ghi[/] {shown('tệp [bản cuối]' + chr(10) + '# x')}")
    assert out.file.getvalue() == "Lý do: [/]  :thumbs_up:\nĐã ghi tệp [bản cuối] # x\n"
