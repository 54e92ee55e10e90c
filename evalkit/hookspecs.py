"""Every hook a plugin can implement. This module is the plugin reference (docs/plugins.md).

Hooks return plain data; the core merges what all plugins return and refuses collisions
(two packs of one name, two rules of one id) with an error naming both plugins. A plugin
implements any subset, with `@evalkit.hookimpl` on functions named exactly as below; a
misspelled hook name is refused when the plugin loads.

Every hook here is called for all plugins (none is `firstresult`): results are collected in
a list, one entry per implementing plugin, in pluggy's call order (`tryfirst`, unmarked, then
`trylast` implementations; docs/plugins.md gives the order within each). Each plugin is called
on its own, so a raising plugin costs only its own results; hook wrappers (`wrapper=True`,
`hookwrapper=True`) are refused when the plugin registers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hookspec

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from .facts import Fact, FactKind, FactTable
    from .load import Dataset
    from .periods import Period
    from .schema import RecordType


@hookspec
def evalkit_record_types() -> list[RecordType]:
    """Declare record types beyond the 13 of the dataset format.

    Each is loaded from ``NAME.csv`` or an XLSX sheet ``NAME`` with the same validation as the
    built-in ones (types, enums, references). A dataset without the file gets an empty table,
    so a plugin stays inert where its ledger is absent.

    :return: a list of :class:`evalkit.RecordType`.
    """


@hookspec
def evalkit_fact_kinds() -> list[FactKind]:
    """Declare the kinds of fact this plugin builds, with their fields.

    Rule packs may only test declared fields: a condition naming an unknown field is refused
    when the packs are loaded, before any data is read.

    :return: a list of :class:`evalkit.facts.FactKind`.
    """


@hookspec
def evalkit_rule_packs() -> list[Path]:
    """Provide rule pack files (YAML).

    A pack named like another plugin's is an error; users replace a pack by name with
    ``--rules-dir``.

    :return: a list of paths to ``.yaml`` files.
    """


@hookspec
def evalkit_facts(
    dataset: Dataset, period: Period, settings: dict[str, dict], evidence: Mapping[str, frozenset[str]]
) -> list[Fact | FactTable]:
    """Build the facts of the plugin's kinds for every subject in `period`.

    Quarterly facts are built for each quarter of the period (four for a year); facts "as of the
    period's last day" once for the period. Each fact names the records behind it in `evidence`.
    Many facts are best built as a grouped query (``dataset.sql("SELECT ... FROM requests ...")``)
    and returned as one :class:`evalkit.facts.FactTable` per kind, as the built-in plugins do;
    a few may be :class:`evalkit.facts.Fact` objects. An exception here is reported with the
    plugin's name; the rules needing its facts are listed as missing and the other plugins'
    results still come out (exit code 3).

    :param dataset: the validated dataset.
    :param period: the period being evaluated (a year or a quarter).
    :param settings: each loaded pack's ``settings`` mapping, by pack name (e.g. a time limit; one in
        working days is a one-key dict, ``{"working_days": 5}``, counted on the table ``evalkit_days``).
    :param evidence: the evidence lists the loaded rules read, by fact kind: a read-only mapping of
        every known kind to a frozenset of list names (empty when no rule reads one). A rule reads
        a list only through its ``evidence:`` key, and a list may be large (the ids behind a count,
        per subject), so a plugin may skip building the lists nobody reads: a list it does not
        build (a ``Fact`` without it, a ``FactTable`` without its column) is taken as empty lists.
        A hook that does not name the parameter is not given it.
    :return: a list of :class:`evalkit.facts.Fact` and :class:`evalkit.facts.FactTable`.
    """
