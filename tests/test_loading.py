"""Loading and validating datasets: every problem located by file, row and column."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from evalkit import DatasetError, UsageError, load_dataset
from evalkit.testing import run_cli, write_dataset


def problems_of(folder) -> list[tuple]:
    with pytest.raises(DatasetError) as caught:
        load_dataset(folder)
    return [(p.file, p.row, p.column, p.value) for p in caught.value.problems]


def test_small_dataset_loads_typed(small_dir):
    dataset = load_dataset(small_dir)
    assert dataset.counts()["organizations"] == 4
    request = dataset.by_id("requests")["R1"]
    assert request["dispatched_at"] == datetime(2024, 1, 2, 10, 0)
    assert request["key_project"] is False
    assert dataset.by_id("activities")["A1"]["co_hosts"] == ("J1",)
    assert dataset.by_id("organizations")["B1"]["established_on"] == date(2021, 3, 1)
    assert dataset["incidents"] == ()  # no file: no rows (read-only, as every table a plugin reads)


def test_cell_types_are_each_reported(tmp_path, small):
    small["organizations"][2]["established_on"] = "2021/13/01"
    small["organizations"][2]["member_count"] = "-3"
    small["enterprises"][0]["size"] = "huge"
    small["enterprises"][1]["chain_leader"] = "maybe"
    small["visits"][0]["policies_delivered"] = "2.5"
    small["requests"][0]["submitted_at"] = "yesterday"
    assert problems_of(write_dataset(tmp_path, small)) == [
        ("enterprises.csv", 2, "size", "huge"),
        ("enterprises.csv", 3, "chain_leader", "maybe"),
        ("organizations.csv", 4, "established_on", "2021/13/01"),
        ("organizations.csv", 4, "member_count", "-3"),
        ("requests.csv", 2, "submitted_at", "yesterday"),
        ("visits.csv", 2, "policies_delivered", "2.5"),
    ]


def test_missing_required_value_and_column(tmp_path, small):
    small["departments"][1]["name"] = None
    for row in small["meetings"]:
        del row["kind"]
    found = problems_of(write_dataset(tmp_path, small))
    assert ("departments.csv", 3, "name", "") in found
    assert ("meetings.csv", 1, "kind", "") in found


def test_chinese_headers_labels_and_traditional_forms(tmp_path, small):
    small["activities"] = [
        {
            "编号": "A1",
            "組織單位": "B1",
            "活动日期": "2024-03-31",
            "活動類型": "黨員教育",
            "活动主题": "学习",
            "参加人数": "10.0",
            "联办单位": "J1；B1",
            "备注": "kept",
        }
    ]
    dataset = load_dataset(write_dataset(tmp_path, small))
    activity = dataset["activities"][0]
    assert activity["category"] == "member_education"
    assert activity["participants"] == 10
    assert activity["co_hosts"] == ("J1", "B1")
    assert activity["备注"] == "kept"  # extra columns are kept


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_load_to_the_same_records(tmp_path, small, encoding):
    reference = load_dataset(write_dataset(tmp_path / "ref", small))
    other = load_dataset(write_dataset(tmp_path / encoding, small, encoding=encoding))
    for name in reference.tables:
        assert other[name] == reference[name], name


def test_a_bad_byte_past_the_first_megabyte_is_placed_exactly(tmp_path, small):
    """Files are checked a megabyte at a time: the byte named must be the file's, not the chunk's,
    and the one where UTF-8 (which read furthest) failed, not where GB18030 gave up at once."""
    folder = write_dataset(tmp_path, small)
    good = (folder / "departments.csv").read_bytes()
    filler = "".join(f"D{n},部门{n}\n" for n in range(100_000)).encode("utf-8")  # over 1 MB
    (folder / "departments.csv").write_bytes(good + filler + b"DX,\xff\xff\n")
    with pytest.raises(DatasetError) as raised:
        load_dataset(folder)
    problem = next(p for p in raised.value.problems if p.file == "departments.csv")
    assert problem.expected == (
        f"a text file in UTF-8 or GB18030 (invalid start byte at byte {len(good) + len(filler) + 3})"
    )


@pytest.mark.parametrize(
    "tail",
    [
        "中文".encode(),
        "\ufeff\uffff".encode(),  # a BOM mid-file, a noncharacter: valid UTF-8 still
        b"\xed\xa0\x80",  # a surrogate
        b"\xc0\xaf",  # overlong
        b"\xf4\x90\x80\x80",  # past U+10FFFF
        b"\xe4\xb8",  # cut short
        b"\x80",
        b"\x00",
    ],
)
def test_a_file_is_read_as_utf8_exactly_when_python_decodes_it(tmp_path, tail):
    """Arrow's reader checks UTF-8 as it reads (and no other check does): it must agree with
    Python's own decoder, and a NUL is binary data whatever reads it."""
    from evalkit.load.files import TextTable, read_csv

    path = tmp_path / "departments.csv"
    path.write_bytes(b"id,name\nD1," + b"a" * (1 << 20) + tail + b"\n")
    try:
        text = tail.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    read = read_csv(path, "departments")
    if text is not None and "\0" not in text:
        assert isinstance(read, TextTable) and read.columns[1].to_pylist() == ["a" * (1 << 20) + text]
    elif tail == b"\x00":
        assert read.expected == "a CSV text file (this one holds binary data)"
    else:  # read as GB18030 where it decodes so, else located
        assert not isinstance(read, TextTable) or read.columns[1].to_pylist() != ["a" * (1 << 20) + (text or "")]


