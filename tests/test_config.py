"""Settings typed once (issue 22): evalkit.toml in the current folder or [tool.evalkit] of
./pyproject.toml, an evalkit.toml beside the ledgers (lang, period and tz only: a received ledger
never chooses code to run), the environment, the command line; `evalkit config` shows each
setting in force and where it came from."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest

from evalkit import cli_language, config
from evalkit.config import Configuration
from evalkit.testing import run_cli

VARIABLES = ("EVALKIT_LANG", "EVALKIT_TZ", "EVALKIT_RULES_DIR", "EVALKIT_PLUGINS_DIR")


@pytest.fixture(autouse=True)
def _in_an_empty_folder(tmp_path, monkeypatch):
    """Each test runs in a folder of its own, with none of evalkit's variables set."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("COLUMNS", "100")


def layered(tmp_path: Path) -> Path:
    """The current folder with ./pyproject.toml and ./evalkit.toml, and a dataset folder with its
    own evalkit.toml, each setting some of the same keys."""
    work = tmp_path / "work"
    (work / "pyproject.toml").write_text(
        '[project]\nname = "office"\n\n[tool.evalkit]\nlang = "zh"\nperiod = 2022\ntz = "UTC"\n'
        'rules_dir = "py_rules"\nplugins_dir = "py_plugins"\n',
        encoding="utf-8",
    )
    (work / "evalkit.toml").write_text(
        'period = "2023"\ntz = "Asia/Tokyo"\nrules_dir = "cwd_rules"\n', encoding="utf-8"
    )
    dataset = work / "ledgers"
    dataset.mkdir()
    (dataset / "evalkit.toml").write_text('period = "2024年第三季度"\ntz = "Asia/Shanghai"\n', encoding="utf-8")
    return dataset


def in_force(configuration: Configuration) -> dict[str, tuple[str | None, str]]:
    return {key: (setting.value, setting.source.en) for key, setting in configuration.settings().items()}


def test_precedence_command_line_environment_dataset_folder_pyproject_default(tmp_path):
    dataset = layered(tmp_path)
    typed = {"period": "2024", "rules_dir": "cli_rules", "lang": None}
    environ = {"EVALKIT_TZ": "Europe/Berlin", "EVALKIT_LANG": "  "}  # set to blanks: not set
    assert in_force(Configuration(typed, dataset, environ)) == {
        "lang": ("zh", "./pyproject.toml [tool.evalkit]"),
        "period": ("2024", "command line"),
        "tz": ("Europe/Berlin", "environment EVALKIT_TZ"),
        "rules_dir": ("cli_rules", "command line"),
        "plugins_dir": ("py_plugins", "./pyproject.toml [tool.evalkit]"),
    }
    from_dataset = f"{dataset}/evalkit.toml"
    assert in_force(Configuration({}, dataset, environ)) == {
        "lang": ("zh", "./pyproject.toml [tool.evalkit]"),
        "period": ("2024年第三季度", from_dataset),
        "tz": ("Europe/Berlin", "environment EVALKIT_TZ"),
        "rules_dir": ("cwd_rules", "./evalkit.toml"),
        "plugins_dir": ("py_plugins", "./pyproject.toml [tool.evalkit]"),
    }
    assert in_force(Configuration({}, dataset, {}))["tz"] == ("Asia/Shanghai", from_dataset)
    without_dataset = in_force(Configuration({}, None, {}))
    assert (without_dataset["period"], without_dataset["tz"]) == (
        ("2023", "./evalkit.toml"),
        ("Asia/Tokyo", "./evalkit.toml"),
    )
    Path("evalkit.toml").unlink()
    assert in_force(Configuration({}, None, {})) == {
        "lang": ("zh", "./pyproject.toml [tool.evalkit]"),
        "period": ("2022", "./pyproject.toml [tool.evalkit]"),  # a bare year in TOML
        "tz": ("UTC", "./pyproject.toml [tool.evalkit]"),
        "rules_dir": ("py_rules", "./pyproject.toml [tool.evalkit]"),
        "plugins_dir": ("py_plugins", "./pyproject.toml [tool.evalkit]"),
    }
    Path("pyproject.toml").unlink()
    assert in_force(Configuration({}, None, {})) == {
        "lang": ("en", "default"),
        "period": (None, "default"),
        "tz": (None, "default"),
        "rules_dir": (None, "default"),
        "plugins_dir": (None, "default"),
    }


