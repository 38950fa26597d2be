"""The indicator catalog: loads ``catalog.toml`` (the single source of codes,
labels, units, groups, checks and report phrases) into plain objects."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

INDICATOR_TYPES = ("count", "money", "length", "percent")
_CODE_RE = re.compile(r"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b")


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    short: str
    unit: str
    type: str  # count | money | length | percent
    kind: str  # input | computed
    group: str
    parent: str | None = None
    formula: str | None = None

    @property
    def computed(self) -> bool:
        return self.kind == "computed"

    @property
    def operation(self) -> str | None:
        """'sum' or 'ratio' for computed indicators."""
        return self.formula.split(":", 1)[0].strip() if self.formula else None

    @property
    def operands(self) -> list[str]:
        """Codes a computed indicator is derived from (numerator first for ratios)."""
        if not self.formula:
            return []
        return _CODE_RE.findall(self.formula.split(":", 1)[1])


@dataclass(frozen=True)
class Sentence:
    text: str
    details: tuple[str, ...] = ()
    detail_intro: str = "trong đó"
    detail_sep: str = ", "


@dataclass(frozen=True)
class Group:
    key: str
    roman: str
    title: str
    sentences: tuple[Sentence, ...] = ()


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    expr: str
    message: str
    when: str | None = None

    @property
    def codes(self) -> list[str]:
        found = _CODE_RE.findall(self.expr + " " + (self.when or ""))
        return list(dict.fromkeys(found))

    @property
    def first_code(self) -> str:
        return _CODE_RE.findall(self.expr)[0]


@dataclass(frozen=True)
class ModelCategory:
    label: str
    code: str


@dataclass
class Catalog:
    version: int
    indicators: dict[str, Indicator]  # in form order
    groups: dict[str, Group]
    checks: list[Check]
    model_total: str
    model_exemplary: str
    model_fields: list[ModelCategory] = field(default_factory=list)
    model_kinds: list[ModelCategory] = field(default_factory=list)

    def __contains__(self, code: str) -> bool:
        return code in self.indicators

    def __getitem__(self, code: str) -> Indicator:
        return self.indicators[code]

    @property
    def codes(self) -> list[str]:
        return list(self.indicators)

    @property
    def input_codes(self) -> list[str]:
        return [c for c, i in self.indicators.items() if not i.computed]

    @property
    def computed(self) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.computed]

    def in_group(self, key: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.group == key]


def _parse(data: dict) -> Catalog:
    groups: dict[str, Group] = {}
    for g in data["groups"]:
        sentences = tuple(
            Sentence(
                text=s["text"],
                details=tuple(s.get("details", ())),
                detail_intro=s.get("detail_intro", "trong đó"),
                detail_sep=s.get("detail_sep", ", "),
            )
            for s in g.get("sentences", ())
        )
        groups[g["key"]] = Group(g["key"], g.get("roman", ""), g["title"], sentences)

    by_code: dict[str, Indicator] = {}
    for raw in data["indicators"]:
        ind = Indicator(
            code=raw["code"],
            label=raw["label"],
            short=raw.get("short", raw["label"]),
            unit=raw["unit"],
            type=raw["type"],
            kind=raw["kind"],
            group=raw["group"],
            parent=raw.get("parent"),
            formula=raw.get("formula"),
        )
        if ind.type not in INDICATOR_TYPES:
            raise ValueError(f"catalog: {ind.code} has unknown type {ind.type!r}")
        if ind.group not in groups:
            raise ValueError(f"catalog: {ind.code} has unknown group {ind.group!r}")
        if ind.code in by_code:
            raise ValueError(f"catalog: duplicate code {ind.code}")
        by_code[ind.code] = ind
    # Form order: groups in their order, indicators in file order within each.
    ordered = {
        i.code: i for key in groups for i in by_code.values() if i.group == key
    }
    for ind in ordered.values():
        for op in ind.operands:
            if op not in ordered:
                raise ValueError(f"catalog: {ind.code} uses unknown code {op}")

    checks = [
        Check(
            id=c["id"],
            severity=c.get("severity", "warning"),
            expr=c["assert"],
            message=c["message"],
            when=c.get("when"),
        )
        for c in data.get("checks", ())
    ]
    for chk in checks:
        for code in chk.codes:
            if code not in ordered:
                raise ValueError(f"catalog: check {chk.id} uses unknown code {code}")

    ml = data.get("model_list", {})
    return Catalog(
        version=int(data.get("version", 1)),
        indicators=ordered,
        groups=groups,
        checks=checks,
        model_total=ml.get("total", ""),
        model_exemplary=ml.get("exemplary", ""),
        model_fields=[ModelCategory(**f) for f in ml.get("fields", ())],
        model_kinds=[ModelCategory(**k) for k in ml.get("kinds", ())],
    )


@cache
def default_catalog() -> Catalog:
    text = resources.files("dvk_cli").joinpath("catalog.toml").read_bytes()
    return _parse(tomllib.loads(text.decode("utf-8")))


def codes_in(text: str) -> list[str]:
    """Indicator-code-like tokens in a phrase or expression, in order."""
    return _CODE_RE.findall(text)
