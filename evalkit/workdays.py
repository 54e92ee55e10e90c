"""Working days: China's statutory holidays and make-up working days (调休), for time limits counted
in working days (`{working_days: N}` in a pack's settings, docs/rules.md).

The days come from the `chinese-calendar` library (imported here only: `import evalkit` stays
light), overridden day by day by the dataset's `calendar` records, which also cover a year the
library lacks (its unlisted days are then Monday–Friday working days). A day of a year neither
covers is never guessed: the run stops (`CalendarError`, exit 2) naming the year.

Deadlines are joins, not Python loops over requests: the days from 1 January of the first start
year to the last day any deadline needs are one small table (`DAYS_TABLE`, registered in the
dataset's DuckDB connection), each day with `worked`, the number of working days from that
1 January through it. The N-th working day after a start day is the working day whose `worked`
is the start day's `worked` + N (the start day never counts, working or not).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, cached_property
from importlib.metadata import version
from typing import TYPE_CHECKING

import pyarrow as pa

from .errors import UsageError

if TYPE_CHECKING:
    from .load import Dataset
    from .periods import Period

#: The table of days (day, workday, worked) that plugins join to count working days.
DAYS_TABLE = "evalkit_days"
#: The library's name, as its version is looked up and the report cover names it.
LIBRARY = "chinese-calendar"


class CalendarError(UsageError):
    """A deadline needs a day of a year that neither the library nor the dataset's calendar covers:
    the run stops before any fact is built (exit 2, like every input the run cannot go on with)."""

    def __init__(self, year: int, library_years: tuple[int, int]):
        first, last = library_years
        super().__init__(
            f"working days of {year} are unknown ({LIBRARY} covers {first}–{last}): add that year's holidays and "
            f"make-up working days to the dataset's calendar (calendar.csv or a sheet 工作日历; columns date, kind, "
            f"note; kind workday or holiday); one row in {year} covers it, its other days then count Monday to Friday",
            f"{year} 年的工作日未知（{LIBRARY} 只含 {first}—{last} 年）：请在数据集的工作日历（calendar.csv 或工作表"
            f"“工作日历”；列：日期、类型、说明；类型为 上班 或 放假）中填入该年的放假日和调休上班日；该年有一行即可，"
            f"其余日子按周一至周五上班计",
        )


@dataclass(frozen=True)
class Calendar:
    """The working-day calendar of a dataset: the library, and the dataset's own days (`overrides`:
    day → whether it is a working day)."""

    overrides: dict[date, bool]

    @classmethod
    def of(cls, dataset: Dataset) -> Calendar:
        """The calendar of `dataset` (its `calendar` records; duplicate dates were refused when loading)."""
        return cls({day: kind == "workday" for day, kind in dataset.columns("calendar", "date", "kind")})

    @property
    def library(self) -> str:
        """The library and its version, as the report cover names it: `chinese-calendar 1.11.0`."""
        return f"{LIBRARY} {version(LIBRARY)}"

    @property
    def digest(self) -> str:
        """SHA-256 over the dataset's days, sorted (`2024-10-12 workday` a line): the same days, the
        same digest, whatever order or notes the file has."""
        days = sorted(self.overrides.items())
        lines = "".join(f"{day.isoformat()} {'workday' if work else 'holiday'}\n" for day, work in days)
        return hashlib.sha256(lines.encode("utf-8")).hexdigest()

    def describe(self) -> dict[str, object]:
        """What the report cover and JSON name: library, digest and the number of the dataset's days."""
        return {"library": self.library, "digest": self.digest, "overrides": len(self.overrides)}

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day; `CalendarError` when its year is covered by neither."""
        if day in self.overrides:
            return self.overrides[day]
        first, last = library_years()
        if first <= day.year <= last:
            import chinese_calendar

            return chinese_calendar.is_workday(day)
        if day.year in self._own_years:
            return day.weekday() < 5
        raise CalendarError(day.year, (first, last))

    @cached_property
    def _own_years(self) -> frozenset[int]:
        """The years the dataset's days cover (one row in a year is enough)."""
        return frozenset(day.year for day in self.overrides)

    def deadline(self, start: date, working_days: int) -> date:
        """The `working_days`-th working day after `start` (which never counts)."""
        day = start
        while working_days > 0:
            day += timedelta(days=1)
            working_days -= self.is_workday(day)
        return day

    def days(self, first_start: date, last_start: date, working_days: int) -> pa.Table:
        """The days from 1 January of `first_start`'s year through the `working_days`-th working day
        after `last_start`: every start day in between and every deadline from one (each day's
        year checked as it is reached)."""
        last = self.deadline(last_start, working_days)
        days, workday, worked, count = [], [], [], 0
        day = date(first_start.year, 1, 1)
        while day <= last:
            work = self.is_workday(day)
            count += work
            days.append(day)
            workday.append(work)
            worked.append(count)
            day += timedelta(days=1)
        return _days_table(days, workday, worked)


@cache
def library_years() -> tuple[int, int]:
    """The first and last year the library holds (asked once per day counted: looked up once)."""
    from chinese_calendar.constants import holidays

    return min(holidays).year, max(holidays).year


def register_days(dataset: Dataset, period: Period, working_days: int) -> None:
    """Put `DAYS_TABLE` in the dataset's connection: the days every time limit of up to
    `working_days` working days needs, counted from the dispatch day of each request dispatched in
    `period` (withdrawn ones left out, as the service facts leave them); empty when there is none.
    A day of an uncovered year stops the run (`CalendarError`), before any fact is built."""
    calendar = Calendar.of(dataset)
    query = f"""SELECT min(day), max(day) FROM (
        SELECT CAST(dispatched_at AS DATE) AS day FROM {dataset.view("requests")} WHERE status <> 'withdrawn')
        WHERE day BETWEEN $first AND $last"""
    [(first, last)] = dataset.sql(query, {"first": period.first_day, "last": period.last_day}).fetchall()
    days = _days_table([], [], []) if first is None else calendar.days(first, last, working_days)
    dataset.connection.register(DAYS_TABLE, days)


def _days_table(days: list[date], workday: list[bool], worked: list[int]) -> pa.Table:
    return pa.table(
        {
            "day": pa.array(days, pa.date32()),
            "workday": pa.array(workday, pa.bool_()),
            "worked": pa.array(worked, pa.int64()),
        }
    )