def test_a_pyproject_without_tool_evalkit_sets_nothing():
    Path("pyproject.toml").write_text('[project]\nname = "other"\n\n[tool.ruff]\nline-length = 99\n', encoding="utf-8")
    assert in_force(Configuration({}, None, {}))["lang"] == ("en", "default")


def test_evalkit_config_shows_each_setting_and_its_source(tmp_path, monkeypatch):
    dataset = layered(tmp_path)
    monkeypatch.setenv("EVALKIT_TZ", "Europe/Berlin")
    result = run_cli(["config", "ledgers", "--rules-dir", "mine", "--lang", "en"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "setting      value           source",
        "-----------  --------------  -------------------------------",
        "lang         en              command line",
        "period       2024年第三季度  ledgers/evalkit.toml",
        "tz           Europe/Berlin   environment EVALKIT_TZ",
        "rules_dir    mine            command line",
        "plugins_dir  py_plugins      ./pyproject.toml [tool.evalkit]",
    ]
    (dataset / "evalkit.toml").unlink()
    Path("pyproject.toml").unlink()
    result = run_cli(["config", "--lang", "zh"])
    assert result.stdout.splitlines() == [
        "设置         值             来源",
        "-----------  -------------  -------------------",
        "lang         zh             命令行",
        "period       2023           ./evalkit.toml",
        "tz           Europe/Berlin  环境变量 EVALKIT_TZ",
        "rules_dir    cwd_rules      ./evalkit.toml",
        "plugins_dir  （未设置）     默认值",
    ]


@pytest.mark.parametrize("key", ["rules_dir", "plugins_dir"])
def test_a_dataset_folder_may_not_choose_code_to_run(tmp_path, small_dir, key):
    (small_dir / "evalkit.toml").write_text(f'{key} = "{tmp_path}"\n', encoding="utf-8")
    variable = {"rules_dir": "EVALKIT_RULES_DIR", "plugins_dir": "EVALKIT_PLUGINS_DIR"}[key]
    file = f"{small_dir}/evalkit.toml"
    refusal = {
        "en": f"error: {file}: {key}: an evalkit.toml in the dataset folder may set only lang, period and tz (a "
        f"received ledger must never choose code to run); set {key} on the command line, in {variable} or in "
        "./evalkit.toml",
        "zh": f"错误：{file}：{key}：数据集文件夹中的 evalkit.toml 只能设置 lang、period 和 tz"
        f"（收到的台账不能决定运行哪些代码）；请在命令行、环境变量 {variable} 或 ./evalkit.toml 中设置 {key}",
    }
    for lang in ("en", "zh"):
        result = run_cli(["check", str(small_dir), "--period", "2024", "--lang", lang])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", refusal[lang] + "\n")
    typed = run_cli(["validate", str(small_dir), f"--{key.replace('_', '-')}", str(tmp_path)])  # refused all the same
    assert (typed.exit_code, typed.stderr) == (2, refusal["en"] + "\n")


def test_lang_and_period_from_the_dataset_folder(small_dir):
    (small_dir / "evalkit.toml").write_text('lang = "zh"\nperiod = "2024年第一季度"\n', encoding="utf-8")
    result = run_cli(["check", str(small_dir), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["period"] == "2024Q1"
    messages = {(finding["rule"], finding["subject"]): finding["message"] for finding in report["findings"]}
    assert {finding["period"] for finding in report["findings"]} == {"2024Q1"}
    assert messages[("OPF01", "J1")] == "2024年第一季度初尚未成立，不检查"  # established 2024-02-10
    validated = run_cli(["validate", str(small_dir)])
    assert validated.exit_code == 0 and validated.stdout.startswith(f"{small_dir}：校验通过（党组织 ")


def test_the_environment_wins_over_the_dataset_folder(small_dir, monkeypatch):
    (small_dir / "evalkit.toml").write_text('lang = "zh"\n', encoding="utf-8")
    monkeypatch.setenv("EVALKIT_LANG", "en")
    result = run_cli(["validate", str(small_dir)])
    assert result.exit_code == 0 and result.stdout.startswith(f"{small_dir}: valid (organizations ")


def test_lang_of_the_current_folder_speaks_the_help_and_usage_errors():
    Path("evalkit.toml").write_text('lang = "zh"\n', encoding="utf-8")
    result = run_cli(["check", "somewhere"])
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == "evalkit check: 错误：缺少必需的参数：--period"


def test_plugins_dir_from_the_environment(tmp_path, monkeypatch):
    folder = tmp_path / "office_plugins"
    folder.mkdir()
    (folder / "office.py").write_text("__version__ = '3.1'\n", encoding="utf-8")
    monkeypatch.setenv("EVALKIT_PLUGINS_DIR", str(folder))
    result = run_cli(["plugins"])
    assert result.exit_code == 0 and result.stdout.splitlines()[-1].split() == [
        "office",
        "3.1",
        str(folder / "office.py"),
    ]


@pytest.mark.parametrize(
    ("text", "en", "zh"),
    [
        (
            'lang_ = "zh"\n',
            "./evalkit.toml: lang_ is not a setting (settings: lang, period, tz, rules_dir, plugins_dir) "
            "(did you mean lang?)",
            "./evalkit.toml：lang_ 不是可用的设置（可用：lang、period、tz、rules_dir、plugins_dir）（是否应为 lang？）",
        ),
        (
            'lang = "fr"\n',
            "./evalkit.toml: lang = 'fr': set it to en or zh, or unset it (--lang en|zh overrides it)",
            "./evalkit.toml：lang = 'fr'：请设为 en 或 zh，或不设置（--lang en|zh 优先于它）",
        ),
        ("lang = zh\n", "./evalkit.toml: not valid TOML (", "./evalkit.toml：不是有效的 TOML 文件（"),
        (
            "lang = 1\n",
            './evalkit.toml: lang must be text in quotes, such as lang = "…"',
            './evalkit.toml：lang 的值应为带引号的文本，如 lang = "…"',
        ),
    ],
)
def test_a_broken_configuration_file_is_refused_in_both_languages(text, en, zh):
    """Before the command line is parsed, the language is not known yet: both are said."""
    Path("evalkit.toml").write_text(text, encoding="utf-8")
    result = run_cli(["rules"])
    lines = result.stderr.splitlines()
    assert (result.exit_code, result.stdout, len(lines)) == (2, "", 2)
    assert lines[0].startswith(f"error: {en}") and lines[1].startswith(f"错误：{zh}")


def test_a_bad_value_names_its_source_once_it_is_in_force(small_dir, monkeypatch):
    (small_dir / "evalkit.toml").write_text('period = "2024Q5"\n', encoding="utf-8")
    result = run_cli(["check", str(small_dir)])
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {small_dir}/evalkit.toml: period = '2024Q5': not a period (a year such as 2024, a quarter such as "
        "2024Q3 or 2024年第三季度)\n",
    )
    assert run_cli(["check", str(small_dir), "--period", "2024", "--format", "json"]).exit_code == 1  # not in force
    monkeypatch.setenv("EVALKIT_TZ", "Mars/Olympus")
    result = run_cli(["--lang", "zh", "rules"])
    assert (result.exit_code, result.stderr) == (
        2,
        "错误：环境变量 EVALKIT_TZ 的值为 'Mars/Olympus'：不是有效的时区（应为时区名称，如 Asia/Shanghai 或 UTC）\n",
    )


def test_tool_evalkit_must_be_a_table():
    Path("pyproject.toml").write_text('[tool]\nevalkit = "zh"\n', encoding="utf-8")
    result = run_cli(["config", "--lang", "en"])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: ./pyproject.toml: [tool.evalkit] must be a table of settings\n",
    )


def test_every_message_template_of_the_configuration_has_its_chinese():
    """Each message template of config.py (`say("…")`, `_refusal("…")`, `_EXPECTED`) names an entry
    of cli_language._ZH."""
    said = {
        node.args[0].value
        for node in ast.walk(ast.parse(inspect.getsource(config)))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") in ("say", "_refusal")
        and isinstance(node.args[0], ast.Constant)
    }
    said |= set(config._EXPECTED.values())
    assert len(said) == 12 and said - set(cli_language._ZH) == set()
