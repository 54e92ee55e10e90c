"""The docs generated from the code (tools/docgen.py) are committed and must stay current."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalkit.schema import CORE_RECORD_TYPES
from evalkit.session import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import docgen  # noqa: E402  (a script beside the package, not part of it)


@pytest.fixture(scope="module")
def rule_ids() -> list[str]:
    return [rule.id for pack in Session(autoload=False).packs for rule in pack.spec.rules]


@pytest.mark.parametrize("name", ["data-format.md", "rules.md"])
def test_docs_are_current(name):
    assert (docgen.DOCS / name).read_text(encoding="utf-8") == docgen.generate()[name], "run python tools/docgen.py"


def test_data_format_names_every_record_type_and_column():
    text = (docgen.DOCS / "data-format.md").read_text(encoding="utf-8")
    for record_type in CORE_RECORD_TYPES:
        assert f"## {record_type.name} " in text
        for column in record_type.columns:
            assert f"`{column.name}`" in text, f"{record_type.name}.{column.name}"


def test_rules_doc_names_every_rule(rule_ids):
    text = (docgen.DOCS / "rules.md").read_text(encoding="utf-8")
    assert [rule_id for rule_id in rule_ids if f"**{rule_id}**" not in text] == []


def test_readme_rule_table_names_every_rule(rule_ids):
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    if not any(line.startswith("| OPF01") for line in lines):
        pytest.skip("README.md has no rule table")
    rows = {line.split("|")[1].strip() for line in lines if line.startswith("|")}
    assert [rule_id for rule_id in rule_ids if rule_id not in rows] == []
