"""What `pip install .` ships and what the read cache fingerprints: every
subpackage of dvk_cli, so a restructure cannot leave one behind."""

from __future__ import annotations

import tomllib
from pathlib import Path

from helpers import ROOT

import dvk_cli
from dvk_cli.history.readcache import code_files

PACKAGE = ROOT / "dvk_cli"


def _subpackages() -> set[str]:
    return {".".join(init.parent.relative_to(ROOT).parts) for init in PACKAGE.rglob("__init__.py")}


def test_every_subpackage_is_listed_for_installation():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    missing = _subpackages() - listed
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert {"dvk_cli.core", "dvk_cli.reading", "dvk_cli.checks", "dvk_cli.history",
            "dvk_cli.outputs", "dvk_cli.cli"} <= listed


def test_the_catalog_ships_with_its_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    for toml in PACKAGE.rglob("*.toml"):
        package = ".".join(toml.parent.relative_to(ROOT).parts)
        assert "*.toml" in data.get(package, []), f"{toml} is not shipped"


def test_read_cache_fingerprint_covers_every_subpackage():
    installed = Path(dvk_cli.__file__).resolve().parent  # the checkout, or site-packages in CI
    files = {p.relative_to(installed).as_posix() for p in code_files()}
    every = {p.relative_to(installed).as_posix() for p in installed.rglob("*.py")}
    assert every <= files
    assert {"reading/dispatch.py", "checks/per_unit.py", "core/catalog.toml"} <= files
