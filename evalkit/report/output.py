"""Writing a rendered report: to stdout, or to `--output` atomically (all or nothing).

The content goes to a temporary file (or folder) beside the target and is renamed over it only
when complete, so an error, Ctrl-C or SIGTERM leaves no file and no partial file, and an existing
report is replaced only on success. What may be replaced is narrow (`check_output`): a regular
file, or a folder evalkit wrote (it holds `MARKER`); never an input, never a FIFO or a device.
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


#: The file in every folder of CSV tables evalkit writes: only such a folder is ever replaced.
MARKER = ".evalkit-report"


def check_output(output: str | None, inputs: list[str | Path]) -> None:
    """Refuse an `--output` that could destroy something: an input (`inputs`: the dataset folder,
    `--rules-dir`, `--plugins-dir`), a file in one or a folder holding one; a folder evalkit did
    not write; anything but a regular file or folder (a FIFO, a device, a socket). `-` is
    stdout. Checked before any work."""
    if output is None or output == "-":
        return
    target = Path(output).resolve()
    for given in inputs:
        source = Path(given).resolve()
        if target == source or source in target.parents or target in source.parents:
            raise UsageError(
                f"--output {output}: is, holds or lies in an input ({given}); evalkit never writes its inputs, "
                "choose another place",
                f"--output {output}：就是、包含或位于输入数据（{given}）；evalkit 不会改写输入，请换一个位置",
            )
    if target.is_dir() and not (target / MARKER).is_file():
        raise UsageError(
            f"--output {output}: a folder evalkit did not write; name a new folder or a file",
            f"--output {output}：该文件夹不是 evalkit 生成的；请指定新的文件夹或文件名",
        )
    if target.exists() and not target.is_dir() and not target.is_file():
        raise UsageError(
            f"--output {output}: not a regular file (a FIFO, a device or a socket); evalkit replaces only files",
            f"--output {output}：不是普通文件（管道、设备或套接字）；evalkit 只替换普通文件",
        )


def write(content: str | bytes | dict[str, bytes] | Pieces, output: str | None) -> None:
    if output is None or output == "-":
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
        raise UsageError(f"{output}: is a folder; name the file to write", f"{output}：是文件夹；请指定文件名")
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
    """A folder of files (CSV tables, and `MARKER`): built beside the target, then swapped in;
    the folder it replaces is moved aside under a name of its own (two runs at once never share
    one) and removed once the new one is in place."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: is a file; csv output is a folder (or name a .zip file)")
    temporary = old = None
    try:
        temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
        os.chmod(temporary, 0o777 & ~_umask())
        for name, data in {**files, MARKER: b"written by evalkit; replaced whole by its next run\n"}.items():
            (temporary / name).write_bytes(data)
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old")) / "report"
            os.replace(target, old)
        os.replace(temporary, target)
    except BaseException as error:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        if old is not None and old.exists() and not target.exists():
            os.replace(old, target)
        if isinstance(error, OSError):
            raise UsageError(f"{target}: cannot write there ({error.strerror})") from None
        raise
    if old is not None:
        shutil.rmtree(old.parent, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
