"""Guards against hostile or broken workbooks, applied before any parser sees them.

An .xlsx/.xlsm/.ods file is a zip archive. A "zip bomb" is small on disk but
expands to gigabytes; a sheet with one cell at XFD1048576 makes a dense
reader build a grid of 17 billion cells. Both are refused here with a
finding, using only the zip central directory and a streaming, bounded
decompression of the XML parts (never more than `Limits.max_unpacked` bytes
are produced, and they are not kept).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

MB = 1024 * 1024
DEFAULT_MAX_UNPACKED = 200 * MB  # bytes, the whole archive once expanded
DEFAULT_MAX_CELLS = 5_000_000  # cells of one sheet's used area (rows x columns)
DEFAULT_MAX_MEMORY_MB = 400  # what one file's reader may allocate beyond its start
DEFAULT_MAX_SECONDS = 60.0  # wall-clock time to read one file
_CHUNK = 256 * 1024
_DEFLATE_MAX_RATIO = 1100  # deflate's maximum is about 1,032 : 1

# A cell reference in a worksheet part: <c r="XFD1048576" ...>
_CELL_REF = re.compile(rb"r=\"([A-Z]{1,3})([0-9]{1,7})\"")
_ODS_CELL = re.compile(rb"<table:table-cell\b")


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


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


class _TooBig(Exception):
    pass


def _stream(z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int):
    """Yield the decompressed bytes of a member in chunks, whatever its header
    claims, raising _TooBig once `budget` bytes have been produced."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        # Stored (or a rare method zipfile bounds by the declared size).
        with z.open(info) as member:
            produced = 0
            while chunk := member.read(_CHUNK):
                produced += len(chunk)
                if produced > budget:
                    raise _TooBig
                yield chunk
        return
    # Deflate: inflate the raw compressed bytes ourselves, so that a header
    # understating the size cannot make us stop early (or a parser go on).
    fp = z.fp
    if fp is None:
        raise zipfile.BadZipFile("archive closed")
    fp.seek(info.header_offset)
    header = fp.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_len = int.from_bytes(header[26:28], "little")
    extra_len = int.from_bytes(header[28:30], "little")
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    inflater = zlib.decompressobj(-15)
    produced = 0
    pending = b""
    while left > 0 or pending:
        if not pending:
            pending = fp.read(min(_CHUNK, left))
            left -= len(pending)
            if not pending:
                break
        out = inflater.decompress(pending, _CHUNK)
        pending = inflater.unconsumed_tail
        produced += len(out)
        if produced > budget:
            raise _TooBig
        if out:
            yield out
        if inflater.eof:
            break


def archive_problem(raw: bytes, limits: Limits | None = None) -> tuple[str, str] | None:
    """(rule, Vietnamese message) when a zip-based workbook must not be parsed; else None.

    Checks, in order: the sizes the central directory declares, then the real
    size of each XML part inflated in bounded chunks, measuring each
    worksheet's used area (A1 to its last cell reference) on the way.
    """
    limits = limits or current_limits()
    if not raw.startswith(b"PK"):
        if len(raw) > limits.max_unpacked:
            return "file_too_large", _too_large(limits)
        return None
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # the parser reports a damaged file in its own words
    with z:
        infos = z.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_unpacked:
            return "zip_bomb", _bomb(declared, limits)
        budget = limits.max_unpacked
        # Deflate expands at most ~1,032 times: a small file cannot exceed the
        # budget, whatever its headers say; only its sheets need a look.
        small = len(raw) * _DEFLATE_MAX_RATIO <= limits.max_unpacked
        for info in infos:
            name = info.filename
            is_sheet = name.startswith("xl/worksheets/") or name == "content.xml"
            if not is_sheet and (small or not name.lower().endswith(".xml")
                                 or name.startswith(("xl/theme/", "docProps/"))):
                continue  # parts no parser of ours reads, or that cannot be too big
            max_row = max_col = cells = 0
            tail = b""
            try:
                for chunk in _stream(z, info, budget):
                    budget -= len(chunk)
                    if not is_sheet:
                        continue
                    data = tail + chunk
                    if name == "content.xml":
                        cells += sum(1 for m in _ODS_CELL.finditer(data) if m.start() >= len(tail))
                    else:
                        refs = _CELL_REF.findall(data)  # (a match seen twice does not change a maximum)
                        if refs:
                            letters, numbers = zip(*refs, strict=True)
                            max_col = max(max_col, *map(_col_number, set(letters)))
                            max_row = max(max_row, *map(int, numbers))
                    tail = data[-256:]
            except _TooBig:
                return "zip_bomb", _bomb(limits.max_unpacked + 1, limits)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
                return None  # damaged: the parser reports it
            # A dense reader builds the grid from A1 to the last cell.
            area = max(max_row * max_col, cells)
            if area > limits.max_cells:
                return "too_many_cells", _too_many(name, area, limits)
    return None


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


def _too_many(part: str, area: int, limits: Limits) -> str:
    sheet = part.rsplit("/", 1)[-1]
    return (f"vùng dữ liệu của một trang ({sheet}) rộng {_fmt(area)} ô, vượt giới hạn "
            f"{_fmt(limits.max_cells)} ô; dvk không đọc tệp này để khỏi cạn bộ nhớ. Đề nghị đơn vị "
            "xóa các ô có dữ liệu nằm xa bảng (thường ở cuối trang), lưu lại và gửi lại.")
