"""download source "http": fetch the published resources, verify them, put them in place.

For each resource in ``download.http.resources``, in order:

1. skip it when a record of an earlier verified download says its files are all
   still in place (no request at all; see manifest.py);
2. stream it into ``<output_path>/.download/<name>.part`` with retries and Range
   resume (transfer.py; Google Drive links through gdrive.py);
3. check the sha256 (a mismatch after a resume gets one fresh download);
4. a file is renamed into place; an archive is extracted safely into a fresh
   folder in the staging area and its files are renamed into place only once
   extraction is complete (archives.py);
5. write the record, last.

Finally the files the parameters name (pool, test sets, examples, debugging
sets) are checked under each destination a resource filled. Every failure is an
InputError naming the URL and the cause. Nothing half-done ever sits at a final
path: the staging folder is hidden, partial data is only in ``.part`` files or
extraction folders there, and a resource without a record is fetched again.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

import requests

from ..errors import InputError, ResourceError
from ..formats.atomic import atomic_write_text
from ..formats.discovery import SKIPPED_FOLDERS, DataTree
from ..formats.parameters import HttpResource, HttpSource, Parameters
from ..logs import log
from ..workspace.layout import SELECTION
from . import archives, gdrive
from .manifest import Manifest
from .transfer import Opener, TransferError, Transferred, hash_file, human, transfer

STAGING = ".download"  # under output_path: .part files, extraction folders, records
USER_AGENT = "dataperf-vision-harness (python-requests)"


class _Blocked(Exception):
    """Something already in the data folder is in the way (a folder where a file goes)."""


@dataclass(frozen=True)
class _Plan:
    resource: HttpResource  # one file or archive (a folder resource is expanded into one plan per file)
    name: str  # staging file stem: readable and unique per (url, destination, kind, path, strip)
    label: str  # for the progress bar
    drive_id: str | None
    local: Path | None = None  # a file on this machine (fetched in a browser): copied, never downloaded
    shown: str = ""  # how messages name it, when not by resource.url (a file of a folder)
    accepted: frozenset[str] = frozenset()  # sha256 values it may have; empty: not verified

    @property
    def url(self) -> str:
        """How logs and errors name it: credentials redacted (never the URL to fetch)."""
        return self.shown or redact(self.resource.url)


SECRET_QUERY_KEYS = re.compile(r"(?i)^(x-amz-.*|.*token.*|.*secret.*|.*password.*|.*signature.*|sig|key|api_?key)$")


def redact(url: str) -> str:
    """The URL as it may be printed: no password, no token-like query values.

    Errors and logs end up in CI logs and shared terminals; a URL carrying
    credentials (``https://user:pass@host/``, signed links) must not leak them.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
        query = "&".join(
            f"{k}=***" if SECRET_QUERY_KEYS.match(unquote(k)) else (f"{k}={v}" if sep else k)
            for k, sep, v in (item.partition("=") for item in parts.query.split("&") if item))
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<unparsable URL>"


def _scrub(text: str, url: str) -> str:
    """``text`` with every secret part of ``url`` replaced (error messages may quote the URL)."""
    text = text.replace(url, redact(url))
    try:
        parts = urlsplit(url)
        secrets = [parts.password or ""] + [
            v for k, _, v in (item.partition("=") for item in parts.query.split("&"))
            if SECRET_QUERY_KEYS.match(unquote(k))]
    except ValueError:
        secrets = []
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


HANDOFF = "downloads"  # under output_path: <destination>/ holds what a browser fetched, used instead


def fetch_resources(params: Parameters, data_root: Path) -> list[Path]:
    """Download every resource (or confirm it is already in place); return one path per file or archive.

    What the user put in ``<data_root>/downloads/<destination>/`` (files fetched
    in a browser) replaces that destination's resources: no network is used for it.
    """
    http = params.download.http
    if not http.resources:
        raise InputError("download.source is http but download.http.resources lists nothing")
    for r in http.resources:  # refuses malformed Drive links before any transfer
        with _scrubbed(r.url):
            _plan(r, data_root)
    staging = data_root / STAGING
    try:
        staging.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {staging}: {exc.strerror or exc}") from None
    _remove_stale_extractions(staging)
    handed = handed_over(http.resources, data_root)
    work: list[tuple[HttpResource, frozenset[str] | None]] = [
        (r, None) for r in http.resources if r.destination not in handed]
    for destination, items in handed.items():
        log.info("%s: using what was put in %s instead of downloading its archives", destination,
                 data_root / HANDOFF / destination)
        work += items
    placed = []
    absent: set[tuple[str, str]] = set()  # (destination, path) of optional files that could not be fetched
    unreachable: dict[str, str] = {}  # host -> the optional URL it failed (offline: one round of retries, not one each)
    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        for r, accepted in work:
            with _scrubbed(r.url):
                unverified: list[tuple[_Plan, str]] = []
                host = urlsplit(r.url).hostname if r.optional and _local_path(r.url, data_root) is None else None
                if host in unreachable:
                    log.warning("%s: not tried, %s did not answer for %s (optional: going on without %s/%s)",
                                redact(r.url), host, unreachable[host], r.destination, r.path)
                    absent.add((r.destination, _normal_path(r.path)))
                    continue
                try:
                    for plan in _expand(r, http, session, data_root, staging, accepted):
                        placed.append(_fetch(plan, http, session, data_root, staging, unverified))
                except ChecksumMismatch:
                    raise
                except InputError as error:
                    if not r.optional:
                        raise
                    log.warning("%s (optional: going on without %s/%s)", error.message, r.destination, r.path)
                    absent.add((r.destination, _normal_path(r.path)))
                    if host and not (error.message.startswith("download of ") and " failed: HTTP " in error.message):
                        unreachable[host] = redact(r.url)
                _warn_unverified(r, unverified)
    check_named_files(params, data_root, {r.destination for r in http.resources}, absent)
    return placed


class ChecksumMismatch(InputError):
    """The bytes are not the published ones: an error even for an optional resource."""


def _normal_path(rel: str) -> str:
    return "/".join(p for p in rel.replace("\\", "/").split("/") if p not in ("", "."))


def _warn_unverified(r: HttpResource, unverified: list[tuple["_Plan", str]]) -> None:
    """One warning per resource whose digest the parameters do not give (not one per file of a folder)."""
    if len(unverified) == 1:
        plan, digest = unverified[0]
        log.warning("%s: no sha256 in the parameters, so the %s is not verified; it has sha256 %s",
                    plan.url, "file" if plan.local else "download", digest)
    elif unverified:
        log.warning("%s: no sha256 in the parameters, so its %d files are not verified (their sha256 are "
                    "recorded under %s/)", redact(r.url), len(unverified), STAGING)


@contextmanager
def _scrubbed(url: str) -> Iterator[None]:
    """Errors raised inside name ``url`` only with its credentials replaced."""
    try:
        yield
    except InputError as error:
        raise InputError(_scrub(error.message, url)) from None


def handed_over(resources: list[HttpResource],
                data_root: Path) -> dict[str, list[tuple[HttpResource, frozenset[str] | None]]]:
    """Per destination, local resources made of what is in ``downloads/<destination>/`` (if anything).

    What a browser or an unzip leaves there stands for the destination's published
    bundles (its archive and folder resources): an archive is checked against the
    sha256 values the parameters give for them (when they give any) and extracted;
    a folder is copied under its own name (``unzip -o`` of the debugging zip leaves
    ``embeddings/`` and ``data/``); a folder or file that is a top-level entry of a
    zip beside it is that zip's unpacked copy and skipped; ``__MACOSX/`` and hidden
    entries are skipped. The destination's single-file resources (the original
    repository's examples) are still fetched from their URLs, unless a file of the
    same name was put there (then it is verified against that resource's sha256).
    """
    handed: dict[str, list[tuple[HttpResource, frozenset[str] | None]]] = {}
    for destination in sorted({r.destination for r in resources}):
        folder = data_root / HANDOFF / destination
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith(".")
                         and p.name not in SKIPPED_FOLDERS) if folder.is_dir() else []
        if not entries:
            continue
        here = [r for r in resources if r.destination == destination]
        files_by_name = {_normal_path(r.path).rsplit("/", 1)[-1]: r for r in here if r.kind == "file"}
        accepted = frozenset(r.sha256.lower() for r in here if r.kind != "file" and r.sha256)
        unpacked = {name for entry in entries if entry.is_file() and _kind_by_name(entry.name) == "zip"
                    for name in _zip_top_level(entry)}
        items: list[tuple[HttpResource, frozenset[str] | None]] = []
        for entry in entries:
            if entry.name in unpacked:
                log.info("%s: the unpacked copy of an archive beside it; the archive is used", entry)
                continue
            if entry.is_dir():
                items.append((HttpResource(url=str(entry.resolve()), destination=destination,  # type: ignore[arg-type]
                                           kind="folder", path=entry.name), frozenset()))
                continue
            kind = _kind_by_name(entry.name)
            original = files_by_name.get(entry.name) if kind == "file" else None
            if original is not None:  # stands for that resource, verified like it
                resource = HttpResource(url=str(entry.resolve()), destination=destination, kind="file",
                                        path=original.path)
                items.append((resource, frozenset({original.sha256.lower()}) if original.sha256 else frozenset()))
                continue
            resource = HttpResource(url=str(entry.resolve()), destination=destination, kind=kind,  # type: ignore[arg-type]
                                    path=entry.name if kind == "file" else "")
            items.append((resource, accepted))
        standing_for_files = {e.name for e in entries if e.is_file() and e.name in files_by_name}
        bundles = any(e.name not in standing_for_files for e in entries)  # an archive or folder was handed over
        replaced = ({id(r) for r in here if r.kind != "file"} if bundles else set()) | {
            id(files_by_name[name]) for name in standing_for_files}
        handed[destination] = items + [(r, None) for r in here if id(r) not in replaced]
    return handed


