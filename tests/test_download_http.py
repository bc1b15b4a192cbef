"""download with source http, against a real threaded HTTP server on 127.0.0.1.

Nothing here reaches another host: name resolution is limited to 127.0.0.1 and
localhost for the whole module (other names fail like a DNS error), proxies are
switched off, and Drive share links are fetched from ``drive_base_url`` pointed
at the local server. Backoff is tiny and every retry loop is bounded by max_tries.
"""
from __future__ import annotations

import errno
import hashlib
import io
import logging
import re
import socket
import stat
import sys
import tarfile
import threading
import time
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from benchmark import cli
from benchmark.errors import InputError
from benchmark.formats.parameters import parameters_from_dict
from benchmark.logs import log, setup
from benchmark.sources import archives, gdrive, transfer
from benchmark.sources.http import STAGING, fetch_resources

WORKSPACE_PARAMETERS = Path(__file__).resolve().parents[1] / "workspace" / "parameters.yaml"
DRIVE_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"


# --------------------------------------------------------------------------- isolation
@pytest.fixture(autouse=True)
def local_only(monkeypatch):
    """Only 127.0.0.1 resolves; no proxies. A stray request to a real host fails instead of leaving."""
    local_only_again(monkeypatch)


def local_only_again(monkeypatch) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("no_proxy", "*")


