"""A command's data lives until the command ends: tell Python's cyclic garbage collector so.

A command loads a dataset, builds facts, evaluates rules and writes a report; what each step
makes is kept to the end, and almost none of it forms reference cycles. The cyclic collector
does not know that: each of its full passes walks every live object, and a step that makes
millions of lasting objects sets off pass after pass. At the L benchmark (4.9 million records)
that walking cost about 14 s, most of it in full passes during the facts and rules steps
(benchmarks/README.md).

So, for a command's process only (never behind a library caller's back): full passes are put
off (in effect, for good); at the end of each step the young generations are collected and
everything that exists is then frozen out of the collector's sight, so no pass walks it again.
Young cycles are still collected at once. What became cyclic garbage after reaching the old generation is kept
to the end instead of collected: at L our steps leave 0 to 30 such objects, and a full pass to
find them walked a step's millions of new objects (1.6 s in all). Both are undone when the
command ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Young-generation collections between full passes (Python's default is 10): during a command,
#: in effect never; a step's end freezes what it made instead (`keep_made_so_far`).
_FULL_PASS_EVERY = 1_000_000


def keep_made_so_far(_step: str = "") -> None:
    """What exists now lives to the end of the command (a `Session.stage` callback)."""
    gc.collect(1)  # young garbage goes first: it is collected, not frozen
    gc.freeze()


@contextmanager
def command_lifetimes() -> Iterator[None]:
    """Full passes put off; everything frozen by `keep_made_so_far` thawed after it."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], _FULL_PASS_EVERY)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
