"""A rule pack that loads never fails once the data is read: whatever could break a message, the
arithmetic, the YAML reader, the condition parser or the rule engine is refused when the pack
loads (exit 2, the file, the rule and the key named), before any ledger is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.testing import run_cli

ROOT = Path(__file__).resolve().parent.parent
PACK = (ROOT / "rules" / "one_plus_four.yaml").read_text(encoding="utf-8")
WHEN = 'when: "bases < min_bases"'


def doubling(depth: int) -> str:
    """A condition of `depth` levels whose every level holds the one below twice: small to write,
    past what durable-rules expands (its error 113 from 3 levels on)."""
    text = "bases > 1"
    for level in range(depth):
        text = f"(({text}) and member_education < {level}) or (({text}) and model_publicity > {level})"
    return text


CASES = [
    ("{period}有可用的活动阵地", "{period:d}有可用的活动阵地", "message.pass.zh: placeholder {period:d}: its format"),
    ("{period}有可用的活动阵地", "{period:>300000000}有可用的活动阵地", "placeholder {period:>300000000}"),
    ("{due}前登记本支部", "{due!r}前登记本支部", "key advice.open.zh: placeholder {due} must be a plain name"),
    ("params: {min_bases: 1}", "params: {min_bases: .nan}", "a number between -1e+15 and 1e+15, not nan"),
    ("params: {min_bases: 1}", "params: {min_bases: -.inf}", "a number between -1e+15 and 1e+15, not -inf"),
    ("params: {min_bases: 1}", "params: {min_bases: 1" + "0" * 5000 + "}", "not a readable YAML rule pack"),
    ("params: {min_bases: 1}", "params: {min_bases: 1" + "0" * 20 + "}", "a number between -1e+15 and 1e+15"),
    ("table: {", "settings: {deep: " + "[" * 5000 + "]" * 5000 + "}\ntable: {", "nested too deeply to read"),
    (WHEN, 'when: "' + "not " * 5000 + 'bases < 1"', "a condition of at most 2000 characters"),
    (WHEN, 'when: "' + "not (" * 9 + "bases < 1" + ")" * 9 + '"', "nested more than 8 levels deep"),
    (WHEN, 'when: "bases < 1' + "0" * 30 + '"', "a number between"),
    (WHEN, f'when: "{doubling(3)}"', "rule OPF01: its conditions are more than the rule engine takes"),
]


@pytest.mark.parametrize("old, new, said", CASES, ids=[said[:40] for _, _, said in CASES])
def test_a_pack_that_would_fail_later_is_refused_when_it_loads(tmp_path, small_dir, old, new, said):
    rules = tmp_path / "rules"
    rules.mkdir()
    assert old in PACK
    (rules / "one_plus_four.yaml").write_text(PACK.replace(old, new, 1), encoding="utf-8")
    (small_dir / "requests.csv").rename(tmp_path / "moved.csv")  # a ledger it must not need to open
    (small_dir / "requests.csv").mkdir()  # ... and would fail on, were it read
    result = run_cli(["check", str(small_dir), "--period", "2024", "--rules-dir", str(rules)])
    assert result.exit_code == 2, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr
    assert str(rules / "one_plus_four.yaml") in result.stderr


def test_numbers_formatted_as_the_shipped_packs_do_are_accepted(tmp_path, small_dir):
    rules = tmp_path / "rules"
    rules.mkdir()
    text = PACK.replace("{period}有可用的活动阵地", "{period:>10}有{count:,.1f}处活动阵地{min_bases:.0%}", 1)
    (rules / "one_plus_four.yaml").write_text(text, encoding="utf-8")
    result = run_cli(["check", str(small_dir), "--period", "2024Q1", "--rules-dir", str(rules), "--lang", "zh"])
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr
