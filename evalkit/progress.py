"""A progress line on stderr for long runs, shown only to a person watching a terminal.

Nothing is printed when stderr is not a terminal (CI, pipes, files) or for runs shorter than
`delay` seconds, so outputs and logs stay clean and reproducible.
"""

from __future__ import annotations

import sys
import threading
import time


class Progress:
    def __init__(self, delay: float = 2.0, stream=None):
        self.stream = stream or sys.stderr
        self.delay = delay
        self.stage = ""
        self.started = time.monotonic()
        self.shown = False
        self._done = threading.Event()
        self._thread = None

    def __enter__(self) -> Progress:
        if self.stream.isatty():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def step(self, stage: str) -> None:
        self.stage = stage

    def _run(self) -> None:
        while not self._done.wait(0.5):
            self.show()

    def show(self) -> None:
        """Writes the line, once the run has taken `delay` seconds (the thread calls it twice a second)."""
        elapsed = time.monotonic() - self.started
        if elapsed >= self.delay:
            self.stream.write(f"\r\033[Kevalkit: {self.stage}… {elapsed:.0f} s")
            self.stream.flush()
            self.shown = True

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
