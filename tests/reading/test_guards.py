"""Hostile files: zip bombs and huge sheets are refused before parsing;
formula-like text is written into our workbooks as text."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from helpers import (
    SAMPLE,
    THREE_UNITS,
    consistent_values,
    return_grid,
    write_config,
    write_ods,
    write_xlsx,
)
from typer.testing import CliRunner

from dvk_cli.cli.app import app
from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading.dispatch import read_return
from dvk_cli.reading.guards import MB, Limits, archive_problem, limits_from

CAT = default_catalog()


def _deflated_spaces(megabytes: int) -> tuple[bytes, int]:
    """A raw deflate stream of `megabytes` MB of spaces, built from a few
    compressed blocks repeated (a deflate stream is a sequence of blocks), and
    its CRC-32."""
    chunk = b" " * MB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(chunk) + c.flush(zlib.Z_SYNC_FLUSH)
    middle = c.compress(chunk) + c.flush(zlib.Z_SYNC_FLUSH)
    last = c.compress(chunk) + c.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    return first + middle * (megabytes - 2) + last, crc


def zip_bomb(path: Path, megabytes: int, declared: int | None = None) -> Path:
    """An .xlsx-looking archive whose sheet expands to `megabytes` MB; its
    headers declare `declared` bytes instead when given (a lying header)."""
    data, crc = _deflated_spaces(megabytes)
    size = megabytes * MB if declared is None else declared
    members = [(b"[Content_Types].xml", zlib.compress(b"<Types/>")[2:-4], zlib.crc32(b"<Types/>"), 8),
               (b"xl/worksheets/sheet1.xml", data, crc, size)]
    out, central = bytearray(), bytearray()
    for name, payload, crc32, usize in members:
        offset = len(out)
        fields = (20, 0, 8, 0, 0x21, crc32, len(payload), usize, len(name), 0)
        out += b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + name + payload
        central += (b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, *fields[:-1], 0, 0, 0, 0, 0,
                                                  offset) + name)
    eocd = struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central) + b"PK\x05\x06" + eocd)
    return path


def test_zip_bomb_is_small_on_disk_and_refused(tmp_path):
    bomb = zip_bomb(tmp_path / "bom.xlsx", 260)
    assert bomb.stat().st_size < 1 * MB
    with zipfile.ZipFile(bomb) as z:  # a well-formed archive, honest about its size
        assert sum(i.file_size for i in z.infolist()) > 200 * MB
    data = read_return(bomb, CAT)
    assert not data.readable
    (finding,) = data.findings
    assert finding.rule == "zip_bomb" and finding.severity == "error"
    assert "200 MB" in finding.message and "bom nén" in finding.message


def test_lying_headers_are_caught_while_inflating(tmp_path):
    bomb = zip_bomb(tmp_path / "bom.xlsx", 30, declared=2000)
    raw = bomb.read_bytes()
    with zipfile.ZipFile(bomb) as z:
        assert sum(i.file_size for i in z.infolist()) < 3000  # the directory says it is tiny
    rule, message = archive_problem(raw, Limits(max_unpacked=20 * MB))
    assert rule == "zip_bomb" and "20 MB" in message
    assert archive_problem(raw, Limits(max_unpacked=40 * MB)) is None  # the real size is 30 MB


def test_a_sheet_reaching_the_last_cell_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Đơn vị báo cáo"
    wb.active["XFD1048576"] = 1  # a dense grid would have 17 billion cells
    wb.save(tmp_path / "rong.xlsx")
    data = read_return(tmp_path / "rong.xlsx", CAT)
    assert not data.readable
    (finding,) = data.findings
    assert finding.rule == "too_many_cells"
    assert "17.179.869.184 ô" in finding.message and "5.000.000 ô" in finding.message


def test_limits_from_dvk_toml_reach_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, THREE_UNITS)
    config.write_text(config.read_text(encoding="utf-8") + "\n[limits]\nmax_unpacked_mb = 5\n",
                      encoding="utf-8")
    (tmp_path / "returns").mkdir()
    write_xlsx(return_grid(consistent_values(10)), tmp_path / "returns" / "a.xlsx")
    zip_bomb(tmp_path / "returns" / "b.xlsx", 8)  # fine by default, too big for this folder
    out = CliRunner().invoke(app, ["validate", "returns", "--period", "2024"])
    assert out.exit_code == 1
    assert "b.xlsx" in out.output and "5 MB" in out.output
    assert limits_from({}) == Limits()
    assert limits_from({"limits": {"max_unpacked_mb": 0.5, "max_cells": 10}}) == Limits(MB // 2, 10)


def test_ordinary_returns_pass_the_guard():
    sample = SAMPLE / "2024"
    files = sorted(sample.iterdir())
    assert any(p.suffix == ".ods" for p in files)
    for path in files:
        assert archive_problem(path.read_bytes()) is None, path


# ------------------------------------------------------------------ formula-like text

FORMULA_NAME = '=HYPERLINK("http://example.com","Bấm vào đây")'


@pytest.mark.parametrize("name", [FORMULA_NAME, "+84 912 345 678", "-Ban Dân vận", "@SUM(A1)"])
def test_formula_like_unit_and_model_names_are_written_as_text(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    units = [("XA1", name, []), *THREE_UNITS[:1]]
    config = write_config(tmp_path, units)
    text = config.read_text(encoding="utf-8").replace(name, name.replace('"', '\\"'), 1) \
        if '"' in name else config.read_text(encoding="utf-8")
    config.write_text(text, encoding="utf-8")
    (tmp_path / "returns").mkdir()
    models = [{"name": "=1+1", "exemplary": True}, {"name": "@cmd"}]
    values = consistent_values(2, MH_KT=2, MH_VHXH=0, MH_QPAN=0, MH_XDHT=0, MH_TAPTHE=2,
                               MH_CANHAN=0, MH_TIEUBIEU=1)
    # .ods: text cells stay text in the return itself ("=1+1" typed as a name)
    write_ods(return_grid(values, unit=None, code="XA1", models=models), tmp_path / "returns" / "x.ods")
    out = CliRunner().invoke(app, ["aggregate", "returns", "--period", "2024", "--out", "ra"])
    assert out.exit_code == 0, out.output
    path = tmp_path / "ra" / "tong-hop-2024.xlsx"
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value in (name, "=1+1", "@cmd")]
    assert {c.value for c in cells} == {name, "=1+1", "@cmd"}
    assert all(c.data_type == "s" for c in cells)
    with zipfile.ZipFile(path) as z:  # no formula element anywhere in the sheets
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml


def test_a_file_larger_than_the_limit_is_not_read_into_memory(tmp_path, monkeypatch):
    """A 3 MB file under a 1 MB limit is refused from its size alone."""
    from dvk_cli.reading import guards

    path = tmp_path / "to.xls"
    with open(path, "wb") as fh:
        fh.truncate(3 * MB)  # sparse: costs no disk
    read = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or b"")
    guards.set_limits(Limits(max_unpacked=MB))
    try:
        data = read_return(path, CAT)
    finally:
        guards.set_limits(None)
    assert not read and not data.readable
    (finding,) = data.findings
    assert finding.rule == "file_too_large" and "3 MB" in finding.message and "1 MB" in finding.message


def test_ordinary_returns_pass_the_openpyxl_bound_and_an_xls_passes(tmp_path):
    """--feedback loads these with openpyxl: every part and every cell of an
    ordinary return fits; an .xls written by xlwt passes the OLE2 checks."""
    from helpers import write_xls

    from dvk_cli.reading.guards import openpyxl_limits

    for path in sorted((SAMPLE / "2024").iterdir()):
        assert archive_problem(path.read_bytes(), openpyxl_limits(), every_part=True) is None, path
    xls = write_xls(return_grid(consistent_values(10)), tmp_path / "a.xls")
    assert archive_problem(xls.read_bytes()) is None
    assert read_return(xls, CAT).readable


def test_the_guard_costs_about_a_millisecond_on_an_ordinary_return():
    """Measured in CPU time, best of several runs (the machine may be busy)."""
    import time

    raw = sorted((SAMPLE / "2024").glob("*.xlsx"))[0].read_bytes()
    best = 1.0
    for _ in range(7):
        start = time.process_time()
        for _ in range(20):
            archive_problem(raw)
        best = min(best, (time.process_time() - start) / 20)
    assert best < 0.004, f"{best * 1000:.2f} ms"


@pytest.mark.parametrize("cell", [b"<c r='XFD1048576'><v>1</v></c>", b'<c r = "XFD1048576"><v>1</v></c>',
                                  b'<c r="xfd1048576"><v>1</v></c>', b"<x:c r='XFD1048576'><x:v>1</x:v></x:c>"])
def test_the_last_cell_in_other_spellings_is_refused(tmp_path, cell):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Đơn vị báo cáo"
    wb.save(tmp_path / "a.xlsx")
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zin, \
            zipfile.ZipFile(tmp_path / "rong.xlsx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="1048576">' + cell + b"</row></sheetData>")
            zout.writestr(info, data)
    data = read_return(tmp_path / "rong.xlsx", CAT)
    assert not data.readable
    (finding,) = data.findings
    assert finding.rule == "too_many_cells" and "17.179.869.184 ô" in finding.message
