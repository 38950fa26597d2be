"""A unit's state in a period, in one vocabulary for every output: the
terminal's verdict and per-unit table, the workbook's notes and sheet Nguồn,
the report's paragraph on who reported, and JSON.

A unit is in exactly one state, so the counts of the verdict add up to the
units expected ("2/6 đơn vị hợp lệ, 1 đơn vị cần xem lại, 1 đơn vị cần sửa,
1 đơn vị chưa tổng hợp (cần sửa), 1 đơn vị chưa nộp")."""

from __future__ import annotations

from enum import StrEnum


class UnitState(StrEnum):
    """VALID: its return was used and nothing about it is open. REVIEW: used,
    with an open warning only (its figures count as the unit wrote them; the
    unit checks them). FIX: used, with an open error (values in error were left
    out). HELD: it sent a return that could not be used (unreadable, duplicate,
    other period…): nothing of it counts until it resends. MISSING: registered,
    sent nothing. Accepted findings no longer ask anything of the unit."""

    VALID = "valid"
    REVIEW = "review"
    FIX = "fix"
    HELD = "held"
    MISSING = "missing"

    @property
    def label(self) -> str:
        """As written in every output: "hợp lệ", "cần xem lại"…"""
        return _LABEL[self]

    @property
    def style(self) -> str:
        """The terminal colour of the label."""
        return _STYLE[self]


_LABEL = {
    UnitState.VALID: "hợp lệ",
    UnitState.REVIEW: "cần xem lại",
    UnitState.FIX: "cần sửa",
    UnitState.HELD: "chưa tổng hợp (cần sửa)",
    UnitState.MISSING: "chưa nộp",
}
_STYLE = {
    UnitState.VALID: "green",
    UnitState.REVIEW: "yellow",
    UnitState.FIX: "red",
    UnitState.HELD: "red",
    UnitState.MISSING: "yellow",
}
# what each state means, for legends (workbook, report)
MEANING = {
    UnitState.VALID: "báo cáo đã được tổng hợp, không còn lỗi hay cảnh báo",
    UnitState.REVIEW: "đã tổng hợp đúng như đơn vị báo cáo; có cảnh báo, đề nghị đơn vị kiểm tra lại",
    UnitState.FIX: "đã tổng hợp các giá trị đúng; giá trị có lỗi không được tính, "
                   "đề nghị đơn vị sửa và gửi lại",
    UnitState.HELD: "báo cáo không dùng được nên chưa tổng hợp; đề nghị đơn vị sửa và gửi lại",
    UnitState.MISSING: "chưa gửi báo cáo",
}
