"""Findings: every problem dvk notices, with where it was found, how much it
could move a published figure, and where the clerk stands with it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_LABEL = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
BLOCKING = ("error", "warning")  # what marks figures and holds a lock while open


class Status(StrEnum):
    """Where the clerk stands with a finding (DHIS2's follow-up, in our words).

    OPEN: raised by this run and not accepted. ACCEPTED: the clerk checked it
    and accepted the figure, with a reason (dvk accept). RESOLVED: an earlier
    run of the period raised it, this run no longer does (the unit resent)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return _STATUS_LABEL[self]


_STATUS_LABEL = {Status.OPEN: "Đang mở", Status.ACCEPTED: "Đã chấp nhận",
                 Status.RESOLVED: "Đã khắc phục"}


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Who accepted a finding, when, and why (recorded in the history store)."""

    why: str
    by: str
    at: str


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
    # A few words for the mark beside a figure ("[CẦN KIỂM TRA: <đơn vị> – <brief>]");
    # empty: the marks take the message's first clause.
    brief: str = ""
    value: str = ""  # the cell's text as written, for a value that was not used
    # Share of the published total the suspect value could move (0.12 = 12 %),
    # for the checks that compare a value with what was expected of it.
    impact: float | None = None
    status: Status = Status.OPEN
    accepted: Acceptance | None = None

    def to_dict(self) -> dict:
        """The JSON record (spec §6): "impact" only for the checks that score
        one, "accepted" only for an accepted finding."""
        # Field by field, in their order (what dataclasses.asdict gives,
        # without its deep copies: a national run has tens of thousands).
        data: dict = {name: getattr(self, name) for name in _FIELDS}
        data["status"] = str(self.status)
        if self.impact is None:
            del data["impact"]
        if self.accepted is None:
            del data["accepted"]
        else:
            data["accepted"] = {"why": self.accepted.why, "by": self.accepted.by,
                                "at": self.accepted.at}
        return data

    @property
    def open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def blocking(self) -> bool:
        """An open error or warning: it marks figures and holds the lock."""
        return self.status == Status.OPEN and self.severity in BLOCKING

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


_FIELDS = tuple(f.name for f in fields(Finding))
assert tuple(f.name for f in fields(Acceptance)) == ("why", "by", "at")

def impact_key(f: Finding) -> float:
    """Largest impact first; findings without one after those with one."""
    return -f.impact if f.impact is not None else 1.0


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors, then warnings, then infos; within each, open before accepted,
    the largest impact first, then by unit, file and rule."""
    return sorted(
        findings,
        key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.status != Status.OPEN,
                       impact_key(f), f.unit, f.file, f.rule),
    )
