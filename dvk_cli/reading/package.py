"""One workbook's bytes, its zip directory read once and its parts inflated
once: the guard (guards.archive_problem) inflates every part it measures in
bounded chunks; the parts it inflated whole, and that are exactly what
zipfile would give (same size and CRC as the directory says, a local header
zipfile accepts), are kept here for the readers that come after it (the
file type, the error cells, the formulas without a value) instead of each
opening the archive and inflating them again.

A part the guard did not keep (too big, never inflated, or not exactly what
zipfile would give) is read with zipfile as before: `read` gives the same
bytes, or raises the same exception, as `zipfile.ZipFile(BytesIO(raw)).read`.
"""

from __future__ import annotations

import io
import zipfile
import zlib

KEEP_MAX = 16 * 1024 * 1024  # bytes of inflated parts kept for one file, at most

_MASK_NOT_PLAIN = 0x01 | 0x20 | 0x40  # encrypted, compressed patched data, strong encryption
_MASK_UTF_FILENAME = 0x800


class Package:
    """A workbook's bytes, and, for a zip, its archive opened once."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._zip: zipfile.ZipFile | None = None
        self.parts: dict[zipfile.ZipInfo, bytes] = {}
        self.kept = 0

    def zip(self) -> zipfile.ZipFile:
        """The archive (raises as zipfile.ZipFile(BytesIO(raw)) does)."""
        if self._zip is None:
            self._zip = zipfile.ZipFile(io.BytesIO(self.raw))
        return self._zip

    def read(self, name: str | zipfile.ZipInfo) -> bytes:
        """A part's bytes, as ZipFile.read gives them."""
        z = self.zip()
        info = name if isinstance(name, zipfile.ZipInfo) else z.getinfo(name)
        kept = self.parts.get(info)
        if kept is not None:
            return kept
        return z.read(info)

    def room(self) -> int:
        """Bytes of parts that may still be kept."""
        return KEEP_MAX - self.kept

    def keep(self, info: zipfile.ZipInfo, chunks: list[bytes]) -> None:
        """Keep a part the guard inflated whole (`chunks`), when it is
        exactly what zipfile would give and there is room."""
        if info in self.parts:
            return
        size = sum(map(len, chunks))
        if size != info.file_size or self.kept + size > KEEP_MAX:
            return
        if info.flag_bits & _MASK_NOT_PLAIN or not self._header_matches(info):
            return
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if zlib.crc32(data) != info.CRC:
            return
        self.parts[info] = data
        self.kept += size

    def _header_matches(self, info: zipfile.ZipInfo) -> bool:
        """The local header as zipfile.ZipFile.open checks it: its signature,
        and the same name as the central directory."""
        z = self._zip
        if z is None:
            return False
        start = info.header_offset
        header = self.raw[start:start + 30]
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            return False
        flags = int.from_bytes(header[6:8], "little")
        name_len = int.from_bytes(header[26:28], "little")
        name = self.raw[start + 30:start + 30 + name_len]
        try:
            text = name.decode("utf-8" if flags & _MASK_UTF_FILENAME else (getattr(z, "metadata_encoding", None) or "cp437"))
        except UnicodeDecodeError:
            return False
        return text == info.orig_filename

    def drop(self) -> None:
        """Forget the parts kept (the guard did not finish: a damaged archive)."""
        self.parts.clear()
        self.kept = 0

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        self.drop()
