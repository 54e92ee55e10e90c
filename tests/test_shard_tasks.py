"""A folder of shards run as tasks (shards.py, docs/scale.md): in this process (--jobs 1), in
local processes (--jobs 2) and on a real local Dask cluster (--executor): the very JSON of the
shards loaded as one dataset, which tests/test_shards.py shows is that of their concatenation; a
lost process or worker costs a second attempt, a shard failing twice exits 3 writing nothing.
Every test starting processes (--jobs 2, the Dask cluster) and the longer runs are in the slow
set (CI runs it); the default run has the tasks in this process."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from evalkit.testing import run_cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (benchmarks/generate.py: not a package)
from test_shards import edit, rows  # noqa: E402

PINNED = ("--generated-at", "2025-01-15T09:00:00+08:00", "-q")


@pytest.fixture(scope="module")
def country(tmp_path_factory) -> Path:
    """Three one-district shards, their waivers kept (each names its shard's file)."""
    base = tmp_path_factory.mktemp("tasks")
    for number in range(3):
        generate.generate(1, base / "country" / f"d{number}", district_offset=number)
    return base / "country"


def run(command: str, folder: Path, period: str, *extra: str):
    return run_cli([command, str(folder), "--period", period, "--format", "json", *PINNED, *extra])


def json_of(command: str, folder: Path, period: str, *extra: str) -> str:
    result = run(command, folder, period, *extra)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


#: The tasks in this process (what the driver makes of the parts) and in a pool of two processes
#: (what crosses a process's boundary: in the slow set, as every test starting processes).
JOBS = pytest.mark.parametrize("jobs", ["1", pytest.param("2", marks=pytest.mark.slow)])


@JOBS
@pytest.mark.parametrize(("command", "period"), [("check", "2024"), ("check", "2024Q3"), ("assess", "2024")])
def test_tasks_in_this_process_or_two_give_the_json_of_one_dataset(country, command, period, jobs):
    one = json_of(command, country, period)
    assert '"d1/waivers.csv:' in one  # waivers counted, named by their shard's file
    assert json_of(command, country, period, "--jobs", jobs) == one


@pytest.mark.slow
def test_the_audit_view_and_the_text_report_are_those_of_one_dataset(country):
    assert json_of("assess", country, "2024", "--jobs", "2", "--no-waivers") == json_of(
        "assess", country, "2024", "--no-waivers"
    )
    text = [run_cli(["assess", str(country), "--period", "2024", *PINNED, *jobs]) for jobs in ((), ("--jobs", "2"))]
    assert text[0].exit_code == text[1].exit_code == 0 and text[0].stdout == text[1].stdout


@JOBS
def test_a_self_check_of_one_branch_as_tasks_names_its_evidence_as_one_dataset_does(country, jobs):
    branch = "d0001B000"
    extra = ("--subject", branch, "--format", "text", "--today", "2025-01-06")
    command = ["check", str(country), "--period", "2024", *PINNED, *extra]
    alone = [run_cli([*command, *tasks]) for tasks in ((), ("--jobs", jobs))]
    assert alone[0].stdout == alone[1].stdout and branch in alone[0].stdout


@pytest.mark.slow
def test_the_spill_folder_holds_each_shards_tables_and_is_removed_unless_kept(country, tmp_path):
    spill = tmp_path / "spill"
    one = json_of("assess", country, "2024")
    spill.mkdir()
    assert json_of("assess", country, "2024", "--jobs", "2", "--spill", str(spill)) == one
    assert list(spill.iterdir()) == []  # the run's tables removed, the folder it did not make kept
    assert json_of("assess", country, "2024", "--jobs", "1", "--spill", str(spill), "--keep-spill") == one
    (run_folder,) = spill.iterdir()
    assert sorted(path.name for path in run_folder.iterdir()) == ["d0", "d1", "d2"]
    assert {"findings.parquet", "decisions.parquet"} <= {path.name for path in (run_folder / "d1").iterdir()}


@pytest.mark.slow
def test_a_pack_whose_ledger_only_some_shards_keep_judges_every_shard(country, tmp_path):
    """branch_life needs the meetings ledger: kept by d1 only, the pack judges d0's and d2's
    branches too (they held no meeting), as in the one dataset the shards make."""
    folder = Path(shutil.copytree(country, tmp_path / "country"))
    (folder / "d1" / "branch_meetings.csv").write_text(
        "id,org_id,date,kind,title\nM1,d0001B000,2024-03-05,党员大会,年度计划\n", encoding="utf-8"
    )
    one = json_of("assess", folder, "2024")
    assert '"LIFE01"' in one and '"d0000B000"' in one
    assert json_of("assess", folder, "2024", "--jobs", "2") == one


CRASHING = """\
import os
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import FactKind

SPILL = Path({spill!r})


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("lost_once", "organization", {{"members": "party members"}})]


@hookimpl
def evalkit_rule_packs():
    return [Path(__file__).with_name("lost_once.yaml")]  # written once: every process reads it


@hookimpl
def evalkit_facts(dataset):
    mark = SPILL / f"lost-{{dataset.shards[0]}}"
    if len(dataset.shards) == 1 and dataset.shards[0] in {lost!r} and ({always} or not mark.exists()):
        mark.touch()
        os._exit(1)  # the process or worker is lost, as when the machine kills it
    return []
"""


LOST_ONCE = """
pack: lost_once
version: "1"
title: {en: Lost once, zh: 丢失一次}
rules:
  - id: LOST01
    title: {en: At most 10 members, zh: 党员不超过10名}
    severity: low
    fact: lost_once
    when: "members > 10"
    message:
      pass: {en: "{members} members", zh: "{members}名党员"}
      fail: {en: "{members} members", zh: "{members}名党员"}
"""


def crashing_plugin(folder: Path, spill: Path, always: bool, lost: tuple[str, ...] = ("d1",)) -> Path:
    """A plugins folder whose plugin (its facts read by a rule, so asked for in every shard's
    task) ends the process running a shard of `lost`: the first time only (the spill folder keeps
    the mark) or every time. The shards loaded as one dataset are not one alone: nothing ends."""
    folder.mkdir()
    (folder / "crash.py").write_text(CRASHING.format(spill=str(spill), always=always, lost=lost), encoding="utf-8")
    (folder / "lost_once.yaml").write_text(LOST_ONCE, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_lost_process_costs_a_second_attempt_with_the_same_result(country, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    plugins = crashing_plugin(tmp_path / "plugins", spill, always=False)
    one = json_of("assess", country, "2024", "--plugins-dir", str(plugins))
    assert '"LOST01"' in one
    extra = ("--plugins-dir", str(plugins), "--spill", str(spill))
    assert json_of("assess", country, "2024", "--jobs", "2", *extra) == one
    assert (spill / "lost-d1").exists()


@pytest.mark.slow
def test_a_shard_failing_twice_exits_3_naming_it_and_writes_nothing(country, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    plugins = crashing_plugin(tmp_path / "plugins", spill, always=True)
    target = tmp_path / "out.json"
    extra = ("--plugins-dir", str(plugins), "--spill", str(spill), "--output", str(target))
    result = run("assess", country, "2024", "--jobs", "2", *extra)
    assert result.exit_code == 3 and not target.exists()
    assert result.stderr.startswith("error: shard d1 failed twice (BrokenProcessPool: ")
    assert result.stderr.endswith("): nothing was written\n")
    assert [path.name for path in spill.iterdir()] == ["lost-d1"]  # the run's tables removed


@pytest.mark.slow
def test_every_shard_failing_twice_is_named_with_its_error(country, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    plugins = crashing_plugin(tmp_path / "plugins", spill, always=True, lost=("d2", "d1"))
    result = run("assess", country, "2024", "--jobs", "2", "--plugins-dir", str(plugins), "--lang", "zh")
    assert result.exit_code == 3
    assert re.fullmatch(
        r"错误：分片 d1、d2 两次运行失败（d1：BrokenProcessPool: [^；]+；d2：BrokenProcessPool: [^；]+）"
        r"：没有写出任何结果\n",
        result.stderr,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--jobs", "2", "--executor", "dask://localhost:8786"), "error: --jobs runs the shards in local processes"),
        (("--executor", "spark://localhost:7077"), "error: --executor spark://localhost:7077: expected dask://"),
        (("--spill", "SPILL"), "error: --spill and --keep-spill are for a folder of shards run as tasks"),
        (("--jobs", "2", "--keep-spill"), "error: --keep-spill keeps the tables of --spill DIR"),
        (("--jobs", "2", "--spill", "COUNTRY/d0/spill"), "error: --spill COUNTRY/d0/spill: inside the dataset"),
        (("--jobs", "0"), "usage: evalkit assess"),
    ],
)
def test_options_that_cannot_go_together_are_refused_before_anything_runs(country, tmp_path, extra, message):
    extra = [item.replace("SPILL", str(tmp_path / "spill")).replace("COUNTRY", str(country)) for item in extra]
    result = run("assess", country, "2024", *extra)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.replace(str(country), "COUNTRY").startswith(message), result.stderr
    assert not (country / "d0" / "spill").exists()


def test_jobs_on_one_dataset_says_it_is_not_a_folder_of_shards():
    result = run("assess", ROOT / "sample_data", "2024", "--jobs", "2")
    assert result.exit_code == 2
    assert "sample_data: not a folder of shards" in result.stderr


@pytest.fixture(scope="module")
def cluster():
    """A real local Dask cluster: a scheduler and two worker processes, a task lost with its
    worker allowed once (as docs/scale.md configures an office's scheduler)."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    # worker-saturation 1.0: a worker holds only the task it runs, so one that dies costs no other
    # shard an attempt (at Dask's default 1.1 a queued shard died with it, and was named).
    config = {"distributed.scheduler.allowed-failures": 1, "distributed.scheduler.worker-saturation": 1.0}
    with dask.config.set(config):
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local:
            yield local.scheduler_address.replace("tcp://", "dask://")


@pytest.fixture(scope="module")
def ten(tmp_path_factory) -> tuple[Path, Path]:
    """Ten generated one-district shards, and the ten districts generated as one dataset."""
    base = tmp_path_factory.mktemp("ten")
    for number in range(10):
        generate.generate(1, base / "country" / f"d{number}", district_offset=number)
        (base / "country" / f"d{number}" / "waivers.csv").unlink()  # their places differ from the whole's
    generate.generate(10, base / "whole")
    (base / "whole" / "waivers.csv").unlink()
    return base / "country", base / "whole"


@pytest.mark.slow
def test_on_a_dask_cluster_ten_shards_give_the_json_of_their_concatenation(cluster, ten, tmp_path):
    shards, whole = ten
    spill = tmp_path / "spill"
    spill.mkdir()
    assert json_of("assess", shards, "2024", "--executor", cluster, "--spill", str(spill)) == json_of(
        "assess", whole, "2024"
    )
    assert json_of("check", shards, "2024Q3", "--executor", cluster) == json_of("check", whole, "2024Q3")


@pytest.mark.slow
def test_on_a_dask_cluster_a_lost_worker_costs_a_second_attempt(cluster, country, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    plugins = crashing_plugin(tmp_path / "plugins", spill, always=False)
    extra = ("--executor", cluster, "--plugins-dir", str(plugins), "--spill", str(spill))
    one = json_of("assess", country, "2024", "--plugins-dir", str(plugins))
    assert json_of("assess", country, "2024", *extra) == one
    assert (spill / "lost-d1").exists()


@pytest.mark.slow
def test_on_a_dask_cluster_bad_shards_and_crossings_exit_2_listing_every_shards_problems(cluster, country, tmp_path):
    folder = Path(shutil.copytree(country, tmp_path / "country"))
    edit(folder / "d2" / "requests.csv", 4, "status", "lost")
    first = rows(folder / "d0" / "cadres.csv")[1][0]
    edit(folder / "d1" / "visits.csv", 2, "cadre_id", first)
    result = run("assess", folder, "2024", "--executor", cluster)
    assert result.exit_code == 2 and result.stdout == ""
    found = result.stderr.splitlines()[1:]
    assert found[0] == (
        f"  d1/visits.csv:2 [cadre_id] '{first}': expected a record of the same shard "
        f"({first} is in d0/cadres.csv row 2, another shard)"
    )
    assert found[1].startswith("  d2/requests.csv:4 [status] 'lost'")
    assert len(found) == 2


@pytest.mark.slow
def test_on_a_dask_cluster_a_shard_failing_twice_exits_3(cluster, country, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    plugins = crashing_plugin(tmp_path / "plugins", spill, always=True)
    result = run("assess", country, "2024", "--executor", cluster, "--plugins-dir", str(plugins))
    assert result.exit_code == 3
    named = re.match(r"error: shards? (.+?) failed twice \(", result.stderr)
    assert named and "d1" in named.group(1).split(", ")  # shards lost with d1's worker named too


def test_each_shard_done_is_told_for_the_progress_line(country):
    """The driver tells each task ended (a terminal's progress line shows `2/3 shards done`), and
    a notebook gets the evaluation and the shards' subjects as from one dataset."""
    from evalkit.periods import Period
    from evalkit.schema import Limits
    from evalkit.session import Session
    from evalkit.shards import Where, evaluate_shards

    told = []
    session = Session(autoload=False)
    period = Period.parse("2024Q3")
    shards, evaluation = evaluate_shards(
        session, country, period, ("compliance",), None, True, Limits(), Where(), lambda *done: told.append(done)
    )
    assert told == [(1, 3), (2, 3), (3, 3)]
    one = session.check(session.load(country), period)
    assert evaluation.findings.table.equals(one.findings.table)
    assert shards.subjects() == session.load(country).subjects()


def shifted(country: Path, target: Path, years: int) -> Path:
    """The shards with every date `years` later (2024 → 2024 + years)."""
    folder = Path(shutil.copytree(country, target))
    for path in folder.glob("*/*.csv"):
        text = path.read_text(encoding="utf-8")
        for year in (2025, 2024, 2023, 2022, 2021):  # latest first: a year once moved is not moved again
            text = text.replace(f"{year}-", f"{year + years}-")
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_an_error_of_the_input_in_a_task_is_the_runs_exit_2_not_a_failed_shard(country, tmp_path):
    """A working-day deadline in a year no calendar covers stops the run (exit 2) in a process of
    the pool as in this one: the error crosses from the process whole, in both languages."""
    folder = shifted(country, tmp_path / "country", 4)
    extra = ("--period", "2028", "--rules-dir", str(ROOT / "examples" / "profiles" / "shandong-hotline"), "-q")
    for lang, start in (("en", "error: working days of 2029 are unknown"), ("zh", "错误：2029 年的工作日未知")):
        alone = run_cli(["assess", str(folder), *extra, "--lang", lang])
        tasks = run_cli(["assess", str(folder), *extra, "--lang", lang, "--jobs", "2"])
        assert alone.exit_code == tasks.exit_code == 2 and tasks.stderr == alone.stderr
        assert tasks.stderr.startswith(start), tasks.stderr


def test_a_spill_folder_that_cannot_be_written_is_a_usage_error_before_any_task(country, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    result = run("assess", country, "2024", "--jobs", "2", "--spill", str(blocked / "spill"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: --spill {blocked / 'spill'}: cannot write there (")
    made = tmp_path / "made" / "spill"
    assert json_of("assess", country, "2024", "--jobs", "1", "--spill", str(made)) == json_of("assess", country, "2024")
    assert not made.exists()  # made by the run, removed with its tables


FLAKY_PLUGIN = """\
from evalkit import hookimpl
from evalkit.facts import Fact, FactKind


@hookimpl
def evalkit_record_types():
    raise RuntimeError("no types today")


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("sized", "organization", {"n": "a number"})]


@hookimpl
def evalkit_facts(dataset, period):
    facts = []
    for id_, kind in dataset.columns("organizations", "id", "kind"):
        if kind == "branch":
            whole = id_.startswith("d0000")  # whole in d0, fractional in d1 and d2
            facts.append(Fact("sized", id_, str(period), {"n": 1 if whole else 1.5}))
    return facts
"""


@JOBS
def test_plugins_facts_and_failures_meet_at_the_driver_as_in_one_dataset(country, tmp_path, jobs):
    """A field whole in one shard and fractional in others is fractional, as in one dataset; a
    failure of a hook every session calls is reported once, not once more per shard."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "sized.py").write_text(FLAKY_PLUGIN, encoding="utf-8")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "sized.yaml").write_text(
        'pack: sized\nversion: "1"\ntitle: {en: Sized, zh: 规模}\nrules:\n'
        "  - id: SIZE01\n    title: {en: Small, zh: 小}\n    severity: low\n    fact: sized\n"
        '    when: "n > 1"\n    message:\n      pass: {en: "{n}", zh: "{n}"}\n      fail: {en: "{n}", zh: "{n}"}\n',
        encoding="utf-8",
    )
    extra = ("--plugins-dir", str(plugins), "--rules-dir", str(tmp_path / "rules"))
    alone, tasks = run("check", country, "2024", *extra), run("check", country, "2024", *extra, "--jobs", jobs)
    assert alone.exit_code == tasks.exit_code == 3
    assert tasks.stdout == alone.stdout
    assert alone.json["errors"] == [
        {
            "plugin": "sized",
            "error": "evalkit_record_types raised RuntimeError: no types today",
            "rules": ["SIZE01"],
            "subjects": [],
        }
    ]
    messages = {f["message"] for f in alone.json["findings"] if f["rule"] == "SIZE01"}
    assert messages == {"1.0", "1.5"}


@JOBS
def test_a_reference_to_a_record_of_another_kind_in_another_shard_is_of_the_wrong_kind(country, tmp_path, jobs):
    """d1's request names d0's organisation as its enterprise: not an enterprise anywhere, so the
    problem one dataset gives, not a record to move into d1's shard."""
    folder = Path(shutil.copytree(country, tmp_path / "country"))
    edit(folder / "d1" / "requests.csv", 2, "enterprise_id", "d0000B001")
    alone, tasks = (run("check", folder, "2024", *tasks) for tasks in ((), ("--jobs", jobs)))
    assert alone.exit_code == tasks.exit_code == 2 and tasks.stderr == alone.stderr
    assert "d1/requests.csv:2 [enterprise_id] 'd0000B001': expected the id of a record in enterprises" in alone.stderr


@pytest.mark.slow
def test_a_shard_named_with_a_hash_is_read_and_digested(country, tmp_path):
    folder = tmp_path / "country"
    for name, shard in (("#1", "d0"), ("a#b", "d1")):
        shutil.copytree(country / shard, folder / name)
    alone = run_cli(["assess", str(folder), "--period", "2024", "--format", "markdown", *PINNED])
    tasks = run_cli(["assess", str(folder), "--period", "2024", "--format", "markdown", *PINNED, "--jobs", "2"])
    assert alone.exit_code == tasks.exit_code == 0 and tasks.stdout == alone.stdout
