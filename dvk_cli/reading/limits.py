"""The limits every file is read under, from dvk.toml [limits], and the
Vietnamese words of a refusal (shared by the zip and the OLE2 guards)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
DEFAULT_MAX_UNPACKED = 200 * MB  # bytes, the whole archive once expanded
DEFAULT_MAX_CELLS = 5_000_000  # cells of one sheet's used area (rows x columns)
DEFAULT_MAX_MEMORY_MB = 400  # what one file's reader may allocate beyond its start
DEFAULT_MAX_SECONDS = 60.0  # wall-clock time to read one file



@dataclass(frozen=True)
class Limits:
    max_unpacked: int = DEFAULT_MAX_UNPACKED
    max_cells: int = DEFAULT_MAX_CELLS
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB
    max_seconds: float = DEFAULT_MAX_SECONDS


_current = Limits()


def set_limits(limits: Limits | None) -> None:
    """The limits read_return applies in this process (set by each run from dvk.toml)."""
    global _current
    _current = limits or Limits()


def current_limits() -> Limits:
    return _current


def limits_from(raw: dict, where: str = "dvk.toml") -> Limits:
    """[limits] max_unpacked_mb = 200, max_cells = 5000000, max_memory_mb = 400,
    max_seconds = 60 (ConfigError if invalid)."""
    from dvk_cli.core.config import ConfigError

    section = raw.get("limits", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: mục [limits] không hợp lệ")
    known = ("max_unpacked_mb", "max_cells", "max_memory_mb", "max_seconds")
    extra = sorted(set(section) - set(known))
    if extra:
        raise ConfigError(f"{where}: [limits] có khóa lạ {', '.join(extra)}; chỉ dùng {', '.join(known)}")
    mb = section.get("max_unpacked_mb", DEFAULT_MAX_UNPACKED / MB)
    cells = section.get("max_cells", DEFAULT_MAX_CELLS)
    if isinstance(mb, bool) or not isinstance(mb, (int, float)) or mb <= 0:
        raise ConfigError(f"{where}: [limits] max_unpacked_mb phải là số dương (MB), ví dụ 200")
    if isinstance(cells, bool) or not isinstance(cells, int) or cells <= 0:
        raise ConfigError(f"{where}: [limits] max_cells phải là số nguyên dương, ví dụ 5000000")
    memory = section.get("max_memory_mb", DEFAULT_MAX_MEMORY_MB)
    seconds = section.get("max_seconds", DEFAULT_MAX_SECONDS)
    if isinstance(memory, bool) or not isinstance(memory, int) or memory < 50:
        raise ConfigError(f"{where}: [limits] max_memory_mb phải là số nguyên từ 50 trở lên (MB), ví dụ 400")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ConfigError(f"{where}: [limits] max_seconds phải là số dương (giây), ví dụ 60")
    return Limits(max_unpacked=int(mb * MB), max_cells=cells, max_memory_mb=memory,
                  max_seconds=float(seconds))


def _fmt(n: float) -> str:
    from dvk_cli.core.numbers import fmt_number

    return fmt_number(n, 0)


def _bomb(size: int, limits: Limits) -> str:
    return (f"khi giải nén, tệp chiếm hơn {_fmt(limits.max_unpacked / MB)} MB "
            f"(khai báo {_fmt(size / MB)} MB) — có thể là “bom nén” (zip bomb) hoặc tệp hỏng; "
            "dvk không đọc tệp này. Đề nghị đơn vị mở bằng Excel, xóa các trang, vùng thừa, lưu lại "
            "và gửi lại (giới hạn đổi được trong dvk.toml, mục [limits]).")


def _too_large(limits: Limits) -> str:
    return (f"tệp lớn hơn {_fmt(limits.max_unpacked / MB)} MB; dvk không đọc tệp này. "
            "Đề nghị đơn vị chỉ gửi biểu báo cáo (giới hạn đổi được trong dvk.toml, mục [limits]).")


def _too_many(sheet: str, area: int, limits: Limits) -> str:
    return (f"vùng dữ liệu của trang “{sheet}” rộng {_fmt(area)} ô, vượt giới hạn "
            f"{_fmt(limits.max_cells)} ô; dvk không đọc tệp này để khỏi cạn bộ nhớ. Đề nghị đơn vị "
            "xóa các ô có dữ liệu nằm xa bảng (thường ở cuối trang), lưu lại và gửi lại.")


def _too_many_total(total: int, limits: Limits) -> str:
    return (f"các trang của tệp có tổng cộng {_fmt(total)} ô, vượt giới hạn {_fmt(limits.max_cells)} ô; "
            "dvk không đọc tệp này để khỏi cạn bộ nhớ. Đề nghị đơn vị xóa các trang, vùng dữ liệu thừa, "
            "lưu lại và gửi lại (giới hạn đổi được trong dvk.toml, mục [limits]).")
