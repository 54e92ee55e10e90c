"""The performance floor: evalkit's default rule policy as plain DuckDB SQL.

    python benchmarks/floor.py DATASET_FOLDER --period 2024 [--output FILE.json]

Computes what `evalkit assess --format json` decides (docs: design/POLICY.md, numbers from
rules/*.yaml, counted as plugins/*.py count them), with nothing but DuckDB: the scores of
departments and cadres (base, bonus, deduction, total, grade, veto, rank; cadres ungraded or capped by
their cadre_status), the 1+4 branches table (quarters checked and compliant, compliance rate, OPF10), the chain councils
(CHN01-CHN03) and coverage (COV01/COV02). Python only orchestrates and formats; every number
comes from one SQL statement per output table. It is what evalkit is measured against, so it
does no validation and reads only what `benchmarks/generate.py` writes: clean UTF-8 CSVs with
English headers, codes and ISO dates. It does not read Chinese headers or labels, `.xlsx`
sheets or irregular spellings (evalkit's loader does); tests/test_floor.py therefore compares it
with evalkit on a copy of sample_data/ written out by evalkit's loader in that clean form.

Arithmetic is exact, as evalkit's: a total is an integer numerator over an integer
denominator (HUGEINT), so grade bands compare exact values, equal totals share a rank, and the
order of totals is decided by their doubles and, between equal doubles, by cross-multiplying.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from datetime import date
from pathlib import Path

import duckdb

# The shipped settings (rules/*.yaml), hard-coded: the floor reads no rule pack.
SETTINGS = {
    "accept_hours": 24,  # SVC01: accepted at most 24 h after dispatch (exactly 24 h counts)
    "time_limit_days": 10,  # SVC02: default due date = dispatch date + 10 days
    "target_department": 20,  # SVC04: distinct enterprises a department's cadres visit
    "target_cadre": 10,  # SVC04: distinct enterprises a cadre visits
    "w_accept": 20, "w_on_time": 30, "w_satisfied": 30, "w_visits": 20,  # indicator weights
    "batch_min": 2, "bonus_cap": 5,  # SVC10 (+1 a batch) and SVC11 (+1 a talent record): at most +5 each
    "repeat_points": 2, "overdue_points": 1, "deduction_cap": 20,  # SVC20, SVC21, all deductions
    "min_total": 0, "max_total": 105,
    "quota_share_num": 1, "quota_share_den": 5, "quota_at_least": 1,  # SVC31: 20 % excellent, at least 1
    "min_quarters": 2,  # OPF10: non-compliant in >= 2 quarters of the year
    "posts": 4,  # CHN02: leader, instructor, liaison, pioneer
    "rate_num": 4, "rate_den": 5,  # CHN03: resolved / raised >= 0.8
    "min_members": 3,  # COV01 from 3 party members, COV02 below
}  # fmt: skip
# Grade bands (at least, grade), highest first; the last is also the grade of a veto.
GRADES = {
    "department": [(90, "excellent"), (80, "good"), (60, "fair"), (0, "poor")],
    "cadre": [(90, "excellent"), (75, "competent"), (60, "basically_competent"), (0, "incompetent")],
}
# The columns the statements read, per record type (a missing file is an empty table of them),
# and the types of those that are not text, by name; every other column is read as text.
COLUMNS = {
    "organizations": "id kind parent_id enterprise_id established_on",
    "enterprises": "id party_members party_org_id",
    "departments": "id",
    "cadres": "id department_id",
    "chain_posts": "chain_id role since",
    "activity_bases": "org_id opened_on",
    "activities": "org_id date category co_hosts",
    "meetings": "chain_id date kind issues_raised issues_resolved",
    "requests": "id dispatched_at accepted_at resolved_at due_on status satisfaction department_id cadre_id batch_id "
    "reopened_from",
    "visits": "cadre_id enterprise_id date",
    "talent": "date mentor_id",
    "incidents": "subject_kind subject_id date",
    "cadre_status": "cadre_id kind from_date to_date",
    "waivers": "rule subject_id period expires_on",
}
TYPES = {"date": "DATE", "established_on": "DATE", "since": "DATE", "opened_on": "DATE", "due_on": "DATE",
         "from_date": "DATE", "to_date": "DATE", "expires_on": "DATE",
         "dispatched_at": "TIMESTAMP", "accepted_at": "TIMESTAMP", "resolved_at": "TIMESTAMP",
         "party_members": "INTEGER", "issues_raised": "INTEGER", "issues_resolved": "INTEGER"}  # fmt: skip

SETUP = """
-- The grade bands, and the lowest grade of each kind (a veto's).
CREATE TABLE bands (kind VARCHAR, at_least INTEGER, grade VARCHAR);
CREATE MACRO lowest(k) AS (SELECT arg_min(grade, at_least) FROM bands WHERE kind = k);
-- The last day of a period written 2024 or 2024Q3.
CREATE MACRO period_last_day(p) AS CASE WHEN length(p) = 4 THEN make_date(left(p, 4)::INTEGER, 12, 31)
    ELSE last_day(make_date(left(p, 4)::INTEGER, right(p, 1)::INTEGER * 3, 1)) END;
-- A failed compliance finding (of the year or of one of its quarters) is waived when a waiver
-- names its rule and subject for that period, for the whole year, or for always (blank period),
-- and has not expired before the period's last day (expires_on blank: never).
CREATE MACRO waived(rule_id, subject, finding_period) AS EXISTS (
    SELECT 1 FROM waivers w WHERE w.rule = rule_id AND w.subject_id = subject
      AND (w.period IS NULL OR w.period IN (finding_period, left(finding_period, 4)))
      AND (w.expires_on IS NULL OR w.expires_on >= period_last_day(finding_period)));
-- n / d >= 0 rounded half up to 6 decimals, in integers (as evalkit's `rounded`).
CREATE MACRO round6(n, d) AS ((2 * n::HUGEINT * 1000000 + d) // (2 * d))::DOUBLE / 1000000;
-- The quarters of the year.
CREATE TABLE quarters AS
    SELECT q AS quarter, make_date($year, 3 * q - 2, 1) AS first_day, last_day(make_date($year, 3 * q, 1)) AS last_day,
           $year || 'Q' || q AS label
    FROM range(1, 5) t(q);
"""

SCORES = """
-- Departments and cadres (service): one row per assessed subject.
WITH subjects AS (            -- every department, and every cadre with a department
    SELECT id AS subject, 'department' AS kind, $target_department AS target FROM departments
    UNION ALL SELECT id, 'cadre', $target_cadre FROM cadres WHERE department_id IS NOT NULL),
req AS MATERIALIZED (         -- the period's requests (by dispatch day), withdrawn ones left out
    SELECT id, status, satisfaction, department_id, cadre_id, batch_id, reopened_from,
           status <> 'rejected' AND accepted_at <= dispatched_at + to_hours($accept_hours) AS in_window,
           status = 'resolved' AND resolved_at <= $period_end AS resolved,
           resolved_at::DATE AS resolved_on,
           coalesce(due_on, dispatched_at::DATE + $time_limit_days) AS due
    FROM requests WHERE status <> 'withdrawn' AND dispatched_at::DATE BETWEEN $first AND $last),
owned AS (                    -- each request once for each assessed subject it belongs to
    SELECT r.* FROM (SELECT unnest([department_id, cadre_id]) AS subject, * FROM req) r JOIN subjects USING (subject)),
counts AS (                   -- the facts behind SVC01-SVC03 and SVC21
    SELECT subject, count(*) AS requests, count(*) FILTER (in_window) AS accepted,
           count(*) FILTER (resolved OR status <> 'rejected' AND due <= $last) AS measured,
           count(*) FILTER (resolved AND resolved_on <= due) AS on_time,
           count(*) FILTER (resolved) AS resolved,
           count(*) FILTER (resolved AND satisfaction IS NOT NULL) AS rated,
           count(*) FILTER (resolved AND satisfaction IN ('satisfied', 'basically_satisfied')) AS satisfied,
           count(*) FILTER (NOT resolved AND status <> 'rejected' AND due <= $last) AS overdue
    FROM owned GROUP BY subject),
visited AS (                  -- SVC04: distinct enterprises visited by the cadre / by the department's cadres
    SELECT subject, count(DISTINCT enterprise_id) AS visited
    FROM (SELECT unnest([v.cadre_id, c.department_id]) AS subject, v.enterprise_id
          FROM visits v JOIN cadres c ON c.id = v.cadre_id WHERE v.date BETWEEN $first AND $last)
    GROUP BY subject),
batches AS (                  -- SVC10: batches of >= 2 requests (rejected left out), all the subject's and resolved
    SELECT subject, count(*) AS batches
    FROM (SELECT subject, batch_id, count(*) AS mine, bool_and(resolved) AS done
          FROM owned WHERE batch_id IS NOT NULL AND status <> 'rejected' GROUP BY ALL)
    JOIN (SELECT batch_id, count(*) AS size FROM req WHERE status <> 'rejected' GROUP BY ALL) USING (batch_id)
    WHERE mine = size AND size >= $batch_min AND done GROUP BY subject),
mentored AS (                 -- SVC11: talent records the cadre mentored in the period
    SELECT mentor_id AS subject, count(*) AS mentored FROM talent WHERE date BETWEEN $first AND $last GROUP BY ALL),
repeats AS (                  -- SVC20: the period's requests repeating a request of the subject resolved by period end
    SELECT subject, count(*) AS repeats
    FROM (SELECT unnest([o.department_id, o.cadre_id]) AS subject FROM req r JOIN requests o ON o.id = r.reopened_from
          WHERE o.status = 'resolved' AND o.resolved_at <= $period_end)
    GROUP BY subject),
standing AS (                 -- SVC40-SVC43: ungraded cadres (on the last day, or leave > half the year); SVC44: warned
    SELECT cadre_id AS subject,
           bool_or(kind = 'probation' AND from_date <= $last AND coalesce(to_date, $last) >= $last
                   OR kind = 'investigation' AND from_date <= $last AND to_date IS NULL
                   OR kind IN ('demerit', 'serious_demerit', 'demotion', 'dismissal')
                      AND from_date <= $last AND coalesce(to_date, $last) >= $last) AS ungraded,
           bool_or(kind = 'warning' AND from_date <= $last AND coalesce(to_date, $last) >= $first) AS warned
    FROM cadre_status GROUP BY ALL),
leave AS (                    -- SVC43: days of the year in at least one leave
    SELECT subject, count(DISTINCT day) * 2 > $last - $first + 1 AS ungraded
    FROM (SELECT cadre_id AS subject,
                 unnest(generate_series(greatest(from_date, $first), least(coalesce(to_date, $last), $last),
                                        INTERVAL 1 DAY)) AS day
          FROM cadre_status WHERE kind = 'leave')
    GROUP BY ALL),
facts AS (                    -- per subject: (numerator, denominator) of the four indicators, bonus, deduction
    SELECT s.subject, s.kind, coalesce(c.resolved, 0) AS resolved,
           least(coalesce(c.accepted, 0), coalesce(c.requests, 0)) AS n1, coalesce(c.requests, 0) AS d1,
           least(coalesce(c.on_time, 0), coalesce(c.measured, 0)) AS n2, coalesce(c.measured, 0) AS d2,
           least(coalesce(c.satisfied, 0), coalesce(c.rated, 0)) AS n3, coalesce(c.rated, 0) AS d3,
           least(coalesce(v.visited, 0), s.target) AS n4, s.target AS d4,
           least(coalesce(b.batches, 0), $bonus_cap)
             + CASE s.kind WHEN 'cadre' THEN least(coalesce(m.mentored, 0), $bonus_cap) ELSE 0 END AS bonus,
           least($repeat_points * coalesce(r.repeats, 0) + $overdue_points * coalesce(c.overdue, 0), $deduction_cap)
             AS deduction,
           EXISTS (SELECT 1 FROM incidents i WHERE i.subject_id = s.subject AND i.subject_kind = s.kind
                   AND i.date BETWEEN $first AND $last) AS vetoed,        -- SVC30 (every category vetoes)
           s.kind = 'cadre' AND (coalesce(st.ungraded, false) OR coalesce(l.ungraded, false)) AS ungraded,
           s.kind = 'cadre' AND coalesce(st.warned, false) AS warned
    FROM subjects s LEFT JOIN counts c USING (subject) LEFT JOIN visited v USING (subject)
    LEFT JOIN batches b USING (subject) LEFT JOIN mentored m USING (subject) LEFT JOIN repeats r USING (subject)
    LEFT JOIN standing st USING (subject) LEFT JOIN leave l USING (subject)),
common AS (                   -- a common denominator of the indicators (n/a ones count 1) and the applicable weight
    SELECT *, greatest(d1, 1)::HUGEINT * greatest(d2, 1) * greatest(d3, 1) * greatest(d4, 1) AS den,
           $w_accept * (d1 > 0)::INT + $w_on_time * (d2 > 0)::INT + $w_satisfied * (d3 > 0)::INT
             + $w_visits * (d4 > 0)::INT AS weights
    FROM facts),
base AS (                     -- base = 100 x points / applicable weights = base_num / base_den, exactly
    SELECT *, 100 * ($w_accept * n1 * (den // greatest(d1, 1)) + $w_on_time * n2 * (den // greatest(d2, 1))
                     + $w_satisfied * n3 * (den // greatest(d3, 1)) + $w_visits * n4 * (den // greatest(d4, 1)))
                AS base_num,
           den * greatest(weights, 1) AS base_den
    FROM common),
clipped AS (                  -- total = base + bonus - deduction, clipped to min..max total
    SELECT *, greatest($min_total * base_den, least($max_total * base_den, base_num + (bonus - deduction) * base_den))
                AS total_num
    FROM base),
totals AS (                   -- the total as a reduced fraction tn / td
    SELECT *, total_num // gcd(total_num, base_den) AS tn, base_den // gcd(total_num, base_den) AS td FROM clipped),
ordered AS (                  -- an exact order of distinct totals: the double, then how many equal doubles are above
    SELECT a.kind, a.tn, a.td, a.approx, count(*) FILTER (b.tn * a.td > a.tn * b.td) AS above
    FROM (SELECT DISTINCT kind, tn, td, tn::DOUBLE / td AS approx FROM totals) a
    JOIN (SELECT DISTINCT kind, tn, td, tn::DOUBLE / td AS approx FROM totals) b USING (kind, approx)
    GROUP BY ALL),
banded AS (                   -- the grade band of the total
    SELECT t.*, o.approx, o.above,
           (SELECT arg_max(grade, at_least) FROM bands WHERE kind = t.kind AND t.tn >= at_least * t.td) AS band
    FROM totals t JOIN ordered o USING (kind, tn, td)),
graded AS (                   -- ungraded; else a veto gives the lowest grade; else a warning caps at competent
    SELECT *, CASE WHEN ungraded THEN 'ungraded' WHEN vetoed THEN lowest(kind)
                   WHEN warned AND band = 'excellent' THEN 'competent' ELSE band END AS banded
    FROM banded),
quota AS (                    -- SVC31: cadres past the excellence quota (lowest totals, then fewer resolved, larger id)
    SELECT subject, row_number() OVER (ORDER BY approx DESC, above, resolved DESC, subject) >
             (SELECT greatest($quota_at_least, count(*) * $quota_share_num // $quota_share_den)
              FROM graded WHERE kind = 'cadre' AND NOT ungraded) AS demoted
    FROM graded WHERE kind = 'cadre' AND banded = 'excellent')
SELECT kind, subject,             -- ranks: the vetoed after the others; the ungraded none
       CASE WHEN NOT ungraded THEN rank() OVER (PARTITION BY kind, ungraded ORDER BY vetoed, approx DESC, above) END
         AS rank,
       round6(tn, td) AS total, CASE WHEN q.demoted THEN 'competent' ELSE banded END AS grade, vetoed,
       round6(base_num, base_den) AS base, bonus::DOUBLE AS bonus, deduction::DOUBLE AS deduction
FROM graded LEFT JOIN quota q USING (subject)
ORDER BY kind, rank NULLS LAST, subject
"""

BRANCHES = """
-- Branches (1+4): quarters checked and compliant, compliance rate, OPF10.
WITH RECURSIVE branches AS (
    SELECT id AS branch, established_on FROM organizations WHERE kind IN ('branch', 'joint_branch')),
lineage AS (                  -- each branch with itself and its ancestors
    SELECT branch, branch AS org FROM branches
    UNION ALL SELECT l.branch, o.parent_id FROM lineage l JOIN organizations o ON o.id = l.org
    WHERE o.parent_id IS NOT NULL),
bases AS (                    -- OPF01: the first opening of a base of the branch or an ancestor
    SELECT l.branch, min(b.opened_on) AS opened FROM lineage l JOIN activity_bases b ON b.org_id = l.org GROUP BY ALL),
held AS (                     -- OPF02-05: activity kinds held per organisation (organiser and co-hosts) and quarter
    SELECT org, quarter, bool_or(category = 'business_collaboration') AS c2,
           bool_or(category = 'member_education') AS c3, bool_or(category = 'model_publicity') AS c4,
           bool_or(category = 'volunteer_service') AS c5
    FROM (SELECT unnest(list_prepend(org_id, list_filter(
                     string_split_regex(trim(coalesce(co_hosts, '')), ' *[;；] *'), lambda x: x <> ''))) AS org,
                 quarter(date) AS quarter, category
          FROM activities WHERE date BETWEEN $first AND $last)
    GROUP BY ALL),
findings AS (                 -- OPF01-05 per branch and quarter: skip (not yet established), pass, waived or fail
    SELECT branch, quarter, rule,
           CASE WHEN established_on > first_day THEN 'skip' WHEN passed THEN 'pass'
                WHEN waived(rule, branch, label) THEN 'waived' ELSE 'fail' END AS status
    FROM (SELECT b.branch, b.established_on, q.*, unnest(['OPF01', 'OPF02', 'OPF03', 'OPF04', 'OPF05']) AS rule,
                 unnest([coalesce(s.opened <= q.last_day, false), coalesce(h.c2, false), coalesce(h.c3, false),
                         coalesce(h.c4, false), coalesce(h.c5, false)]) AS passed
          FROM branches b CROSS JOIN quarters q LEFT JOIN bases s USING (branch)
          LEFT JOIN held h ON h.org = b.branch AND h.quarter = q.quarter)),
quarter_states AS (           -- checked: not skipped; compliant: checked and nothing failed (waived is fine)
    SELECT branch, quarter, bool_and(status = 'skip') AS skipped, bool_or(status = 'fail') AS failed
    FROM findings GROUP BY ALL)
SELECT branch AS subject, count(*) FILTER (NOT skipped) AS checked_quarters,
       count(*) FILTER (NOT skipped AND NOT failed) AS compliant_quarters,
       CASE WHEN checked_quarters > 0 THEN round6(compliant_quarters, checked_quarters) END AS compliance_rate,
       CASE WHEN count(*) FILTER (failed) < $min_quarters THEN 'pass'   -- OPF10: 2 failed quarters
            WHEN waived('OPF10', branch, $period) THEN 'waived' ELSE 'fail' END AS OPF10
FROM quarter_states GROUP BY branch ORDER BY branch
"""

CHAINS = """
-- Chain committees: CHN01 over the quarters (fail when any quarter failed, unwaived), CHN02, CHN03.
WITH chains AS (SELECT id AS chain FROM organizations WHERE kind = 'chain_committee'),
period_meetings AS (SELECT * FROM meetings WHERE date BETWEEN $first AND $last),
chn01 AS (                    -- one routine council meeting a quarter
    SELECT chain, CASE WHEN EXISTS (SELECT 1 FROM period_meetings m WHERE m.chain_id = chain AND m.kind = 'routine'
                                    AND m.date BETWEEN q.first_day AND q.last_day) THEN 'pass'
                       WHEN waived('CHN01', chain, q.label) THEN 'waived' ELSE 'fail' END AS status
    FROM chains CROSS JOIN quarters q),
posts AS (                    -- CHN02: the posts held on the period's last day
    SELECT chain_id AS chain, count(DISTINCT role) AS held FROM chain_posts WHERE since <= $last GROUP BY ALL),
issues AS (                   -- CHN03: issues raised and resolved at the period's meetings
    SELECT chain_id AS chain, sum(issues_raised) AS raised, sum(issues_resolved) AS resolved
    FROM period_meetings GROUP BY ALL)
SELECT chain AS subject,
       CASE WHEN bool_or(c.status = 'fail') THEN 'fail' WHEN bool_or(c.status = 'waived') THEN 'waived'
            ELSE 'pass' END AS CHN01,
       CASE WHEN any_value(coalesce(p.held, 0)) >= $posts THEN 'pass'
            WHEN waived('CHN02', chain, $period) THEN 'waived' ELSE 'fail' END AS CHN02,
       CASE WHEN any_value(coalesce(i.raised, 0)) = 0 THEN 'skip'
            WHEN any_value(i.resolved) * $rate_den >= any_value(i.raised) * $rate_num THEN 'pass'
            WHEN waived('CHN03', chain, $period) THEN 'waived' ELSE 'fail' END AS CHN03
FROM chn01 c LEFT JOIN posts p USING (chain) LEFT JOIN issues i USING (chain)
GROUP BY chain ORDER BY chain
"""

COVERAGE = """
-- Coverage: enterprises with party members; COV01 (>= 3 members: a branch of its own) or COV02 (covered at all),
-- by an organisation established by the period's last day.
SELECT e.id AS subject,
       CASE WHEN e.party_members < $min_members THEN NULL
            WHEN o.kind = 'branch' AND o.enterprise_id = e.id THEN 'pass'
            WHEN waived('COV01', e.id, $period) THEN 'waived' ELSE 'fail' END AS COV01,
       CASE WHEN e.party_members >= $min_members THEN NULL WHEN o.id IS NOT NULL THEN 'pass'
            WHEN waived('COV02', e.id, $period) THEN 'waived' ELSE 'fail' END AS COV02
FROM enterprises e LEFT JOIN organizations o ON o.id = e.party_org_id AND o.established_on <= $last
WHERE e.party_members >= 1 ORDER BY e.id
"""


def period_params(text: str) -> dict:
    """The year's bounds and label, as the statements' parameters (the assessment is annual)."""
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise SystemExit(f"error: --period {text}: the assessment is annual; give a year such as 2024")
    year = int(text)
    return {"year": year, "first": date(year, 1, 1), "last": date(year, 12, 31),
            "period_end": f"{year}-12-31 23:59:59", "period": str(year)}  # fmt: skip


def open_dataset(folder: Path) -> duckdb.DuckDBPyConnection:
    """A connection with one view per record type over its CSV (an empty table when there is no file)."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for name, read in COLUMNS.items():
        path = folder / f"{name}.csv"
        if not path.exists():
            columns = ", ".join(f"NULL::{TYPES.get(column, 'VARCHAR')} AS {column}" for column in read.split())
            con.execute(f"CREATE VIEW {name} AS SELECT {columns} WHERE false")
            continue
        with path.open(encoding="utf-8-sig") as file:  # the header, to type every column by its name
            columns = {column: TYPES.get(column, "VARCHAR") for column in next(csv.reader(file), [])}
        source = "'" + str(path).replace("'", "''") + "'"
        options = f"header = true, auto_detect = false, columns = {columns}"
        # an optional column the file leaves out (a waiver's expires_on) reads as blank
        blank = "".join(f", NULL::{TYPES.get(c, 'VARCHAR')} AS {c}" for c in read.split() if c not in columns)
        con.execute(f"CREATE VIEW {name} AS SELECT *{blank} FROM read_csv({source}, {options})")
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    """One statement's rows as dicts, given the parameters it names ($name)."""
    cursor = con.execute(sql, {name: params[name] for name in set(re.findall(r"\$(\w+)", sql))} or None)
    names = [column[0] for column in cursor.description] if cursor.description else []
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()] if names else []


def assess(folder: Path, period: str) -> dict:
    params = {**SETTINGS, **period_params(period)}
    con = open_dataset(folder)
    for statement in filter(str.strip, SETUP.split(";\n")):
        run(con, statement, params)
    rows = [[kind, at_least, grade] for kind, bands in GRADES.items() for at_least, grade in bands]
    con.executemany("INSERT INTO bands VALUES (?, ?, ?)", rows)
    scores = run(con, SCORES, params)
    result = {"period": params["period"]}
    for kind, key in (("department", "departments"), ("cadre", "cadres")):
        result[key] = [{k: v for k, v in row.items() if k != "kind"} for row in scores if row["kind"] == kind]
    result["branches"] = run(con, BRANCHES, params)
    result["chains"] = run(con, CHAINS, params)
    result["coverage"] = run(con, COVERAGE, params)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the dataset folder (clean CSVs)")
    parser.add_argument("--period", required=True, help="the year assessed, e.g. 2024")
    parser.add_argument("--output", type=Path, help="the JSON file to write (default: standard output)")
    args = parser.parse_args(argv)
    text = json.dumps(assess(args.folder, args.period), ensure_ascii=False, indent=1) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
