"""Rules as data: the catalog's checks plus what a dvk.toml adds or changes,
and the checks that look across a whole run (model list, peer outliers).

A dvk.toml may, with `[[rules]]` entries of the catalog's check fields:
- add a rule (id, assert, message; optional when, severity, missing);
- redefine a rule of the catalog (same id, the fields to change);
- change a rule's severity, or turn it off: `id = "MH_LOAI"`, `severity = "error"`
  (also for dvk's own cross-unit checks: outlier_peer, unit_slip, model_*).

`[outliers]` and `[limits]` tune the peer comparison and the guards against
hostile files. Invalid entries raise ConfigError (exit code 2) in Vietnamese.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dvk_cli.checks.per_unit import (
    MISSING_STRATEGIES,
    RuleSyntaxError,
    format_message,
    parse_comparison,
    parse_side,
)
from dvk_cli.core.catalog import Catalog, Check
from dvk_cli.core.config import ConfigError
from dvk_cli.core.findings import Finding

if TYPE_CHECKING:
    from dvk_cli.checks.outlier_settings import OutlierSettings
    from dvk_cli.reading.guards import Limits

SEVERITIES = ("error", "warning", "off")
RULE_FIELDS = ("id", "assert", "when", "severity", "message", "missing")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# dvk's own checks whose severity a dvk.toml may change (value-level reading
# errors cannot be demoted: those values are not used).
BUILTIN_RULES = {
    "outlier_peer": "giá trị khác xa mức dự kiến theo các đơn vị cùng nhóm",
    "outlier_history": "giá trị khác xa mức dự kiến theo kỳ trước của chính đơn vị",
    "unit_slip": "có thể ghi nhầm đơn vị tính (đồng, nghìn đồng, tỷ đồng)",
    "model_list_mismatch": "danh sách mô hình không khớp số liệu tổng hợp",
    "model_list_longer": "danh sách mô hình dài hơn tổng số mô hình",
    "model_exemplary": "số mô hình tiêu biểu trong danh sách nhiều hơn số liệu",
    "model_category": "lĩnh vực, loại mô hình không nhận ra",
    "computed_typed": "số ghi ở dòng tự tính khác số tính lại",
}


def validate_check(check: Check, catalog: Catalog, where: str = "danh mục") -> None:
    """Raise ConfigError when a check cannot be evaluated as written."""
    name = f"{where}: quy tắc {check.id}"
    if check.severity not in ("error", "warning"):
        raise ConfigError(f"{name}: severity phải là error, warning hoặc off")
    if check.missing not in MISSING_STRATEGIES:
        raise ConfigError(f"{name}: missing phải là một trong {', '.join(MISSING_STRATEGIES)}")
    for label, expr in (("assert", check.expr), ("when", check.when)):
        if expr is None:
            continue
        try:
            for side in parse_comparison(expr)[::2]:
                parse_side(side)
        except RuleSyntaxError as exc:
            raise ConfigError(f"{name}: {label} không hợp lệ ({exc}). Ví dụ: \"A_SO <= 10 * B_SO\"") from exc
    unknown = [c for c in check.codes if c not in catalog]
    if unknown:
        raise ConfigError(f"{name} dùng mã {', '.join(unknown)} không có trong danh mục chỉ tiêu")
    if not check.codes:
        raise ConfigError(f"{name}: assert phải dùng ít nhất một mã chỉ tiêu")
    try:
        format_message(check, 1.0, 2.0, {c: 1.0 for c in check.codes})
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{name}: message chỉ được dùng {{left}}, {{right}} và mã chỉ tiêu của quy tắc "
            f"trong ngoặc nhọn ({type(exc).__name__}: {exc})") from exc


def _entries(raw: dict, where: str) -> list[dict]:
    entries = raw.get("rules", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{where}: quy tắc khai báo bằng các mục [[rules]] (mỗi mục một quy tắc)")
    for i, entry in enumerate(entries, start=1):
        extra = sorted(set(entry) - set(RULE_FIELDS))
        if extra:
            raise ConfigError(f"{where}: [[rules]] thứ {i} có khóa lạ {', '.join(extra)}; "
                              f"chỉ dùng {', '.join(RULE_FIELDS)}")
        rid = entry.get("id")
        if not isinstance(rid, str) or not _ID.match(rid):
            raise ConfigError(f"{where}: [[rules]] thứ {i} cần id viết liền, không dấu (ví dụ CHO_TOIDA)")
        for key in RULE_FIELDS:
            if key in entry and not isinstance(entry[key], str):
                raise ConfigError(f"{where}: quy tắc {rid}: {key} phải là chuỗi trong dấu ngoặc kép")
        severity = entry.get("severity")
        if severity is not None and severity not in SEVERITIES:
            raise ConfigError(f"{where}: quy tắc {rid}: severity “{severity}” không hợp lệ; "
                              "dùng error (lỗi), warning (cảnh báo) hoặc off (tắt)")
    return entries


def configure_checks(catalog: Catalog, raw: dict, where: str = "dvk.toml") -> Catalog:
    """The catalog with a dvk.toml's [[rules]] applied to its checks."""
    entries = _entries(raw, where)
    if not entries:
        return catalog
    checks = {c.id: c for c in catalog.checks}
    for entry in entries:
        rid = entry["id"]
        if rid in BUILTIN_RULES:
            if set(entry) - {"id", "severity"}:
                raise ConfigError(f"{where}: {rid} là kiểm tra có sẵn của dvk; chỉ đổi được severity")
            continue
        if rid in checks:
            changes = {"expr" if k == "assert" else k: v for k, v in entry.items() if k != "id"}
            if changes.get("severity") == "off":
                del checks[rid]
                continue
            check = dataclasses.replace(checks[rid], **changes)
        else:
            missing = [k for k in ("assert", "message") if k not in entry]
            if missing:
                raise ConfigError(f"{where}: quy tắc mới {rid} thiếu {', '.join(missing)} "
                                  "(hoặc id không trùng quy tắc nào của danh mục)")
            if entry.get("severity") == "off":
                continue
            check = Check(id=rid, severity=entry.get("severity", "warning"), expr=entry["assert"],
                          message=entry["message"], when=entry.get("when"),
                          missing=entry.get("missing", "skip_any"))
        validate_check(check, catalog, where)
        checks[rid] = check
    return dataclasses.replace(catalog, checks=list(checks.values()))


