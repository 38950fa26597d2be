"""The indicator catalog: loads ``catalog.toml`` (the single source of codes,
labels, units, groups, checks and report phrases) into plain objects."""

from __future__ import annotations

import dataclasses
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
    synonyms: tuple[str, ...] = ()  # other wordings of the label, matched exactly
    # The largest figure one return can plausibly hold, in the catalog unit
    # (catalog.toml [plausible_max] or the indicator's own `max`); a value
    # above it is refused, naming its cell. None: no bound (indicators made in code).
    max: float | None = None

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
    # who does the group's work ("các cấp, các ngành đã"; "{area} đã"): written
    # before the paragraph's first clause, so that every paragraph of the
    # report has its subject whichever of its sentences the figures allow
    subject: str = ""


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    expr: str
    message: str
    when: str | None = None
    missing: str = "skip_any"  # skip_any | skip_all | zero (see checks.MISSING_STRATEGIES)

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
    retired: frozenset[str] = frozenset()  # codes of older forms no longer collected
    # [report] unit_table: indicators shown as columns of the Word report's table of units
    unit_table: tuple[str, ...] = ()
    # [plausible_max]: the default `max` of an indicator of each type
    max_by_type: dict[str, float] = field(default_factory=dict)

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
        groups[g["key"]] = Group(g["key"], g.get("roman", ""), g["title"], sentences,
                                 g.get("subject", ""))

    max_by_type = {t: _bound(data.get("plausible_max", {}).get(t), f"[plausible_max] {t}")
                   for t in INDICATOR_TYPES}
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
            synonyms=tuple(raw.get("synonyms", ())),
            max=_bound(raw["max"], f"{raw['code']} max") if "max" in raw
            else max_by_type.get(raw["type"]),
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
            missing=c.get("missing", "skip_any"),
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
        unit_table=tuple((data.get("report") or {}).get("unit_table", ())),
        max_by_type=max_by_type,
    )


