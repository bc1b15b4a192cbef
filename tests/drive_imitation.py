"""A local imitation of Google Drive's public pages, served by the tests' 127.0.0.1 server.

Folders answer at ``/embeddedfolderview?id=<id>`` with the page Drive serves
there (a title, one ``flip-entry`` per item linking to ``https://drive.google.com
/file/d/<id>/view`` or ``/drive/folders/<id>``); files answer at
``/uc?export=download&id=<id>``, large ones behind the virus-scan warning page
whose form leads to ``/download`` (drive.usercontent.google.com's role).
"""
from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field

from test_download_http import Handler, LocalServer, static


def drive_id(name: str) -> str:
    """A stable 33-character Drive-like id for a name."""
    return "1" + hashlib.sha256(name.encode()).hexdigest()[:32]


@dataclass
class DriveImitation:
    server: LocalServer
    folders: dict[str, tuple[str, list[tuple[str, str, bool]]]] = field(default_factory=dict)  # id -> (title, [(id, name, is_folder)])
    files: dict[str, bytes] = field(default_factory=dict)
    large: set[str] = field(default_factory=set)  # ids served behind the virus-scan page
    refusals: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # id -> (status, page) instead of content

    def __post_init__(self) -> None:
        self.server.routes["/embeddedfolderview"] = self._folder
        self.server.routes["/uc"] = self._uc
        self.server.routes["/download"] = self._download

    def add_folder(self, name: str, entries: dict[str, "bytes | dict"], large: bool = True,
                   folder_id: str | None = None) -> str:
        """A folder holding files (bytes) and subfolders (dicts); returns its id. Files are large by default."""
        folder = folder_id or drive_id("folder/" + name)
        listed = []
        for entry, content in entries.items():
            if isinstance(content, dict):
                listed.append((self.add_folder(f"{name}/{entry}", content, large), entry, True))
            else:
                fid = drive_id(f"file/{name}/{entry}")
                self.files[fid] = content
                if large:
                    self.large.add(fid)
                listed.append((fid, entry, False))
        self.folders[folder] = (name.rsplit("/", 1)[-1], listed)
        return folder

    def add_file(self, name: str, content: bytes, large: bool = True, file_id: str | None = None) -> str:
        fid = file_id or drive_id("file/" + name)
        self.files[fid] = content
        if large:
            self.large.add(fid)
        return fid

    # ----------------------------------------------------------------- routes
    def _folder(self, h: Handler, query: dict) -> None:
        folder = (query.get("id") or [""])[0]
        if folder in self.refusals:
            status, page = self.refusals[folder]
            h.reply(status, page, "text/html; charset=utf-8")
            return
        if folder not in self.folders:
            h.reply(404, b"<html><title>Not Found</title></html>", "text/html")
            return
        title, entries = self.folders[folder]
        items = []
        for eid, name, is_folder in entries:
            href = (f"https://drive.google.com/drive/folders/{eid}" if is_folder
                    else f"https://drive.google.com/file/d/{eid}/view?usp=drive_web")
            items.append(f'<div class="flip-entry" id="entry-{eid}" tabindex="0" role="link"><div class="flip-entry-'
                         f'info"><a href="{href}" target="_blank"><div class="flip-entry-thumb"><img src="https://'
                         f'drive-thirdparty.googleusercontent.com/16/type/application/zip" alt=""></div><div '
                         f'class="flip-entry-title">{html.escape(name)}</div></a></div><div class="flip-entry-last-'
                         f'modified"><div>Jun 7, 2022</div></div></div>')
        page = (f'<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body><div class="flip-'
                f'entries">{"".join(items)}</div></body></html>')
        h.reply(200, page.encode(), "text/html; charset=utf-8")

    def _uc(self, h: Handler, query: dict) -> None:
        fid = (query.get("id") or [""])[0]
        if fid in self.refusals:
            status, page = self.refusals[fid]
            h.reply(status, page, "text/html; charset=utf-8")
        elif fid not in self.files:
            h.reply(404, b"<html><title>Google Drive - Page Not Found</title></html>", "text/html")
        elif fid in self.large:
            page = (f'<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>'
                    f'<p>Google Drive can\'t scan this file for viruses.</p><form id="download-form" action="'
                    f'{self.server.url("/download")}" method="get"><input type="submit" id="uc-download-link" '
                    f'value="Download anyway"/><input type="hidden" name="id" value="{fid}"><input type="hidden" '
                    f'name="export" value="download"><input type="hidden" name="confirm" value="t"><input '
                    f'type="hidden" name="uuid" value="5e6f"></form></body></html>')
            h.reply(200, page.encode(), "text/html; charset=utf-8")
        else:
            static(self.files[fid], extra={"Content-Disposition": 'attachment; filename="f"'})(h, query)

    def _download(self, h: Handler, query: dict) -> None:
        fid = (query.get("id") or [""])[0]
        if query.get("confirm") != ["t"] or query.get("uuid") != ["5e6f"] or fid not in self.files:
            h.reply(400, b"<html>bad request</html>", "text/html")
            return
        static(self.files[fid], extra={"Content-Disposition": 'attachment; filename="f"'})(h, query)
