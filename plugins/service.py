"""Service facts: how departments and cadres handled enterprises' requests and visited them.

One `service` fact per assessed subject holds the counts behind the four indicators; one small
fact per item that may earn or cost points (a batch, a mentored talent record, a repeated
request, an unresolved request, an incident) lets the rules decide what counts. One
`cadre_standing` fact per assessed cadre holds what its `cadre_status` records say about the
period (probation, an open investigation, a sanction, leave, a warning), so the rules decide
whether the cadre is graded at all and whether a cap applies. The numbers
used here (time limit, acceptance window, visit targets) are the `service` pack's settings; time
limits in working days are joined from the table of days `evalkit.workdays` registers.

Assessed: every department, and every cadre with a department. A request belongs to its
department and to its cadre; withdrawn requests are left out of everything. The counting is
grouped queries over the dataset's tables (`Dataset.sql`): a province's two million requests
never become Python objects; only the per-subject counts and the items do.
"""

from __future__ import annotations

from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import FactKind, FactTable
from evalkit.workdays import DAYS_TABLE

SUBJECTS = "department|cadre"
#: The evidence lists of the `cadre_standing` fact: the cadre_status records behind each field.
STANDING = ("probation", "investigation", "sanction", "leave", "warning")
#: The `service` fact's counts; each has an evidence list of the same name.
COUNTS = {
    "requests": "requests dispatched to the subject in the period (withdrawn ones left out)",
    "accepted_in_window": "of those, accepted within the acceptance window of dispatch (rejected ones never)",
    "measured": "requests (not rejected) resolved by period end or due by period end",
    "on_time": "of the measured, resolved on or before their due date",
    "resolved": "requests (not rejected) resolved by period end",
    "rated": "resolved requests that carry a satisfaction rating",
    "satisfied": "of the rated, satisfied or basically satisfied",
    "enterprises_visited": "distinct enterprises visited in the period (a department: by its cadres)",
}


@hookimpl
def evalkit_fact_kinds():
    def kind(name, fields, doc, evidence):
        return FactKind(name, SUBJECTS, fields, doc, evidence)

    return [
        kind(
            "service",
            {
                **COUNTS,
                "visit_target": "distinct enterprises to visit in the period (a setting per subject kind)",
                "department": "the subject's department (a department: itself), for a quota scoped by department",
            },
            "one department or cadre over the period: the counts behind the service indicators",
            {name: f"those {name.replace('_', ' ')}" for name in COUNTS},
        ),
        kind(
            "batch",
            {
                "batch": "the batch id",
                "requests": "the batch's requests dispatched in the period (withdrawn and rejected left out)",
                "others": "of those, requests that do not belong to the subject",
                "unresolved": "of those, requests not resolved by period end",
            },
            "one batch holding at least one of the subject's requests",
            {"requests": "the batch's requests"},
        ),
        kind(
            "mentoring",
            {"talent": "the talent record's id", "track": "its cultivation track"},
            "one talent record the cadre mentored, completed in the period",
            {"talent": "the talent record"},
        ),
        kind(
            "repeat",
            {
                "request": "the repeating request, dispatched in the period",
                "original": "the subject's earlier request it repeats (reopened_from)",
                "original_resolved": "1 when the original was resolved by period end, else 0",
            },
            "one request that repeats a request of the subject",
            {"requests": "the repeating request and the original"},
        ),
        kind(
            "open_request",
            {
                "request": "the request's id",
                "days_past_due": "days from its due date to the period's last day (negative: not yet due)",
            },
            "one of the subject's requests (not rejected) still unresolved at period end",
            {"request": "the request"},
        ),
        kind(
            "incident",
            {"incident": "the incident's id", "category": "the incident's category (blank: other)"},
            "one incident recorded for the subject in the period",
            {"incident": "the incident"},
        ),
        FactKind(
            "cadre_standing",
            "cadre",
            {
                "probation": "1 when a probation is in force on the period's last day, else 0",
                "open_investigation": "1 when an investigation with no end date has begun by the period's last day",
                "sanction": "1 when a demerit, serious demerit, demotion or dismissal is in force on the last day",
                "leave_days": "days of the year in at least one leave (overlapping leaves counted once)",
                "year_days": "days of the period's year (365 or 366)",
                "leave_share": "leave_days / year_days (exactly 0.5 for 183 of 366 days)",
                "warning": "1 when a warning is in force on any day of the period's year, else 0",
            },
            "one assessed cadre: what its cadre_status records say about the period",
            {name: f"the cadre_status records behind {name}" for name in STANDING},
        ),
    ]


