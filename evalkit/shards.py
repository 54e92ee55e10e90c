"""A folder of shards run as tasks: each shard loaded, validated, turned into facts and judged
where it lies (this process, local processes or a Dask cluster); the driver checks what crosses
shards and gathers the facts, findings and decisions into the evaluation of one dataset, which
is scored as one (ranks, quota, tables). docs/scale.md says why the result equals that of the
shards' files concatenated, and what it costs.

A shard's evaluation is the one-dataset evaluation restricted to its subjects: a rule reads one
fact, a fact one subject, and every record about a subject lies in its shard (the driver
refuses what crosses). What is global is an order: fact tables, findings and decisions are
ordered as `evaluate` orders them, and each finding's `fact_row` and decision's `fact` point
into the merged fact tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import DatasetError, EvalkitError, Note, Problem, UsageError
from .load.checks import Crossing, elsewhere, id_scope
from .load.dataset import connect, files_digest
from .load.files import shard_names
from .periods import Period
from .plugins import PluginFailure
from .rules.evaluate import Evaluation, RunError, UnusedWaiver
from .rules.findings import Findings
from .schema import TABLE_SUBJECT_KINDS, Limits

#: Where tasks run: `dask://HOST:PORT` (or `dask+tls://`, certificates from Dask's configuration).
DASK_SCHEMES = {"dask://": "tcp://", "dask+tls://": "tls://"}


class ShardFailed(UsageError):
    """A shard's task failed twice (its process or worker lost, or an error): nothing is written."""

    exit_code = 3


@dataclass(frozen=True)
class Where:
    """Where the shards' tasks run: `jobs` local processes (1: this process, one shard after the
    other), or the Dask scheduler at `executor`; `spill`, a folder the tasks write their tables
    to (kept with `keep_spill`); `threads`, DuckDB's in each task (default: the cores shared by
    the jobs, or by a Dask worker's threads)."""

    jobs: int = 1
    executor: str | None = None
    spill: str | None = None
    keep_spill: bool = False
    threads: int | None = None


@dataclass(frozen=True)
class Task:
    """One shard's load, validation, facts and rules: what a process or a Dask worker is sent."""

    folder: str
    shard: str
    recipe: dict  # the session's (Session.recipe)
    period: str
    kinds: tuple[str, ...]
    waivers: bool
    subjects: frozenset[str] | None
    limits: Limits
    threads: int | None  # DuckDB's; None: the cores of a Dask worker's machine shared by its threads
    spill: str | None  # this run's spill folder
    ledgers: frozenset[str] | None = None  # the run's record types with files (None: the shard's own)


@dataclass
class Part:
    """What a shard's task gives back: its problems, or what the driver needs of its dataset and
    its evaluation (tables in memory, or Parquet files in the spill folder)."""

    shard: str
    problems: list[Problem]
    notes: list[Note]
    ledgers: frozenset[str] = frozenset()
    keys: pa.Table | None = None  # place, id, file, row: every record's id (`_keys`)
    places: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # place → owner, scope, header
    batches: pa.Table | None = None  # header, batch_id, file, row: the requests of a batch
    crossings: list[Crossing] = field(default_factory=list)
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # subject table → id → name
    departments: dict[str, str | None] = field(default_factory=dict)
    dated: bool = False  # has a record dated in the period
    files: set[str] = field(default_factory=set)
    calendar: dict | None = None
    titles: dict = field(default_factory=dict)
    facts: dict[str, pa.Table | str] = field(default_factory=dict)
    findings: pa.Table | str | None = None
    decisions: pa.Table | str | None = None
    failures: list[PluginFailure] = field(default_factory=list)
    rule_errors: list[RunError] = field(default_factory=list)
    unused: list[UnusedWaiver] = field(default_factory=list)


