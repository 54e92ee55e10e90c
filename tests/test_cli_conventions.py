"""The command's conventions (issue 22): --output names the format, output cut short by its
reader ends quietly (141), options every command takes may come before its name (the later one
wins), -q and -v, "did you mean", --subject by name and periods as evalkit prints them."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

from evalkit import cli
from evalkit.errors import Note, UsageError
from evalkit.periods import Period
from evalkit.progress import Progress
from evalkit.session import Session
from evalkit.testing import run_cli, write_dataset


@pytest.fixture(autouse=True)
def _no_configuration(tmp_path, monkeypatch):
    """No evalkit variable of the machine, no evalkit.toml of the folder the tests run in."""
    for name in ("EVALKIT_LANG", "EVALKIT_TZ", "EVALKIT_RULES_DIR", "EVALKIT_PLUGINS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def check(dataset, *options: str):
    return run_cli(["check", str(dataset), "--period", "2024", "--exit-zero", *options])


# --output names the format


@pytest.mark.parametrize(
    ("given", "output", "expected"),
    [
        (None, None, "text"),
        (None, "-", "text"),
        (None, "report.xlsx", "xlsx"),
        (None, "REPORT.XLSX", "xlsx"),
        (None, "report.html", "html"),
        (None, "report.md", "markdown"),
        (None, "report.json", "json"),
        (None, "report.txt", "text"),
        (None, "tables.zip", "csv"),
        (None, "report.out", "text"),
        (None, "tables", "text"),
        ("json", "-", "json"),
        ("markdown", "report.out", "markdown"),
        ("csv", "tables", "csv"),
        ("csv", "tables.csv", "csv"),  # a folder named so, as --format csv wrote before
        ("xlsx", "scores.xlsx", "xlsx"),
    ],
)
def test_the_report_format_from_format_and_output(given, output, expected):
    assert cli._report_format(given, output) == expected


@pytest.mark.parametrize(
    ("given", "output", "en", "zh"),
    [
        (
            None,
            "tables.csv",
            "--output tables.csv: a CSV report is several tables: name a .zip file, or a folder with --format csv",
            "--output tables.csv：CSV 报告包含多张表：请指定 .zip 文件，或用 --format csv 指定一个文件夹",
        ),
        (
            "json",
            "scores.xlsx",
            "--format json contradicts --output scores.xlsx (a .xlsx file is xlsx): drop one of them",
            "--format json 与 --output scores.xlsx 矛盾（.xlsx 文件对应 xlsx）：请去掉其中之一",
        ),
        (
            "text",
            "report.md",
            "--format text contradicts --output report.md (a .md file is markdown): drop one of them",
            "--format text 与 --output report.md 矛盾（.md 文件对应 markdown）：请去掉其中之一",
        ),
    ],
)
def test_a_csv_name_or_a_contradicting_format_is_refused(given, output, en, zh):
    with pytest.raises(UsageError) as refused:
        cli._report_format(given, output)
    assert (refused.value.text("en"), refused.value.text("zh")) == (en, zh)


def test_output_without_format_writes_what_its_name_says(small_dir, tmp_path):
    for name in ("r.md", "r.html", "r.txt", "r.json", "r.zip", "r.xlsx"):
        assert check(small_dir, "-o", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Compliance check 2024\n")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<title>Compliance check 2024</title>" in html
    assert (tmp_path / "r.txt").read_text(encoding="utf-8").startswith("Compliance check 2024\n")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["period"] == "2024"
    assert {"cover.csv", "findings.csv"} <= set(zipfile.ZipFile(tmp_path / "r.zip").namelist())
    assert "xl/workbook.xml" in zipfile.ZipFile(tmp_path / "r.xlsx").namelist()


def test_a_refused_output_name_writes_nothing(small_dir, tmp_path):
    result = check(small_dir, "--format", "json", "--output", str(tmp_path / "scores.xlsx"), "--lang", "zh")
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr
        == f"错误：--format json 与 --output {tmp_path}/scores.xlsx 矛盾（.xlsx 文件对应 xlsx）：请去掉其中之一\n"
    )
    assert check(small_dir, "-o", str(tmp_path / "tables.csv")).exit_code == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data"]


# output cut short


@pytest.mark.parametrize(
    "command", [["rules"], ["plugins"], ["assess", "{data}", "--period", "2024", "--format", "json"]]
)
def test_a_reader_that_stops_reading_ends_the_run_quietly_with_141(small_dir, command):
    """`evalkit rules | head`: the reader is gone before evalkit writes (its end of the pipe closed
    first), so every write fails as it would once `head` had read its lines."""
    read, write = os.pipe()
    os.close(read)
    environment = {**os.environ, "EVALKIT_DISABLE_PLUGIN_AUTOLOAD": "1"}
    args = [sys.executable, "-m", "evalkit.cli", *(arg.format(data=small_dir) for arg in command)]
    try:
        done = subprocess.run(args, stdout=write, stderr=subprocess.PIPE, text=True, env=environment, timeout=120)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


# options before or after the command's name


def plugin_names(result) -> list[str]:
    return [line.split()[0] for line in result.stdout.splitlines()[2:]]


def test_p_before_and_after_the_command_both_count():
    assert plugin_names(run_cli(["plugins"])) == [
        "one_plus_four",
        "service",
        "chain_council",
        "coverage",
        "branch_life",
    ]
    assert plugin_names(run_cli(["-p", "no:coverage", "plugins", "-p", "no:service"])) == [
        "one_plus_four",
        "chain_council",
        "branch_life",
    ]


@pytest.fixture
def three_problems(tmp_path, small):
    """A dataset whose organizations.csv has 3 problems (member counts that are no numbers)."""
    for organization in small["organizations"][:3]:
        organization["member_count"] = "many"
    return write_dataset(tmp_path / "broken", small)


@pytest.mark.parametrize(
    ("args", "more"),
    [
        (["--max-problems", "1", "validate", "{data}"], 2),
        (["validate", "{data}", "--max-problems", "1"], 2),
        (["--max-problems", "1", "validate", "{data}", "--max-problems", "2"], 1),
        (["--max-problems=2", "validate", "{data}", "--max-problems", "1"], 2),
    ],
)
def test_the_option_after_the_command_wins(three_problems, args, more):
    result = run_cli([arg.format(data=three_problems) for arg in args])
    lines = result.stderr.splitlines()
    assert (
        result.exit_code == 2
        and lines[-1] == f"  organizations.csv: {more} more problems not shown (raise --max-problems)"
    )
    assert len(lines) == 1 + 3 - more + 1


def test_lang_and_quiet_before_the_command_and_verbose_after_it(small_dir):
    result = run_cli(["-q", "--lang", "zh", "check", str(small_dir), "--period", "2024Q1", "--exit-zero", "-v"])
    stages = [line.split("：")[0] for line in result.stderr.splitlines()]
    assert result.exit_code == 0 and stages == ["正在读取数据", "正在执行规则", "正在生成报告"]


# "did you mean"


@pytest.mark.parametrize(
    ("args", "en", "zh"),
    [
        (
            ["chek"],
            "evalkit: error: argument COMMAND: invalid choice: 'chek' (choose from 'validate', 'check', 'assess', "
            "'explain', 'diff', 'rules', 'verify', 'plugins', 'template', 'config', 'serve') (did you mean check?)",
            "evalkit: 错误：参数 COMMAND：无效的选择 'chek'（可选：'validate', 'check', 'assess', 'explain', 'diff', "
            "'rules', 'verify', 'plugins', 'template', 'config', 'serve'）（是否应为 check？）",
        ),
        (
            ["check", "{data}", "--perod", "2024"],
            "evalkit: error: unrecognized arguments: --perod 2024 (did you mean --period?)",
            "evalkit: 错误：无法识别的参数：--perod 2024（是否应为 --period？）",
        ),
        (
            ["check", "{data}", "--period", "2024", "--fromat=json"],
            "evalkit: error: unrecognized arguments: --fromat=json (did you mean --format?)",
            "evalkit: 错误：无法识别的参数：--fromat=json（是否应为 --format？）",
        ),
        (
            ["--exit-zero", "check", "{data}", "--period", "2024"],
            "evalkit: error: unrecognized arguments: --exit-zero (put --exit-zero after the command's name)",
            "evalkit: 错误：无法识别的参数：--exit-zero（请把 --exit-zero 放在命令名之后）",
        ),
        (
            ["check", "{data}", "--period", "2024", "-f", "jsn"],
            "evalkit check: error: argument --format: invalid choice: 'jsn' (choose from 'text', 'markdown', "
            "'html', 'csv', 'json', 'xlsx') (did you mean json?)",
            "evalkit check: 错误：参数 --format：无效的选择 'jsn'（可选：'text', 'markdown', 'html', 'csv', 'json', "
            "'xlsx'）（是否应为 json？）",
        ),
    ],
)
def test_a_mistyped_command_option_or_choice_gets_the_closest_one(small_dir, args, en, zh):
    for lang, said in (("en", en), ("zh", zh)):
        result = run_cli(["--lang", lang, *(arg.format(data=small_dir) for arg in args)])
        assert (result.exit_code, result.stdout, result.stderr.splitlines()[-1]) == (2, "", said)


# -q and -v

NOTES = [Note("活动台账.csv", "a note", "一条提示"), Note("组织.csv", "a warning", "一条警告", warning=True)]


@pytest.fixture
def noted(monkeypatch):
    """The session's load returns its dataset with NOTES."""
    load = Session.load

    def with_notes(self, *args, **kwargs):
        dataset = load(self, *args, **kwargs)
        dataset.notes = list(NOTES)
        return dataset

    monkeypatch.setattr(Session, "load", with_notes)


