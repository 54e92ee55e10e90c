"""Turning one spreadsheet cell (CSV text or an XLSX value) into a typed value.

Each parser returns the value or raises `CellError` with what was expected; the loader turns
that into a located `Problem`. Blank cells never reach a parser (they mean "missing").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .hanzi import fold
from .periods import Period
from .schema import BOOL, DATE, DATETIME, ENUM, INT, LIST, PERIOD, STR, Column

_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}
# 2024-03-05, 2024/3/5, 2024.3.5 or 2024年3月5日, optionally followed by a time of day.
_DAY = r"(\d{4})(?:-(\d{1,2})-(\d{1,2})|/(\d{1,2})/(\d{1,2})|\.(\d{1,2})\.(\d{1,2})|年(\d{1,2})月(\d{1,2})日)"
_DATE = re.compile(_DAY)
_DATETIME = re.compile(_DAY + r"(?:[ T]\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
#: Excel stores dates as days since 1899-12-30; a CSV exported with "General" cells shows that
#: number. Only serials of the years 1927–2173 are taken as dates, so a stray small number is not.
_SERIAL = re.compile(r"(\d{5})(\.\d+)?")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_LIST_SEPARATORS = re.compile(r"[;；]")


class CellError(ValueError):
    """The cell holds something its column does not accept."""


def as_text(value: object) -> str:
    """The text a user sees in the cell: XLSX numbers that are whole print without `.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise CellError
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())  # Excel writes 3 as "3.0" in some exports
        except ValueError:
            raise CellError from None
    if not number.is_integer() or number < 0:
        raise CellError
    return int(number)


def _date(value: object) -> date:
    moment = _datetime(value)
    if moment.time() != datetime.min.time():
        raise CellError
    return moment.date()


def _datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = as_text(value)
    if _SERIAL.fullmatch(text):
        return _EXCEL_EPOCH + timedelta(seconds=round(float(text) * 86400))
    match = _DATETIME.fullmatch(text)
    if not match:
        raise CellError
    year, *day_parts = match.groups()[:9]
    month, day = [int(part) for part in day_parts if part is not None]
    clock = [int(part or 0) for part in match.groups()[9:]]
    try:
        return datetime(int(year), month, day, *clock)
    except ValueError:
        raise CellError from None


def _bool(value: object) -> bool:
    text = fold(as_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError


def _list(value: object) -> tuple[str, ...]:
    return tuple(item.strip() for item in _LIST_SEPARATORS.split(as_text(value)) if item.strip())


def enum_lookup(column: Column) -> dict[str, str]:
    """Every accepted spelling of the column's enum (code or label, folded) → its code."""
    assert column.enum is not None
    lookup = {}
    for code, labels in column.enum.items():
        lookup[code] = code
        for label in labels:
            lookup[fold(label)] = code
    return lookup


def parse_cell(column: Column, value: object, lookup: dict[str, str] | None = None) -> object:
    """Parse a non-blank cell for `column`.

    `lookup`, kept by the caller for the whole column: `enum_lookup(column)` for an enum, the ids
    seen so far for a reference column (or None).
    """
    kind = column.type
    if type(value) is str:
        fast = FAST_PARSERS.get(kind)
        if fast is not None:
            try:
                return fast(value, lookup)
            except (ValueError, KeyError):
                pass  # not the common spelling: the general parsers below decide
    if kind == STR:
        return as_text(value)
    if kind == INT:
        return _int(value)
    if kind == DATE:
        return _date(value)
    if kind == DATETIME:
        return _datetime(value)
    if kind == BOOL:
        return _bool(value)
    if kind == LIST:
        return _list(value)
    if kind == PERIOD:
        try:
            return Period.parse(as_text(value))
        except ValueError:
            raise CellError from None
    if kind == ENUM:
        code = (lookup or enum_lookup(column)).get(fold(as_text(value)))
        if code is None:
            raise CellError
        return code
    raise AssertionError(f"unknown column type {kind}")


# Fast paths for the spellings almost every cell uses (C-level parsing, no regex, no folding).
# Each returns exactly what the general parser returns for that text, or raises to defer to it.


def _fast_int(text: str, _codes) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValueError
    return int(text)


def _fast_date(text: str, _codes) -> date:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError
    return date.fromisoformat(text)


def _fast_datetime(text: str, _codes) -> datetime:
    if len(text) not in (16, 19) or text[4] != "-" or text[7] != "-" or text[10] not in " T" or text[13] != ":":
        raise ValueError
    if len(text) == 19 and text[16] != ":":  # "2024-08-08 03:23+08" is a time with an offset, not seconds
        raise ValueError
    return datetime.fromisoformat(text)


_EXACT_BOOL = dict.fromkeys(_TRUE, True) | dict.fromkeys(_FALSE, False)


def _fast_bool(text: str, _codes) -> bool:
    return _EXACT_BOOL[text]


def _fast_list(text: str, _codes) -> tuple[str, ...]:
    """A list of one item (a list cell's usual content; blank cells never get here)."""
    if ";" in text or "；" in text:
        raise ValueError
    item = text.strip()
    if not item:
        raise ValueError
    return (item,)


def _fast_enum(text: str, codes) -> str:
    if codes is None:
        raise KeyError
    return codes[text]


def _fast_text(text: str, shared: dict[str, str] | None) -> str:
    """Stripped text, one string object per distinct value when `shared` is given: a province's
    two million requests name the same few thousand departments and cadres."""
    text = text.strip()
    return text if shared is None else shared.setdefault(text, text)


#: What str.strip() strips and str.isspace() tests for (checked by a test against Python itself).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_NOT_SPACE = "[^" + "".join(f"\\x{{{ord(char):x}}}" for char in WHITESPACE) + "]"
#: Per column type, its common spelling as a pattern (RE2) for a whole column, and a function
#: (C code, no Python frame per cell) that types a matching cell exactly as FAST_PARSERS does.
COMMON_SPELLINGS = {
    STR: (f"(?s:{_NOT_SPACE}(?:.*{_NOT_SPACE})?)", None),  # nothing to strip: the text is its own value
    INT: ("[0-9]+", int),
    DATE: ("[0-9]{4}-[0-9]{2}-[0-9]{2}", date.fromisoformat),
    DATETIME: ("[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?", datetime.fromisoformat),
}


def all_commonly_spelled(cells, kind: str, empty_allowed: bool) -> bool:
    """Whether every cell of an Arrow string array has the common spelling of `kind` (tested in
    C++, not cell by cell in Python); cells may also be "" when `empty_allowed`."""
    import pyarrow.compute as arrow  # only the CSV fast path calls this, with pyarrow loaded

    pattern = COMMON_SPELLINGS[kind][0]
    return arrow.all(arrow.match_substring_regex(cells, f"^(?:{pattern}){'?' if empty_allowed else ''}$")).as_py()


def longest(cells) -> int:
    """At least the length of the longest cell of an Arrow string array (its length in bytes)."""
    import pyarrow.compute as arrow

    return arrow.max(arrow.binary_length(cells)).as_py() or 0


FAST_PARSERS = {
    STR: _fast_text,
    INT: _fast_int,
    DATE: _fast_date,
    DATETIME: _fast_datetime,
    BOOL: _fast_bool,
    LIST: _fast_list,
    ENUM: _fast_enum,
}
