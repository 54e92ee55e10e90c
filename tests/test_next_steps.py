"""A branch's self-check (`check --subject`): next steps written as of `--today` (days left while
the quarter is open, what to do once it has ended), evidence named by date and title; the JSON
report untouched by either."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from evalkit.testing import run_cli, write_dataset

ROOT = Path(__file__).resolve().parent.parent
PACK = (ROOT / "rules" / "one_plus_four.yaml").read_text(encoding="utf-8")

OPEN_ZH = "请在2024-09-30前开展一次党员教育活动（{left}）"
OPEN_EN = "Hold a member_education (党员教育) activity before 2024-09-30 ({left})"
ENDED_ZH = "2024年第三季度没有党员教育活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改"
ENDED_EN = (
    "2024Q3 had no member_education activity: if one was held, add it to the ledger; if not, explain why "
    "or apply for a waiver, and include it in the rectification plan"
)


def activity(id_: str, day: str, category: str, title: str) -> dict:
    return {"id": id_, "org_id": "B1", "date": day, "category": category, "title": title, "participants": 5}


@pytest.fixture
def folder(tmp_path, small) -> Path:
    """B1 in 2024Q3: business collaboration, model publicity and volunteer service, no member education."""
    small["activities"] += [
        activity("A11", "2024-07-02", "business_collaboration", "供需对接会"),
        activity("A12", "2024-07-03", "volunteer_service", "志愿服务进社区"),
        activity("A13", "2024-08-01", "model_publicity", "Model day"),
    ]
    return write_dataset(tmp_path / "data", small)


def self_check(folder: Path, today: str, lang: str, *extra: str, period: str = "2024Q3") -> list[str]:
    """The self-check's lines, --wide so that each next step is one line however long."""
    args = ["check", str(folder), "--period", period, "--subject", "B1", "--lang", lang, "--today", today, "--wide"]
    args += extra
    result = run_cli(args)
    assert result.exit_code == 1, result.stderr
    return result.stdout.splitlines()


def next_steps(lines: list[str]) -> list[str]:
    """The numbered lines after "What to do next" (text format)."""
    start = next(i for i, line in enumerate(lines) if line in ("What to do next:", "下一步要做的："))
    return [line.strip() for line in lines[start + 1 :] if line.strip()[:1].isdigit()]


@pytest.mark.parametrize(
    "today, zh, en",
    [
        ("2024-09-16", OPEN_ZH.format(left="还有14天"), OPEN_EN.format(left="14 days left")),
        ("2024-09-29", OPEN_ZH.format(left="还有1天"), OPEN_EN.format(left="1 day left")),
        ("2024-09-30", OPEN_ZH.format(left="今天截止"), OPEN_EN.format(left="due today")),
        ("2024-10-01", ENDED_ZH, ENDED_EN),
        ("2026-01-15", ENDED_ZH, ENDED_EN),
    ],
    ids=["14 days left", "1 day left", "due today", "ended the day before", "ended long ago"],
)
def test_next_step_as_of_today(folder, today, zh, en):
    assert next_steps(self_check(folder, today, "zh")) == [f"1. {zh}"]
    assert next_steps(self_check(folder, today, "en")) == [f"1. {en}"]


def test_a_year_lists_ended_quarters_and_the_open_one(tmp_path, small):
    """No activity in 2024 but A1 (member education, Q1): as of 2024-09-16 Q1 and Q2 have ended,
    Q3 and Q4 are open (Q4 has not begun: its days are counted all the same)."""
    folder = write_dataset(tmp_path, small)
    steps = next_steps(self_check(folder, "2024-09-16", "zh", period="2024"))
    assert steps == [
        "1. 2024年第一季度没有业务协作活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改",
        "2. 2024年第一季度没有典型宣传活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改",
        "3. 2024年第一季度没有志愿服务活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改",
        "4. 2024年第二季度没有业务协作活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改",
        "5. 2024年第二季度没有党员教育活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改",
        "6. 2024年第二季度没有典型宣传活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改",
        "7. 2024年第二季度没有志愿服务活动：如已开展，请补录台账；如未开展，请说明原因或申请豁免，并列入整改",
        "8. 请在2024-09-30前开展一次业务协作活动（还有14天）",
        "9. 请在2024-09-30前开展一次党员教育活动（还有14天）",
        "10. 请在2024-09-30前开展一次典型宣传活动（还有14天）",
        "11. 请在2024-09-30前开展一次志愿服务活动（还有14天）",
        "12. 请在2024-12-31前开展一次业务协作活动（还有106天）",
        "13. 请在2024-12-31前开展一次党员教育活动（还有106天）",
        "14. 请在2024-12-31前开展一次典型宣传活动（还有106天）",
        "15. 请在2024-12-31前开展一次志愿服务活动（还有106天）",
        "16. 2024年：4个季度不达标（2024年第一季度、2024年第二季度、2024年第三季度、2024年第四季度）；"
        "请与产业链党委制定整改方案",
    ]


