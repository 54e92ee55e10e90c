"""Rule packs: YAML files holding every rule's conditions, numbers and messages.

A pack is validated twice: its shape by pydantic when read (a bad key names the file, the rule
and the key), and its conditions against the fact kinds the loaded plugins declare (an unknown
field is refused the same way). Packs come from plugins; `--rules-dir` replaces one by name or
adds new ones.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import RulePackError
from ..facts import COMMON_FIELDS, FactKind
from ..schema import INCIDENT_CATEGORIES
from .conditions import MAX_DEPTH, MAX_NUMBER, Condition, ConditionError, parse_condition


def _plain_number(value: int | float) -> int | float:
    """A number a ledger's arithmetic can meet: finite (`.nan`, `.inf` refused) and at most 10^15."""
    if not -MAX_NUMBER <= value <= MAX_NUMBER:  # NaN compares false both ways
        raise ValueError(f"a number between -{MAX_NUMBER:.0e} and {MAX_NUMBER:.0e}, not {value!r}"[:120])
    return value


Number = Annotated[int | float, AfterValidator(_plain_number)]
#: The fields of the `finding` facts a chained rule's condition may test.
FINDING_FIELDS = {"rule", "pack", "status", "year", "quarter", "period", "subject"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in both report languages."""

    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Advice(_Strict):
    """What to do next after a failed finding: one text (`{en, zh}`), or two (`{open: {en, zh},
    ended: {en, zh}}`): `open` while the finding's period has not ended on the day the report is
    made (`--today`; it may count the days left: {days_left}, {time_left}), `ended` after."""

    en: str | None = None
    zh: str | None = None
    open: Text | None = None
    ended: Text | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Advice:
        plain = (self.en, self.zh) != (None, None)
        dated = (self.open, self.ended) != (None, None)
        if plain and dated:
            raise ValueError("advice is either {en, zh} or {open: {en, zh}, ended: {en, zh}}, not both")
        if dated and None in (self.open, self.ended):
            raise ValueError("advice needs both `open` (the period has not ended) and `ended`")
        if not dated and None in (self.en, self.zh):
            raise ValueError("advice needs both `en` and `zh`, or `open` and `ended`")
        return self

    def texts(self) -> dict[str, Text]:
        """Its templates by key: `advice` for the plain form; `advice.open` and `advice.ended`."""
        if self.open is not None and self.ended is not None:
            return {"advice.open": self.open, "advice.ended": self.ended}
        return {"advice": Text(en=self.en or "", zh=self.zh or "")}

    def text(self, ended: bool) -> Text:
        """The template for a period that has ended (`ended`) or not."""
        if self.open is not None and self.ended is not None:
            return self.ended if ended else self.open
        return Text(en=self.en or "", zh=self.zh or "")


class ChainSpec(_Strict):
    """A chained rule: fires when the engine's own findings matching `findings` fall in at least
    `at_least` distinct values of `distinct` within one value of `within`."""

    findings: str = Field(description="condition over finding fields: rule, pack, status, year, quarter")
    distinct: Literal["quarter"] = "quarter"
    within: Literal["year"] = "year"
    at_least: int | str = Field(description="a number, or the name of a parameter")


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


class IndicatorSpec(_Strict):
    """A score indicator: `weight` × min(1, numerator / denominator), both fields of the fact."""

    weight: Number = Field(gt=0)
    numerator: str
    denominator: str


class AdjustmentSpec(_Strict):
    """Points for each fact the rule's `when` matches: positive a bonus, negative a deduction."""

    points: Number
    cap: Number | None = Field(None, gt=0, description="at most this many points (either sign) from the rule")


#: The most of a quota's base that may keep its grade: the pack refuses a larger share.
MAX_QUOTA_SHARE = 0.25


def _quota_share(value: int | float) -> int | float:
    if not 0 < value <= MAX_QUOTA_SHARE:
        raise ValueError(f"a share above 0 and at most {MAX_QUOTA_SHARE} of the graded subjects, not {value}")
    return value


class QuotaSpec(_Strict):
    """At most `share` of the graded subjects of `subject_kind` keep `grade`: the limit is
    max(`at_least`, R(share × base)), R rounding down (`floor`) or half up (`half_up`), the base
    the graded subjects of the kind in one pool (`scope`: all of them, or each department's, by
    the fact's `department` field); the lowest-scoring others get `demote_to` (ties: more of the
    fact's `tie_break` keeps the grade, then the smaller id)."""

    subject_kind: str
    grade: str
    demote_to: str
    share: Annotated[Number, AfterValidator(_quota_share)] = 0.2
    at_least: int = Field(1, ge=0)
    tie_break: str
    rounding: Literal["floor", "half_up"] = "floor"
    scope: Literal["all", "department"] = "all"


BasisKind = Literal["regulation", "local_practice", "zone_method"]


class VetoCategory(_Strict):
    """Why incidents of one category veto a grade: the text cited, and what kind of text it is."""

    basis_kind: BasisKind
    basis: str = Field(min_length=1)


class VetoSpec(_Strict):
    """A veto only for incidents of the listed categories (the fact's `category` field), each with
    its basis; `veto: true` vetoes on every incident."""

    categories: dict[str, VetoCategory] = Field(min_length=1)


class UngradedSpec(_Strict):
    """When the rule's `when` matches, the subject gets no grade (不确定等次), for `reason`."""

    reason: str = Field(pattern=r"^[a-z][a-z_]*$")


class CapSpec(_Strict):
    """When the rule's `when` matches, the subject's grade is at most `grade`; `reason` names why (`capped_by`)."""

    grade: str = Field(pattern=r"^[a-z][a-z_]*$")
    reason: str = Field(pattern=r"^[a-z][a-z_]*$")


#: The roles a rule takes by having the key of the same name (a veto: `veto: true` or categories).
_KEYED_ROLES = ("chain", "indicator", "adjustment", "quota", "ungraded", "cap")


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*[0-9]+$")
    title: Text
    severity: Literal["low", "medium", "high"]
    fact: str
    when: str | None = Field(None, description="check: fails when; adjustment: counts when; veto: vetoes when")
    skip_when: str | None = None
    applies_when: str | None = Field(None, description="facts outside it get no finding at all")
    params: dict[str, Number | str] = {}
    evidence: str | None = Field(None, description="which evidence list of the fact the finding carries")
    message: dict[Literal["pass", "fail", "skip"], Text] = {}
    advice: Advice | None = Field(None, description="what to do next, for a failed finding")
    chain: ChainSpec | None = None
    only_for_year: bool = False
    indicator: IndicatorSpec | None = None
    adjustment: AdjustmentSpec | None = None
    veto: bool | VetoSpec = Field(False, description="true: every matched fact vetoes; or only listed categories")
    quota: QuotaSpec | None = None
    ungraded: UngradedSpec | None = None
    cap: CapSpec | None = None
    basis: str | None = Field(None, description="the regulation, local practice or method the rule enforces, quoted")
    basis_kind: BasisKind | None = None

    @property
    def role(self) -> str:
        """check, chain (compliance packs); indicator, adjustment, veto, quota, ungraded, cap (score packs)."""
        for role in _KEYED_ROLES:
            if getattr(self, role) is not None:
                return role
        return "veto" if self.veto else "check"

    @model_validator(mode="after")
    def _one_role(self) -> RuleSpec:
        roles = [r for r in _KEYED_ROLES if getattr(self, r) is not None]
        if self.veto:
            roles.append("veto")
        if len(roles) > 1:
            raise ValueError(f"a rule has one role, not {' and '.join(roles)}")
        needs_when = self.role in ("check", "adjustment", "veto", "ungraded", "cap")
        if needs_when != (self.when is not None):
            raise ValueError(f"{_a(self.role)} rule {'needs a' if needs_when else 'takes no'} `when` condition")
        if self.role in ("check", "chain") and not self.message:
            raise ValueError("a check rule needs a `message` for pass and fail")
        return self


class Band(_Strict):
    """A grade band: totals of at least `at_least` get `grade` (the lowest band has no floor)."""

    grade: str = Field(pattern=r"^[a-z][a-z_]*$")
    at_least: Number | None = None
    label: Text
    committee: bool = Field(False, description="the assessment committee confirms this grade (marked †)")


class ScoringSpec(_Strict):
    """How a score pack turns points into totals and grades."""

    deduction_cap: Number = Field(ge=0, description="deductions together take at most this many points")
    min_total: Number = 0
    max_total: Number
    grades: dict[str, list[Band]] = Field(description="subject kind → bands, highest first")
    veto_rank: Literal["last", "by_total"] = Field(
        "last", description="last: vetoed subjects ranked after all others; by_total: by total alone"
    )


class TableSpec(_Strict):
    """A compliance pack's table in the assessment (e.g. branches, chains)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    quarters: bool = Field(False, description="count checked and compliant quarters")
    columns: list[str] = Field([], description="rule ids shown in the text table, besides the quarter counts")


class PackSpec(_Strict):
    pack: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    title: Text
    kind: Literal["compliance", "score"] = "compliance"
    settings: dict[str, Number | str | dict[str, Any]] = Field(
        {}, description="numbers and texts the pack's plugin reads; a mapping is a time limit (`TIME_UNITS`)"
    )
    scoring: ScoringSpec | None = None
    table: TableSpec | None = None
    needs: list[str] = Field(
        [], description="record types the pack judges: without a file or sheet of each, the pack is left out"
    )
    max_waiver_days: int | None = Field(
        None,
        ge=1,
        description="a waiver of one of its rules may hold at most this many days from approved_on to expires_on",
    )
    rules: list[RuleSpec]


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its conditions parsed, ready for the engine adapter."""

    spec: RuleSpec
    pack: str
    when: Condition | None  # `when`, and not `skip_when`, and `applies_when`
    skip: Condition | None
    applies: Condition | None
    chain_findings: Condition | None = None
    chain_count: int = 0
    role: str = field(init=False)  # the spec's role, computed once: the engine loops ask it per fact

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", self.spec.role)


@dataclass(frozen=True)
class Pack:
    spec: PackSpec
    source: str  # the file it was read from
    origin: str  # the plugin that provided it, or "--rules-dir"
    sha256: str

    @property
    def name(self) -> str:
        return self.spec.pack


#: libyaml's loader where PyYAML was built with it (a tenth of the time: 3 ms for the shipped
#: packs, 30 in Python, on every run), else PyYAML's own; both load the same safe subset of YAML.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_pack(path: str | Path, origin: str) -> Pack:
    """Read and shape-check one pack file."""
    path = Path(path)
    try:
        content = path.read_bytes()
        data = yaml.load(content.decode("utf-8"), Loader=_YAML_LOADER)
        if not isinstance(data, dict):
            raise RulePackError(f"{path}: a rule pack is a mapping with keys pack, version, title, rules")
        spec = PackSpec.model_validate(data)
    except ValidationError as error:
        raise RulePackError(_describe(path, data, error)) from None
    except (OSError, ValueError, yaml.YAMLError) as error:  # ValueError: undecodable, a 5000-digit number
        if "maximum nesting depth" in str(error):  # libyaml's limit (1,000 levels)
            raise RulePackError(f"{path}: not a rule pack: nested too deeply to read") from None
        raise RulePackError(f"{path}: not a readable YAML rule pack ({str(error)[:200]})") from None
    except RecursionError:  # YAML or the model nested too deep for Python: no pack is
        raise RulePackError(f"{path}: not a rule pack: nested too deeply to read") from None
    _check_pack(path, spec)
    return Pack(spec, str(path), origin, hashlib.sha256(content).hexdigest())


#: The roles of the rules that feed scores; the decisions of all but quota come from the engine.
SCORE_ROLES = ("indicator", "adjustment", "veto", "quota", "ungraded", "cap")
#: The score roles whose rules the engine decides fact by fact (a quota ranks what they decided).
DECIDED_ROLES = tuple(role for role in SCORE_ROLES if role != "quota")
_ROLES = {"compliance": ("check", "chain"), "score": SCORE_ROLES}
#: A setting that is a mapping is a time limit, `{unit: N}`: one of these units, N a whole number
#: from 1 to `MAX_TIME_LIMIT` (working days are China's, `evalkit.workdays`).
TIME_UNITS = ("hours", "days", "working_days")
MAX_TIME_LIMIT = 1000
#: The time-limit settings whose units are narrower, and the plain setting each replaces (a pack
#: has one or the other; without the time limit the plain setting holds, as before).
TIME_LIMITS = {
    "accept_within": (("hours", "working_days"), "accept_hours"),
    "resolve_within": (("days", "working_days"), "time_limit_days"),
}


def _check_pack(path: Path, spec: PackSpec) -> None:
    """What pydantic cannot see rule by rule: ids, roles per pack kind, bands, tables.

    Indicator weights need not sum to 100, in a pack or across packs: a subject's base is
    renormalised over the weights of its applicable indicators, whatever pack each comes from
    (`effective_weights`)."""
    _check_time_limits(path, spec.settings)
    ids = [rule.id for rule in spec.rules]
    for rule in spec.rules:
        if ids.count(rule.id) > 1:
            raise RulePackError(f"{path}: rule {rule.id}: the id is used twice in this pack")
        if rule.role not in _ROLES[spec.kind]:
            raise RulePackError(
                f"{path}: rule {rule.id}: a {spec.kind} pack has {' or '.join(_ROLES[spec.kind])} rules, "
                f"not {_a(rule.role)} rule"
            )
    if spec.scoring is not None:
        if spec.kind != "score":
            raise RulePackError(f"{path}: key scoring: only a score pack has a scoring section")
        for subject_kind, bands in spec.scoring.grades.items():
            floors = [band.at_least for band in bands]
            if not bands or floors[-1] is not None or None in floors[:-1] or floors[:-1] != sorted(floors[:-1])[::-1]:
                raise RulePackError(
                    f"{path}: key scoring.grades.{subject_kind}: bands go from the highest `at_least` down, "
                    "and only the last (lowest) band has no `at_least`"
                )
    if spec.table is not None:
        if spec.kind != "compliance":
            raise RulePackError(f"{path}: key table: only a compliance pack has a table")
        for column in spec.table.columns:
            if column not in ids:
                raise RulePackError(f"{path}: key table.columns: {column} is not a rule of this pack")


def _check_time_limits(path: Path, settings: dict[str, object]) -> None:
    """Each mapping setting is one time limit of a unit its key allows, and replaces a plain setting
    rather than sitting beside it (which of the two holds would be a guess)."""
    for key, value in settings.items():
        named = TIME_LIMITS.get(key)
        if named is not None and not isinstance(value, dict):
            raise RulePackError(f"{path}: key settings.{key}: a time limit such as {{{named[0][-1]}: 5}}")
        if not isinstance(value, dict):
            continue
        units = named[0] if named else TIME_UNITS
        forms = " or ".join(f"{{{unit}: N}}" for unit in units)
        if len(value) != 1 or next(iter(value)) not in units:
            raise RulePackError(f"{path}: key settings.{key}: a time limit is {forms}, not {_shown(value)}")
        count = next(iter(value.values()))
        if type(count) is not int or not 1 <= count <= MAX_TIME_LIMIT:
            raise RulePackError(
                f"{path}: key settings.{key}: N is a whole number from 1 to {MAX_TIME_LIMIT}, not {_shown(count)}"
            )
        if named is not None and named[1] in settings:
            raise RulePackError(
                f"{path}: key settings.{key}: replaces settings.{named[1]}; keep one of the two (without {key}, "
                f"{named[1]} holds as before)"
            )


def _shown(value: object) -> str:
    """A setting's value as a short YAML-like text for an error message."""
    return (json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict) else repr(value))[:80]


