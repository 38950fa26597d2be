"""Hostile corpus, item 12: a dvk.toml (or a mapping file it names) that is
wrong — a typo in a section name, a wrong type, two units a name cannot tell
apart, a control character in a name, a path out of the working folder, a
cell beyond an Excel sheet — stops dvk with exit code 2 and a Vietnamese
message naming the file and the line, never silently ignored and never a
traceback. A dvk.toml saved by Notepad (with a BOM) is simply read.

Each case appends its lines to the dvk.toml of a valid province and runs dvk
as its own process (hostile_harness)."""

from __future__ import annotations

import pytest
from hostile_harness import assert_contained, province, run_dvk

VALIDATE = ("validate", "2026", "--period", "2026", "--json")


def _append(folder, block: str) -> int:
    """Append `block` to folder/dvk.toml; the line its first line lands on."""
    path = folder / "dvk.toml"
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + block, encoding="utf-8")
    return len(text.splitlines()) + 1


# (block appended, offset of the culprit's line in the block, texts the message must hold)
CASES = [
    pytest.param('[[unit]]\ncode = "XA"\nname = "Xã A"\n', 0,
                 ["mục [[unit]] không có trong cấu hình của dvk — có phải [[units]]?"],
                 id="[[unit]] typo"),
    pytest.param('[organisation]\nname = "Ban khác"\n', 0,
                 ["mục [organisation]", "có phải [organization]?"], id="[organisation]"),
    pytest.param('[[units]]\ncode = "XA"\nnmae = "Xã A"\n', 2,
                 ["[[units]] không có khóa nmae", "có phải name?"], id="misspelt key"),
    pytest.param('[[units]]\ncode = "XA"\nname = 123\n', 2,
                 ["[[units]] name phải là một chuỗi", "số nguyên"], id="name = 123"),
    pytest.param('[[units]]\ncode = "XA"\nname = "Xã A"\naliases = "A"\n', 3,
                 ["aliases phải là danh sách chuỗi"], id="aliases not a list"),
    pytest.param('[[units]]\ncode = "XA"\nname = "Xã A"\naliases = ["A", 1]\n', 3,
                 ["aliases phải là danh sách chuỗi", "phần tử thứ 2"], id="alias not a string"),
    pytest.param('[[units]]\ncode = "XA"\n[units.name]\nvi = "Xã A"\n', 2,
                 ["[[units]] name phải là một chuỗi", "bảng"], id="table for a string"),
    pytest.param('[[units]]\ncode = "XA"\nname = "Xã A"\naliases = ["dongxoai"]\n', 3,
                 ["đơn vị XA “Xã A” và đơn vị DONGXOAI", "mã “DONGXOAI”"],
                 id="alias = another unit's code"),
    pytest.param('[[units]]\ncode = "DX2"\nname = "TP Đồng Xoài"\n', 2,
                 ["đơn vị DX2 “TP Đồng Xoài” và đơn vị DONGXOAI “Thành phố Đồng Xoài”"],
                 id="two units, one name"),
    pytest.param('[[units]]\ncode = "XA"\nname = "Xã A\\n# Tiêu đề chèn vào báo cáo"\n', 2,
                 ["có ký tự điều khiển", "Xã A\\n# Tiêu đề"], id="newline in a name"),
    pytest.param('[[units]]\ncode = "XA"\nname = "Xã A\\u001b[2J\\u001b]0;pwned\\u0007"\n', 2,
                 ["có ký tự điều khiển", "\\x1b[2J"], id="ESC in a name"),
    pytest.param('[[mappings]]\nfiles = "*.xlsx"\nmapping = "../../../../../etc/passwd"\n', 2,
                 ["trỏ ra ngoài thư mục làm việc", "../../../../../etc/passwd"],
                 id="mapping path out of the folder"),
    pytest.param('[[units]]\ncode = "XA"\nname = "Xã A"\nmapping = "/etc/passwd"\n', 3,
                 ["trỏ ra ngoài thư mục làm việc", "/etc/passwd"], id="absolute mapping path"),
    pytest.param('[limits]\nmax_cells = "nhiều"\n', 1, ["max_cells phải là một số nguyên"],
                 id="limit as text"),
    pytest.param('[[units]]\ncode = "XA"\nname = Xã A\n', 2,
                 ["cú pháp TOML không hợp lệ", "dấu ngoặc kép"], id="unquoted text"),
]


@pytest.mark.parametrize("block, offset, needles", CASES)
def test_a_wrong_dvk_toml_stops_with_the_file_and_line(tmp_path, block, offset, needles):
    p = province(tmp_path, units=3)
    line = _append(p.folder, block) + offset
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, rc={2}, names=[f"dvk.toml dòng {line}:", *needles])
    assert "\x1b[2J" not in out.stderr and "\x1b]0;" not in out.stderr


def test_a_dvk_toml_saved_by_notepad_with_a_bom_is_read(tmp_path):
    p = province(tmp_path, units=3)
    config = p.folder / "dvk.toml"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, p, rc={0, 1})
    assert out.json()["missing"] == []  # the registry was read: every unit expected and found


def test_a_dvk_toml_in_utf16_is_named(tmp_path):
    p = province(tmp_path, units=3)
    config = p.folder / "dvk.toml"
    config.write_text(config.read_text(encoding="utf-8"), encoding="utf-16")
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, rc={2}, names=["dvk.toml", "UTF-16"])


def test_brackets_nested_past_pythons_stack_are_a_config_error(tmp_path):
    p = province(tmp_path, units=3)
    _append(p.folder, "[report]\nunit_table = " + "[" * 200_000 + "]" * 200_000 + "\n")
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, rc={2}, names=["dvk.toml", "lồng nhau quá sâu"])


@pytest.mark.parametrize("cells, key", [
    ('MH_TONG = "XFE1"', "XFE1"),
    ('MH_TONG = "A1048577"', "A1048577"),
    ('MH_TONG = "ZZZZ1"', "ZZZZ1"),
    ('MH_TONG = "A0"', "A0"),
], ids=["column past XFD", "row past 1048576", "four letters", "row 0"])
def test_a_mapping_cell_beyond_an_excel_sheet_is_named(tmp_path, cells, key):
    p = province(tmp_path, units=3)
    (p.folder / "anh-xa").mkdir()
    (p.folder / "anh-xa" / "bieu.toml").write_text(f'sheet = "Biểu số liệu"\n[cells]\n{cells}\n',
                                                  encoding="utf-8")
    _append(p.folder, '[[mappings]]\nfiles = "*.xlsx"\nmapping = "anh-xa/bieu.toml"\n')
    out = run_dvk(*VALIDATE, cwd=p.folder)
    assert_contained(out, rc={2}, names=["bieu.toml dòng 3:", "MH_TONG", key])