def test_an_activity_base_missing_in_an_ended_quarter(tmp_path, small):
    small["activity_bases"][0]["opened_on"] = "2024-10-01"  # C1's base opens after Q3
    folder = write_dataset(tmp_path, small)
    steps = next_steps(self_check(folder, "2024-10-01", "zh"))
    assert (
        steps[0] == "1. 2024年第三季度没有可用的活动阵地：如已有，请补录台账；如没有，请说明原因或申请豁免，并列入整改"
    )
    steps = next_steps(self_check(folder, "2024-09-16", "en"))
    assert (
        steps[0] == "1. Register an activity base of the branch or its chain committee before 2024-09-30 (14 days left)"
    )


def test_evidence_named_by_date_and_title(folder, tmp_path):
    zh = self_check(folder, "2024-09-16", "zh")
    row = next(line for line in zh if "OPF05" in line)
    assert row.rstrip().endswith("A12（2024-07-03 志愿服务进社区）")
    assert next(line for line in zh if "OPF01" in line).rstrip().endswith("S1")  # a base: no date and title
    en = self_check(folder, "2024-09-16", "en")
    assert next(line for line in en if "OPF04" in line).rstrip().endswith("A13 (2024-08-01 Model day)")
    markdown = "\n".join(self_check(folder, "2024-09-16", "en", "--format", "markdown"))
    assert "A12 (2024-07-03 志愿服务进社区)" in markdown and "A13 (2024-08-01 Model day)" in markdown
    html = run_cli(["check", str(folder), "--period", "2024Q3", "--subject", "B1", "--lang", "zh", "--format", "html"])
    assert "A12（2024-07-03 志愿服务进社区）" in html.stdout
    target = tmp_path / "b1.xlsx"
    args = ["check", str(folder), "--period", "2024Q3", "--subject", "B1", "--format", "xlsx", "--output", str(target)]
    assert run_cli(args).exit_code == 1
    values = [cell for row in load_workbook(target)["Findings"].iter_rows(values_only=True) for cell in row]
    assert "A12 (2024-07-03 志愿服务进社区)" in values


def test_the_whole_check_keeps_bare_ids(folder):
    """Without --subject the findings table stays as it was: ids only."""
    result = run_cli(["check", str(folder), "--period", "2024Q3", "--format", "markdown"])
    assert "| A12 " in result.stdout and "志愿服务进社区" not in result.stdout


def test_json_does_not_depend_on_today(folder):
    def json(*extra: str) -> str:
        result = run_cli(["check", str(folder), "--period", "2024Q3", "--subject", "B1", "--format", "json", *extra])
        assert result.exit_code == 1
        return result.stdout

    plain = json()
    assert json("--today", "2024-09-16") == plain == json("--today", "2030-01-01", "--lang", "en")
    data = run_cli(["check", str(folder), "--period", "2024Q3", "--subject", "B1", "--format", "json"]).json
    opf05 = next(f for f in data["findings"] if f["rule"] == "OPF05")
    assert opf05["evidence"] == ["A12"] and "advice" not in opf05 and "志愿服务进社区" not in plain


@pytest.mark.parametrize("command", ["check", "explain"])
@pytest.mark.parametrize("today", ["2024-09-31", "16.09.2024", "tomorrow"])
def test_a_bad_today_is_refused_in_both_languages(folder, command, today):
    args = [command, str(folder), "--period", "2024Q3", "--subject", "B1", "--today", today]
    english, chinese = run_cli(args), run_cli([*args, "--lang", "zh"])
    assert english.exit_code == chinese.exit_code == 2
    assert f"error: --today {today}: not a date (expected YYYY-MM-DD, such as 2025-09-16)" in english.stderr
    assert f"错误：--today {today}：不是有效的日期（应为 YYYY-MM-DD，如 2025-09-16）" in chinese.stderr


def test_explain_takes_today(folder):
    args = ["explain", str(folder), "--period", "2024Q3", "--subject", "B1", "--today", "2024-09-16"]
    assert run_cli(args).exit_code == 0


# Pack authors' advice ----------------------------------------------------------------------------

ADVICE = """    advice:
      en: "{period}: register an activity base of the branch or its chain committee"
      zh: "{period}：登记本支部或所在产业链党委的活动阵地"
"""


