"""A command's data lives until the command ends: tell Python's cyclic garbage collector so.

A command loads a dataset, builds facts, evaluates rules and writes a report; what each step
makes is kept to the end, and almost none of it forms reference cycles. The cyclic collector
does not know that: each of its full passes walks every live object, and the rules step sets off
many passes (durable-rules leaves a short-lived reference cycle behind each fact no rule matched,
about 1.2 million cyclic objects for the M benchmark). At M that walking cost about 2 s of 20,
and it grows faster than the data (benchmarks/README.md).

So, for a command's process only (never behind a library caller's back): at each step what
exists is frozen out of the collector's sight, full passes are rarer (young cycles are still
collected at once), and both are undone when the command ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Young-generation collections between full passes (Python's default is 10).
_FULL_PASS_EVERY = 100


def keep_made_so_far(_step: str = "") -> None:
    """What exists now lives to the end of the command (a `Session.stage` callback)."""
    gc.collect(1)  # the young garbage goes first: it is collected, not frozen
    gc.freeze()


@contextmanager
def command_lifetimes() -> Iterator[None]:
    """Rarer full passes for the command; everything frozen by `keep_made_so_far` thawed after it."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], _FULL_PASS_EVERY)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
