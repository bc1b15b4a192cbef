"""Google Drive share links and folders, handled by hand rather than with gdown.

The DataPerf resources were published as Drive share links: the debugging
resources as a file link, the selection resources as a *folder* link. Drive
serves a file at ``<base>/uc?export=download&id=<id>``; for files too large to
virus-scan it first answers with an HTML page whose form (or, in older
versions, a ``confirm=`` link or a ``download_warning`` cookie) leads to the
file. A folder is listed from ``<base>/embeddedfolderview?id=<id>``, a plain
HTML page with one link per file (``/file/d/<id>/view``) and per subfolder
(``/drive/folders/<id>``) -- the same public page gdown 6.5 reads.

Why not gdown itself: it hard-codes ``https://drive.google.com`` (so none of its
paths could be tested against a local server imitating Drive, and no test here
reaches the real one), keeps cookies under $HOME, and has its own transfer loop.
Doing the two page formats here keeps one transfer path (retries, Range resume,
sha256, atomic placement) for every resource and lets the Drive base URL be a
parameter (``download.http.drive_base_url``). When Drive changes its pages, the
hand-off (files fetched in a browser, see http.py) needs no page at all.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from ..logs import log

DRIVE_HOSTS = frozenset({"drive.google.com", "docs.google.com", "drive.usercontent.google.com"})
_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
PAGE_LIMIT = 2 * 1024 * 1024  # a confirmation page is small; never read more than this of one


class DriveError(Exception):
    """Drive did not give us the file (one-line message, without the URL)."""


def _drive_path(url: str) -> str | None:
    """The path of a link on one of Drive's own hosts (they are fetched from ``drive_base_url``); else None."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in DRIVE_HOSTS:
        return None
    return parts.path.rstrip("/")


def folder_id(url: str) -> str | None:
    """The folder id of a Drive folder link (``/drive/folders/<id>``, ``folderview?id=``); else None."""
    path = _drive_path(url)
    if path is None:
        return None
    match = re.search(r"/folders/([^/]+)", path)
    found = match.group(1) if match else ""
    if not match and path.endswith(("/folderview", "/embeddedfolderview")):
        found = (parse_qs(urlsplit(url).query).get("id") or [""])[0]
    if not match and not found:
        return None
    if not _ID.match(found):
        raise DriveError("not a Google Drive folder link (expected https://drive.google.com/drive/folders/<id>)")
    return found


def file_id(url: str) -> str | None:
    """The file id of a Drive file link; None when ``url`` is not a Drive link at all.

    Raises DriveError for folder links (they need ``kind: folder``) and links that name no file.
    """
    path = _drive_path(url)
    if path is None:
        return None
    if folder_id(url) is not None:
        raise DriveError("this is a Google Drive folder link: set kind: folder to list the folder and fetch "
                         "its files")
    parts = urlsplit(url)
    match = re.search(r"/file/d/([^/]+)", path)
    if match:
        found = match.group(1)
    elif path.split("/")[-1] in ("uc", "open", "download"):
        found = (parse_qs(parts.query).get("id") or [""])[0]
    else:
        found = ""
    if not _ID.match(found):
        raise DriveError("not a Google Drive file link (expected https://drive.google.com/file/d/<id>/view, "
                         "open?id=<id> or uc?id=<id>)")
    return found


