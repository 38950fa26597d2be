"""dvk.toml checked against its schema (issue 14, item 12): unknown sections
and keys with the nearest name, wrong types, units a name cannot tell apart,
control characters, paths out of the working folder, mapping cells beyond an
Excel sheet — each a ConfigError (exit code 2) naming the file and the line."""

from __future__ import annotations

import re

import pytest
from helpers import SAMPLE, said, write_config, write_xlsx

from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.config import ConfigError, load_config
from dvk_cli.core.config_schema import SECTIONS, line_of, lines_of, shown
from dvk_cli.reading.mapping import MappingError, load_mapping, parse_ref

BASE = '[organization]\nname = "Ban Dân vận Tỉnh ủy Thử"\n\n[[units]]\ncode = "BUDOP"\n' \
       'name = "Huyện Bù Đốp"\naliases = ["H. Bù Đốp"]\n'  # 7 lines


def _invoke(*args) -> str:
    """The CLI in-process on a wide console (a long temporary path is not
    folded inside a word); what it printed, as one line, and its exit code."""
    from typer.testing import CliRunner

    from dvk_cli.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "1000"})
    assert "Traceback" not in result.output
    return f"{result.exit_code} {said(result)}"


def _load(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "dvk.toml"
    path.write_text(text, encoding=encoding)
    return load_config(path)


def _error(tmp_path, text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text)
    message = str(exc.value)
    assert message.startswith(str(tmp_path / "dvk.toml"))
    return message


# ------------------------------------------------------------ the valid ones

def test_a_bom_from_notepad_is_accepted(tmp_path):
    config = _load(tmp_path, BASE, encoding="utf-8-sig")
    assert (tmp_path / "dvk.toml").read_bytes().startswith(b"\xef\xbb\xbf")
    assert config.organization.name == "Ban Dân vận Tỉnh ủy Thử"
    assert [u.code for u in config.registry] == ["BUDOP"]


def test_the_sample_and_every_section_dvk_init_documents_validate(tmp_path):
    from dvk_cli.outputs.forms import CONFIG_TEMPLATE

    assert len(load_config(SAMPLE / "dvk.toml").registry.units) == 11
    # dvk init's dvk.toml with every commented example uncommented
    text = CONFIG_TEMPLATE.format(name='"Ban Dân vận"')
    lines = []
    for line in text.splitlines():
        code = line[2:] if line.startswith("# ") else line
        example = re.match(r"\[\[?[a-z]+\]\]?$|[a-z_]+ = ", code)
        lines.append(code if line.startswith("# ") and example else line)
    (tmp_path / "dvk.toml").write_text("\n".join(lines), encoding="utf-8")
    raw = load_config(tmp_path / "dvk.toml").raw
    documented = {k for k in raw if not k.startswith("#")}
    assert documented == {"organization", "units", "mappings", "catalog", "indicators", "rules",
                          "outliers", "checks", "limits", "reading", "report"} == set(SECTIONS)


def test_a_valid_config_keeps_what_it_says(tmp_path):
    config = _load(tmp_path, BASE + '\n[[units]]\ncode = "mttq"\nname = "Mặt trận tỉnh"\n'
                   'group = "Mặt trận – đoàn thể"\n\n[report]\ndate = 2024-12-15\n')
    assert config.registry.get("MTTQ").group == "Mặt trận – đoàn thể"
    assert config.raw["report"]["date"].isoformat() == "2024-12-15"


# ------------------------------------------------------- unknown names, types

@pytest.mark.parametrize("text, line, needles", [
    ('\n[[unit]]\ncode = "X"\nname = "Y"\n', 9,
     ["mục [[unit]] không có trong cấu hình của dvk — có phải [[units]]?"]),
    ('\n[organisation]\nname = "X"\n', 9, ["mục [organisation]", "có phải [organization]?"]),
    ('\n[Reports]\n', 9, ["có phải [report]?"]),
    ('\n[abc]\nx = 1\n', 9, ["mục [abc]", "các mục dùng được: [organization], [[units]]"]),
    ('aliasess = ["x"]\n', 8, ["[[units]] không có khóa aliasess (khóa lạ) — có phải aliases?"]),
    ('\n[report]\nsignature = "x"\n', 10, ["[report] không có khóa signature (khóa lạ) — các khóa dùng được: superior"]),
    ('\n[[rules]]\nid = "MH_LOAI"\nseverty = "error"\n', 11, ["khóa lạ", "có phải severity?"]),
], ids=["[[unit]]", "[organisation]", "[Reports]", "unknown section", "misspelt unit key",
        "misspelt report key", "misspelt rule key"])
def test_unknown_names_are_refused_with_the_nearest_one(tmp_path, text, line, needles):
    message = _error(tmp_path, BASE + text)
    assert f"dvk.toml dòng {line}: " in message
    for needle in needles:
        assert needle in message


def test_a_key_above_every_section_points_to_its_section(tmp_path):
    message = _error(tmp_path, 'area = "toàn tỉnh"\n' + BASE)
    assert "dòng 1: khóa area" in message and "[organization]" in message


@pytest.mark.parametrize("text, line, needles", [
    ('[organization]\nname = 123\n', 2, ["[organization] name phải là một chuỗi", "số nguyên"]),
    ('[[units]]\ncode = "A"\nname = "B"\naliases = "C"\n', 4,
     ["aliases phải là danh sách chuỗi", "đang là chuỗi"]),
    ('[[units]]\ncode = "A"\nname = "B"\naliases = [\n  "C",\n  2,\n]\n', 4,
     ["aliases phải là danh sách chuỗi", "phần tử thứ 2 là số nguyên"]),
    ('[[units]]\ncode = "A"\n[units.name]\nfull = "B"\n', 3, ["name phải là một chuỗi", "bảng"]),
    ('[[units]]\ncode = "A"\nname = { text = "B" }\n', 3, ["name phải là một chuỗi", "bảng"]),
    ('[[units]]\ncode = 7\nname = "B"\n', 2, ["[[units]] code phải là một chuỗi"]),
    ('[[units]]\ncode = "A"\nname = "X"\n\n[[units]]\ncode = "B"\n', 5,
     ["[[units]] thiếu name (code và name là bắt buộc)"]),
    ('[units]\ncode = "A"\nname = "B"\n', 1, ["[[units]] viết bằng hai dấu ngoặc vuông"]),
    ('[[organization]]\nname = "B"\n', 1, ["[organization] chỉ có một"]),
    ('report = 3\n', 1, ["[report] không hợp lệ", "đang là số nguyên"]),
    ('[outliers]\nenabled = "có"\n', 2, ["[outliers] enabled phải là true hoặc false"]),
    ('[limits]\nmax_cells = 1.5\n', 2, ["max_cells phải là một số nguyên"]),
    ('[catalog]\nmax = 5\n', 2, ["[catalog] max phải là một bảng"]),
], ids=["name 123", "aliases text", "alias not text", "table for name", "inline table for name",
        "code as number", "unit without name", "[units] single", "[[organization]]",
        "report as number", "bool as text", "int as float", "catalog max not a table"])
def test_wrong_types_name_the_key_and_its_line(tmp_path, text, line, needles):
    message = _error(tmp_path, text)
    assert f"dvk.toml dòng {line}: " in message
    for needle in needles:
        assert needle in message


@pytest.mark.parametrize("escaped, visible", [
    ("Huyện Bù Đốp\\n# Tiêu đề giả", "Huyện Bù Đốp\\n# Tiêu đề giả"),
    ("Huyện \\u001b[2JBù Đốp", "Huyện \\x1b[2JBù Đốp"),
    ("Huyện\\tBù Đốp", "Huyện\\tBù Đốp"),
    ("Huyện \\u202eBù Đốp", "Huyện \\u202eBù Đốp"),
], ids=["newline", "ESC", "tab", "bidi override"])
def test_control_characters_in_names_are_refused(tmp_path, escaped, visible):
    message = _error(tmp_path, f'[[units]]\ncode = "BUDOP"\n\nname = "{escaped}"\n')
    assert "dòng 4: [[units]] name có ký tự điều khiển" in message
    assert visible in message  # shown, not obeyed
    assert "\n" not in message and "\x1b" not in message and "\u202e" not in message


def test_control_characters_anywhere_are_refused(tmp_path):
    message = _error(tmp_path, BASE + 'group = "a"\n\n[report]\nrecipients = ["Lưu", "x\\ny"]\n')
    assert "dòng 11: [report] recipients có ký tự điều khiển" in message


# ------------------------------------------------------------ unit collisions

@pytest.mark.parametrize("extra, line, needles", [
    ('aliases = ["BUDOP"]\n', 12, ["mã “BUDOP” của BUDOP", "tên gọi khác (aliases) “BUDOP”"]),
    ('aliases = ["Huyện Bù Đốp"]\n', 12, ["tên “Huyện Bù Đốp” của BUDOP", "giống nhau"]),
    ('aliases = ["bù  đốp"]\n', 12, ["giống nhau"]),
    ('aliases = ["Bu Dop"]\n', 12, ["chỉ khác nhau ở dấu"]),
], ids=["alias = other's code", "alias = other's name", "alias = other's name folded",
        "alias = other's name without diacritics"])
def test_an_alias_that_names_another_unit_is_refused(tmp_path, extra, line, needles):
    message = _error(tmp_path, BASE + '\n[[units]]\ncode = "LOCNINH"\nname = "Huyện Lộc Ninh"\n'
                     + extra)
    assert f"dòng {line}: đơn vị LOCNINH “Huyện Lộc Ninh” và đơn vị BUDOP “Huyện Bù Đốp” " \
           "trùng tên gọi" in message
    for needle in needles:
        assert needle in message


def test_two_units_with_one_name_are_refused_naming_both(tmp_path):
    nfd = "Huye\u0302\u0323n Bu\u0300 \u0110o\u0302\u0301p"  # NFD, as a Mac may write it
    message = _error(tmp_path, BASE + f'\n[[units]]\ncode = "BUDOP2"\nname = "{nfd}"\n')
    assert "dòng 11: đơn vị BUDOP2" in message and "đơn vị BUDOP “Huyện Bù Đốp”" in message
    assert "[[units]] thứ 1 và thứ 2" in message
    message = _error(tmp_path, BASE + '\n[[units]]\ncode = "X"\nname = "Bù Đốp"\n')
    assert "đơn vị X “Bù Đốp” và đơn vị BUDOP" in message


def test_a_units_own_alias_may_repeat_its_name_and_codes_stay_unique(tmp_path):
    config = _load(tmp_path, BASE.replace('["H. Bù Đốp"]', '["H. Bù Đốp", "BUDOP", "Bù Đốp"]'))
    assert config.registry.match("Bù Đốp").unit.code == "BUDOP"
    message = _error(tmp_path, BASE + '\n[[units]]\ncode = "budop"\nname = "Khác"\n')
    assert "dòng 10: mã đơn vị BUDOP khai báo hai lần" in message
    assert "thứ 1 “Huyện Bù Đốp” và thứ 2 “Khác”" in message


# -------------------------------------------------------- files, syntax, paths

def test_syntax_errors_name_the_line_in_vietnamese(tmp_path):
    message = _error(tmp_path, BASE + 'group = Địa phương\n')
    assert "dòng 8: cú pháp TOML không hợp lệ" in message and "dấu ngoặc kép" in message


def test_utf16_and_latin1_files_are_named(tmp_path):
    (tmp_path / "dvk.toml").write_text(BASE, encoding="utf-16")
    with pytest.raises(ConfigError, match="UTF-16"):
        load_config(tmp_path / "dvk.toml")
    (tmp_path / "dvk.toml").write_bytes(BASE.encode("utf-8") + b'group = "\xd0a"\n')
    with pytest.raises(ConfigError, match="dòng 8: tệp cấu hình phải lưu bằng mã UTF-8"):
        load_config(tmp_path / "dvk.toml")


@pytest.mark.parametrize("mapping", ["../../etc/x", "/etc/passwd", "anh-xa/../../x.toml",
                                     "link/x.toml"])
def test_a_mapping_path_out_of_the_working_folder_is_refused(tmp_path, mapping):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)
    for text, line in ((f'[[mappings]]\nfiles = "*.xlsx"\nmapping = "{mapping}"\n', 3),
                       (BASE + f'mapping = "{mapping}"\n', 8)):
        message = _error(folder, text)
        assert f"dòng {line}: " in message and "trỏ ra ngoài thư mục làm việc" in message
        assert mapping in message


