"""One HTTP transfer into a ``.part`` file: retries with backoff, Range resume, sha256.

Connection errors, timeouts, cut-off bodies and 5xx/429 answers are retried with
exponential backoff, at most ``max_tries`` attempts in all. An attempt that
finds a ``.part`` file asks for the rest with ``Range`` (and ``If-Range`` when
the server gave a validator, so a file changed on the server is sent whole);
a server that ignores Range answers 200 and the file starts over. The bytes are
stored exactly as sent (no content decoding), so the sha256 is the sha256 of
the published file. The ``.part`` file lives in a hidden staging folder and is
only ever renamed into place by the caller after verification.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests
import urllib3.exceptions
from tqdm import tqdm

from ..logs import Throttled, log, on_terminal, progress_bar

CHUNK = 1 << 20
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
MAX_DELAY_S = 300.0
DEADLINE_SETTING = "download.http.deadline_s"  # named in messages

Opener = Callable[[dict[str, str]], requests.Response]


class TransferError(Exception):
    """The transfer failed for good (one-line cause, without the URL)."""


class _Retry(Exception):
    """This attempt failed in a way worth another try."""

    def __init__(self, cause: str, retry_after: float | None = None):
        super().__init__(cause)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Transferred:
    sha256: str
    size: int
    resumed: bool  # some bytes came from an earlier attempt (or run)


def transfer(open_response: Opener, part: Path, label: str, max_tries: int, backoff_s: float,
             checked: bool = True, deadline: float | None = None) -> Transferred:
    """Fetch into ``part`` (resuming what is there); raise TransferError with the cause.

    ``checked``: the caller verifies a sha256 afterwards. Without one, a ``.part``
    is only resumed when the server gave a validator for If-Range; otherwise a
    file changed on the server could be spliced unnoticed, so it starts over.
    ``deadline``: a ``time.monotonic()`` instant by which the whole transfer, attempts
    and waits included, must be done (a per-read timeout alone lets a server trickle
    bytes forever).
    """
    validator_file = part.with_name(part.name + ".validator")
    resumed = False
    attempt = 0
    while True:
        attempt += 1
        if deadline is not None and time.monotonic() > deadline:
            raise TransferError(f"not complete within {DEADLINE_SETTING}")
        try:
            if part.exists() and not checked and not validator_file.exists():
                part.unlink()
            size, digest, from_offset = _attempt(open_response, part, validator_file, label, deadline)
            resumed = resumed or from_offset > 0
            validator_file.unlink(missing_ok=True)
            return Transferred(digest, size, resumed)
        except (_Retry, requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError) as exc:
            cause = describe(exc)
            if attempt >= max_tries:
                raise TransferError(f"{cause} (gave up after {attempt} attempt{'s' * (attempt > 1)})") from None
            delay = min(backoff_s * 2 ** (attempt - 1), MAX_DELAY_S)
            if isinstance(exc, _Retry) and exc.retry_after is not None:
                delay = min(max(delay, exc.retry_after), MAX_DELAY_S)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise TransferError(f"{cause}; no time left for another attempt within {DEADLINE_SETTING}") from None
            log.warning("%s: %s; attempt %d of %d in %.3g s", label, cause, attempt + 1, max_tries, delay)
            time.sleep(delay)
        except requests.RequestException as exc:  # invalid URL, too many redirects, ...
            raise TransferError(describe(exc)) from None
        except OSError as exc:  # the local side: disk full, permissions
            raise TransferError(f"cannot write {exc.filename or part}: {exc.strerror or exc}") from None


def _attempt(open_response: Opener, part: Path, validator_file: Path, label: str,
             deadline: float | None = None) -> tuple[int, str, int]:
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator_file.exists():
            headers["If-Range"] = validator_file.read_text(encoding="utf-8").strip()
    with open_response(headers) as response:
        status = response.status_code
        if status == 416 and offset:
            complete = _content_range(response.headers.get("Content-Range", ""))
            if complete and complete[2] == offset:  # the .part already holds the whole file
                return offset, _hash_file(part).hexdigest(), offset
            part.unlink()
            raise _Retry("the server refused to resume; starting over", 0.0)
        if status in RETRY_STATUSES:
            raise _Retry(f"HTTP {status} {response.reason}".strip(), _retry_after(response))
        if status >= 400:
            raise TransferError(f"HTTP {status} {response.reason}".strip())
        if status == 206 and offset:
            found = _content_range(response.headers.get("Content-Range", ""))
            if not found or found[0] != offset:
                part.unlink()
                raise _Retry("the server sent an unexpected byte range; starting over", 0.0)
            total = found[2]
            mode, digest = "ab", _hash_file(part)
            log.info("%s: resuming at byte %d", label, offset)
        elif status == 200:
            if offset:
                log.info("%s: the server does not resume (or the file changed); starting over", label)
            offset, mode, digest = 0, "wb", hashlib.sha256()
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() else None
            validator = response.headers.get("ETag", "")
            if not validator or validator.startswith("W/"):
                validator = response.headers.get("Last-Modified", "")
            if validator:
                validator_file.write_text(validator, encoding="utf-8")
            else:
                validator_file.unlink(missing_ok=True)
        else:
            raise TransferError(f"unexpected answer HTTP {status} {response.reason}".strip())
        if total is not None:
            free = shutil.disk_usage(part.parent).free
            if total - offset > free:
                raise TransferError(f"not enough disk space in {part.parent}: need {total - offset} bytes "
                                    f"({human(total - offset)}), {free} free")
        size = offset
        throttle = None if on_terminal() else Throttled()
        with open(part, mode) as out, _progress(label, total, offset) as bar:
            # read1: whatever has arrived (each wait bounded by the read timeout), so the
            # deadline is checked at least once per timeout even when bytes trickle in
            while chunk := response.raw.read1(CHUNK, decode_content=False):
                if deadline is not None and time.monotonic() > deadline:
                    raise TransferError(f"not complete within {DEADLINE_SETTING} ({size} bytes received)")
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
                if throttle is not None and throttle.due():
                    log.info("%s: %s%s received", label, human(size),
                             f" of {human(total)}" if total is not None else "")
        if total is not None and size != total:
            raise _Retry(f"connection closed after {size} of {total} bytes")
        return size, digest.hexdigest(), offset


def _progress(label: str, total: int | None, initial: int) -> tqdm:
    """The bar on a terminal; off one the transfer loop logs a line every 30 s instead."""
    return progress_bar(None, total=total, initial=initial, desc=label, unit="B", unit_scale=True,
                        unit_divisor=1024, leave=True, mininterval=0.5)


def _content_range(value: str) -> tuple[int, int, int] | None:
    """(first, last, total) from ``bytes a-b/n`` or (0, -1, n) from ``bytes */n``."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+)\s*", value)
    if not match:
        return None
    first, last, total = match.groups()
    return (int(first), int(last), int(total)) if first is not None else (0, -1, int(total))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _hash_file(path: Path) -> "hashlib._Hash":
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest


