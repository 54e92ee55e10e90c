"""Partitioned evaluation: identical results in-process, in a process pool, on a Dask cluster;
worker faults retried or reported; the benchmark generator deterministic and valid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from evalkit.partitions import PartitionRunner, split
from evalkit.testing import run_cli, write_dataset

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (benchmarks/generate.py: not a package)


def assess_json(folder, *extra) -> str:
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json", *extra])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def in_process() -> str:
    return assess_json(SAMPLE, "--workers", "1")


@pytest.mark.parametrize("partitions", ["1", "3", "16"])
def test_process_pool_gives_identical_json(in_process, partitions):
    assert assess_json(SAMPLE, "--workers", "2", "--partitions", partitions) == in_process


def test_check_json_identical_with_workers():
    args = ["check", str(SAMPLE), "--period", "2024", "--format", "json", "--exit-zero"]
    assert run_cli([*args, "--workers", "2", "--partitions", "5"]).stdout == run_cli([*args, "--workers", "1"]).stdout


def test_partitions_are_stable_and_keep_a_subjects_facts_together():
    from evalkit.facts import Fact
    from evalkit.periods import Period

    facts = [Fact("k", f"S{n % 40}", Period(2024), {"n": n}) for n in range(200)]
    first, again = split(facts, 7), split(list(reversed(facts)), 7)
    assert [p.subjects for p in first] == [p.subjects for p in again]
    owners = {s: p.index for p in first for s in p.subjects}
    assert len(owners) == 40 and sum(len(p.subjects) for p in first) == 40


class FlakyExecutor(Executor):
    """Runs partitions here, but the second one 'loses its worker'."""

    def __init__(self):
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        future: Future = Future()
        if self.calls == 2:
            future.set_exception(BrokenProcessPool("a worker died"))
            return future
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


def test_a_dead_worker_is_retried_and_the_result_is_identical(in_process, monkeypatch):
    from evalkit import cli

    monkeypatch.setattr(cli, "_runner", lambda args: PartitionRunner(FlakyExecutor(), 4))
    assert assess_json(SAMPLE) == in_process


def test_a_partition_failing_twice_stops_the_run_naming_it(tmp_path, monkeypatch):
    from evalkit import cli, partitions

    def broken(job, facts):
        raise MemoryError("worker out of memory")

    monkeypatch.setattr(cli, "_runner", lambda args: PartitionRunner(FlakyExecutor(), 4))
    monkeypatch.setattr(partitions, "evaluate_facts", broken)
    target = tmp_path / "out.json"
    result = run_cli(["assess", str(SAMPLE), "--period", "2024", "--format", "json", "--output", str(target)])
    assert result.exit_code == 3 and not target.exists()
    assert "partition 1 of 4 (" in result.stderr and "MemoryError: worker out of memory" in result.stderr
    assert "nothing was written" in result.stderr


# Forked processes (the default on Linux): the same results, whatever happens to a child.


def forked_json(runner) -> str:
    from evalkit.json_output import assess_json as document
    from evalkit.periods import Period
    from evalkit.session import Session

    session = Session(autoload=False)
    session.runner = runner
    assessment = session.assess(session.load(SAMPLE), Period(2024))
    return str(document(assessment, session.packs, {}, {}, "en"))


@pytest.fixture(scope="module")
def unforked() -> str:
    return forked_json(None)


@pytest.mark.parametrize("processes", [2, 3])
def test_forked_processes_give_identical_results(unforked, processes):
    from evalkit.forked import ForkRunner

    assert forked_json(ForkRunner(processes, fork_from=0)) == unforked


def test_a_child_that_dies_or_fails_has_its_share_evaluated_here(unforked, monkeypatch):
    from evalkit import forked

    parent, evaluate = os.getpid(), forked.evaluate_part

    def dies(job, facts):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return evaluate(job, facts)

    monkeypatch.setattr(forked, "evaluate_part", dies)
    assert forked_json(forked.ForkRunner(3, fork_from=0)) == unforked

    def fails(job, facts):
        if os.getpid() != parent:
            raise MemoryError("child out of memory")
        return evaluate(job, facts)

    monkeypatch.setattr(forked, "evaluate_part", fails)
    assert forked_json(forked.ForkRunner(2, fork_from=0)) == unforked


def test_a_chunk_failing_in_its_child_and_again_here_stops_the_run(monkeypatch):
    from evalkit import forked, partitions
    from evalkit.partitions import PartitionError

    evaluate = forked.evaluate_facts

    def fails_for_b07(job, facts):  # whichever process takes B07's chunk, there and when retried here
        if any(fact.subject == "B07" for fact in facts):
            raise MemoryError("out of memory")
        return evaluate(job, facts)

    monkeypatch.setattr(forked, "evaluate_facts", fails_for_b07)
    monkeypatch.setattr(partitions, "evaluate_facts", fails_for_b07)
    with pytest.raises(PartitionError, match=r"partition \d+ of \d+ \(.*B07.*\) failed: MemoryError: out of memory"):
        forked_json(forked.ForkRunner(2, fork_from=0))


def test_an_interrupted_run_leaves_no_child_behind(monkeypatch):
    from evalkit import forked

    pids = []
    fork = forked.Forked.__init__

    def recorded(self, work, started):
        fork(self, work, started)
        pids.append(self.pid)

    def interrupted(job, facts):
        raise KeyboardInterrupt

    monkeypatch.setattr(forked, "evaluate_part", lambda job, facts: time.sleep(60))
    monkeypatch.setattr(forked.Forked, "__init__", recorded)
    monkeypatch.setattr(forked, "evaluate_facts", interrupted)
    began = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        forked_json(forked.ForkRunner(3, fork_from=0))
    assert len(pids) == 2 and time.perf_counter() - began < 30
    for pid in pids:  # killed and reaped: not even a zombie is left
        assert not Path(f"/proc/{pid}").exists()


def test_json_written_partly_by_a_forked_process_is_the_same_text(monkeypatch):
    from dataclasses import replace

    from evalkit import forked
    from evalkit.json_output import JsonText, LazyList

    items = LazyList(range(5000), lambda n: {"n": n, "text": f'第{n}条 "quoted"'})
    document = JsonText({"head": [1, 2], "items": items, "tail": {"empty": LazyList([], str)}})
    alone = str(document)
    assert alone == str(replace(document, fork_from=5000)) and '"n": 4999' in alone
    assert str(replace(document, fork_from=5001)) == alone  # too short: written here

    def fails(self, work, started):
        raise OSError("no process to be had")

    monkeypatch.setattr(forked.Forked, "__init__", fails)  # written here instead
    assert str(replace(document, fork_from=1)) == alone


def test_findings_written_while_scoring_give_the_same_json(tmp_path, monkeypatch):
    """`assess` starts writing the findings in a forked process before scoring: the same file."""
    from evalkit import cli, forked, json_output
    from evalkit.findings import Finding
    from evalkit.scoring import Score

    command = ["assess", str(SAMPLE), "--period", "2024", "--format", "json", "--output"]
    assert run_cli([*command, str(tmp_path / "alone.json"), "--workers", "1"]).exit_code == 0
    monkeypatch.setattr(cli, "_runner", lambda args: forked.ForkRunner(2, fork_from=0))
    texts = []
    monkeypatch.setattr(json_output, "ForkedText", recording(texts, forked.ForkedText))
    assert run_cli([*command, str(tmp_path / "forked.json")]).exit_code == 0
    findings, departments, cadres = (text.write_text.args[0].items for text in texts)  # findings first: before scoring
    assert isinstance(findings[0], Finding) and isinstance(cadres[0], Score) and len(findings) > 400
    assert (tmp_path / "forked.json").read_bytes() == (tmp_path / "alone.json").read_bytes()


def test_findings_started_ahead_are_stopped_when_the_command_ends_without_them(monkeypatch):
    from evalkit.evaluate import Evaluation
    from evalkit.json_output import FindingsAhead
    from evalkit.periods import Period

    ahead = FindingsAhead("en", fork_from=1)
    monkeypatch.setattr("evalkit.findings.Finding.to_json", lambda finding, lang: time.sleep(60))
    ahead(Evaluation(Period(2024), [], ["a finding"] * 2, []))
    (child,) = ahead.started
    pid = child.pid
    ahead.close()
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped


def test_json_from_a_forked_writer_that_dies_is_written_here(monkeypatch):
    from dataclasses import replace

    from evalkit.json_output import JsonText, LazyList

    parent = os.getpid()

    def dies_in_the_child(n):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return n

    document = JsonText({"items": LazyList(range(3), dies_in_the_child)})
    assert str(replace(document, fork_from=1)) == str(document) == '{\n "items": [\n  0,\n  1,\n  2\n ]\n}\n'


# Validation alongside the facts (large datasets, Linux): the same verdict, the same problems.


def broken(small: dict) -> dict:
    small["requests"][0]["department_id"] = "D9"  # a reference to nothing
    small["visits"].append(dict(small["visits"][0]))  # a repeated id
    return small


def test_validation_alongside_finds_the_same_problems(tmp_path, small, monkeypatch):
    from evalkit import dataset as loading
    from evalkit.errors import DatasetError

    folder = write_dataset(tmp_path, broken(small))
    with pytest.raises(DatasetError) as at_once:
        loading.load_dataset(folder)
    monkeypatch.setattr(loading, "FORK_FROM", 0)
    late = loading.load_dataset(folder, alongside=True)
    assert late.validating is not None and late.validating.child is not None  # still validating
    with pytest.raises(DatasetError) as alongside:
        late.validated()
    assert alongside.value.problems == at_once.value.problems and len(at_once.value.problems) == 2
    assert late.validating is None


def test_the_command_reports_an_invalid_dataset_validated_alongside_as_before(tmp_path, small, monkeypatch):
    from evalkit import dataset as loading

    folder = write_dataset(tmp_path / "data", broken(small))
    output = tmp_path / "out.json"
    command = ["assess", str(folder), "--period", "2024", "--format", "json", "--output", str(output)]
    before = run_cli(command)
    monkeypatch.setattr(loading, "FORK_FROM", 0)
    validations = []
    monkeypatch.setattr(loading, "ForkedResult", recording(validations, loading.ForkedResult))
    after = run_cli(command)
    assert validations and (after.exit_code, after.stderr) == (before.exit_code, before.stderr) == (2, before.stderr)
    assert "D9" in after.stderr and not output.exists()
    unknown = run_cli(["check", str(folder), "--period", "2024", "--subject", "NOBODY"])
    assert unknown.exit_code == 2 and "D9" in unknown.stderr  # the dataset's problems come first


def recording(made: list, kind):
    def make(*args):
        made.append(kind(*args))
        return made[-1]

    return make


def test_a_tree_with_a_cycle_is_validated_at_once(tmp_path, small, monkeypatch):
    """Plugins walk the organisations' tree: facts are never built over a cycle."""
    from evalkit import dataset as loading
    from evalkit.errors import DatasetError

    small["organizations"][0]["parent_id"] = "B1"
    monkeypatch.setattr(loading, "FORK_FROM", 0)
    with pytest.raises(DatasetError, match="3 problem"):
        loading.load_dataset(write_dataset(tmp_path, small), alongside=True)


