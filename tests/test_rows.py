"""The two ways of typing a CSV file's cells agree: batch by batch, column by column (Arrow's
reader, the fast path) and record by record (the csv module) give the same rows and problems."""

from __future__ import annotations

import csv
import dataclasses
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit import readers
from evalkit.cells import WHITESPACE
from evalkit.readers import read_csv
from evalkit.rows import parse_table
from evalkit.schema import CORE_RECORD_TYPES

REQUESTS = {t.name: t for t in CORE_RECORD_TYPES}["requests"]
#: Per column of the requests file: the common spelling, other accepted spellings, blanks, bad cells.
CELLS = {
    "id": ["R1", "R2", " R3 ", "", "  "],
    "enterprise_id": ["E1", "E2", "", "E1\xa0"],
    "category": ["finance", "talent", "金融", "", "？"],
    "title": ["诉求", "诉求 二", "multi\nline", "a,b", 'say "hi"', "", " ", "\u3000"],
    "submitted_at": ["2024-01-02 09:00", "2024/1/2 9:00", "2024-01-02T09:00:30", "45293.5", "", "soon"],
    "dispatched_at": ["2024-01-02 10:00", "2024年1月2日 10:00", ""],
    "dispatched_by": ["C1", ""],
    "department_id": ["D1", "D2", ""],
    "accepted_at": ["2024-01-03 10:00", "", " "],
    "cadre_id": ["K1", ""],
    "due_on": ["2024-02-01", "2024/2/1", "2024-02-01 10:00", "", "2024-02-30"],
    "resolved_at": ["2024-01-20 10:00", "", "2024-01-20 25:00"],
    "status": ["resolved", "已办结", "RESOLVED", "", "done"],
    "satisfaction": ["satisfied", "满意", ""],
    "key_project": ["false", "true", "是", "否", "", "maybe", " "],
    "batch_id": ["BT1", ""],
    "reopened_from": ["", "R1"],
    "备注": ["", "note", " x "],  # an extra column, kept as text
}
HEADER = list(CELLS)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """Batches for files of any size, a kilobyte each: several batches from a small file."""
    monkeypatch.setattr(readers, "_BATCHES_FROM_BYTES", 0)
    monkeypatch.setattr(readers, "_BATCH_BYTES", 1024)


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([HEADER, *rows])
    return path


def both_ways(path: Path, max_chars: int = 1_000_000):
    raw = read_csv(path, "requests")
    assert raw.batches is not None  # a UTF-8 file: the fast path is offered
    by_batch = parse_table(REQUESTS, raw, max_chars)
    by_record = parse_table(REQUESTS, dataclasses.replace(raw, batches=None), max_chars)
    return by_batch, by_record


def assert_same(by_batch, by_record) -> None:
    (batch_table, batch_problems), (record_table, record_problems) = by_batch, by_record
    assert batch_table.rows == record_table.rows
    assert [list(row) for row in batch_table.rows] == [list(row) for row in record_table.rows]  # column order too
    assert batch_table.row_numbers == record_table.row_numbers
    assert (batch_table.blank_rows, batch_table.rejected_rows, batch_table.rejected_ids) == (
        record_table.blank_rows,
        record_table.rejected_rows,
        record_table.rejected_ids,
    )
    assert sorted(batch_problems) == sorted(record_problems)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.one_of(
            st.tuples(*[st.sampled_from(CELLS[name][:1]) for name in HEADER]),  # common spellings only
            st.tuples(*[st.sampled_from(CELLS[name]) for name in HEADER]),
            st.just(("",) * len(HEADER)),  # a blank record
        ),
        max_size=60,
    ),
    st.sampled_from([10, 1_000_000]),
)
def test_batches_and_records_give_the_same_rows_and_problems(tmp_path_factory, rows, max_chars):
    path = write(tmp_path_factory.mktemp("csv") / "requests.csv", [list(row) for row in rows])
    assert_same(*both_ways(path, max_chars))


def test_batches_are_read_column_by_column_with_their_row_numbers(tmp_path):
    record = [CELLS[name][0] for name in HEADER]
    path = write(tmp_path / "requests.csv", [record] * 40)
    batches = list(read_csv(path, "requests").batches())
    assert len(batches) > 1
    assert [first for first, _ in batches][0] == 2
    assert sum(len(arrays[0]) for _, arrays in batches) == 40
    for (first, arrays), (following, _) in zip(batches, batches[1:], strict=False):
        assert following == first + len(arrays[0])
    assert batches[0][1][HEADER.index("status")].to_pylist()[0] == "resolved"


def test_an_empty_line_and_a_record_of_another_width_read_as_the_csv_module_reads_them(tmp_path):
    """Empty lines are blank records; a record with a cell beyond the header sends the whole file
    to the record-by-record reader, which reports that cell."""
    record = ",".join(CELLS[name][0] for name in HEADER)
    path = tmp_path / "requests.csv"
    path.write_text(",".join(HEADER) + f"\n{record}\n\n{record},extra\n", encoding="utf-8")
    by_batch, by_record = both_ways(path)
    assert_same(by_batch, by_record)
    table, problems = by_batch
    assert table.blank_rows == 1
    assert [(p.row, p.column, p.value) for p in problems] == [(4, f"column {len(HEADER) + 1}", "extra")]


def test_whitespace_is_what_python_strips():
    assert set(WHITESPACE) == {char for char in map(chr, range(0x110000)) if not char.strip()}


