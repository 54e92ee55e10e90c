"""Reading and typing cells: Arrow's CSV reader reads as the csv module does, and each column type
takes exactly the spellings docs/data-format.md lists."""

from __future__ import annotations

import csv
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit import DatasetError, load_dataset
from evalkit.load.cells import WHITESPACE
from evalkit.load.files import TextTable, read_csv
from evalkit.testing import write_dataset


def test_whitespace_is_what_python_strips():
    every = "".join(map(chr, range(0x110000)))
    assert WHITESPACE == "".join(char for char in every if char.isspace())
    assert every.strip(WHITESPACE) == every.strip()


CELL = st.text(alphabet=st.sampled_from('ab,"\n \u3000中;'), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=6))
def test_arrow_reads_records_as_the_csv_module_does(tmp_path, rows):
    """The same records and cells, an empty cell None."""
    path = tmp_path / "visits.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([["a", "b", "c"], *rows])
    table = read_csv(path, "visits")
    assert isinstance(table, TextTable)
    with path.open(encoding="utf-8", newline="") as file:
        expected = [[cell or None for cell in record] for record in list(csv.reader(file))[1:]]
    assert [list(record) for record in zip(*(column.to_pylist() for column in table.columns), strict=True)] == expected
    assert table.rows.to_pylist() == list(range(2, len(expected) + 2))


def test_an_empty_line_and_records_of_another_width_read_as_the_csv_module_reads_them(tmp_path):
    path = tmp_path / "departments.csv"
    path.write_text('id,name\nD1,a\n\nD2\nD3,c,extra\n"D4","multi\nline"\n', encoding="utf-8")
    table = read_csv(path, "departments")
    cells = [list(record) for record in zip(*(column.to_pylist() for column in table.columns), strict=True)]
    assert cells == [
        ["D1", "a", None],
        [None, None, None],
        ["D2", None, None],
        ["D3", "c", "extra"],
        ["D4", "multi\nline", None],
    ]
    assert table.rows.to_pylist() == [2, 3, 4, 5, 6]


#: (column type's column in the small dataset, cell, typed value or None when refused), by hand.
SPELLINGS = [
    ("organizations", "member_count", "12", 12),
    ("organizations", "member_count", " 12 ", 12),
    ("organizations", "member_count", "12.0", 12),
    ("organizations", "member_count", "+7", 7),
    ("organizations", "member_count", "１２", 12),
    ("organizations", "member_count", "12.5", None),
    ("organizations", "member_count", "-3", None),
    ("organizations", "member_count", "1e3", None),
    ("organizations", "member_count", "1" * 19, None),
    ("organizations", "established_on", "2021-03-01", date(2021, 3, 1)),
    ("organizations", "established_on", "2021/3/1", date(2021, 3, 1)),
    ("organizations", "established_on", "2021.3.1", date(2021, 3, 1)),
    ("organizations", "established_on", "2021年3月1日", date(2021, 3, 1)),
    ("organizations", "established_on", "２０２１-０３-０１", date(2021, 3, 1)),
    ("organizations", "established_on", "2021-03-01 00:00", date(2021, 3, 1)),
    ("organizations", "established_on", "44256", date(2021, 3, 1)),
    ("organizations", "established_on", "2021-03-01 10:00", None),
    ("organizations", "established_on", "44256.5", None),
    ("organizations", "established_on", "2021-02-29", None),
    ("organizations", "established_on", "2024-02-29", date(2024, 2, 29)),
    ("organizations", "established_on", "2021-13-01", None),
    ("organizations", "established_on", "0000-01-01", None),
    ("organizations", "established_on", "1234", None),
    ("requests", "submitted_at", "2024-01-02 09:05", datetime(2024, 1, 2, 9, 5)),
    ("requests", "submitted_at", "2024-01-02T09:05:30", datetime(2024, 1, 2, 9, 5, 30)),
    ("requests", "submitted_at", "2024/1/2 9:05", datetime(2024, 1, 2, 9, 5)),
    ("requests", "submitted_at", "2024-01-02", datetime(2024, 1, 2)),
    ("requests", "submitted_at", "45293.25", datetime(2024, 1, 2, 6, 0)),
    ("requests", "submitted_at", "2024-01-02 24:00", None),
    ("requests", "submitted_at", "2024-01-02 09:60", None),
    ("requests", "submitted_at", "2024-01-02 09:05+08", None),
    ("enterprises", "chain_leader", "是", True),
    ("enterprises", "chain_leader", "YES", True),
    ("enterprises", "chain_leader", "f", False),
    ("enterprises", "chain_leader", "", False),
    ("enterprises", "chain_leader", "maybe", None),
    ("enterprises", "size", "large", "large"),
    ("enterprises", "size", " 大型 ", "large"),
    ("enterprises", "size", "LARGE", "large"),
    ("enterprises", "size", "huge", None),
    ("activities", "category", "黨員教育", "member_education"),
    ("activities", "co_hosts", "J1；B1; ;", ("J1", "B1")),
    ("activities", "co_hosts", ";", ()),
    ("waivers", "period", "2024q2", "2024Q2"),
    ("waivers", "period", "２０２４", "2024"),
    ("waivers", "period", "2024Q5", None),
]


