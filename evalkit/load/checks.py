"""Checks that need more than one cell, as queries: unique ids, references, request lifecycles, ...

Each query finds the rows to fix; Python words their problems, in English and in Chinese (few,
or the dataset is not assessed), each at its row's own file (`_file`: a record type may be read
from several) and with its column as the file spells it (`Table.header`). Every check runs, none
stops at the first problem. The tree of organisations, a small table, is walked in Python.

A partial ledger (`partial`: one branch's own records, `check --subject ID --partial`) names
organisations, enterprises, departments and cadres kept in other ledgers: a reference to one the
dataset does not hold at all is then no problem but a note, one per id. References to a record
of the wrong kind, and to activity bases and requests (a ledger's own records), stay problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

from ..errors import Note, Problem
from ..periods import Period
from ..schema import SUBJECT_KINDS, SUBJECT_TABLES
from .cells import quoted
from .files import as_text

if TYPE_CHECKING:
    from .dataset import Dataset, Table

#: Which request fields each status requires ("req"), forbids ("-") or allows ("opt"), per docs/data-format.md.
STATUS_FIELDS = {
    #            dispatched_at, accepted_at, resolved_at, satisfaction
    "submitted": ("-", "-", "-", "-"),
    "dispatched": ("req", "-", "-", "-"),
    "accepted": ("req", "req", "-", "-"),
    "resolved": ("req", "req", "req", "opt"),
    "rejected": ("req", "opt", "-", "-"),
    "withdrawn": ("opt", "opt", "-", "-"),
}
STATUS_COLUMNS = ("dispatched_at", "accepted_at", "resolved_at", "satisfaction")
#: Deeper organisation trees than this are refused: real ones have a handful of levels, and a
#: damaged parent column must not make every check walk thousands of ancestors.
MAX_DEPTH = 50
#: What a missing reference to a subject adds: a partial ledger is checked with --partial.
HINT = (
    "a ledger of one branch? run check --subject ID --partial",
    "如只有本支部台账，请用 check --subject 编号 --partial",
)


class Outside(NamedTuple):
    """A reference, in a partial ledger, to a subject the dataset does not hold (placed to find
    the first one: by table, file, row and column)."""

    table: int  # the referring table's place in the dataset
    source: int  # the file's place among the table's files
    row: int
    column: int  # the column's place in its table
    file: str
    header: str  # the column as the file spells it
    value: str


#: What a problem naming another record expects, by why it names it: the id used before, the
#: record of another shard referred to, the batch another shard uses (`elsewhere`).
ELSEWHERE = {
    "repeated": ("a unique id (already used in {file} row {row})", "不重复的编号（{file} 第 {row} 行已用过这个编号）"),
    "crossing": (
        "a record of the same shard ({value} is in {file} row {row}, another shard)",
        "同一分片内的记录（{value} 在另一分片的 {file} 第 {row} 行）",
    ),
    "batch": (
        "a batch of one shard (batch {value} is already used in {file} row {row}, another shard)",
        "同一分片内的批次（批次 {value} 已在另一分片的 {file} 第 {row} 行使用）",
    ),
}


def elsewhere(why: str, file: str, row: int, header: str, value: str, other_file: str, other_row: int) -> Problem:
    """The problem of `value` in `file` row `row`, naming `other_file` row `other_row` (`ELSEWHERE[why]`)."""
    en, zh = (text.format(value=value, file=other_file, row=other_row) for text in ELSEWHERE[why])
    return Problem(file, row, header, value, en, zh)


class Crossing(NamedTuple):
    """A reference, in one shard loaded as a task (`Dataset.crossings`), to a record the shard
    does not hold: the driver looks for it in the other shards (`shards.across`). Held by
    another, it crosses shards; held by none, it is `absent`, the problem it is in one dataset."""

    owners: tuple[str, ...]  # the tables that may hold it
    absent: Problem  # its place, the value and what one dataset expects


def validate_dataset(
    dataset: Dataset, known_rules: set[str] | None, partial: bool = False, waiver_days: dict[str, int] | None = None
) -> list[Problem]:
    """Every problem the checks find. With `partial`, references to subjects the dataset does not
    hold are not problems: each such id is added to `dataset.notes` once, where first referenced.
    A shard loaded alone (`dataset.crossings` a list) keeps its references to records it does not
    hold in that list, for the driver. `waiver_days` (rule id → its pack's max_waiver_days) bounds
    how long a waiver of a rule may hold."""
    _all_ids(dataset)
    outside: list[Outside] | None = [] if partial else None
    problems = list(_unique_ids(dataset))
    problems += _references(dataset, outside)
    problems += parent_cycles(dataset)
    problems += _requests(dataset)
    problems += _meetings(dataset)
    problems += _cadre_statuses(dataset)
    problems += _chain_committees(dataset)
    problems += _incidents(dataset, outside)
    problems += _waivers(dataset, known_rules, outside)
    problems += _waiver_expiries(dataset, waiver_days or {})
    problems += _calendar_dates(dataset)
    problems += _across_shards(dataset)
    dataset.notes.extend(_not_checked(outside or []))
    return problems


def _not_checked(outside: list[Outside]) -> Iterator[Note]:
    """One note per id referenced but not in the ledger, at its first reference."""
    seen = set()
    for place in sorted(outside):
        if place.value not in seen:
            seen.add(place.value)
            where = f"referenced in row {place.row}, column {place.header}"
            yield Note(
                place.file,
                f"{place.value} ({where}) is not in this ledger: not checked",
                f"{place.value}（第 {place.row} 行 {place.header} 引用）不在本台账中，未检查",
            )


def _absent(
    dataset: Dataset,
    outside: list[Outside] | None,
    name: str,
    file: str,
    number: int,
    column: str,
    value: str,
    expected: tuple[str, str],
    owners: tuple[str, ...] = SUBJECT_TABLES,
) -> Problem | None:
    """A reference to a subject that no record holds, in row `number` of `file` (of table `name`):
    a problem with the hint to --partial, or, in a partial ledger (`outside` a list), no problem
    but a place to note; in a shard loaded alone, a crossing for the driver to look for in the
    `owners` tables of the other shards."""
    table = dataset.tables[name]
    header = table.header(column)
    if outside is None:
        problem = Problem(file, number, header, value, f"{expected[0]} ({HINT[0]})", f"{expected[1]}（{HINT[1]}）")
        return _crossing(dataset, owners, problem)
    columns = [c.name for c in table.type.columns]
    place = columns.index(column) if column in columns else len(columns)
    source = table.files.index(file) if file in table.files else len(table.files)
    outside.append(Outside(list(dataset.tables).index(name), source, number, place, file, header, value))
    return None


def _crossing(dataset: Dataset, owners: tuple[str, ...], absent: Problem) -> Problem | None:
    """`absent`, a reference to a record the dataset does not hold, or none when the dataset is a
    shard loaded alone: then a `Crossing` of `owners`' for the driver."""
    if dataset.crossings is None:
        return absent
    dataset.crossings.append(Crossing(owners, absent))
    return None


def _source(table: Table) -> str:
    """Each row's file as its place in the order the table's files were read, in SQL."""
    if len(table.files) < 2:
        return "0"
    return f"list_position([{', '.join(map(quoted, table.files))}], CAST(_file AS VARCHAR))"


def describe_zh(dataset: Dataset, table: str, kinds: tuple[str, ...] = ()) -> str:
    """`Ref.describe()` in Chinese: 党组织（organizations）中某个党支部的编号."""
    record_type = dataset.tables[table].type
    owner = f"{record_type.zh}（{table}）"
    enum = record_type.column(record_type.kind_column).enum if record_type.kind_column else None
    if kinds:
        labels = [enum[kind][0] if enum and kind in enum else kind for kind in kinds]
        return f"{owner}中某个{'或'.join(labels)}的编号"
    return f"{owner}中已有的编号"


def _all_ids(dataset: Dataset) -> None:
    """A view `evalkit_ids` of every table's ids (loaded or refused for bad cells) with the table's name
    and its kind column, for the reference checks."""
    parts = [
        f"SELECT {quoted(name)} AS owner, id, kind FROM ({_ids(dataset, name)})"
        for name, table in dataset.tables.items()
        if table.type.id_column is not None
    ]
    dataset.connection.execute(f"CREATE OR REPLACE TEMP VIEW evalkit_ids AS {' UNION ALL '.join(parts)}")


def _ids(dataset: Dataset, name: str) -> str:
    """The ids of table `name` (loaded or refused for bad cells) and their kind (a refused row's
    is unknown, NULL), as SQL."""
    table = dataset.tables[name]
    kind = f"CAST({table.type.kind_column} AS VARCHAR)" if table.type.kind_column else "NULL"
    ids = f"SELECT id, {kind} AS kind FROM {dataset.view(name)}"
    if table.rejected_ids:
        rejected = ", ".join(f"({quoted(id_)})" for id_ in sorted(table.rejected_ids))
        ids += f" UNION ALL SELECT id, NULL FROM (VALUES {rejected}) refused(id)"
    return ids


def _unique_ids(dataset: Dataset) -> Iterator[Problem]:
    """Ids unique within each table, and across the subject tables together: a grouped query per
    scope tells whether any id repeats (a hash of each id, nothing else: at L 0.69 → 0.39 s
    against grouping every table's rows by scope and id), and only then are their rows placed."""
    scopes: dict[str, list[str]] = {}
    parts, names = [], list(dataset.tables)
    for order, (name, table) in enumerate(dataset.tables.items()):
        if table.type.id_column is None:
            continue
        scope = id_scope(name)
        scopes.setdefault(scope, []).append(f"SELECT id FROM {dataset.view(name)}")
        parts.append(
            f"SELECT {quoted(scope)} AS scope, {order} AS place, {_source(table)} AS source, _row, "
            f"CAST(_file AS VARCHAR) AS file, id FROM {dataset.view(name)}"
        )
    repeats = " UNION ALL ".join(
        f"(SELECT id FROM ({' UNION ALL '.join(tables)}) WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1 LIMIT 1)"
        for tables in scopes.values()
    )
    if not repeats or not dataset.connection.execute(repeats).fetchall():
        return
    rows = " UNION ALL ".join(parts)
    query = f"""
        WITH rows AS ({rows}),
             repeated AS (SELECT scope, id FROM rows WHERE id IS NOT NULL GROUP BY scope, id HAVING count(*) > 1)
        SELECT place, file, _row, id, first_value(file) OVER w, first_value(_row) OVER w, row_number() OVER w
        FROM rows JOIN repeated USING (scope, id)
        WINDOW w AS (PARTITION BY scope, id ORDER BY place, source, _row)"""
    for place, file, number, id_, first_file, first_row, seen in dataset.connection.execute(query).fetchall():
        if seen > 1:
            header = dataset.tables[names[place]].header("id")
            yield elsewhere("repeated", file, number, header, id_, first_file, first_row)


def id_scope(table: str) -> str:
    """Where a table's ids must be unique: the subject tables' together (a subject is named by its
    id alone), any other table's by itself."""
    return "subjects" if table in SUBJECT_TABLES else table


def _references(dataset: Dataset, outside: list[Outside] | None) -> Iterator[Problem]:
    """Every value of a column that names a record of another table (each item of a list) must
    name one, of the kinds the column allows (a refused row's kind is unknown: already reported).
    One query for every such column (problems are sorted once all are found), each referenced
    table's ids read directly: the sample's 21 queries over `evalkit_ids` took 85 ms, most of it
    planning, and this one takes 13 (at L 0.50 → 0.44 s; 0.46 → 0.51 s once it carried each row's
    file and told a missing subject from one of the wrong kind). A value naming a subject of the
    wrong kind is a problem; one naming no subject at all is `_absent`."""
    used, columns, needs = [], [], {}
    for name, table in dataset.tables.items():
        for column in table.type.columns:
            ref = column.ref
            if ref is None:
                continue
            need = needs.setdefault((ref.table, ref.kinds), len(needs))
            value = f"unnest({column.name})" if column.type == "list" else column.name
            used.append(
                f"SELECT {len(columns)} AS place, {need} AS need, _file, _row, {value} AS value "
                f"FROM {dataset.view(name)}"
            )
            expected = (ref.describe(), describe_zh(dataset, ref.table, ref.kinds))
            columns.append((name, column.name, expected, ref.table))
    if not used:
        return
    known, present = [], []  # ids of the kinds allowed; ids of any kind, where only some are allowed
    for (owner, kinds), need in needs.items():
        allowed = f" WHERE kind IS NULL OR kind IN ({', '.join(map(quoted, kinds))})" if kinds else ""
        known.append(f"SELECT {need} AS need, id FROM ({_ids(dataset, owner)}){allowed}")
        if kinds:
            present.append(f"SELECT DISTINCT {need} AS need, id FROM ({_ids(dataset, owner)})")
    held = "bad.value IN (SELECT id FROM present WHERE present.need = bad.need)" if present else "false"
    query = f"""
        WITH used AS (SELECT * FROM ({" UNION ALL ".join(used)}) WHERE value IS NOT NULL),
             known AS ({" UNION ALL ".join(known)}),
             present AS ({" UNION ALL ".join(present) or "SELECT NULL AS need, NULL AS id"}),
             bad AS (SELECT * FROM used ANTI JOIN known ON used.need = known.need AND used.value = known.id)
        SELECT place, CAST(_file AS VARCHAR), _row, value, {held} FROM bad"""
    for place, file, number, bad, held in dataset.connection.execute(query).fetchall():
        name, column, expected, owner = columns[place]
        if owner in SUBJECT_TABLES and not held:
            problem = _absent(dataset, outside, name, file, number, column, bad, expected, (owner,))
        else:  # a subject of the wrong kind, or no record of a table that is not a subject's
            problem = Problem(file, number, dataset.tables[name].header(column), bad, *expected)
            problem = problem if held else _crossing(dataset, (owner,), problem)
        if problem is not None:
            yield problem


def _shard(file: str) -> str:
    """The shard of a row, in SQL, from its file's name (`north/requests.csv` → north)."""
    return f"split_part(CAST({file} AS VARCHAR), '/', 1)"


def _across_shards(dataset: Dataset) -> Iterator[Problem]:
    """In a folder of shards, every subject and every record about it lie in one shard: a
    reference (a column naming a record of another table, `reopened_from` among them; a waiver's
    or an incident's subject) to a record of another shard, and a `batch_id` of requests in two
    shards, are problems naming both files and rows. Ids are unique across the shards already:
    the shards are one dataset to `_unique_ids`. What no shard crosses, each shard can be judged
    alone (docs/scale.md)."""
    if not dataset.shards:
        return
    crossings, columns = [], []
    for name, table in dataset.tables.items():
        for column in table.type.columns:
            if column.ref is None or not len(table) or not len(dataset.tables[column.ref.table]):
                continue
            value = f"unnest({column.name})" if column.type == "list" else column.name
            crossings.append(
                f"SELECT {len(columns)} AS place, CAST(used._file AS VARCHAR), used._row, used.value, "
                f"CAST(held._file AS VARCHAR), held._row FROM (SELECT _file, _row, {value} AS value "
                f"FROM {dataset.view(name)}) used JOIN {dataset.view(column.ref.table)} held ON used.value = held.id "
                f"WHERE {_shard('used._file')} <> {_shard('held._file')}"
            )
            columns.append((name, column.name))
    subjects = " UNION ALL ".join(f"SELECT id, _file, _row FROM {dataset.view(name)}" for name in SUBJECT_TABLES)
    for name in ("waivers", "incidents"):  # a subject named by its id, of any subject table
        if len(dataset.tables[name]):
            crossings.append(
                f"SELECT {len(columns)} AS place, CAST(used._file AS VARCHAR), used._row, used.subject_id, "
                f"CAST(held._file AS VARCHAR), held._row FROM {dataset.view(name)} used JOIN ({subjects}) held "
                f"ON used.subject_id = held.id WHERE {_shard('used._file')} <> {_shard('held._file')}"
            )
            columns.append((name, "subject_id"))
    found = []
    if crossings:
        found = dataset.connection.execute(" UNION ALL ".join(crossings)).fetchall()
    for place, file, number, value, other_file, other_row in found:
        name, column = columns[place]
        yield elsewhere("crossing", file, number, dataset.tables[name].header(column), value, other_file, other_row)
    if len(dataset.tables["requests"]):
        query = f"""
            SELECT file, _row, batch_id, first_file, first_row FROM (
                SELECT CAST(_file AS VARCHAR) AS file, _row, batch_id, first_value(file) OVER w AS first_file,
                       first_value(_row) OVER w AS first_row
                FROM {dataset.view("requests")} WHERE batch_id IS NOT NULL
                WINDOW w AS (PARTITION BY batch_id ORDER BY {_source(dataset.tables["requests"])}, _row))
            WHERE {_shard("file")} <> {_shard("first_file")}"""
        header = dataset.tables["requests"].header("batch_id")
        for file, number, batch, first_file, first_row in dataset.connection.execute(query).fetchall():
            yield elsewhere("batch", file, number, header, batch, first_file, first_row)


def parent_cycles(dataset: Dataset) -> Iterator[Problem]:
    """Cycles of parents (each member named once) and trees deeper than MAX_DEPTH; linear time."""
    table = dataset.tables["organizations"]
    ids, parents, numbers = table.column("id"), table.column("parent_id"), table.row_numbers.to_pylist()
    files = [table.files[source] for source in table.sources.to_pylist()] if table.files else [""] * len(ids)
    parent = dict(zip(ids, parents, strict=True))
    place_of = dict(zip(ids, zip(files, numbers, strict=True), strict=True))  # file and row
    column = table.header("parent_id")
    depth: dict[str, int] = {}  # levels below the root, once known
    for start in sorted(parent):
        path, on_path, node = [], set(), start
        while node is not None and node in parent and node not in depth and node not in on_path:
            on_path.add(node)
            path.append(node)
            node = parent[node]
        if node in on_path:  # the walk came back to itself: a cycle
            cycle = path[path.index(node) :]
            for index, member in enumerate(cycle):
                shown = [cycle[(index + step) % len(cycle)] for step in range(min(len(cycle), 4))]
                more = " → …" if len(cycle) > 4 else ""
                arrows = " → ".join(shown) + f"{more} → {member}"
                yield Problem(
                    *place_of[member],
                    column,
                    parent[member],
                    f"no cycle of parents ({arrows}; {len(cycle)} organisation(s))",
                    f"不形成循环的上级组织（{arrows}：{len(cycle)} 个党组织互为上级）",
                )
                depth[member] = 0
            path = path[: path.index(node)]
        level = depth.get(node, -1) if node is not None else -1
        for member in reversed(path):
            level += 1
            depth[member] = level
            if level == MAX_DEPTH + 1:
                yield Problem(
                    *place_of[member],
                    column,
                    parent[member],
                    f"at most {MAX_DEPTH} levels of parent organisations (this one is {level} levels down)",
                    f"不超过 {MAX_DEPTH} 级的上级组织（这个组织在第 {level} 级）",
                )


def _requests(dataset: Dataset) -> Iterator[Problem]:
    """Each request's fields against its status and each other: the query picks the requests
    with something wrong, Python words what."""
    table = dataset.tables["requests"]
    if not len(table):
        return
    wrong = []
    for status, needs in STATUS_FIELDS.items():
        for column, need in zip(STATUS_COLUMNS, needs, strict=True):
            if need != "opt":
                test = "IS NULL" if need == "req" else "IS NOT NULL"
                wrong.append(f"(status = {quoted(status)} AND {column} {test})")
    wrong += [
        "(dispatched_at IS NOT NULL AND department_id IS NULL)",
        "(accepted_at IS NOT NULL AND dispatched_at IS NULL)",
        "dispatched_at < submitted_at",
        "accepted_at < dispatched_at",
        "resolved_at < accepted_at",
        "reopened_from = id",
    ]
    columns = ("_file", "_row", "id", "status", "submitted_at", *STATUS_COLUMNS, "department_id", "reopened_from")
    query = f"SELECT {', '.join(columns)} FROM {dataset.view('requests')} WHERE {' OR '.join(wrong)}"
    statuses = table.type.column("status").enum or {}
    for record in dataset.connection.execute(query).fetchall():
        file, number, id_, status, submitted, *lifecycle, department, reopened = record
        at = (file, number)  # each problem's file and row; its column as the file spells it: header()
        header = table.header
        request = dict(zip(STATUS_COLUMNS, lifecycle, strict=True))
        status_zh = statuses[status][0] if status in statuses else status
        for column, need in zip(STATUS_COLUMNS, STATUS_FIELDS.get(status, ()), strict=False):
            if need == "req" and request[column] is None:
                zh = f"非空（状态为“{status_zh}”时必填）"
                yield Problem(*at, header(column), "", f"a value when status is {status}", zh)
            if need == "-" and request[column] is not None:
                expected, zh = f"blank when status is {status}", f"空白（状态为“{status_zh}”时不填）"
                yield Problem(*at, header(column), as_text(request[column]), expected, zh)
        dispatched, accepted, resolved, _ = lifecycle
        if dispatched is not None and department is None:
            expected, zh = "a department once the request is dispatched", "承办部门（诉求派单后必填）"
            yield Problem(*at, header("department_id"), "", expected, zh)
        if accepted is not None and dispatched is None:
            expected, zh = "a dispatch time before the acceptance time", "派单时间（有接单时间就须先有派单时间）"
            yield Problem(*at, header("dispatched_at"), "", expected, zh)
        for later, after, earlier, before in (
            ("dispatched_at", dispatched, "submitted_at", submitted),
            ("accepted_at", accepted, "dispatched_at", dispatched),
            ("resolved_at", resolved, "accepted_at", accepted),
        ):
            if after is not None and before is not None and after < before:
                expected = f"a time ≥ {earlier} ({as_text(before)})"
                zh = f"不早于{table.type.column(earlier).zh}（{earlier}：{as_text(before)}）的时间"
                yield Problem(*at, header(later), as_text(after), expected, zh)
        if reopened is not None and reopened == id_:
            expected, zh = "an earlier request, not the request itself", "另一条更早的诉求，不能是本条诉求自己"
            yield Problem(*at, header("reopened_from"), id_, expected, zh)


def _meetings(dataset: Dataset) -> Iterator[Problem]:
    if not len(dataset.tables["meetings"]):
        return
    meetings = dataset.view("meetings")
    query = f"""SELECT CAST(_file AS VARCHAR), _row, issues_resolved, issues_raised FROM {meetings}
                WHERE issues_resolved > issues_raised"""
    for file, number, resolved, raised in dataset.connection.execute(query).fetchall():
        yield Problem(
            file,
            number,
            dataset.tables["meetings"].header("issues_resolved"),
            str(resolved),
            f"at most issues_raised ({raised})",
            f"不超过议定事项数（issues_raised：{raised}）",
        )


def _cadre_statuses(dataset: Dataset) -> Iterator[Problem]:
    """A status ends on or after the day it starts (a one-day leave has from_date = to_date)."""
    if not len(dataset.tables["cadre_status"]):
        return
    query = f"""SELECT CAST(_file AS VARCHAR), _row, to_date, from_date FROM {dataset.view("cadre_status")}
                WHERE to_date < from_date"""
    for file, number, to_date, from_date in dataset.connection.execute(query).fetchall():
        yield Problem(
            file,
            number,
            dataset.tables["cadre_status"].header("to_date"),
            to_date.isoformat(),
            f"blank or a date ≥ from_date ({from_date.isoformat()})",
            f"空白或不早于开始日期（from_date：{from_date.isoformat()}）的日期",
        )


def _chain_committees(dataset: Dataset) -> Iterator[Problem]:
    query = f"""SELECT CAST(_file AS VARCHAR), _row, id, chain_id FROM {dataset.view("organizations")}
                WHERE kind = 'chain_committee' AND chain_id IS NOT NULL AND chain_id <> id"""
    for file, number, id_, chain in dataset.connection.execute(query).fetchall():
        yield Problem(
            file,
            number,
            dataset.tables["organizations"].header("chain_id"),
            chain,
            f"blank or the committee's own id ({id_})",
            f"空白或本产业链党委自己的编号（{id_}）",
        )


def _incidents(dataset: Dataset, outside: list[Outside] | None) -> Iterator[Problem]:
    """An incident's subject is a subject of its kind: one of another kind is a problem, one
    no subject table holds is `_absent`."""
    if not len(dataset.tables["incidents"]):
        return
    tables = dict(zip(SUBJECT_KINDS, ("departments", "cadres", "organizations"), strict=True))
    owners = " ".join(f"WHEN {quoted(kind)} THEN {quoted(owner)}" for kind, owner in tables.items())
    subjects = ", ".join(map(quoted, SUBJECT_TABLES))
    # Naming the owners lets DuckDB read only their ids (at L 75 → 9 ms), not every table's.
    query = f"""SELECT CAST(_file AS VARCHAR), _row, subject_kind, subject_id,
                       subject_id IN (SELECT id FROM evalkit_ids WHERE owner IN ({subjects}))
                FROM {dataset.view("incidents")} i
                WHERE subject_kind IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM evalkit_ids ids
                    WHERE ids.owner IN ({", ".join(map(quoted, tables.values()))})
                      AND ids.owner = CASE i.subject_kind {owners} END AND ids.id = i.subject_id)"""
    column = dataset.tables["incidents"].header("subject_id")
    for file, number, kind, subject, held in dataset.connection.execute(query).fetchall():
        expected = (f"the id of a {kind} in {tables[kind]}", describe_zh(dataset, tables[kind]))
        if held:
            yield Problem(file, number, column, subject, *expected)
        elif problem := _absent(
            dataset, outside, "incidents", file, number, "subject_id", subject, expected, (tables[kind],)
        ):
            yield problem


def _waivers(dataset: Dataset, known_rules: set[str] | None, outside: list[Outside] | None) -> Iterator[Problem]:
    table = dataset.tables["waivers"]
    if not len(table):
        return
    subjects = ", ".join(map(quoted, SUBJECT_TABLES))
    query = f"""SELECT CAST(_file AS VARCHAR), _row, rule, subject_id,
                       subject_id IN (SELECT id FROM evalkit_ids WHERE owner IN ({subjects}))
                FROM {dataset.view("waivers")}"""
    expected = ("the id of an organisation, enterprise, department or cadre", "某个党组织、企业、部门或干部的编号")
    for file, number, rule, subject, known_subject in dataset.connection.execute(query).fetchall():
        if known_rules is not None and rule not in known_rules:
            zh = "已加载的规则编号（可用 evalkit rules 查看）"
            yield Problem(file, number, table.header("rule"), rule, "the id of a loaded rule (see `evalkit rules`)", zh)
        if not known_subject:
            problem = _absent(dataset, outside, "waivers", file, number, "subject_id", subject, expected)
            if problem is not None:
                yield problem


def _waiver_expiries(dataset: Dataset, waiver_days: dict[str, int]) -> Iterator[Problem]:
    """A waiver's expires_on is not before the first day of its own period (it would waive
    nothing it names), nor before its approved_on, and, when its rule's pack sets a
    max_waiver_days, at most that many days after approval: an office's waiver is renewed, not
    granted for good."""
    table = dataset.tables["waivers"]
    if not len(table):
        return
    query = f"""SELECT CAST(_file AS VARCHAR), _row, rule, period, approved_on, expires_on
                FROM {dataset.view("waivers")} WHERE expires_on IS NOT NULL"""
    column = table.header("expires_on")
    for file, number, rule, period, approved_on, expires_on in dataset.connection.execute(query).fetchall():
        value = expires_on.isoformat()
        first = Period.parse(period).first_day if period else None
        if first is not None and expires_on < first:
            yield Problem(
                file,
                number,
                column,
                value,
                f"a date on or after {first.isoformat()}, the first day of the waiver's period {period}",
                f"不早于豁免期间 {period} 首日 {first.isoformat()} 的日期",
            )
        elif approved_on is not None and expires_on < approved_on:
            yield Problem(
                file,
                number,
                column,
                value,
                f"a date on or after approved_on {approved_on.isoformat()} (it cannot expire before its approval)",
                f"不早于审批日期 {approved_on.isoformat()} 的日期（豁免不能在审批前到期）",
            )
        elif approved_on is not None and (most := waiver_days.get(rule)) is not None:
            days = (expires_on - approved_on).days
            if days > most:
                last = (approved_on + timedelta(days=most)).isoformat()
                yield Problem(
                    file,
                    number,
                    column,
                    value,
                    f"a date at most {most} days after approved_on {approved_on.isoformat()} (by {last}: "
                    f"the pack of rule {rule} sets max_waiver_days {most}; this waiver holds {days} days)",
                    f"审批日期 {approved_on.isoformat()} 后 {most} 天以内的日期（至迟 {last}：规则 {rule} 所在规则包的"
                    f" max_waiver_days 为 {most}；本豁免长达 {days} 天）",
                )


def _calendar_dates(dataset: Dataset) -> Iterator[Problem]:
    """A date is in the calendar once: two rows for one day would say both workday and holiday,
    or the same twice (which one a deadline took would be a guess)."""
    table = dataset.tables["calendar"]
    if not len(table):
        return
    query = f"""SELECT file, _row, date, first_value(file) OVER w, first_value(_row) OVER w, row_number() OVER w
                FROM (SELECT CAST(_file AS VARCHAR) AS file, {_source(table)} AS source, _row, date,
                             count(*) OVER (PARTITION BY date) AS times
                      FROM {dataset.view("calendar")} WHERE date IS NOT NULL)
                WHERE times > 1
                WINDOW w AS (PARTITION BY date ORDER BY source, _row)"""
    column = table.header("date")
    for file, number, day, first_file, first_row, seen in dataset.connection.execute(query).fetchall():
        if seen > 1:
            yield Problem(
                file,
                number,
                column,
                day.isoformat(),
                f"a date not yet in the calendar (already in {first_file} row {first_row})",
                f"工作日历中尚未出现的日期（{first_file} 第 {first_row} 行已有这个日期）",
            )
