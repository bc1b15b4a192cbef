"""Safe extraction of downloaded zip and tar.gz archives.

An archive is untrusted input: an entry may try to write outside the target
(absolute path, ``..``, a link pointing outside followed by a write through it),
or expand to far more data than the disk holds. Every entry is checked before
anything is written, entries are written by this module (never by
``extractall``), only regular files, directories and links that stay inside are
allowed, and the bytes actually written are counted against a limit, so even an
archive that lies about its sizes cannot exceed it. Every member is verified
before it is recorded: its size against the size its header declares, a zip
member's CRC-32 (zipfile checks it at the end of the member) and a tar.gz's
gzip CRC-32 and length (read to the end of the gzip stream, which tarfile's
stream mode never checks). A file is created afresh (never written through an
existing name or link), so a name that appears twice is refused instead of
rewriting an earlier entry through a hard link. Extraction goes into a fresh
folder; the caller moves the result into place only when it is complete.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import posixpath
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Literal

from ..errors import excerpt

CHUNK = 1 << 20


class UnsafeArchive(Exception):
    """The archive is malformed, unsafe or too large (message: one line, no path prefix)."""


@dataclass(frozen=True)
class Extracted:
    """One extracted file or link, relative to the extraction root (POSIX separators)."""

    name: str
    size: int = 0
    sha256: str | None = None  # None for links
    link: str | None = None  # symlink target, as stored in the archive


def clean_name(raw: str, strip_components: int = 0) -> str | None:
    """The safe relative POSIX path of an entry, None when stripped away; raises when unsafe."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\x00" in name:
        raise UnsafeArchive(f"entry {excerpt(raw, 120)} has an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"entry {excerpt(raw, 120)} points outside the archive (..)")
    parts = parts[strip_components:]
    return "/".join(parts) if parts else None


def _link_target_ok(target: str) -> bool:
    """Relative, and any ``..`` only at the start: then resolving it from a real folder is lexical.

    (``a/../x`` is refused: if ``a`` were a link to ``.``, the kernel would climb out of the root.)
    """
    if not target or target.startswith("/") or "\\" in target or "\x00" in target \
            or (len(target) > 1 and target[1] == ":"):
        return False
    parts = [p for p in target.split("/") if p not in ("", ".")]
    first_down = next((i for i, p in enumerate(parts) if p != ".."), len(parts))
    return bool(parts) and ".." not in parts[first_down:]


class _Writer:
    """Writes entries under ``root``, refusing anything that would land outside it."""

    def __init__(self, root: Path, max_bytes: int):
        self.root = root
        self.real_root = os.path.realpath(root)
        self.max_bytes = max_bytes
        self.written = 0
        self.entries: dict[str, Extracted] = {}

    def _inside(self, real: str) -> bool:
        return real == self.real_root or real.startswith(self.real_root + os.sep)

    def _target(self, name: str) -> Path:
        path = self.root / name
        if not self._inside(os.path.realpath(path.parent)):
            raise UnsafeArchive(f"entry {excerpt(name, 120)} would be written through a link pointing outside")
        if path.is_symlink():
            raise UnsafeArchive(f"entry {excerpt(name, 120)} would overwrite a link")
        return path

    def directory(self, name: str) -> None:
        if posixpath.dirname(name):
            self._parents(name)
        path = self._target(name)
        if os.path.lexists(path) and not path.is_dir() or name in self.entries:
            raise UnsafeArchive(f"entry {excerpt(name, 120)} is both a file and a folder")
        path.mkdir(parents=True, exist_ok=True)

    def _new(self, name: str) -> None:
        if name in self.entries:
            raise UnsafeArchive(f"entry {excerpt(name, 120)} appears twice in the archive")

    def file(self, name: str, source: BinaryIO, declared_size: int, executable: bool = False) -> None:
        self._new(name)
        self._parents(name)
        path = self._target(name)
        if path.is_dir():
            raise UnsafeArchive(f"entry {excerpt(name, 120)} is both a file and a folder")
        digest = hashlib.sha256()
        size = 0
        try:  # "x": a fresh file (O_EXCL), never one that exists (a hard link's other name) nor a link
            out = open(path, "xb")
        except FileExistsError:
            raise UnsafeArchive(f"entry {excerpt(name, 120)} would overwrite an entry") from None
        with out:
            while chunk := _read(source):
                size += len(chunk)
                self.written += len(chunk)
                if self.written > self.max_bytes:
                    raise UnsafeArchive(f"archive expands to more than max_extracted_bytes={self.max_bytes}")
                digest.update(chunk)
                out.write(chunk)
        if size != declared_size:
            raise UnsafeArchive(f"entry {excerpt(name, 120)} holds {size} bytes, "
                                f"but its header declares {declared_size}")
        os.chmod(path, 0o755 if executable else 0o644)
        self.entries[name] = Extracted(name, size, digest.hexdigest())

    def symlink(self, name: str, target: str) -> None:
        self._new(name)
        self._parents(name)
        path = self._target(name)
        resolved = os.path.normpath(os.path.join(os.path.realpath(path.parent), target))
        if not _link_target_ok(target) or not self._inside(resolved):
            raise UnsafeArchive(f"link {excerpt(name, 120)} -> {excerpt(target, 120)} points outside the archive")
        if path.exists():
            raise UnsafeArchive(f"link {excerpt(name, 120)} would overwrite an entry")
        os.symlink(target, path)
        self.entries[name] = Extracted(name, link=target)

    def hardlink(self, name: str, target: str) -> None:
        if target not in self.entries or self.entries[target].link is not None:
            raise UnsafeArchive(f"hard link {excerpt(name, 120)} -> {excerpt(target, 120)} does not point to a "
                                "file extracted before it")
        self._new(name)
        self._parents(name)
        path = self._target(name)
        if path.exists():
            raise UnsafeArchive(f"hard link {excerpt(name, 120)} would overwrite an entry")
        os.link(self.root / target, path)
        original = self.entries[target]
        self.entries[name] = Extracted(name, original.size, original.sha256)

    def _parents(self, name: str) -> None:
        parent = posixpath.dirname(name)
        if parent:
            self._target(parent)  # the parent chain must stay inside before we create it
            parts = parent.split("/")
            for depth in range(1, len(parts) + 1):  # found by the fuzzer: a file "d", then "d/b.txt"
                folder = "/".join(parts[:depth])
                if folder in self.entries or (os.path.lexists(self.root / folder) and not
                                              (self.root / folder).is_dir()):
                    raise UnsafeArchive(f"entry {excerpt(name, 120)} is inside {excerpt(folder, 120)}, "
                                        "which is not a folder")
            (self.root / parent).mkdir(parents=True, exist_ok=True)


def _read(source: BinaryIO) -> bytes:
    """One chunk of an archive member; a read error of the archive's bytes is the archive's fault.

    (Found by the fuzzer: a damaged zip makes zipfile seek to a negative offset, OSError EINVAL.)
    Errors of the files written stay OSError, so a full disk is reported as a full disk.
    """
    try:
        return source.read(CHUNK)
    except OSError as exc:
        if isinstance(exc, (gzip.BadGzipFile, zipfile.BadZipFile)):
            raise
        raise UnsafeArchive(f"not a readable archive ({exc.strerror or _first_line(exc)})") from None


def extract(archive: Path, kind: Literal["zip", "tar.gz"], root: Path, max_bytes: int,
            strip_components: int = 0) -> list[Extracted]:
    """Extract ``archive`` into the existing empty folder ``root``; raise UnsafeArchive on any problem."""
    writer = _Writer(root, max_bytes)
    try:
        if kind == "zip":
            _extract_zip(archive, writer, strip_components)
        else:
            _extract_tar(archive, writer, strip_components)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # zlib.error: a corrupt deflate stream; BadZipFile and BadGzipFile also report CRC mismatches
        raise UnsafeArchive(f"not a readable {kind} archive ({_first_line(exc)})") from None
    except (UnicodeDecodeError, ValueError, NotImplementedError, RuntimeError) as exc:
        # zipfile raises these for encrypted entries, unknown compression, bad names
        raise UnsafeArchive(f"cannot extract the {kind} archive ({_first_line(exc)})") from None
    return sorted(writer.entries.values(), key=lambda e: e.name)


def _extract_zip(archive: Path, writer: _Writer, strip: int) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except OSError as exc:
        if isinstance(exc, zipfile.BadZipFile):
            raise
        raise UnsafeArchive(f"not a readable zip archive ({exc.strerror or _first_line(exc)})") from None
    with zf:
        infos = zf.infolist()
        names = [(info, clean_name(info.filename, strip)) for info in infos]  # validate all first
        declared = sum(info.file_size for info in infos)
        if declared > writer.max_bytes:
            raise UnsafeArchive(f"archive expands to {declared} bytes, more than "
                                f"max_extracted_bytes={writer.max_bytes}")
        for info, name in names:
            mode = info.external_attr >> 16
            if name is None:
                continue
            if info.is_dir():
                writer.directory(name)
            elif stat.S_ISLNK(mode):
                if info.file_size > 4096:
                    raise UnsafeArchive(f"link {excerpt(info.filename, 120)} has an implausible target")
                with _reading_zip():
                    target = zf.read(info).decode("utf-8")
                writer.symlink(name, target)
            elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: made without Unix attributes
                raise UnsafeArchive(f"entry {excerpt(info.filename, 120)} is not a file, folder or link")
            else:
                with _reading_zip():
                    source = zf.open(info)
                with source:  # raises BadZipFile on a CRC mismatch at the member's end
                    writer.file(name, source, info.file_size, executable=bool(mode & 0o111))


@contextlib.contextmanager
def _reading_zip() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if isinstance(exc, zipfile.BadZipFile):
            raise
        raise UnsafeArchive(f"not a readable zip archive ({exc.strerror or _first_line(exc)})") from None


def _members(tf: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while (member := tf.next()) is not None:
        yield member


def _extract_tar(archive: Path, writer: _Writer, strip: int) -> None:
    # Stream mode over gzip.GzipFile: one pass; sizes are counted as entries are written, and the
    # gzip stream is read to its end, where GzipFile checks the CRC-32 and length of what it inflated.
    with gzip.open(archive, "rb") as gz, tarfile.open(fileobj=gz, mode="r|") as tf:
        _extract_members(tf, writer, strip)
        while gz.read(CHUNK):  # past the end-of-archive blocks; raises BadGzipFile on a CRC mismatch
            pass


def _extract_members(tf: tarfile.TarFile, writer: _Writer, strip: int) -> None:
    for member in _members(tf):
        name = clean_name(member.name, strip)
        if name is None:
            continue
        if member.isdir():
            writer.directory(name)
        elif member.issym():
            writer.symlink(name, member.linkname)
        elif member.islnk():
            target = clean_name(member.linkname, strip)
            writer.hardlink(name, target or "")
        elif member.isreg():
            source = tf.extractfile(member)
            assert source is not None  # regular files always have data
            writer.file(name, source, member.size, executable=bool(member.mode & 0o111))
        else:
            raise UnsafeArchive(f"entry {excerpt(member.name, 120)} is not a file, folder or link")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
