"""Safety inspections: a record type, a fact per inspection, and a score pack (SAF01, SAF02).

Registered through the entry point group `evalkit` (see pyproject.toml). Every hook returns
plain data; nothing happens at import time.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from evalkit import Column, RecordType, Ref, hookimpl
from evalkit.facts import Fact, FactKind
from evalkit.schema import DATE, ENUM

RESULTS = {"passed": ("合格",), "failed": ("不合格",)}


@hookimpl
def evalkit_record_types():
    return [
        RecordType(
            "safety_inspections",
            "安全检查",
            (
                Column("id", "编号"),
                Column("enterprise_id", "企业", ref=Ref("enterprises")),
                Column("department_id", "检查部门", ref=Ref("departments")),
                Column("date", "检查日期", DATE),
                Column("result", "检查结果", ENUM, enum=RESULTS),
            ),
            doc="safety inspections of enterprises by departments",
            dated_by="date",
        )
    ]


@hookimpl
def evalkit_fact_kinds():
    return [
        FactKind(
            "safety_inspection",
            "department",
            {"passed": "1 when the enterprise passed, else 0", "enterprise": "the inspected enterprise"},
            "one safety inspection by the department in the period",
            {"inspection": "the inspection record"},
        )
    ]


@hookimpl
def evalkit_rule_packs():
    return [Path(str(files("evalkit_safety") / "safety.yaml"))]


@hookimpl
def evalkit_facts(dataset, period):
    return [
        Fact(
            "safety_inspection",
            row["department_id"],
            period,
            {"passed": int(row["result"] == "passed"), "enterprise": row["enterprise_id"]},
            {"inspection": (row["id"],)},
        )
        for row in dataset["safety_inspections"]
        if period.contains(row["date"])
    ]
