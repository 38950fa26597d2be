"""Guards for .xls files (OLE2 compound files holding a BIFF workbook),
applied before calamine parses them.

calamine walks the compound file's sector chains without remembering where
it has been: a chain that loops makes it grow a buffer without bound (a
22 KB file took all memory); a sector number beyond the FAT makes it panic;
a declared size of gigabytes makes it reserve gigabytes. Its BIFF reader
reserves room for the cells a sheet's DIMENSIONS record declares, and a
dense reader builds the grid from A1 to the last cell record.

This module walks the same structures as calamine does (header, DIFAT, FAT,
directory, mini stream, the Workbook stream), each chain with a set of the
sectors seen and a length bound, then reads the BIFF records of each sheet:
the declared and the real extent. Everything is bounded by the file's size,
which the caller has already bounded.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dvk_cli.reading.limits import Limits

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESERVED = 0xFFFFFFFA  # sector numbers from here on are markers
_ENDOFCHAIN = 0xFFFFFFFE
_DIFSECT = 0xFFFFFFFC
_STREAM_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")  # calamine's order


class BrokenStructure(Exception):
    """A compound file calamine would loop, panic or over-allocate on."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what  # Vietnamese, for the message


class _Cfb:
    """The parts of a compound file calamine reads, checked as it reads them."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        if len(raw) < 512 or not raw.startswith(MAGIC):
            raise ValueError("not a compound file")
        shift = int.from_bytes(raw[30:32], "little")
        if shift not in (9, 12) or int.from_bytes(raw[32:34], "little") != 6:
            raise ValueError("bad sector size")  # calamine refuses it cleanly
        self.size = 1 << shift
        self.base = self.size  # sector 0 starts after the header sector
        self.maxid = len(raw) // self.size  # calamine's bound on a sector number
        self.version = int.from_bytes(raw[26:28], "little")
        fat_len = int.from_bytes(raw[44:48], "little")
        mini_fat_len = int.from_bytes(raw[64:68], "little")
        # calamine reserves fat_len and (bytes 62..66, a field misread) entries.
        if fat_len > self.maxid + 1 or mini_fat_len > self.maxid + 1:
            raise BrokenStructure("bảng cấp phát (FAT) khai báo nhiều cung hơn cả tệp")
        if int.from_bytes(raw[62:66], "little") > 64 * 1024 * 1024:
            raise BrokenStructure("tiêu đề khai báo một bảng cấp phát quá lớn")
        # DIFAT: 109 entries in the header, then a chain of DIFAT sectors.
        difat = list(struct.unpack_from("<109I", raw, 76))
        seen: set[int] = set()
        sector = int.from_bytes(raw[68:72], "little")
        while sector < _RESERVED:
            if sector in seen:
                raise BrokenStructure("chuỗi cung DIFAT quay vòng")
            seen.add(sector)
            difat.extend(self._ids(sector))
            sector = difat.pop()
        self.fat: list[int] = []
        for sector in difat:
            if sector < _DIFSECT:
                self.fat.extend(self._ids(sector))
        directory = self.chain(int.from_bytes(raw[48:52], "little"), self.fat, None, "thư mục")
        self.entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
        if not self.entries:
            raise ValueError("empty directory")
        self.mini: bytes = b""
        self.mini_fat: list[int] = []
        if mini_fat_len > 0:
            root_start, root_len = self._entry(self.entries[0])
            if root_len > len(raw):
                raise BrokenStructure("luồng mini khai báo lớn hơn cả tệp")
            self.mini = self.chain(root_start, self.fat, root_len, "luồng mini")
            mini_fat = self.chain(int.from_bytes(raw[60:64], "little"), self.fat,
                                  mini_fat_len * self.size, "bảng cấp phát mini")
            self.mini_fat = list(struct.unpack_from(f"<{len(mini_fat) // 4}I", mini_fat))

    def _sector(self, sector: int) -> bytes:
        if sector > self.maxid:
            raise ValueError("sector beyond the end")  # calamine: an error, not a hang
        start = self.base + sector * self.size
        return self.raw[start:start + self.size]

    def _ids(self, sector: int) -> list[int]:
        data = self._sector(sector)
        return list(struct.unpack_from(f"<{len(data) // 4}I", data))

    def _entry(self, entry: bytes) -> tuple[int, int]:
        start = int.from_bytes(entry[116:120], "little")
        length = int.from_bytes(entry[120:124] if self.size == 512 else entry[120:128], "little")
        return start, length

    def chain(self, sector: int, fat: list[int], length: int | None, what: str,
              mini: bool = False) -> bytes:
        """The bytes of a chain as calamine gathers them (until END OF CHAIN
        or `length` bytes), refusing a loop and a sector number beyond the FAT."""
        size = 64 if mini else self.size
        maxid = self.maxid * 8 if mini else self.maxid
        out = bytearray()
        seen: set[int] = set()
        while sector != _ENDOFCHAIN:
            if sector > maxid:
                raise ValueError("sector beyond the end")
            if sector in seen:
                raise BrokenStructure(f"chuỗi cung của {what} quay vòng")
            seen.add(sector)
            if mini:
                piece = self.mini[sector * 64:sector * 64 + 64]
            else:
                piece = self._sector(sector)
            out += piece if length is None else piece[:length - len(out)]
            if length is not None and len(out) >= length:
                break
            if sector >= len(fat):
                raise BrokenStructure(f"chuỗi cung của {what} trỏ ra ngoài bảng cấp phát")
            sector = fat[sector]
            if len(seen) * size > len(self.raw) * (8 if mini else 1) + size:
                raise BrokenStructure(f"chuỗi cung của {what} dài hơn cả tệp")
        return bytes(out)

    def stream(self, name: str) -> bytes | None:
        """The first directory entry called `name`, read as calamine reads it."""
        for entry in self.entries:
            if entry[:64].decode("utf-16-le", "replace").split("\x00", 1)[0] != name:
                continue
            start, length = self._entry(entry)
            if length > len(self.raw):
                raise BrokenStructure(f"luồng {name} khai báo lớn hơn cả tệp")
            if length < 4096:
                return self.chain(start, self.mini_fat, length, f"luồng {name}", mini=True)
            return self.chain(start, self.fat, length, f"luồng {name}")
        return None


def workbook_stream(raw: bytes) -> bytes | None:
    """The BIFF workbook stream calamine would read (None when there is none
    or the file is damaged in a way calamine reports as an error).
    Raises BrokenStructure for what calamine would loop or panic on."""
    try:
        cfb = _Cfb(raw)
    except (ValueError, struct.error):
        return None
    for name in _STREAM_NAMES:
        try:
            stream = cfb.stream(name)
        except (ValueError, struct.error):
            continue  # calamine tries the next name
        if stream is not None:
            return stream
    return None


def records(stream: bytes, pos: int = 0) -> Iterator[tuple[int, int, int]]:
    """(type, data start, data end) of the BIFF records from `pos`."""
    end = len(stream)
    unpack = struct.Struct("<HH").unpack_from
    while pos + 4 <= end:
        typ, length = unpack(stream, pos)
        start = pos + 4
        pos = start + length
        if pos > end:
            return
        yield typ, start, pos


def sheet_records(stream: bytes, offset: int) -> Iterator[tuple[int, int, int]]:
    """The records of the sheet whose BOF is at `offset`, up to its EOF,
    without those of the substreams nested in it (a chart's BOF … EOF)."""
    depth = 0
    seen_bof = False
    for typ, start, end in records(stream, offset):
        if depth:
            depth += typ == 0x0809
            depth -= typ == 0x000A
            continue
        if typ == 0x0809:
            if seen_bof:
                depth = 1
                continue
            seen_bof = True
        elif typ == 0x000A:
            return
        yield typ, start, end


def sheet_offsets(stream: bytes) -> list[tuple[str, int]]:
    """(name, offset of its BOF) of each sheet the globals' BOUNDSHEET records list."""
    out = []
    for typ, start, end in records(stream):
        if typ == 0x000A:  # EOF of the globals
            break
        if typ == 0x0085:
            if end - start < 8:  # calamine indexes past its end: a panic
                raise BrokenStructure("bản ghi BOUNDSHEET quá ngắn")
            offset = int.from_bytes(stream[start:start + 4], "little")
            out.append((_sheet_name(stream[start + 6:end]), offset))
    return out


def _sheet_name(data: bytes) -> str:
    """A BOUNDSHEET name: BIFF8 ShortXLUnicodeString (BIFF5: 8-bit text)."""
    if not data:
        return ""
    n = data[0]
    if len(data) >= 2 and data[1] in (0, 1) and len(data) >= 2 + n * (1 + data[1]):
        body = data[2:2 + n * (1 + data[1])]
        return body.decode("utf-16-le" if data[1] else "latin-1", "replace")
    return data[1:1 + n].decode("cp1252", "replace")


# Records calamine turns into cells: (row, col) at the start of their data.
_CELL_RECORDS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006}
_MULRK = 0x00BD