def with_advice(tmp_path: Path, advice: str) -> Path:
    """The shipped one_plus_four pack with OPF01's advice replaced (in a --rules-dir)."""
    start = PACK.index("    advice:\n")
    end = PACK.index("  - id: OPF02")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "one_plus_four.yaml").write_text(PACK[:start] + advice + PACK[end:], encoding="utf-8")
    return rules


@pytest.fixture
def no_base(tmp_path, small) -> Path:
    small["activity_bases"][0]["opened_on"] = "2025-01-01"  # OPF01 fails in 2024
    return write_dataset(tmp_path / "data", small)


def test_plain_advice_is_the_same_whatever_the_day(tmp_path, no_base):
    rules = with_advice(tmp_path, ADVICE)
    for today in ("2024-09-16", "2025-01-01"):
        steps = next_steps(self_check(no_base, today, "zh", "--rules-dir", str(rules)))
        assert steps[0] == "1. 2024年第三季度：登记本支部或所在产业链党委的活动阵地"


def test_an_authors_open_and_ended_advice(tmp_path, no_base):
    advice = """    advice:
      open: {en: "{days_left:>3} days to {due}: {time_left}", zh: "距{due}还有{days_left}天（{time_left}）"}
      ended: {en: "{period} is over: ask for a waiver", zh: "{period}已结束，截止日为{due}：请申请豁免"}
"""
    rules = with_advice(tmp_path, advice)
    assert next_steps(self_check(no_base, "2024-09-20", "en", "--rules-dir", str(rules)))[0] == (
        "1.  10 days to 2024-09-30: 10 days left"
    )
    assert next_steps(self_check(no_base, "2024-09-30", "zh", "--rules-dir", str(rules)))[0] == (
        "1. 距2024-09-30还有0天（今天截止）"
    )
    assert next_steps(self_check(no_base, "2024-10-01", "zh", "--rules-dir", str(rules)))[0] == (
        "1. 2024年第三季度已结束，截止日为2024-09-30：请申请豁免"
    )


@pytest.mark.parametrize(
    "advice, said",
    [
        (
            '    advice:\n      open: {en: "a", zh: "b"}\n',
            "key advice: Value error, advice needs both `open` (the period has not ended) and `ended`",
        ),
        (
            '    advice:\n      en: "a"\n      zh: "b"\n      ended: {en: "c", zh: "d"}\n',
            "advice is either {en, zh} or {open: {en, zh}, ended: {en, zh}}, not both",
        ),
        ('    advice:\n      en: "a"\n', "advice needs both `en` and `zh`, or `open` and `ended`"),
        (
            '    advice:\n      open: {en: "a", zh: "b"}\n      ended: {en: "c", zh: "d", fr: "e"}\n',
            "key advice.ended.fr: Extra inputs are not permitted",
        ),
        (
            '    advice:\n      open: {en: "a", zh: "b"}\n      ended: {en: "{days_left} days late", zh: "d"}\n',
            "rule OPF01: key advice.ended.en: placeholder {days_left} counts the days left before the period "
            "ends: only advice.open",
        ),
        (
            '    advice: {en: "{time_left}", zh: "b"}\n',
            "rule OPF01: key advice.en: placeholder {time_left} counts the days left",
        ),
        (
            '    advice:\n      open: {en: "{due!r}", zh: "b"}\n      ended: {en: "c", zh: "d"}\n',
            "key advice.open.en: placeholder {due} must be a plain name",
        ),
        (
            '    advice:\n      open: {en: "{time_left:.1f}", zh: "b"}\n      ended: {en: "c", zh: "d"}\n',
            "key advice.open.en: placeholder {time_left:.1f}: its format may only be a width of at most 100",
        ),
    ],
    ids=[
        "open alone",
        "both forms",
        "en alone",
        "unknown key",
        "days_left when ended",
        "time_left plain",
        "!r",
        "format",
    ],
)
def test_bad_advice_is_refused_when_the_pack_loads(tmp_path, no_base, advice, said):
    rules = with_advice(tmp_path, advice)
    result = run_cli(["check", str(no_base), "--period", "2024Q3", "--rules-dir", str(rules)])
    assert result.exit_code == 2 and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_days_left_in_a_message_is_refused(tmp_path, no_base):
    rules = with_advice(tmp_path, ADVICE)
    text = (rules / "one_plus_four.yaml").read_text(encoding="utf-8")
    text = text.replace('fail: {en: "no activity base available in {period}"', 'fail: {en: "{days_left} left"', 1)
    (rules / "one_plus_four.yaml").write_text(text, encoding="utf-8")
    result = run_cli(["check", str(no_base), "--period", "2024Q3", "--rules-dir", str(rules)])
    assert result.exit_code == 2
    assert "rule OPF01: key message.fail.en: placeholder {days_left} counts the days left" in result.stderr
