"""How the core calls hooks: in pluggy's own order (tryfirst / trylast honoured), one plugin at a
time (a raising plugin is reported by name, the others' results kept), and no hook wrappers."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import PluginError
from evalkit.plugins import PluginFailure, Plugins
from evalkit.testing import run_cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"

PROBE = """
from pathlib import Path
from evalkit import hookimpl


@hookimpl{options}
def {hook}({args}):
    {body}
"""


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A plugin module of one hook, to load with -p NAME (named after the test: modules are cached)."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name, options="", body='return [Path("{name}.yaml")]', hook="evalkit_rule_packs", args=""):
        name = f"probe_{tmp_path.name}_{name}".replace("-", "_")
        source = PROBE.format(options=options, hook=hook, args=args, body=body.format(name=name))
        (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
        return name

    return write


def test_hooks_run_in_pluggys_order_with_tryfirst_and_trylast(probe):
    # Registered in this order; alphabetically a_last < b_plain < m_plain < z_first.
    mine = [probe("a_last", "(trylast=True)"), probe("m_plain"), probe("b_plain"), probe("z_first", "(tryfirst=True)")]
    a_last, m_plain, b_plain, z_first = mine
    plugins = Plugins(mine, autoload=False)
    called = plugins.call("evalkit_rule_packs", Path)
    # tryfirst first, trylast last, the others the last registered first: pluggy's order ...
    assert [name for name, _ in called if name in mine] == [z_first, b_plain, m_plain, a_last]
    # ... exactly as pluggy's own call runs them (the built-ins' packs included).
    assert [paths for _, paths in called] == plugins.manager.hook.evalkit_rule_packs()
    assert [impl.plugin_name for impl in plugins.call_order("evalkit_rule_packs")] == [name for name, _ in called]


def test_trylast_implementations_run_in_registration_order(probe):
    first, second = probe("first", "(trylast=True)"), probe("second", "(trylast=True)")
    plugins = Plugins([first, second], autoload=False)
    called = [name for name, _ in plugins.call("evalkit_rule_packs", Path)]
    assert called[-2:] == [first, second]


def test_a_raising_plugin_is_reported_by_name_and_the_others_results_kept(probe):
    early = probe("early", "(tryfirst=True)", "raise RuntimeError('ledger missing')")
    late = probe("late", "(trylast=True)")
    plugins = Plugins([early, late], autoload=False)
    called = dict(plugins.call("evalkit_rule_packs", Path))
    assert plugins.failures == [PluginFailure(early, "evalkit_rule_packs raised RuntimeError: ledger missing")]
    assert called[late] == [Path(f"{late}.yaml")] and "service" in called and early not in called


RAISING_FIRST = '''
from pathlib import Path
from evalkit import hookimpl
from evalkit.facts import FactKind

PACK = """
pack: early
version: "1"
title: {en: early, zh: 早}
rules:
  - id: EAR01
    title: {en: size, zh: 规模}
    severity: low
    fact: early_size
    when: "members > 10"
    message:
      pass: {en: "ok", zh: "好"}
      fail: {en: "big", zh: "大"}
"""


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("early_size", "organization", {"members": "party members"})]


@hookimpl
def evalkit_rule_packs():
    path = Path(__file__).with_name("early.yaml")
    path.write_text(PACK, encoding="utf-8")
    return [path]


@hookimpl(tryfirst=True)
def evalkit_facts(dataset, period):
    raise RuntimeError("ledger missing")
'''


def test_a_tryfirst_plugin_raising_in_facts_gives_exit_3_and_the_other_results(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "early.py").write_text(RAISING_FIRST, encoding="utf-8")
    result = run_cli(["check", str(SAMPLE), "--period", "2024", "--format", "json", "--plugins-dir", str(plugins)])
    assert result.exit_code == 3, result.stderr
    assert result.json["errors"] == [
        {
            "plugin": "early",
            "error": "evalkit_facts raised RuntimeError: ledger missing",
            "rules": ["EAR01"],
            "subjects": [],
        }
    ]
    assert {"OPF01", "CHN01", "COV01"} <= {f["rule"] for f in result.json["findings"]}


@pytest.mark.parametrize(
    "options, body",
    [("(wrapper=True)", "return (yield)"), ("(hookwrapper=True)", "yield")],
    ids=["wrapper", "old-style hookwrapper"],
)
def test_hook_wrappers_are_refused_when_the_plugin_registers(probe, options, body):
    name = probe("wrapping", options, body, hook="evalkit_facts", args="dataset, period")
    option = options.strip("()")
    with pytest.raises(PluginError) as refused:
        Plugins([name], autoload=False)
    assert f'plugin "{name}" (-p): hook evalkit_facts is a hook wrapper ({option})' in str(refused.value)
    assert f"-p no:{name}" in str(refused.value)
    result = run_cli(["check", str(SAMPLE), "--period", "2024", "-p", name])
    assert result.exit_code == 2 and not result.stdout
    assert f'error: plugin "{name}" (-p): hook evalkit_facts is a hook wrapper ({option})' in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli(["plugins", "-p", name, "-p", f"no:{name}"]).exit_code == 0
