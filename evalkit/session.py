"""A configured evalkit: plugins loaded, packs read and compiled, ready to load and evaluate data.

This is the library's entry point; the CLI is a thin layer over it:

    session = Session(rules_dir="my_rules")
    dataset = session.load("sample_data")
    result = session.check(dataset, Period.parse("2024"))
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from .errors import PluginError, RulePackError
from .facts import Fact, FactKind, FactTable, reserved_field
from .periods import Period
from .plugins import PluginFailure, Plugins
from .rules.evaluate import NO_WAIVERS, Evaluation, RuleError, RunError, evaluate, unused_waivers
from .rules.findings import Findings
from .rules.packs import CompiledRule, Pack, check_scoring, compile_packs, merge_packs, read_pack, read_rules_dir
from .schema import CORE_RECORD_TYPES, RecordType
from .score.assessment import Assessment, assess

if TYPE_CHECKING:
    from .load import Dataset
    from .schema import Limits


class Session:
    def __init__(
        self,
        modules: Iterable[str] = (),
        blocked: Iterable[str] = (),
        plugins_dir: str | Path | None = None,
        rules_dir: str | Path | None = None,
        autoload: bool | None = None,
    ):
        modules, blocked = tuple(modules), tuple(blocked)
        if autoload is None:
            autoload = not os.environ.get("EVALKIT_DISABLE_PLUGIN_AUTOLOAD")
        #: What makes this session again, in another process or on another machine (a shard's task,
        #: shards.py): its folders absolute, autoload decided here.
        self.recipe = {
            "modules": modules,
            "blocked": blocked,
            "plugins_dir": plugins_dir and str(Path(plugins_dir).resolve()),
            "rules_dir": rules_dir and str(Path(rules_dir).resolve()),
            "autoload": autoload,
        }
        self.plugins = Plugins(modules, blocked, plugins_dir, autoload)
        self.record_types = list(CORE_RECORD_TYPES)
        for _, types in self.plugins.call("evalkit_record_types", RecordType):
            self.record_types += types
        self.fact_kinds: dict[str, FactKind] = {}
        self.fact_kind_plugin: dict[str, str] = {}
        for plugin, kinds in self.plugins.call("evalkit_fact_kinds", FactKind):
            for kind in kinds:
                if (name := reserved_field(kind)) is not None:
                    raise PluginError(f"plugin {plugin}: fact kind {kind.name}: field {name!r} is reserved")
                if kind.name == "finding":
                    raise PluginError(
                        f"plugin {plugin}: fact kind finding: the name is reserved (chained rules' facts)"
                    )
                if kind.name in self.fact_kinds:
                    first = self.fact_kind_plugin[kind.name]
                    raise PluginError(f'fact kind "{kind.name}" is declared by two plugins: {first} and {plugin}')
                self.fact_kinds[kind.name] = kind
                self.fact_kind_plugin[kind.name] = plugin
        provided = [
            read_pack(path, plugin) for plugin, paths in self.plugins.call("evalkit_rule_packs", Path) for path in paths
        ]
        self.packs: list[Pack] = merge_packs(provided, read_rules_dir(rules_dir) if rules_dir else [])
        self._check_needs()
        self.rules = compile_packs(self.packs, self.fact_kinds)
        self.scoring = check_scoring(self.packs, self.rules, self.fact_kinds)

    @staticmethod
    def working_days(packs: Iterable[Pack]) -> int | None:
        """The longest time limit in working days among the settings of `packs` (None: none counts
        working days, and the working-day calendar is not used)."""
        limits = [
            value["working_days"]
            for pack in packs
            for value in pack.spec.settings.values()
            if isinstance(value, dict) and "working_days" in value
        ]
        return max(limits, default=None)

    def calendar(self, dataset: Dataset, packs: Iterable[Pack]) -> dict | None:
        """The working-day calendar a report of `packs` names (`Calendar.describe`): None when
        none of them counts working days."""
        return dataset.describe_calendar() if self.working_days(packs) is not None else None

    def _check_needs(self) -> None:
        """A pack's `needs` names record types that exist (a misspelt one would leave it out for good)."""
        known = {record_type.name for record_type in self.record_types}
        for pack in self.packs:
            for name in pack.spec.needs:
                if name not in known:
                    raise RulePackError(
                        f"{pack.source}: key needs: {name!r} is not a record type (known: {', '.join(sorted(known))})"
                    )

    def active_packs(self, dataset: Dataset) -> list[Pack]:
        """The packs that judge `dataset`: all but those whose `needs` name a record type it has no
        file or sheet of (`ledgers`; a header-only file counts: the ledger is kept, and empty). A pack left out
        has no findings, no table and is not listed in the reports, as if it were not loaded."""
        return [pack for pack in self.packs if all(name in dataset.ledgers for name in pack.spec.needs)]

    def check_engine(self) -> None:
        """Refuse, before any data is read, rules the engine would not take: a rule whose
        conditions expand past durable-rules' limits, or more rules than it takes at once."""
        from .rules.engine import RuleEngine
        from .rules.evaluate import engine_rules, engines

        refusals = (engine.refusal() for engine in engines(engine_rules(self.rules)).values())
        error = next((refusal for refusal in refusals if refusal is not None), None)
        if error is None:  # the engines as evaluation makes them, one per fact kind, all taken
            return
        for rule in self.rules:
            if RuleEngine(engine_rules([rule])).refusal() is not None:
                raise RulePackError(
                    f"{self._pack(rule.pack).source}: rule {rule.spec.id}: its conditions are more than the rule "
                    f"engine takes ({error}); simplify them or split the rule"
                )
        raise RulePackError(f"the {len(self.rules)} rules loaded are more than the rule engine takes at once ({error})")

    def load(
        self,
        folder: str | Path,
        limits: Limits | None = None,
        threads: int | None = None,
        partial: bool = False,
        shard_read: Callable[[int, int], None] | None = None,
        shard: str | None = None,
    ) -> Dataset:
        """Load and validate a dataset, with the plugins' record types and the loaded rule ids
        (`limits`: how much of a file is read before it is refused, by default `Limits()`;
        `threads`: how many DuckDB may use, by default one per core; `partial`: one branch's own
        ledger, whose references to subjects it does not hold are notes, not problems;
        `shard_read(done, total)`: told as each shard of a folder of shards is read; `shard`: only
        that shard of a folder of shards, as its task reads it, shards.py)."""
        from .load import load_dataset

        known_rules = {rule.spec.id for rule in self.rules}
        return load_dataset(
            folder, self.record_types, known_rules, limits, threads, partial, self.waiver_days(), shard_read, shard
        )

    def waiver_days(self) -> dict[str, int]:
        """Rule id → the max_waiver_days of its pack, for the rules of packs that set one."""
        most = {pack.name: pack.spec.max_waiver_days for pack in self.packs if pack.spec.max_waiver_days}
        return {rule.spec.id: most[rule.pack] for rule in self.rules if rule.pack in most}

    def facts(self, dataset: Dataset, period: Period, kinds: set[str] | None = None) -> dict:
        """The facts the plugins build for `period`, as one table per kind (`factset`); with
        `kinds`, only from plugins declaring one of them. A plugin's facts of a kind it does not
        declare, or unsound, are reported with its name (only the subjects concerned are lost).

        Plugins are told which evidence lists the loaded rules read (`evidence`, kind → names), so
        they may skip building the others: only a rule's `evidence:` key reads a list. When a pack
        counts working days, their table is in the dataset's connection first (`evalkit.workdays`);
        a deadline in a year no calendar covers stops the run there (`CalendarError`)."""
        from .facts import factset

        active = self.active_packs(dataset)  # a pack left out neither counts working days nor has settings
        users = {rule.pack for rule in self.rules if kinds is None or rule.spec.fact in kinds}
        if (working_days := self.working_days(p for p in active if p.name in users)) is not None:
            from .workdays import register_days

            register_days(dataset, period, working_days)
        settings = MappingProxyType({pack.name: MappingProxyType(dict(pack.spec.settings)) for pack in active})
        read: dict[str, set[str]] = defaultdict(set)
        for rule in self.rules:
            if rule.spec.evidence:
                read[rule.spec.fact].add(rule.spec.evidence)
        evidence = MappingProxyType({kind: frozenset(read[kind]) for kind in self.fact_kinds})
        wanted = None if kinds is None else {self.fact_kind_plugin[kind] for kind in kinds}
        tables: dict[str, list] = defaultdict(list)
        for plugin, produced in self.plugins.call(
            "evalkit_facts",
            (Fact, FactTable),
            only=wanted,
            dataset=dataset,
            period=period,
            settings=settings,
            evidence=evidence,
        ):
            undeclared = next((f.kind for f in produced if self.fact_kind_plugin.get(f.kind) != plugin), None)
            if undeclared is not None:
                error = f'built facts of kind "{undeclared}", which it does not declare (evalkit_fact_kinds)'
                self.plugins.failures.append(PluginFailure(plugin, error))
                continue
            try:
                for kind, table in self._sound_facts(plugin, produced, factset):
                    tables[kind].append(table)
            except factset.UnsoundFacts as error:
                self.plugins.failures.append(PluginFailure(plugin, str(error), error.subjects))
        import pyarrow as pa

        return {
            kind: factset.ordered(dataset.connection, self.fact_kinds[kind], pa.concat_tables(found))
            for kind, found in sorted(tables.items())
        }

    def _sound_facts(self, plugin: str, produced: list, factset) -> list[tuple[str, object]]:
        """The plugin's facts as tables by kind: `Fact`s of the subjects whose facts are all
        sound (the others reported, by error), `FactTable`s checked whole."""
        facts = [item for item in produced if isinstance(item, Fact)]
        broken: dict[str, list[str]] = defaultdict(list)  # error → subjects
        for fact in facts:
            error = self.fact_kinds[fact.kind].problem(fact)
            if error is not None:
                broken[error].append(fact.subject)
        for error, subjects in sorted(broken.items()):
            self.plugins.failures.append(PluginFailure(plugin, error, tuple(sorted(set(subjects)))))
        dropped = {subject for subjects in broken.values() for subject in subjects}
        by_kind: dict[str, list[Fact]] = defaultdict(list)
        for fact in facts:
            if fact.subject not in dropped:
                by_kind[fact.kind].append(fact)
        tables = [(kind, factset.from_facts(self.fact_kinds[kind], found)) for kind, found in by_kind.items()]
        return tables + [
            (item.kind, factset.from_table(self.fact_kinds[item.kind], item))
            for item in produced
            if isinstance(item, FactTable)
        ]

    def check(
        self,
        dataset: Dataset,
        period: Period,
        subjects: set[str] | None = None,
        kinds=("compliance",),
        waivers: bool = True,
    ) -> Evaluation:
        """Evaluate the rules of the active packs of `kinds` and return the findings and run errors
        (without `waivers`: the audit view, as if the dataset had none)."""
        active = {pack.name for pack in self.active_packs(dataset)}
        rules = [rule for rule in self.rules_of(kinds) if rule.pack in active]
        facts = self.facts(dataset, period, {rule.spec.fact for rule in rules})
        return self.judge(dataset, period, rules, facts, subjects, waivers)

    def rules_of(self, kinds=("compliance",)) -> list[CompiledRule]:
        """The rules of the packs of `kinds` (compliance, score)."""
        return [rule for rule in self.rules if self._pack(rule.pack).spec.kind in kinds]

    def judge(
        self,
        dataset: Dataset,
        period: Period,
        rules,
        facts: dict,
        subjects: set[str] | None = None,
        waivers: bool = True,
    ) -> Evaluation:
        """The rules over the facts (optionally only `subjects`'): findings, decisions, errors and
        the waivers that waived nothing (without `waivers`, none is read: the audit view)."""
        read = waivers and len(dataset.tables["waivers"]) > 0
        table_of_waivers = dataset.view("waivers") if read else NO_WAIVERS
        table, decisions, rule_errors = evaluate(
            dataset.connection, period, rules, facts, self.fact_kinds, table_of_waivers, subjects
        )
        findings = Findings(table, facts, {rule.spec.id: rule for rule in rules}, period)
        errors = self.plugin_errors(rules) + [self._rule_error(error) for error in rule_errors]
        unused = unused_waivers(dataset.connection, table, table_of_waivers, period) if read else []
        return Evaluation(period, facts, findings, errors, decisions, unused, audit=not waivers)

    def assess(self, dataset: Dataset, period: Period, waivers: bool = True) -> Assessment:
        """Evaluate every pack and score departments and cadres (the annual review); without
        `waivers`, the audit view.

        Scores are annual: for a quarter only the compliance packs are evaluated, with no scores.
        """
        evaluation = self.check(dataset, period, kinds=self.assessed_kinds(period), waivers=waivers)
        return self.scored(evaluation, dataset)

    @staticmethod
    def assessed_kinds(period: Period) -> tuple[str, ...]:
        """The kinds of packs an assessment of `period` evaluates: scores are annual."""
        return ("compliance", "score") if period.is_year else ("compliance",)

    def scored(self, evaluation: Evaluation, dataset: Dataset) -> Assessment:
        """`evaluation` (of `assessed_kinds`) scored: the departments' and cadres' tables."""
        scoring = self.scoring if evaluation.period.is_year else None
        return assess(evaluation, self.active_packs(dataset), self.rules, scoring, self.fact_kinds)

    def plugin_errors(self, rules) -> list[RunError]:
        """Every plugin failure so far, with the rules whose facts that plugin should have built."""
        errors = []
        for failure in self.plugins.failures:
            kinds = {kind for kind, plugin in self.fact_kind_plugin.items() if plugin == failure.plugin}
            missing = sorted(rule.spec.id for rule in rules if rule.spec.fact in kinds)
            errors.append(RunError(failure.plugin, failure.error, missing, list(failure.subjects)))
        return errors

    def _pack(self, name: str) -> Pack:
        return next(pack for pack in self.packs if pack.name == name)

    def _rule_error(self, error: RuleError) -> RunError:
        """A failed consequence, charged to the plugin whose facts the rule tests."""
        rule_id = error.rule.partition(":")[0]
        rule = next((rule for rule in self.rules if rule.spec.id == rule_id), None)
        plugin = self.fact_kind_plugin.get(rule.spec.fact, "") if rule else ""
        return RunError(plugin, str(error), [rule_id], [error.subject])