def sheet_extent(stream: bytes, offset: int) -> tuple[int, int, int]:
    """(declared cells of DIMENSIONS, cells of the grid A1..last cell,
    number of cell records) of the sheet whose BOF is at `offset`."""
    declared = rows = cols = count = 0
    for typ, start, end in sheet_records(stream, offset):
        if typ == 0x0200:
            declared = max(declared, _dimensions(stream[start:end]))
        elif typ in _CELL_RECORDS or typ == _MULRK:
            if end - start < 4:
                continue
            row = int.from_bytes(stream[start:start + 2], "little")
            col = int.from_bytes(stream[start + 2:start + 4], "little")
            last = col
            n = 1
            if typ == _MULRK and end - start >= 6:
                n = max((end - start - 6) // 6, 1)
                last = col + n - 1
            count += n
            rows = max(rows, row + 1)
            cols = max(cols, last + 1)
    return declared, rows * cols, count


def _dimensions(data: bytes) -> int:
    """The cells calamine reserves for a DIMENSIONS record (its u32 arithmetic)."""
    if len(data) == 14:
        rf, rl = struct.unpack_from("<II", data)
        cf, cl = struct.unpack_from("<HH", data, 8)
    elif len(data) == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", data)
    else:
        return 0
    if cf > 0xFF or cl < cf:
        cf = 0
    if rl < 1 or cl < 1:
        return 1
    rows = ((rl - 1 - rf) + 1) & 0xFFFFFFFF
    cols = ((cl - 1 - cf) + 1) & 0xFFFFFFFF
    return rows * cols


def ole_problem(raw: bytes, limits: Limits) -> tuple[str, str] | None:
    """(rule, Vietnamese message) when an .xls must not be parsed; else None."""
    from dvk_cli.reading.limits import _fmt, _too_many, _too_many_total

    try:
        stream = workbook_stream(raw)
    except BrokenStructure as exc:
        return "malformed_workbook", _broken(exc.what)
    if stream is None:
        return None  # no workbook stream, or damaged: calamine reports it
    total = 0
    try:
        sheets = sheet_offsets(stream)
    except BrokenStructure as exc:
        return "malformed_workbook", _broken(exc.what)
    for name, offset in sheets:
        if offset > len(stream):
            return "malformed_workbook", _broken(f"trang “{name}” nằm ngoài luồng dữ liệu")
        declared, area, count = sheet_extent(stream, offset)
        if declared > limits.max_cells:
            return "too_many_cells", (
                f"trang “{name}” khai báo vùng dữ liệu (bản ghi DIMENSIONS) rộng {_fmt(declared)} ô, "
                f"vượt giới hạn {_fmt(limits.max_cells)} ô; dvk không đọc tệp này để khỏi cạn bộ nhớ. "
                "Đề nghị đơn vị mở bằng Excel, xóa các vùng thừa, lưu lại (nên lưu dạng .xlsx) và gửi lại.")
        area = max(area, count)
        if area > limits.max_cells:
            return "too_many_cells", _too_many(name, area, limits)
        total += area
        if total > limits.max_cells:
            return "too_many_cells", _too_many_total(total, limits)
    return None


def _broken(what: str) -> str:
    return (f"cấu trúc tệp .xls bị hỏng ({what}); đọc tệp này có thể làm treo hoặc cạn bộ nhớ nên "
            "dvk không đọc. Đề nghị đơn vị mở bằng Excel, lưu lại (nên lưu dạng .xlsx) và gửi lại.")
