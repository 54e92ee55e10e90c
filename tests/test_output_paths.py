"""`--output` can never destroy an input, a folder evalkit did not write, or anything that is not
a regular file; folder output is all or nothing, like file output."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from evalkit.testing import run_cli


def digests(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) → its SHA-256: what "nothing changed" means."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def assess(dataset: Path, *options: str):
    return run_cli(["assess", str(dataset), "--period", "2024", *options])


@pytest.mark.parametrize(
    "output, fmt",
    [
        ("{data}/requests.csv", "text"),  # a ledger
        ("{data}", "csv"),  # the dataset folder itself
        ("{data}/scores.xlsx", "xlsx"),  # a new file inside the dataset folder
        ("{data}/sub/../visits.csv", "json"),  # the same ledger, spelled another way
    ],
)
def test_output_into_the_dataset_is_refused_and_nothing_changes(small_dir, output, fmt):
    before = digests(small_dir)
    result = assess(small_dir, "--format", fmt, "--output", output.format(data=small_dir))
    assert result.exit_code == 2 and "holds or lies in an input" in result.stderr, result.stderr
    assert digests(small_dir) == before


def test_a_report_folder_holding_the_dataset_is_never_replaced(small_dir, tmp_path):
    """Even one evalkit wrote: a dataset copied into an old report folder must survive."""
    report = tmp_path / "report"
    assert assess(small_dir, "--format", "csv", "--output", str(report)).exit_code == 0
    dataset = report / "ledgers"
    small_dir.rename(dataset)
    before = digests(dataset)
    result = assess(dataset, "--format", "csv", "--output", str(report))
    assert result.exit_code == 2 and "holds or lies in an input" in result.stderr
    assert digests(dataset) == before


def test_output_into_the_rules_folder_is_refused(small_dir, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    result = assess(small_dir, "--rules-dir", str(rules), "--output", str(rules / "out.txt"))
    assert result.exit_code == 2 and "holds or lies in an input" in result.stderr and list(rules.iterdir()) == []


def test_a_folder_evalkit_did_not_write_is_never_replaced(small_dir, tmp_path):
    mine = tmp_path / "my documents"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"years of work")
    result = assess(small_dir, "--format", "csv", "--output", str(mine))
    assert result.exit_code == 2 and "a folder evalkit did not write" in result.stderr
    assert digests(mine) == {"thesis.docx": hashlib.sha256(b"years of work").hexdigest()}
    zh = assess(small_dir, "--format", "csv", "--output", str(mine), "--lang", "zh")
    assert "不是 evalkit 生成的" in zh.stderr


def test_a_folder_evalkit_wrote_is_replaced_whole(small_dir, tmp_path):
    target = tmp_path / "tables"
    assert assess(small_dir, "--format", "csv", "--output", str(target)).exit_code == 0
    (target / "stale.csv").write_text("from an older run")
    assert assess(small_dir, "--format", "csv", "--output", str(target)).exit_code == 0
    assert not (target / "stale.csv").exists() and (target / "departments.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "tables"]  # nothing left beside it


def test_the_current_folder_is_refused(small_dir, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = assess(small_dir, "--format", "csv", "--output", ".")
    assert result.exit_code == 2 and "a folder evalkit did not write" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_or_a_device_is_refused_and_left_alone(small_dir, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target in (str(fifo), os.devnull):
        result = assess(small_dir, "--output", target)
        assert result.exit_code == 2 and "not a regular file" in result.stderr, target
    assert fifo.is_fifo() and Path(os.devnull).is_char_device()


def test_dash_is_stdout(small_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = assess(small_dir, "--format", "json", "--output", "-")
    assert result.exit_code == 0 and result.stdout.startswith("{") and not (tmp_path / "-").exists()


def test_a_read_only_folder_is_a_clear_error(small_dir, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root writes anywhere: the folder refuses as the OS would
        import tempfile

        def refused(*args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr(tempfile, "mkdtemp", refused)
    try:
        result = assess(small_dir, "--format", "csv", "--output", str(locked / "tables"))
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2 and "cannot write there (Permission denied)" in result.stderr
    assert list(locked.iterdir()) == []


def test_a_full_disk_leaves_the_old_folder_and_nothing_else(small_dir, tmp_path, monkeypatch):
    target = tmp_path / "tables"
    assert assess(small_dir, "--format", "csv", "--output", str(target)).exit_code == 0
    before = digests(target)
    written = Path.write_bytes

    def full(path, data):
        if path.name == "cadres.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return written(path, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    result = assess(small_dir, "--format", "csv", "--output", str(target))
    assert result.exit_code == 2 and "cannot write there (No space left on device)" in result.stderr
    assert digests(target) == before and sorted(p.name for p in tmp_path.iterdir()) == ["data", "tables"]


def test_two_runs_writing_one_folder_at_once_leave_one_whole_report(small_dir, tmp_path):
    import subprocess
    import sys

    target = tmp_path / "tables"
    command = [sys.executable, "-m", "evalkit.cli", "assess", str(small_dir), "--period", "2024"]
    command += ["--format", "csv", "--output", str(target)]
    environment = {**os.environ, "EVALKIT_DISABLE_PLUGIN_AUTOLOAD": "1"}
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=environment) for _ in range(2)]
    results = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    for code, stderr in results:  # each wrote the folder, or said plainly why it could not
        assert code == 0 or (code == 2 and stderr.startswith(f"error: {target}: cannot write there")), stderr
    assert any(code == 0 for code, _ in results)
    assert {"departments.csv", "cadres.csv", ".evalkit-report"} <= {p.name for p in target.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "tables"]  # nothing half-written beside it
