"""A plugin is code, but what it does in a hook is charged to it by name: exiting, printing,
raising KeyboardInterrupt or changing what the others read makes it fail (exit 3), never ends the
command silently or corrupts the report. Only the user's Ctrl-C (130) and SIGTERM (143) stop it."""

from __future__ import annotations

import json
import textwrap

import pytest

from evalkit.testing import run_cli

PACK = """\
pack: rogue
version: "1"
title: {en: Rogue, zh: 越权}
rules:
  - id: RGE01
    title: {en: Rogue, zh: 越权}
    severity: low
    fact: rogue_fact
    when: "n > 1"
    message: {pass: {en: ok, zh: 好}, fail: {en: bad, zh: 坏}}
"""
PLUGIN = """
import os, signal, sys
from pathlib import Path
from evalkit import hookimpl
from evalkit.facts import FactKind

@hookimpl
def evalkit_fact_kinds():
    return [FactKind("rogue_fact", "organization", {{"n": "a number"}})]

@hookimpl
def evalkit_rule_packs():
    return [Path(__file__).with_name("rogue.yaml")]

@hookimpl
def evalkit_facts(dataset, period, settings):
{body}
    return []
"""


def plugin_folder(tmp_path, name: str, body: str):
    """A --plugins-dir with plugin `name`, whose facts hook (called: a rule reads its facts) runs `body`."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / f"{name}.py").write_text(PLUGIN.format(body=textwrap.indent(body, "    ")), encoding="utf-8")
    (folder / "rogue.yaml").write_text(PACK, encoding="utf-8")
    return folder


def run_with(tmp_path, small_dir, body: str, *options: str):
    folder = plugin_folder(tmp_path, "rogue", body)
    output = tmp_path / "report.json"
    args = ["assess", str(small_dir), "--period", "2024", "--plugins-dir", str(folder), *options]
    return run_cli([*args, "--format", "json", "--output", str(output)]), output


@pytest.mark.parametrize(
    "body, raised",
    [
        ("sys.exit(0)", "SystemExit: 0"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("dataset['incidents'].clear()", "AttributeError"),
        ("dataset.tables.clear()", "AttributeError"),
        ("dataset['cadres'][0]['name'] = 'x'", "TypeError"),
        ("dataset.subjects()[0]['D01'] = 'x'", "TypeError"),  # the names every report reads
        ("settings['service']['on_time_days'] = 999", "TypeError"),
        ("settings.clear()", "AttributeError"),
        ("dataset.sql('DROP VIEW incidents')", "ValueError: Dataset.sql runs queries (SELECT) only, not DROP"),
    ],
)
def test_what_a_plugin_does_is_its_failure_and_the_report_is_still_whole(tmp_path, small_dir, body, raised):
    result, output = run_with(tmp_path, small_dir, body)
    assert result.exit_code == 3, result.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    errors = [error for error in report["errors"] if error["plugin"] == "rogue"]
    assert len(errors) == 1 and f"evalkit_facts raised {raised}" in errors[0]["error"]
    clean = json.loads(run_cli(["assess", str(small_dir), "--period", "2024", "--format", "json"]).stdout)
    assert report["departments"] == clean["departments"] and report["cadres"] == clean["cadres"]


def test_a_plugins_prints_go_to_stderr_and_the_json_on_stdout_stays_valid(tmp_path, small_dir):
    folder = plugin_folder(tmp_path, "chatty", "print('hello', end='')\nprint('\\x1b[2J!')")
    result = run_cli(["assess", str(small_dir), "--period", "2024", "--plugins-dir", str(folder), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["period"] == "2024"
    assert "plugin chatty: hello\\x1b[2J!\n" in result.stderr


@pytest.mark.parametrize("signal_name, code, said", [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
def test_the_users_signal_stops_the_command_and_nothing_is_written(tmp_path, small_dir, signal_name, code, said):
    result, output = run_with(tmp_path, small_dir, f"os.kill(os.getpid(), signal.{signal_name})")
    assert result.exit_code == code and result.stderr == f"{said}: nothing was written\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "plugins"]


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path, small_dir, monkeypatch):
    import os
    import signal

    from evalkit.report import output as writing

    def killed(source, target):
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(writing.os, "replace", killed)
    target = tmp_path / "report.json"
    result = run_cli(["assess", str(small_dir), "--period", "2024", "--format", "json", "--output", str(target)])
    assert result.exit_code == 143 and sorted(path.name for path in tmp_path.iterdir()) == ["data"]


def test_the_handlers_the_command_found_are_put_back(small_dir):
    import signal

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert run_cli(["check", str(small_dir), "--period", "2024"]).exit_code in (0, 1)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.parametrize("raised", ["MemoryError", "OutOfMemoryException"])
def test_running_out_of_memory_is_a_clear_error_naming_the_stage(tmp_path, small_dir, monkeypatch, raised):
    import duckdb

    from evalkit.session import Session

    def exhausted(*args, **kwargs):
        raise MemoryError() if raised == "MemoryError" else duckdb.OutOfMemoryException("could not allocate")

    monkeypatch.setattr(Session, "scored", exhausted)
    target = tmp_path / "report.json"
    result = run_cli(["assess", str(small_dir), "--period", "2024", "--format", "json", "--output", str(target)])
    assert result.exit_code == 4 and not target.exists()
    assert result.stderr == (
        "error: out of memory while evaluating the rules: nothing was written; lower --workers "
        "(each thread holds memory of its own) or use a machine with more memory\n"
    )
    zh = run_cli(["assess", str(small_dir), "--period", "2024", "--lang", "zh"])
    assert zh.exit_code == 4 and zh.stderr.startswith("错误：内存不足（正在执行规则时）")