def test_validation_alongside_whose_process_dies_is_done_here(tmp_path, small, monkeypatch):
    from evalkit import dataset as loading
    from evalkit.errors import DatasetError

    parent, validate = os.getpid(), loading.validate_dataset

    def dies_in_the_child(*args):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return validate(*args)

    monkeypatch.setattr(loading, "FORK_FROM", 0)
    monkeypatch.setattr(loading, "validate_dataset", dies_in_the_child)
    late = loading.load_dataset(write_dataset(tmp_path, broken(small)), alongside=True)
    with pytest.raises(DatasetError, match="2 problem"):
        late.validated()


def test_an_interrupted_run_stops_the_validation_alongside(small_dir, monkeypatch):
    from evalkit import dataset as loading
    from evalkit.periods import Period
    from evalkit.session import Session

    monkeypatch.setattr(loading, "FORK_FROM", 0)
    monkeypatch.setattr(loading, "validate_dataset", lambda *args: time.sleep(60) or [])
    session = Session(autoload=False)
    dataset = session.load(small_dir, alongside=True)
    pid = dataset.validating.child.pid

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "facts", interrupted)
    began = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        session.check(dataset, Period(2024))
    assert time.perf_counter() - began < 30 and not Path(f"/proc/{pid}").exists()  # killed and reaped


