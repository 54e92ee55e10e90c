"""Service facts: how departments and cadres handled enterprises' requests and visited them.

One `service` fact per assessed subject holds the counts behind the four indicators; one small
fact per item that may earn or cost points (a batch, a mentored talent record, a repeated
request, an unresolved request, an incident) lets the rules decide what counts. The numbers
used here (time limit, acceptance window, visit targets) are the `service` pack's settings.

Assessed: every department, and every cadre with a department. A request belongs to its
department and to its cadre; withdrawn requests are left out of everything. The counting is
grouped queries over the dataset's tables (`Dataset.sql`): a province's two million requests
never become Python objects; only the per-subject counts and the items do.
"""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

SUBJECTS = "department|cadre"
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
            {**COUNTS, "visit_target": "distinct enterprises to visit in the period (a setting per subject kind)"},
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
            {"incident": "the incident's id"},
            "one incident recorded for the subject in the period",
            {"incident": "the incident"},
        ),
    ]


@hookimpl
def evalkit_rule_packs():
    return [Path(str(files("evalkit_rules") / "service.yaml"))]


@hookimpl
def evalkit_facts(dataset, period, settings):
    if "service" not in settings:  # the pack was left out: nothing to build for
        return []
    service = settings["service"]
    params = {
        "first": period.first_day,
        "last": period.last_day,
        "end": datetime.combine(period.last_day, datetime.max.time()).replace(microsecond=0),
        "window": round(service["accept_hours"] * 3_600_000_000),  # microseconds
        "limit": int(service["time_limit_days"] // 1),  # whole days, as a date + timedelta counts them
    }
    targets = {"department": service["visit_target_department"], "cadre": service["visit_target_cadre"]}

    def rows(query: str) -> list[tuple]:
        query = _SUBJECTS + query
        return dataset.sql(query, {name: value for name, value in params.items() if f"${name}" in query}).fetchall()

    facts = []
    for subject, kind, *counts in rows(_SERVICE):
        evidence = {name: tuple(ids) for name, ids in zip(COUNTS, counts, strict=True)}
        values = {name: len(ids) for name, ids in evidence.items()} | {"visit_target": targets[kind]}
        facts.append(Fact("service", subject, period, values, evidence, kind))
    for subject, kind, batch, requests, others, unresolved, ids in rows(_BATCHES):
        values = {"batch": batch, "requests": requests, "others": others, "unresolved": unresolved}
        facts.append(Fact("batch", subject, period, values, {"requests": tuple(ids)}, kind))
    for subject, kind, request, original, resolved in rows(_REPEATS):
        values = {"request": request, "original": original, "original_resolved": int(resolved)}
        facts.append(Fact("repeat", subject, period, values, {"requests": (request, original)}, kind))
    for subject, kind, request, days in rows(_OPEN):
        values = {"request": request, "days_past_due": days}
        facts.append(Fact("open_request", subject, period, values, {"request": (request,)}, kind))
    for subject, kind, talent, track in rows(_MENTORING):
        values = {"talent": talent, "track": track}
        facts.append(Fact("mentoring", subject, period, values, {"talent": (talent,)}, kind))
    for subject, kind, incident in rows(_INCIDENTS):
        facts.append(Fact("incident", subject, period, {"incident": incident}, {"incident": (incident,)}, kind))
    return facts


#: The assessed subjects, and the period's requests (withdrawn ones left out) with what each
#: adds to: `resolved` by period end, `due` by the time limit unless given, `owners` the assessed
#: subjects it belongs to (its department, and its cadre when that cadre is assessed).
_SUBJECTS = """
WITH subjects AS (
    SELECT id AS subject, 'department' AS kind FROM departments
    UNION ALL SELECT id, 'cadre' FROM cadres WHERE department_id IS NOT NULL),
kept AS (
    SELECT _row, id, status, dispatched_at, accepted_at, resolved_at, satisfaction, department_id, cadre_id,
           batch_id, reopened_from, enterprise_id, status = 'rejected' AS rejected,
           status = 'resolved' AND resolved_at <= $end AS resolved,
           coalesce(due_on, CAST(dispatched_at AS DATE) + CAST($limit AS INTEGER)) AS due
    FROM requests
    WHERE status <> 'withdrawn' AND CAST(dispatched_at AS DATE) BETWEEN $first AND $last),
owners AS (
    SELECT requests.id AS request, subjects.subject, subjects.kind FROM requests
    JOIN subjects ON subjects.subject = requests.department_id
    UNION ALL
    SELECT requests.id, subjects.subject, subjects.kind FROM requests
    JOIN subjects ON subjects.subject = requests.cadre_id AND subjects.kind = 'cadre'),
owned AS (SELECT kept.*, owners.subject, owners.kind FROM kept JOIN owners ON owners.request = kept.id)
"""

#: Per assessed subject, the ids behind each count, in the requests file's order.
_SERVICE = """,
counted AS (
    SELECT subject, _row, id, NOT rejected AS open_to_count,
           NOT rejected AND accepted_at IS NOT NULL
               AND epoch_us(accepted_at) - epoch_us(dispatched_at) <= $window AS accepted,
           NOT rejected AND (resolved OR due <= $last) AS measured,
           NOT rejected AND resolved AND CAST(resolved_at AS DATE) <= due AS on_time,
           NOT rejected AND resolved AS resolved_,
           NOT rejected AND resolved AND satisfaction IS NOT NULL AS rated,
           NOT rejected AND resolved AND satisfaction IN ('satisfied', 'basically_satisfied') AS satisfied
    FROM owned),
handled AS (
    SELECT subject,
           list(id ORDER BY _row) AS requests,
           list(id ORDER BY _row) FILTER (WHERE accepted) AS accepted,
           list(id ORDER BY _row) FILTER (WHERE measured) AS measured,
           list(id ORDER BY _row) FILTER (WHERE measured AND on_time) AS on_time,
           list(id ORDER BY _row) FILTER (WHERE resolved_) AS resolved,
           list(id ORDER BY _row) FILTER (WHERE rated) AS rated,
           list(id ORDER BY _row) FILTER (WHERE satisfied) AS satisfied
    FROM counted GROUP BY subject),
visited AS (
    SELECT subject, list(DISTINCT enterprise_id ORDER BY enterprise_id) AS enterprises FROM (
        SELECT visits.cadre_id AS subject, visits.enterprise_id FROM visits
        WHERE visits.date BETWEEN $first AND $last
        UNION ALL
        SELECT cadres.department_id, visits.enterprise_id FROM visits JOIN cadres ON cadres.id = visits.cadre_id
        WHERE visits.date BETWEEN $first AND $last)
    WHERE subject IN (SELECT subject FROM subjects) GROUP BY subject)
SELECT subjects.subject, subjects.kind,
       coalesce(requests, []), coalesce(accepted, []), coalesce(measured, []), coalesce(on_time, []),
       coalesce(resolved, []), coalesce(rated, []), coalesce(satisfied, []), coalesce(enterprises, [])
FROM subjects LEFT JOIN handled USING (subject) LEFT JOIN visited USING (subject)
ORDER BY subjects.subject
"""

#: Per batch and each subject owning one of its requests (rejected ones left out).
_BATCHES = """,
members AS (SELECT * FROM kept WHERE batch_id IS NOT NULL AND NOT rejected),
holders AS (
    SELECT DISTINCT members.batch_id, owners.subject, owners.kind FROM members
    JOIN owners ON owners.request = members.id)
SELECT holders.subject, holders.kind, holders.batch_id, count(*),
       count(*) FILTER (WHERE holders.subject IS DISTINCT FROM members.department_id
                          AND holders.subject IS DISTINCT FROM members.cadre_id),
       count(*) FILTER (WHERE NOT members.resolved),
       list(members.id ORDER BY members.id)
FROM holders JOIN members USING (batch_id)
GROUP BY holders.subject, holders.kind, holders.batch_id
ORDER BY holders.batch_id, holders.subject
"""

#: Each request of the period (withdrawn ones left out) repeating an earlier one, for each
#: assessed owner of the original.
_REPEATS = """
SELECT owners.subject, owners.kind, kept.id, original.id,
       original.status = 'resolved' AND original.resolved_at <= $end
FROM kept JOIN requests original ON original.id = kept.reopened_from
JOIN owners ON owners.request = original.id
ORDER BY kept._row, owners.subject
"""

#: Each owner's requests (not rejected) still unresolved at period end.
_OPEN = """
SELECT subject, kind, id, date_diff('day', due, $last) FROM owned
WHERE NOT rejected AND NOT resolved ORDER BY _row, subject
"""

_MENTORING = """
SELECT subjects.subject, subjects.kind, talent.id, talent.track FROM talent
JOIN subjects ON subjects.subject = talent.mentor_id AND subjects.kind = 'cadre'
WHERE talent.date BETWEEN $first AND $last ORDER BY talent._row
"""

_INCIDENTS = """
SELECT subjects.subject, subjects.kind, incidents.id FROM incidents
JOIN subjects ON subjects.subject = incidents.subject_id AND subjects.kind = incidents.subject_kind
WHERE incidents.date BETWEEN $first AND $last ORDER BY incidents._row
"""
