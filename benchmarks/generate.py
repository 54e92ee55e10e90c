"""Deterministic synthetic datasets for benchmarks, in the dataset format (docs/data-format.md).

A size is a number of districts; each district has the shape of the sample (a working committee,
three chain committees with their branches, enterprises, eight departments and their cadres, a
year of activities, council meetings, requests, visits and talent) and the same kinds of gaps
(branches missing an activity kind in some quarters, branches founded during the year, slow
departments, overdue requests, batches, repeats, an incident). Ids carry the district number, so
districts never collide and a size N dataset is N districts side by side.

    python benchmarks/generate.py S --out /tmp/evalkit-S      # S: 1 district, M: 100, L: 1000
    python benchmarks/generate.py 7 --out /tmp/evalkit-7      # any number of districts
    python benchmarks/generate.py 1 --district-offset 5 --out /tmp/shards/d5   # district 5 alone: a shard

Per district: 30 organisations in branches (27 branches, 3 joint branches), 150 enterprises,
8 departments, 60 cadres, 2,000 requests, 1,500 activities, 1,000 visits. The same seed and
size write byte-identical files. Rows are written as they are made, so memory stays small.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

SIZES = {"S": 1, "M": 100, "L": 1000}
YEAR = 2024
CATEGORIES = ("business_collaboration", "member_education", "model_publicity", "volunteer_service")
ROLES = ("leader", "instructor", "liaison", "pioneer")
REQUEST_CATEGORIES = ("finance", "talent", "land", "permits", "policy", "utilities")
TRACKS = ("backbone_to_member", "member_to_backbone", "member_backbone_to_manager")

COLUMNS = {
    "organizations": "id,name,kind,parent_id,chain_id,enterprise_id,established_on,member_count",
    "enterprises": "id,name,chain_id,segment,size,chain_leader,employees,party_members,party_org_id",
    "departments": "id,name",
    "cadres": "id,name,department_id,enterprise_id,title,party_member",
    "chain_posts": "chain_id,role,cadre_id,since",
    "activity_bases": "id,name,org_id,address,opened_on",
    "activities": "id,org_id,date,category,title,base_id,participants,co_hosts,evidence",
    "meetings": "id,chain_id,date,kind,issues_raised,issues_resolved",
    "requests": "id,enterprise_id,category,title,submitted_at,dispatched_at,dispatched_by,department_id,"
    "accepted_at,cadre_id,due_on,resolved_at,status,satisfaction,key_project,batch_id,reopened_from",
    "visits": "id,cadre_id,enterprise_id,date,policies_delivered,needs_recorded",
    "talent": "id,person,enterprise_id,track,date,mentor_id",
    "incidents": "id,subject_kind,subject_id,date,reason",
    "waivers": "rule,subject_id,period,reason,approved_by",
}


def day_of_year(rng: random.Random) -> date:
    return date(YEAR, 1, 1) + timedelta(days=rng.randrange(366))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


class District:
    """One district's records, written row by row to the open CSV writers."""

    def __init__(self, number: int, rng: random.Random, out: dict[str, csv.writer]):
        self.p = f"d{number:04d}"
        self.rng = rng
        self.out = out

    def id(self, kind: str, n: int) -> str:
        return f"{self.p}{kind}{n:03d}"

    def write(self) -> None:
        rng, p, w = self.rng, self.p, self.out
        chains = [f"{p}C{c}" for c in range(1, 4)]
        w["organizations"].writerow([f"{p}W", "开发区党工委", "working_committee", "", "", "", "2006-05-12", 50])
        for chain in chains:
            w["organizations"].writerow([chain, "产业链党委", "chain_committee", f"{p}W", chain, "", "2021-03-01", 9])
        enterprises = [self.id("E", n) for n in range(150)]
        branches = []
        for n in range(30):
            chain = chains[n % 3]
            joint = n >= 27
            org = self.id("J" if joint else "B", n)
            founded = "2024-02-10" if n in (5, 17) else "2021-06-01"  # two founded during the year
            owner = "" if joint else enterprises[n]
            w["organizations"].writerow(
                [org, "党支部", "joint_branch" if joint else "branch", chain, chain, owner, founded, rng.randint(3, 40)]
            )
            branches.append((org, chain))
        for n, enterprise in enumerate(enterprises):
            members = rng.choice((0, 0, 1, 2, 3, 5, 8, 12))
            cover = enterprise if n < 27 else ""
            covering = self.id("B", n) if n < 27 else (self.id("J", 27 + n % 3) if members and n % 5 else "")
            w["enterprises"].writerow(
                [
                    enterprise,
                    "企业",
                    chains[n % 3],
                    ("upstream", "midstream", "downstream")[n % 3],
                    ("large", "medium", "small", "micro")[n % 4],
                    "false",
                    rng.randint(5, 800),
                    members if cover or covering else 0,
                    covering,
                ]
            )
        departments = [self.id("D", n) for n in range(8)]
        for department in departments:
            w["departments"].writerow([department, "局"])
        cadres = [(self.id("K", n), departments[n % 8]) for n in range(50)]
        for cadre, department in cadres:
            w["cadres"].writerow([cadre, "干部", department, "", "科员", "true"])
        for n in range(10):
            w["cadres"].writerow([self.id("S", n), "书记", "", enterprises[n], "书记", "true"])
        for c, chain in enumerate(chains):
            for r, role in enumerate(ROLES):
                if not (c == 2 and role == "pioneer"):  # one chain misses a post
                    w["chain_posts"].writerow([chain, role, cadres[(4 * c + r) % 50][0], "2023-01-01"])
            w["activity_bases"].writerow([f"{chain}Z", "党群服务中心", chain, "", "2022-01-01"])
            for q in range(1, 5):
                if not (c == 1 and q == 3):  # one chain skips a routine council
                    raised = rng.randint(1, 6)
                    resolved = raised if rng.random() < 0.8 else raised - 1
                    w["meetings"].writerow(
                        [f"{chain}M{q}", chain, f"{YEAR}-{3 * q - 1:02d}-12", "routine", raised, resolved]
                    )
        self.activities(branches)
        self.requests(enterprises, departments, cadres, chains)
        for n in range(1000):
            cadre = cadres[rng.randrange(50)][0]
            w["visits"].writerow(
                [
                    self.id("V", n) + "v",
                    cadre,
                    enterprises[rng.randrange(150)],
                    day_of_year(rng).isoformat(),
                    rng.randint(0, 4),
                    rng.randint(0, 3),
                ]
            )
        for n in range(100):
            mentor = cadres[rng.randrange(50)][0] if rng.random() < 0.4 else ""
            w["talent"].writerow(
                [
                    self.id("T", n),
                    "人员",
                    enterprises[rng.randrange(150)],
                    TRACKS[n % 3],
                    day_of_year(rng).isoformat(),
                    mentor,
                ]
            )
        w["incidents"].writerow([self.id("I", 0), "cadre", cadres[7][0], "2024-07-15", "违纪"])
        w["waivers"].writerow(["OPF01", branches[28][0], "2024", "使用成员企业会议室", "综合党委"])

    def activities(self, branches: list[tuple[str, str]]) -> None:
        rng, w = self.rng, self.out["activities"]
        n = 0
        for index, (org, chain) in enumerate(branches):
            for q in range(1, 5):
                for category in CATEGORIES:
                    if rng.random() < 0.04:  # a gap: this kind missing this quarter
                        continue
                    day = date(YEAR, 3 * q - 2, 1) + timedelta(days=rng.randrange(89))
                    co_host = branches[(index + 1) % len(branches)][0] if rng.random() < 0.05 else ""
                    w.writerow(
                        [
                            self.id("A", n) + "a",
                            org,
                            day.isoformat(),
                            category,
                            "活动",
                            f"{chain}Z",
                            rng.randint(5, 40),
                            co_host,
                            "",
                        ]
                    )
                    n += 1
        while n < 1500:  # extra activities, any branch, any kind
            org, chain = branches[rng.randrange(len(branches))]
            w.writerow(
                [
                    self.id("A", n) + "a",
                    org,
                    day_of_year(rng).isoformat(),
                    rng.choice(CATEGORIES),
                    "活动",
                    f"{chain}Z",
                    rng.randint(5, 40),
                    "",
                    "",
                ]
            )
            n += 1

    def requests(self, enterprises, departments, cadres, chains) -> None:
        rng, w = self.rng, self.out["requests"]
        end = datetime(YEAR, 12, 31, 23, 59)
        resolved_ids = []
        for n in range(2000):
            rid = self.id("R", n) + "r"
            department = departments[n % 8]
            slow = department == departments[7]  # one slow department per district
            cadre = cadres[(n % 8) + 8 * rng.randrange(6)][0] if rng.random() < 0.9 else ""
            dispatched = datetime(YEAR, 1, 1, 9) + timedelta(minutes=rng.randrange(365 * 24 * 60))
            submitted = dispatched - timedelta(hours=rng.randint(1, 30))
            accepted = dispatched + timedelta(hours=rng.uniform(1, 40 if slow else 26))
            resolved = accepted + timedelta(days=rng.uniform(1, 16 if slow else 11))
            status, satisfaction = (
                "resolved",
                rng.choice(("satisfied", "satisfied", "basically_satisfied", "dissatisfied", "")),
            )
            roll = rng.random()
            if roll < 0.02:
                status, accepted, resolved, satisfaction = "withdrawn", None, None, ""
            elif roll < 0.04:
                status, resolved, satisfaction = "rejected", None, ""
            elif resolved > end + timedelta(days=40) or roll < 0.07:
                status, resolved, satisfaction = "accepted", None, ""  # still open at export
            batch = f"{self.p}BT{n // 4:03d}" if n % 50 < 4 else ""
            repeat = resolved_ids[rng.randrange(len(resolved_ids))] if resolved_ids and rng.random() < 0.01 else ""
            w.writerow(
                [
                    rid,
                    enterprises[rng.randrange(150)],
                    REQUEST_CATEGORIES[n % 6],
                    "诉求",
                    stamp(submitted),
                    stamp(dispatched),
                    chains[n % 3],
                    department,
                    stamp(accepted) if accepted else "",
                    cadre,
                    "",
                    stamp(resolved) if resolved else "",
                    status,
                    satisfaction,
                    "false",
                    batch,
                    repeat,
                ]
            )
            if status == "resolved":
                resolved_ids.append(rid)