def test_waiting_for_validation_alongside_can_be_interrupted(small_dir, monkeypatch):
    from evalkit import dataset as loading

    monkeypatch.setattr(loading, "FORK_FROM", 0)
    monkeypatch.setattr(loading, "validate_dataset", lambda *args: time.sleep(60) or [])
    dataset = loading.load_dataset(small_dir, alongside=True)
    pid = dataset.validating.child.pid

    def interrupt(*args):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(1)
    try:
        with pytest.raises(KeyboardInterrupt):
            dataset.validated()
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped while waited for


def test_the_empty_period_warning_comes_once_the_dataset_validated_alongside_passed(small_dir, monkeypatch):
    from evalkit import dataset as loading

    commands = [
        ["check", str(small_dir), "--period", "1999"],
        ["check", str(small_dir), "--period", "1999", "--subject", "NOBODY"],
    ]
    before = [run_cli(command) for command in commands]
    monkeypatch.setattr(loading, "FORK_FROM", 0)
    after = [run_cli(command) for command in commands]
    assert [(r.exit_code, r.stderr) for r in after] == [(r.exit_code, r.stderr) for r in before]
    assert [r.stderr.count("warning: no activity") for r in after] == [1, 1]
    assert "--subject NOBODY" in after[1].stderr


def test_the_chunk_queue_holds_what_a_pipe_holds_before_anyone_reads():
    from evalkit.forked import _Queue

    with _Queue(_Queue.LONGEST) as queue:
        assert list(queue) == list(range(_Queue.LONGEST)) and _Queue.LONGEST >= 128


