"""The command in Chinese (issue 21): `--lang zh` or EVALKIT_LANG=zh puts every message in Chinese,
argparse's help and usage errors too; notes on how the files were read are printed in either
language, and `validate --strict` refuses a dataset with a warning among them."""

from __future__ import annotations

import argparse
import ast
import csv
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evalkit import cli, cli_language
from evalkit.errors import DatasetError, Note, Problem
from evalkit.report.words import WORDS
from evalkit.session import Session
from evalkit.testing import write_dataset

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
NOTES = [
    Note("activities.xlsx#2024", "rows 1–2 above the header (row 3) not read", "表头（第 3 行）以上的第 1–2 行未读取"),
    Note(
        "组织.csv",
        "not read: is it organizations (党组织)?",
        "未读取——是否应为 organizations（党组织）？",
        warning=True,
    ),
]
NOTE_LINES = {
    "en": [
        "note: activities.xlsx#2024: rows 1–2 above the header (row 3) not read",
        "warning: 组织.csv: not read: is it organizations (党组织)?",
    ],
    "zh": [
        "提示：activities.xlsx#2024：表头（第 3 行）以上的第 1–2 行未读取",
        "警告：组织.csv：未读取——是否应为 organizations（党组织）？",
    ],
}


@pytest.fixture(autouse=True)
def _no_language_set(monkeypatch):
    """No EVALKIT_LANG from the machine running the tests; argparse wraps at 100 columns."""
    monkeypatch.delenv("EVALKIT_LANG", raising=False)
    monkeypatch.setenv("COLUMNS", "100")


def run(capsys, *args: str) -> tuple[int, str, str]:
    """`evalkit ARGS` in this process: exit code, stdout, stderr."""
    try:
        code = cli.main(list(args))
    except SystemExit as exit:  # argparse's --help and usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def with_notes(monkeypatch, notes: list[Note]) -> None:
    """The session's load returns the dataset with `notes` (what the loader might say)."""
    load = Session.load

    def noted(self, *args, **kwargs):
        dataset = load(self, *args, **kwargs)
        dataset.notes = list(notes)
        return dataset

    monkeypatch.setattr(Session, "load", noted)


def sample_counts() -> tuple[dict[str, int], int]:
    """The records of each record type in sample_data, counted from its files (CSV files and the
    workbook's sheets, one record type each), and its blank rows."""
    counts, blank = {}, 0
    for path in SAMPLE.glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as file:
            rows = list(csv.reader(file))[1:]
        counts[path.stem] = sum(any(cell.strip() for cell in row) for row in rows)
        blank += len(rows) - counts[path.stem]
    for sheet in load_workbook(SAMPLE / "ledgers.xlsx", read_only=True):
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        counts[sheet.title] = sum(any(cell not in (None, "") for cell in row) for row in rows)
        blank += len(rows) - counts[sheet.title]
    return counts, blank