def _describe(path: Path, data: dict, error: ValidationError) -> str:
    lines = [f"{path}: invalid rule pack"]
    for item in error.errors():
        loc = list(item["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rules = data.get("rules") or []
            rule = rules[loc[1]] if loc[1] < len(rules) and isinstance(rules[loc[1]], dict) else {}
            where = f"rule {rule.get('id', '#' + str(loc[1] + 1))}: "
            loc = loc[2:]
        key = ".".join(str(part) for part in loc) or "(the rule itself)"
        lines.append(f"  {where}key {key}: {item['msg']}")
    return "\n".join(lines)


def merge_packs(provided: list[Pack], overrides: list[Pack]) -> list[Pack]:
    """Plugins' packs, with `--rules-dir` packs replacing those of the same name or added."""
    by_name: dict[str, Pack] = {}
    for pack in provided:
        if pack.name in by_name:
            raise RulePackError(
                f"pack {pack.name} is provided twice: by {by_name[pack.name].origin} and by {pack.origin}"
            )
        by_name[pack.name] = pack
    for pack in overrides:
        by_name[pack.name] = pack
    return sorted(by_name.values(), key=lambda p: p.name)


def read_rules_dir(folder: str | Path) -> list[Pack]:
    folder = Path(folder)
    if not folder.is_dir():
        raise RulePackError(f"{folder}: not a folder of rule packs")
    return [read_pack(path, "--rules-dir") for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))]