def test_a_mapping_path_inside_the_folder_is_accepted(tmp_path):
    config = _load(tmp_path, '[[mappings]]\nfiles = "*.xlsx"\nmapping = "anh-xa/./x.toml"\n')
    assert config.raw["mappings"][0]["mapping"] == "anh-xa/./x.toml"


def test_where_gives_a_key_line_for_other_modules_messages(tmp_path):
    config = _load(tmp_path, BASE + '\n[limits]\n# giới hạn\nmax_cells = 5\n')
    assert config.where("limits", "max_cells") == f"{tmp_path / 'dvk.toml'} dòng 11"
    assert config.where("units", 0, "aliases") == f"{tmp_path / 'dvk.toml'} dòng 7"


# ------------------------------------------------------------- line finding

def test_lines_of_follows_strings_arrays_and_tables():
    text = ('# [[units]] in a comment\n[organization]\nname = "a # [b]" # [[units]]\n'
            '[[units]]\ncode = "A"\naliases = [\n  "x ]",\n  "[[units]]",\n]\n'
            'note = """\n[[units]]\nname = 1\n"""\n[[units]]\n"quoted key" = 1\n'
            'dotted.key = 2\n[units.sub]\nk = 3\n')
    found = lines_of(text)
    assert found[("organization", "name")] == 3
    assert found[("units", 0)] == 4 and found[("units", 0, "note")] == 10
    assert found[("units", 1)] == 14 and found[("units", 1, "quoted key")] == 15
    assert found[("units", 1, "dotted", "key")] == 16
    assert found[("units", 1, "sub", "k")] == 18
    assert ("units", 2) not in found
    assert line_of(text, ("units", 0, "aliases", 1)) == 6  # an item: its key's line


