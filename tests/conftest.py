"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest
from helpers import THREE_UNITS, copy_sample, write_config


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder (the current directory): dvk.toml with three units and
    an empty returns/."""
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, THREE_UNITS)
    (tmp_path / "returns").mkdir()
    return tmp_path


@pytest.fixture
def sample_copy(tmp_path, monkeypatch):
    """A copy of the sample province as the working folder (the current
    directory): dvk.toml here, dvk.sqlite created here."""
    dest = copy_sample(tmp_path / "binh-phuoc")
    monkeypatch.chdir(dest)
    return dest