def compile_packs(packs: list[Pack], fact_kinds: dict[str, FactKind]) -> list[CompiledRule]:
    """Check every rule against the declared fact kinds and parse its conditions."""
    owners: dict[str, Pack] = {}
    compiled = []
    for pack in packs:
        for rule in pack.spec.rules:
            if rule.id in owners:
                other = owners[rule.id]
                raise RulePackError(
                    f"rule {rule.id} is defined twice: in pack {other.name} ({other.origin}) "
                    f"and in pack {pack.name} ({pack.origin})"
                )
            owners[rule.id] = pack
            compiled.append(_compile_rule(pack, rule, fact_kinds))
    return compiled


def _compile_rule(pack: Pack, rule: RuleSpec, fact_kinds: dict[str, FactKind]) -> CompiledRule:
    def fail(key: str, why: str) -> RulePackError:
        return RulePackError(f"{pack.source}: rule {rule.id}: key {key}: {why}")

    kind = fact_kinds.get(rule.fact)
    if kind is None:
        raise fail("fact", f"unknown fact kind {rule.fact!r} (known: {', '.join(sorted(fact_kinds))})")
    fields = {**COMMON_FIELDS, **kind.fields}

    def parse(key: str, text: str | None, known: set[str] | dict = fields, depth=MAX_DEPTH) -> Condition | None:
        if text is None:
            return None
        try:
            return parse_condition(text, rule.params, known.__contains__, depth)
        except ConditionError as error:
            raise fail(key, str(error)) from None

    skip, applies = parse("skip_when", rule.skip_when), parse("applies_when", rule.applies_when)
    parse("when", rule.when)  # alone first, so an error quotes the text the author wrote
    if isinstance(rule.veto, VetoSpec):
        _check_veto_categories(rule.veto, kind, fail)
    when = parse("when", _without_skip(rule), depth=MAX_DEPTH + 3)  # `and not (skip)`, categories: levels more
    templates = {f"message.{status}": text for status, text in rule.message.items()}
    templates |= rule.advice.texts() if rule.advice else {}
    for key, text in templates.items():
        # {days_left} and {time_left} depend on the day the report is made: only advice for a period not ended
        counting = {"days_left", "time_left"} - set(rule.params) - set(fields) if key != "advice.open" else set()
        for lang in ("en", "zh"):
            _check_template(text(lang), rule.params, lambda why, k=f"{key}.{lang}": fail(k, why), counting)
    if rule.evidence is not None and rule.evidence not in kind.evidence:
        raise fail("evidence", f"unknown evidence {rule.evidence!r} of fact {rule.fact}")
    named = {"indicator.numerator": rule.indicator and rule.indicator.numerator}
    named |= {"indicator.denominator": rule.indicator and rule.indicator.denominator}
    named |= {"quota.tie_break": rule.quota and rule.quota.tie_break}
    named |= {"quota.scope": rule.quota and rule.quota.scope == "department" and "department"}
    for key, name in named.items():
        if name and name not in kind.fields:
            raise fail(key, f"{name!r} is not a field of fact {rule.fact}")
    if rule.chain is None:
        return CompiledRule(rule, pack.name, when, skip, applies)
    count = rule.chain.at_least
    if isinstance(count, str):
        if not isinstance(rule.params.get(count), int):
            raise fail("chain.at_least", f"{count!r} is not a whole-number parameter of the rule")
        count = rule.params[count]
    if not 1 <= count <= 4:
        raise fail("chain.at_least", "must be between 1 and 4 (quarters of a year)")
    findings = parse("chain.findings", rule.chain.findings, FINDING_FIELDS)
    return CompiledRule(rule, pack.name, None, skip, applies, findings, count)