def generate(districts: int, out: Path, seed: int = 2024, district_offset: int = 0) -> Path:
    """Write `districts` districts, numbered from `district_offset` on: a district's ids and records
    depend on its number only, so shards made with disjoint ranges of numbers have disjoint ids,
    and their files concatenated in order are the dataset of the whole range."""
    out.mkdir(parents=True, exist_ok=True)
    files = {name: open(out / f"{name}.csv", "w", newline="", encoding="utf-8") for name in COLUMNS}
    try:
        writers = {name: csv.writer(file, lineterminator="\n") for name, file in files.items()}
        for name, header in COLUMNS.items():
            writers[name].writerow(header.split(","))
        for number in range(district_offset, district_offset + districts):
            District(number, random.Random(f"{seed}-{number}"), writers).write()
    finally:
        for file in files.values():
            file.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", help="S, M, L or a number of districts")
    parser.add_argument("--out", required=True, help="the dataset folder to write")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--district-offset",
        type=int,
        default=0,
        metavar="K",
        help="number the districts from K on: shards of one country with disjoint ids (docs/scale.md)",
    )
    args = parser.parse_args()
    districts = SIZES.get(args.size.upper()) or int(args.size)
    generate(districts, Path(args.out), args.seed, args.district_offset)


if __name__ == "__main__":
    main()