def run_shard(task: Task) -> Part:
    """A shard's task (a top-level function: processes and Dask workers import it)."""
    from .session import Session

    session = Session(**task.recipe)
    period = Period.parse(task.period)
    try:
        dataset = session.load(task.folder, task.limits, task.threads or _worker_threads(), shard=task.shard)
    except DatasetError as error:
        return Part(task.shard, error.problems, error.notes)
    part = Part(task.shard, [], dataset.notes, dataset.ledgers)
    if task.ledgers is not None:
        dataset.ledgers = task.ledgers
    (part.keys, part.places), part.batches, part.crossings = _keys(dataset), _batches(dataset), dataset.crossings
    part.names = {table: dict(dataset.columns(table, "id", "name")) for table in TABLE_SUBJECT_KINDS}
    part.departments = dict(dataset.columns("cadres", "id", "department_id"))
    part.dated, part.files = dataset.has_records_in(period), dataset.files()
    if session.working_days(session.active_packs(dataset)) is not None:
        part.calendar = dataset.describe_calendar()
    evaluation = session.check(dataset, period, task.subjects, task.kinds, task.waivers)
    if task.subjects is not None:
        part.titles = dataset.dated_titles({id_ for finding in evaluation.findings for id_ in finding.evidence})
    part.failures = list(session.plugins.failures)
    part.rule_errors = evaluation.errors[len(part.failures) :]
    part.unused = evaluation.unused_waivers
    if task.spill is not None:
        shutil.rmtree(Path(task.spill) / task.shard, ignore_errors=True)
        (Path(task.spill) / task.shard).mkdir(parents=True)
    part.facts = {kind: _spilled(task, f"facts-{n}", table) for n, (kind, table) in enumerate(evaluation.facts.items())}
    part.findings = _spilled(task, "findings", evaluation.findings.table)
    part.decisions = None if evaluation.decisions is None else _spilled(task, "decisions", evaluation.decisions)
    return part


def _worker_threads() -> int | None:
    """DuckDB's threads in a task on a Dask worker: the machine's cores shared by the worker's
    threads (None elsewhere: DuckDB's default, one per core)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    return max(1, (os.cpu_count() or 1) // worker.state.nthreads)


def _spilled(task: Task, name: str, table: pa.Table) -> pa.Table | str:
    """`table`, or with a spill folder the Parquet file it is written to there (in the shard's
    folder, which `run_shard` empties first: a task run again leaves no file of its first run)."""
    if task.spill is None:
        return table
    path = Path(task.spill) / task.shard / f"{name}.parquet"
    pq.write_table(table, path)
    return str(path)


def _read(table: pa.Table | str) -> pa.Table:
    return pq.read_table(table, memory_map=True) if isinstance(table, str) else table


def _keys(dataset) -> tuple[pa.Table, dict[int, tuple[str, str, str]]]:
    """Every record's id with its table's place (its name, the scope its ids are unique in and
    its id column's header, by place: told once, not per row), its file and row."""
    parts, places = [], {}
    for place, (name, table) in enumerate(dataset.tables.items()):
        if table.type.id_column is not None:
            parts.append(
                f"SELECT {place}::USMALLINT AS place, CAST(id AS VARCHAR) AS id, CAST(_file AS VARCHAR) AS file, "
                f"_row::UINTEGER AS row FROM {dataset.view(name)} WHERE id IS NOT NULL"
            )
            places[place] = (name, id_scope(name), table.header("id"))
    keys = dataset.connection.sql(" UNION ALL ".join(parts)).to_arrow_table()
    return keys.set_column(2, "file", pc.dictionary_encode(keys["file"])), places


def _batches(dataset) -> pa.Table:
    """The requests that name a batch: its id, their file and row."""
    query = (
        f"SELECT $header AS header, batch_id, CAST(_file AS VARCHAR) AS file, _row AS row "
        f"FROM {dataset.view('requests')} WHERE batch_id IS NOT NULL"
    )
    header = dataset.tables["requests"].header("batch_id")
    return dataset.connection.sql(query, params={"header": header}).to_arrow_table()


class Shards:
    """What the reports read of a dataset (its notes, subjects, digest, calendar), gathered from
    its shards' tasks: the driver's stand-in for the `Dataset` the shards make."""

    def __init__(self, folder: Path, parts: list[Part], notes: list[Note], kept: str | None = None):
        self.folder = folder
        self.shards = tuple(part.shard for part in parts)
        self.notes = notes
        self.ledgers = frozenset().union(*(part.ledgers for part in parts))
        self.kept = kept  # the run's folder in --spill DIR, kept (--keep-spill)
        self._parts = parts
        self._subjects = None

    def has_records_in(self, period: Period) -> bool:
        """Whether a shard has a record dated in `period`, the run's (the tasks were told it)."""
        return any(part.dated for part in self._parts)

    def subjects(self) -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str | None]]:
        """As `Dataset.subjects` (gathered once, read-only), in its order: table by table, each
        shard's rows in turn."""
        if self._subjects is None:
            names, kinds = {}, {}
            for table, kind in TABLE_SUBJECT_KINDS.items():
                for part in self._parts:
                    names |= part.names[table]
                    kinds |= dict.fromkeys(part.names[table], kind)
            departments = {cadre: dept for part in self._parts for cadre, dept in part.departments.items()}
            self._subjects = tuple(map(MappingProxyType, (names, kinds, departments)))
        return self._subjects

    def digest(self) -> str:
        return files_digest(self.folder, set().union(*(part.files for part in self._parts)))

    def describe_calendar(self) -> dict | None:
        """The working-day calendar: `_common/`'s, the one every shard sees (a shard holds none)."""
        return self._parts[0].calendar

    def dated_titles(self, ids: set[str]) -> dict:
        return {id_: title for part in self._parts for id_, title in part.titles.items() if id_ in ids}