# --------------------------------------------------------------------------- the server
Route = Callable[["Handler", dict], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        server: LocalServer = self.server.owner  # type: ignore[attr-defined]
        with server.lock:
            server.hits[parts.path] += 1
            server.log.append((parts.path, parts.query, dict(self.headers)))
        route = server.routes.get(parts.path)
        if route is None:
            self.reply(404, b"not found", "text/plain")
            return
        route(self, parse_qs(parts.query))

    def reply(self, status: int, body: bytes, content_type: str = "application/octet-stream",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """Clients that hang up early (timeouts, cut-off transfers) are what these tests provoke."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.log: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def total_hits(self) -> int:
        return sum(self.hits.values())


@pytest.fixture
def server():
    s = LocalServer()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()
        s.thread.join(timeout=5)


# --------------------------------------------------------------------------- routes
def static(data: bytes, ranges: bool = True, content_type: str = "application/octet-stream",
           etag: str | None = '"v1"', extra: dict[str, str] | None = None) -> Route:
    """A file; with ``ranges``, honours ``Range: bytes=N-`` (206) like nginx."""
    def route(h: Handler, query: dict) -> None:
        headers = dict(extra or {})
        if etag:
            headers["ETag"] = etag
        wanted = h.headers.get("Range")
        if ranges:
            headers["Accept-Ranges"] = "bytes"
        if ranges and wanted:
            start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
            if_range = h.headers.get("If-Range")
            if if_range is None or if_range == etag:
                if start >= len(data):
                    h.reply(416, b"", headers={**headers, "Content-Range": f"bytes */{len(data)}"})
                    return
                h.reply(206, data[start:], content_type,
                        {**headers, "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"})
                return
        h.reply(200, data, content_type, headers)
    return route


def cut_once(data: bytes, ranges: bool = True) -> Route:
    """The first answer promises the whole file but the connection drops halfway."""
    served = static(data, ranges=ranges)
    state = {"first": True}

    def route(h: Handler, query: dict) -> None:
        if state["first"]:
            state["first"] = False
            h.send_response(200)
            h.send_header("Content-Type", "application/octet-stream")
            h.send_header("Content-Length", str(len(data)))
            h.send_header("ETag", '"v1"')
            h.send_header("Accept-Ranges", "bytes")
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        served(h, query)
    return route


def failing(times: int, status: int, then: Route | None = None) -> Route:
    state = {"left": times}

    def route(h: Handler, query: dict) -> None:
        if then is None or state["left"] > 0:
            state["left"] -= 1
            h.reply(status, b"temporarily unavailable", "text/plain")
            return
        then(h, query)
    return route


def drive(server: LocalServer, data: bytes, confirm: bool = True) -> None:
    """Drive's flow: uc?export=download&id= answers with a virus-scan page whose form leads to the file."""
    page = (f"""<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>
<p>Google Drive can't scan this file for viruses.</p>
<form id="download-form" action="{server.url('/download')}" method="get">
<input type="submit" id="uc-download-link" value="Download anyway"/>
<input type="hidden" name="id" value="{DRIVE_ID}"><input type="hidden" name="export" value="download">
<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="0f1e2d3c">
</form></body></html>""").encode()
    attachment = {"Content-Disposition": 'attachment; filename="resources.zip"'}

    def uc(h: Handler, query: dict) -> None:
        if query.get("id") != [DRIVE_ID]:
            h.reply(404, b"<html>no such file</html>", "text/html")
        elif confirm:
            h.reply(200, page, "text/html; charset=utf-8")
        else:
            static(data, extra=attachment)(h, query)

    def download(h: Handler, query: dict) -> None:
        if query.get("confirm") != ["t"] or query.get("uuid") != ["0f1e2d3c"] or query.get("id") != [DRIVE_ID]:
            h.reply(400, b"<html>bad request</html>", "text/html")
            return
        static(data, extra=attachment)(h, query)

    server.routes["/uc"] = uc
    server.routes["/download"] = download


# --------------------------------------------------------------------------- helpers
def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def make_tar_gz(members: list[tuple[str, bytes | None, str | None]]) -> bytes:
    """(name, content, None) for files, (name, None, target) for symlinks."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, content, target in members:
            info = tarfile.TarInfo(name)
            if target is not None:
                info.type, info.linkname = tarfile.SYMTYPE, target
                tf.addfile(info)
            else:
                info.size = len(content or b"")
                tf.addfile(info, io.BytesIO(content or b""))
    return buffer.getvalue()


def params_for(resources: list[dict], base_url: str = "http://127.0.0.1:9", selection: dict | None = None,
               debugging: dict | None = None, **http):
    """Parameters with only the given resources; no named files unless selection/debugging are given."""
    raw = {"download": {"source": "http", "http": {"resources": resources, "backoff_s": 0.001, "max_tries": 3,
                                                   "timeout_s": 10, "drive_base_url": base_url, **http}},
           "selection": selection or {"pool": "pool.txt"}, "debugging": debugging or {}}
    if selection is None:
        raw["selection"] = {"pool": "pool.txt"}
    return parameters_from_dict(raw)


def listing(root: Path) -> list[str]:
    """Everything under root except the hidden staging folder."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if STAGING not in p.relative_to(root).parts)


POOL = b"pool rows\n"


def with_pool(server: LocalServer, resources: list[dict]) -> list[dict]:
    """Add the selection pool file the minimal parameters name (so the named-file check passes)."""
    server.routes["/pool.txt"] = static(POOL)
    return resources + [{"url": server.url("/pool.txt"), "destination": "selection", "kind": "file",
                         "path": "pool.txt", "sha256": sha(POOL)}]


# --------------------------------------------------------------------------- plain transfers
def test_plain_file_is_verified_and_placed(server, tmp_path):
    data = b"x" * 300_000
    server.routes["/data.bin"] = static(data)
    params = params_for(with_pool(server, [{"url": server.url("/data.bin"), "destination": "debugging",
                                            "path": "embeddings/data.bin", "sha256": sha(data)}]))
    placed = fetch_resources(params, tmp_path)
    assert (tmp_path / "debugging/embeddings/data.bin").read_bytes() == data
    assert placed[0] == tmp_path / "debugging/embeddings/data.bin"
    assert listing(tmp_path) == ["debugging", "debugging/embeddings", "debugging/embeddings/data.bin",
                                 "selection", "selection/pool.txt"]
    staged = sorted(p.name for p in (tmp_path / STAGING).iterdir())
    assert all(name.endswith(".json") for name in staged) and len(staged) == 2  # records only, no .part


def test_zip_is_extracted_into_the_destination(server, tmp_path):
    archive = make_zip({"embeddings/a.parquet": b"A" * 1000, "examples/b.csv": b"id\n1\n", "empty/": b""})
    server.routes["/res.zip"] = static(archive)
    params = params_for(with_pool(server, [{"url": server.url("/res.zip"), "destination": "selection",
                                            "kind": "zip", "sha256": sha(archive)}]))
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/embeddings/a.parquet").read_bytes() == b"A" * 1000
    assert (tmp_path / "selection/examples/b.csv").read_bytes() == b"id\n1\n"
    assert not any((tmp_path / STAGING).glob("*.part")) and not any((tmp_path / STAGING).glob("extract-*"))


def test_strip_components_and_subfolder(server, tmp_path):
    archive = make_tar_gz([("dataperf-resources/embeddings/x.parquet", b"X", None)])
    server.routes["/r.tar.gz"] = static(archive)
    params = params_for(with_pool(server, [{"url": server.url("/r.tar.gz"), "destination": "debugging",
                                            "kind": "tar.gz", "path": "extra", "strip_components": 1}]))
    fetch_resources(params, tmp_path)
    assert (tmp_path / "debugging/extra/embeddings/x.parquet").read_bytes() == b"X"


def test_cut_off_transfer_resumes_with_range(server, tmp_path):
    data = bytes(range(256)) * 4000  # ~1 MB
    server.routes["/big.bin"] = cut_once(data)
    params = params_for(with_pool(server, [{"url": server.url("/big.bin"), "destination": "selection",
                                            "path": "big.bin", "sha256": sha(data)}]))
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/big.bin").read_bytes() == data
    ranges = [headers.get("Range") for path, _, headers in server.log if path == "/big.bin"]
    assert ranges[0] is None and len(ranges) == 2
    assert ranges[1] == f"bytes={len(data) // 2}-"  # the second attempt asked only for the rest
    if_range = [headers.get("If-Range") for path, _, headers in server.log if path == "/big.bin"]
    assert if_range[1] == '"v1"'


def test_server_without_range_support_starts_over(server, tmp_path):
    data = b"0123456789" * 50_000
    server.routes["/norange.bin"] = cut_once(data, ranges=False)
    params = params_for(with_pool(server, [{"url": server.url("/norange.bin"), "destination": "selection",
                                            "path": "n.bin", "sha256": sha(data)}]))
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/n.bin").read_bytes() == data
    assert server.hits["/norange.bin"] == 2


def test_no_blind_resume_without_sha256_or_validator(server, tmp_path):
    """Without a sha256 and an ETag, splicing old and new bytes could go unnoticed: start over."""
    data = b"unverifiable" * 50_000
    first = {"done": False}
    served = static(data, etag=None)

    def route(h: Handler, query: dict) -> None:
        if not first["done"]:
            first["done"] = True
            h.send_response(200)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[:1000])
            h.wfile.flush()
            h.close_connection = True
            return
        served(h, query)

    server.routes["/u.bin"] = route
    params = params_for(with_pool(server, [{"url": server.url("/u.bin"), "destination": "selection",
                                            "path": "u.bin"}]))
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/u.bin").read_bytes() == data
    assert [h.get("Range") for path, _, h in server.log if path == "/u.bin"] == [None, None]


def test_part_file_from_a_failed_run_is_resumed_by_the_next(server, tmp_path):
    data = b"abcdefgh" * 100_000
    server.routes["/p.bin"] = cut_once(data)
    resources = with_pool(server, [{"url": server.url("/p.bin"), "destination": "selection", "path": "p.bin",
                                    "sha256": sha(data)}])
    with pytest.raises(InputError, match="connection (closed|broke off)"):
        fetch_resources(params_for(resources, max_tries=1), tmp_path)
    assert not (tmp_path / "selection/p.bin").exists()  # nothing at the final path
    parts = list((tmp_path / STAGING).glob("*.part"))
    assert len(parts) == 1 and parts[0].stat().st_size == len(data) // 2
    fetch_resources(params_for(resources, max_tries=1), tmp_path)
    assert (tmp_path / "selection/p.bin").read_bytes() == data
    ranges = [headers.get("Range") for path, _, headers in server.log if path == "/p.bin"]
    assert ranges == [None, f"bytes={len(data) // 2}-"]  # the second run asked only for the rest


def test_503_twice_then_200_is_retried(server, tmp_path):
    data = b"finally"
    server.routes["/flaky"] = failing(2, 503, then=static(data))
    params = params_for(with_pool(server, [{"url": server.url("/flaky"), "destination": "selection",
                                            "path": "f.txt", "sha256": sha(data)}]))
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/f.txt").read_bytes() == data
    assert server.hits["/flaky"] == 3


def test_a_stalled_answer_times_out_and_is_retried(server, tmp_path):
    data = b"late but whole"
    served, state = static(data), {"first": True}

    def stall(h: Handler, query: dict) -> None:
        if state["first"]:
            state["first"] = False
            time.sleep(0.6)  # longer than timeout_s; the client has given up by now
            h.close_connection = True
            return
        served(h, query)

    server.routes["/slow"] = stall
    params = params_for(with_pool(server, [{"url": server.url("/slow"), "destination": "selection",
                                            "path": "s.txt", "sha256": sha(data)}]), timeout_s=0.2)
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/s.txt").read_bytes() == data and server.hits["/slow"] == 2


def test_retries_are_bounded_by_max_tries(server, tmp_path):
    server.routes["/down"] = failing(100, 503)
    params = params_for([{"url": server.url("/down"), "destination": "selection", "path": "f.txt"}], max_tries=4)
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    assert server.hits["/down"] == 4
    assert server.url("/down") in info.value.message and "HTTP 503" in info.value.message
    assert "gave up after 4 attempts" in info.value.message


def test_wrong_checksum_leaves_nothing_behind(server, tmp_path):
    server.routes["/data.bin"] = static(b"tampered")
    params = params_for([{"url": server.url("/data.bin"), "destination": "selection", "path": "d.bin",
                          "sha256": sha(b"original")}])
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    message = info.value.message
    assert "sha256 mismatch" in message and server.url("/data.bin") in message and "\n" not in message
    assert listing(tmp_path) == []
    assert list((tmp_path / STAGING).iterdir()) == []  # no .part, no record


def test_404_names_the_url(server, tmp_path):
    params = params_for([{"url": server.url("/missing.zip"), "destination": "selection", "kind": "zip"}])
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    assert info.value.message == f"download of {server.url('/missing.zip')} failed: HTTP 404 Not Found"
    assert server.hits["/missing.zip"] == 1  # a 404 is not retried


# --------------------------------------------------------------------------- unsafe archives
@pytest.mark.parametrize("entry", ["../evil.txt", "/abs/evil.txt", "ok/../../evil.txt", "..\\evil.txt"])
def test_zip_slip_is_refused(server, tmp_path, entry):
    archive = make_zip({"good.txt": b"fine", entry: b"evil"})
    server.routes["/slip.zip"] = static(archive)
    data_root = tmp_path / "data"
    params = params_for([{"url": server.url("/slip.zip"), "destination": "selection", "kind": "zip"}])
    with pytest.raises(InputError, match="outside the archive|absolute path"):
        fetch_resources(params, data_root)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []  # not even good.txt
    assert listing(data_root) == []


def test_oversized_zip_is_refused_before_extraction(server, tmp_path):
    archive = make_zip({"big.bin": b"\0" * 200_000})  # compresses to a few hundred bytes
    server.routes["/bomb.zip"] = static(archive)
    params = params_for([{"url": server.url("/bomb.zip"), "destination": "selection", "kind": "zip"}],
                        max_extracted_bytes=100_000)
    with pytest.raises(InputError, match="max_extracted_bytes=100000"):
        fetch_resources(params, tmp_path)
    assert listing(tmp_path) == [] and list((tmp_path / STAGING).iterdir()) == []


def test_oversized_tar_gz_is_refused_while_extracting(server, tmp_path):
    archive = make_tar_gz([(f"f{i}.bin", b"\0" * 40_000, None) for i in range(5)])
    server.routes["/bomb.tar.gz"] = static(archive)
    params = params_for([{"url": server.url("/bomb.tar.gz"), "destination": "debugging", "kind": "tar.gz"}],
                        max_extracted_bytes=100_000)
    with pytest.raises(InputError, match="more than max_extracted_bytes"):
        fetch_resources(params, tmp_path)
    assert listing(tmp_path) == [] and list((tmp_path / STAGING).iterdir()) == []


@pytest.mark.parametrize("members", [
    [("link", None, "../../outside")],
    [("link", None, "/etc/passwd")],
    [("here", None, "."), ("here/link", None, "../outside")],  # inside lexically, outside for the kernel
    [("a", None, "sub/../.."), ("b.txt", b"x", None)],
    [("escape", None, ".."), ("escape/evil.txt", b"evil", None)],
])
def test_tar_links_pointing_outside_are_refused(server, tmp_path, members):
    archive = make_tar_gz(members)
    server.routes["/links.tar.gz"] = static(archive)
    data_root = tmp_path / "data"
    params = params_for([{"url": server.url("/links.tar.gz"), "destination": "debugging", "kind": "tar.gz"}])
    with pytest.raises(InputError, match="outside"):
        fetch_resources(params, data_root)
    assert listing(data_root) == []
    assert not (tmp_path / "outside").exists() and not (tmp_path / "evil.txt").exists()


def test_zip_symlink_pointing_outside_is_refused(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo("innocent")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "../../../home")
        zf.writestr("innocent/.bashrc", "evil")
    server.routes["/l.zip"] = static(buffer.getvalue())
    params = params_for([{"url": server.url("/l.zip"), "destination": "selection", "kind": "zip"}])
    with pytest.raises(InputError, match="link 'innocent' -> '../../../home' points outside the archive"):
        fetch_resources(params, tmp_path / "data")
    assert listing(tmp_path / "data") == []


def test_tar_link_inside_is_kept(server, tmp_path):
    archive = make_tar_gz([("real/data.csv", b"a,b\n", None), ("alias.csv", None, "real/data.csv")])
    server.routes["/ok.tar.gz"] = static(archive)
    params = params_for(with_pool(server, [{"url": server.url("/ok.tar.gz"), "destination": "debugging",
                                            "kind": "tar.gz"}]))
    fetch_resources(params, tmp_path)
    alias = tmp_path / "debugging/alias.csv"
    assert alias.is_symlink() and alias.read_bytes() == b"a,b\n"


def test_html_instead_of_archive_gets_a_hint(server, tmp_path):
    server.routes["/login"] = static(b"<!DOCTYPE html><html>please sign in</html>", content_type="text/html")
    params = params_for([{"url": server.url("/login"), "destination": "selection", "kind": "zip"}])
    with pytest.raises(InputError, match=r"not a readable zip archive .*\(the server sent an HTML page\)"):
        fetch_resources(params, tmp_path)


# --------------------------------------------------------------------------- Google Drive
@pytest.mark.parametrize("link", [
    f"https://drive.google.com/file/d/{DRIVE_ID}/view?usp=sharing",
    f"https://drive.google.com/open?id={DRIVE_ID}",
    f"https://drive.google.com/uc?id={DRIVE_ID}&export=download",
    f"https://docs.google.com/uc?export=download&id={DRIVE_ID}",
])
def test_drive_file_links_are_recognised(link):
    assert gdrive.file_id(link) == DRIVE_ID


def test_other_links_are_not_drive_links():
    assert gdrive.file_id("https://example.org/file/d/abc/view") is None
    with pytest.raises(gdrive.DriveError, match="not a Google Drive file link"):
        gdrive.file_id("https://drive.google.com/drive/my-drive")


def test_drive_large_file_confirmation_page(server, tmp_path):
    archive = make_zip({"pool.txt": POOL})
    drive(server, archive)
    link = f"https://drive.google.com/file/d/{DRIVE_ID}/view?usp=sharing"
    params = params_for([{"url": link, "destination": "selection", "kind": "zip", "sha256": sha(archive)}],
                        base_url=server.base)
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/pool.txt").read_bytes() == POOL
    assert [(path, parse_qs(query)) for path, query, _ in server.log] == [
        ("/uc", {"export": ["download"], "id": [DRIVE_ID]}),
        ("/download", {"id": [DRIVE_ID], "export": ["download"], "confirm": ["t"], "uuid": ["0f1e2d3c"]}),
    ]


def test_drive_small_file_comes_directly(server, tmp_path):
    drive(server, POOL, confirm=False)
    params = params_for([{"url": f"https://drive.google.com/open?id={DRIVE_ID}", "destination": "selection",
                          "path": "pool.txt", "sha256": sha(POOL)}], base_url=server.base + "/")
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/pool.txt").read_bytes() == POOL
    assert server.hits == Counter({"/uc": 1})


def test_older_drive_confirmation_variants():
    page_url = f"https://drive.google.com/uc?export=download&id={DRIVE_ID}"
    link_page = f'<a id="uc-download-link" href="/uc?export=download&amp;confirm=Ab1_&amp;id={DRIVE_ID}">Download</a>'
    assert gdrive.next_url(link_page, page_url, {}) == \
        f"https://drive.google.com/uc?export=download&confirm=Ab1_&id={DRIVE_ID}"
    assert gdrive.next_url("<html>scan warning</html>", page_url, {"download_warning_123_abc": "XyZ"}) == \
        f"{page_url}&confirm=XyZ"
    assert gdrive.next_url("<html><form action='/signin'><input name='user'></form></html>", page_url, {}) is None


def test_drive_page_without_a_way_to_the_file(server, tmp_path):
    page = b"<html><head><title>Google Drive - Quota exceeded</title></head><body>Too many users</body></html>"
    server.routes["/uc"] = static(page, content_type="text/html")
    params = params_for([{"url": f"https://drive.google.com/uc?id={DRIVE_ID}", "destination": "selection",
                          "path": "x"}], base_url=server.base)
    with pytest.raises(InputError, match=r"download quota for this file is exceeded \('Google Drive - Quota "
                                         r"exceeded'\): try again in a day, or open the link in a browser.*"
                                         r"downloads/selection/"):
        fetch_resources(params, tmp_path)
    assert listing(tmp_path) == [] and list((tmp_path / STAGING).iterdir()) == []


@pytest.mark.parametrize("link", [
    "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOpQrStUv?usp=sharing",
    "https://drive.google.com/drive/u/0/folders/1AbCdEfGhIjKlMnOpQrStUv",
])
def test_drive_folder_link_needs_kind_folder(server, tmp_path, link):
    params = params_for([{"url": server.url("/never"), "destination": "selection", "path": "a"},
                         {"url": link, "destination": "selection", "kind": "zip"}], base_url=server.base)
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    assert "folder link: set kind: folder to list the folder" in info.value.message
    assert link in info.value.message
    assert server.total_hits() == 0  # refused before anything was fetched


# --------------------------------------------------------------------------- reruns
def test_second_run_downloads_nothing(server, tmp_path):
    archive = make_zip({"embeddings/a.parquet": b"A" * 5000, "examples/b.csv": b"b"})
    server.routes["/res.zip"] = static(archive)
    params = params_for(with_pool(server, [{"url": server.url("/res.zip"), "destination": "selection",
                                            "kind": "zip", "sha256": sha(archive)}]))
    fetch_resources(params, tmp_path)
    assert server.total_hits() == 2
    fetch_resources(params, tmp_path)
    assert server.total_hits() == 2  # nothing fetched the second time

    touched = tmp_path / "selection/examples/b.csv"
    touched.write_bytes(b"b")  # same content, new mtime: re-hashed, still trusted
    fetch_resources(params, tmp_path)
    assert server.total_hits() == 2

    touched.write_bytes(b"c")  # changed: fetched again and restored
    fetch_resources(params, tmp_path)
    assert server.hits["/res.zip"] == 2 and touched.read_bytes() == b"b"

    (tmp_path / "selection/embeddings/a.parquet").unlink()  # missing: fetched again
    fetch_resources(params, tmp_path)
    assert server.hits["/res.zip"] == 3 and (tmp_path / "selection/embeddings/a.parquet").exists()


def test_a_new_sha256_in_the_parameters_fetches_again(server, tmp_path):
    server.routes["/v.txt"] = static(b"version 2")
    resources = with_pool(server, [{"url": server.url("/v.txt"), "destination": "selection", "path": "v.txt"}])
    fetch_resources(params_for(resources), tmp_path)
    resources[0]["sha256"] = sha(b"version 2")
    fetch_resources(params_for(resources), tmp_path)  # the record's sha256 matches: nothing fetched
    assert server.hits["/v.txt"] == 1
    resources[0]["sha256"] = sha(b"version 3")
    with pytest.raises(InputError, match="sha256 mismatch"):
        fetch_resources(params_for(resources), tmp_path)
    assert server.hits["/v.txt"] == 2


def test_named_files_missing_after_download_are_listed(server, tmp_path):
    archive = make_zip({"embeddings/pool.parquet": b"P", "test_sets/Cat.parquet": b"T"})
    server.routes["/sel.zip"] = static(archive)
    params = params_for([{"url": server.url("/sel.zip"), "destination": "selection", "kind": "zip"}],
                        selection={"pool": "embeddings/pool.parquet",
                                   "tasks": {"Cat": {"test_set": "test_sets/Cat.parquet",
                                                     "examples": "examples/Cat.csv"},
                                             "Dog": {"test_set": "test_sets/Dog.parquet"}}},
                        debugging={"data_ids": {"d1": {"train": "t.parquet", "test": "x.parquet",
                                                       "ground_truth": "g.csv"}}})
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    # debugging files are not checked: no resource fills that destination
    assert info.value.message.startswith(
        f"{tmp_path}: the downloaded resources lack 2 file(s) the parameters name: "
        "selection/examples/Cat.csv, selection/test_sets/Dog.parquet")


# --------------------------------------------------------------------------- the local side and the network
def test_dns_failure_is_one_line(tmp_path):
    params = params_for([{"url": "https://resources.invalid/sel.zip", "destination": "selection", "kind": "zip"}],
                        max_tries=2)
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    assert info.value.message == ("download of https://resources.invalid/sel.zip failed: DNS lookup failed "
                                  "(no network, or the host name is wrong) (gave up after 2 attempts)")


def test_connection_refused(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    params = params_for([{"url": f"http://127.0.0.1:{port}/x", "destination": "selection", "path": "x"}],
                        max_tries=1)
    with pytest.raises(InputError, match=rf"127\.0\.0\.1:{port}/x failed: connection refused \(gave up"):
        fetch_resources(params, tmp_path)


def test_disk_full_while_writing(server, tmp_path, monkeypatch):
    server.routes["/d.bin"] = static(b"z" * 100_000)

    class Full(io.BytesIO):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device", "x.part")

    monkeypatch.setattr(transfer, "open", lambda path, mode: Full(), raising=False)
    params = params_for([{"url": server.url("/d.bin"), "destination": "selection", "path": "d.bin"}])
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    assert info.value.message == (f"download of {server.url('/d.bin')} failed: cannot write x.part: "
                                  "No space left on device")
    assert listing(tmp_path) == []


def test_disk_full_while_extracting_keeps_the_verified_archive_for_the_next_run(server, tmp_path, monkeypatch):
    archive = make_zip({"a.txt": b"a" * 1000, "b.txt": b"b" * 1000})
    server.routes["/r.zip"] = static(archive)
    params = params_for(with_pool(server, [{"url": server.url("/r.zip"), "destination": "debugging",
                                            "kind": "zip", "sha256": sha(archive)}]))
    real_open = open

    def full_open(path, mode="r", *args, **kwargs):
        if Path(path).name == "b.txt" and ("w" in mode or "x" in mode):  # archives create with "xb"
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(archives, "open", full_open, raising=False)
    with pytest.raises(InputError, match=r"r\.zip failed: cannot write .*b\.txt: No space left on device"):
        fetch_resources(params, tmp_path)
    assert listing(tmp_path) == []  # a.txt was extracted, but never moved into place
    assert not list((tmp_path / STAGING).glob("extract-*")) and not list((tmp_path / STAGING).glob("*.json"))
    assert len(list((tmp_path / STAGING).glob("*.part"))) == 1  # verified bytes, hidden, kept for next time

    monkeypatch.undo()
    local_only_again(monkeypatch)
    fetch_resources(params, tmp_path)
    assert (tmp_path / "debugging/b.txt").read_bytes() == b"b" * 1000
    ranges = [h.get("Range") for path, _, h in server.log if path == "/r.zip"]
    assert ranges == [None, f"bytes={len(archive)}-"]  # answered 416: the .part was already whole


def test_not_enough_disk_space_is_caught_before_writing(server, tmp_path, monkeypatch):
    server.routes["/d.bin"] = static(b"z" * 100_000)
    real = transfer.shutil.disk_usage
    monkeypatch.setattr(transfer.shutil, "disk_usage", lambda p: real(p)._replace(free=10))
    params = params_for([{"url": server.url("/d.bin"), "destination": "selection", "path": "d.bin"}])
    with pytest.raises(InputError, match=r"not enough disk space .*need 100000 bytes \(97.7kB\), 10 free"):
        fetch_resources(params, tmp_path)


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("resource, message", [
    ({"url": "ftp://x/y", "destination": "selection", "path": "a"}, "expected an http:// or https:// URL"),
    ({"url": "http://x/y", "destination": "selection", "path": "../a"}, "relative path inside"),
    ({"url": "http://x/y", "destination": "selection"}, "a file needs a path"),
    ({"url": "http://x/y", "destination": "selection", "kind": "zip", "strip_components": -1}, "must be between 0 and 255"),
    ({"url": "http://x/y", "destination": "selection", "path": "a", "sha256": "abc"}, "64 hex digits"),
    ({"url": "http://x/y", "destination": "selection", "path": "a", "strip_components": 1}, "archives only"),
    ({"url": "http://x/y", "destination": "elsewhere", "kind": "zip"}, "not one of selection, debugging"),
])
def test_http_parameters_are_checked(resource, message):
    with pytest.raises(InputError, match=message):
        params_for([resource])


def test_http_source_needs_resources():
    with pytest.raises(InputError, match="lists nothing"):
        params_for([])


# --------------------------------------------------------------------------- end to end
def test_cli_download_then_evaluate_selection(server, tmp_path):
    """A demo resource set, zipped and served, downloaded through the CLI, scores exactly like the original."""
    from benchmark.sources.digits import build_demo

    raw = yaml.safe_load(WORKSPACE_PARAMETERS.read_text(encoding="utf-8"))
    demo_params = parameters_from_dict({**raw, "download": {**raw["download"], "source": "demo"}})
    original, submissions = tmp_path / "original", tmp_path / "submissions"
    build_demo(demo_params, original, submissions)
    zips = {}
    for destination in ("selection", "debugging"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted((original / destination).rglob("*")):
                if path.is_file():
                    zf.write(path, f"dataperf-{destination}/{path.relative_to(original / destination).as_posix()}")
        zips[destination] = buffer.getvalue()
        server.routes[f"/{destination}.zip"] = static(zips[destination])
    drive(server, zips["debugging"])  # the debugging set comes as a Drive link, like the originals

    raw["download"] = {"source": "http", "http": {
        "backoff_s": 0.001, "drive_base_url": server.base,
        "resources": [
            {"url": server.url("/selection.zip"), "destination": "selection", "kind": "zip",
             "sha256": sha(zips["selection"]), "strip_components": 1},
            {"url": f"https://drive.google.com/file/d/{DRIVE_ID}/view?usp=sharing", "destination": "debugging",
             "kind": "zip", "sha256": sha(zips["debugging"]), "strip_components": 1},
        ]}}
    parameters = tmp_path / "parameters.yaml"
    parameters.write_text(yaml.safe_dump(raw), encoding="utf-8")
    data = tmp_path / "data"

    argv = ["download", f"--parameters_file={parameters}", f"--output_path={data}",
            f"--submission_path={tmp_path / 'unused'}"]
    assert cli.main(argv) == 0
    assert cli.main(argv) == 0  # second run: nothing fetched
    assert server.hits == Counter({"/selection.zip": 1, "/uc": 1, "/download": 1})
    assert listing(data) == sorted(p.relative_to(original).as_posix() for p in original.rglob("*"))

    results = {}
    for name, data_path in (("downloaded", data), ("original", original)):
        out = tmp_path / f"results-{name}"
        assert cli.main(["evaluate_selection", f"--data_path={data_path}",
                         f"--submission_path={submissions / 'selection'}", f"--parameters_file={parameters}",
                         f"--output_path={out}"]) == 0
        results[name] = yaml.safe_load((out / "results.yaml").read_text(encoding="utf-8"))
    assert results["downloaded"]["submissions"] == results["original"]["submissions"]
    assert results["downloaded"]["submissions"]["random_500"]["valid"]


@pytest.fixture
def log_lines():
    """What the CLI logs to stderr (its handler is created once, so redirect its stream)."""
    setup()
    handler = next(h for h in log.handlers if isinstance(h, logging.StreamHandler))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield lambda: buffer.getvalue().splitlines()
    handler.setStream(previous)


def test_cli_failure_is_one_line_and_exit_2(server, tmp_path, log_lines):
    parameters = tmp_path / "parameters.yaml"
    parameters.write_text(yaml.safe_dump({"download": {"source": "http", "http": {
        "resources": [{"url": server.url("/nope.zip"), "destination": "selection", "kind": "zip"}]}}}))
    code = cli.main(["download", f"--parameters_file={parameters}", f"--output_path={tmp_path / 'data'}",
                     f"--submission_path={tmp_path / 'subs'}"])
    assert code == 2
    errors = [line for line in log_lines() if line.startswith("ERROR")]
    assert errors == [f"ERROR download of {server.url('/nope.zip')} failed: HTTP 404 Not Found"]
    assert not (tmp_path / "data" / "selection").exists()


# --------------------------------------------------------------------------- hostile servers (issue 15)
def test_a_trickling_server_is_stopped_by_the_deadline(server, tmp_path):
    """timeout_s bounds each read; deadline_s bounds the resource, however slowly bytes arrive."""

    def trickle(h: Handler, query: dict) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "35")
        h.end_headers()
        try:
            for _ in range(35):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.1)
        except (ConnectionError, OSError):
            pass

    server.routes["/trickle"] = trickle
    params = params_for([{"url": server.url("/trickle"), "destination": "selection", "path": "t.txt"}],
                        timeout_s=1, deadline_s=0.8)
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    assert time.monotonic() - started < 2.5  # 35 bytes at 10 bytes/s would take 3.5 s
    assert "not complete within download.http.deadline_s" in info.value.message
    assert listing(tmp_path) == []


def test_retries_stop_at_the_deadline(server, tmp_path):
    server.routes["/down"] = failing(100, 503)
    params = params_for([{"url": server.url("/down"), "destination": "selection", "path": "f.txt"}],
                        max_tries=50, backoff_s=0.3, deadline_s=1.0)
    with pytest.raises(InputError) as info:
        fetch_resources(params, tmp_path)
    assert server.hits["/down"] < 5 and "no time left for another attempt" in info.value.message


@pytest.mark.parametrize("route", ["/missing", "/ok"])
def test_credentials_in_urls_are_never_printed(server, tmp_path, caplog, capfd, route):
    server.routes["/ok"] = static(b"data")
    url = server.url(route).replace("http://", "http://alice:s3cretpw@") + "?access_token=tok123456&x=1"
    params = params_for(with_pool(server, [{"url": url, "destination": "selection", "path": "f.txt"}]))
    caplog.set_level(logging.INFO, logger="benchmark")
    if route == "/missing":
        with pytest.raises(InputError) as info:
            fetch_resources(params, tmp_path)
        assert "alice:***@127.0.0.1" in info.value.message and "access_token=***" in info.value.message
        shown = info.value.message
    else:
        fetch_resources(params, tmp_path)
        shown = ""
    out, err = capfd.readouterr()
    everything = shown + caplog.text + out + err + "".join(
        p.read_text() for p in (tmp_path / STAGING).glob("*.json"))
    assert "s3cretpw" not in everything and "tok123456" not in everything
    assert "alice:***@" in caplog.text


def test_redact_keeps_what_is_not_secret():
    from benchmark.sources.http import redact

    assert redact("https://h.org/a.zip?dl=1") == "https://h.org/a.zip?dl=1"
    assert redact("https://u:p@h.org:8080/a?X-Amz-Signature=abc&id=3") == "https://u:***@h.org:8080/a?X-Amz-Signature=***&id=3"
    assert redact("https://token@h.org/a") == "https://***@h.org/a"
