"""A pytest plugin for baseline.py: logs every CLI run of the tests that ends in exit code 2.

Loaded with `-p recorder` (benchmarks/ on PYTHONPATH); appends one JSON line per such run to the
file named by EVALKIT_BASELINE_LOG: the test, its arguments and stderr's lines, with the test's
temporary folder written as <tmp> so runs compare across machines.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re

import pytest

_TMP = re.compile(r"/tmp/pytest-of-[^/]+/pytest-\d+/(?:popen-gw\d+/)?")  # xdist gives each worker a folder


def _plain(text: str) -> str:
    return _TMP.sub("<tmp>/", text)


@pytest.fixture(autouse=True)
def _record_cli_runs(request, monkeypatch):
    import evalkit.cli

    main = evalkit.cli.main

    def recorded(argv=None):
        err = io.StringIO()
        with contextlib.redirect_stderr(_Tee(err)):
            try:
                code = main(argv)
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 2
                if code == 2:
                    _log(request.node.nodeid, argv, code, err.getvalue())
                raise
        if code == 2:
            _log(request.node.nodeid, argv, code, err.getvalue())
        return code

    monkeypatch.setattr(evalkit.cli, "main", recorded)
    yield


class _Tee(io.TextIOBase):
    """Writes to the stderr in force when made and to a buffer."""

    def __init__(self, copy: io.StringIO):
        self.copy, self.target = copy, __import__("sys").stderr

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.target.write(text)


def _log(test: str, argv, code: int, stderr: str) -> None:
    entry = {"test": test, "args": [_plain(str(arg)) for arg in argv or []], "exit": code}
    entry["stderr"] = [_plain(line) for line in stderr.splitlines()]
    with open(os.environ["EVALKIT_BASELINE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