def test_the_valid_line_of_the_sample_data_in_chinese_from_evalkit_lang(capsys, monkeypatch):
    monkeypatch.setenv("EVALKIT_LANG", "zh")
    counts, blank = sample_counts()
    listed = "，".join(f"{t.zh} {counts.get(t.name, 0)} 条" for t in Session().record_types)
    skipped = f"；跳过空行 {blank} 行" if blank else ""
    code, out, _ = run(capsys, "validate", str(SAMPLE))
    assert (code, out) == (0, f"{SAMPLE}：校验通过（{listed}{skipped}）\n")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_blank_rows_skipped_in_the_valid_line(capsys, small_dir, lang):
    path = small_dir / "departments.csv"
    path.write_text(path.read_text(encoding="utf-8") + ",\n,\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(small_dir), "--lang", lang)
    departments = sum(1 for _ in open(path, encoding="utf-8")) - 3
    if lang == "zh":
        assert code == 0 and f"，部门 {departments} 条，" in out
        assert out.endswith("；跳过空行 2 行）\n") and out.startswith(f"{small_dir}：校验通过（党组织 ")
    else:
        assert code == 0 and f", departments {departments}, " in out
        assert out.endswith("; 2 blank row(s) skipped)\n") and out.startswith(f"{small_dir}: valid (organizations ")


def test_an_explicit_lang_wins_over_evalkit_lang(capsys, monkeypatch, small_dir):
    monkeypatch.setenv("EVALKIT_LANG", "zh")
    code, out, _ = run(capsys, "validate", str(small_dir), "--lang", "en")
    assert code == 0 and out.startswith(f"{small_dir}: valid (organizations ")
    monkeypatch.setenv("EVALKIT_LANG", "en")
    code, out, _ = run(capsys, "validate", "--lang=zh", str(small_dir))
    assert code == 0 and out.startswith(f"{small_dir}：校验通过（党组织 ")
    code, out, _ = run(capsys, "--lang", "en", "check", "--help")
    assert code == 0 and out.startswith("usage: evalkit check ")
    monkeypatch.setenv("EVALKIT_LANG", "ZH")  # its case does not matter
    code, out, _ = run(capsys, "check", "--help")
    assert code == 0 and out.startswith("用法：evalkit check ")


def test_an_unknown_evalkit_lang_is_a_usage_error_in_both_languages(capsys, monkeypatch, small_dir):
    monkeypatch.setenv("EVALKIT_LANG", "fr")
    code, out, err = run(capsys, "validate", str(small_dir))
    assert (code, out, err.splitlines()) == (
        2,
        "",
        [
            "error: EVALKIT_LANG is 'fr': set it to en or zh, or unset it (--lang en|zh overrides it)",
            "错误：环境变量 EVALKIT_LANG 的值为 'fr'：请设为 en 或 zh，或不设置（--lang en|zh 优先于它）",
        ],
    )
    code, out, _ = run(capsys, "validate", str(small_dir), "--lang", "zh")  # not read: no error
    assert code == 0 and out.startswith(f"{small_dir}：校验通过")


def test_check_help_in_chinese(capsys):
    code, out, _ = run(capsys, "check", "--help", "--lang", "zh")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("用法：evalkit check [-h] [-p MODULE]")
    assert "  --period PERIOD       年份（如 2024）或季度（如 2024Q2）" in lines
    assert "  -h, --help            显示帮助并退出" in lines
    assert {"位置参数：", "选项：", "输入限制（每次拒绝都会指明文件和对应的选项）："} <= set(lines)
    assert "  --max-rows N          拒绝超过 N 行的文件和工作表（默认 10,000,000）" in lines
    assert not {"usage:", "options:", "positional arguments:", "show this help message and exit"} & set(out.split())
    # the usage's next lines line up under its first option: 用法： takes 6 columns, not 7
    usage = lines[: lines.index("")]
    assert usage[1:] and all(line.startswith(" " * 20) and line[20] != " " for line in usage[1:])


def test_top_level_help_in_chinese_lists_the_commands(capsys):
    code, out, _ = run(capsys, "--lang", "zh", "--help")
    lines = out.splitlines()
    assert code == 0 and lines[:3] == [
        "用法：evalkit [-h] [--version] [--lang {en,zh}] COMMAND ...",
        "",
        "根据党建台账生成考核表格。",
    ]
    assert any(line.split() == ["validate", "检查文件、类型和引用；列出每个问题"] for line in lines)
    assert any(line.split() == ["--version", "显示版本号并退出"] for line in lines)


def every_parser(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from every_parser(sub)


def test_every_help_text_and_title_has_its_chinese():
    """A new option's help text needs its Chinese in cli_language._ZH (keyed by the English)."""
    missing = set()
    for parser in every_parser(cli.build_parser("en")):
        texts = [parser.description] + [group.title for group in parser._action_groups]
        texts += [action.help for action in parser._actions if action.help != argparse.SUPPRESS]
        for action in parser._actions:
            texts += [choice.help for choice in getattr(action, "_choices_actions", [])]
        missing |= {text for text in texts if text and cli_language._zh_help(text) == text}
    assert missing == set()


def test_every_message_template_has_its_chinese():
    """Each `say("…")` of cli.py names an entry of cli_language._ZH (a typo would print English)."""
    tree = ast.parse(inspect.getsource(cli))
    said = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "say"
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(said) > 10 and said - set(cli_language._ZH) == set()


def test_a_missing_period_in_chinese(capsys, small_dir):
    code, out, err = run(capsys, "check", str(small_dir), "--lang", "zh")
    lines = err.splitlines()
    assert (code, out) == (2, "") and lines[0].startswith("用法：evalkit check [-h]")
    assert lines[-1] == "evalkit check: 错误：缺少必需的参数：--period"


def test_a_missing_period_in_english_as_argparse_says_it(capsys, small_dir):
    code, _, err = run(capsys, "check", str(small_dir))
    lines = err.splitlines()
    assert code == 2 and lines[0].startswith("usage: evalkit check [-h]")
    assert lines[-1] == "evalkit check: error: the following arguments are required: --period"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--workers", "x"], "evalkit check: 错误：参数 --workers：'x' 不是整数"),
        (["--max-rows", "0"], "evalkit check: 错误：参数 --max-rows：'0' 不是 ≥ 1 的整数"),
        (["--period"], "evalkit check: 错误：参数 --period：需要一个值"),
        (["--period", "2024", "--colour"], "evalkit: 错误：无法识别的参数：--colour"),
        (
            ["--period", "2024", "--exit-zero=yes"],
            "evalkit check: 错误：参数 --exit-zero：这个选项不带值（多了 'yes'）",
        ),
    ],
)
def test_argparse_errors_in_chinese(capsys, small_dir, args, error):
    code, _, err = run(capsys, "check", str(small_dir), "--lang", "zh", *args)
    assert (code, err.splitlines()[-1]) == (2, error)