def test_shown_makes_control_characters_visible_and_cuts_long_texts():
    assert shown("a\nb\x1bc") == "a\\nb\\x1bc"
    assert shown("x" * 500) == "x" * 60 + "…"
    assert shown("Huyện Bù Đốp") == "Huyện Bù Đốp"


# ---------------------------------------------------------- schema and owners

def test_the_schema_knows_the_keys_the_owning_modules_accept():
    """The schema lists what each section's owner reads: a key the schema lets
    through is one the owner takes, and what it refuses the owner refuses too."""
    from dvk_cli.checks.peers import settings_from
    from dvk_cli.checks.rules import RULE_FIELDS
    from dvk_cli.outputs.issuer import _KEYS
    from dvk_cli.reading.guards import limits_from

    assert set(SECTIONS["report"].keys) == set(_KEYS)
    assert set(SECTIONS["rules"].keys) == set(RULE_FIELDS)
    examples = {"threshold": 3.5, "min_units": 5, "min_factor": 3, "enabled": True,
                "impact_threshold": 0.01, "max_unpacked_mb": 200, "max_cells": 5_000_000,
                "max_memory_mb": 400, "max_seconds": 60}
    for section, check in (("outliers", settings_from), ("checks", settings_from),
                           ("limits", limits_from)):
        keys = set(SECTIONS[section].keys)
        check({section: {k: examples[k] for k in keys}})  # all accepted
        with pytest.raises(ConfigError):
            check({section: {"khong_co": 1}})