def test_small_files_and_other_encodings_are_read_record_by_record(tmp_path, monkeypatch):
    text = ",".join(HEADER) + "\n" + ",".join(CELLS[name][0] for name in HEADER) + "\n"
    (tmp_path / "gbk").mkdir()
    chinese = tmp_path / "gbk" / "requests.csv"
    chinese.write_text(text, encoding="gb18030")
    raw = read_csv(chinese, "requests")
    assert raw.batches is None
    table, problems = parse_table(REQUESTS, raw, 1_000_000)
    assert problems == [] and table.rows[0]["title"] == "诉求"
    small = tmp_path / "requests.csv"
    small.write_text(text, encoding="utf-8")
    monkeypatch.setattr(readers, "_BATCHES_FROM_BYTES", small.stat().st_size + 1)
    assert read_csv(small, "requests").batches is None


def test_rows_share_one_table_of_keys(tmp_path):
    """Both paths make rows that hold only their values (a province's rows, a gigabyte less)."""
    path = write(tmp_path / "requests.csv", [[CELLS[name][0] for name in HEADER]] * 3)
    for table, _ in both_ways(path):
        assert type(table.rows[0]) is dict
        assert sys.getsizeof(table.rows[0]) < sys.getsizeof(dict(table.rows[0]))


@pytest.mark.parametrize("shift", range(-2, 3))
def test_a_quoted_line_break_across_a_batch_boundary_is_kept(tmp_path, shift):
    """Arrow drops the \\n of a quoted \\r\\n that ends a block (apache/arrow#51368): such a file is
    read by the csv module, so the cell keeps its line break."""
    record = [CELLS[name][0] for name in HEADER]
    head = (",".join(HEADER) + "\r\n" + ",".join(record[:3]) + ',"').encode()
    title = "a" * (1023 + shift - len(head)) + "\r\nline two"
    path = write(tmp_path / "requests.csv", [[*record[:3], title, *record[4:]], record])
    by_batch, by_record = both_ways(path)
    assert_same(by_batch, by_record)
    assert by_batch[0].rows[0]["title"] == title


def test_a_header_without_names_and_columns_named_like_python_attributes(tmp_path):
    """A header of empty cells gives header problems, not an endless file; columns named
    __class__, __dict__ or __weakref__ are extra text columns like any other."""
    path = tmp_path / "requests.csv"
    path.write_text(",,\n1,2,3\n", encoding="utf-8")
    by_batch, by_record = both_ways(path)
    assert_same(by_batch, by_record)
    assert len(by_batch[0].rows) == 1 and ("requests.csv", 1, "id") in [(p.file, p.row, p.column) for p in by_batch[1]]
    path.write_text(
        ",".join([*HEADER, "__class__", "__dict__", "__weakref__"])
        + "\n"
        + ",".join([CELLS[name][0] for name in HEADER] + ["a", "b", "c"])
        + "\n",
        encoding="utf-8",
    )
    by_batch, by_record = both_ways(path)
    assert_same(by_batch, by_record)
    assert [by_batch[0].rows[0][name] for name in ("__class__", "__dict__", "__weakref__")] == ["a", "b", "c"]


def test_read_ahead_gives_every_item_in_order_and_raises_the_threads_error():
    def items():
        yield from range(50)
        raise ValueError("record 51 is broken")

    seen, switching = [], sys.getswitchinterval()
    with pytest.raises(ValueError, match="record 51"):
        for item in readers.read_ahead(items()):
            seen.append(item)
    assert seen == list(range(50))
    assert sys.getswitchinterval() == switching  # given back


def test_read_ahead_stops_its_thread_and_closes_its_source_when_the_reader_stops():
    made, closed = [], []

    def endless():
        try:
            while True:
                made.append(len(made))
                yield made[-1]
        finally:
            closed.append(True)

    ahead = readers.read_ahead(endless(), depth=2)
    assert next(ahead) == 0
    ahead.close()
    assert closed == [True] and len(made) <= 4  # one taken, two waiting, one being handed over
    assert not any(thread.name == "evalkit-read-ahead" for thread in threading.enumerate())


def test_overlapping_read_aheads_give_the_switch_interval_back_after_the_last():
    switching = sys.getswitchinterval()
    first, second = readers.read_ahead(iter(range(10))), readers.read_ahead(iter(range(10)))
    next(first), next(second)
    assert sys.getswitchinterval() < switching
    first.close()
    assert sys.getswitchinterval() < switching  # the second still reads ahead
    second.close()
    assert sys.getswitchinterval() == switching


def test_a_table_held_as_columns_or_rows_stays_whole_however_it_grows():
    from evalkit.rows import Table
    from evalkit.schema import CORE_RECORD_TYPES

    visits = Table(next(t for t in CORE_RECORD_TYPES if t.name == "visits"))
    visits.add_columns(range(2, 4), ["id", "date"], [["V1", "V2"], ["d1", "d2"]])
    assert visits.rows == [{"id": "V1", "date": "d1"}, {"id": "V2", "date": "d2"}]
    assert visits.column("cadre_id") == [None, None]  # a column the table lacks
    visits.add_columns([4], ["id", "date"], [["V3"], ["d3"]])
    assert [row["id"] for row in visits.rows] == ["V1", "V2", "V3"] and len(visits) == 3
    assert visits.column("cadre_id") == [None, None, None] and list(visits.row_numbers) == [2, 3, 4]
    talent = Table(next(t for t in CORE_RECORD_TYPES if t.name == "talent"))
    talent.add_row(2, {"id": "T1"})
    assert talent.column("id") == ["T1"]
    talent.add_row(3, {"id": "T2"})
    assert talent.column("id") == ["T1", "T2"] and [n for n, _ in talent.located()] == [2, 3]