def test_a_large_gb18030_file_that_starts_in_ascii_is_read_as_gb18030(tmp_path, small):
    for department in small["departments"]:
        department["name"] = f"dept {department['id']}"
    folder = write_dataset(tmp_path, small)
    ascii_only = (folder / "departments.csv").read_bytes()
    filler = "".join(f"DF{n},dept{n}\n" for n in range(100_000)).encode("ascii")  # over 1 MB
    (folder / "departments.csv").write_bytes(ascii_only + filler + "DX,组织部\n".encode("gb18030"))
    assert load_dataset(folder).by_id("departments")["DX"]["name"] == "组织部"


def test_xlsx_sheet_loads_like_csv(tmp_path, small):
    from openpyxl import Workbook

    reference = load_dataset(write_dataset(tmp_path / "ref", small))
    folder = write_dataset(tmp_path / "xlsx", {k: v for k, v in small.items() if k != "requests"})
    book = Workbook()
    sheet = book.active
    sheet.title = "requests"
    header = list(small["requests"][0])
    sheet.append(header)
    for row in small["requests"]:
        cells = []
        for column in header:
            value = row[column]
            if column.endswith("_at") and value:
                value = datetime.strptime(value, "%Y-%m-%d %H:%M")
            cells.append(value)
        sheet.append(cells)
    book.save(folder / "ledger.xlsx")
    assert load_dataset(folder)["requests"] == reference["requests"]


def test_xlsx_numeric_ids_are_text(tmp_path, small):
    from openpyxl import Workbook

    folder = write_dataset(tmp_path, {k: v for k, v in small.items() if k != "departments"})
    book = Workbook()
    book.active.title = "departments"
    book.active.append(["id", "name"])
    book.active.append([1001, "财政局"])
    book.save(folder / "departments.xlsx")
    with pytest.raises(DatasetError) as caught:  # D1 is gone, so references to it break
        load_dataset(folder)
    assert ("requests.csv", 2, "department_id", "D1") in [
        (p.file, p.row, p.column, p.value) for p in caught.value.problems
    ]


def test_a_folder_without_dataset_files_is_refused(tmp_path):
    with pytest.raises(UsageError, match="no dataset files"):
        load_dataset(write_dataset(tmp_path / "empty", {"departments": []}))


def test_duplicate_ids_across_subject_tables(tmp_path, small):
    small["cadres"][0]["id"] = "D1"  # a cadre with a department's id
    small["visits"].append(dict(small["visits"][0]))
    found = problems_of(write_dataset(tmp_path, small))
    assert ("cadres.csv", 2, "id", "D1") in found
    assert ("visits.csv", 3, "id", "V1") in found


def test_references_across_files(tmp_path, small):
    small["requests"][0]["department_id"] = "D9"
    small["activities"][0]["co_hosts"] = ["J1", "X1"]
    small["enterprises"][0]["chain_id"] = "B1"  # exists, but is not a chain committee
    small["requests"][0]["reopened_from"] = "R7"
    assert sorted(problems_of(write_dataset(tmp_path, small))) == [
        ("activities.csv", 2, "co_hosts", "X1"),
        ("enterprises.csv", 2, "chain_id", "B1"),
        ("requests.csv", 2, "department_id", "D9"),
        ("requests.csv", 2, "reopened_from", "R7"),
    ]


def test_parent_cycle_names_each_member(tmp_path, small):
    small["organizations"][0]["parent_id"] = "B1"  # W1 -> B1 -> C1 -> W1
    found = problems_of(write_dataset(tmp_path, small))
    assert [f for f in found if f[2] == "parent_id"] == [
        ("organizations.csv", 2, "parent_id", "B1"),
        ("organizations.csv", 3, "parent_id", "W1"),
        ("organizations.csv", 4, "parent_id", "C1"),
    ]


