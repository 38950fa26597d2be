"""A realistic province for tests: returns of 11 units of very different
sizes for two years, every figure following the unit's size with modest
noise, all the catalog's checks satisfied — and, on request, the faults
clerks really make (a money figure typed in đồng or nghìn đồng, models by
kind that do not add up to the total, a figure off by some factor).

    from realistic import PROVINCE, Fault, write_province

    p = write_province(tmp_path, faults=[Fault.in_dong("BUDANG", "VANDONG_TIEN")])
    result = dvk_cli.api.run(p.returns[2026], period="2026", config=p.config)

The province (PROVINCE): a big city, seven districts, one small town about
1/8 of a median district (in every indicator, both years), all in the group
"Địa phương"; and two units of the group "Mặt trận – đoàn thể" whose work
has another profile (no citizens received, no administrative files, more
houses "Đại đoàn kết", more funds raised) and other scales.

Everything is deterministic: the figures depend only on `seed`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from helpers import return_grid, write_xlsx

LOCAL = "Địa phương"
FRONT = "Mặt trận – đoàn thể"
YEARS = (2025, 2026)
SEED = 2026
NOISE = 0.12  # spread (log scale) of a figure around what the unit's size makes of it
GROWTH = 1.08  # the province's work grows about 8 % a year


# Indicators that give a unit of size 1 in the checks' tests: a table where
# every unit reports these alike has units of equal size, so what is expected
# of another figure is the median of the other units'.
UNIT_SIZE = {"VB_SO": 10.0, "TCD_LUOT": 300.0, "HS_NHAN": 9000.0}


@dataclass(frozen=True)
class RealUnit:
    """A unit of the realistic province; `size` relative to a median unit of its group."""

    code: str
    name: str
    size: float
    group: str = LOCAL


PROVINCE: tuple[RealUnit, ...] = (
    RealUnit("DONGXOAI", "Thành phố Đồng Xoài", 2.6),
    RealUnit("BUDANG", "Huyện Bù Đăng", 1.4),
    RealUnit("LOCNINH", "Huyện Lộc Ninh", 1.25),
    RealUnit("DONGPHU", "Huyện Đồng Phú", 1.1),
    RealUnit("HONQUAN", "Huyện Hớn Quản", 1.0),
    RealUnit("BUGIAMAP", "Huyện Bù Gia Mập", 0.95),
    RealUnit("PHURIENG", "Huyện Phú Riềng", 0.85),
    RealUnit("BUDOP", "Huyện Bù Đốp", 0.7),
    RealUnit("THANHLUONG", "Thị trấn Thanh Lương", 0.125),  # the small town
    RealUnit("MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", 1.0, FRONT),
    RealUnit("TINHDOAN", "Tỉnh Đoàn", 0.35, FRONT),
)
SMALL_TOWN = "THANHLUONG"

# What a unit of size 1 does in a year, by group. Counts and money that
# depend on counts (houses, gifts, bridges) are derived in `unit_figures`.
_LOCAL_BASE = {
    "VB_SO": 12, "TT_BUOI": 250, "TT_LUOT": 14_000, "MH_TONG": 40,
    "TCD_LUOT": 300, "TCD_NGUOI": 390, "TCD_DOAN": 3, "DON_NHAN": 120, "HS_NHAN": 9_000,
    "NHA_DDK_SO": 12, "NHA_TN_SO": 4, "NHA_DD_SO": 2, "NHA_CTD_SO": 3, "NHA_KHAC_SO": 6,
    "QUA_SO": 4_000, "VANDONG_TIEN": 6_500, "DUONG_GT_KM": 12.5, "DUONG_DIEN_KM": 8.0,
    "CAU_SO": 2,
}
_FRONT_BASE = {
    "VB_SO": 6, "TT_BUOI": 180, "TT_LUOT": 20_000, "MH_TONG": 25,
    "NHA_DDK_SO": 40, "NHA_CTD_SO": 5, "QUA_SO": 9_000, "VANDONG_TIEN": 25_000,
}
# Value of one house, gift or bridge (triệu đồng): low and high ends.
_PRICES = {
    "NHA_DDK": (60, 80), "NHA_TN": (80, 120), "NHA_DD": (60, 90), "NHA_CTD": (40, 60),
    "NHA_KHAC": (30, 50), "QUA": (0.3, 0.7), "CAU": (250, 600),
}


@dataclass(frozen=True)
class Fault:
    """One wrong figure in a unit's return: the true figure × `times` + `add`.

    Use the constructors: in_dong (typed in đồng, × 1.000.000), in_nghin_dong
    (× 1.000), off_by (× any factor), kinds_off (models by kind no longer add
    up to MH_TONG)."""

    unit: str
    code: str
    times: float = 1.0
    add: float = 0.0

    @classmethod
    def in_dong(cls, unit: str, code: str) -> Fault:
        """A money figure typed in đồng where triệu đồng was asked."""
        return cls(unit, code, times=1_000_000)

    @classmethod
    def in_nghin_dong(cls, unit: str, code: str) -> Fault:
        """A money figure typed in nghìn đồng where triệu đồng was asked."""
        return cls(unit, code, times=1_000)

    @classmethod
    def off_by(cls, unit: str, code: str, factor: float) -> Fault:
        """A figure `factor` times the true one (an extra digit: 10)."""
        return cls(unit, code, times=factor)

    @classmethod
    def kinds_off(cls, unit: str, by: int = 2) -> Fault:
        """Models by kind (collective + individual) `by` more than MH_TONG (rule MH_LOAI)."""
        return cls(unit, "MH_TAPTHE", add=by)

    def apply(self, value: float) -> float:
        typed = value * self.times + self.add
        return int(typed) if float(typed).is_integer() else typed


@dataclass(frozen=True)
class Province:
    """What write_province wrote: the dvk.toml, each year's folder of returns,
    and the figures typed in them ({year: {unit: {code: value}}}, faults
    included) next to the true ones (faults left out)."""

    config: Path
    returns: dict[int, Path]
    figures: dict[int, dict[str, dict[str, float]]]
    true_figures: dict[int, dict[str, dict[str, float]]]
    units: tuple[RealUnit, ...] = PROVINCE


def _draw(rng: np.random.Generator, mean: float, noise: float) -> float:
    """mean × a log-normal factor of spread `noise` (mean 0 on the log scale)."""
    return mean * math.exp(rng.normal(0.0, noise))


def _count(rng: np.random.Generator, mean: float, noise: float) -> int:
    """A count around `mean`: Poisson around a noisy mean (small means give 0, 1, 2…)."""
    return int(rng.poisson(_draw(rng, mean, noise)))


def _share(rng: np.random.Generator, total: int, shares: Iterable[float]) -> list[int]:
    """`total` split into whole parts following `shares` (multinomial)."""
    p = np.asarray(list(shares), dtype="float64")
    return [int(n) for n in rng.multinomial(total, p / p.sum())]


def unit_figures(unit: RealUnit, year: int, seed: int = SEED, noise: float = NOISE) -> dict:
    """The true figures of `unit` for `year` (every catalog check holds).

    Each unit and year has its own random stream (seeded from `seed`, the
    unit's code and the year), so adding a fault or a unit never changes
    the other figures."""
    rng = np.random.default_rng([seed, zlib.crc32(unit.code.encode()), year])
    scale = unit.size * GROWTH ** (year - YEARS[0])
    base = _FRONT_BASE if unit.group == FRONT else _LOCAL_BASE
    v: dict[str, float] = {}

    def mean(code: str) -> float:
        return base[code] * scale

    v["VB_SO"] = max(1, _count(rng, mean("VB_SO"), noise))
    v["TT_BUOI"] = max(1, _count(rng, mean("TT_BUOI"), noise))
    v["TT_LUOT"] = max(v["TT_BUOI"], round(_draw(rng, mean("TT_LUOT"), noise)))
    total = max(1, _count(rng, mean("MH_TONG"), noise))
    v["MH_TONG"] = total
    v["MH_TAPTHE"], v["MH_CANHAN"] = _share(rng, total, (0.55, 0.45))
    v["MH_KT"], v["MH_VHXH"], v["MH_QPAN"], v["MH_XDHT"] = _share(
        rng, total, (0.45, 0.25, 0.1, 0.2))
    v["MH_TIEUBIEU"] = int(rng.binomial(total, 0.15))
    if "TCD_LUOT" in base:  # the authorities' own work: not the front's
        v["TCD_LUOT"] = max(1, _count(rng, mean("TCD_LUOT"), noise))
        v["TCD_NGUOI"] = min(10 * v["TCD_LUOT"], _count(rng, mean("TCD_NGUOI"), noise))
        v["TCD_DOAN"] = min(v["TCD_LUOT"], _count(rng, mean("TCD_DOAN"), noise))
        v["DON_NHAN"] = _count(rng, mean("DON_NHAN"), noise)
        v["DON_GQ"] = int(rng.binomial(v["DON_NHAN"], 0.9))
        v["HS_NHAN"] = max(1, _count(rng, mean("HS_NHAN"), noise))
        v["HS_DUNGHAN"] = int(rng.binomial(v["HS_NHAN"], 0.97))
    for kind in ("NHA_DDK", "NHA_TN", "NHA_DD", "NHA_CTD", "NHA_KHAC"):
        if f"{kind}_SO" not in base:
            continue
        houses = _count(rng, mean(f"{kind}_SO"), noise)
        low, high = _PRICES[kind]
        v[f"{kind}_SO"] = houses
        v[f"{kind}_TIEN"] = round(sum(rng.uniform(low, high) for _ in range(houses)))
    v["QUA_SO"] = _count(rng, mean("QUA_SO"), noise)
    v["QUA_TIEN"] = round(v["QUA_SO"] * rng.uniform(*_PRICES["QUA"]))
    v["VANDONG_TIEN"] = round(_draw(rng, mean("VANDONG_TIEN"), noise))
    if "DUONG_GT_KM" in base:
        v["DUONG_GT_KM"] = round(_draw(rng, mean("DUONG_GT_KM"), noise), 1)
        v["DUONG_DIEN_KM"] = round(_draw(rng, mean("DUONG_DIEN_KM"), noise), 1)
        bridges = _count(rng, mean("CAU_SO"), noise)
        v["CAU_SO"] = bridges
        v["CAU_TIEN"] = round(sum(rng.uniform(*_PRICES["CAU"]) for _ in range(bridges)))
    return v


def province_figures(year: int, seed: int = SEED, units: Iterable[RealUnit] = PROVINCE,
                     faults: Iterable[Fault] = ()) -> dict[str, dict[str, float]]:
    """{unit: {code: value}} for `year`, with `faults` applied (no file written)."""
    figures = {u.code: unit_figures(u, year, seed) for u in units}
    for fault in faults:
        figures[fault.unit][fault.code] = fault.apply(figures[fault.unit][fault.code])
    return figures


def config_text(units: Iterable[RealUnit] = PROVINCE,
                name: str = "Ban Dân vận Tỉnh ủy Bình Phước") -> str:
    """A dvk.toml with the organisation and the registry (code, name, group)."""
    lines = ["[organization]", f'name = "{name}"', 'code = "BDVBP"', 'area = "toàn tỉnh"', ""]
    for u in units:
        lines += ["[[units]]", f'code = "{u.code}"', f'name = "{u.name}"', f'group = "{u.group}"',
                  ""]
    return "\n".join(lines)


def write_province(folder: Path, *, years: Iterable[int] = YEARS, seed: int = SEED,
                   faults: Iterable[Fault] | Mapping[int, Iterable[Fault]] = (),
                   units: Iterable[RealUnit] = PROVINCE, extra_config: str = "") -> Province:
    """Write `folder`/dvk.toml and one .xlsx return per unit in `folder`/<year>/.

    `faults` apply to the last year only, or give {year: faults} to choose.
    `extra_config` is appended to dvk.toml (e.g. "[checks]\\nimpact_threshold = 0.05").
    """
    folder.mkdir(parents=True, exist_ok=True)
    units = tuple(units)
    years = tuple(years)
    by_year = dict(faults) if isinstance(faults, Mapping) else {years[-1]: list(faults)}
    config = folder / "dvk.toml"
    config.write_text(config_text(units) + ("\n" + extra_config if extra_config else "") + "\n",
                      encoding="utf-8")
    returns: dict[int, Path] = {}
    figures: dict[int, dict[str, dict[str, float]]] = {}
    true_figures: dict[int, dict[str, dict[str, float]]] = {}
    for year in years:
        true_figures[year] = province_figures(year, seed, units)
        figures[year] = province_figures(year, seed, units, by_year.get(year, ()))
        returns[year] = folder / str(year)
        returns[year].mkdir(exist_ok=True)
        for u in units:
            grid = return_grid(figures[year][u.code], unit=u.name, code=u.code, period=str(year))
            write_xlsx(grid, returns[year] / f"{u.code.lower()}.xlsx")
    return Province(config=config, returns=returns, figures=figures, true_figures=true_figures,
                    units=units)


def consolidation(figures: Mapping[str, Mapping[str, float]], year: int = YEARS[-1],
                  units: Iterable[RealUnit] = PROVINCE):
    """The figures ({unit: {code: value}}) consolidated as a run would, without
    writing or reading a file: each value's source is "<unit code>.xlsx", sheet
    "Biểu số liệu", the cell return_grid puts it in (column E)."""
    import pandas as pd

    from dvk_cli.aggregation import MODEL_COLUMNS, TIDY_COLUMNS, UnitInfo, consolidate
    from dvk_cli.core.catalog import default_catalog
    from dvk_cli.core.config import Organization
    from dvk_cli.core.periods import Period
    from dvk_cli.core.units import Unit

    catalog = default_catalog()
    row_of = {code: 7 + i for i, code in enumerate(catalog.indicators)}  # see return_grid
    known = {u.code: u for u in units}
    rows = [(unit, str(year), code, float(value), f"{unit.lower()}.xlsx", "Biểu số liệu",
             f"E{row_of[code]}", "mã", "")
            for unit, values in figures.items() for code, value in values.items()
            if code in row_of and value is not None]
    values = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    values["value"] = values["value"].astype("float64")
    info = {u: UnitInfo(u, known[u].name if u in known else u,
                        known[u].group if u in known else "", f"{u.lower()}.xlsx")
            for u in figures}
    registry = [Unit(u.code, u.name, u.group) for u in known.values() if u.code in figures]
    return consolidate(values, pd.DataFrame([], columns=MODEL_COLUMNS), info,
                       period=Period(year, "Y"), organization=Organization(), catalog=catalog,
                       registry_units=registry, findings=[], sources=[])
