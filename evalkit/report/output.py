"""Writing a rendered report: to stdout, or to `--output` atomically (all or nothing).

The content goes to a temporary file (or folder) beside the target and is renamed over it only
when complete, so an error or Ctrl-C leaves no file and no partial file, and an existing report
is replaced only on success.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from ..errors import UsageError


@runtime_checkable
class Pieces(Protocol):
    """Text too large to hold whole: written a piece at a time to the `write` it is given."""

    def write_to(self, write: Callable[[str], object]) -> None: ...


def write(content: str | bytes | dict[str, bytes] | Pieces, output: str | None) -> None:
    if output is None:
        if isinstance(content, str):
            sys.stdout.write(content)
        elif isinstance(content, Pieces):
            content.write_to(sys.stdout.write)
        else:
            raise UsageError("this format is not text: write it to a file with --output FILE")
        return
    target = Path(output)
    if not target.parent.is_dir():
        raise UsageError(
            f"{output}: the folder {target.parent} does not exist", f"{output}：文件夹 {target.parent} 不存在"
        )
    if isinstance(content, dict):
        if target.suffix.lower() == ".zip":
            archive = _zip(content)
            _write_file(target, lambda file: file.write(archive))
        else:
            _write_folder(target, content)
        return
    if target.is_dir():
        raise UsageError(f"{output}: is a folder; name the file to write")
    if isinstance(content, (str, bytes)):
        data = content.encode("utf-8") if isinstance(content, str) else content
        _write_file(target, lambda file: file.write(data))
    else:
        _write_file(target, lambda file: content.write_to(lambda text: file.write(text.encode("utf-8"))))


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def _write_file(target: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write the file `fill` writes, atomically."""
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"{target}: cannot write there ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as file:
            fill(file)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a report is an ordinary file
        os.replace(temporary, target)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise UsageError(f"{target}: cannot write there ({error.strerror})") from None
        raise


def _write_folder(target: Path, files: dict[str, bytes]) -> None:
    """A folder of files (CSV tables): built beside the target, then swapped in."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: is a file; csv output is a folder (or name a .zip file)")
    temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    old = target.with_name(f".{target.name}.old")
    try:
        os.chmod(temporary, 0o777 & ~_umask())
        for name, data in files.items():
            (temporary / name).write_bytes(data)
        if target.exists():
            os.replace(target, old)
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        if old.exists() and not target.exists():
            os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
