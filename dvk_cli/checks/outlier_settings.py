"""The settings of the outlier checks (dvk.toml [outliers], [checks]
impact_threshold): read when dvk.toml is, before any return, so kept apart
from dvk_cli/checks/peers.py and its numpy and pandas (imported while the
returns are read, not before)."""

from __future__ import annotations

from dataclasses import dataclass

from dvk_cli.core.numbers import fmt_number

DEFAULT_THRESHOLD = 3.5
DEFAULT_MIN_UNITS = 5
DEFAULT_MIN_FACTOR = 3.0
DEFAULT_IMPACT_THRESHOLD = 0.01


@dataclass(frozen=True)
class OutlierSettings:
    """[outliers] threshold: how many sqrt(expected) a count may stray (3.5);
    min_units: peers needed (5); min_factor: how many times the expected
    a figure must be, at least (3); enabled. [checks] impact_threshold: the
    share of the total below which an outlier is only an info (0.01)."""

    threshold: float = DEFAULT_THRESHOLD
    min_units: int = DEFAULT_MIN_UNITS
    min_factor: float = DEFAULT_MIN_FACTOR
    enabled: bool = True
    impact_threshold: float = DEFAULT_IMPACT_THRESHOLD


def _number(section: dict, name: str, key: str, default: float, minimum: float,
            maximum: float | None = None) -> float:
    from dvk_cli.core.config import ConfigError

    value = section.get(key, default)
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and value >= minimum
          and (maximum is None or value <= maximum))
    if not ok:
        bound = (f"từ {fmt_number(minimum)} đến {fmt_number(maximum)}" if maximum is not None
                 else f"không nhỏ hơn {fmt_number(minimum)}")
        raise ConfigError(f"{name} {key} phải là số {bound}")
    return float(value)


def _section(raw: dict, key: str, allowed: set[str], where: str) -> dict:
    from dvk_cli.core.config import ConfigError

    section = raw.get(key, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: mục [{key}] không hợp lệ")
    extra = sorted(set(section) - allowed)
    if extra:
        raise ConfigError(f"{where}: [{key}] có khóa lạ {', '.join(extra)}; "
                          f"chỉ dùng {', '.join(sorted(allowed))}")
    return section


def settings_from(raw: dict, where: str = "dvk.toml") -> OutlierSettings:
    """[outliers] threshold = 3.5, min_units = 5, min_factor = 3, enabled = true;
    [checks] impact_threshold = 0.01 (a share of the total, from 0 to 1)."""
    from dvk_cli.core.config import ConfigError

    section = _section(raw, "outliers", {"threshold", "min_units", "min_factor", "enabled"},
                       where)
    checks = _section(raw, "checks", {"impact_threshold"}, where)
    name = f"{where}: [outliers]"
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{name} enabled phải là true hoặc false")
    min_units = _number(section, name, "min_units", DEFAULT_MIN_UNITS, 3)
    if not min_units.is_integer():
        raise ConfigError(f"{name} min_units phải là số nguyên")
    return OutlierSettings(
        threshold=_number(section, name, "threshold", DEFAULT_THRESHOLD, 1),
        min_units=int(min_units),
        min_factor=_number(section, name, "min_factor", DEFAULT_MIN_FACTOR, 1),
        enabled=enabled,
        impact_threshold=_number(checks, f"{where}: [checks]", "impact_threshold",
                                 DEFAULT_IMPACT_THRESHOLD, 0, 1),
    )
