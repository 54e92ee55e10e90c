"""Evidence lists are built only when a loaded rule reads them (its `evidence:` key).

Plugins are told which lists the rules read (`evalkit_facts`' `evidence`); the `service` plugin
builds only those, so with the shipped packs (whose indicators read none) its lists are empty,
and a user's pack naming one gets it filled. The counts are the same either way.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
from fixture_data import SMALL

from evalkit.periods import Period
from evalkit.session import Session
from evalkit.testing import run_cli, write_dataset

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SERVICE_LISTS = (
    "requests",
    "accepted_in_window",
    "measured",
    "on_time",
    "resolved",
    "rated",
    "satisfied",
    "enterprises_visited",
)

PROBE = """
from evalkit import hookimpl
from evalkit.facts import FactKind


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("thing", "department", {"n": "a number"}, "", {"a": "read by no rule", "b": "read by PRB01"})]


@hookimpl
def evalkit_rule_packs():
    from pathlib import Path
    return [Path(__file__).with_name("probe.yaml")]


@hookimpl
def evalkit_facts(evidence):
    try:
        evidence["thing"] = frozenset()
        print("writable")
    except TypeError:
        print("read-only")
    print(all(isinstance(names, frozenset) for names in evidence.values()))
    print({kind: sorted(names) for kind, names in evidence.items()})
    return []
"""

PROBE_PACK = """
pack: probe
version: "1"
title: {en: Probe, zh: 探针}
rules:
  - id: PRB01
    title: {en: Probe, zh: 探针}
    severity: low
    fact: thing
    when: "n < 1"
    message: {pass: {en: "ok", zh: "好"}, fail: {en: "not ok", zh: "不好"}}
    evidence: b
"""

#: A compliance pack of the user's over the `service` fact: the subject's on-time requests.
WATCH_PACK = """
pack: watch
version: "1"
title: {en: Watch, zh: 督办}
rules:
  - id: WCH01
    title: {en: All on time, zh: 全部按时}
    severity: low
    fact: service
    params: {min_on_time: 2}
    skip_when: "measured == 0"
    when: "on_time < min_on_time"
    message: {pass: {en: "{count} on time", zh: "{count}件按时"}, fail: {en: "{count} on time", zh: "{count}件按时"}}
"""


def rules_dir(folder: Path, *, svc02_evidence: bool = False, watch_evidence: bool = False) -> Path:
    """A --rules-dir: the shipped service pack, SVC02 reading `on_time` if asked, and the watch pack."""
    folder.mkdir()
    service = (ROOT / "rules" / "service.yaml").read_text(encoding="utf-8")
    if svc02_evidence:
        svc02 = "    indicator: {weight: 30, numerator: on_time, denominator: measured}\n"
        assert svc02 in service
        service = service.replace(svc02, svc02 + "    evidence: on_time\n")
    (folder / "service.yaml").write_text(service, encoding="utf-8")
    watch = WATCH_PACK + ("    evidence: on_time\n" if watch_evidence else "")
    (folder / "watch.yaml").write_text(watch, encoding="utf-8")
    return folder


def request(rid: str, dept: str, cadre: str, day: str, resolved: str, due_on: str | None = None) -> dict:
    """A request of the shared fixture's shape, dispatched at 09:00 on `day`, resolved on `resolved`."""
    return SMALL["requests"][0] | {
        "id": rid,
        "submitted_at": f"{day} 08:00",
        "dispatched_at": f"{day} 09:00",
        "accepted_at": f"{day} 10:00",
        "resolved_at": f"{resolved} 10:00",
        "department_id": dept,
        "cadre_id": cadre,
        "due_on": due_on,
    }


@pytest.fixture
def data(tmp_path) -> Path:
    """The shared fixture with, in the requests file's order: R6 (D1/K1, on time), R1 (D1/K1,
    resolved 01-08, due 01-12: on time), R2 (never dispatched), R3 (D1/K1, due 03-05, resolved
    03-09: measured, late), R4 (D2/K2, on time). So on time: D1 and K1 R6 and R1, D2 and K2 R4."""
    tables = copy.deepcopy(SMALL)
    tables["requests"] = [
        request("R6", "D1", "K1", "2024-06-01", "2024-06-02"),
        *tables["requests"],
        request("R3", "D1", "K1", "2024-03-01", "2024-03-09", due_on="2024-03-05"),
        request("R4", "D2", "K2", "2024-05-01", "2024-05-03"),
    ]
    return write_dataset(tmp_path / "data", tables)


