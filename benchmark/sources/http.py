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
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from ..errors import InputError
from ..logs import log
from ..parameters import HttpResource, HttpSource, Parameters
from ..workspace import DEBUGGING, SELECTION
from . import archives, gdrive
from .manifest import Manifest
from .transfer import Opener, TransferError, Transferred, hash_file, human, transfer

STAGING = ".download"  # under output_path: .part files, extraction folders, records
USER_AGENT = "dataperf-vision-harness (python-requests)"


class _Blocked(Exception):
    """Something already in the data folder is in the way (a folder where a file goes)."""


@dataclass(frozen=True)
class _Plan:
    resource: HttpResource
    name: str  # staging file stem: readable and unique per (url, destination, kind, path, strip)
    label: str  # for the progress bar
    drive_id: str | None

    @property
    def url(self) -> str:
        return self.resource.url


def fetch_resources(params: Parameters, data_root: Path) -> list[Path]:
    """Download every resource (or confirm it is already in place); return one path per resource."""
    http = params.download.http
    if not http.resources:
        raise InputError("download.source is http but download.http.resources lists nothing")
    plans = [_plan(r) for r in http.resources]  # refuses Drive folder links before any transfer
    staging = data_root / STAGING
    try:
        staging.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {staging}: {exc.strerror or exc}") from None
    _remove_stale_extractions(staging)
    placed = []
    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        for plan in plans:
            placed.append(_fetch(plan, http, session, data_root, staging))
    missing = missing_named_files(params, data_root, {r.destination for r in http.resources})
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InputError(f"the downloaded resources lack {len(missing)} file(s) the parameters name: {shown} "
                         f"(check the archives' layout, strip_components/path, and the paths in parameters.yaml)",
                         data_root)
    return placed


def _plan(resource: HttpResource) -> _Plan:
    try:
        drive_id = gdrive.file_id(resource.url)
    except gdrive.DriveError as exc:
        raise InputError(f"{resource.url}: {exc}") from None
    identity = "\n".join([resource.url, resource.destination, resource.kind, resource.path,
                          str(resource.strip_components)])
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:12]
    base = drive_id or unquote(urlsplit(resource.url).path.rstrip("/").rsplit("/", 1)[-1]) or "resource"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")[:48] or "resource"
    return _Plan(resource, f"{resource.destination}-{slug}-{digest}", slug, drive_id)


def _target(plan: _Plan, data_root: Path) -> Path:
    root = data_root / plan.resource.destination
    return root / plan.resource.path if plan.resource.path else root


def _fetch(plan: _Plan, http: HttpSource, session: requests.Session, data_root: Path, staging: Path) -> Path:
    r = plan.resource
    target = _target(plan, data_root)
    record_path = staging / f"{plan.name}.json"
    record = Manifest.load(record_path)
    if record is not None:
        problem = record.problem(data_root, r.sha256)
        if problem is None:
            if record.refreshed:
                record.save(record_path)
            log.info("%s: already present and verified in %s", r.url, target)
            return target
        log.info("%s: downloaded before, but %s; downloading again", r.url, problem)
    record_path.unlink(missing_ok=True)

    part = staging / f"{plan.name}.part"
    done = _download(plan, http, session, part)
    if r.sha256 is not None and done.sha256 != r.sha256.lower() and done.resumed:
        log.warning("%s: checksum mismatch after resuming; downloading the whole file again", r.url)
        part.unlink(missing_ok=True)
        done = _download(plan, http, session, part)
    if r.sha256 is not None and done.sha256 != r.sha256.lower():
        part.unlink(missing_ok=True)
        raise InputError(f"download of {r.url} failed: sha256 mismatch (expected {r.sha256.lower()}, "
                         f"got {done.sha256}; the file is corrupt or was changed by its publisher)")
    if r.sha256 is None:
        log.warning("%s: no sha256 in the parameters, so the download is not verified; it has sha256 %s",
                    r.url, done.sha256)

    record = Manifest(url=r.url, sha256=done.sha256, kind=r.kind)
    try:
        if r.kind == "file":
            _place_file(part, target)
            record.add_file(data_root, target, done.sha256)
        else:
            _extract_and_place(plan, part, target, staging, http.max_extracted_bytes, data_root, record)
            part.unlink(missing_ok=True)
        record.save(record_path)
    except archives.UnsafeArchive as exc:
        hint = " (the server sent an HTML page)" if _looks_like_html(part) else ""
        part.unlink(missing_ok=True)  # these bytes will never extract: do not resume them
        raise InputError(f"download of {r.url} failed: {exc}{hint}") from None
    except _Blocked as exc:
        raise InputError(f"download of {r.url} failed: {exc}") from None
    except OSError as exc:
        raise InputError(f"download of {r.url} failed: cannot write {exc.filename or target}: "
                         f"{exc.strerror or exc}") from None
    log.info("%s: %s in %s", r.url, "extracted" if r.kind != "file" else "saved", target)
    return target


def _download(plan: _Plan, http: HttpSource, session: requests.Session, part: Path) -> Transferred:
    r = plan.resource
    if plan.drive_id is not None:
        opener: Opener = gdrive.opener(session, plan.drive_id, http.drive_base_url, http.timeout_s)
        log.info("%s: fetching Google Drive file %s from %s", r.url, plan.drive_id, http.drive_base_url)
    else:
        def opener(headers: dict[str, str]) -> requests.Response:
            return session.get(r.url, headers=headers, stream=True, timeout=http.timeout_s)
        log.info("%s: fetching", r.url)
    try:
        return transfer(opener, part, plan.label, http.max_tries, http.backoff_s, checked=r.sha256 is not None)
    except (TransferError, gdrive.DriveError) as exc:
        raise InputError(f"download of {r.url} failed: {exc}") from None


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
    log.info("%s: extracting (at most %s; %s free)", r.url, human(max_bytes), human(free))
    work = Path(tempfile.mkdtemp(prefix=f"extract-{plan.name}-", dir=staging))
    try:
        entries = archives.extract(archive, r.kind, work, max_bytes, r.strip_components)  # type: ignore[arg-type]
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


def missing_named_files(params: Parameters, data_root: Path, destinations: set[str]) -> list[str]:
    """Files the parameters name that are absent (paths relative to data_root), for the given destinations."""
    named: list[tuple[str, str, bool]] = []  # (destination, path, may be a folder of part files)
    if SELECTION in destinations:
        named.append((SELECTION, params.selection.pool, True))
        for spec in params.selection.tasks.values():
            named += [(SELECTION, p, False) for p in (spec.test_set, spec.examples) if p]
    if DEBUGGING in destinations:
        for spec in params.debugging.data_ids.values():
            named += [(DEBUGGING, p, False) for p in (spec.train, spec.val, spec.test, spec.ground_truth) if p]
    missing = []
    for destination, rel, folder_ok in named:
        path = data_root / destination / rel
        present = path.is_file() or (folder_ok and path.is_dir() and any(path.rglob("*.parquet")))
        if not present:
            missing.append(f"{destination}/{rel}")
    return sorted(set(missing))
