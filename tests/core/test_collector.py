"""core/collector.py: after settle() the collector passes over new objects
only, until the run's block ends; nothing is leaked, a host's own freeze is
left alone."""

from __future__ import annotations

import gc
import weakref

import pytest
from helpers import copy_sample

from dvk_cli import api
from dvk_cli.core import collector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture(autouse=True)
def no_freeze():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_freezes_until_the_block_ends_and_a_cycle_is_freed_after():
    with collector.long_lived():
        node = Node()
        gone = weakref.ref(node)
        collector.settle()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert gone() is not None  # frozen: not walked while the run goes on
        fresh = Node()
        fresh_gone = weakref.ref(fresh)
        del fresh
        gc.collect()
        assert fresh_gone() is None  # what is new is collected as usual
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None  # given back at the end: collected, not leaked


def test_outside_a_block_settle_does_nothing_and_blocks_nest():
    collector.settle()
    assert gc.get_freeze_count() == 0
    with collector.long_lived():
        with collector.long_lived():
            collector.settle()
        assert gc.get_freeze_count() > 0  # the inner block does not end the run
        collector.settle()  # once is enough
    assert gc.get_freeze_count() == 0


def test_a_block_ends_on_an_exception_too():
    with pytest.raises(ValueError), collector.long_lived():
        collector.settle()
        raise ValueError
    assert gc.get_freeze_count() == 0


def test_a_host_that_froze_its_objects_is_left_as_it_is():
    gc.freeze()
    frozen = gc.get_freeze_count()
    with collector.long_lived():
        Node()
        collector.settle()
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == frozen


def test_a_run_freezes_what_it_read_and_gives_it_back(tmp_path, monkeypatch):
    from dvk_cli import pipeline

    seen = []
    identify = pipeline.identify

    def watched(returns, config):
        seen.append(gc.get_freeze_count())
        return identify(returns, config)

    monkeypatch.setattr(pipeline, "identify", watched)
    folder = copy_sample(tmp_path / "tinh")
    result = api.aggregate([folder / "2024"], period="2024", out=tmp_path / "ra", no_store=True)
    assert result.totals and seen and seen[0] > 0
    assert gc.get_freeze_count() == 0


def test_the_returns_are_frozen_before_the_collector_comes_back_after_the_read(
        tmp_path, monkeypatch):
    """read_in_workers keeps the collector off while returns come in; it
    freezes them (within a run) before turning it on again, or the first
    pass after the read would walk every object unpickled."""
    from dvk_cli.reading import workers

    passes: list[int] = []

    def first_pass(phase: str, info: dict) -> None:
        if phase == "start" and not passes:
            passes.append(gc.get_freeze_count())

    enable = gc.enable

    def watched_enable() -> None:
        enable()
        gc.callbacks.append(first_pass)

    monkeypatch.setattr(workers.gc, "enable", watched_enable)
    folder = copy_sample(tmp_path / "tinh")
    try:
        result = api.aggregate([folder / "2024"], period="2024", out=tmp_path / "ra",
                               no_store=True)
    finally:
        if first_pass in gc.callbacks:
            gc.callbacks.remove(first_pass)
    assert result.totals and passes and passes[0] > 0
    assert gc.get_freeze_count() == 0


def test_each_stage_settles_what_it_made(tmp_path, monkeypatch):
    """The tidy table, the consolidation and the findings are settled as
    they are made: the collector's passes walk only the stage at work."""
    from dvk_cli import pipeline

    counts: dict[str, int] = {}

    def watching(name):
        stage = getattr(pipeline, name)

        def watched(*args, **kwargs):
            counts[name] = gc.get_freeze_count()
            return stage(*args, **kwargs)

        monkeypatch.setattr(pipeline, name, watched)

    for name in ("identify", "consolidate_stage", "review"):
        watching(name)
    folder = copy_sample(tmp_path / "tinh")
    result = api.aggregate([folder / "2024"], period="2024", out=tmp_path / "ra", no_store=True)
    assert result.totals
    assert 0 < counts["identify"] < counts["consolidate_stage"] < counts["review"]
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_gives_the_collector_back_as_it_was(enabled):
    """load_config parses dvk.toml with the collector paused: it is as it
    was after the block (also after an error), and within a run what the
    block made is settled first."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled and gc.get_freeze_count() == 0  # outside a run
        with pytest.raises(ValueError), collector.paused():
            raise ValueError
        assert gc.isenabled() == enabled
        with collector.long_lived():
            with collector.paused():
                kept = Node()
            assert (gc.get_freeze_count() > 0) == enabled
            del kept
    finally:
        (gc.enable if was else gc.disable)()
    assert gc.get_freeze_count() == 0


def test_a_config_is_loaded_with_the_collector_paused(tmp_path, monkeypatch):
    from dvk_cli.core import config

    seen = []
    loads = config.tomllib.loads

    def watched(text):
        seen.append(gc.isenabled())
        return loads(text)

    monkeypatch.setattr(config.tomllib, "loads", watched)
    folder = copy_sample(tmp_path / "tinh")
    assert gc.isenabled()
    assert config.load_config(folder / "dvk.toml").registry
    assert seen == [False] and gc.isenabled()
