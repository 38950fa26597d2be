"""dvk's cyclic garbage collector waits while the returns come in from the
workers (read_in_workers), and is as it was afterwards, whatever happened;
the workers themselves collect as usual."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from helpers import return_grid, write_xlsx

from dvk_cli.core.catalog import default_catalog
from dvk_cli.reading import workers
from dvk_cli.reading.parallel import read_all

CAT = default_catalog()


@pytest.fixture
def files(tmp_path) -> list[Path]:
    return [write_xlsx(return_grid({"VB_SO": i}), tmp_path / f"r{i}.xlsx") for i in range(3)]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_as_it_was_after_reading(files, enabled):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        seen: list[bool] = []
        results = read_all(files, CAT, workers=2, progress=lambda done, total: seen.append(gc.isenabled()))
        assert gc.isenabled() is enabled
        assert seen and not any(seen)  # waiting while the results came in
        assert [r.values[0].value for r in results] == [0, 1, 2]
    finally:
        (gc.enable if was else gc.disable)()


def test_the_collector_is_back_after_an_interrupted_read(files):
    assert gc.isenabled()

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        read_all(files, CAT, workers=2, progress=interrupt)
    assert gc.isenabled()


def test_a_worker_collects_as_usual(monkeypatch, files):
    real = workers.read_return

    def spy(*args, **kwargs):
        if not gc.isenabled():  # in the worker: the file would be reported as a crash
            raise RuntimeError("the worker's collector is off")
        return real(*args, **kwargs)

    monkeypatch.setattr(workers, "read_return", spy)  # forked workers have it too
    results = read_all(files, CAT, workers=1)
    assert all(r.readable and not r.findings for r in results), [f.message for r in results for f in r.findings]