def evaluate_shards(
    session,
    folder: str | Path,
    period: Period,
    kinds: tuple[str, ...],
    subjects: set[str] | None,
    waivers: bool,
    limits: Limits,
    where: Where,
    told: Callable[[int, int], None] | None = None,
) -> tuple[Shards, Evaluation]:
    """The evaluation of the folder of shards `folder`, its shards run as tasks `where` says;
    `DatasetError` listing every shard's problems and those crossing shards. `told(done,
    total)` as each shard's task ends."""
    given, folder = folder, Path(folder).resolve()
    names = shard_names(folder) if folder.is_dir() else ()
    if not names:
        raise UsageError(
            f"{given}: not a folder of shards (docs/scale.md): --jobs and --executor run a folder of shards' "
            "shards as tasks",
            f"{given}：不是分片文件夹（见 docs/scale.md）：--jobs 和 --executor 用于把分片文件夹的各分片作为任务运行",
        )
    made = where.spill is not None and not Path(where.spill).exists()  # --spill DIR made by this run
    spill = _spill_folder(where)
    threads = where.threads or (max(1, (os.cpu_count() or 1) // where.jobs) if where.executor is None else None)
    subjects = None if subjects is None else frozenset(subjects)
    recipe = dict(session.recipe)
    tasks = [
        Task(str(folder), name, recipe, str(period), kinds, waivers, subjects, limits, threads, spill) for name in names
    ]
    try:
        parts = _run(tasks, where, told)
        problems = list(dict.fromkeys(problem for part in parts for problem in part.problems))
        notes = list(dict.fromkeys(note for part in parts for note in part.notes))
        problems += across([part for part in parts if not part.problems], complete=not problems)
        if problems:
            raise DatasetError(problems, notes)
        shards = Shards(folder, parts, notes, spill if where.keep_spill else None)
        active = {pack.name for pack in session.active_packs(shards)}
        again = [
            i for i, part in enumerate(parts) if {pack.name for pack in session.active_packs(part)} != active
        ]  # a pack's `needs` met in some shard only: those without judge it too, as in one dataset
        for i, part in zip(again, _run([replace(tasks[i], ledgers=shards.ledgers) for i in again], where), strict=True):
            parts[i] = part
        return shards, merged(parts, session, period, kinds, waivers, active)
    finally:
        if spill is not None and not where.keep_spill:
            shutil.rmtree(spill, ignore_errors=True)
            if made:
                shutil.rmtree(where.spill, ignore_errors=True)


def _spill_folder(where: Where) -> str | None:
    """This run's folder in `--spill DIR` (made here, so a DIR that cannot be written is a usage
    error before any task runs), or None."""
    if where.spill is None:
        return None
    folder = Path(where.spill).resolve() / f"evalkit-{uuid.uuid4().hex[:12]}"
    try:
        folder.mkdir(parents=True)
    except OSError as error:
        raise UsageError(
            f"--spill {where.spill}: cannot write there ({error.strerror or error})",
            f"--spill {where.spill}：无法写入（{error.strerror or error}）",
        ) from None
    return str(folder)


def _run(tasks: list[Task], where: Where, told: Callable[[int, int], None] | None = None) -> list[Part]:
    """Each task's part, in the tasks' order (`jobs` 1: in this process, one after the other, as
    any run in this process: what fails here ends the run)."""
    if not tasks:
        return []
    if where.executor is not None:
        return _on_dask(tasks, where.executor, told)
    if where.jobs > 1:
        return _in_processes(tasks, where.jobs, told)
    parts = []
    for done, task in enumerate(tasks, 1):
        parts.append(run_shard(task))
        if told is not None:
            told(done, len(tasks))
    return parts


def _failed(failures: dict[str, BaseException]) -> ShardFailed:
    """The run's end when shards failed twice: each named, with the error of its last attempt."""
    what = {shard: f"{type(error).__name__}: {error}".rstrip(": ") for shard, error in failures.items()}
    if len(what) == 1:
        [(shard, error)] = what.items()
        return ShardFailed(
            f"shard {shard} failed twice ({error}): nothing was written",
            f"分片 {shard} 两次运行失败（{error}）：没有写出任何结果",
        )
    return ShardFailed(
        f"shards {', '.join(what)} failed twice ({'; '.join(f'{s}: {e}' for s, e in what.items())}): "
        "nothing was written",
        f"分片 {'、'.join(what)} 两次运行失败（{'；'.join(f'{s}：{e}' for s, e in what.items())}）：没有写出任何结果",
    )


def _in_processes(tasks: list[Task], jobs: int, told: Callable[[int, int], None] | None) -> list[Part]:
    """The tasks in a pool of `jobs` processes started afresh (spawn: nothing of this process's
    state is copied). A task that raised, or was lost with its process (which breaks the pool
    and every task it had), runs again in a process of its own (`jobs` at a time), so a second
    failure names its shard."""
    parts: dict[str, Part] = {}

    def done(task: Task, part: Part) -> None:
        parts[task.shard] = part
        if told is not None:
            told(len(parts), len(tasks))

    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_shard, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                done(futures[future], future.result())
            except EvalkitError:
                pool.shutdown(cancel_futures=True)  # the input's error: the others' results are not wanted
                raise
            except Exception:  # lost with its process (the pool broken) or raised: tried again alone
                continue
    lost = [task for task in tasks if task.shard not in parts]
    failures = {}
    with ThreadPoolExecutor(jobs) as waiting:  # threads that only wait on the processes
        for task, part in zip(lost, waiting.map(_alone, lost), strict=True):
            if isinstance(part, Part):
                done(task, part)
            else:
                failures[task.shard] = part
    if failures:
        raise _failed(failures)
    return [parts[task.shard] for task in tasks]


def _alone(task: Task) -> Part | Exception:
    """The task in a process of its own: a second attempt; what it failed with, if it did again."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(run_shard, task).result()
        except EvalkitError:
            raise
        except Exception as error:
            return error


def _on_dask(tasks: list[Task], executor: str, told: Callable[[int, int], None] | None) -> list[Part]:
    """The tasks on the Dask cluster whose scheduler `executor` names; each retried once (a lost
    worker counts against the scheduler's allowed-failures, 1 as docs/scale.md sets it)."""
    scheme = next((scheme for scheme in DASK_SCHEMES if executor.startswith(scheme)), None)
    if scheme is None:
        raise UsageError(
            f"--executor {executor}: expected dask://HOST:PORT (or dask+tls://HOST:PORT), a Dask scheduler",
            f"--executor {executor}：应为 dask://主机:端口（或 dask+tls://主机:端口），即 Dask 调度器地址",
        )
    try:
        from distributed import Client
        from distributed import as_completed as completed
    except ImportError:
        raise UsageError(
            "--executor dask:// needs Dask: pip install -e '.[dask]'",
            "--executor dask:// 需要 Dask：请运行 pip install -e '.[dask]'",
        ) from None
    address = DASK_SCHEMES[scheme] + executor[len(scheme) :]
    try:
        client = Client(address, timeout="10s")
    except OSError as error:
        raise UsageError(
            f"--executor {executor}: no Dask scheduler answers there ({error})",
            f"--executor {executor}：该地址没有 Dask 调度器应答（{error}）",
        ) from None
    parts: dict[str, Part] = {}
    failures: dict[str, Exception] = {}
    with client:
        run = uuid.uuid4().hex[:12]
        keys = [f"evalkit-{run}-{task.shard}" for task in tasks]
        futures = client.map(run_shard, tasks, key=keys, retries=1, pure=False)
        shard_of = dict(zip(keys, (task.shard for task in tasks), strict=True))
        for future in completed(futures):
            try:
                parts[shard_of[future.key]] = future.result()
            except EvalkitError:
                raise
            except Exception as error:  # every shard that failed twice is named, in the tasks' order
                failures[shard_of[future.key]] = error
                continue
            if told is not None:
                told(len(parts), len(tasks))
    if failures:
        raise _failed({task.shard: failures[task.shard] for task in tasks if task.shard in failures})
    return [parts[task.shard] for task in tasks]


def _numbered(tables: list[pa.Table]) -> pa.Table:
    """The tables concatenated, each row with its table's place (`shard`)."""
    shard = [pa.repeat(pa.scalar(n, pa.uint32()), table.num_rows) for n, table in enumerate(tables)]
    return pa.concat_tables([table.append_column("shard", column) for table, column in zip(tables, shard, strict=True)])


def across(parts: list[Part], complete: bool = True) -> list[Problem]:
    """What crosses the shards of `parts` (each valid alone): an id used in two shards, a
    reference a shard does not hold (a record of another shard, or of none), a batch of requests
    in two shards. Each names the files and rows of both shards. Not `complete` (other shards
    have problems of their own, and sent no ids), a reference no shard of `parts` holds may be
    held by one of those: it is checked once they are fixed."""
    if len(parts) < 2 and not any(part.crossings for part in parts):
        return []
    connection = connect()
    places = {place: names for part in parts for place, names in part.places.items()}  # the same in every shard
    owners, scopes, headers = zip(*places.values(), strict=True)
    table = {"place": pa.array(list(places), pa.uint16()), "owner": owners, "scope": scopes, "header": headers}
    connection.register("evalkit_places", pa.table(table))
    keys = _numbered([part.keys for part in parts])
    connection.register("evalkit_numbered_keys", keys)
    connection.execute(
        "CREATE TEMP VIEW evalkit_keys AS SELECT * FROM evalkit_numbered_keys JOIN evalkit_places USING (place)"
    )
    connection.register("evalkit_batches", _numbered([part.batches for part in parts]))
    problems = [
        elsewhere("repeated", *row)
        for row in connection.execute(
            """WITH firsts AS (
                   SELECT scope, id, arg_min({'shard': shard, 'file': file, 'row': row}, (place, shard, row)) AS first
                   FROM evalkit_keys GROUP BY scope, id HAVING count(DISTINCT shard) > 1)
               SELECT k.file, k.row, k.header, k.id, first.file, first.row
               FROM evalkit_keys k JOIN firsts USING (scope, id)
               WHERE k.shard <> first.shard ORDER BY k.shard, k.place, k.row"""
        ).fetchall()
    ]
    problems += [
        elsewhere("batch", *row)
        for row in connection.execute(
            """WITH firsts AS (
                   SELECT batch_id, arg_min({'shard': shard, 'file': file, 'row': row}, (shard, row)) AS first
                   FROM evalkit_batches GROUP BY batch_id HAVING count(DISTINCT shard) > 1)
               SELECT b.file, b.row, b.header, b.batch_id, first.file, first.row
               FROM evalkit_batches b JOIN firsts USING (batch_id)
               WHERE b.shard <> first.shard ORDER BY b.shard, b.row"""
        ).fetchall()
    ]
    wanted = sorted({reference.absent.value for part in parts for reference in part.crossings})
    held: dict[tuple[str, str], tuple[str, int]] = {}
    if wanted:
        connection.register("evalkit_wanted", pa.table({"id": pa.array(wanted, pa.string())}))
        for owner, id_, file, row in connection.execute(
            "SELECT owner, id, file, row FROM evalkit_keys SEMI JOIN evalkit_wanted USING (id) ORDER BY shard, row"
        ).fetchall():
            held.setdefault((owner, id_), (file, row))
    for reference in (reference for part in parts for reference in part.crossings):
        absent = reference.absent  # the problem when no shard holds it
        found = [held[(owner, absent.value)] for owner in reference.owners if (owner, absent.value) in held]
        if found:  # another shard holds it
            problems.append(elsewhere("crossing", absent.file, absent.row, absent.column, absent.value, *found[0]))
        elif complete:
            problems.append(absent)
    connection.close()
    return problems


def merged(
    parts: list[Part], session, period: Period, kinds: tuple[str, ...], waivers: bool, active: set[str]
) -> Evaluation:
    """The shards' evaluations (of the packs `active`) as the one evaluation of their concatenation: fact tables in
    their total order (`factset.ordered`), findings and decisions pointing into them and ordered
    as `evaluate` orders them, a plugin's failures in several shards as one."""
    from .facts import factset

    connection = connect()
    failures = [failure for part in parts for failure in part.failures]
    facts, moved = {}, {}  # kind → the table; kind → per shard, each of its rows' place in the table
    for kind in sorted({kind for part in parts for kind in part.facts}):
        # Each part's tables are let go as they are merged (the driver holds the run's facts once).
        tables = [_read(part.facts.pop(kind)) if kind in part.facts else None for part in parts]
        try:  # a field whole in one shard and fractional in another is fractional, as in one dataset
            whole = pa.concat_tables([table for table in tables if table is not None], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            error = f"{kind} facts: a field is of another type in another shard ({error})"
            failures.append(PluginFailure(session.fact_kind_plugin[kind], error))
            continue
        whole = whole.drop_columns(["year", "quarter"])
        whole = whole.append_column("_origin", pa.array(range(whole.num_rows), pa.int64()))
        whole = factset.ordered(connection, session.fact_kinds[kind], whole)
        place = pc.sort_indices(whole["_origin"])  # each row of the concatenation's place: the inverse order
        facts[kind] = whole.drop_columns(["_origin"])
        sizes = [0 if table is None else table.num_rows for table in tables]
        del tables, whole
        moved[kind] = [place.slice(sum(sizes[:n]), size) for n, size in enumerate(sizes)]
    findings, decisions = [], []
    for n, part in enumerate(parts):
        findings.append(_moved(_read(part.findings), "fact_kind", "fact_row", moved, n))
        if part.decisions is not None:
            decisions.append(_moved(_read(part.decisions), "kind", "fact", moved, n))
        part.findings = part.decisions = None
    unmerged = pa.array(sorted({kind for part in parts for kind in part.facts} - set(moved)), pa.string())
    if len(unmerged):  # a kind whose facts did not merge has no results, as a failed plugin's
        findings = [table.filter(~pc.fill_null(pc.is_in(table["fact_kind"], unmerged), False)) for table in findings]
        decisions = [table.filter(~pc.is_in(table["kind"], unmerged)) for table in decisions]
    connection.register("evalkit_findings", pa.concat_tables(findings))
    table = connection.sql(
        "SELECT * FROM evalkit_findings ORDER BY subject, year, coalesce(nullif(quarter, 0), 5), rule, fact_row"
    ).to_arrow_table()
    judged = [rule for rule in session.rules_of(kinds) if rule.pack in active]
    decided = None
    if decisions:
        places = pa.array([rule.spec.id for rule in judged], pa.string())
        every = pa.concat_tables(decisions)
        every = every.append_column("place", pc.index_in(every["rule"], value_set=places))
        connection.register("evalkit_decisions", every)
        decided = connection.sql("SELECT * EXCLUDE (place) FROM evalkit_decisions ORDER BY place, fact")
        decided = decided.to_arrow_table()
    connection.close()
    session.plugins.failures.extend(_failures(session, failures))
    rule_errors = sorted((error for part in parts for error in part.rule_errors), key=lambda error: error.subjects)
    unused = sorted((waiver for part in parts for waiver in part.unused), key=lambda waiver: (waiver.file, waiver.row))
    by_id = {rule.spec.id: rule for rule in judged}
    return Evaluation(
        period,
        facts,
        Findings(table, facts, by_id, period),
        session.plugin_errors(judged) + rule_errors,
        decided,
        unused,
        audit=not waivers,
    )


def _failures(session, failures: list[PluginFailure]) -> list[PluginFailure]:
    """The shards' plugin failures as one dataset's: each failure once, naming the subjects of
    all shards it cost; ordered as the facts hook calls the plugins, then by error (as
    `Session.facts` reports them); none the driver's session has already (a failure in a hook
    every session calls, `evalkit_record_types`)."""
    merged: dict[tuple[str, str], PluginFailure] = {}
    for failure in failures:
        first = merged.setdefault((failure.plugin, failure.error), failure)
        subjects = tuple(sorted(set(first.subjects) | set(failure.subjects)))
        merged[(failure.plugin, failure.error)] = PluginFailure(first.plugin, first.error, subjects, first.traceback)
    order = {impl.plugin_name: n for n, impl in enumerate(session.plugins.call_order("evalkit_facts"))}
    known = set(session.plugins.failures)
    found = [failure for failure in merged.values() if failure not in known]
    return sorted(found, key=lambda failure: (order.get(failure.plugin, len(order)), failure.error))


def _moved(table: pa.Table, kind_column: str, row_column: str, moved: dict, shard: int) -> pa.Table:
    """`table` (a shard's findings or decisions) with its rows' facts at their place in the merged tables."""
    rows = table[row_column]
    for kind in pc.unique(table[kind_column]).drop_null().to_pylist():
        mine = pc.equal(table[kind_column], kind)
        placed = pc.take(moved[kind][shard], pc.if_else(mine, rows, pa.scalar(None, pa.int64())))
        rows = pc.if_else(mine, placed, rows)
    return table.set_column(table.schema.get_field_index(row_column), row_column, rows)
