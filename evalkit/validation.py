"""Checks that need more than one cell: unique ids, references across files, request lifecycles.

Every check yields `Problem`s located at the row and column to fix; none stops at the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .cells import as_text
from .errors import Problem
from .schema import SUBJECT_KINDS, SUBJECT_TABLES, Column

if TYPE_CHECKING:
    from .dataset import Dataset

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
#: Per status, the columns it requires and those it forbids, with their places in STATUS_COLUMNS
#: (looked up once per request, not per column).
_REQUIRED, _FORBIDDEN = (
    {
        status: [(c, at) for at, (c, need) in enumerate(zip(STATUS_COLUMNS, needs, strict=True)) if need == wanted]
        for status, needs in STATUS_FIELDS.items()
    }
    for wanted in ("req", "-")
)


def validate_dataset(dataset: Dataset, known_rules: set[str] | None) -> list[Problem]:
    # Each table's ids, gathered once for all the checks (a province has millions); references may
    # also name a rejected row, whose own problem is reported already.
    row_ids = {name: set(table.column("id")) for name, table in dataset.tables.items() if table.type.id_column}
    ids = {
        name: found | dataset.tables[name].rejected_ids if dataset.tables[name].rejected_ids else found
        for name, found in row_ids.items()
    }
    problems = list(_unique_ids(dataset, row_ids))
    problems += _references(dataset, ids)
    problems += parent_cycles(dataset)
    problems += _requests(dataset)
    problems += _meetings(dataset)
    problems += _chain_committees(dataset)
    problems += _incidents(dataset, ids)
    problems += _waivers(dataset, ids, known_rules)
    return problems


def _unique_ids(dataset: Dataset, row_ids: dict[str, set[str]]) -> Iterator[Problem]:
    if _all_unique(dataset, row_ids):
        return  # the common case: no row is walked to be placed
    subject_ids: dict[str, str] = {}  # unique across the subject tables together
    for name, table in dataset.tables.items():
        if table.type.id_column is None:
            continue
        seen = subject_ids if name in SUBJECT_TABLES else {}
        for number, id_ in zip(table.row_numbers, table.column("id"), strict=True):
            if id_ in seen:
                file, first = seen[id_]
                yield Problem(table.file, number, "id", id_, f"a unique id (already used in {file} row {first})")
            else:
                seen[id_] = (table.file, number)


def _all_unique(dataset: Dataset, row_ids: dict[str, set[str]]) -> bool:
    """Whether every table's ids are unique (the subject tables' together): as many as its rows."""
    subjects = [name for name in row_ids if name in SUBJECT_TABLES]
    if any(len(found) != len(dataset.tables[name]) for name, found in row_ids.items()):
        return False
    return len(set().union(*(row_ids[name] for name in subjects))) == sum(len(row_ids[name]) for name in subjects)


def _references(dataset: Dataset, ids: dict[str, set[str]]) -> Iterator[Problem]:
    kinds = {
        name: dict(zip(table.column("id"), table.column(table.type.kind_column), strict=True))
        for name, table in dataset.tables.items()
        if table.type.kind_column
    }
    for table in dataset.tables.values():
        for column in table.type.columns:
            if column.ref is None:
                continue
            # Each distinct value is looked up once; rows are walked only to place the bad ones.
            cells = table.column(column.name)
            distinct = {value for cell in set(cells) for value in _each(cell)}
            bad = {value for value in distinct if value is not None and not _resolves(column, value, ids, kinds)}
            if not bad:
                continue
            for number, cell in zip(table.row_numbers, cells, strict=True):
                for value in _each(cell):
                    if value in bad:
                        yield Problem(table.file, number, column.name, value, column.ref.describe())


def _each(cell) -> tuple:
    """The values of a cell: a list cell's items, or the cell itself."""
    return cell if isinstance(cell, tuple) else (cell,)


def _resolves(column: Column, value: str, ids: dict, kinds: dict) -> bool:
    ref = column.ref
    assert ref is not None
    if value not in ids.get(ref.table, ()):
        return False
    if not ref.kinds or ref.table not in kinds:
        return True
    kind = kinds[ref.table].get(value)
    return kind is None or kind in ref.kinds  # a rejected row's kind is unknown: already reported


#: Deeper organisation trees than this are refused: real ones have a handful of levels, and a
#: damaged parent column must not make every check walk thousands of ancestors.
MAX_DEPTH = 50