def test_quiet_shows_no_notes_warnings_or_progress_but_errors(small_dir, noted):
    assert run_cli(["validate", str(small_dir)]).stderr == "note: 活动台账.csv: a note\nwarning: 组织.csv: a warning\n"
    assert run_cli(["validate", str(small_dir), "-q"]).stderr == ""
    result = run_cli(["-q", "check", str(small_dir), "--period", "1999", "--exit-zero"])  # nothing dated in 1999
    assert (result.exit_code, result.stderr) == (0, "")
    result = run_cli(["--quiet", "check", str(small_dir), "--period", "2024", "--subject", "b1"])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --subject b1: no organisation, enterprise, department or cadre has this id (did you mean B1?)\n",
    )


def test_verbose_shows_each_stage_and_its_time(small_dir):
    result = run_cli(["check", str(small_dir), "--period", "2024", "--exit-zero", "--verbose", "-f", "json"])
    lines = result.stderr.splitlines()
    assert result.exit_code == 0 and json.loads(result.stdout)["period"] == "2024"
    assert [re.sub(r"\d+\.\d\d", "N", line) for line in lines] == [
        "loading the dataset: N s",
        "evaluating the rules: N s",
        "writing the report: N s",
    ]


def test_verbose_shows_a_failing_plugins_traceback(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "broken.py").write_text("def load():\n    raise RuntimeError('boom')\n\nload()\n", encoding="utf-8")
    quiet = run_cli(["plugins", "--plugins-dir", str(folder)])
    said = f'error: plugin broken: Error importing plugin "broken" ({folder}/broken.py): RuntimeError: boom'
    assert (quiet.exit_code, quiet.stderr) == (3, said + "\n")
    result = run_cli(["-v", "--lang", "zh", "plugins", "--plugins-dir", str(folder)])
    lines = result.stderr.splitlines()
    assert result.exit_code == 3 and lines[:3] == [
        f'错误：插件 broken：Error importing plugin "broken" ({folder}/broken.py): RuntimeError: boom',
        "插件 broken 的调用栈：",
        "Traceback (most recent call last):",
    ]
    assert lines[-2:] == ["    raise RuntimeError('boom')", "RuntimeError: boom"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_timings_and_no_line_when_not_live():
    stream = Terminal()
    with Progress(delay=0, stream=stream, live=False, timing=lambda stage, seconds: f"{stage} done") as progress:
        progress.step("loading")
        progress.step("writing")
        assert progress._thread is None
    assert stream.getvalue() == "loading done\nwriting done\n"


# --subject by name


def test_subject_by_id_nfkc_id_or_unique_name():
    names = {"B1": "一号支部", "B2": "二号支部", "D1": "ＡＢ局", "K1": "王一"}
    assert [cli._subject(given, names) for given in ("B1", "Ｂ１", " 一号支部 ", "AB局", "王一")] == [
        "B1",
        "B1",
        "B1",
        "D1",
        "K1",
    ]


def test_a_name_several_subjects_have_is_refused_with_their_ids():
    names = {"K2": "王一", "B1": "一号支部", "K1": "王一"}
    with pytest.raises(UsageError) as refused:
        cli._subject("王一", names)
    assert refused.value.text("en") == "--subject 王一: 2 subjects have this name (K1, K2); give the id of one"
    assert refused.value.text("zh") == "--subject 王一：有 2 个对象叫这个名称（K1, K2）；请给出其中一个的编号"


def test_check_a_branch_by_its_name(small_dir):
    by_id = check(small_dir, "--subject", "B1", "--format", "json")
    by_name = check(small_dir, "--subject", "一号支部", "--format", "json")
    assert by_id.exit_code == by_name.exit_code == 0 and by_name.stdout == by_id.stdout
    assert {finding["subject"] for finding in json.loads(by_name.stdout)["findings"]} == {"B1"}


# periods as evalkit prints them


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2024", Period(2024)),
        ("2024年", Period(2024)),
        ("2024Q3", Period(2024, 3)),
        ("2024q3", Period(2024, 3)),
        ("2024-Q3", Period(2024, 3)),
        ("2024年第三季度", Period(2024, 3)),
        ("2024年三季度", Period(2024, 3)),
        ("2024年第3季度", Period(2024, 3)),
        ("２０２４年第一季度", Period(2024, 1)),
        (" 2024年第四季度 ", Period(2024, 4)),
    ],
)
def test_a_period_as_a_person_writes_it(text, period):
    assert Period.parse(text) == period


@pytest.mark.parametrize("text", ["2024Q5", "2024-3", "2024年第五季度", "2024年第三季", "24年", "2024年Q3"])
def test_what_is_no_period_is_refused(text):
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(text)


def test_labels_are_unchanged_and_read_back():
    assert [Period(2024, 3).label("zh"), Period(2024).label("zh"), Period(2024, 3).label("en")] == [
        "2024年第三季度",
        "2024年",
        "2024Q3",
    ]
    assert Period.parse(Period(2024, 2).label("zh")) == Period(2024, 2)


def test_check_with_the_period_as_evalkit_prints_it(small_dir):
    printed = run_cli(["check", str(small_dir), "--period", "2024年第一季度", "--format", "json"])
    coded = run_cli(["check", str(small_dir), "--period", "2024Q1", "--format", "json"])
    assert printed.exit_code == coded.exit_code == 1 and printed.stdout == coded.stdout
    assert json.loads(printed.stdout)["period"] == "2024Q1"