def test_an_invalid_choice_in_chinese(capsys, small_dir):
    code, _, err = run(capsys, "--lang", "zh", "check", str(small_dir), "--period", "2024", "--format", "pdf")
    last = err.splitlines()[-1]
    assert (
        code == 2 and last.startswith("evalkit check: 错误：参数 --format：无效的选择 'pdf'（可选：") and "xlsx" in last
    )
    code, _, err = run(capsys, "--lang", "zh", "chek")
    assert code == 2 and err.splitlines()[-1].startswith("evalkit: 错误：参数 COMMAND：无效的选择 'chek'（可选：")


def test_lang_before_the_subcommand(capsys, small_dir):
    """Issue 22: `evalkit --lang zh check …` is the same as `evalkit check … --lang zh`."""
    code, out, err = run(capsys, "--lang", "zh", "check", str(small_dir), "--period", "1999", "--exit-zero")
    assert code == 0 and out.startswith(WORDS["zh"]["check_title"].format(period="1999年"))
    assert err.splitlines() == [
        "警告：1999年没有任何活动、会议、诉求、走访、三培养或否决事项记录；以下结果没有衡量任何内容（期间是否正确？）"
    ]
    assert run(capsys, "check", str(small_dir), "--period", "1999", "--exit-zero", "--lang", "zh")[1:] == (out, err)
    code, out, _ = run(
        capsys, "--lang", "zh", "check", str(small_dir), "--period", "1999", "--exit-zero", "--lang", "en"
    )
    assert code == 0 and out.startswith(WORDS["en"]["check_title"].format(period="1999"))  # the last one wins


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notes_are_printed_in_both_languages(capsys, lang):
    cli._print_notes(NOTES, lang)
    out, err = capsys.readouterr()
    assert (out, err.splitlines()) == ("", NOTE_LINES[lang])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_validate_prints_the_notes_then_the_valid_line(capsys, monkeypatch, small_dir, lang):
    with_notes(monkeypatch, NOTES)
    code, out, err = run(capsys, "validate", str(small_dir), "--lang", lang)
    assert (code, err.splitlines()) == (0, NOTE_LINES[lang])
    assert out.startswith(f"{small_dir}: valid (" if lang == "en" else f"{small_dir}：校验通过（")