def _zip_top_level(path: Path) -> set[str]:
    """The first path components of a zip's entries (empty when it cannot be read: extraction will say why)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return {n.replace("\\", "/").lstrip("/").split("/", 1)[0] for n in zf.namelist()} - {"", ".."}
    except (OSError, zipfile.BadZipFile, ValueError):
        return set()


def _kind_by_name(name: str) -> str:
    lower = name.lower()
    return "zip" if lower.endswith(".zip") else "tar.gz" if lower.endswith((".tar.gz", ".tgz")) else "file"


def _local_path(url: str, data_root: Path) -> Path | None:
    """The path of a file: URL or a local path (relative to the data folder); None for http(s)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    path = Path(url).expanduser()
    return path if path.is_absolute() else data_root / path


def _plan(resource: HttpResource, data_root: Path, shown: str = "", drive_id: str | None = None,
          accepted: frozenset[str] | None = None) -> _Plan:
    local = _local_path(resource.url, data_root)
    if drive_id is None and local is None:
        try:
            drive_id = None if resource.kind == "folder" else gdrive.file_id(resource.url)
            if resource.kind == "folder" and gdrive.folder_id(resource.url) is None:
                raise gdrive.DriveError("kind folder needs a Google Drive folder link or a local folder")
        except gdrive.DriveError as exc:
            raise InputError(f"{resource.url}: {exc}") from None
    identity = "\n".join([resource.url, resource.destination, resource.kind, resource.path,
                          str(resource.strip_components)])
    if local is not None and local.is_file():  # a local file replaced by another is taken again
        identity += f"\n{local.stat().st_size}\n{local.stat().st_mtime_ns}"
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:12]
    base = drive_id or unquote(urlsplit(resource.url).path.rstrip("/").rsplit("/", 1)[-1]) or "resource"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")[:48] or "resource"
    if accepted is None:
        accepted = frozenset({resource.sha256.lower()}) if resource.sha256 else frozenset()
    label = shown.rsplit("[", 1)[-1].rstrip("]").rsplit("/", 1)[-1] if shown else slug  # a folder's file: its name
    return _Plan(resource, f"{resource.destination}-{slug}-{digest}", label, drive_id, local, shown, accepted)


