"""Assessment periods: a year (`2024`) or a quarter (`2024Q2`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

_PERIOD = re.compile(r"(\d{4})(?:[Qq]([1-4]))?")
#: The other ways a person writes a period, as evalkit prints them in Chinese: 2024-Q3, 2024年,
#: 2024年第三季度, 2024年三季度, 2024年第3季度.
_WRITTEN = re.compile(r"(\d{4})(?:-[Qq]([1-4])|年(?:第?([1-4一二三四])季度)?)")
_CHINESE_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4}


@dataclass(frozen=True)
class Period:
    """Periods sort by year, then quarters before the whole year (a year's verdict follows them).

    Its days are cached: facts are built by testing millions of dates against one period.
    """

    year: int
    quarter: int | None = None  # None: the whole year

    def __lt__(self, other: Period) -> bool:
        return (self.year, self.quarter or 5) < (other.year, other.quarter or 5)

    def label(self, lang: str) -> str:
        """The period as a reader says it: 2024Q3 → 2024年第三季度 in Chinese; the code in English."""
        if lang != "zh":
            return str(self)
        if self.quarter is None:
            return f"{self.year}年"
        return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `2024` or `2024Q2`, or a period as a person writes it (2024-Q3, 2024年, 2024年第三季度,
        2024年三季度, 2024年第3季度, in full-width digits too: what `label` prints is read back);
        raise ValueError otherwise. The codes come first: they are what data and facts hold."""
        if match := _PERIOD.fullmatch(text.strip()):
            return cls(int(match[1]), int(match[2]) if match[2] else None)
        if match := _WRITTEN.fullmatch(unicodedata.normalize("NFKC", text).strip()):
            quarter = match[2] or match[3]
            return cls(int(match[1]), int(_CHINESE_NUMBERS.get(quarter, quarter)) if quarter else None)
        raise ValueError(
            f"{text!r} is not a period (expected a year such as 2024 or a quarter such as 2024Q2 or 2024年第二季度)"
        )

    def __str__(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}Q{self.quarter}"

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    @cached_property
    def first_day(self) -> date:
        return date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @cached_property
    def last_day(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @cached_property
    def end(self) -> datetime:
        """The end of the period's last day: "resolved by period end" means at or before this."""
        return datetime.combine(self.last_day, datetime.max.time()).replace(microsecond=0)

    def quarters(self) -> list[Period]:
        """The quarters of this period (itself, for a quarter)."""
        if self.quarter is not None:
            return [self]
        return [Period(self.year, q) for q in range(1, 5)]

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def within(self, other: Period | None) -> bool:
        """True when this period lies within `other` (None: always)."""
        return other is None or (other.year == self.year and other.quarter in (None, self.quarter))


def quarter_of(day: date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)