@pytest.mark.parametrize(("table", "column", "cell", "value"), SPELLINGS)
def test_each_column_type_takes_its_documented_spellings(tmp_path, small, table, column, cell, value):
    small["waivers"] = [{"rule": "OPF01", "subject_id": "B1", "period": "2024", "reason": "r", "approved_by": "a"}]
    rows = small[table]
    rows[0][column] = cell
    if column == "co_hosts":  # the co-hosts named must exist
        cell_ids = [item.strip() for item in cell.replace("；", ";").split(";") if item.strip()]
        assert all(any(org["id"] == item for org in small["organizations"]) for item in cell_ids)
    folder = write_dataset(tmp_path, small)
    if value is None:
        with pytest.raises(DatasetError) as caught:
            load_dataset(folder)
        assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(2, column, cell.strip())]
        return
    loaded = load_dataset(folder)[table][0][column]
    if column == "period":
        loaded = str(loaded)
    assert loaded == value and type(loaded) is type(value)


def test_arrow_trims_exactly_what_ek_strip_strips():
    """A text column is passed on untyped when Arrow finds nothing to strip: Arrow must trim every
    character of WHITESPACE, and nothing else."""
    import pyarrow as pa

    from evalkit.load.cells import _unstripped

    for char in WHITESPACE:
        assert _unstripped(pa.array([f"{char}a", "b"])) and _unstripped(pa.array([f"a{char}"])), repr(char)
    assert not _unstripped(pa.array(["a b", "中\u200bx", "\u200b", None, "x\u180e"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(
        st.tuples(st.sampled_from(["D1", "D2", " D1", "D2\u3000", "", " "]), st.text(" \t中a\u00a0", max_size=4)),
        min_size=1,
        max_size=12,
    ),
    chunk=st.integers(min_value=1, max_value=5),
)
def test_text_cells_read_in_chunks_type_as_python_strips_them(cells, chunk):
    """Plain columns pass as read, others through their distinct texts; either way, chunked as
    Arrow reads a large file, each cell is its text stripped, a blank one None, in order."""
    import duckdb
    import pyarrow as pa

    from evalkit.load.cells import Typing, define_macros
    from evalkit.schema import CORE_RECORD_TYPES

    departments = next(t for t in CORE_RECORD_TYPES if t.name == "departments")
    columns = [
        pa.chunked_array(
            [
                pa.array([c[i] or None for c in cells[at : at + chunk]], pa.string())
                for at in range(0, len(cells), chunk)
            ]
        )
        for i in range(2)
    ]
    rows = pa.array(range(2, len(cells) + 2), pa.int64())
    connection = duckdb.connect()
    define_macros(connection)
    typing = Typing(1000)
    file = typing.add(departments, TextTable("departments", "departments.csv", ["id", "name"], columns, rows))
    typing.run(connection)
    typed = file.typed()
    expected = [
        (number, id_.strip(), name.strip())
        for number, (id_, name) in zip(range(2, len(cells) + 2), cells, strict=True)
        if id_.strip() and name.strip()
    ]
    loaded = zip(typed.rows.to_pylist(), *(typed.table.column(c).to_pylist() for c in ("id", "name")), strict=True)
    assert list(loaded) == expected
    assert typed.blank_rows == sum(1 for id_, name in cells if not id_.strip() and not name.strip())


def test_many_entries_line_up_with_their_cells():
    """Each cell gets its own text's value: the query types the distinct texts of every file at
    once, and DuckDB may return an Arrow table's rows out of order (it did, one load in three, at
    M, until the query asked for its order)."""
    from datetime import timedelta

    import duckdb
    import pyarrow as pa

    from evalkit.load.cells import Typing, define_macros
    from evalkit.schema import CORE_RECORD_TYPES

    visits = next(t for t in CORE_RECORD_TYPES if t.name == "visits")
    header = ["id", "cadre_id", "enterprise_id", "date", "policies_delivered", "needs_recorded"]
    days = [date(1900, 1, 1) + timedelta(days=n) for n in range(40_000)]
    cells = [[f"V{n}" for n in range(len(days))], ["K1"] * len(days), ["E1"] * len(days)]
    cells += [[day.isoformat() for day in days], [str(n) for n in range(len(days))], ["１"] * len(days)]
    for _ in range(3):
        connection = duckdb.connect(config={"preserve_insertion_order": True})
        define_macros(connection)
        typing = Typing(1000)
        rows = pa.array(range(2, len(days) + 2), pa.int64())
        file = typing.add(visits, TextTable("visits", "visits.csv", header, [pa.array(c) for c in cells], rows))
        typing.run(connection)
        table = file.typed().table
        assert table.column("date").to_pylist() == days
        assert table.column("policies_delivered").to_pylist() == list(range(len(days)))