def _bound(raw: object, where: str) -> float:
    """A plausible maximum from the catalog: a finite number above 0."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw < 1e15:
        raise ValueError(f"catalog: {where} must be a number above 0 and below 1e15, not {raw!r}")
    return float(raw)


@cache
def default_catalog() -> Catalog:
    text = resources.files("dvk_cli.core").joinpath("catalog.toml").read_bytes()
    return _parse(tomllib.loads(text.decode("utf-8")))


def codes_in(text: str) -> list[str]:
    """Indicator-code-like tokens in a phrase or expression, in order."""
    return _CODE_RE.findall(text)


# ------------------------------------------------------------ dvk.toml extensions

class CatalogError(ValueError):
    """A dvk.toml catalog extension that cannot be applied (message in Vietnamese)."""


_NEW_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_BRACKET = re.compile(r"\[[^\[\]]*\]")


def _without_codes(text: str, gone: set[str]) -> str | None:
    """A phrase without its optional [parts] that use retired codes; None if a
    retired code is in its main text."""
    def keep(m: re.Match) -> str:
        return "" if set(_CODE_RE.findall(m.group(0))) & gone else m.group(0)

    text = _BRACKET.sub(keep, text)
    outside = _BRACKET.sub("", text)
    return None if set(_CODE_RE.findall(outside)) & gone else text


def extend_catalog(base: Catalog, raw: dict, where: str = "dvk.toml") -> Catalog:
    """The base catalog with a dvk.toml's `[catalog] retire`, `version` and
    `[[indicators]]` applied. Returns `base` itself when there is nothing to do."""
    section = raw.get("catalog") or {}
    extra = raw.get("indicators") or []
    if not isinstance(section, dict) or not isinstance(extra, list):
        raise CatalogError(f"{where}: mục [catalog] hoặc [[indicators]] không hợp lệ")
    retire = {str(c).strip().upper() for c in section.get("retire", [])}
    raised = section.get("max") or {}
    if not retire and not extra and "version" not in section and not raised:
        return base
    if not isinstance(raised, dict):
        raise CatalogError(f"{where}: [catalog] max phải là bảng mã = số tối đa, "
                           "ví dụ max = { MA_CHI_TIEU = 500000000 }")
    unknown = retire - set(base.indicators)
    if unknown:
        raise CatalogError(f"{where}: không thể bỏ mã {', '.join(sorted(unknown))}: không có trong danh mục")

    # Computed indicators lose retired operands; a ratio (or an empty sum) goes too.
    gone = set(retire)
    indicators: dict[str, Indicator] = {}
    for code, ind in base.indicators.items():
        if code in gone:
            continue
        if ind.computed and set(ind.operands) & gone:
            left = [c for c in ind.operands if c not in gone]
            if ind.operation != "sum" or not left:
                gone.add(code)
                continue
            ind = Indicator(**{**ind.__dict__, "formula": "sum: " + " + ".join(left)})
        if ind.parent in gone:
            ind = Indicator(**{**ind.__dict__, "parent": None})
        indicators[code] = ind

    groups = dict(base.groups)
    for i, item in enumerate(extra, start=1):
        if not isinstance(item, dict):
            raise CatalogError(f"{where}: [[indicators]] thứ {i} không hợp lệ")
        code = str(item.get("code", "")).strip().upper()
        label = str(item.get("label", "")).strip()
        if not _NEW_CODE.match(code):
            raise CatalogError(f"{where}: [[indicators]] thứ {i}: mã “{code}” phải viết hoa, không dấu, "
                               "có dấu gạch dưới (ví dụ CHO_SO)")
        if code in indicators or code in base.indicators:
            raise CatalogError(f"{where}: mã chỉ tiêu {code} đã có trong danh mục")
        if not label or not item.get("unit"):
            raise CatalogError(f"{where}: chỉ tiêu {code} cần label và unit")
        kind_type = str(item.get("type", "count"))
        if kind_type not in ("count", "money", "length"):
            raise CatalogError(f"{where}: chỉ tiêu {code}: type phải là count, money hoặc length")
        group = str(item.get("group", ""))
        if group not in groups:
            raise CatalogError(f"{where}: chỉ tiêu {code}: nhóm “{group}” không có; chọn một trong "
                               f"{', '.join(groups)}")
        parent = item.get("parent")
        if parent and str(parent).upper() not in indicators:
            raise CatalogError(f"{where}: chỉ tiêu {code}: parent {parent} không có trong danh mục")
        synonyms = item.get("synonyms", [])
        if not isinstance(synonyms, list):
            raise CatalogError(f"{where}: chỉ tiêu {code}: synonyms phải là danh sách")
        indicators[code] = Indicator(
            code=code, label=label, short=str(item.get("short", label)), unit=str(item["unit"]),
            type=kind_type, kind="input", group=group,
            parent=str(parent).upper() if parent else None, synonyms=tuple(map(str, synonyms)),
            max=_user_bound(item["max"], f"{where}: chỉ tiêu {code}: max") if "max" in item
            else base.max_by_type.get(kind_type),
        )
        phrase = item.get("phrase")
        if phrase:
            if "{" + code + "}" not in phrase:
                raise CatalogError(f"{where}: phrase của {code} phải chứa {{{code}}}")
            g = groups[group]
            groups[group] = dataclasses.replace(
                g, sentences=(*g.sentences, Sentence(text=str(phrase))))

    for raw_code, bound in raised.items():
        code = str(raw_code).strip().upper()
        if code not in indicators:
            raise CatalogError(f"{where}: [catalog] max: mã {code} không có trong danh mục")
        ind = indicators[code]
        indicators[code] = Indicator(**{**ind.__dict__,
                                        "max": _user_bound(bound, f"{where}: [catalog] max {code}")})

    # Phrases, checks and model categories lose what was retired.
    for key, g in list(groups.items()):
        sentences = []
        for sentence in g.sentences:
            text = _without_codes(sentence.text, gone)
            if text is None:
                continue
            details = tuple(d for d in (_without_codes(x, gone) for x in sentence.details) if d)
            sentences.append(Sentence(text, details, sentence.detail_intro, sentence.detail_sep))
        groups[key] = dataclasses.replace(g, sentences=tuple(sentences))
    ordered = {i.code: i for key in groups for i in indicators.values() if i.group == key}
    checks = [c for c in base.checks if not set(c.codes) & gone]
    return Catalog(
        version=int(section.get("version", base.version)),
        indicators=ordered,
        groups=groups,
        checks=checks,
        model_total=base.model_total if base.model_total not in gone else "",
        model_exemplary=base.model_exemplary if base.model_exemplary not in gone else "",
        model_fields=[f for f in base.model_fields if f.code not in gone],
        model_kinds=[k for k in base.model_kinds if k.code not in gone],
        retired=frozenset(base.retired | gone),
        unit_table=tuple(c for c in base.unit_table if c not in gone),
        max_by_type=base.max_by_type,
    )


def _user_bound(raw: object, where: str) -> float:
    """A plausible maximum a dvk.toml sets: a number above 0 and below 10^15."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw < 1e15:
        raise CatalogError(f"{where} phải là một số lớn hơn 0 và nhỏ hơn 10^15 (ô có số lớn hơn "
                           f"bị coi là gõ nhầm), không phải {raw!r}")
    return float(raw)


def catalog_for(config) -> Catalog:
    """The catalog a working folder uses: the default one plus its dvk.toml's extensions."""
    from dvk_cli.core.errors import UsageError

    raw = getattr(config, "raw", None) or {}
    try:
        return extend_catalog(default_catalog(), raw, str(getattr(config, "path", "") or "dvk.toml"))
    except CatalogError as exc:
        raise UsageError(str(exc)) from exc