def test_shares_are_runs_of_subjects_with_about_as_many_facts():
    from evalkit.facts import Fact
    from evalkit.forked import split_by_subject
    from evalkit.periods import Period

    facts = [Fact("k", subject, Period(2024), {}) for subject in "cadbacad"]  # a 3, b 1, c 2, d 2
    shares = split_by_subject(facts, 2)
    assert [[fact.subject for fact in share] for share in shares] == [["a", "b", "a", "a"], ["c", "d", "c", "d"]]
    assert [len(share) for share in split_by_subject(facts, 8)] == [3, 1, 2, 2]  # never a subject split
    assert split_by_subject([], 2) == [[]]


def test_where_rules_run_by_default_and_as_asked(monkeypatch):
    from evalkit import executors
    from evalkit.forked import ForkRunner

    monkeypatch.setattr(executors, "can_fork", lambda: True)
    monkeypatch.setattr(executors, "default_processes", lambda: 2)
    assert isinstance(executors.rule_runner(), ForkRunner) and executors.rule_runner().processes == 2
    assert executors.rule_runner(workers=1) is None
    assert executors.rule_runner(workers=4).processes == 4
    pool = executors.rule_runner(workers=2, partitions=3)  # partitions: a spawned pool
    assert isinstance(pool, PartitionRunner) and pool.partitions == 3
    pool.close()
    assert isinstance(executors.rule_runner(partitions=5), ForkRunner)  # partitions: with --workers only
    assert executors.rule_runner(workers=0) is None
    monkeypatch.setattr(executors, "can_fork", lambda: False)  # macOS, Windows
    assert executors.rule_runner() is None


