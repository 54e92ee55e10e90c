"""Rule test cases as data (`evalkit verify DIR`): small datasets with the outcome each rule must give.

A case folder holds YAML files. `base.yaml` (optional) has `records:` shared by every case; each
other file is one case:

    rule: OPF05                     # the rule under test
    period: 2024Q3
    description: no volunteer activity in the quarter
    records:                        # added to the base; a row with a base row's id replaces it
      activities:
        - {id: A1, org_id: B1, date: 2024-08-01, category: member_education, title: t}
    expect:
      - {subject: B1, status: fail}          # a finding of the rule (period: optional)
      - {subject: D1, points: -2}            # a score rule's points (adjustment or indicator)
      - {subject: K1, grade: competent}      # the subject's final grade

The built-in packs' cases live in tests/rule_cases and run in the test suite; a department runs
its own with `evalkit verify DIR --rules-dir MY_RULES`.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import yaml

from .errors import DatasetError, UsageError
from .periods import Period
from .session import Session
from .testing import write_dataset


@dataclass
class CaseResult:
    case: str
    rule: str
    problems: list[str]  # empty: the case passed

    @property
    def passed(self) -> bool:
        return not self.problems


def read_cases(folder: str | Path) -> tuple[dict, list[tuple[str, dict]]]:
    """The base records and the cases (name, case) of a case folder, in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder of rule cases")
    base: dict = {}
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise UsageError(f"{path}: not a readable YAML case ({error})") from None
        if not isinstance(data, dict) or not _records_shaped(data.get("records") or {}):
            raise UsageError(
                f"{path}: a case is a mapping (rule, period, expect, records), its records a mapping of "
                "record type names to lists of rows"
            )
        if path.name == "base.yaml":
            base = data.get("records") or {}
            continue
        missing = [key for key in ("rule", "period", "expect") if key not in data]
        if missing:
            raise UsageError(f"{path}: a case needs {', '.join(missing)}")
        cases.append((path.stem, data))
    if not cases:
        raise UsageError(f"{folder}: no case files (*.yaml besides base.yaml)")
    return base, cases


def _records_shaped(records: object) -> bool:
    return isinstance(records, dict) and all(
        isinstance(rows, list) and all(isinstance(row, dict) for row in rows) for rows in records.values()
    )


def merged(base: dict, records: dict) -> dict:
    """The base records with the case's: rows with an existing id replace it, others are added."""
    tables = copy.deepcopy(base)
    for name, rows in (records or {}).items():
        table = tables.setdefault(name, [])
        for row in rows:
            index = next((i for i, old in enumerate(table) if "id" in row and old.get("id") == row["id"]), None)
            if index is None:
                table.append(row)
            else:
                table[index] = row
    return tables


def run_case(session: Session, base: dict, name: str, case: dict) -> CaseResult:
    rule = str(case["rule"])
    try:
        period = Period.parse(str(case["period"]))
    except ValueError as error:
        return CaseResult(name, rule, [str(error)])
    tables = merged(base, case.get("records"))
    known = {record_type.name for record_type in session.record_types}
    unknown = sorted(str(name) for name in tables if name not in known)
    if unknown:  # a name is a file name in the case's folder: only known ones are written
        return CaseResult(
            name, rule, [f"records: unknown record type {n!r} (known: {', '.join(sorted(known))})" for n in unknown]
        )
    with tempfile.TemporaryDirectory() as folder:
        write_dataset(folder, tables)
        try:
            dataset = session.load(folder)
        except DatasetError as error:
            return CaseResult(name, rule, [f"the case's dataset does not validate: {p}" for p in error.problems])
        assessment = session.assess(dataset, period)
    problems = []
    for expected in case["expect"]:
        problems += _check(assessment, rule, expected)
    if assessment.evaluation.errors:
        problems += [f"error while running: {e.plugin}: {e.error}" for e in assessment.evaluation.errors]
    return CaseResult(name, rule, problems)


def _check(assessment, rule: str, expected: dict) -> list[str]:
    subject = str(expected.get("subject", ""))
    if "status" in expected:
        found = [
            f
            for f in assessment.evaluation.findings
            if f.rule == rule and f.subject == subject and str(f.period) == str(expected.get("period", f.period))
        ]
        statuses = sorted({f.status for f in found})
        if statuses != [expected["status"]]:
            return [f"{rule} for {subject}: expected {expected['status']}, got {', '.join(statuses) or 'no finding'}"]
        return []
    score = next((s for s in assessment.scores if s.subject == subject), None)
    if score is None:
        return [f"{subject}: no score (is it a department or a cadre with a department?)"]
    if "grade" in expected:
        return (
            []
            if score.grade == expected["grade"]
            else [f"{subject}: expected grade {expected['grade']}, got {score.grade}"]
        )
    if "points" in expected:
        points = next((a.points for a in score.adjustments if a.rule == rule), None)
        points = next((i.points for i in score.indicators if i.rule == rule), points)
        if points is None:
            points = Fraction(0)
        if points != Fraction(str(expected["points"])):
            return [f"{rule} for {subject}: expected {expected['points']} points, got {float(points):g}"]
        return []
    return [f"an expectation needs status, points or grade: {expected}"]


def verify(session: Session, folder: str | Path) -> list[CaseResult]:
    base, cases = read_cases(folder)
    return [run_case(session, base, name, case) for name, case in cases]
