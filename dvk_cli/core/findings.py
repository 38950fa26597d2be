"""Findings: every problem dvk notices, with where it was found."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_LABEL = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}


@dataclass(frozen=True, slots=True)
class Finding:
    """Made once, never changed: dataclasses.replace gives a changed copy."""

    severity: str  # error | warning | info
    rule: str  # stable identifier, e.g. "not_a_number", "MH_LOAI"
    message: str  # Vietnamese, complete sentence naming the problem
    file: str = ""
    sheet: str = ""
    cell: str = ""
    unit: str = ""  # unit code when known
    indicator: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def where(self) -> str:
        """'tệp X, trang Y, ô Z' — as much as is known."""
        parts = []
        if self.file:
            parts.append(f"tệp {self.file}")
        if self.sheet:
            parts.append(f"trang “{self.sheet}”")
        if self.cell:
            parts.append(f"ô {self.cell}")
        return ", ".join(parts)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.unit, f.file, f.rule),
    )
