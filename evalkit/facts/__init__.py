"""Facts: small flat statements about one subject in one period, the only input of the rules.

Plugins build them from the dataset (counting and joining happen there, never in the engine)
and declare each kind of fact they build, so rule packs can be checked against real field names.
A plugin returns its facts as `Fact` objects or, for many, as a `FactTable` (one Arrow table of
a kind's facts, as a grouped query gives them); evalkit holds every kind's facts as one table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from ..periods import Period

FactValue = int | float | str


@dataclass(frozen=True)
class FactKind:
    """A kind of fact a plugin builds: its subject kind, its fields and its evidence lists (name → meaning)."""

    name: str
    subject_kind: str  # organization, enterprise, department or cadre; or several, as "department|cadre"
    fields: Mapping[str, str]
    doc: str = ""
    evidence: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def subject_kinds(self) -> tuple[str, ...]:
        """The subject kinds, split once (a province asks for a million facts)."""
        return tuple(self.subject_kind.split("|"))

    def subject_kind_of(self, fact: Fact) -> str:
        """The subject kind of `fact`; ValueError when it is not one this kind declares."""
        kinds = self.subject_kinds
        chosen = fact.subject_kind or (kinds[0] if len(kinds) == 1 else "")
        if chosen not in kinds:
            raise ValueError(f"{self.name} fact: subject_kind {fact.subject_kind!r} is not {', '.join(kinds)}")
        return chosen

    def problem(self, fact: Fact) -> str | None:
        """What is wrong with `fact` for this kind, or None.

        A fact must carry exactly the declared fields, as numbers or text: a missing field would
        make every comparison on it false, so a rule would quietly pass instead of failing.
        """
        try:
            self.subject_kind_of(fact)
        except ValueError as error:
            return str(error)
        missing = [name for name in self.fields if name not in fact.values]
        extra = [name for name in fact.values if name not in self.fields]
        if missing or extra:
            parts = [f"lacks {', '.join(missing)}"] if missing else []
            parts += [f"has undeclared {', '.join(extra)}"] if extra else []
            return f"{self.name} fact: {' and '.join(parts)}"
        for name, value in fact.values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str)) or value != value:
                return f"{self.name} fact: {name} is {value!r}, not a number or text (flags are 0/1)"
        return None


@dataclass(slots=True)
class Fact:
    """One fact: `values` are what rules test; `evidence` names the records behind them.

    `subject_kind` is needed only when the fact's kind serves several subject kinds. Not frozen
    (nothing changes a fact once built, all the same): a province builds nearly a million, and a
    frozen dataclass takes 1.3 µs to make instead of 0.4.
    """

    kind: str
    subject: str
    period: Period
    values: Mapping[str, FactValue]
    evidence: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    subject_kind: str = ""


#: Names a fact kind may not give its fields: the engine's own (`kind`, `id`, `sid`, `_n`), the
#: fields every fact carries, and those of findings and their messages (`status`, `rule`, `pack`,
#: `count`, `evidence`). A field of one of these names was overwritten, or made the engine take
#: facts of different subjects for one.
RESERVED_FIELDS = frozenset(
    {"id", "sid", "_n", "kind", "subject", "subject_kind", "period", "year", "quarter"}
    | {"status", "rule", "pack", "count", "evidence"}
)


def reserved_field(kind: FactKind) -> str | None:
    """The first of the kind's fields whose name is reserved, starts with `_` or is not a plain
    name (conditions name fields as identifiers), if any."""
    return next(
        (name for name in kind.fields if name in RESERVED_FIELDS or name.startswith("_") or not name.isidentifier()),
        None,
    )


@dataclass(frozen=True)
class FactTable:
    """The facts of one kind as a table (pyarrow): a row per fact, with the columns `subject`,
    `period` (text: 2024 or 2024Q1), `subject_kind` (optional when the kind has one), one column
    per field of the kind (numbers or text, no blanks) and, for each evidence list the kind
    declares, an optional column `evidence:NAME` of lists of record ids."""

    kind: str
    table: object  # a pyarrow.Table (not imported here: `import evalkit` stays light)


def evidence_column(name: str) -> str:
    """The column of a `FactTable` that holds the evidence list `name`."""
    return f"evidence:{name}"


#: Fields every fact carries besides its own.
COMMON_FIELDS = {
    "subject": "the subject's id",
    "period": "the fact's period, e.g. 2024Q1",
    "year": "the period's year",
    "quarter": "the period's quarter (0 for a whole year)",
}