def parent_cycles(dataset: Dataset) -> Iterator[Problem]:
    """Cycles of parents (each member named once) and trees deeper than MAX_DEPTH; linear time."""
    table = dataset.tables["organizations"]
    parent = dict(zip(table.column("id"), table.column("parent_id"), strict=True))
    numbers = dict(zip(table.column("id"), table.row_numbers, strict=True))
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
                text = " → ".join(shown) + f"{more} → {member}; {len(cycle)} organisation(s)"
                yield Problem(table.file, numbers[member], "parent_id", parent[member], f"no cycle of parents ({text})")
                depth[member] = 0
            path = path[: path.index(node)]
        level = depth.get(node, -1) if node is not None else -1
        for member in reversed(path):
            level += 1
            depth[member] = level
            if level == MAX_DEPTH + 1:
                yield Problem(
                    table.file,
                    numbers[member],
                    "parent_id",
                    parent[member],
                    f"at most {MAX_DEPTH} levels of parent organisations (this one is {level} levels down)",
                )


def _requests(dataset: Dataset) -> Iterator[Problem]:
    """Each request's fields against its status and each other, read from the columns (a province
    has millions of requests: no row is made for this)."""
    table = dataset.tables["requests"]
    columns = ("id", "status", "submitted_at", *STATUS_COLUMNS, "department_id", "reopened_from")
    requests = zip(table.row_numbers, *map(table.column, columns), strict=True)
    for number, id_, status, submitted, *lifecycle, department, reopened in requests:
        for column, at in _REQUIRED.get(status, ()):  # no status: the file lacks the column (reported)
            if lifecycle[at] is None:
                yield Problem(table.file, number, column, "", f"a value when status is {status}")
        for column, at in _FORBIDDEN.get(status, ()):
            if lifecycle[at] is not None:
                yield Problem(table.file, number, column, as_text(lifecycle[at]), f"blank when status is {status}")
        dispatched, accepted, resolved, _ = lifecycle
        if dispatched is not None and department is None:
            yield Problem(table.file, number, "department_id", "", "a department once the request is dispatched")
        if accepted is not None and dispatched is None:
            yield Problem(table.file, number, "dispatched_at", "", "a dispatch time before the acceptance time")
        # Each time is ≥ the one before it, when both are given.
        if dispatched is not None and submitted is not None and dispatched < submitted:
            yield _out_of_order(table, number, "dispatched_at", dispatched, "submitted_at", submitted)
        if accepted is not None and dispatched is not None and accepted < dispatched:
            yield _out_of_order(table, number, "accepted_at", accepted, "dispatched_at", dispatched)
        if resolved is not None and accepted is not None and resolved < accepted:
            yield _out_of_order(table, number, "resolved_at", resolved, "accepted_at", accepted)
        if reopened is not None and reopened == id_:
            yield Problem(table.file, number, "reopened_from", id_, "an earlier request, not the request itself")


def _out_of_order(table, number: int, later: str, after, earlier: str, before) -> Problem:
    return Problem(table.file, number, later, as_text(after), f"a time ≥ {earlier} ({as_text(before)})")


def _meetings(dataset: Dataset) -> Iterator[Problem]:
    table = dataset.tables["meetings"]
    for number, row in table.located():
        resolved, raised = row["issues_resolved"], row["issues_raised"]
        if resolved is not None and raised is not None and resolved > raised:  # None: a column is missing
            yield Problem(
                table.file,
                number,
                "issues_resolved",
                str(row["issues_resolved"]),
                f"at most issues_raised ({row['issues_raised']})",
            )


def _chain_committees(dataset: Dataset) -> Iterator[Problem]:
    table = dataset.tables["organizations"]
    for number, row in table.located():
        if row["kind"] == "chain_committee" and row["chain_id"] not in (None, row["id"]):
            yield Problem(
                table.file, number, "chain_id", row["chain_id"], f"blank or the committee's own id ({row['id']})"
            )


def _incidents(dataset: Dataset, ids: dict[str, set[str]]) -> Iterator[Problem]:
    table = dataset.tables["incidents"]
    tables = dict(zip(SUBJECT_KINDS, ("departments", "cadres", "organizations"), strict=True))
    for number, row in table.located():
        if row["subject_kind"] is not None and row["subject_id"] not in ids[tables[row["subject_kind"]]]:
            yield Problem(
                table.file,
                number,
                "subject_id",
                row["subject_id"],
                f"the id of a {row['subject_kind']} in {tables[row['subject_kind']]}",
            )


def _waivers(dataset: Dataset, ids: dict[str, set[str]], known_rules: set[str] | None) -> Iterator[Problem]:
    table = dataset.tables["waivers"]
    subjects = set().union(*(ids[name] for name in SUBJECT_TABLES))
    for number, row in table.located():
        if known_rules is not None and row["rule"] not in known_rules:
            yield Problem(table.file, number, "rule", row["rule"], "the id of a loaded rule (see `evalkit rules`)")
        if row["subject_id"] not in subjects:
            yield Problem(
                table.file,
                number,
                "subject_id",
                row["subject_id"],
                "the id of an organisation, enterprise, department or cadre",
            )