def _expand(r: HttpResource, http: HttpSource, session: requests.Session, data_root: Path, staging: Path,
            accepted: frozenset[str] | None = None) -> list[_Plan]:
    """The plans of one resource: itself, or one per file of a folder (Drive or local)."""
    if r.kind != "folder":
        return [_plan(r, data_root, accepted=accepted)]
    local = _local_path(r.url, data_root)
    if local is None:
        return _member_plans(r, _drive_listing(r, http, session, data_root, staging), data_root)
    if not local.is_dir():
        raise InputError(f"{r.url}: {'no such folder' if not local.exists() else 'not a folder'}")
    members = [_Member(p.relative_to(local).as_posix(), None, p) for p in sorted(local.rglob("*"))
               if p.is_file() and not any(part.startswith(".") or part in SKIPPED_FOLDERS
                                          for part in p.relative_to(local).parts)]
    if not members:
        raise InputError(f"{r.url}: the folder holds no files")
    return _member_plans(r, members, data_root)


@dataclass(frozen=True)
class _Member:
    """One file of a folder resource: its path inside the folder, and where it comes from."""

    path: str
    drive_id: str | None
    local: Path | None


def _member_plans(r: HttpResource, members: list[_Member] | list[gdrive.DriveFile], data_root: Path) -> list[_Plan]:
    """A plan per chosen file: archives are extracted into the folder they sit in, other files kept as named."""
    listed = [m if isinstance(m, _Member) else _Member(m.path, m.id, None) for m in members]
    plans = []
    for m in _chosen(r, listed):
        kind = _kind_by_name(m.path)
        folder_part = m.path.rsplit("/", 1)[0] if "/" in m.path else ""
        where = "/".join(p for p in (r.path, m.path if kind == "file" else folder_part) if p)
        url = str(m.local) if m.local is not None else f"https://drive.google.com/file/d/{m.drive_id}/view"
        member = HttpResource(url=url, destination=r.destination, kind=kind, path=where)  # type: ignore[arg-type]
        plans.append(_plan(member, data_root, shown=f"{redact(r.url)} [{m.path}]", drive_id=m.drive_id))
    return plans