@hookimpl
def evalkit_rule_packs():
    return [Path(str(files("evalkit_rules") / "service.yaml"))]


@hookimpl
def evalkit_facts(dataset, period, settings, evidence):
    if "service" not in settings:  # the pack was left out: nothing to build for
        return []
    service = settings["service"]
    # accept_within and resolve_within replace accept_hours and time_limit_days (a pack has one of each pair)
    [(accept_unit, accept)] = (service.get("accept_within") or {"hours": service["accept_hours"]}).items()
    [(resolve_unit, resolve)] = (service.get("resolve_within") or {"days": service["time_limit_days"]}).items()
    params = {
        "first": period.first_day,
        "last": period.last_day,
        "end": datetime.combine(period.last_day, datetime.max.time()).replace(microsecond=0),
        "window": round(accept * 3_600_000_000),  # microseconds (hours)
        "limit": int(resolve // 1),  # whole days, as a date + timedelta counts them
        "accept_days": accept,  # working days
        "resolve_days": resolve,
    }
    subjects = _subjects(accept_unit, resolve_unit)
    year = period.year
    params |= {
        "year_first": date(year, 1, 1),
        "year_last": date(year, 12, 31),
        "year_days": (date(year, 12, 31) - date(year, 1, 1)).days + 1,
        "period": str(period),
        "department_target": service["visit_target_department"],
        "cadre_target": service["visit_target_cadre"],
    }

    def facts(kind: str, query: str) -> FactTable:
        query = subjects + query
        used = {name: value for name, value in params.items() if f"${name}" in query}
        return FactTable(kind, dataset.sql(query, used).to_arrow_table())

    return [
        facts("service", _service(evidence["service"])),
        facts("batch", _BATCHES),
        facts("repeat", _REPEATS),
        facts("open_request", _OPEN),
        facts("mentoring", _MENTORING),
        facts("incident", _INCIDENTS),
        facts("cadre_standing", _STANDING),
    ]


#: Whether a request was accepted within the acceptance window, by the window's unit: at most
#: that many hours after dispatch, or by the end of the N-th working day after the dispatch day.
_IN_WINDOW = {
    "hours": "epoch_us(accepted_at) - epoch_us(dispatched_at) <= $window",
    "working_days": "CAST(accepted_at AS DATE) <= accept_day.day",
}
#: A request's due date when it gives none, by the time limit's unit: the dispatch date + that
#: many days, or the N-th working day after it.
_DUE = {"days": "CAST(dispatched_at AS DATE) + CAST($limit AS INTEGER)", "working_days": "resolve_day.day"}
#: The N-th working day after the dispatch day: the working day that many working days on (`evalkit.workdays`).
_WORKING_DAY = "LEFT JOIN {days} {name} ON {name}.workday AND {name}.worked = dispatch_day.worked + ${count}"


def _subjects(accept_unit: str, resolve_unit: str) -> str:
    """The assessed subjects, and the period's requests (withdrawn ones left out) with what each
    adds to: `in_window` accepted in time, `resolved` by period end, `due` by the time limit
    unless given, `owners` the assessed subjects it belongs to (its department, and its cadre when
    that cadre is assessed). Working days are joined from the table of days only when a limit counts them."""
    joins = ""
    if "working_days" in (accept_unit, resolve_unit):
        joins = f" LEFT JOIN {DAYS_TABLE} dispatch_day ON dispatch_day.day = CAST(dispatched_at AS DATE)"
    if accept_unit == "working_days":
        joins += " " + _WORKING_DAY.format(days=DAYS_TABLE, name="accept_day", count="accept_days")
    if resolve_unit == "working_days":
        joins += " " + _WORKING_DAY.format(days=DAYS_TABLE, name="resolve_day", count="resolve_days")
    return f"""
WITH subjects AS (
    SELECT id AS subject, 'department' AS kind FROM departments
    UNION ALL SELECT id, 'cadre' FROM cadres WHERE department_id IS NOT NULL),
kept AS (
    SELECT _row, id, status, dispatched_at, accepted_at, resolved_at, satisfaction, department_id, cadre_id,
           batch_id, reopened_from, enterprise_id, status = 'rejected' AS rejected,
           status = 'resolved' AND resolved_at <= $end AS resolved,
           {_IN_WINDOW[accept_unit]} AS in_window,
           coalesce(due_on, {_DUE[resolve_unit]}) AS due
    FROM requests{joins}
    WHERE status <> 'withdrawn' AND CAST(dispatched_at AS DATE) BETWEEN $first AND $last),
owners AS (
    SELECT requests.id AS request, subjects.subject, subjects.kind FROM requests
    JOIN subjects ON subjects.subject = requests.department_id
    UNION ALL
    SELECT requests.id, subjects.subject, subjects.kind FROM requests
    JOIN subjects ON subjects.subject = requests.cadre_id AND subjects.kind = 'cadre'),
owned AS (SELECT kept.*, owners.subject, owners.kind FROM kept JOIN owners ON owners.request = kept.id)
"""


#: The requests behind each of the `service` fact's counts (but `enterprises_visited`): the
#: condition each of a subject's requests meets, written once for the counts and their lists.
_COUNTED = {
    "requests": "true",
    "accepted_in_window": "NOT rejected AND accepted_at IS NOT NULL AND in_window",
    "measured": "NOT rejected AND (resolved OR due <= $last)",
    "on_time": "NOT rejected AND (resolved OR due <= $last) AND resolved AND CAST(resolved_at AS DATE) <= due",
    "resolved": "NOT rejected AND resolved",
    "rated": "NOT rejected AND resolved AND satisfaction IS NOT NULL",
    "satisfied": "NOT rejected AND resolved AND satisfaction IN ('satisfied', 'basically_satisfied')",
}


def _service(lists: frozenset[str]) -> str:
    """Per assessed subject, the counts, and the ids behind those in `lists` (the evidence lists
    the loaded rules read), in the requests file's order.

    The counts are counted, not taken as the lengths of lists: at a province's size the eight
    lists were a third of a gigabyte that no shipped rule reads, and a list not built is taken as
    empty lists (`FactTable`). The lists wanted are built from each subject's requests gathered
    once with a flag per list and sorted by row within the subject (one aggregate, where one
    ordered aggregate per list sorted the requests once per list), then filtered per list."""
    wanted = [name for name in _COUNTED if name in lists]
    handled = [f"count(*) FILTER (WHERE {condition}) AS {name}" for name, condition in _COUNTED.items()]
    visited = ["count(DISTINCT enterprise_id) AS enterprises_visited"]
    counts = [f"coalesce({name}, 0) AS {name}" for name in [*_COUNTED, "enterprises_visited"]]
    target = "CASE kind WHEN 'department' THEN $department_target ELSE $cadre_target END AS visit_target"
    department = "CASE kind WHEN 'department' THEN subject ELSE department_id END AS department"
    built = [
        f"coalesce(list_transform(list_filter(items, lambda item: item.{name}), lambda item: item.id), [])"
        f' AS "evidence:{name}"'
        for name in wanted
    ]
    if wanted:
        flags = "".join(f", '{name}': {_COUNTED[name]}" for name in wanted)
        handled.append(f"list_sort(list({{'row': _row, 'id': id{flags}}})) AS items")
    if "enterprises_visited" in lists:
        visited.append("list(DISTINCT enterprise_id ORDER BY enterprise_id) AS enterprises")
        built.append('coalesce(enterprises, []) AS "evidence:enterprises_visited"')
    return f""",
handled AS (SELECT subject, {", ".join(handled)} FROM owned GROUP BY subject),
visited AS (
    SELECT subject, {", ".join(visited)} FROM (
        SELECT visits.cadre_id AS subject, visits.enterprise_id FROM visits
        WHERE visits.date BETWEEN $first AND $last
        UNION ALL
        SELECT cadres.department_id, visits.enterprise_id FROM visits JOIN cadres ON cadres.id = visits.cadre_id
        WHERE visits.date BETWEEN $first AND $last)
    WHERE subject IN (SELECT subject FROM subjects) GROUP BY subject)
SELECT {", ".join(["subject", "kind AS subject_kind", "$period AS period", *counts, target, department, *built])}
FROM subjects LEFT JOIN handled USING (subject) LEFT JOIN visited USING (subject)
LEFT JOIN (SELECT id AS subject, department_id FROM cadres) USING (subject)
"""


#: Per batch and each subject owning one of its requests (rejected ones left out).
_BATCHES = """,
members AS (SELECT * FROM kept WHERE batch_id IS NOT NULL AND NOT rejected),
holders AS (
    SELECT DISTINCT members.batch_id, owners.subject, owners.kind FROM members
    JOIN owners ON owners.request = members.id)
SELECT holders.subject, holders.kind AS subject_kind, $period AS period, holders.batch_id AS batch,
       count(*) AS requests,
       count(*) FILTER (WHERE holders.subject IS DISTINCT FROM members.department_id
                          AND holders.subject IS DISTINCT FROM members.cadre_id) AS others,
       count(*) FILTER (WHERE NOT members.resolved) AS unresolved,
       list(members.id ORDER BY members.id) AS "evidence:requests"
FROM holders JOIN members USING (batch_id)
GROUP BY holders.subject, holders.kind, holders.batch_id
"""

#: Each request of the period (withdrawn ones left out) repeating an earlier one, for each
#: assessed owner of the original.
_REPEATS = """
SELECT owners.subject, owners.kind AS subject_kind, $period AS period, kept.id AS request,
       original.id AS original,
       CAST(original.status = 'resolved' AND original.resolved_at <= $end AS BIGINT) AS original_resolved,
       [kept.id, original.id] AS "evidence:requests"
FROM kept JOIN requests original ON original.id = kept.reopened_from
JOIN owners ON owners.request = original.id
"""

#: Each owner's requests (not rejected) still unresolved at period end.
_OPEN = """
SELECT subject, kind AS subject_kind, $period AS period, id AS request,
       date_diff('day', due, $last) AS days_past_due, [id] AS "evidence:request"
FROM owned WHERE NOT rejected AND NOT resolved
"""

_MENTORING = """
SELECT subjects.subject, subjects.kind AS subject_kind, $period AS period, talent.id AS talent, talent.track,
       [talent.id] AS "evidence:talent"
FROM talent JOIN subjects ON subjects.subject = talent.mentor_id AND subjects.kind = 'cadre'
WHERE talent.date BETWEEN $first AND $last
"""

_INCIDENTS = """
SELECT subjects.subject, subjects.kind AS subject_kind, $period AS period, incidents.id AS incident,
       coalesce(incidents.category, 'other') AS category, [incidents.id] AS "evidence:incident"
FROM incidents JOIN subjects ON subjects.subject = incidents.subject_id AND subjects.kind = incidents.subject_kind
WHERE incidents.date BETWEEN $first AND $last
"""

#: Per assessed cadre, its cadre_status records as of the period: in force on the last day
#: (from_date ≤ last ≤ to_date, a blank to_date open-ended), or on any day of the year (the
#: record's days clipped to the year are not empty); leave days are the distinct days of the year
#: in at least one leave, so overlapping leaves count once.
_STANDING = """,
statuses AS (
    SELECT cadre_id AS subject, id, kind, to_date, from_date <= $last AS begun,
           from_date <= $last AND (to_date IS NULL OR to_date >= $last) AS on_last_day,
           greatest(from_date, $year_first) AS year_from, least(coalesce(to_date, $year_last), $year_last) AS year_to
    FROM cadre_status),
leaves AS (
    SELECT subject, count(DISTINCT day) AS leave_days FROM (
        SELECT subject, unnest(generate_series(year_from, year_to, INTERVAL 1 DAY)) AS day
        FROM statuses WHERE kind = 'leave' AND year_from <= year_to)
    GROUP BY subject),
standing AS (
    SELECT subject,
           list(id ORDER BY id) FILTER (WHERE kind = 'probation' AND on_last_day) AS probation,
           list(id ORDER BY id) FILTER (WHERE kind = 'investigation' AND begun AND to_date IS NULL) AS investigation,
           list(id ORDER BY id) FILTER (
               WHERE kind IN ('demerit', 'serious_demerit', 'demotion', 'dismissal') AND on_last_day) AS sanction,
           list(id ORDER BY id) FILTER (WHERE kind = 'leave' AND year_from <= year_to) AS leave,
           list(id ORDER BY id) FILTER (WHERE kind = 'warning' AND year_from <= year_to) AS warning
    FROM statuses GROUP BY subject)
SELECT subject, kind AS subject_kind, $period AS period,
       CAST(probation IS NOT NULL AS BIGINT) AS probation,
       CAST(investigation IS NOT NULL AS BIGINT) AS open_investigation,
       CAST(sanction IS NOT NULL AS BIGINT) AS sanction,
       coalesce(leave_days, 0) AS leave_days, CAST($year_days AS BIGINT) AS year_days,
       coalesce(leave_days, 0) / $year_days AS leave_share,
       CAST(warning IS NOT NULL AS BIGINT) AS warning,
       coalesce(probation, []) AS "evidence:probation", coalesce(investigation, []) AS "evidence:investigation",
       coalesce(sanction, []) AS "evidence:sanction", coalesce(leave, []) AS "evidence:leave",
       coalesce(warning, []) AS "evidence:warning"
FROM subjects LEFT JOIN standing USING (subject) LEFT JOIN leaves USING (subject)
WHERE kind = 'cadre'
"""