@pytest.mark.parametrize("command", [["check", "--period", "2024"], ["assess", "--period", "2024"]])
def test_evaluating_commands_print_the_notes(capsys, monkeypatch, small_dir, command):
    with_notes(monkeypatch, NOTES)
    code, _, err = run(capsys, command[0], str(small_dir), *command[1:], "--lang", "zh", "--format", "json")
    assert code in (0, 1) and err.splitlines() == NOTE_LINES["zh"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_dataset_error_prints_its_notes_before_the_problems(capsys, monkeypatch, small_dir, lang):
    def refused(self, *args, **kwargs):
        problem = Problem("organizations.csv", 2, "member_count", "x", "a whole number ≥ 0", "整数（≥ 0）")
        raise DatasetError([problem], NOTES)

    monkeypatch.setattr(Session, "load", refused)
    code, _, err = run(capsys, "validate", str(small_dir), "--lang", lang)
    lines = err.splitlines()
    assert code == 2 and lines[:2] == NOTE_LINES[lang]
    assert lines[2].startswith("error: the dataset does not validate" if lang == "en" else "错误：数据集未通过校验")
    expected = "expected a whole number ≥ 0" if lang == "en" else "：应为整数（≥ 0）"
    assert lines[3].endswith(expected)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_validate_strict_refuses_a_warning(capsys, monkeypatch, small_dir, lang):
    with_notes(monkeypatch, NOTES)
    code, out, err = run(capsys, "validate", str(small_dir), "--strict", "--lang", lang)
    refusal = {
        "en": "error: --strict: 1 warning(s) about files not read",
        "zh": "错误：--strict：有 1 条关于文件未读取的警告",
    }
    assert (code, out, err.splitlines()) == (2, "", [*NOTE_LINES[lang], refusal[lang]])


def test_validate_strict_takes_notes_that_are_not_warnings(capsys, monkeypatch, small_dir):
    with_notes(monkeypatch, NOTES[:1])
    code, out, err = run(capsys, "validate", str(small_dir), "--strict")
    assert (code, err.splitlines()) == (0, NOTE_LINES["en"][:1]) and out.startswith(f"{small_dir}: valid (")


def test_validate_strict_with_a_ledger_not_read(capsys, small_dir, small):
    """The loader's own warning: a CSV file named like no record type is not read."""
    write_dataset(small_dir / "elsewhere", {"organisation_list": small["organizations"]})
    (small_dir / "elsewhere" / "organisation_list.csv").rename(small_dir / "organisation_list.csv")
    assert run(capsys, "validate", str(small_dir))[0] == 0
    code, out, err = run(capsys, "validate", str(small_dir), "--strict", "--lang", "zh")
    lines = err.splitlines()
    assert (code, out, lines[-1]) == (2, "", "错误：--strict：有 1 条关于文件未读取的警告")
    assert lines[:-1] and all(line.startswith(("提示：", "警告：")) for line in lines[:-1])
    assert any(line.startswith("警告：organisation_list.csv：") for line in lines)


def test_plugin_failure_and_interruption_lines_in_chinese(capsys, monkeypatch):
    from evalkit.plugins import PluginFailure

    session = Session()
    session.plugins.failures.append(PluginFailure("demo", "boom"))
    assert cli._plugin_failures(session, "zh") == 3
    assert capsys.readouterr().err == "错误：插件 demo：boom\n"

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "plugins", interrupted)
    assert run(capsys, "plugins", "--lang", "zh") == (130, "", "已中断：没有写出任何结果\n")


def test_rules_diff_and_verify_in_chinese(capsys, tmp_path):
    code, out, _ = run(capsys, "rules", "--diff", "--lang", "zh")
    assert (code, out) == (0, "使用内置规则包，没有改动\n")
    assert cli_language.zh_message("pack extra: added from rules/extra.yaml (version 1)") == (
        "规则包 extra：新增，来自 rules/extra.yaml（版本 1）"
    )
    assert cli_language.zh_message("pack one_plus_four: replaced by rules/opf.yaml (version 1 → 2)") == (
        "规则包 one_plus_four：被 rules/opf.yaml 替换（版本 1 → 2）"
    )
    assert cli_language.zh_message("  OPF03.params.min: (none) → 2") == "  OPF03.params.min: （无） → 2"
    cases = tmp_path / "cases"
    cases.mkdir()
    for name in ("base.yaml", "chn02_all_posts_pass.yaml", "chn02_missing_pioneer_fails.yaml"):
        (cases / name).write_bytes((ROOT / "tests" / "rule_cases" / name).read_bytes())
    code, out, _ = run(capsys, "verify", str(cases), "--lang", "zh")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["用例", "规则", "结果", "原因"]
    count = len(lines) - 3
    assert lines[-1] == f"通过 {count} 个，未通过 0 个" and all(line.split()[2] == "通过" for line in lines[2:-1])


def test_python_m_evalkit_with_evalkit_lang(small_dir):
    """The real command line, in its own process: EVALKIT_LANG=zh and an argparse error."""
    environment = {**os.environ, "EVALKIT_LANG": "zh", "EVALKIT_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "evalkit.cli", "assess", str(small_dir)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("用法：evalkit assess ")
    assert done.stderr.endswith("evalkit assess: 错误：缺少必需的参数：--period\n")
