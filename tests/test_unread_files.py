"""Files a unit sent that dvk does not read (.pdf, .docx, images, archives …)
are named in an info finding, with the unit their name points to, instead of
the unit being silently "chưa nộp"."""

from __future__ import annotations

import io
import json
import re
import shlex
import zipfile

from helpers import ROOT, SAMPLE, consistent_values, invoke, return_grid, said, write_xlsx

from dvk_cli import pipeline


def _docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _unread(data: dict) -> dict[str, dict]:
    return {f["file"].rsplit("/", 1)[-1]: f for f in data["findings"] if f["rule"] == "file_not_read"}


def test_pdf_and_docx_named_with_their_unit(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10)), r / "budang.xlsx")
    (r / "budop.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    (r / "Báo cáo TP Đồng Xoài.docx").write_bytes(_docx_bytes())
    result = invoke("validate", r, "--period", "2024", "--json")
    assert result.exit_code == 0, result.output  # info only: the exit code is unaffected
    data = json.loads(result.stdout)
    found = _unread(data)
    assert set(found) == {"budop.pdf", "Báo cáo TP Đồng Xoài.docx"}
    pdf, docx = found["budop.pdf"], found["Báo cáo TP Đồng Xoài.docx"]
    assert pdf["severity"] == docx["severity"] == "info"
    assert pdf["unit"] == "BUDOP" and docx["unit"] == "DONGXOAI"
    assert "budop.pdf" in pdf["message"] and "tệp PDF" in pdf["message"]
    assert "không phải bảng tính" in pdf["message"] and "Huyện Bù Đốp" in pdf["message"]
    assert "gửi lại bằng .xlsx" in pdf["message"]
    assert "tài liệu Word (.docx)" in docx["message"] and "Thành phố Đồng Xoài" in docx["message"]
    # both units still sent no workbook: they stay missing, the finding says why
    assert {"BUDOP", "DONGXOAI"} <= set(data["missing"])


def test_only_unambiguous_names_get_a_unit_and_own_files_are_skipped(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10)), r / "budang.xlsx")
    (r / "budang.jpg").write_bytes(b"\xff\xd8\xff\xe0rest")  # the unit's photo: has a return
    (r / "ghi-chu.csv").write_text("a;b\n1;2\n", encoding="utf-8")  # names no unit
    (r / "~$budop.docx").write_bytes(b"lock")
    (r / ".budop.pdf").write_bytes(b"%PDF-")
    (r / "bao-cao-2024.docx").write_bytes(_docx_bytes())  # dvk's own output
    (r / "dvk.sqlite").write_bytes(b"SQLite format 3\x00")
    (r / "Thumbs.db").write_bytes(b"\x00")
    (r / "bao-cao-budop.pdf").write_bytes(b"%PDF-")  # not a period: a unit's file
    data = json.loads(invoke("validate", r, "--period", "2024", "--json").stdout)
    found = _unread(data)
    assert set(found) == {"budang.jpg", "ghi-chu.csv", "bao-cao-budop.pdf"}
    assert found["ghi-chu.csv"]["unit"] == "" and "tệp văn bản CSV" in found["ghi-chu.csv"]["message"]
    assert found["budang.jpg"]["unit"] == "BUDANG"
    assert "không được tính" in found["budang.jpg"]["message"]
    assert found["bao-cao-budop.pdf"]["unit"] == "BUDOP"


def test_workbook_under_another_name_is_told_to_rename(folder):
    r = folder / "returns"
    write_xlsx(return_grid(consistent_values(10)), r / "budang.xlsx")
    write_xlsx(return_grid(consistent_values(10), unit="Huyện Bù Đốp"), r / "budop.xlsx.zip")
    data = json.loads(invoke("validate", r, "--period", "2024", "--json").stdout)
    (finding,) = _unread(data).values()
    assert finding["unit"] == "BUDOP"
    assert "đổi tên thành budop.xlsx" in finding["message"]


def test_no_workbook_at_all_names_the_unread_files(folder):
    r = folder / "returns"
    (r / "budop.pdf").write_bytes(b"%PDF-1.4\n")
    result = invoke("validate", r, "--period", "2024")
    assert result.exit_code == 2
    assert "Không tìm thấy biểu" in said(result) and "budop.pdf" in said(result)


def test_unread_findings_api_without_registry(tmp_path):
    from dvk_cli.core.config import Config

    (tmp_path / "budop.rar").write_bytes(b"Rar!\x1a\x07\x00")
    (finding,) = pipeline.unread_findings([tmp_path / "budop.rar"], Config())
    assert finding.severity == "info" and finding.unit == ""
    assert "tệp nén RAR" in finding.message


def test_readme_quick_start_writes_into_its_own_folder(tmp_path, monkeypatch):
    """The README's quick start command, run as written (with --no-store, so
    the shipped sample gets no dvk.sqlite): outputs land in the folder it names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Bắt đầu nhanh", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"(dvk aggregate [^\n`]*)", quick).group(1)
    args = shlex.split(command)[1:]
    out_dir = args[args.index("--out") + 1]
    assert f"/{out_dir}/" in (ROOT / ".gitignore").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_data").symlink_to(SAMPLE.parent)
    had_store = (SAMPLE / "dvk.sqlite").exists()
    result = invoke(*args, "--no-store")
    assert result.exit_code == 0, result.output
    assert (tmp_path / out_dir / "tong-hop-2024.xlsx").is_file()
    assert (tmp_path / out_dir / "bao-cao-2024.md").is_file()
    assert not list(tmp_path.glob("*-2024.*"))
    assert (SAMPLE / "dvk.sqlite").exists() == had_store