def download_url(drive_id: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/uc?{urlencode({'export': 'download', 'id': drive_id})}"


def is_page(response: requests.Response) -> bool:
    """An HTML page rather than the file (Drive sends files as attachments)."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    disposition = response.headers.get("Content-Disposition", "").lower()
    return response.status_code == 200 and kind == "text/html" and "attachment" not in disposition


class _PageParser(HTMLParser):
    """Collects the download form, any ``confirm=`` link and the title of a Drive page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str], str]] = []  # (action, hidden inputs, form id)
        self.confirm_links: list[str] = []
        self.title = ""
        self._in_form = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}, a.get("id", "")))
            self._in_form = True
        elif tag == "input" and self._in_form and a.get("name"):
            self.forms[-1][1][a["name"]] = a.get("value", "")
        elif tag == "a" and "confirm=" in a.get("href", ""):
            self.confirm_links.append(a["href"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def next_url(page: str, page_url: str, cookies: Mapping[str, str]) -> str | None:
    """Where a Drive confirmation page leads, or None when it leads nowhere (no access, quota)."""
    parser = _PageParser()
    parser.feed(page)
    forms = sorted(parser.forms, key=lambda f: f[2] != "download-form")  # the named form first
    for action, inputs, _ in forms:
        if action and ("id" in inputs or "confirm" in inputs):
            return f"{urljoin(page_url, action)}?{urlencode(inputs)}"
    if parser.confirm_links:
        return urljoin(page_url, parser.confirm_links[0])
    token = next((v for k, v in cookies.items() if k.startswith("download_warning")), None)
    if token:
        sep = "&" if urlsplit(page_url).query else "?"
        return f"{page_url}{sep}{urlencode({'confirm': token})}"
    return None


def page_title(page: str) -> str:
    parser = _PageParser()
    parser.feed(page)
    return " ".join(parser.title.split())


def _read_page(response: requests.Response) -> str:
    data = b""
    for chunk in response.iter_content(64 * 1024):
        data += chunk
        if len(data) > PAGE_LIMIT:
            break
    return data.decode(response.encoding or "utf-8", errors="replace")


def page_problem(page: str, page_url: str, handoff: str) -> str:
    """What a Drive page that does not lead to the file means, and what to do next (one line)."""
    text = " ".join(page.lower().split())
    title = page_title(page)
    shown = f" ({title!r})" if title else ""
    if any(k in text for k in ("quota exceeded", "too many users have viewed or downloaded", "download quota")):
        return (f"Google Drive's download quota for this file is exceeded{shown}: try again in a day, or {handoff}")
    if urlsplit(page_url).hostname in ("accounts.google.com",) or "servicelogin" in page_url.lower() or any(
            k in text for k in ("you need access", "request access", "access denied", "you need permission",
                                "sign in")):
        return (f"Google Drive denied access{shown}: ask the organizers to share it with you (the selection "
                f"resources need the permission of dataperf@coactive.ai), or {handoff}")
    if any(k in text for k in ("virus scan", "scan this file for viruses", "too large for google to scan")):
        return (f"the file is too large for Google Drive's virus scan and its warning page has no download "
                f"link this harness recognises{shown}: {handoff} (click 'Download anyway')")
    return (f"Google Drive answered with a page instead of the file{shown}; check that it is shared with "
            f"'Anyone with the link', or {handoff}")


def status_problem(status: int, what: str, handoff: str) -> str | None:
    """The one-line meaning of Drive's refusals; None for answers the transfer loop handles (retries)."""
    if status in (401, 403):
        return (f"Google Drive denied access to the {what} (HTTP {status}): ask the organizers to share it with "
                f"you (the selection resources need the permission of dataperf@coactive.ai), or {handoff}")
    if status == 404:
        return (f"Google Drive has no such {what}, or does not show it to you (HTTP 404): check the link and "
                f"that it is shared with 'Anyone with the link', or {handoff}")
    return None


HANDOFF = "download it in a browser and put it in <data_path>/downloads/<destination>/"


def opener(session: requests.Session, drive_id: str, base_url: str, timeout: float,
           handoff: str = HANDOFF) -> Callable[[dict[str, str]], requests.Response]:
    """A function that opens the file's response (same headers, e.g. Range, on every request).

    The answer is returned as is when it is not a page (errors other than Drive's
    refusals included: the transfer loop decides what to retry); a page is
    followed at most twice.
    """
    def open_file(headers: dict[str, str]) -> requests.Response:
        url = download_url(drive_id, base_url)
        for _ in range(3):
            response = session.get(url, headers=headers, stream=True, timeout=timeout)
            refused = status_problem(response.status_code, "file", handoff)
            if refused:
                response.close()
                raise DriveError(refused)
            if not is_page(response):
                return response
            with response:
                page = _read_page(response)
            following = next_url(page, response.url, response.cookies.get_dict())
            if following is None or following == url:
                raise DriveError(page_problem(page, response.url, handoff))
            url = following
        raise DriveError("Google Drive kept answering with confirmation pages: " + handoff)

    return open_file


# --------------------------------------------------------------------------- folders
@dataclass(frozen=True)
class DriveFile:
    """One file of a listed folder: its Drive id and its path inside the folder (POSIX)."""

    id: str
    path: str


class _FolderParser(HTMLParser):
    """The entries of an ``embeddedfolderview`` page: (href, name) per link, and the title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[list[str]] = []  # [href, anchor text, text of its flip-entry-title]
        self.title = ""
        self._anchor: list[str] | None = None
        self._in_title = False
        self._in_entry_title = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self._anchor = [a["href"], "", ""]
            self.links.append(self._anchor)
        elif tag == "title":
            self._in_title = True
        elif tag == "div" and self._anchor is not None:
            if self._in_entry_title or "flip-entry-title" in a.get("class", "").split():
                self._in_entry_title += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._anchor = None
            self._in_entry_title = 0
        elif tag == "title":
            self._in_title = False
        elif tag == "div" and self._in_entry_title:
            self._in_entry_title -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._anchor is not None:
            self._anchor[1] += data
            if self._in_entry_title:
                self._anchor[2] += data


def parse_folder_page(page: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(files, subfolders) of a folder page, each as (id, name) in page order.

    Links are recognised by their path (``/file/d/<id>``, ``/drive/folders/<id>``)
    on any host, so a local imitation serves the same page Drive does.
    """
    parser = _FolderParser()
    parser.feed(page)
    files, folders, seen = [], [], set()
    for href, text, entry_title in parser.links:
        name = " ".join((entry_title or text).split())
        path = urlsplit(urljoin("https://drive.google.com/", href)).path
        file_match = re.search(r"/file/d/([A-Za-z0-9_-]{10,})", path)
        folder_match = re.search(r"/folders/([A-Za-z0-9_-]{10,})", path)
        if file_match and file_match.group(1) not in seen:
            seen.add(file_match.group(1))
            files.append((file_match.group(1), name))
        elif folder_match and folder_match.group(1) not in seen:
            seen.add(folder_match.group(1))
            folders.append((folder_match.group(1), name))
    return files, folders


def folder_page_url(folder: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/embeddedfolderview?{urlencode({'id': folder})}"


MAX_DEPTH = 8
MAX_FILES = 10_000


def list_folder(session: requests.Session, folder: str, base_url: str, timeout: float,
                handoff: str = HANDOFF, max_tries: int = 3, backoff_s: float = 1.0) -> list[DriveFile]:
    """Every file under a Drive folder (subfolders included), sorted by path.

    Raises DriveError with one line saying what to do when the folder cannot be
    seen, is empty, or holds two entries with one name.
    """
    found: list[DriveFile] = []

    def visit(current: str, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise DriveError(f"the Google Drive folder nests deeper than {MAX_DEPTH} levels at {prefix!r}")
        page = _fetch_folder_page(session, folder_page_url(current, base_url), timeout, handoff, max_tries,
                                  backoff_s)
        files, folders = parse_folder_page(page)
        names: set[str] = set()
        for entry_id, name in files + folders:
            safe = _entry_name(name, entry_id)
            if safe in names:
                raise DriveError(f"the Google Drive folder holds two entries named {prefix + safe!r}: "
                                 f"rename one, or {handoff}")
            names.add(safe)
        for entry_id, name in files:
            found.append(DriveFile(entry_id, prefix + _entry_name(name, entry_id)))
            if len(found) > MAX_FILES:
                raise DriveError(f"the Google Drive folder holds more than {MAX_FILES} files")
        for entry_id, name in folders:
            visit(entry_id, prefix + _entry_name(name, entry_id) + "/", depth + 1)

    visit(folder, "", 0)
    if not found:
        raise DriveError("the Google Drive folder lists no files: check the link, and that it is shared with "
                         f"you (a folder you may not see can look empty), or {handoff}")
    return sorted(found, key=lambda f: f.path)


def _entry_name(name: str, entry_id: str) -> str:
    """A name usable as one path component (Drive allows '/' and empty names)."""
    clean = name.replace("/", "_").replace("\\", "_").replace("\x00", "").strip()
    return clean if clean not in ("", ".", "..") else entry_id


def _fetch_folder_page(session: requests.Session, url: str, timeout: float, handoff: str, max_tries: int,
                       backoff_s: float) -> str:
    """One folder page; connection errors, timeouts and 5xx/429 are retried like transfers."""
    from .transfer import RETRY_STATUSES, describe  # transfer imports nothing from here

    for attempt in range(1, max_tries + 1):
        try:
            with session.get(url, timeout=timeout, stream=True) as response:
                status = response.status_code
                refused = status_problem(status, "folder", handoff)
                if refused:
                    raise DriveError(refused)
                if status != 200 and (status not in RETRY_STATUSES or attempt == max_tries):
                    raise DriveError(f"listing the Google Drive folder failed: HTTP {status} "
                                     f"{response.reason}".strip())
                if status == 200:
                    page = _read_page(response)
                    if urlsplit(response.url).hostname == "accounts.google.com" \
                            or "servicelogin" in response.url.lower():
                        raise DriveError(page_problem(page, response.url, handoff))
                    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                    if kind != "text/html":
                        raise DriveError(f"listing the Google Drive folder failed: expected a page, got {kind!r}")
                    return page
                cause = f"HTTP {status}"
        except (requests.ConnectionError, requests.Timeout) as exc:
            if attempt >= max_tries:
                raise DriveError(f"listing the Google Drive folder failed: {describe(exc)} "
                                 f"(gave up after {attempt} attempts)") from None
            cause = describe(exc)
        log.warning("listing the Google Drive folder: %s; attempt %d of %d", cause, attempt + 1, max_tries)
        time.sleep(min(backoff_s * 2 ** (attempt - 1), 60.0))
    raise AssertionError("not reached: the last attempt returns or raises")
