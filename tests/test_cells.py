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
    path = tmp_path / "visits.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([["a", "b", "c"], *rows])
    table = read_csv(path, "visits")
    assert isinstance(table, TextTable)
    with path.open(encoding="utf-8", newline="") as file:
        expected = list(csv.reader(file))[1:]
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
