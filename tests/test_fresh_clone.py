"""Installing evalkit: the README's two commands, run as written on a fresh clone (slow), the
distribution's name, and what a first run says when the rule engine was built wrong."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import evalkit
from evalkit.testing import run_cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
REBUILD = (
    'CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject" {python} -m pip install --no-cache-dir --force-reinstall '
    "durable-rules==2.0.28"
)


def test_the_distribution_is_evalkit_dangjian_and_the_example_depends_on_it():
    """`evalkit` on the package index is an unrelated project: nothing may depend on that name."""
    assert version("evalkit-dangjian") == evalkit.__version__
    example = (ROOT / "examples" / "evalkit-plugin-example" / "pyproject.toml").read_text(encoding="utf-8")
    assert re.findall(r"^dependencies = \[(.*?)\]", example, re.M) == ['"evalkit-dangjian"']


def test_no_doc_installs_evalkit_from_the_package_index():
    """Every `pip install` line of the README, docs and the example installs a folder, never a
    bare `evalkit` (or `evalkit[extra]`, `evalkit==…`), which would fetch the unrelated project."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").rglob("*.md"))]
    installs = [
        (page.name, line)
        for page in pages
        for line in page.read_text(encoding="utf-8").splitlines()
        if "pip install" in line
    ]
    assert len(installs) >= 4  # the README's two commands, docs/engine.md, docs/plugins.md and the example's
    by_name = [
        (name, word)
        for name, line in installs
        for word in line.replace("`", " ").split()
        if re.fullmatch(r"['\"]?evalkit(-dangjian)?(\[[^\]]*\])?([=<>!~].*)?['\"]?", word)
    ]
    assert by_name == []


def test_an_engine_that_does_not_load_is_a_message_with_the_rebuild_command(monkeypatch):
    """What a Python 3.13 install built without the README's CPPFLAGS does on its first run
    (its module fails to import: undefined symbol PyEval_CallObject)."""
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # `import` raises ImportError
    result = run_cli(["assess", str(SAMPLE), "--period", "2024"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: the rule engine durable-rules cannot be loaded (import of durable_rules_")
    assert result.stderr.rstrip().endswith("; rebuild it with: " + REBUILD.format(python=sys.executable))
    zh = run_cli(["check", str(SAMPLE), "--period", "2024", "--lang", "zh"])
    assert zh.exit_code == 2 and zh.stderr.startswith("错误：规则引擎 durable-rules 无法加载（")


# The README's two commands on a fresh clone ---------------------------------------------------


def interpreter(release: str) -> str:
    """The path of Python `release` (3.11): pyenv's, else one on PATH that is that release."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = [str(path) for path in sorted(pyenv.glob(f"versions/{release}.*/bin/python{release}"))]
    candidates += [found] if (found := shutil.which(f"python{release}")) else []
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in candidates:  # a pyenv shim on PATH may be there and refuse to run
        done = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip() == release:
            return candidate
    pytest.fail(f"Python {release} is needed and was not found ({pyenv}/versions, PATH): pyenv install {release}")


def readme_commands(readme: Path) -> list[str]:
    """The code blocks of the README's "Two commands" section: the main job, then the tests."""
    section = readme.read_text(encoding="utf-8").split("\n## Two commands\n", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```sh\n(.*?)\n```$", section, re.M | re.S)
    assert len(commands) == 2 and all(command.startswith("python3 -m venv ") for command in commands), commands
    return commands


def run(command: str, clone: Path, environment: dict[str, str], timeout: int) -> str:
    done = subprocess.run(
        ["sh", "-c", command], cwd=clone, env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )
    # without the notes pip prints for every package on a machine with an extra index that lacks it
    errors = [line for line in done.stderr.splitlines() if "it is neither a file nor a directory" not in line]
    assert done.returncode == 0, "\n".join([command, f"exit {done.returncode}", done.stdout[-6000:], *errors[-40:]])
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("release", ["3.11", "3.13"])
def test_a_fresh_clone_runs_the_readmes_two_commands_as_written(release, tmp_path):
    """The committed HEAD cloned, then its README's commands with `python3` replaced by Python
    `release`, in a user's environment (no EVALKIT_* or PYTEST_* settings of this run): the main
    job prints the assessment with the built-in plugins only, the default test run passes with the
    example plugin installed in `.venv-test`, and `.venv` never gets the example. Each build of
    durable-rules bypasses pip's cache, so a wheel built without the flag cannot stand in for it."""
    python = interpreter(release)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    main_job, tests = (
        re.sub(r"^python3 ", f"{shlex.quote(python)} ", command) for command in readme_commands(clone / "README.md")
    )
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("EVALKIT_", "PYTEST_", "PYTHON", "VIRTUAL_ENV", "HYPOTHESIS"))
    }
    # The tests' run inside this one: at most two workers, the default selection (no slow test,
    # so no recursion). Its temporary folders are where a user's would be: inside this test's,
    # a socket's path would be longer than AF_UNIX takes (108 bytes).
    environment["PYTEST_ADDOPTS"] = "-n 2"
    init = (clone / "evalkit" / "__init__.py").read_text(encoding="utf-8")  # pyproject.toml reads it there
    release_version = re.search(r'^__version__ = "(.+)"', init, re.M)[1]

    assessment = run(main_job, clone, environment, timeout=1200).splitlines()
    assert "Departments" in assessment and "Cadres" in assessment  # the score tables' titles, each a line
    builtins = ("one_plus_four", "service", "chain_council", "coverage", "branch_life")
    assert f"plugins: {', '.join(f'{name} {release_version}' for name in builtins)}" in assessment

    summary = run(tests, clone, environment, timeout=2400)
    assert re.search(r"^=+ \d+ passed.* in [\d.]+s", summary.splitlines()[-1]), summary[-2000:]
    assert "evalkit-plugin-example is not installed" not in summary  # its discovery tests ran

    plugins = run(".venv/bin/evalkit plugins", clone, environment, timeout=120).splitlines()
    assert [line.split()[0] for line in plugins[2:]] == list(builtins)
    test_plugins = run(".venv-test/bin/evalkit plugins", clone, environment, timeout=120).splitlines()
    assert "entry point (evalkit-plugin-example)" in next(line for line in test_plugins if line.startswith("safety "))
    assert f"Python {release}." in run(".venv/bin/python --version", clone, environment, timeout=60)