def severity_overrides(raw: dict, where: str = "dvk.toml") -> dict[str, str]:
    """Severity changes a dvk.toml asks for dvk's own checks: {rule: error|warning|off}."""
    return {e["id"]: e["severity"] for e in _entries(raw, where)
            if e["id"] in BUILTIN_RULES and "severity" in e}


def adjust_severity(findings: list[Finding], overrides: dict[str, str]) -> list[Finding]:
    """Findings with the overridden severities; those turned off are dropped."""
    out = []
    for f in findings:
        new = overrides.get(f.rule)
        if new == "off":
            continue
        out.append(dataclasses.replace(f, severity=new) if new else f)
    return out


@dataclass
class Checking:
    """How one run checks: the catalog with its rules, dvk.toml's overrides,
    the peer-outlier settings and the guards' limits."""

    catalog: Catalog
    overrides: dict[str, str] = field(default_factory=dict)
    outliers: OutlierSettings | None = None
    limits: Limits | None = None

    def review(self, result, history: Mapping[str, Mapping[str, float]] | None = None) -> None:
        """Add the cross-unit findings (model list, peers) to a consolidation;
        `history`: unit -> {code: figure} of an earlier comparable period."""
        from dvk_cli.checks.models import check_model_lists
        from dvk_cli.checks.peers import find_outliers
        from dvk_cli.core.findings import sort_findings

        extra = check_model_lists(result) + find_outliers(result, self.outliers, history)
        findings = adjust_severity(result.findings + extra, self.overrides)
        result.findings = sort_findings(explained_by_slips(findings))


def explained_by_slips(findings: list[Finding]) -> list[Finding]:
    """A value typed in the wrong unit (unit_slip) also breaks the catalog's
    plausibility rules on the same cell (over 500 triệu đồng a house): one
    problem, told once as a warning. The other warnings on that unit's
    indicator become infos that say so; none is dropped."""
    slips = {(f.unit, f.indicator) for f in findings
             if f.rule == "unit_slip" and f.severity != "info"}
    if not slips:
        return findings
    out = []
    for f in findings:
        if (f.severity == "warning" and f.rule != "unit_slip"
                and (f.unit, f.indicator) in slips):
            f = dataclasses.replace(f, severity="info", message=(
                f"{f.message} (Cùng một vấn đề với cảnh báo có thể ghi nhầm đơn vị tính của ô "
                "này.)"))
        out.append(f)
    return out


def prepare(config, catalog: Catalog) -> Checking:
    """Read and validate the checking parts of a dvk.toml (ConfigError if invalid)."""
    from dvk_cli.checks.outlier_settings import settings_from
    from dvk_cli.reading.guards import limits_from

    raw = getattr(config, "raw", None) or {}
    where = str(getattr(config, "path", None) or "dvk.toml")
    return Checking(
        catalog=configure_checks(catalog, raw, where),
        overrides=severity_overrides(raw, where),
        outliers=settings_from(raw, where),
        limits=limits_from(raw, where),
    )
