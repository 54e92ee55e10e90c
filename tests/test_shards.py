"""A folder of shards (docs/scale.md): each sub-folder a district's complete dataset, assessed as
the one dataset of its shards in order, with the very JSON of their files concatenated; what
crosses shards is refused, naming both shards' files and rows, and every shard's problems listed."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evalkit import load_dataset
from evalkit.progress import Progress
from evalkit.testing import run_cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (benchmarks/generate.py: not a package)

SHARDS = 3


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path]:
    """Three one-district shards (`--district-offset`) and the three districts generated at once."""
    base = tmp_path_factory.mktemp("shards")
    for number in range(SHARDS):
        generate.generate(1, base / "country" / f"d{number}", district_offset=number)
    generate.generate(SHARDS, base / "whole")
    return base / "country", base / "whole"


@pytest.fixture(scope="module")
def unwaived(generated, tmp_path_factory) -> tuple[Path, Path]:
    """The shards and the whole without waivers, whose places (file and row) are not the same in both."""
    base = tmp_path_factory.mktemp("unwaived")
    shards, whole = (Path(shutil.copytree(folder, base / folder.name)) for folder in generated)
    for waivers in [*shards.glob("*/waivers.csv"), whole / "waivers.csv"]:
        waivers.unlink()
    return shards, whole


def output(command: str, folder: Path, period: str, *extra: str) -> str:
    result = run_cli([command, str(folder), "--period", period, "-q", *extra])
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_shards_with_district_offsets_are_the_whole_dataset_cut_by_district(generated):
    shards, whole = generated
    for path in sorted(whole.glob("*.csv")):
        parts = [rows(shards / f"d{number}" / path.name) for number in range(SHARDS)]
        assert all(part[0] == parts[0][0] for part in parts)
        assert rows(path) == parts[0][:1] + [row for part in parts for row in part[1:]], path.name


@pytest.mark.parametrize(("command", "period"), [("check", "2024"), ("check", "2024Q3"), ("assess", "2024")])
def test_the_json_of_shards_is_byte_identical_to_that_of_their_concatenation(unwaived, command, period):
    shards, whole = unwaived
    assert output(command, shards, period, "--format", "json") == output(command, whole, period, "--format", "json")


def test_with_waivers_only_their_places_differ_naming_the_shards_file(generated):
    """A waiver's place is its shard's file and row (where it is fixed), not a row of the concatenation."""
    shards, whole = generated
    sharded, concatenated = (output("assess", folder, "2024", "--format", "json") for folder in generated)
    assert '"d1/waivers.csv:2' in sharded
    place = re.compile(r"(d\d/)?waivers\.csv:\d+")
    assert place.sub("WAIVER", sharded) == place.sub("WAIVER", concatenated)


def test_markdown_is_the_same_but_for_the_dataset_path_and_digest(unwaived):
    shards, whole = unwaived

    def report(folder: Path) -> list[str]:
        text = output("assess", folder, "2024", "--format", "markdown", "--generated-at", "2025-01-15T09:00:00+08:00")
        return [line for line in text.splitlines() if str(folder) not in line and "SHA-256" not in line]

    sharded, concatenated = report(shards), report(whole)
    assert len(sharded) > 100 and sharded == concatenated


def test_a_folder_with_ledgers_at_its_top_is_one_dataset_and_underscore_or_dot_folders_are_not_shards(unwaived):
    shards, whole = unwaived
    shutil.copytree(shards / "d0", whole / "evidence")  # a sub-folder of one dataset: passed over
    try:
        assert load_dataset(whole).shards == ()
    finally:
        shutil.rmtree(whole / "evidence")
    for ignored in ("_drafts", ".old"):
        shutil.copytree(shards / "d0", shards / ignored)  # the same ids again: read, they would repeat
    try:
        assert load_dataset(shards).shards == ("d0", "d1", "d2")
    finally:
        for ignored in ("_drafts", ".old"):
            shutil.rmtree(shards / ignored)


def edit(path: Path, row: int, column: str, value: str) -> None:
    table = rows(path)
    table[row - 1][table[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file, lineterminator="\n").writerows(table)


@pytest.fixture
def country(unwaived, tmp_path) -> Path:
    return Path(shutil.copytree(unwaived[0], tmp_path / "country"))


#: A folder of shards loaded as one dataset, and its shards run as tasks (shards.py) in this
#: process and in two processes (in the slow set, as every test starting processes): the same
#: problems every way.
MODES = pytest.mark.parametrize(
    "mode",
    [(), ("--jobs", "1"), pytest.param(("--jobs", "2"), marks=pytest.mark.slow)],
    ids=["one", "tasks", "processes"],
)


def problems(folder: Path, *extra: str) -> list[str]:
    result = run_cli(["check", str(folder), "--period", "2024", "-q", *extra])
    assert result.exit_code == 2 and result.stdout == "", result.stderr
    return result.stderr.splitlines()[1:]


@MODES
def test_a_reference_batch_or_reopened_request_across_shards_names_both_shards_files_and_rows(country, mode):
    enterprise = rows(country / "d0" / "enterprises.csv")[6][0]  # row 7 of d0's enterprises
    edit(country / "d1" / "requests.csv", 2, "enterprise_id", enterprise)
    edit(country / "d1" / "requests.csv", 3, "batch_id", rows(country / "d0" / "requests.csv")[1][15])
    edit(country / "d2" / "requests.csv", 4, "reopened_from", rows(country / "d0" / "requests.csv")[1][0])
    found = problems(country, *mode)
    assert found[0] == (
        f"  d1/requests.csv:2 [enterprise_id] '{enterprise}': expected a record of the same shard "
        f"({enterprise} is in d0/enterprises.csv row 7, another shard)"
    )
    assert found[1].startswith("  d1/requests.csv:3 [batch_id] ") and "d0/requests.csv row 2, another shard" in found[1]
    assert found[2].startswith("  d2/requests.csv:4 [reopened_from] ") and "d0/requests.csv row 2" in found[2]
    assert len(found) == 3
    chinese = problems(country, "--lang", "zh", *mode)
    assert f"应为同一分片内的记录（{enterprise} 在另一分片的 d0/enterprises.csv 第 7 行）" in chinese[0]


@MODES
def test_a_waiver_naming_a_subject_of_another_shard_names_both(country, mode):
    """In one dataset it would waive; shard by shard it could not: refused either way."""
    branch = rows(country / "d0" / "organizations.csv")[3][0]  # row 4 of d0's organizations
    (country / "d1" / "waivers.csv").write_text(
        f"rule,subject_id,period,reason,approved_by\nOPF01,{branch},2024,新建,组织部\n", encoding="utf-8"
    )
    assert problems(country, *mode) == [
        f"  d1/waivers.csv:2 [subject_id] '{branch}': expected a record of the same shard "
        f"({branch} is in d0/organizations.csv row 4, another shard)"
    ]


@MODES
def test_an_id_in_two_shards_names_the_first_shards_file_and_row(country, mode):
    first = rows(country / "d0" / "cadres.csv")[1][0]
    edit(country / "d2" / "cadres.csv", 5, "id", first)
    found = [line for line in problems(country, *mode) if line.startswith("  d2/cadres.csv:5 [id]")]
    assert found and "already used in d0/cadres.csv row 2" in found[0]


@MODES
def test_every_bad_shards_problems_are_listed_not_only_the_first_shards(country, mode):
    edit(country / "d0" / "visits.csv", 2, "date", "someday")
    edit(country / "d2" / "requests.csv", 3, "status", "lost")
    found = problems(country, *mode)
    assert [line.split(" ")[2] for line in found] == ["d0/visits.csv:2", "d2/requests.csv:3"], found


def test_common_holds_the_calendar_every_shard_sees_and_nothing_else(country):
    (country / "_common").mkdir()
    (country / "_common" / "calendar.csv").write_text("date,kind\n2024-10-08,holiday\n", encoding="utf-8")
    assert len(load_dataset(country).tables["calendar"]) == 1
    shutil.copy(country / "d0" / "departments.csv", country / "_common")
    shutil.copy(country / "_common" / "calendar.csv", country / "d1")
    assert problems(country) == [
        "  _common/departments.csv expected only the working-day calendar (calendar) in _common/: other ledgers "
        "belong in a shard",
        "  d1/calendar.csv expected the working-day calendar in _common/, where every shard sees it",
    ]


@pytest.mark.parametrize("report_format", ["text", "html", "xlsx"])
def test_other_formats_are_the_same_but_for_the_dataset_path_and_digest(unwaived, tmp_path, report_format):
    """Text and HTML as a whole, XLSX cell by cell, with the time pinned and the dataset's folder
    and digest (the only things that differ, where a format names them) written as placeholders."""
    pinned = ("--generated-at", "2025-01-15T09:00:00+08:00")

    def report(folder: Path) -> list[str]:
        digest = load_dataset(folder).digest()

        def set_aside(text: object) -> str:
            return str(text).replace(str(folder), "DATASET").replace(digest, "DIGEST")

        if report_format != "xlsx":
            return set_aside(output("assess", folder, "2024", "--format", report_format, *pinned)).splitlines()
        target = tmp_path / f"{folder.name}.xlsx"
        output("assess", folder, "2024", "--output", str(target), *pinned)
        book = load_workbook(target, read_only=True)
        cells = [
            f"{sheet.title}: " + " | ".join(map(set_aside, row))
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
        book.close()
        return cells

    shards, whole = unwaived
    sharded, concatenated = report(shards), report(whole)
    assert len(sharded) > 30 and sharded == concatenated


@MODES
def test_a_shard_without_ledgers_is_a_problem_naming_it(country, mode):
    for path in (country / "d1").iterdir():
        path.unlink()
    (country / "d1" / "README.txt").write_text("export due Friday", encoding="utf-8")
    assert problems(country, *mode) == ["  d1/ expected a dataset's ledgers in every shard (this folder has none)"]


def test_a_terminal_is_told_how_many_shards_are_read(unwaived):
    """The loader tells each shard read; the progress line (on a terminal only) shows it."""
    told = []
    load_dataset(unwaived[0], shard_read=lambda done, total: told.append((done, total)))
    assert told == [(1, SHARDS), (2, SHARDS), (3, SHARDS)]
    line = io.StringIO()
    progress = Progress(delay=0, stream=line)
    progress.step("loading")
    progress.detail = "2/3 shards"
    progress.show()
    assert line.getvalue().startswith("\r\033[Kevalkit: loading… 2/3 shards ")
