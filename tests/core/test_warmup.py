"""The modules a run needs are imported while its files are read: in a
thread started once the reading workers are forked (never before: a worker is
forked only from a process without other threads), joined before the run
goes on."""

from __future__ import annotations

import sys
import threading

from helpers import consistent_values, record_start_methods, return_grid, write_xlsx

import dvk_cli
from dvk_cli.core import warmup
from dvk_cli.core.catalog import default_catalog
from dvk_cli.core.warmup import Warmup
from dvk_cli.reading.parallel import read_all


def _returns(tmp_path, n=3):
    return [write_xlsx(return_grid(consistent_values(4 + k), unit=unit), tmp_path / f"r{k}.xlsx")
            for k, unit in enumerate(["Huyện Bù Đăng", "H. Bù Đốp", "Thành phố Đồng Xoài"][:n])]


def test_the_warmup_imports_its_modules_and_ignores_one_that_fails():
    sys.modules.pop("colorsys", None)
    w = Warmup(("dvk_cli_no_such_module", "colorsys"))
    w.start()
    w.start()  # once
    w.join()
    w.join()
    assert "colorsys" in sys.modules
    assert threading.active_count() == 1


def test_a_warmup_entry_may_also_call_a_function_of_its_module():
    from dvk_cli.outputs import report

    report.default_template.cache_clear()
    w = Warmup(("dvk_cli.outputs.report:default_template", "colorsys:no_such_function",
                "dvk_cli_no_such_module:f"))
    w.start()
    w.join()
    assert report.default_template.cache_info().currsize == 1  # compiled in the thread
    assert report.default_template() is report.default_template()
    assert threading.active_count() == 1


def test_started_is_called_once_the_workers_are_forked(tmp_path, monkeypatch):
    files = _returns(tmp_path)
    seen = []
    methods = record_start_methods(monkeypatch)

    def started():
        seen.append(len([t for t in threading.enumerate() if t.name == "dvk-warmup"]))
        import multiprocessing

        seen.append(len(multiprocessing.active_children()))

    got = read_all(files, default_catalog(), workers=2, started=started)
    assert [r.path for r in got] == [str(p) for p in files]
    assert methods == ["fork", "fork"]  # no thread yet when the workers were started
    assert seen[0] == 0 and seen[1] == 2  # called once, both workers running


def test_a_run_imports_its_modules_in_the_warmup_thread_and_joins_it(tmp_path, monkeypatch):
    files = _returns(tmp_path)
    threads = []
    real_start = Warmup.start

    def start(self):
        real_start(self)
        threads.append((self.modules, self._thread))

    monkeypatch.setattr(warmup.Warmup, "start", start)
    result = dvk_cli.run(files, period="2024", workers=2)
    assert len(result.consolidation.units) == 3
    (modules, thread), = threads
    assert "pandas" in modules and "dvk_cli.checks.peers" in modules
    assert thread is not None and not thread.is_alive()  # joined before the run went on
    assert threading.active_count() == 1


def test_aggregate_also_warms_the_output_modules(tmp_path, monkeypatch):
    files = _returns(tmp_path)
    asked = []
    real_start = Warmup.start

    def start(self):
        asked.append(self.modules)
        real_start(self)

    monkeypatch.setattr(warmup.Warmup, "start", start)
    dvk_cli.aggregate(files, period="2024", out=tmp_path / "out", workers=2, no_store=True)
    (modules,) = asked
    assert {"xlsxwriter", "dvk_cli.outputs.workbook", "dvk_cli.outputs.report"} <= set(modules)
    assert "docxtpl" not in modules