# ------------------------------------------------------------ mapping files

@pytest.mark.parametrize("body, key, line", [
    ('[cells]\nMH_TONG = "A0"\n', "A0", 2),
    ('[cells]\nMH_TONG = "ZZZZ1"\n', "ZZZZ1", 2),
    ('[cells]\n\nMH_TONG = "XFE1"\n', "XFE1", 3),
    ('[cells]\nMH_TONG = { cell = "A1048577" }\n', "A1048577", 2),
    ('[rows]\nvalue_column = "E"\nMH_TONG = 2000000\n', "E2000000", 3),
    ('unit_cell = "C0"\n[cells]\nMH_TONG = "E5"\n', "C0", 1),
])
def test_mapping_cells_beyond_an_excel_sheet_are_refused(tmp_path, body, key, line):
    path = tmp_path / "anh-xa.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(MappingError) as exc:
        load_mapping(path, default_catalog())
    message = str(exc.value)
    assert f"{path} dòng {line}: " in message and key in message
    assert "không phải địa chỉ ô" in message or "phải là" in message


def test_mapping_edges_of_the_sheet_and_its_keys(tmp_path):
    assert parse_ref("XFD1048576") == (1_048_575, 16_383)
    for bad in ("XFE1", "A1048577", "A0", "ZZZZ1", "1A"):
        with pytest.raises(ValueError):
            parse_ref(bad)
    path = tmp_path / "m.toml"
    path.write_text('\ufeffsheet = "BC"\n[cells]\nMH_TONG = "XFD1048576"\n', encoding="utf-8")
    assert load_mapping(path, default_catalog()).cells["MH_TONG"] == ("XFD1048576", "")
    path.write_text('sheet = "BC"\nunitcell = "C3"\n[cells]\nMH_TONG = "E5"\n', encoding="utf-8")
    with pytest.raises(MappingError, match="dòng 2: tệp ánh xạ không có khóa unitcell — có phải "
                                           "unit_cell?"):
        load_mapping(path, default_catalog())
    path.write_text('[cells]\nMH_TONG = { cel = "E5" }\n', encoding="utf-8")
    with pytest.raises(MappingError, match="dòng 2: .*có phải cell?"):
        load_mapping(path, default_catalog())


