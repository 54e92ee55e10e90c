"""Service facts: how departments and cadres handled enterprises' requests and visited them.

One `service` fact per assessed subject holds the counts behind the four indicators; one small
fact per item that may earn or cost points (a batch, a mentored talent record, a repeated
request, an unresolved request, an incident) lets the rules decide what counts. The numbers
used here (time limit, acceptance window, visit targets) are the `service` pack's settings.

Assessed: every department, and every cadre with a department. A request belongs to its
department and to its cadre; withdrawn requests are left out of everything.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from importlib.resources import files
from itertools import compress
from pathlib import Path
from typing import NamedTuple

from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

SUBJECTS = "department|cadre"
SATISFIED = ("satisfied", "basically_satisfied")
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
    return _Builder(dataset, period, settings["service"]).facts()


#: Each request count's bit in a request's flags (`_Builder.classify`); enterprises are counted apart.
FLAGS = {name: 1 << bit for bit, name in enumerate(name for name in COUNTS if name != "enterprises_visited")}
REQUESTS, ACCEPTED, MEASURED, ON_TIME, RESOLVED, RATED, SATISFIED_ = FLAGS.values()
#: Per count, a `bytes.translate` table turning a byte of flags into 1 when it has the count's
#: bit, else 0: a subject's flags, kept as bytes, select its evidence in one C pass per count.
SELECTS = {name: bytes(int(bool(value & flag)) for value in range(256)) for name, flag in FLAGS.items()}
assert len(FLAGS) <= 8, "a request's flags are kept in one byte"


class _Request(NamedTuple):
    """A request's fields the facts need, read from the requests' columns (a province has
    millions of requests: no row dict is made for them, and the main loop unpacks plain tuples
    of these fields; the few requests kept for later, in batches or reopened, are made these)."""

    id: str
    status: str
    dispatched_at: datetime | None
    accepted_at: datetime | None
    resolved_at: datetime | None
    due_on: date | None
    satisfaction: str | None
    department_id: str | None
    cadre_id: str | None
    batch_id: str | None
    reopened_from: str | None


class _Builder:
    def __init__(self, dataset, period, settings):
        self.period = period
        self.window = timedelta(hours=settings["accept_hours"])
        self.time_limit = timedelta(days=settings["time_limit_days"])
        self.targets = {"department": settings["visit_target_department"], "cadre": settings["visit_target_cadre"]}
        self.kinds = {row["id"]: "department" for row in dataset["departments"]}
        self.kinds |= {row["id"]: "cadre" for row in dataset["cadres"] if row["department_id"]}
        self.dataset = dataset
        table = dataset.tables["requests"]
        first, last = period.first_day, period.last_day  # by the day of dispatch
        kept = [
            status != "withdrawn" and dispatched is not None and first <= dispatched.date() <= last
            for status, dispatched in dataset.columns("requests", "status", "dispatched_at")
        ]
        self.requests = list(compress(dataset.columns("requests", *_Request._fields), kept))  # plain tuples
        self.originals = self.reopened(table, set(compress(table.column("reopened_from"), kept)) - {None})

    def reopened(self, table, wanted: set[str]) -> dict[str, _Request]:
        """The requests the period's requests reopen, by id (found by their place in the id column)."""
        ids, columns = table.column("id"), [table.column(name) for name in _Request._fields]
        places = [place for place, id_ in enumerate(ids) if id_ in wanted]
        return {ids[place]: _Request._make(column[place] for column in columns) for place in places}

    def owners(self, department, cadre) -> tuple[str, ...]:
        """The assessed subjects a request belongs to: its department and its cadre."""
        if department in self.kinds:
            return (department, cadre) if cadre in self.kinds else (department,)
        return (cadre,) if cadre in self.kinds else ()

    def resolved(self, status, resolved_at) -> bool:
        return status == "resolved" and resolved_at <= self.period.end

    def due(self, due_on, dispatched):
        return due_on or dispatched.date() + self.time_limit

    def fact(self, kind, subject, values, evidence) -> Fact:
        return Fact(kind, subject, self.period, values, evidence, self.kinds[subject])

    def facts(self) -> list[Fact]:
        # Per subject, its requests' ids and their flags (a byte each), in the file's order.
        handled = defaultdict(lambda: ([], bytearray()))
        items = []
        batches = defaultdict(list)
        owners = {}  # (department, cadre) → the subjects a request of theirs belongs to
        for request in self.requests:  # withdrawn ones left out, all dispatched in the period
            (request_id, status, dispatched, accepted, resolved_at, due_on, satisfaction, department, cadre, batch,
             reopened) = request  # fmt: skip
            if reopened:
                items += self.repeats(request_id, self.originals[reopened])
            flags, open_days = self.classify(status, dispatched, accepted, resolved_at, due_on, satisfaction)
            subjects = owners.get((department, cadre))
            if subjects is None:
                subjects = owners[department, cadre] = self.owners(department, cadre)
            for subject in subjects:
                ids, flagged = handled[subject]
                ids.append(request_id)
                flagged.append(flags)
                if open_days is not None:
                    values = {"request": request_id, "days_past_due": open_days}
                    items.append(self.fact("open_request", subject, values, {"request": (request_id,)}))
            if batch and status != "rejected":
                batches[batch].append(_Request._make(request))
        visited = self.visited()
        for batch, members in batches.items():
            items += self.batch(batch, members)
        items += self.mentoring() + self.incidents()
        services = [
            self.service_fact(subject, *handled[subject], visited.get(subject, [])) for subject in sorted(self.kinds)
        ]
        return services + items

    def classify(self, status, dispatched, accepted, resolved_at, due_on, satisfaction) -> tuple[int, int | None]:
        """The `FLAGS` of the counts a request (dispatched in the period) adds to, and, when it
        is still open at period end, the days from its due date to the period's last day.

        One number per request, not a list of names: a province has two million requests."""
        if status == "rejected":
            return REQUESTS, None
        flags = REQUESTS
        if accepted is not None and accepted - dispatched <= self.window:
            flags |= ACCEPTED
        resolved = self.resolved(status, resolved_at)
        due = self.due(due_on, dispatched)
        last_day = self.period.last_day
        if resolved or due <= last_day:
            flags |= MEASURED
            if resolved and resolved_at.date() <= due:
                flags |= ON_TIME
        if not resolved:
            return flags, (last_day - due).days
        flags |= RESOLVED
        if satisfaction:
            flags |= RATED
            if satisfaction in SATISFIED:
                flags |= SATISFIED_
        return flags, None

    def visited(self) -> dict[str, list[str]]:
        """Per subject, the distinct enterprises visited in the period (sorted ids)."""
        department_of = {row["id"]: row["department_id"] for row in self.dataset["cadres"]}
        first, last, kinds = self.period.first_day, self.period.last_day, self.kinds
        visited = defaultdict(set)
        for cadre, enterprise, day in self.dataset.columns("visits", "cadre_id", "enterprise_id", "date"):
            if first <= day <= last:  # a million visits at L: no call per visit
                for subject in (cadre, department_of.get(cadre)):
                    if subject in kinds:
                        visited[subject].add(enterprise)
        return {subject: sorted(enterprises) for subject, enterprises in visited.items()}

    def service_fact(self, subject, ids, flags: bytearray, visited) -> Fact:
        # Each count's ids picked by C loops (translate, compress), not a comprehension per count.
        evidence = {name: tuple(compress(ids, flags.translate(select))) for name, select in SELECTS.items()}
        evidence["enterprises_visited"] = tuple(visited)
        values = {name: len(evidence[name]) for name in COUNTS}
        values["visit_target"] = self.targets[self.kinds[subject]]
        return self.fact("service", subject, values, evidence)

    def batch(self, batch, members: list[_Request]) -> list[Fact]:
        unresolved = sum(not self.resolved(r.status, r.resolved_at) for r in members)
        evidence = {"requests": tuple(sorted(r.id for r in members))}
        subjects = sorted({s for r in members for s in self.owners(r.department_id, r.cadre_id)})
        return [
            self.fact(
                "batch",
                subject,
                {
                    "batch": batch,
                    "requests": len(members),
                    "others": sum(subject not in (r.department_id, r.cadre_id) for r in members),
                    "unresolved": unresolved,
                },
                evidence,
            )
            for subject in subjects
        ]

    def repeats(self, request_id, original: _Request) -> list[Fact]:
        values = {
            "request": request_id,
            "original": original.id,
            "original_resolved": int(self.resolved(original.status, original.resolved_at)),
        }
        evidence = {"requests": (request_id, original.id)}
        subjects = self.owners(original.department_id, original.cadre_id)
        return [self.fact("repeat", subject, values, evidence) for subject in subjects]

    def mentoring(self) -> list[Fact]:
        return [
            self.fact(
                "mentoring", row["mentor_id"], {"talent": row["id"], "track": row["track"]}, {"talent": (row["id"],)}
            )
            for row in self.dataset["talent"]
            if self.kinds.get(row["mentor_id"]) == "cadre" and self.period.contains(row["date"])
        ]

    def incidents(self) -> list[Fact]:
        return [
            self.fact("incident", row["subject_id"], {"incident": row["id"]}, {"incident": (row["id"],)})
            for row in self.dataset["incidents"]
            if self.kinds.get(row["subject_id"]) == row["subject_kind"] and self.period.contains(row["date"])
        ]
