"""Google Drive share links, handled by hand rather than with gdown.

The DataPerf resources were published as Drive share links. Drive serves a file
at ``<base>/uc?export=download&id=<id>``; for files too large to virus-scan it
first answers with an HTML page whose form (or, in older versions, a
``confirm=`` link or a ``download_warning`` cookie) leads to the file. That is
all gdown does for a single file, and doing it here keeps one transfer path
(retries, Range resume, sha256, atomic placement) for every resource, lets the
Drive base URL be a parameter (``download.http.drive_base_url``, so tests talk
to 127.0.0.1), and writes nothing to $HOME. Folders cannot be fetched as one
file: a folder link is refused with advice to share a file or an archive.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

DRIVE_HOSTS = frozenset({"drive.google.com", "docs.google.com", "drive.usercontent.google.com"})
_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
PAGE_LIMIT = 2 * 1024 * 1024  # a confirmation page is small; never read more than this of one


class DriveError(Exception):
    """Drive did not give us the file (one-line message, without the URL)."""


def file_id(url: str) -> str | None:
    """The file id of a Drive file link; None when ``url`` is not a Drive link at all.

    Only links on Drive's own hosts count; they are then fetched from
    ``drive_base_url``. Raises DriveError for folder links and links that name no file.
    """
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in DRIVE_HOSTS:
        return None
    path = parts.path.rstrip("/")
    if "/folders/" in path + "/" or path.endswith(("/folderview", "/embeddedfolderview")):
        raise DriveError("this is a Google Drive folder link; a folder cannot be downloaded as one file: "
                         "share a single file or an archive (zip, tar.gz) of the folder instead, and list "
                         "its file link (https://drive.google.com/file/d/<id>/view)")
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


def opener(session: requests.Session, drive_id: str, base_url: str,
           timeout: float) -> Callable[[dict[str, str]], requests.Response]:
    """A function that opens the file's response (same headers, e.g. Range, on every request).

    The answer is returned as is when it is not a page (errors included: the
    transfer loop decides what to retry); a page is followed at most twice.
    """
    def open_file(headers: dict[str, str]) -> requests.Response:
        url = download_url(drive_id, base_url)
        for _ in range(3):
            response = session.get(url, headers=headers, stream=True, timeout=timeout)
            if not is_page(response):
                return response
            with response:
                page = _read_page(response)
            following = next_url(page, response.url, response.cookies.get_dict())
            if following is None or following == url:
                title = page_title(page)
                raise DriveError("Google Drive answered with a page instead of the file"
                                 + (f" ({title!r})" if title else "")
                                 + "; check that the file is shared with 'Anyone with the link' "
                                   "and that its download quota is not exceeded")
            url = following
        raise DriveError("Google Drive kept answering with confirmation pages")

    return open_file