def human(size: int) -> str:
    return tqdm.format_sizeof(size, "B", 1024)


def hash_file(path: Path) -> str:
    return _hash_file(path).hexdigest()


def describe(exc: BaseException) -> str:
    """A short cause for a network error: DNS, refused, timeout, cut off -- not a urllib3 repr."""
    chain: list[BaseException] = []
    seen = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__ or (seen.args[0] if seen.args and
                                                      isinstance(seen.args[0], BaseException) else None)
    for e in chain:
        if isinstance(e, urllib3.exceptions.NameResolutionError) or "Name or service not known" in str(e) \
                or "getaddrinfo failed" in str(e) or "nodename nor servname" in str(e):
            return "DNS lookup failed (no network, or the host name is wrong)"
    for kinds, cause in (((ConnectionRefusedError,), "connection refused"),
                         ((requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError), "timed out")):
        if any(isinstance(e, kinds) for e in chain):
            return cause
    reason = next((e.strerror for e in chain if isinstance(e, OSError)
                   and not isinstance(e, requests.RequestException) and e.strerror), None)
    if any(isinstance(e, (urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError))
           for e in chain):
        return "the connection broke off" + (f" ({reason})" if reason else " before the end of the answer")
    if reason:  # the operating system's word: network unreachable, ...
        return f"network error ({reason})"
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]
