"""A progress line on stderr for long runs, shown only to a person watching a terminal.

Nothing is printed when stderr is not a terminal (CI, pipes, files) or for runs shorter than
`delay` seconds, so outputs and logs stay clean and reproducible; nor with `-q` (`live=False`).
With `-v` each stage's time is a line of its own when the stage ends (`timing`), wherever stderr goes.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable


class Progress:
    def __init__(
        self,
        delay: float = 2.0,
        stream=None,
        live: bool = True,
        timing: Callable[[str, float], str] | None = None,
    ):
        """`live`: show the progress line on a terminal; `timing`: the line saying how long a
        stage (its progress word) took, in seconds, or None for no such lines."""
        self.stream = stream or sys.stderr
        self.delay = delay
        self.live = live
        self.timing = timing
        self.stage = ""
        self.detail = ""  # how far the stage is, when it can tell (shards read / total)
        self.started = self.stage_started = time.monotonic()
        self.shown = False
        self._done = threading.Event()
        self._thread = None
        self._writing = threading.Lock()  # the line's thread and the timings share the stream

    def __enter__(self) -> Progress:
        if self.live and self.stream.isatty():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def step(self, stage: str) -> None:
        self._timed()
        self.stage, self.detail = stage, ""

    def _timed(self) -> None:
        """The line of the stage that ends now, when timings are asked for."""
        now = time.monotonic()
        if self.timing is not None and self.stage:
            with self._writing:
                clear = "\r\033[K" if self.shown else ""
                self.stream.write(f"{clear}{self.timing(self.stage, now - self.stage_started)}\n")
                self.stream.flush()
        self.stage_started = now

    def _run(self) -> None:
        while not self._done.wait(0.5):
            self.show()

    def show(self) -> None:
        """Writes the line, once the run has taken `delay` seconds (the thread calls it twice a second)."""
        elapsed = time.monotonic() - self.started
        if elapsed >= self.delay:
            with self._writing:
                detail = f" {self.detail}" if self.detail else ""
                self.stream.write(f"\r\033[Kevalkit: {self.stage}…{detail} {elapsed:.0f} s")
                self.stream.flush()
                self.shown = True

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._timed()
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
