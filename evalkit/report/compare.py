"""Run-to-run comparison: what changed between two saved `check` or `assess` JSON outputs (docs/output.md).

Both sides are JSON outputs, read with exact decimals (`read_output`): `evalkit diff OLD NEW`
compares two files, `--compare OLD` the run's own JSON with a file, so a change reads the same
either way. Findings are matched by (rule, subject, period), OLD's periods moved on by
`--shift Ny`; each pair whose status changed in a way that needs a word gets a transition
(`transition`); score rows gain OLD's total, grade and rank and the change of the total, computed
on the 6-decimal totals as `Decimal`s, never floats.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from ..errors import UsageError
from ..periods import Period
from .document import Bar, Cell, Charts, Document, Paragraph, Table, cells
from .words import STATUS_LABELS, WORDS

#: The transitions, in the order summaries and tables list them (old status → new status).
TRANSITIONS = ("new", "unwaived", "persisting", "waived_now", "fixed", "not_checked", "gone", "new_rule")
#: The transitions `--exit-on new` fails on: failures the earlier run did not report (a new rule's excluded).
EXIT_ON_NEW = ("new", "unwaived")
#: The commands whose JSON outputs can be compared.
COMPARABLE = ("check", "assess")
#: The score tables of an assessment's JSON, whose rows gain the earlier total, grade and rank.
SCORE_KEYS = ("departments", "cadres")
#: The largest JSON output read: a province's assessment is hundreds of megabytes; parsed, a file
#: takes several times its size in memory, so a bigger one is refused rather than exhausting it.
MAX_OUTPUT_BYTES = 1 << 30
_PERIOD = re.compile(r"(\d{4})(Q[1-4])?")
_SHIFT = re.compile(r"([1-9]\d{0,2})y")


def parse_shift(text: str) -> int:
    """The years of `--shift Ny` (N ≥ 1)."""
    match = _SHIFT.fullmatch(text.strip())
    if match is None:
        raise UsageError(
            f"--shift {text}: expected a number of years ≥ 1 followed by y, such as 1y",
            f"--shift {text}：应为至少 1 的年数加 y，如 1y",
        )
    return int(match[1])


def read_output(path: str) -> dict:
    """A saved `check` or `assess` JSON output, numbers as exact `Decimal`s; anything else
    (missing, too large, not JSON, another command's or another program's JSON) refused with
    exit 2 before any work is done."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{path}: no such file", f"{path}：文件不存在")
    if file.stat().st_size > MAX_OUTPUT_BYTES:
        raise UsageError(
            f"{path}: larger than {MAX_OUTPUT_BYTES >> 20} MB; not an evalkit JSON output that can be compared",
            f"{path}：超过 {MAX_OUTPUT_BYTES >> 20} MB，不是可比较的 evalkit JSON 输出",
        )
    try:
        data = json.loads(file.read_bytes().decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    return _checked(data, path)


def parse_output(text: str, name: str) -> dict:
    """A JSON output held as text (the run's own, for `--compare`), read as `read_output` reads a file."""
    return _checked(json.loads(text, parse_float=Decimal), name)


def _checked(data: object, path: str) -> dict:
    """`data` when it has the shape of a check or assess output, with its `command` (inferred for
    files written before outputs named it: an assessment has departments)."""
    if not (
        isinstance(data, dict)
        and isinstance(data.get("period"), str)
        and _PERIOD.fullmatch(data["period"])
        and isinstance(data.get("findings"), list)
        and all(_is_finding(finding) for finding in data["findings"])
        and all(_is_score(row) for key in SCORE_KEYS for row in _rows(data.get(key)))
    ):
        raise UsageError(
            f"{path}: not an evalkit check or assess JSON output (write one with --format json)",
            f"{path}：不是 evalkit check 或 assess 的 JSON 输出（可用 --format json 生成）",
        )
    command = data.get("command", "assess" if "departments" in data else "explain" if "score" in data else "check")
    if command not in COMPARABLE:
        raise UsageError(
            f"{path}: the output of evalkit {command}; only check and assess outputs can be compared",
            f"{path}：是 evalkit {command} 的输出；只能比较 check 和 assess 的输出",
        )
    return {**data, "command": command}


def _is_finding(finding: object) -> bool:
    keys = ("rule", "subject", "period", "status")
    return (
        isinstance(finding, dict)
        and all(isinstance(finding.get(key), str) for key in keys)
        and _PERIOD.fullmatch(finding["period"]) is not None
    )


def _rows(rows: object) -> list:
    """A score table's rows: none when the output has no such table; a table that is not a list
    counts as one row that is not a score."""
    return [] if rows is None else rows if isinstance(rows, list) else [rows]


def _is_score(row: object) -> bool:
    """A score row as comparisons read it: a subject, a numeric total, a whole rank or none."""
    rank = row.get("rank") if isinstance(row, dict) else None
    return (
        isinstance(row, dict)
        and isinstance(row.get("subject"), str)
        and _decimal(row.get("total")) is not None
        and (rank is None or (isinstance(rank, int) and not isinstance(rank, bool)))
    )


def shifted(period: str, years: int) -> str:
    """A period label `years` later: 2024Q3 → 2025Q3, 2024 → 2025."""
    match = _PERIOD.fullmatch(period)
    return f"{int(match[1]) + years}{match[2] or ''}" if match else period


def check_comparable(old: dict, command: str, subject: str | None, period: str, shift: int, name: str) -> None:
    """Refuse comparing OLD (read from `name`) with a run of `command` on `subject` over
    `period`: another command, another subject filter, or periods that do not match after
    `shift` years (with the --shift that would match them, when one would)."""
    if old["command"] != command:
        raise UsageError(
            f"{name}: the output of evalkit {old['command']}, not of {command}; compare outputs of one command",
            f"{name}：是 evalkit {old['command']} 的输出，不是 {command} 的；只能比较同一命令的输出",
        )
    if old.get("subject") != subject:
        before, now = old.get("subject") or "all subjects", subject or "all subjects"
        before_zh, now_zh = old.get("subject") or "全部对象", subject or "全部对象"
        raise UsageError(
            f"{name}: made for {before}, this run for {now}; compare outputs of the same --subject",
            f"{name}：针对 {before_zh}，本次针对 {now_zh}；只能比较 --subject 相同的输出",
        )
    moved = shifted(old["period"], shift)
    if moved == period:
        return
    hint = hint_zh = ""
    old_match, new_match = _PERIOD.fullmatch(old["period"]), _PERIOD.fullmatch(period)
    if old_match[2] == new_match[2] and int(new_match[1]) > int(old_match[1]):
        years = int(new_match[1]) - int(old_match[1])
        hint, hint_zh = (
            f" (to compare year over year, add --shift {years}y)",
            f"（如需逐年比较，请加 --shift {years}y）",
        )
    shown = f"{old['period']} shifted {shift}y = {moved}" if shift else old["period"]
    shown_zh = f"{old['period']} 后移 {shift} 年为 {moved}" if shift else old["period"]
    raise UsageError(
        f"{name}: period {shown}, this one {period}; the periods must match{hint}",
        f"{name}：期间为 {shown_zh}，本次为 {period}；期间必须一致{hint_zh}",
    )


def transition(old: str | None, new: str | None, new_rule: bool) -> str | None:
    """The transition of a finding whose status went from `old` to `new` (None: no such finding),
    or None when the change needs no word (pass → pass, skip → pass, waived → waived, …).
    `new_rule`: the earlier run did not evaluate the finding's rule."""
    if new == "fail":
        if new_rule:
            return "new_rule"
        return {"fail": "persisting", "waived": "unwaived"}.get(old, "new")  # pass, skip, error, absent
    if old == "fail":
        return {"waived": "waived_now", "pass": "fixed", None: "gone"}.get(new, "not_checked")  # skip, error
    return None


@dataclass(frozen=True)
class Change:
    """A finding matched across the two runs (or found in one of them) with its transition."""

    transition: str
    rule: str
    pack: str
    subject: str
    subject_kind: str
    period: str  # the later run's (the earlier's moved by --shift, for a finding gone)
    old_period: str  # the earlier run's
    old_status: str | None
    new_status: str | None
    message: str  # the later run's message, else the earlier's

    def to_json(self) -> dict:
        return {
            "transition": self.transition,
            "rule": self.rule,
            "pack": self.pack,
            "subject": self.subject,
            "subject_kind": self.subject_kind,
            "period": self.period,
            "old_period": self.old_period,
            "old_status": self.old_status,
            "status": self.new_status,
            "message": self.message,
        }


@dataclass(frozen=True)
class ScoreChange:
    """A score row of the later run beside the earlier's (old_* None: the subject was not scored before)."""

    subject: str
    name: str
    total: Decimal
    grade: str
    rank: int | None
    old_total: Decimal | None
    old_grade: str | None
    old_rank: int | None

    @property
    def change(self) -> Decimal | None:
        """New total − old total, exact on the totals as the files hold them."""
        return None if self.old_total is None else self.total - self.old_total

    @property
    def rank_move(self) -> str | None:
        """up (the rank number fell), down (it rose), same, or None when either rank is none."""
        if self.rank is None or self.old_rank is None:
            return None
        return "up" if self.rank < self.old_rank else "down" if self.rank > self.old_rank else "same"

    def to_json(self) -> dict:
        change = None if self.change is None else float(self.change.quantize(Decimal("0.000001"), ROUND_HALF_UP))
        return {
            "subject": self.subject,
            "name": self.name,
            "total": float(self.total),
            "old_total": None if self.old_total is None else float(self.old_total),
            "change": change,
            "grade": self.grade,
            "old_grade": self.old_grade,
            "rank": self.rank,
            "old_rank": self.old_rank,
            "rank_move": self.rank_move,
            "new_subject": self.old_total is None,
        }


@dataclass
class Comparison:
    """What changed from the earlier output (`old_file`) to the later one."""

    command: str
    subject: str | None
    old_file: str
    new_file: str
    old_period: str
    new_period: str
    shift: int
    changes: list[Change] = field(default_factory=list)
    scores: dict[str, list[ScoreChange]] = field(default_factory=dict)  # departments, cadres

    def counts(self) -> dict[str, int]:
        counted = Counter(change.transition for change in self.changes)
        return {name: counted[name] for name in TRANSITIONS}

    def has_new_failures(self) -> bool:
        """Whether a finding fails that the earlier run did not report failing (`--exit-on new`)."""
        return any(change.transition in EXIT_ON_NEW for change in self.changes)

    def to_json(self) -> dict:
        return {
            "compared": self.command,
            "subject": self.subject,
            "old": {"file": self.old_file, "period": self.old_period},
            "new": {"file": self.new_file, "period": self.new_period},
            "shift_years": self.shift,
            "summary": self.counts(),
            "changes": [change.to_json() for change in self.changes],
            **{key: [row.to_json() for row in rows] for key, rows in self.scores.items()},
        }


def compare(old: dict, new: dict, shift: int = 0, old_file: str = "", new_file: str = "") -> Comparison:
    """What changed from `old` to `new` (two outputs as `read_output` returns them), OLD's
    periods moved on by `shift` years; refused as `check_comparable` refuses."""
    check_comparable(old, new["command"], new.get("subject"), new["period"], shift, old_file)
    earlier = {(f["rule"], f["subject"], shifted(f["period"], shift)): f for f in old["findings"]}
    if isinstance(old.get("rules"), list):
        known_rules = {rule.get("id") for rule in old["rules"] if isinstance(rule, dict)}
    else:  # written before outputs listed their rules: a rule is new when its pack found nothing
        packs = {f.get("pack") for f in old["findings"]}
        known_rules = {f.get("rule") for f in new["findings"] if f.get("pack") in packs}
    comparison = Comparison(new["command"], new.get("subject"), old_file, new_file, old["period"], new["period"], shift)
    changes = comparison.changes
    for finding in new["findings"]:
        before = earlier.pop((finding["rule"], finding["subject"], finding["period"]), None)
        old_status = before["status"] if before else None
        kind = transition(old_status, finding["status"], finding["rule"] not in known_rules)
        if kind is not None:
            old_period = before["period"] if before else shifted(finding["period"], -shift)
            changes.append(_change(kind, finding, old_period, old_status, finding["status"]))
    for (_, _, period), before in earlier.items():
        if before["status"] == "fail":
            changes.append(_change("gone", {**before, "period": period}, before["period"], "fail", None))
    changes.sort(key=lambda c: (TRANSITIONS.index(c.transition), c.subject, c.rule, c.period))
    for key in SCORE_KEYS:
        if isinstance(new.get(key), list):
            comparison.scores[key] = _score_changes(new[key], old.get(key))
    return comparison


def _change(kind: str, finding: dict, old_period: str, old_status: str | None, new_status: str | None) -> Change:
    return Change(
        kind,
        finding["rule"],
        str(finding.get("pack", "")),
        finding["subject"],
        str(finding.get("subject_kind", "")),
        finding["period"],
        old_period,
        old_status,
        new_status,
        str(finding.get("message", "")),
    )


def _score_changes(rows: list[dict], old_rows: list[dict] | None) -> list[ScoreChange]:
    """Each later score row beside the earlier row of its subject (a subject not scored before: none)."""
    earlier = {row["subject"]: row for row in old_rows or []}
    changes = []
    for row in rows:
        before = earlier.get(row["subject"])
        old_total = _decimal(before.get("total")) if before else None
        changes.append(
            ScoreChange(
                row["subject"],
                str(row.get("name", "")),
                _decimal(row["total"]),
                str(row.get("grade", "")),
                row.get("rank"),
                old_total,
                str(before.get("grade", "")) if before else None,
                before.get("rank") if before else None,
            )
        )
    return changes


def _decimal(value: object) -> Decimal | None:
    """A JSON number as read (`Decimal`, or `int` for a number written without a point) exactly."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    return Decimal(value)


# What a person reads ------------------------------------------------------------------------------


#: How a rank moved, after the earlier rank or the change: up when its number fell.
_ARROWS = {"up": " ↑", "down": " ↓"}


def rank_text(row: ScoreChange, lang: str) -> str:
    """The earlier rank and the move: `5 ↑`, `2 ↓`, `3`; `–` for no rank; new / 新 for a subject not scored before."""
    words = WORDS[lang]
    if row.old_total is None:
        return words["new_subject"]
    rank = words["no_rank"] if row.old_rank is None else str(row.old_rank)
    return rank + _ARROWS.get(row.rank_move or "", "")


def change_cell(row: ScoreChange, lang: str) -> Cell:
    """The change of a total as a cell: a signed number (good up, bad down), or new / 新."""
    if row.change is None:
        return Cell(WORDS[lang]["new_subject"], mark="note")
    mark = "good" if row.change > 0 else "bad" if row.change < 0 else ""
    return Cell(Fraction(row.change), "change", mark)


def summary_line(comparison: Comparison, lang: str) -> str:
    words = WORDS[lang]
    separator = "，" if lang == "zh" else ", "
    counts = comparison.counts()
    text = separator.join(f"{words['transitions'][name]} {count}" for name, count in counts.items() if count)
    period = Period.parse(comparison.old_period).label(lang)
    return words["changes_summary"].format(file=comparison.old_file, period=period, counts=text or words["no_changes"])


def changes_table(comparison: Comparison, lang: str, names: dict[str, str], titles: dict[str, str]) -> Table:
    """Every finding whose status changed, with its transition, before and now."""
    words, labels = WORDS[lang], STATUS_LABELS[lang]
    marks = {"new": "bad", "unwaived": "bad", "persisting": "bad", "fixed": "good", "new_rule": "note"}
    rows = []
    for c in comparison.changes:
        before = labels.get(c.old_status, c.old_status) if c.old_status else words["absent"]
        now = labels.get(c.new_status, c.new_status) if c.new_status else words["absent"]
        period = Period.parse(c.period).label(lang)
        period = period if c.period == c.old_period else f"{Period.parse(c.old_period).label(lang)} → {period}"
        rows.append(
            [Cell(words["transitions"][c.transition], mark=marks.get(c.transition, ""))]
            + cells(c.subject, names.get(c.subject, ""), period, c.rule, titles.get(c.rule, c.rule), before, now)
            + cells(c.message)
        )
    return Table("changes", words["changes"], list(words["change_headers"]), rows)


def score_table(key: str, rows: list[ScoreChange], lang: str, grades: dict[str, str] | None = None) -> Table:
    """A score table's subjects beside the earlier run: rank, total and grade now, then the
    earlier total, the change, the earlier grade and the earlier rank with its move. A table of
    its own: beside the score table's columns it would pass the 120 cells of a terminal line.
    `grades`: each grade code in words (the codes as the files hold them when not given)."""
    words, grades = WORDS[lang], grades or {}
    headers = [words[k] for k in ("rank", "subject", "name", "total", "grade")]
    headers += [words[k] for k in ("previous_total", "total_change", "previous_grade", "rank_change")]
    lines = []
    for row in rows:
        line = [Cell(words["no_rank"] if row.rank is None else row.rank), *cells(row.subject, row.name)]
        line += [Cell(Fraction(row.total), "number"), Cell(grades.get(row.grade, row.grade))]
        line += [Cell(None if row.old_total is None else Fraction(row.old_total), "number"), change_cell(row, lang)]
        line += cells(grades.get(row.old_grade, row.old_grade or ""), rank_text(row, lang))
        lines.append(line)
    title = words["score_change_title"].format(table=words[key])
    return Table(f"{key}_change", title, headers, lines, [words["change_legend"]])


def add_bar_changes(bars: list[Bar], rows: list[ScoreChange]) -> None:
    """The earlier total and the change on each department's bar (the HTML report draws both)."""
    by_subject = {row.subject: row for row in rows}
    for bar in bars:
        row = by_subject.get(bar.subject)
        if row is not None and row.old_total is not None:
            bar.previous = Fraction(row.old_total)
            bar.change = Cell(Fraction(row.change), "change").text() + _ARROWS.get(row.rank_move or "", "")


def add_comparison(
    document: Document,
    comparison: Comparison,
    titles: dict[str, str],
    names: dict[str, str],
    grades: dict[str, dict[str, str]] | None = None,
) -> None:
    """A report of the later run with what changed: the summary of the changes first (after
    check's own summary), each score table followed by its comparison (`grades`: table key →
    grade code → words), the changes before the long listings, the bars' earlier totals."""
    lang = document.lang
    words = WORDS[lang]
    period = Period.parse(comparison.old_period).label(lang)
    document.meta.append((words["compared_with"], f"{comparison.old_file} ({period})"))
    for key, rows in comparison.scores.items():
        at = next((n for n, block in enumerate(document.blocks) if isinstance(block, Table) and block.key == key), None)
        if at is not None:
            document.blocks.insert(at + 1, score_table(key, rows, lang, (grades or {}).get(key)))
    if document.charts is not None and "departments" in comparison.scores:
        add_bar_changes(document.charts.bars, comparison.scores["departments"])
    if comparison.changes:  # before the long listings (all findings, the rules), which the terminal leaves out
        at = next((n for n, block in enumerate(document.blocks) if isinstance(block, Table) and block.detail), None)
        document.blocks.insert(
            len(document.blocks) if at is None else at, changes_table(comparison, lang, names, titles)
        )
    at = 1 if document.blocks and isinstance(document.blocks[0], Paragraph) else 0  # after check's summary
    document.blocks.insert(at, Paragraph([summary_line(comparison, lang)]))


def diff_document(comparison: Comparison, old: dict, new: dict, lang: str) -> Document:
    """`evalkit diff`'s report: the summary, the changes and, for assessments, the score tables
    with the earlier columns beside the later ones."""
    words = WORDS[lang]
    old_period, new_period = (
        Period.parse(period).label(lang) for period in (comparison.old_period, comparison.new_period)
    )
    title = words["diff_title"].format(
        command=words["diff_commands"][comparison.command], old=old_period, new=new_period
    )
    meta = [(words["compared_with"], f"{comparison.old_file} ({old_period})")]
    meta.append((words["dataset"], f"{comparison.new_file} ({new_period})"))
    packs = [
        cells(*(str(pack.get(key, "")) for key in ("name", "version", "sha256", "source")))
        for pack in new.get("packs") or []
        if isinstance(pack, dict)
    ]
    provenance = [  # the later output's packs; the plugins are not in a JSON output
        Table("packs", words["packs"], list(words["pack_headers"]), packs),
        Table("plugins", words["plugins"], list(words["plugin_headers"]), []),
    ]
    document = Document(title, lang, meta, provenance)
    names = {}
    for data in (old, new):
        for key in ("departments", "cadres", "branches", "chains"):
            for row in data.get(key) or []:
                if isinstance(row, dict) and isinstance(row.get("subject"), str):
                    names[row["subject"]] = str(row.get("name", ""))
    titles = {
        str(rule.get("id")): str(rule.get("title", "")) for rule in new.get("rules") or [] if isinstance(rule, dict)
    }
    document.blocks.append(Paragraph([summary_line(comparison, lang)]))
    if comparison.changes:
        document.blocks.append(changes_table(comparison, lang, names, titles))
    for key, rows in comparison.scores.items():
        document.blocks.append(score_table(key, rows, lang))
    if comparison.scores.get("departments"):  # the HTML report draws the totals, each with its earlier one
        rows = comparison.scores["departments"]
        bars = [Bar(row.subject, row.grade, Fraction(row.total), "", row.name) for row in rows]
        add_bar_changes(bars, rows)
        document.charts = Charts(bars_title=words["chart_totals"], bars=bars)
    return document
