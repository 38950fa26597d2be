"""Who issues the report: the lines at its top left, as Hướng dẫn 36-HD/VPTW
(2018) on the form of Party documents sets them out, and its symbol.

A Ban of a party committee writes the committee on the first line (upright,
not bold) and its own name under it (bold), then "*":

    TỈNH ỦY BÌNH PHƯỚC
    BAN DÂN VẬN
         *

and numbers its documents "Số 25-BC/BDVTU". The committee's own documents
write "ĐẢNG BỘ TỈNH …" above "TỈNH ỦY": "Đảng bộ tỉnh" is never the line
above a Ban. Both the Word and the Markdown report take these lines from here."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvk_cli.core.config import Config, ConfigError, Organization

if TYPE_CHECKING:
    from dvk_cli.core.catalog import Catalog

# Words of a party committee's name ("Ban Dân vận Tỉnh ủy Bình Phước") and the
# letters they give in a document symbol ("BC/BDVTU").
LEVELS = [
    ("tỉnh ủy", "TU"), ("thành ủy", "TU"), ("thị ủy", "TU"), ("huyện ủy", "HU"),
    ("quận ủy", "QU"), ("đảng ủy", "ĐU"),
]
_LEVEL_RE = re.compile(r"\s+((" + "|".join(w for w, _ in LEVELS) + r")\b.*)$", re.IGNORECASE)
# words that give no letter in a symbol: "Ban Tuyên giáo và Dân vận" -> BTGDV
_NO_LETTER = {"và"}


def issuing_body_of(name: str) -> str:
    """'Ban Dân vận Tỉnh ủy Bình Phước' -> 'Ban Dân vận' (the committee's name
    is on the line above); a name without a committee word stays whole."""
    short = _LEVEL_RE.sub("", name.strip()).strip()
    return short or name.strip()


def superior_of(name: str) -> str:
    """'Ban Dân vận Tỉnh ủy Bình Phước' -> 'Tỉnh ủy Bình Phước': the committee
    a Ban belongs to, the first line of its documents; '' when the name holds
    no committee word (or is the committee itself)."""
    m = _LEVEL_RE.search(" " + name.strip())
    if not m or not name.strip()[: m.start()].strip():
        return ""
    committee = m.group(1).strip()
    return committee[:1].upper() + committee[1:]


def _initials(text: str) -> str:
    letters = []
    for word in text.split():
        if word.lower() in _NO_LETTER:
            continue
        first = word[0]
        if first in "đĐ":
            letters.append("Đ")
            continue
        base = unicodedata.normalize("NFD", first)[0]
        if base.isalpha():
            letters.append(base.upper())
    return "".join(letters)


def symbol_of(name: str, issuing_body: str) -> str:
    """Default document symbol: 'BC/' + initials of the issuing body + the
    committee's letters ('Ban Dân vận Tỉnh ủy Bình Phước' -> 'BC/BDVTU',
    'Ban Tuyên giáo và Dân vận Tỉnh ủy Đồng Nai' -> 'BC/BTGDVTU')."""
    suffix = ""
    m = _LEVEL_RE.search(" " + name.strip())
    if m:
        word = m.group(2).lower()
        suffix = next(s for w, s in LEVELS if w == word)
    return f"BC/{_initials(issuing_body)}{suffix}"


# ----------------------------------------------------------------- settings

_KEYS = {
    "superior": "cấp ủy cấp trên (dòng đầu, góc trái)",
    "issuing_body": "cơ quan ban hành (in đậm, dưới cấp ủy cấp trên)",
    "symbol": "ký hiệu văn bản, ví dụ BC/BDVTU",
    "number": "số văn bản (để trống cho văn thư ghi)",
    "place": "địa danh ở dòng ngày tháng",
    "date": "ngày ban hành, dạng 2024-12-15 (để trống: ngày … tháng …)",
    "signer_for": "dòng trên chức vụ người ký, ví dụ K/T TRƯỞNG BAN",
    "signer_title": "chức vụ người ký, ví dụ TRƯỞNG BAN",
    "signer_name": "họ tên người ký",
    "recipients": "danh sách nơi nhận",
    "unit_table": "mã các chỉ tiêu ở bảng số liệu theo đơn vị",
    "template": "mẫu báo cáo Word (.docx) thay cho mẫu mặc định",
}


# ----------------------------------------------------------------- settings

@dataclass(frozen=True)
class ReportSettings:
    """The `[report]` section of dvk.toml, with defaults from `[organization]`."""

    superior: str = ""
    issuing_body: str = "Ban Dân vận"
    symbol: str = "BC/BDV"
    number: str = ""
    place: str = ""
    date: dt.date | None = None
    signer_for: str = ""
    signer_title: str = "TRƯỞNG BAN"
    signer_name: str = ""
    recipients: tuple[str, ...] = ("Lưu Văn phòng",)
    unit_table: tuple[str, ...] | None = None  # None: the catalog's choice
    template: Path | None = None


def _text(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: [report] {key} phải là một chuỗi trong dấu ngoặc kép")
    return unicodedata.normalize("NFC", value.strip())


def report_settings(config: Config | None = None) -> ReportSettings:
    """Parse `[report]` of a dvk.toml; every key is optional."""
    config = config or Config()
    org: Organization = config.organization
    where = str(config.path or "dvk.toml")
    raw = (config.raw or {}).get("report", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: mục [report] không hợp lệ")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        known = "; ".join(f"{k} ({v})" for k, v in _KEYS.items())
        raise ConfigError(f"{where}: [report] không có khóa {', '.join(unknown)}. Các khóa dùng được: "
                          f"{known}")

    def get(key: str, default: str) -> str:
        return _text(raw[key], key, where) if key in raw else default

    issuing = get("issuing_body", issuing_body_of(org.name))
    date = raw.get("date")
    if isinstance(date, str) and date.strip():
        try:
            date = dt.date.fromisoformat(date.strip())
        except ValueError as exc:
            raise ConfigError(f"{where}: [report] date “{date}” phải có dạng 2024-12-15") from exc
    elif isinstance(date, dt.datetime):
        date = date.date()
    elif date in (None, ""):
        date = None
    elif not isinstance(date, dt.date):
        raise ConfigError(f"{where}: [report] date phải có dạng 2024-12-15")

    recipients = raw.get("recipients", list(ReportSettings.recipients))
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise ConfigError(f"{where}: [report] recipients phải là danh sách chuỗi, "
                          'ví dụ ["Ban Dân vận Trung ương (b/c)", "Lưu Văn phòng"]')
    unit_table = raw.get("unit_table")
    if unit_table is not None:
        if not isinstance(unit_table, list) or not all(isinstance(u, str) for u in unit_table):
            raise ConfigError(f"{where}: [report] unit_table phải là danh sách mã chỉ tiêu")
        unit_table = tuple(u.strip().upper() for u in unit_table)
    template = raw.get("template")
    if template is not None:
        template = config.folder / _text(template, "template", where)

    return ReportSettings(
        superior=get("superior", org.superior or superior_of(org.name)),
        issuing_body=issuing,
        symbol=get("symbol", symbol_of(org.name, issuing)),
        number=get("number", ""),
        place=get("place", org.place),
        date=date,
        signer_for=get("signer_for", ""),
        signer_title=get("signer_title", ReportSettings.signer_title),
        signer_name=get("signer_name", ""),
        recipients=tuple(_text(r, "recipients", where) for r in recipients if r.strip()),
        unit_table=unit_table,
        template=template,
    )


def unit_table_codes(catalog: Catalog, settings: ReportSettings) -> list[str]:
    """Indicators shown as columns of the table of units (dvk.toml, else the catalog)."""
    codes = settings.unit_table
    if codes is None:
        codes = catalog.unit_table
    return [code for code in codes if code in catalog.indicators]
