"""The working folder's dvk.toml: organisation and the unit registry."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dvk_cli.core.errors import UsageError
from dvk_cli.core.text import nfc
from dvk_cli.core.units import Registry, Unit

CONFIG_NAME = "dvk.toml"


class ConfigError(UsageError):
    """A configuration problem (exit code 2); the message is Vietnamese."""


@dataclass
class Organization:
    name: str = "Ban Dân vận"
    code: str = ""
    area: str = "toàn tỉnh"
    superior: str = ""
    place: str = ""


@dataclass
class Config:
    organization: Organization = field(default_factory=Organization)
    registry: Registry = field(default_factory=lambda: Registry([]))
    path: Path | None = None
    # The whole parsed dvk.toml, for sections other modules own
    # ([report], [[rules]], [[indicators]], [checks] …).
    raw: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def find_config(inputs: list[Path], explicit: Path | None = None) -> Path | None:
    """--config, else dvk.toml in an INPUT's folder or its parents, else cwd."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"Không tìm thấy tệp cấu hình {explicit}")
        return explicit
    for start in inputs:
        start = start.resolve()
        folder = start if start.is_dir() else start.parent
        for candidate in [folder, *folder.parents]:
            if (candidate / CONFIG_NAME).is_file():
                return candidate / CONFIG_NAME
    here = Path.cwd() / CONFIG_NAME
    return here if here.is_file() else None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: tệp cấu hình phải lưu bằng mã UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: cú pháp TOML không hợp lệ ({exc})") from exc
    org_raw = data.get("organization", {})
    if not isinstance(org_raw, dict):
        raise ConfigError(f"{path}: mục [organization] không hợp lệ")
    org = Organization(
        name=nfc(org_raw.get("name", Organization.name)),
        code=nfc(org_raw.get("code", "")),
        area=nfc(org_raw.get("area", Organization.area)),
        superior=nfc(org_raw.get("superior", "")),
        place=nfc(org_raw.get("place", "")),
    )
    units: list[Unit] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("units", []), start=1):
        if not isinstance(raw, dict) or not raw.get("code") or not raw.get("name"):
            raise ConfigError(f"{path}: đơn vị thứ {i} trong [[units]] thiếu code hoặc name")
        code = nfc(raw["code"]).upper()
        if code in seen:
            raise ConfigError(f"{path}: mã đơn vị {code} khai báo hai lần")
        seen.add(code)
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list):
            raise ConfigError(f"{path}: aliases của đơn vị {code} phải là danh sách")
        units.append(
            Unit(code=code, name=nfc(raw["name"]), group=nfc(raw.get("group", "")),
                 aliases=[nfc(a) for a in aliases])
        )
    return Config(organization=org, registry=Registry(units), path=path, raw=data)
