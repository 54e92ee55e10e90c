"""A fact kind says what is wrong with a plugin's fact, or None for a sound one."""

from __future__ import annotations

import pytest

from evalkit.facts import Fact, FactKind
from evalkit.periods import Period

SERVICE = FactKind("service", "department|cadre", {"requests": "", "label": ""})


def fact(values, subject_kind="cadre") -> Fact:
    return Fact("service", "K1", Period(2024), values, {}, subject_kind)


@pytest.mark.parametrize("values", [{"requests": 3, "label": "x"}, {"label": "", "requests": 2.5}])
def test_a_sound_fact_has_no_problem(values):
    assert SERVICE.problem(fact(values)) is None


@pytest.mark.parametrize(
    ("values", "subject_kind", "expected"),
    [
        ({"requests": True, "label": "x"}, "cadre", "service fact: requests is True, not a number or text (flags"),
        ({"requests": float("nan"), "label": "x"}, "cadre", "service fact: requests is nan, not a number or text"),
        ({"requests": None, "label": "x"}, "cadre", "service fact: requests is None, not a number or text"),
        ({"requests": 1}, "cadre", "service fact: lacks label"),
        ({"requests": 1, "label": "x", "more": 2}, "cadre", "service fact: has undeclared more"),
        ({"requests": 1, "label": "x"}, "branch", "service fact: subject_kind 'branch' is not department, cadre"),
        ({"requests": 1, "label": "x"}, "", "service fact: subject_kind '' is not department, cadre"),
    ],
)
def test_each_unsound_fact_is_named(values, subject_kind, expected):
    assert SERVICE.problem(fact(values, subject_kind)).startswith(expected)


def test_a_single_kind_needs_no_subject_kind():
    branch = FactKind("branch_quarter", "organization", {"bases": ""})
    assert branch.problem(Fact("branch_quarter", "B1", Period(2024, 1), {"bases": 1})) is None


@pytest.mark.parametrize(
    "field", ["id", "sid", "_n", "kind", "subject", "period", "quarter", "status", "evidence", "_mine"]
)
def test_a_reserved_field_name_is_refused_when_the_kind_is_declared(tmp_path, field):
    """A field named like one the engine or every fact uses was overwritten or confused the
    engine (a field `id` repeating across subjects left facts unjudged): refused, naming it."""
    from evalkit.testing import run_cli

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "mine.py").write_text(
        "from evalkit import hookimpl\n"
        "from evalkit.facts import FactKind\n\n\n"
        "@hookimpl\n"
        "def evalkit_fact_kinds():\n"
        f"    return [FactKind('thing', 'department', {{{field!r}: 'x', 'n': 'y'}})]\n",
        encoding="utf-8",
    )
    result = run_cli(["rules", "--plugins-dir", str(plugins)])
    assert result.exit_code == 2
    assert result.stderr == f"error: plugin mine: fact kind thing: field {field!r} is reserved\n"


def test_facts_are_ordered_by_subject_period_values_as_text_then_evidence():
    """A year after its quarters; values compared as text ("10" before "9"); two facts equal in
    subject, period and values ordered by their evidence lists, which break no other tie."""
    import duckdb
    import pyarrow as pa

    from evalkit.facts import evidence_column
    from evalkit.facts.factset import ordered

    kind = FactKind("visit", "cadre", {"n": ""}, evidence={"visits": ""})
    table = pa.table(
        {
            "subject": ["K2", "K1", "K1", "K1", "K1", "K1"],
            "subject_kind": ["cadre"] * 6,
            "period": ["2024", "2024", "2024Q2", "2024", "2024", "2024"],
            "n": [1, 9, 5, 10, 9, 9],
            evidence_column("visits"): [["V1"], ["V9"], ["V5"], ["V10"], ["V2", "V3"], ["V2"]],
        }
    )
    result = ordered(duckdb.connect(), kind, table)
    assert result[evidence_column("visits")].to_pylist() == [["V5"], ["V10"], ["V2"], ["V2", "V3"], ["V9"], ["V1"]]
    assert result["quarter"].to_pylist() == [2, 0, 0, 0, 0, 0] and result["year"].to_pylist() == [2024] * 6
