"""How the dvk command ends (cli/ending.py): the exit status SystemExit gives,
atexit handlers run, output flushed, a running non-daemon thread waited for;
and a reader that stops reading dvk's output ends dvk quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import copy_sample

from dvk_cli.cli.ending import status_of


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (1, 1), (2, 2), (130, 130)])
def test_status_is_what_system_exit_gives(code, status):
    assert status_of(code) == status


def test_a_text_code_is_printed_and_gives_1(capsys):
    assert status_of("Lỗi: hết chỗ") == 1
    assert capsys.readouterr().err == "Lỗi: hết chỗ\n"


@pytest.mark.parametrize("code", [None, 0, 1, 2, 141, 300, -1, "thông báo"])
def test_finish_ends_with_the_status_the_interpreter_would_give(tmp_path, code):
    program = f"""
        import sys
        from dvk_cli.cli.ending import finish
        finish({code!r})
    """
    reference = _python(f"import sys\nsys.exit({code!r})", tmp_path)
    done = _python(program, tmp_path)
    assert done.returncode == reference.returncode
    assert done.stderr == reference.stderr


def test_finish_runs_the_atexit_handlers_and_flushes_what_was_printed(tmp_path):
    done = _python("""
        import atexit, sys
        from dvk_cli.cli.ending import finish
        atexit.register(lambda: print("handler", flush=False))
        sys.stdout.write("không xuống dòng")  # buffered, never flushed by the program
        sys.stderr.write("lỗi")
        finish(1)
        print("never")
    """, tmp_path)
    assert done.returncode == 1
    assert done.stdout == "không xuống dònghandler\n"
    assert done.stderr == "lỗi"


def test_a_running_thread_is_waited_for_as_the_interpreter_would(tmp_path):
    marker = tmp_path / "xong.txt"
    done = _python(f"""
        import threading, time
        from pathlib import Path
        from dvk_cli.cli.ending import finish

        def work():
            time.sleep(0.3)
            Path({str(marker)!r}).write_text("xong", encoding="utf-8")

        threading.Thread(target=work).start()
        finish(0)
    """, tmp_path)
    assert done.returncode == 0
    assert marker.read_text(encoding="utf-8") == "xong"


def test_the_command_line_keeps_its_exit_codes_and_outputs(tmp_path):
    folder = copy_sample(tmp_path / "tinh")
    run = subprocess.run([sys.executable, "-m", "dvk_cli", "aggregate", "2024", "--period", "2024",
                          "--out", "ra", "--json"], cwd=folder, capture_output=True, text=True,
                         encoding="utf-8", timeout=120)
    assert run.returncode in (0, 1), run.stderr
    result = json.loads(run.stdout)  # the whole JSON reached the pipe
    assert result["totals"]
    assert (folder / "ra" / "tong-hop-2024.xlsx").stat().st_size > 0
    assert (folder / "dvk.sqlite").exists()  # the store committed before the end
    again = subprocess.run([sys.executable, "-m", "dvk_cli", "history"], cwd=folder,
                           capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert again.returncode == 0, again.stderr
    assert "2024" in again.stdout
    usage = subprocess.run([sys.executable, "-m", "dvk_cli", "aggregate", "khong-co", "--period",
                            "2024"], cwd=folder, capture_output=True, text=True, encoding="utf-8",
                           timeout=60)
    assert usage.returncode == 2
    assert "Lỗi" in usage.stderr


def test_a_reader_that_stops_reading_ends_dvk_quietly(tmp_path):
    """`dvk … --json | head`: the pipe's reader is gone before dvk writes;
    dvk still writes its outputs, says nothing about a broken pipe, and
    exits 141 (128 + SIGPIPE, as a shell reports it)."""
    folder = copy_sample(tmp_path / "tinh")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before dvk prints anything
    try:
        run = subprocess.run([sys.executable, "-m", "dvk_cli", "aggregate", "2024", "--period",
                              "2024", "--out", "ra", "--json", "--no-store"], cwd=folder,
                             stdout=write_end, stderr=subprocess.PIPE, text=True,
                             encoding="utf-8", timeout=120)
    finally:
        os.close(write_end)
    assert run.returncode == 141
    assert run.stderr == ""
    assert (folder / "ra" / "tong-hop-2024.xlsx").stat().st_size > 0