@pytest.mark.parametrize("svc02_evidence", [False, True])
def test_a_plugin_is_told_the_lists_the_rules_read(tmp_path, svc02_evidence):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "probe.py").write_text(PROBE, encoding="utf-8")
    (plugins / "probe.yaml").write_text(PROBE_PACK, encoding="utf-8")
    rules = rules_dir(tmp_path / "rules", svc02_evidence=svc02_evidence)
    options = ["--plugins-dir", str(plugins), "--rules-dir", str(rules)]
    result = run_cli(["check", str(SAMPLE), "--period", "2024", "--format", "json", *options])
    assert result.exit_code == 1, result.stderr  # the sample has failed findings
    said = [line.partition(": ")[2] for line in result.stderr.splitlines() if line.startswith("plugin probe: ")]
    assert said[:2] == ["read-only", "True"]
    evidence = ast.literal_eval(said[2])
    assert set(evidence) == set(Session(plugins_dir=plugins, rules_dir=rules, autoload=False).fact_kinds)
    assert evidence["thing"] == ["b"]  # PRB01's; nobody reads `a`
    assert evidence["service"] == (["on_time"] if svc02_evidence else [])  # the shipped indicators read none
    assert (evidence["batch"], evidence["repeat"], evidence["open_request"]) == (
        ["requests"],
        ["requests"],
        ["request"],
    )
    assert (evidence["mentoring"], evidence["incident"]) == (["talent"], ["incident"])


def test_only_the_lists_read_are_filled_and_the_counts_stay(tmp_path, data):
    def service(rules: Path | None) -> dict:
        session = Session(rules_dir=rules, autoload=False)
        table = session.facts(session.load(data), Period(2024), {"service"})["service"]
        return {row["subject"]: row for row in table.to_pylist()}

    shipped = service(None)
    read = service(rules_dir(tmp_path / "rules", svc02_evidence=True))
    for subject, row in shipped.items():
        assert all(row[f"evidence:{name}"] == [] for name in SERVICE_LISTS), subject
    assert {subject: row["evidence:on_time"] for subject, row in read.items() if row["evidence:on_time"]} == {
        "D1": ["R6", "R1"],  # in the requests file's order
        "K1": ["R6", "R1"],
        "D2": ["R4"],
        "K2": ["R4"],
    }
    for subject, row in read.items():
        assert all(row[f"evidence:{name}"] == [] for name in SERVICE_LISTS if name != "on_time"), subject
    counts = ["requests", "accepted_in_window", "measured", "on_time", "resolved", "rated", "satisfied"]
    assert [shipped["D1"][name] for name in counts] == [3, 3, 3, 2, 3, 3, 3]
    assert [(shipped["K2"]["measured"], shipped["K2"]["on_time"]), shipped["K2"]["enterprises_visited"]] == [(1, 1), 0]
    assert {subject: {k: v for k, v in row.items() if k != "evidence:on_time"} for subject, row in read.items()} == {
        subject: {k: v for k, v in row.items() if k != "evidence:on_time"} for subject, row in shipped.items()
    }


@pytest.mark.parametrize("watch_evidence", [True, False])
def test_a_users_rule_shows_the_list_it_reads(tmp_path, data, watch_evidence):
    rules = rules_dir(tmp_path / "rules", watch_evidence=watch_evidence)
    result = run_cli(["check", str(data), "--period", "2024", "--format", "json", "--rules-dir", str(rules)])
    assert result.exit_code == 1, result.stderr
    found = {
        f["subject"]: (f["status"], f["evidence"], f["message"])
        for f in result.json["findings"]
        if f["rule"] == "WCH01"
    }
    if watch_evidence:  # D1 and K1: R6 and R1 on time (R3 was late); D2 and K2: only R4
        assert found == {
            "D1": ("pass", ["R1", "R6"], "2 on time"),
            "K1": ("pass", ["R1", "R6"], "2 on time"),
            "D2": ("fail", ["R4"], "1 on time"),
            "K2": ("fail", ["R4"], "1 on time"),
        }
    else:  # the same statuses from the counts; no list, as the rule reads none
        assert found == {
            "D1": ("pass", [], "0 on time"),
            "K1": ("pass", [], "0 on time"),
            "D2": ("fail", [], "0 on time"),
            "K2": ("fail", [], "0 on time"),
        }


def test_the_scores_do_not_depend_on_which_lists_are_built(tmp_path):
    """The sample's assessment with every indicator reading its numerator's list (the lists built)
    gives the numbers it gives with the shipped pack (no list built)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    service = (ROOT / "rules" / "service.yaml").read_text(encoding="utf-8")
    for numerator in ("accepted_in_window", "on_time", "satisfied", "enterprises_visited"):
        line = next(line for line in service.splitlines() if f"numerator: {numerator}," in line)
        service = service.replace(line, f"{line}\n    evidence: {numerator}")
    (rules / "service.yaml").write_text(service, encoding="utf-8")
    shipped = run_cli(["assess", str(SAMPLE), "--period", "2024", "--format", "json"])
    built = run_cli(["assess", str(SAMPLE), "--period", "2024", "--format", "json", "--rules-dir", str(rules)])
    assert shipped.exit_code == built.exit_code == 0, built.stderr
    for table in ("departments", "cadres"):
        assert built.json[table] == shipped.json[table]
        assert shipped.json[table]