def test_request_status_and_time_order(tmp_path, small):
    small["requests"][0]["accepted_at"] = "2024-01-02 09:30"  # before dispatch
    small["requests"][1]["satisfaction"] = "satisfied"  # only on resolved requests
    small["requests"][1]["status"] = "accepted"  # needs dispatch and acceptance
    assert sorted(problems_of(write_dataset(tmp_path, small))) == [
        ("requests.csv", 2, "accepted_at", "2024-01-02 09:30"),
        ("requests.csv", 3, "accepted_at", ""),
        ("requests.csv", 3, "dispatched_at", ""),
        ("requests.csv", 3, "satisfaction", "satisfied"),
    ]


def test_request_checks_word_each_problem(tmp_path, small):
    first = small["requests"][0]
    first |= {"dispatched_at": "2024-01-02 08:00", "resolved_at": "2024-01-03 09:00", "reopened_from": "R1"}
    second = small["requests"][1]
    second |= {"status": "withdrawn", "dispatched_at": "2024-02-02 10:00", "resolved_at": "2024-02-03 10:00"}
    with pytest.raises(DatasetError) as caught:
        load_dataset(write_dataset(tmp_path, small))
    assert [(p.row, p.column, p.value, p.expected) for p in caught.value.problems] == [
        (2, "dispatched_at", "2024-01-02 08:00", "a time ≥ submitted_at (2024-01-02 09:00)"),
        (2, "reopened_from", "R1", "an earlier request, not the request itself"),
        (2, "resolved_at", "2024-01-03 09:00", "a time ≥ accepted_at (2024-01-03 10:00)"),
        (3, "department_id", "", "a department once the request is dispatched"),
        (3, "resolved_at", "2024-02-03 10:00", "blank when status is withdrawn"),
    ]


def test_meeting_resolved_at_most_raised(tmp_path, small):
    small["meetings"][0]["issues_resolved"] = 3
    assert problems_of(write_dataset(tmp_path, small)) == [("meetings.csv", 2, "issues_resolved", "3")]


def test_incident_subject_follows_its_kind(tmp_path, small):
    small["incidents"] = [
        {"id": "I1", "subject_kind": "cadre", "subject_id": "D1", "date": "2024-05-01", "reason": "x"}
    ]
    assert problems_of(write_dataset(tmp_path, small)) == [("incidents.csv", 2, "subject_id", "D1")]


def test_rows_in_equal_rows_loaded_plus_rows_reported(tmp_path, small):
    small["visits"] = [
        {
            "id": f"V{n}",
            "cadre_id": "K1",
            "enterprise_id": "E2",
            "date": "2024-04-01" if n % 3 else "bad",
            "policies_delivered": 1,
            "needs_recorded": 0,
        }
        for n in range(10)
    ]
    folder = write_dataset(tmp_path, small)
    with open(folder / "visits.csv", "a", encoding="utf-8") as file:
        file.write(",,,,,\n \n")  # blank rows Excel leaves behind are skipped, not reported
    rows_reported = {row for file, row, _, _ in problems_of(folder) if file == "visits.csv"}
    assert rows_reported == {2, 5, 8, 11}
    small["visits"] = [v for v in small["visits"] if v["date"] != "bad"]
    assert len(load_dataset(write_dataset(tmp_path / "ok", small))["visits"]) == 10 - len(rows_reported)


def test_validate_command(small_dir, tmp_path, small):
    result = run_cli(["validate", str(small_dir)])
    assert result.exit_code == 0
    assert "valid" in result.stdout and "organizations 4" in result.stdout
    small["requests"][0]["department_id"] = "D9"
    bad = run_cli(["validate", str(write_dataset(tmp_path / "bad", small))])
    assert bad.exit_code == 2
    assert "requests.csv:2 [department_id] 'D9'" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("table", "column"), [("requests", "status"), ("incidents", "subject_kind"), ("meetings", "issues_raised")]
)
def test_a_missing_column_is_reported_not_a_crash(tmp_path, small, table, column):
    small["incidents"] = [
        {"id": "I1", "subject_kind": "cadre", "subject_id": "K1", "date": "2024-05-01", "reason": "x"}
    ]
    small[table] = [{key: value for key, value in row.items() if key != column} for row in small[table]]
    assert (f"{table}.csv", 1, column, "") in problems_of(write_dataset(tmp_path, small))


def test_a_record_type_reads_as_a_relation_and_in_sql(small_dir):
    """The columnar way to read the dataset (how plugins build a province's facts): each record
    type a DuckDB relation, and a view of its name in SQL, with its rows' spreadsheet numbers."""
    dataset = load_dataset(small_dir)
    requests = dataset.relation("requests")
    assert requests.aggregate("count(*)").fetchall() == [(len(dataset["requests"]),)]
    rows = dataset.sql("SELECT id, _row FROM requests WHERE id = $id", {"id": "R1"}).fetchall()
    assert rows == [("R1", 2)]