def test_a_mapping_outside_the_folder_is_refused_through_the_cli(tmp_path):
    from helpers import THREE_UNITS, return_grid

    write_config(tmp_path, THREE_UNITS)
    line = len((tmp_path / "dvk.toml").read_text(encoding="utf-8").splitlines()) + 5
    with open(tmp_path / "dvk.toml", "a", encoding="utf-8") as fh:
        fh.write('\n\n[[mappings]]\nfiles = "*.xlsx"\nmapping = "../../../etc/passwd"\n')
    write_xlsx(return_grid({}), tmp_path / "r.xlsx")
    out = _invoke("validate", tmp_path, "--period", "2024")
    assert out.startswith("2 Lỗi: "), out
    assert f"dòng {line}: [[mappings]] mapping = “../../../etc/passwd” trỏ ra ngoài" in out


def test_a_typo_exits_2_through_the_cli_naming_line_and_suggestion(folder):
    from helpers import return_grid

    line = len((folder / "dvk.toml").read_text(encoding="utf-8").splitlines()) + 3
    with open(folder / "dvk.toml", "a", encoding="utf-8") as fh:
        fh.write('\n\n[[unit]]\ncode = "X"\nname = "Xã X"\n')
    write_xlsx(return_grid({}), folder / "returns" / "r.xlsx")
    out = _invoke("validate", folder / "returns", "--period", "2024")
    assert out.startswith("2 Lỗi: "), out
    assert f"dvk.toml dòng {line}: mục [[unit]] không có trong cấu hình của dvk — có phải [[units]]?" \
        in out


@pytest.mark.parametrize("first, second", [
    ("Xã An Phú", "Phường An Phú"),
    ("Huyện Lộc Ninh", "Thị trấn Lộc Ninh"),
    ("Thị xã Bình Long", "Phường Bình Long"),
])
def test_two_places_of_different_levels_may_share_a_name(tmp_path, first, second):
    """A commune and a ward (a district and its town) often share a name: both
    load; a name written alone is ambiguous and identification says so."""
    config = _load(tmp_path, f'[[units]]\ncode = "A"\nname = "{first}"\n\n'
                             f'[[units]]\ncode = "B"\nname = "{second}"\n')
    assert [u.code for u in config.registry] == ["A", "B"]
    assert config.registry.match("A").unit.code == "A"
    assert config.registry.match(first.split(" ", 1)[1].split(" ", 1)[-1]).unit is None


def test_the_same_level_written_two_ways_is_one_name(tmp_path):
    message = _error(tmp_path, '[[units]]\ncode = "A"\nname = "TP. Đồng Xoài"\n\n'
                               '[[units]]\ncode = "B"\nname = "Thành phố Đồng Xoài"\n')
    assert "đơn vị B “Thành phố Đồng Xoài” và đơn vị A “TP. Đồng Xoài” trùng tên gọi" in message