def _chosen(r: HttpResource, members: list[_Member]) -> list[_Member]:
    """The members a folder resource names in ``files`` (by path inside it, or by file name); all if none."""
    if not r.files:
        return members
    chosen: list[_Member] = []
    for wanted in r.files:
        rel = "/".join(p for p in wanted.replace("\\", "/").split("/") if p not in ("", "."))
        hits = [m for m in members if m.path == rel] or [m for m in members if m.path.rsplit("/", 1)[-1] == rel]
        if len(hits) != 1:
            paths = [m.path for m in members]
            shown = ", ".join(paths[:8]) + (f" and {len(paths) - 8} more" if len(paths) > 8 else "")
            raise InputError(f"{r.url}: the folder holds {'no' if not hits else 'more than one'} file {wanted!r} "
                             f"(it holds: {shown})")
        chosen += [m for m in hits if m not in chosen]
    return chosen


def _drive_listing(r: HttpResource, http: HttpSource, session: requests.Session, data_root: Path,
                   staging: Path) -> list[gdrive.DriveFile]:
    """The folder's files: the recorded listing while every file it led to is still in place, else a fresh one."""
    folder = gdrive.folder_id(r.url)
    assert folder is not None  # _plan checked the link
    record = staging / f"{_plan(r, data_root).name}.listing.json"
    try:
        recorded = [gdrive.DriveFile(**f) for f in json.loads(record.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        recorded = []
    if recorded and all(_intact(p, data_root, staging) for p in _member_plans(r, recorded, data_root)):
        return recorded
    log.info("%s: listing the Google Drive folder %s at %s", redact(r.url), folder, http.drive_base_url)
    try:
        listing = gdrive.list_folder(session, folder, http.drive_base_url, http.timeout_s,
                                     handoff=_handoff_hint(data_root, r.destination), max_tries=http.max_tries,
                                     backoff_s=http.backoff_s)
    except gdrive.DriveError as exc:
        raise InputError(f"download of {r.url} failed: {exc}") from None
    atomic_write_text(record, json.dumps([{"id": f.id, "path": f.path} for f in listing], indent=1) + "\n")
    return listing


def _intact(plan: _Plan, data_root: Path, staging: Path) -> bool:
    record = Manifest.load(staging / f"{plan.name}.json")
    return record is not None and record.problem(data_root, None) is None


def _handoff_hint(data_root: Path, destination: str) -> str:
    return (f"open the link in a browser, download it there and put it (archive or folder) in "
            f"{data_root / HANDOFF / destination}/, then run download again")


def _target(plan: _Plan, data_root: Path) -> Path:
    root = data_root / plan.resource.destination
    return root / plan.resource.path if plan.resource.path else root


def _fetch(plan: _Plan, http: HttpSource, session: requests.Session, data_root: Path, staging: Path,
           unverified: list[tuple[_Plan, str]]) -> Path:
    r = plan.resource
    deadline = time.monotonic() + http.deadline_s  # one deadline for the resource, a second download included
    target = _target(plan, data_root)
    record_path = staging / f"{plan.name}.json"
    record = Manifest.load(record_path)
    expected = next(iter(plan.accepted)) if len(plan.accepted) == 1 else None
    if record is not None:
        problem = record.problem(data_root, expected)
        if problem is None and (not plan.accepted or record.sha256 in plan.accepted):
            if record.refreshed:
                record.save(record_path)
            log.info("%s: already present and verified in %s", plan.url, target)
            return target
        log.info("%s: %s before, but %s; %s again", plan.url, "taken" if plan.local else "downloaded",
                 problem or "the sha256 in the parameters differs", "taking it" if plan.local else "downloading")
    record_path.unlink(missing_ok=True)

    part = staging / f"{plan.name}.part"
    if plan.local is not None and r.kind != "file":
        source, done = plan.local, _local(plan, None)  # an archive on this machine is extracted where it is
    else:
        source, done = part, _download(plan, http, session, part, deadline)
    if plan.accepted and done.sha256 not in plan.accepted and done.resumed:
        log.warning("%s: checksum mismatch after resuming; downloading the whole file again", plan.url)
        part.unlink(missing_ok=True)
        done = _download(plan, http, session, part, deadline)
    if plan.accepted and done.sha256 not in plan.accepted:
        part.unlink(missing_ok=True)
        wanted = " or ".join(sorted(plan.accepted))
        raise ChecksumMismatch(f"{'download of ' * (plan.local is None)}{plan.url} failed: sha256 mismatch (expected "
                         f"{wanted}, got {done.sha256}; the file is corrupt, was changed by its publisher, or is "
                         f"not the published file)")
    if not plan.accepted:
        unverified.append((plan, done.sha256))

    record = Manifest(url=plan.url, sha256=done.sha256, kind=r.kind)
    try:
        if r.kind == "file":
            _place_file(part, target)
            record.add_file(data_root, target, done.sha256)
        else:
            _extract_and_place(plan, source, target, staging, http.max_extracted_bytes, data_root, record)
            part.unlink(missing_ok=True)
        record.save(record_path)
    except archives.UnsafeArchive as exc:
        hint = " (the server sent an HTML page)" if _looks_like_html(source) else ""
        part.unlink(missing_ok=True)  # these bytes will never extract: do not resume them
        raise InputError(f"{'download of ' * (plan.local is None)}{plan.url} failed: {exc}{hint}") from None
    except _Blocked as exc:
        raise InputError(f"download of {plan.url} failed: {exc}") from None
    except OSError as exc:
        raise InputError(f"download of {plan.url} failed: cannot write {exc.filename or target}: "
                         f"{exc.strerror or exc}") from None
    log.info("%s: %s in %s", plan.url, "extracted" if r.kind != "file" else "saved", target)
    return target


def _download(plan: _Plan, http: HttpSource, session: requests.Session, part: Path,
              deadline: float) -> Transferred:
    r = plan.resource
    if plan.local is not None:
        return _local(plan, part)
    if plan.drive_id is not None:
        opener: Opener = gdrive.opener(session, plan.drive_id, http.drive_base_url, http.timeout_s,
                                       handoff=_handoff_hint(part.parent.parent, r.destination))
        log.info("%s: fetching Google Drive file %s from %s", plan.url, plan.drive_id, http.drive_base_url)
    else:
        def opener(headers: dict[str, str]) -> requests.Response:
            return session.get(r.url, headers=headers, stream=True, timeout=http.timeout_s)
        log.info("%s: fetching", plan.url)
    try:
        return transfer(opener, part, plan.label, http.max_tries, http.backoff_s, checked=bool(plan.accepted),
                        deadline=deadline)
    except (TransferError, gdrive.DriveError) as exc:
        raise InputError(f"download of {plan.url} failed: {exc}") from None


def _local(plan: _Plan, part: Path | None) -> Transferred:
    """A file fetched in a browser: hashed (and copied into ``part`` when given); no network."""
    assert plan.local is not None
    source = plan.local
    if not source.is_file():
        raise InputError(f"{plan.url}: {'no such file' if not source.exists() else 'not a file'}")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(source, "rb") as handle, (open(part, "wb") if part is not None else nullcontext()) as out:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
    except OSError as exc:
        raise InputError(f"{plan.url}: cannot read or copy it: {exc.strerror or exc}") from None
    return Transferred(digest.hexdigest(), size, resumed=False)


def _place_file(part: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        raise _Blocked(f"{target} is a folder, cannot put the file there")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(part, 0o644)
    _replace(part, target)


def _extract_and_place(plan: _Plan, archive: Path, target: Path, staging: Path, max_bytes: int,
                       data_root: Path, record: Manifest) -> None:
    """Extract into a fresh folder next to the staging files; move entries into place when complete."""
    r = plan.resource
    free = shutil.disk_usage(staging).free
    log.info("%s: extracting (at most %s; %s free)", plan.url, human(max_bytes), human(free))
    work = Path(tempfile.mkdtemp(prefix=f"extract-{plan.name}-", dir=staging))
    try:
        entries = archives.extract(archive, r.kind, work, max_bytes, r.strip_components)  # type: ignore[arg-type]
        entries = _extract_inner_archives(work, entries, max_bytes)
        if not entries:
            raise archives.UnsafeArchive("the archive holds no files")
        for entry in entries:  # first check every destination, then move
            _check_free(target / entry.name, target)
        for entry in entries:
            destination = target / entry.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            _replace(work / entry.name, destination)
            if entry.link is not None:
                record.add_link(data_root, destination)
            else:
                record.add_file(data_root, destination, entry.sha256 or hash_file(destination))
    finally:
        shutil.rmtree(work, ignore_errors=True)


MAX_ARCHIVE_NESTING = 3  # a Drive folder download: a zip of the folder, holding the published zip


def _extract_inner_archives(work: Path, entries: list[archives.Extracted], max_bytes: int,
                            depth: int = 1) -> list[archives.Extracted]:
    """Archives inside the archive are extracted where they sit, and only their content is kept.

    A Drive folder downloaded in a browser arrives as ``<folder>-<timestamp>-001.zip``
    holding the published zip; the evaluations need what that one holds. Entries
    under ``__MACOSX/`` or with hidden names (``._x.zip``) are never taken for archives.
    Every byte counts against the same ``max_extracted_bytes``.
    """
    inner = [e for e in entries if e.link is None and _kind_by_name(e.name) != "file"
             and not any(p.startswith(".") or p in SKIPPED_FOLDERS for p in e.name.split("/"))]
    if not inner:
        return entries
    if depth > MAX_ARCHIVE_NESTING:
        raise archives.UnsafeArchive(f"archives nested more than {MAX_ARCHIVE_NESTING} deep ({inner[0].name})")
    kept = {e.name: e for e in entries if e not in inner}
    for archive in inner:
        budget = max_bytes - sum(e.size for e in kept.values())
        scratch = Path(tempfile.mkdtemp(prefix=".inner-", dir=work))
        try:
            try:
                found = archives.extract(work / archive.name, _kind_by_name(archive.name), scratch,  # type: ignore[arg-type]
                                         budget)
            except archives.UnsafeArchive as exc:
                raise archives.UnsafeArchive(f"{archive.name} inside it: {exc}") from None
            found = _extract_inner_archives(scratch, found, budget, depth + 1)
            parent = archive.name.rsplit("/", 1)[0] if "/" in archive.name else ""
            (work / archive.name).unlink()
            for entry in found:
                name = f"{parent}/{entry.name}" if parent else entry.name
                if name in kept or (work / name).is_dir():
                    raise archives.UnsafeArchive(f"{name} of {archive.name} collides with an entry beside it")
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(scratch / entry.name, work / name)
                kept[name] = archives.Extracted(name, entry.size, entry.sha256, entry.link)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return sorted(kept.values(), key=lambda e: e.name)


def _check_free(destination: Path, target: Path) -> None:
    """An entry may replace a file or link, never a folder; below the target, parents must be real folders.

    (The target itself may be a link, e.g. data_path/selection pointing to a bigger disk.)
    """
    if destination.is_dir() and not destination.is_symlink():
        raise _Blocked(f"{destination} is a folder, cannot put a file there")
    for parent in destination.parents:
        if parent == target:
            break
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            raise _Blocked(f"{parent} is not a folder, cannot extract into it")


def _replace(source: Path, destination: Path) -> None:
    """Atomic rename; across file systems, copy to a hidden temporary next to the target first."""
    try:
        os.replace(source, destination)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
        os.close(fd)
        try:
            if source.is_symlink():
                os.unlink(tmp)
                os.symlink(os.readlink(source), tmp)
            else:
                shutil.copy2(source, tmp)
            os.replace(tmp, destination)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _remove_stale_extractions(staging: Path) -> None:
    """Extraction folders left by a killed run (never complete; the record is what counts)."""
    for old in staging.glob("extract-*"):
        shutil.rmtree(old, ignore_errors=True)


def _looks_like_html(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(512).lstrip().lower()
    except OSError:
        return False
    return head.startswith((b"<!doctype html", b"<html"))


def check_named_files(params: Parameters, data_root: Path, destinations: set[str],
                      absent_optional: Collection[tuple[str, str]] = ()) -> None:
    """The files the parameters name are all there (where they name none, the evaluations discover them).

    Named paths are found at any depth (discovery.py), so an archive nested one
    folder deeper than documented still works. Raises one InputError listing what
    is missing and what was found instead.
    """
    missing, found = [], []
    for destination in sorted(destinations):
        root = data_root / destination
        if not root.is_dir():
            missing.append(f"{destination}/ (nothing was placed there)")
            continue
        tree = DataTree.scan(root)
        named: list[tuple[str, bool]] = []  # (path, may be a folder of part files)
        if destination == SELECTION:
            named.append((params.selection.pool, True))
            named += [(p, False) for spec in params.selection.tasks.values() for p in (spec.test_set, spec.examples)
                      if p]
        else:
            named += [(p, False) for spec in params.debugging.data_ids.values()
                      for p in (spec.train, spec.val, spec.test, spec.ground_truth) if p]
        absent = []
        for rel, folder_ok in named:
            if (destination, _normal_path(rel)) in absent_optional:
                continue  # an optional file that could not be fetched (already said)
            try:
                tree.locate(rel, "file", folder_ok=folder_ok)
            except ResourceError as exc:
                if "ambiguous" in exc.problem:
                    raise InputError(f"the downloaded resources do not fit: {exc.problem}", root) from None
                absent.append(f"{destination}/{rel}")
        missing += sorted(set(absent))
        if absent:
            found += [f"{destination}/{f}" for f in tree.files if f.endswith((".parquet", ".csv", ".zip", ".gz"))]
    if missing:
        def listed(items: list[str]) -> str:
            return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "") or "nothing"
        raise InputError(f"the downloaded resources lack {len(missing)} file(s) the parameters name: "
                         f"{listed(missing)}; found instead: {listed(sorted(found))} (check the resources and the "
                         f"paths in the parameters file)", data_root)
