"""Uploads: checked against the limits, unpacked into a private folder, kept only as long as a visit.

Ledgers hold names of people and enterprises, so an upload lives in a folder only its owner's
random session cookie reaches, and is deleted on 结束, after the visit's idle time, or at shutdown
(`Visits`). A zip is opened only after every member passed the checks a zip bomb or a path trick
would fail (`unpack`)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

#: What a ledger file may be; anything else in an upload (evalkit.toml, a README) is ignored.
LEDGER_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
_SYMLINK = 0o120000


@dataclass(frozen=True)
class UploadLimits:
    """How much one request may bring (issue 25): `max_bytes` per request, files, zip members."""

    max_bytes: int = 50 * 1024 * 1024
    max_files: int = 50
    max_members: int = 200
    max_ratio: int = 100  # uncompressed / compressed, per member

    @property
    def max_unpacked(self) -> int:
        return 10 * self.max_bytes


class Refused(Exception):
    """An upload or a request the server will not take: its HTTP status and the reason in both languages."""

    def __init__(self, status: int, en: str, zh: str):
        super().__init__(en)
        self.status, self.en, self.zh = status, en, zh

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _clean_name(name: str) -> str:
    """A file's own name, NFC, without any folder part a browser or a zip put before it."""
    return unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as it was typed: a zip made on a Chinese Windows stores GBK without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _check_member(info: zipfile.ZipInfo, name: str, limits: UploadLimits) -> None:
    """Refuse a member that escapes the folder, links elsewhere, nests a zip or inflates too much."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (name[1:2] == ":"):
        raise Refused(400, f"{name}: a path outside the zip's folder", f"{name}：路径指向压缩包以外，已拒绝")
    if (info.external_attr >> 16) & 0o170000 == _SYMLINK:
        raise Refused(400, f"{name}: a symbolic link", f"{name}：是符号链接，已拒绝")
    if name.lower().endswith(".zip"):
        raise Refused(400, f"{name}: a zip inside the zip", f"{name}：压缩包中不能再含压缩包")
    if info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise Refused(
            413,
            f"{name}: inflates more than {limits.max_ratio} times (a zip bomb?)",
            f"{name}：解压后膨胀超过 {limits.max_ratio} 倍（疑似压缩炸弹），已拒绝",
        )


def unpack(archive: BinaryIO, label: str, limits: UploadLimits, budget: int) -> list[tuple[str, bytes]]:
    """The ledger files of a zip, as (name, content), after checking every member first; at most
    `budget` bytes unpacked (what the request's earlier zips left of `limits.max_unpacked`)."""
    try:
        book = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise Refused(400, f"{label}: not a readable zip file", f"{label}：不是可读取的 zip 压缩包") from None
    with book:
        members = [info for info in book.infolist() if not info.is_dir()]
        if len(members) > limits.max_members:
            raise Refused(
                413,
                f"{label}: {len(members)} files, more than {limits.max_members}",
                f"{label}：含 {len(members)} 个文件，超过上限 {limits.max_members} 个",
            )
        named = [(info, _member_name(info)) for info in members]
        for info, name in named:
            _check_member(info, name, limits)
        if sum(info.file_size for info in members) > budget:
            raise Refused(
                413,
                f"{label}: more than {limits.max_unpacked // 2**20} MB unpacked",
                f"{label}：解压后超过 {limits.max_unpacked // 2**20} MB，已拒绝",
            )
        files = []
        for info, name in named:
            with book.open(info) as member:  # the sizes a zip states can lie: read no more than stated
                content = member.read(info.file_size + 1)
            if len(content) > info.file_size:
                raise Refused(400, f"{name}: larger than the zip says", f"{name}：实际大小与压缩包记录不符，已拒绝")
            files.append((f"{label}/{name}", content))
        return files


@dataclass
class Upload:
    """Where an upload was put and what of it was read (`files`) or ignored (`ignored`)."""

    folder: Path
    files: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def store(received: list[tuple[str, BinaryIO]], limits: UploadLimits, keep: Path | None = None) -> Upload:
    """Put the ledger files of `received` (name, content; zips unpacked) into a new private folder.

    A name taken twice gets ` (2)` (read as a copy of the same ledger, as docs/data-format.md says);
    a file that is not a ledger (a configuration file, a note) is ignored and listed."""
    if len(received) > limits.max_files:
        raise Refused(
            413,
            f"{len(received)} files, more than {limits.max_files} at once",
            f"一次上传了 {len(received)} 个文件，超过上限 {limits.max_files} 个",
        )
    if not received:
        raise Refused(400, "no file chosen", "没有选择文件")
    pieces: list[tuple[str, bytes]] = []
    unpacked = 0  # by all the request's zips together
    for name, content in received:
        label = _clean_name(name) or "upload"
        if label.lower().endswith(".zip"):
            members = unpack(content, label, limits, limits.max_unpacked - unpacked)
            unpacked += sum(len(member) for _, member in members)
            pieces += members
        else:
            pieces.append((label, content.read()))
    upload = Upload(Path(tempfile.mkdtemp(prefix="evalkit-upload-")))  # mode 0700: this user only
    try:
        _write(pieces, upload)
    except BaseException:  # a folder half written belongs to no visit: nothing else would delete it
        shutil.rmtree(upload.folder, ignore_errors=True)
        raise
    if keep is not None:
        kept = keep / f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
        shutil.copytree(upload.folder, kept)
    return upload


def _write(pieces: list[tuple[str, bytes]], upload: Upload) -> None:
    """The ledger files among `pieces` into the upload's folder, the others listed as ignored."""
    for shown, content in pieces:
        name = _clean_name(shown)
        if not name.lower().endswith(LEDGER_SUFFIXES) or name.startswith((".", "~$")):
            upload.ignored.append(shown)
            continue
        target = upload.folder / name
        stem, suffix, copy = target.stem, target.suffix, 2
        while target.exists():
            target, copy = upload.folder / f"{stem} ({copy}){suffix}", copy + 1
        target.write_bytes(content)
        upload.files.append(shown)


@dataclass
class Visit:
    """One visitor's state, found by its random session cookie: its upload, login and jobs."""

    id: str
    seen: float = field(default_factory=time.monotonic)
    upload: Upload | None = None
    inspection: object = None  # work.Inspection of the upload
    office: bool = False  # logged in with the token
    jobs: set[str] = field(default_factory=set)

    def drop_upload(self) -> None:
        if self.upload is not None:
            shutil.rmtree(self.upload.folder, ignore_errors=True)
        self.upload, self.inspection = None, None


class Visits:
    """The visits by session id; an idle one is ended, with its upload, after `idle` seconds."""

    def __init__(self, idle: float = 30 * 60):
        self.idle = idle
        self._visits: dict[str, Visit] = {}

    def get(self, visit_id: str | None) -> Visit | None:
        visit = self._visits.get(visit_id or "")
        if visit is not None:
            visit.seen = time.monotonic()
        return visit

    def start(self) -> Visit:
        visit = Visit(secrets.token_urlsafe(32))
        self._visits[visit.id] = visit
        return visit

    def renew(self, visit: Visit) -> Visit:
        """The same visit under a new id (after logging in, so an id known before is worth nothing)."""
        del self._visits[visit.id]
        visit.id = secrets.token_urlsafe(32)
        self._visits[visit.id] = visit
        return visit

    def end(self, visit: Visit) -> None:
        visit.drop_upload()
        self._visits.pop(visit.id, None)

    def sweep(self) -> list[Visit]:
        """End the visits idle for longer than `idle`; the ended ones."""
        now = time.monotonic()
        ended = [visit for visit in self._visits.values() if now - visit.seen > self.idle]
        for visit in ended:
            self.end(visit)
        return ended

    def end_all(self) -> None:
        for visit in list(self._visits.values()):
            self.end(visit)