def test_no_forking_when_started_with_children_ignored(unforked):
    """With SIGCHLD ignored (inherited from whatever started the command), Linux reaps children
    at once and how they ended is lost: evalkit does not fork, and a runner told to fork anyway
    evaluates every chunk here."""
    from evalkit.forked import ForkRunner, can_fork

    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert not can_fork()
        assert forked_json(ForkRunner(3, fork_from=0)) == unforked
    finally:
        signal.signal(signal.SIGCHLD, previous)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster():
    """A real scheduler and two single-threaded workers on 127.0.0.1, as an IT office runs them."""
    pytest.importorskip("distributed")
    bin_dir = Path(sys.executable).parent
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **common
    )
    workers = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "worker",
                f"tcp://{address}",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            ],
            **common,
        )
        for _ in range(2)
    ]
    from distributed import Client

    try:
        with Client(f"tcp://{address}", timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            process.wait(timeout=30)


def test_dask_cluster_gives_identical_json(dask_cluster, in_process):
    address, _ = dask_cluster
    assert assess_json(SAMPLE, "--executor", f"dask://{address}", "--partitions", "8") == in_process


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    result = run_cli(["assess", str(SAMPLE), "--period", "2024", "--executor", f"dask://127.0.0.1:{free_port()}"])
    assert result.exit_code == 2 and "no Dask scheduler answers there" in result.stderr


def test_benchmark_generator_is_deterministic_and_valid(tmp_path):
    one = generate.generate(2, tmp_path / "one")
    two = generate.generate(2, tmp_path / "two")
    for path in sorted(one.iterdir()):
        assert (two / path.name).read_bytes() == path.read_bytes(), path.name
    result = run_cli(["validate", str(one)])
    assert result.exit_code == 0, result.stderr
    assert "requests 4000" in result.stdout and "activities 3000" in result.stdout and "visits 2000" in result.stdout


@pytest.fixture(scope="module")
def generated_m(tmp_path_factory):
    """The benchmark's M dataset (100 districts, ~490,000 records) and its in-process JSON."""
    folder = generate.generate(generate.SIZES["M"], tmp_path_factory.mktemp("m") / "M")
    return folder, assess_json(folder, "--workers", "1")


def test_generated_m_by_default_forks_and_gives_identical_json(generated_m):
    """82,822 facts and 74,150 findings: past `FORK_FROM`, so forked processes evaluate rules
    and write the findings (on Linux; elsewhere this is the in-process run again)."""
    folder, in_process = generated_m
    assert assess_json(folder) == in_process


def test_generated_m_is_identical_on_a_process_pool_and_a_dask_cluster(generated_m, dask_cluster):
    folder, in_process = generated_m
    assert assess_json(folder, "--workers", "2", "--partitions", "5") == in_process
    assert assess_json(folder, "--executor", f"dask://{dask_cluster[0]}") == in_process


def test_killing_a_dask_worker_mid_run_still_gives_the_same_answer(generated_m, dask_cluster):
    """The worker busy with a partition is killed while the run goes on: Dask moves its task (or
    evalkit retries the partition), and the JSON is still the in-process one."""
    from distributed import Client

    folder, in_process = generated_m
    address, _ = dask_cluster
    outcome = {}
    thread = threading.Thread(
        target=lambda: outcome.update(json=assess_json(folder, "--executor", f"dask://{address}", "--partitions", "8"))
    )
    with Client(f"tcp://{address}", timeout=30) as client:
        thread.start()
        busy = None
        deadline = time.monotonic() + 120
        while busy is None and thread.is_alive() and time.monotonic() < deadline:
            busy = next((worker for worker, tasks in client.processing().items() if tasks), None)
            time.sleep(0.05)
        assert busy is not None, "no partition was ever seen running"
        os.kill(client.run(os.getpid, workers=[busy])[busy], signal.SIGKILL)
    thread.join(timeout=600)
    assert outcome.get("json") == in_process


def test_a_command_leaves_the_garbage_collector_as_it_found_it(tmp_path, monkeypatch):
    """The CLI freezes each step's objects and makes full collections rarer, for the command only."""
    import gc

    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    during = []
    freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: (during.append(gc.get_threshold()), freeze()))
    result = run_cli(
        ["assess", str(SAMPLE), "--period", "2024", "--format", "json", "--output", str(tmp_path / "a.json")]
    )
    assert result.exit_code == 0
    assert during and all(threshold[2] > thresholds[2] for threshold in during)  # rarer full passes
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == frozen  # all undone