def _check_veto_categories(veto: VetoSpec, kind: FactKind, fail) -> None:
    """A veto by category needs the fact's `category` field, and categories incidents can have."""
    if "category" not in kind.fields:
        raise fail("veto.categories", f"fact {kind.name} has no `category` field to choose incidents by")
    for category in veto.categories:
        if category not in INCIDENT_CATEGORIES:
            close = difflib.get_close_matches(category, list(INCIDENT_CATEGORIES), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            known = ", ".join(INCIDENT_CATEGORIES)
            raise fail(f"veto.categories.{category}", f"not an incident category (known: {known}){hint}")


def _without_skip(rule: RuleSpec) -> str | None:
    """The `when` condition as the engine gets it: it matches only where the rule is not skipped,
    and for a veto by category only for incidents of those categories (the engine decides that too)."""
    if rule.when is None:
        return None
    parts = [f"({rule.when})"]
    if isinstance(rule.veto, VetoSpec):
        parts.append("(" + " or ".join(f'category == "{category}"' for category in rule.veto.categories) + ")")
    if rule.skip_when:
        parts.append(f"not ({rule.skip_when})")
    if rule.applies_when:
        parts.append(f"({rule.applies_when})")
    return " and ".join(parts)


#: A placeholder's format: alignment and a width of at most 100 for any value; for numbers also
#: a thousands separator and a precision, as fixed point (`f`) or percent (`%`): `{rate:.0%}`.
_FORMAT = re.compile(r"(?P<align>[<>^])?(?P<width>\d{1,3})?(?P<number>,?(?:\.\d{1,2})?[f%]?)")
#: The placeholders every message (and advice: its last day and time left) has that are text (the
#: others: numbers or a fact's fields).
_TEXT_PLACEHOLDERS = {"period", "last_day", "evidence", "quarters", "due", "time_left"}


def _check_template(template: str, params: dict, fail, refused: frozenset[str] | set[str] = frozenset()) -> None:
    """Templates may only name values (`{period}`), never reach into them (`{x.__class__}`), and
    format them only in the ways `_FORMAT` allows: a message never fails to render. The names
    `refused` have no value in this template (the days left, but in `advice.open`)."""
    try:
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not name.isidentifier() or conversion:
                raise fail(f"placeholder {{{name}}} must be a plain name")
            if name in refused:
                raise fail(
                    f"placeholder {{{name}}} counts the days left before the period ends: only advice.open "
                    "(the advice while the period has not ended) may use it"
                )
            form = _FORMAT.fullmatch(spec or "")
            textual = name in _TEXT_PLACEHOLDERS or isinstance(params.get(name), str)
            if not form or int(form["width"] or 0) > 100 or (textual and form["number"]):
                allowed = "a width of at most 100" + ("" if textual else ", a precision and f or %, as {rate:.0%}")
                raise fail(f"placeholder {{{name}:{spec}}}: its format may only be {allowed}")
    except ValueError as error:
        raise fail(f"not a valid message template ({error})") from None


def check_scoring(packs: list[Pack], rules: list[CompiledRule], fact_kinds: dict[str, FactKind]) -> ScoringSpec | None:
    """The one scoring section the score rules use, checked against their subjects and grades."""
    with_scoring = [pack for pack in packs if pack.spec.scoring is not None]
    if len(with_scoring) > 1:
        names = " and ".join(f"{p.name} ({p.source})" for p in with_scoring)
        raise RulePackError(f"two packs define scoring: {names}; override one with --rules-dir")
    scored = [rule for rule in rules if rule.spec.role in SCORE_ROLES]
    if not with_scoring:
        if scored:
            raise RulePackError(f"rule {scored[0].spec.id}: no pack defines scoring (bands, caps) for it")
        return None
    pack = with_scoring[0]
    grades = pack.spec.scoring.grades
    for rule in scored:
        spec = rule.spec
        if spec.role == "indicator":
            for subject_kind in fact_kinds[spec.fact].subject_kinds:
                if subject_kind not in grades:
                    raise RulePackError(
                        f"{pack.source}: key scoring.grades: no bands for {subject_kind}, scored by rule {spec.id}"
                    )
        if spec.role == "cap":
            for subject_kind in fact_kinds[spec.fact].subject_kinds:
                names = {band.grade for band in grades.get(subject_kind, [])}
                if spec.cap.grade not in names:
                    raise RulePackError(
                        f"rule {spec.id}: key cap.grade: {spec.cap.grade!r} is not a grade of "
                        f"{subject_kind} ({', '.join(sorted(names)) or 'none defined'})"
                    )
        if spec.role == "quota":
            names = {band.grade for band in grades.get(spec.quota.subject_kind, [])}
            for key in ("grade", "demote_to"):
                if getattr(spec.quota, key) not in names:
                    raise RulePackError(
                        f"rule {spec.id}: key quota.{key}: {getattr(spec.quota, key)!r} is not a grade of "
                        f"{spec.quota.subject_kind} ({', '.join(sorted(names)) or 'none defined'})"
                    )
    return pack.spec.scoring


def effective_weights(rules: Sequence[CompiledRule], fact_kinds: dict[str, FactKind]) -> dict[str, dict[str, Fraction]]:
    """Each indicator rule's share of the base, out of 100, for each subject kind it scores.

    The base is 100 × Σ points / Σ weights of a subject's applicable indicators, from every pack
    alike; with all of them applicable an indicator counts for its weight × 100 / the sum of the
    weights of the loaded indicator rules scoring that kind (SVC01 of weight 20 beside a plugin's
    indicator of weight 10: 20 × 100 / 110). Rule id → subject kind → effective weight (exact).
    """
    indicators = [rule for rule in rules if rule.role == "indicator"]
    totals: dict[str, Fraction] = {}
    for rule in indicators:
        for kind in fact_kinds[rule.spec.fact].subject_kinds:
            totals[kind] = totals.get(kind, Fraction(0)) + Fraction(str(rule.spec.indicator.weight))
    return {
        rule.spec.id: {
            kind: Fraction(str(rule.spec.indicator.weight)) * 100 / totals[kind]
            for kind in fact_kinds[rule.spec.fact].subject_kinds
        }
        for rule in indicators
    }


def diff_packs(defaults: list[Pack], used: list[Pack]) -> list[str]:
    """What the packs in use change from the shipped ones: packs added or replaced, and within a
    replaced pack every setting and rule key that differs (old → new)."""
    shipped = {pack.name: pack for pack in defaults}
    lines = []
    for pack in used:
        old = shipped.get(pack.name)
        if old is None:
            lines.append(f"pack {pack.name}: added from {pack.source} (version {pack.spec.version})")
            continue
        if old.sha256 == pack.sha256:
            continue
        lines.append(f"pack {pack.name}: replaced by {pack.source} (version {old.spec.version} → {pack.spec.version})")
        before, after = _flat(old.spec), _flat(pack.spec)
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                lines.append(f"  {key}: {before.get(key, '(none)')} → {after.get(key, '(none)')}")
    return lines


def _flat(spec: PackSpec) -> dict[str, object]:
    """Pack keys as dotted paths, rules by id (`OPF03.params.min_activities`)."""
    data = spec.model_dump(exclude_none=True)
    rules = {rule["id"]: rule for rule in data.pop("rules")}
    flat: dict[str, object] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            flat[prefix] = value

    walk("", {key: value for key, value in data.items() if key not in ("pack", "version")})
    walk("", rules)
    return flat
