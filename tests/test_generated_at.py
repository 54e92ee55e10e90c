"""A report's "generated at": local time with its offset, in the zone of --tz, else EVALKIT_TZ,
else the system's; pinned by --generated-at, else SOURCE_DATE_EPOCH (reproducible reports)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest

from evalkit.testing import run_cli

EPOCH = "1735608600"  # 2024-12-31T01:30:00Z: 2025-01-01T00:00Z is 1735689600, less 22.5 hours


@pytest.fixture(autouse=True)
def _no_zone_or_epoch(monkeypatch):
    """What these tests set is all there is: no EVALKIT_TZ or SOURCE_DATE_EPOCH of the machine."""
    monkeypatch.delenv("EVALKIT_TZ", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def generated_at(folder, *options: str) -> str:
    """The "generated at" of the markdown report of `check FOLDER OPTIONS`."""
    result = run_cli(["check", str(folder), "--period", "2024", "--format", "markdown", "--exit-zero", *options])
    assert result.exit_code == 0, result.stderr
    return re.search(r"^- \*\*generated at\*\*: (.+)$", result.stdout, re.M)[1]


@pytest.mark.parametrize(
    "options, variables, shown",
    [
        (["--tz", "Asia/Shanghai", "--generated-at", "2024-12-31T01:30:00Z"], {}, "2024-12-31T09:30:00+08:00"),
        (["--tz", "Asia/Shanghai", "--generated-at", "2024-12-31T09:30"], {}, "2024-12-31T09:30:00+08:00"),
        (["--tz", "America/New_York", "--generated-at", "2024-12-31T09:30:00+08:00"], {}, "2024-12-30T20:30:00-05:00"),
        (["--tz", "Europe/Berlin", "--generated-at", "2024-07-01T12:00:00+00:00"], {}, "2024-07-01T14:00:00+02:00"),
        ([], {"SOURCE_DATE_EPOCH": EPOCH, "EVALKIT_TZ": "Asia/Shanghai"}, "2024-12-31T09:30:00+08:00"),
        (["--tz", "UTC"], {"SOURCE_DATE_EPOCH": EPOCH, "EVALKIT_TZ": "Asia/Shanghai"}, "2024-12-31T01:30:00+00:00"),
        (
            ["--generated-at", "2025-01-02T08:00:00+08:00"],
            {"SOURCE_DATE_EPOCH": EPOCH, "EVALKIT_TZ": "Asia/Shanghai"},
            "2025-01-02T08:00:00+08:00",
        ),
    ],
)
def test_the_time_shown_in_the_zone_asked_for(small_dir, monkeypatch, options, variables, shown):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert generated_at(small_dir, *options) == shown


@pytest.fixture
def system_zone(monkeypatch):
    """The system's time zone set to India's (+05:30, no summer time) for the test, then restored."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_without_tz_the_systems_zone(small_dir, system_zone):
    assert generated_at(small_dir, "--generated-at", "2024-12-31T00:00:00Z") == "2024-12-31T05:30:00+05:30"
    assert generated_at(small_dir, "--generated-at", "2024-12-31T09:30") == "2024-12-31T09:30:00+05:30"


def test_now_when_nothing_pins_it(small_dir):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    shown = generated_at(small_dir, "--tz", "Asia/Shanghai")
    after = datetime.now(timezone.utc)
    assert shown.endswith("+08:00")
    assert before <= datetime.fromisoformat(shown) <= after


@pytest.mark.parametrize(
    "options, variables, en, zh",
    [
        (
            ["--tz", "Mars/Base"],
            {},
            "--tz Mars/Base: not a time zone (expected a name such as Asia/Shanghai or UTC)",
            "--tz Mars/Base：不是有效的时区（应为时区名称，如 Asia/Shanghai 或 UTC）",
        ),
        (
            ["--generated-at", "yesterday"],
            {},
            "--generated-at yesterday: not a time (expected ISO 8601, such as 2024-12-31T09:30:00+08:00)",
            "--generated-at yesterday：不是有效的时间（应为 ISO 8601 格式，如 2024-12-31T09:30:00+08:00）",
        ),
        (
            [],
            {"SOURCE_DATE_EPOCH": "2024-12-31"},
            "SOURCE_DATE_EPOCH 2024-12-31: not a number of seconds since 1970-01-01 (such as 1735608600)",
            "SOURCE_DATE_EPOCH 2024-12-31：不是自 1970-01-01 起的秒数（如 1735608600）",
        ),
    ],
)
def test_a_zone_or_time_that_is_none_is_a_usage_error_in_both_languages(
    small_dir, monkeypatch, options, variables, en, zh
):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    for lang, message in (("en", f"error: {en}"), ("zh", f"错误：{zh}")):
        result = run_cli(["assess", str(small_dir), "--period", "2024", "--lang", lang, *options])
        assert (result.exit_code, result.stderr.strip().splitlines()[-1]) == (2, message)
