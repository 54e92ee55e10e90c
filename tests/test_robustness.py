"""Property tests: a valid dataset, corrupted at random, loads correctly or is refused cleanly.

Each example writes the service fixture (test_assess.py) as CSV, applies one fault of a known
class at a random place, and loads it. Faults that change only the spelling (whitespace, `3.0`,
Excel serial dates, other encodings) must load to exactly the original records; faults that
break the data must be refused with a problem naming the file, the row and the column; faults
that may go either way (truncation, empty files, header only) must never crash and never drop a
row silently. Datasets that load are also checked and assessed, which must not crash either.
"""

from __future__ import annotations

import copy
import csv
import io
import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from fixture_data import SMALL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_assess import service_dataset

from evalkit import load_dataset
from evalkit.errors import DatasetError
from evalkit.periods import Period
from evalkit.schema import CORE_RECORD_TYPES, DATE, DATETIME, ENUM, INT, LIST
from evalkit.session import Session
from evalkit.testing import write_dataset

TYPES = {t.name: t for t in CORE_RECORD_TYPES}
DATA = service_dataset(copy.deepcopy(SMALL))
SESSION = Session(autoload=False)


def read(path: Path, encoding="utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding=encoding), newline="")))


def write(path: Path, rows: list[list[str]], encoding="utf-8") -> None:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def cells(folder: Path, want) -> list[tuple[str, int, int]]:
    """(file, row index, column index) of every non-blank cell whose column satisfies `want`."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        record_type = TYPES[path.stem]
        rows = read(path)
        columns = {c.name: c for c in record_type.columns}
        for j, name in enumerate(rows[0]):
            column = columns.get(name)
            if column is None or not want(column):
                continue
            found += [(path.name, i, j) for i in range(1, len(rows)) if rows[i][j].strip()]
    return found


def set_cell(folder, data, want, new) -> tuple[str, int, str]:
    """Replace one cell chosen by hypothesis; return (file, spreadsheet row, column)."""
    choices = cells(folder, want)
    file, i, j = data.draw(st.sampled_from(choices))
    rows = read(folder / file)
    rows[i][j] = new(rows[i][j], rows[0][j])
    write(folder / file, rows)
    return file, i + 1, rows[0][j]


def serial(text: str, _column) -> str:
    moment = (
        datetime.fromisoformat(text) if " " in text else datetime.combine(date.fromisoformat(text), datetime.min.time())
    )
    days = (moment - datetime(1899, 12, 30)).total_seconds() / 86400
    return repr(days) if days % 1 else str(int(days))


# Faults that must load to exactly the original records ----------------------------------------


def stray_whitespace(folder, data):
    pad = data.draw(st.sampled_from([" ", "  ", "\t", "\u3000", " \t"]))
    return set_cell(folder, data, lambda c: True, lambda v, _: pad + v + pad)


def excel_number(folder, data):
    return set_cell(folder, data, lambda c: c.type == INT, lambda v, _: v + ".0")


def excel_serial_date(folder, data):
    return set_cell(folder, data, lambda c: c.type in (DATE, DATETIME), serial)


def other_encoding(folder, data):
    path = data.draw(st.sampled_from(sorted(folder.glob("*.csv"))))
    encoding = data.draw(st.sampled_from(["gb18030", "utf-16", "utf-8-sig"]))
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    return path.name, None, None


# Faults that must be refused, naming file, row and column --------------------------------------


def bad_date(folder, data):
    bad = data.draw(st.sampled_from(["2024-13-01", "31/12/2024", "yesterday", "2024-02-30", "2024-1-1x"]))
    return set_cell(folder, data, lambda c: c.type in (DATE, DATETIME), lambda v, _: bad)


def wrong_enum(folder, data):
    bad = data.draw(st.sampled_from(["unknown", "党小组", "Branch!", "0"]))
    return set_cell(folder, data, lambda c: c.type == ENUM, lambda v, _: bad)


def negative_count(folder, data):
    return set_cell(folder, data, lambda c: c.type == INT, lambda v, _: "-" + v.lstrip("-") if v != "0" else "-1")


def missing_required(folder, data):
    return set_cell(folder, data, lambda c: c.must_have_value, lambda v, _: "")


def dangling_reference(folder, data):
    return set_cell(folder, data, lambda c: c.ref is not None and c.type != LIST, lambda v, _: "ZZ404")


def swapped_timestamps(folder, data):
    rows = read(folder / "requests.csv")
    header = rows[0]
    a, b = header.index("submitted_at"), header.index("dispatched_at")
    candidates = [i for i in range(1, len(rows)) if rows[i][b] and rows[i][a] != rows[i][b]]
    i = data.draw(st.sampled_from(candidates))
    rows[i][a], rows[i][b] = rows[i][b], rows[i][a]
    write(folder / "requests.csv", rows)
    return "requests.csv", i + 1, None


def duplicated_id(folder, data):
    path = data.draw(st.sampled_from([p for p in sorted(folder.glob("*.csv")) if TYPES[p.stem].id_column]))
    rows = read(path)
    i = data.draw(st.integers(1, len(rows) - 1))
    rows.append(list(rows[i]))
    write(path, rows)
    return path.name, len(rows), TYPES[path.stem].id_column


# Faults that may load or not, but never crash or drop a row ------------------------------------


def truncated_file(folder, data):
    path = data.draw(st.sampled_from(sorted(folder.glob("*.csv"))))
    content = path.read_bytes()
    path.write_bytes(content[: data.draw(st.integers(0, len(content)))])
    return path.name, None, None


def empty_file(folder, data):
    path = data.draw(st.sampled_from(sorted(folder.glob("*.csv"))))
    path.write_bytes(b"")
    return path.name, None, None


def header_only(folder, data):
    path = data.draw(st.sampled_from(sorted(folder.glob("*.csv"))))
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return path.name, None, None


CLEAN = [stray_whitespace, excel_number, excel_serial_date, other_encoding]
REFUSED = [
    bad_date,
    wrong_enum,
    negative_count,
    missing_required,
    dangling_reference,
    swapped_timestamps,
    duplicated_id,
]
EITHER = [truncated_file, empty_file, header_only]


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    folder = write_dataset(tmp_path_factory.mktemp("original"), DATA)
    return {name: table.rows for name, table in load_dataset(folder).tables.items()}


def data_records(path: Path) -> int:
    """How many non-header records a CSV file holds, as the csv module reads it."""
    from evalkit.load.files import detect_encoding

    try:
        with path.open(encoding=detect_encoding(path), newline="") as file:
            return max(0, len(list(csv.reader(file))) - 1)
    except (ValueError, csv.Error):
        return 0


def corrupted_dataset_loads_correctly_or_is_refused_cleanly(original, fault, data):
    with tempfile.TemporaryDirectory() as temporary:
        folder = write_dataset(Path(temporary), DATA)
        file, row, column = fault(folder, data)
        try:
            dataset = load_dataset(folder)
        except DatasetError as error:
            assert fault not in CLEAN, [str(p) for p in error.problems]
            assert all(problem.file for problem in error.problems)
            if fault in REFUSED:
                located = [p for p in error.problems if p.file == file and p.row == row]
                assert located, f"{fault.__name__} at {file}:{row} not reported: {[str(p) for p in error.problems]}"
                if column is not None:
                    assert any(p.column == column for p in located)
            return
        assert fault not in REFUSED, f"{fault.__name__} at {file}:{row} [{column}] was accepted"
        if fault in CLEAN:
            assert {name: table.rows for name, table in dataset.tables.items()} == original
        for table in dataset.tables.values():  # nothing dropped silently
            if table.file and table.file.endswith(".csv"):
                assert len(table.rows) + table.blank_rows == data_records(folder / table.file)
        SESSION.assess(dataset, Period(2024))


FAULTS = CLEAN + REFUSED + EITHER
_SETTINGS = {"deadline": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.__name__)
@settings(max_examples=3, **_SETTINGS)
@given(data=st.data())
def test_each_kind_of_corruption_loads_correctly_or_is_refused_cleanly(original, fault, data):
    """Every kind of fault, a few places each (the slow run below tries many more)."""
    corrupted_dataset_loads_correctly_or_is_refused_cleanly(original, fault, data)


@pytest.mark.slow
@settings(max_examples=500, **_SETTINGS)
@given(fault=st.sampled_from(FAULTS), data=st.data())
def test_corrupted_dataset_loads_correctly_or_is_refused_cleanly(original, fault, data):
    corrupted_dataset_loads_correctly_or_is_refused_cleanly(original, fault, data)


# Determinism, atomic output, untouched inputs ------------------------------------------------

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def test_row_order_does_not_change_the_json(tmp_path):
    import random
    import shutil

    from evalkit.testing import run_cli

    shuffled = shutil.copytree(SAMPLE, tmp_path / "shuffled")
    rng = random.Random(7)
    for path in sorted(shuffled.glob("*.csv")):
        if path.name == "waivers.csv":  # a waiver is cited by its row (waivers.csv:2), which a shuffle changes
            continue
        raw = path.read_bytes()
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        rows = read(path, encoding)
        body = rows[1:]
        rng.shuffle(body)
        write(path, [rows[0], *body], encoding)
    for command in (["assess", "--period", "2024"], ["check", "--period", "2024", "--exit-zero"]):
        first = run_cli([command[0], str(SAMPLE), *command[1:], "--format", "json"])
        second = run_cli([command[0], str(shuffled), *command[1:], "--format", "json"])
        assert first.exit_code == second.exit_code == 0
        assert first.stdout == second.stdout


ORDER_PLUGIN = '''
from pathlib import Path
from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

NAME = "{name}"
PACK = """
pack: {name}
version: "1"
title: {{en: {name}, zh: {name}}}
rules:
  - id: {rule}
    title: {{en: size, zh: 规模}}
    severity: low
    fact: {name}_size
    when: "members > {limit}"
    evidence: members
    message:
      pass: {{en: "ok", zh: "好"}}
      fail: {{en: "{{members}} members", zh: "{{members}}名"}}
"""


@hookimpl
def evalkit_fact_kinds():
    return [FactKind(NAME + "_size", "organization", {{"members": "party members"}}, evidence={{"members": "org"}})]


@hookimpl
def evalkit_rule_packs():
    path = Path(__file__).with_name(NAME + ".yaml")
    path.write_text(PACK, encoding="utf-8")
    return [path]


@hookimpl
def evalkit_facts(dataset, period):
    return [Fact(NAME + "_size", o["id"], period, {{"members": o["member_count"]}}, {{"members": (o["id"],)}})
            for o in reversed(dataset["organizations"])]
'''


def test_plugin_registration_order_does_not_change_the_json(tmp_path, monkeypatch):
    from evalkit.testing import run_cli

    for name, rule, limit in (("alpha", "ALP01", 10), ("beta", "BET01", 20)):
        (tmp_path / f"{name}.py").write_text(ORDER_PLUGIN.format(name=name, rule=rule, limit=limit), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    args = ["check", str(SAMPLE), "--period", "2024", "--format", "json", "--exit-zero"]
    forward = run_cli([*args, "-p", "alpha", "-p", "beta"])
    backward = run_cli([*args, "-p", "beta", "-p", "alpha"])
    assert forward.exit_code == 0 and {"ALP01", "BET01"} <= {f["rule"] for f in forward.json["findings"]}
    assert forward.stdout == backward.stdout


def test_interrupted_or_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from evalkit.report import output
    from evalkit.testing import run_cli

    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    result = run_cli(["assess", str(SAMPLE), "--period", "2024", "--format", "json", "--output", str(target)])
    assert result.exit_code == 130 and "nothing was written" in result.stderr
    assert list(target.parent.iterdir()) == []
    monkeypatch.undo()
    missing = run_cli(["assess", str(SAMPLE), "--period", "2024", "--output", str(tmp_path / "nowhere" / "r.txt")])
    assert missing.exit_code == 2 and not (tmp_path / "nowhere").exists()


def test_inputs_are_never_modified(tmp_path):
    import hashlib

    from evalkit.testing import run_cli

    def digest():
        return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in SAMPLE.iterdir()}

    before = digest()
    assert run_cli(["assess", str(SAMPLE), "--period", "2024", "--output", str(tmp_path / "a.txt")]).exit_code == 0
    assert digest() == before


# Limits ---------------------------------------------------------------------------------------


def test_cell_size_limit_is_configurable(tmp_path):
    from evalkit.testing import run_cli

    small = copy.deepcopy(SMALL)
    small["departments"][0]["name"] = "局" * 500
    folder = write_dataset(tmp_path, small)
    assert run_cli(["validate", str(folder)]).exit_code == 0
    result = run_cli(["validate", str(folder), "--max-cell-chars", "100"])
    assert result.exit_code == 2
    assert "departments.csv:2 [name]" in result.stderr and "at most 100 characters" in result.stderr


def organisations_chain(length: int, cycle: bool) -> list[dict]:
    rows = [
        {
            "id": f"O{n}",
            "name": f"组织{n}",
            "kind": "general_committee",
            "parent_id": f"O{n - 1}" if n else None,
            "established_on": "2020-01-01",
            "member_count": 3,
        }
        for n in range(length)
    ]
    if cycle:
        rows[0]["parent_id"] = f"O{length - 1}"
    return rows


@pytest.mark.parametrize("cycle", [False, True])
def test_ten_thousand_deep_organisations_are_refused_quickly(tmp_path, cycle):
    from evalkit.testing import run_cli

    small = copy.deepcopy(SMALL)
    small["organizations"] += organisations_chain(10_000, cycle)
    result = run_cli(["validate", str(write_dataset(tmp_path, small))])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    if cycle:
        assert "O0 → O9999 → O9998 → O9997 → … → O0; 10000 organisation(s)" in result.stderr
        assert len(result.stderr) < 10_000 * 200  # each member named once, not the whole cycle each time
    else:
        assert "organizations.csv:57 [parent_id] 'O50': expected at most 50 levels" in result.stderr


def test_a_million_blank_rows_are_counted_not_kept_and_make_no_problem(tmp_path, monkeypatch):
    """Blank rows are counted by the typing query; not one `Problem` is made for them (the
    record-by-record loader once made six million, one per missing required cell)."""
    from evalkit import errors
    from evalkit.load import cells
    from evalkit.testing import run_cli

    made = []

    class Counted(errors.Problem):
        def __init__(self, *args, **kwargs):
            made.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(cells, "Problem", Counted)
    folder = write_dataset(tmp_path, copy.deepcopy(SMALL))
    with open(folder / "visits.csv", "a", encoding="utf-8") as file:
        file.write(",,,,,\n" * 1_000_000)
    result = run_cli(["validate", str(folder)])
    assert result.exit_code == 0 and "1000000 blank row(s) skipped" in result.stdout
    assert made == []


# Bad rule packs and bad plugins -----------------------------------------------------------------

GOOD_PACK = """\
pack: extra
version: "1"
title: {en: Extra, zh: 额外}
rules:
  - id: EXT01
    title: {en: Education twice, zh: 党员教育两次}
    severity: medium
    fact: branch_quarter
    params: {min_activities: 2}
    when: "member_education < min_activities"
    message:
      pass: {en: "enough", zh: "足够"}
      fail: {en: "too few in {period}", zh: "{period}次数不足"}
"""


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("rules:", "rules: [", "extra.yaml: not a readable YAML rule pack"),
        ("    severity: medium", "    severity: medium\n    colour: red", "rule EXT01: key colour: Extra inputs"),
        ("severity: medium", "severity: 5", "rule EXT01: key severity: Input should be 'low', 'medium' or 'high'"),
        ("fact: branch_quarter", "fact: branch_year", "rule EXT01: key fact: unknown fact kind 'branch_year'"),
        ("member_education < min_activities", "member_educaton < 2", "rule EXT01: key when: unknown name"),
        ("member_education < min_activities", "__import__('os')", "rule EXT01: key when: only comparisons"),
        ("too few in {period}", "too few {period.__class__}", "rule EXT01: key message.fail.en: placeholder"),
        ("  - id: EXT01", "  - id: OPF01", "rule OPF01 is defined twice: in pack extra"),
        ('version: "1"\n', "", "key version: Field required"),
    ],
)
def test_bad_rule_packs_name_file_rule_and_key(tmp_path, old, new, expected):
    from evalkit.testing import run_cli

    assert old in GOOD_PACK
    (tmp_path / "extra.yaml").write_text(GOOD_PACK.replace(old, new, 1), encoding="utf-8")
    result = run_cli(["check", str(SAMPLE), "--period", "2024", "--rules-dir", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert expected in result.stderr
    good = tmp_path / "good"
    good.mkdir()
    (good / "extra.yaml").write_text(GOOD_PACK, encoding="utf-8")
    ok = run_cli(["check", str(SAMPLE), "--period", "2024", "--format", "json", "--rules-dir", str(good)])
    assert any(f["rule"] == "EXT01" for f in ok.json["findings"])


def test_a_plugin_returning_the_wrong_type_is_reported_and_others_complete(tmp_path):
    from evalkit.testing import run_cli

    source = ORDER_PLUGIN.format(name="alpha", rule="ALP01", limit=10).replace(
        "    return [Fact(NAME", "    return {'facts': 1}\n    return [Fact(NAME"
    )
    (tmp_path / "alpha.py").write_text(source, encoding="utf-8")
    result = run_cli(["check", str(SAMPLE), "--period", "2024", "--format", "json", "--plugins-dir", str(tmp_path)])
    assert result.exit_code == 3
    (error,) = result.json["errors"]
    assert error["plugin"] == "alpha" and "must return a list of Fact or FactTable, got dict" in error["error"]
    assert error["rules"] == ["ALP01"] and any(f["rule"] == "OPF01" for f in result.json["findings"])


def test_a_plugin_failing_on_one_subject_only_loses_only_that_subject(tmp_path):
    from evalkit.testing import run_cli

    source = ORDER_PLUGIN.format(name="alpha", rule="ALP01", limit=10).replace(
        '{"members": o["member_count"]}', '{"members": None if o["id"] == "B07" else o["member_count"]}'
    )
    (tmp_path / "alpha.py").write_text(source, encoding="utf-8")
    result = run_cli(["check", str(SAMPLE), "--period", "2024", "--format", "json", "--plugins-dir", str(tmp_path)])
    assert result.exit_code == 3
    assert result.json["errors"] == [
        {
            "plugin": "alpha",
            "error": "alpha_size fact: members is None, not a number or text (flags are 0/1)",
            "rules": ["ALP01"],
            "subjects": ["B07"],
        }
    ]
    alp = {f["subject"] for f in result.json["findings"] if f["rule"] == "ALP01"}
    assert "B07" not in alp and len(alp) == 47  # every other organisation still evaluated


def test_an_invalid_dataset_is_reported_before_anything_else(tmp_path, small):
    """The stderr lines and exit codes recorded from the forking core (8bd4063), unchanged: every
    problem of the dataset, before an unknown --subject, and no output written."""
    from evalkit.testing import run_cli

    small["requests"][0]["department_id"] = "D9"  # a reference to nothing
    small["visits"].append(dict(small["visits"][0]))  # a repeated id
    folder = write_dataset(tmp_path / "data", small)
    output = tmp_path / "out.json"
    problems = [
        "error: the dataset does not validate (2 problem(s)):",
        "  requests.csv:2 [department_id] 'D9': expected the id of a record in departments"
        " (a ledger of one branch? run check --subject ID --partial)",
        "  visits.csv:3 [id] 'V1': expected a unique id (already used in visits.csv row 2)",
    ]
    assessed = run_cli(["assess", str(folder), "--period", "2024", "--format", "json", "--output", str(output)])
    assert (assessed.exit_code, assessed.stderr.splitlines()) == (2, problems) and not output.exists()
    unknown = run_cli(["check", str(folder), "--period", "2024", "--subject", "NOBODY"])
    assert (unknown.exit_code, unknown.stderr.splitlines()) == (2, problems)


def test_the_empty_period_warning_comes_once_before_an_unknown_subject(small_dir):
    from evalkit.testing import run_cli

    result = run_cli(["check", str(small_dir), "--period", "1999", "--subject", "NOBODY"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "warning: no activity, meeting, request, visit, talent or incident record is dated in 1999; "
        "the results below measure nothing (is the period right?)",
        "error: --subject NOBODY: no organisation, enterprise, department or cadre has this id",
    ]
