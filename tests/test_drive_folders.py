"""Google Drive folders and the hand-off of files fetched in a browser, against a local imitation of Drive."""
from __future__ import annotations

import pytest
from drive_imitation import DriveImitation, drive_id
from test_download_http import listing, local_only, make_tar_gz, make_zip, params_for, server, sha  # noqa: F401

from benchmark.errors import InputError
from benchmark.sources import gdrive
from benchmark.sources.http import STAGING, fetch_resources

FOLDER_LINK = "https://drive.google.com/drive/folders/{}?usp=sharing"
RESOURCES_ZIP = make_zip({"dataperf-vision-selection-resources/embeddings/train_emb_256_dataperf.parquet": b"P",
                          "dataperf-vision-selection-resources/test_sets/alpha_test_set_Hawk_256.parquet": b"H"})


POOL_AND_HAWK = {"pool": "embeddings/train_emb_256_dataperf.parquet",
                 "tasks": {"Hawk": {"test_set": "test_sets/alpha_test_set_Hawk_256.parquet"}}}


def folder_resource(folder: str, **extra) -> dict:
    return {"url": FOLDER_LINK.format(folder), "destination": "selection", "kind": "folder", **extra}


def test_a_folder_is_listed_and_its_files_fetched_behind_the_confirmation_page(server, tmp_path):
    drive = DriveImitation(server)
    folder = drive.add_folder("resources", {"dataperf-vision-selection-resources.zip": RESOURCES_ZIP,
                                            "train_sets": {"random_500.csv": b"ImageID,Confidence\na,1"},
                                            "README.txt": b"read me"})
    params = params_for([folder_resource(folder)], base_url=server.base, selection=POOL_AND_HAWK)
    fetch_resources(params, tmp_path)
    root = "selection/dataperf-vision-selection-resources"
    assert (tmp_path / root / "embeddings/train_emb_256_dataperf.parquet").read_bytes() == b"P"  # zip extracted
    assert (tmp_path / "selection/train_sets/random_500.csv").read_bytes() == b"ImageID,Confidence\na,1"
    assert (tmp_path / "selection/README.txt").read_bytes() == b"read me"
    assert not (tmp_path / "selection/dataperf-vision-selection-resources.zip").exists()
    assert server.hits["/embeddedfolderview"] == 2  # the folder and its subfolder
    assert server.hits["/download"] == 3  # every file came through the virus-scan form

    # a second run: no listing, no download (the recorded listing and records say all is in place)
    before = server.total_hits()
    fetch_resources(params, tmp_path)
    assert server.total_hits() == before
    # a file removed: listed again, only that file fetched again
    (tmp_path / "selection/README.txt").unlink()
    fetch_resources(params, tmp_path)
    assert (tmp_path / "selection/README.txt").read_bytes() == b"read me"
    assert server.hits["/download"] == 4


def test_only_the_files_a_resource_names(server, tmp_path):
    drive = DriveImitation(server)
    folder = drive.add_folder("r", {"a.csv": b"a", "sub": {"b.csv": b"b"}, "c.csv": b"c"}, large=False)
    fetch_resources(params_for([folder_resource(folder, files=["b.csv", "a.csv"], path="into")],
                               base_url=server.base, selection={"pool": "into/a.csv"}), tmp_path)
    assert listing(tmp_path) == ["selection", "selection/into", "selection/into/a.csv", "selection/into/sub",
                                 "selection/into/sub/b.csv"]
    with pytest.raises(InputError, match=r"the folder holds no file 'd.csv' \(it holds: a.csv, c.csv, sub/b.csv\)"):
        fetch_resources(params_for([folder_resource(folder, files=["d.csv"])], base_url=server.base), tmp_path)


ACCESS_PAGE = b"<html><head><title>Google Drive: Sign-in</title></head><body>You need access</body></html>"
QUOTA_PAGE = (b"<html><head><title>Google Drive - Quota exceeded</title></head><body>Too many users have viewed or "
              b"downloaded this file recently.</body></html>")
SCAN_PAGE = (b"<html><head><title>Google Drive - Virus scan warning</title></head><body>Google Drive can't scan "
             b"this file for viruses. <a href='/help'>Learn more</a></body></html>")


@pytest.mark.parametrize("where, status, page, expected", [
    ("folder", 403, b"<html>forbidden</html>", r"Google Drive denied access to the folder \(HTTP 403\): ask the "
                                               r"organizers to share it .* or open the link in a browser"),
    ("folder", 404, b"<html>nothing</html>", r"Google Drive has no such folder, or does not show it to you"),
    ("file", 200, ACCESS_PAGE, r"Google Drive denied access \('Google Drive: Sign-in'\): ask the organizers"),
    ("file", 200, QUOTA_PAGE, r"download quota for this file is exceeded .*: try again in a day, or open the link"),
    ("file", 200, SCAN_PAGE, r"too large for Google Drive's virus scan and its warning page has no download link "
                             r"this harness recognises .*: open the link in a browser.*\(click 'Download anyway'\)"),
    ("file", 403, b"<html>no</html>", r"Google Drive denied access to the file \(HTTP 403\)"),
])
def test_drive_refusals_say_what_to_do(server, tmp_path, where, status, page, expected):
    drive = DriveImitation(server)
    folder = drive.add_folder("r", {"a.zip": make_zip({"x": b"x"})})
    refused = folder if where == "folder" else drive_id("file/r/a.zip")
    drive.refusals[refused] = (status, page)
    with pytest.raises(InputError, match=expected) as caught:
        fetch_resources(params_for([folder_resource(folder)], base_url=server.base), tmp_path)
    assert "\n" not in caught.value.message
    assert f"{tmp_path / 'downloads' / 'selection'}/" in caught.value.message  # where to hand the file over
    assert listing(tmp_path) == []


def test_an_empty_folder(server, tmp_path):
    drive = DriveImitation(server)
    folder = drive.add_folder("empty", {"sub": {}})
    with pytest.raises(InputError, match=r"the Google Drive folder lists no files: check the link, and that it is "
                                         r"shared with you"):
        fetch_resources(params_for([folder_resource(folder)], base_url=server.base), tmp_path)


def test_folder_page_parsing_ignores_other_links():
    page = ('<html><title>x</title><a href="https://accounts.google.com/ServiceLogin">Sign in</a>'
            '<a href="https://drive.google.com/file/d/1aaaaaaaaaaaaaaaaaaaaaaaa/view"><div class="flip-entry-title">'
            'a &amp; b.zip</div><div>Jun 7</div></a>'
            '<a href="/drive/folders/1bbbbbbbbbbbbbbbbbbbbbbbb">sub</a>'
            '<a href="https://docs.google.com/document/d/1ccccccccccccccccccccc/edit">a doc</a></html>')
    assert gdrive.parse_folder_page(page) == ([("1aaaaaaaaaaaaaaaaaaaaaaaa", "a & b.zip")],
                                              [("1bbbbbbbbbbbbbbbbbbbbbbbb", "sub")])
    assert gdrive.folder_id("https://drive.google.com/drive/folders/181uI-7NFJwK3IOPy2kOYVIQS4vZOC02A?usp=sharing") \
        == "181uI-7NFJwK3IOPy2kOYVIQS4vZOC02A"
    assert gdrive.folder_id("https://drive.google.com/file/d/1_-WZCGd31XTENCtVjP4GqDLYShP3NzwK/view") is None


# --------------------------------------------------------------------------- hand-off (no network)
def test_an_archive_put_in_downloads_is_verified_and_extracted_without_network(tmp_path):
    archive = make_zip({"nested/embeddings/x.parquet": b"X"})
    (tmp_path / "downloads/debugging").mkdir(parents=True)
    (tmp_path / "downloads/debugging/whatever-the-browser-named-it.zip").write_bytes(archive)
    # the resource points at a port nothing listens on: any network use would fail the test
    params = params_for([{"url": "https://drive.google.com/file/d/1_-WZCGd31XTENCtVjP4GqDLYShP3NzwK/view",
                          "destination": "debugging", "kind": "zip", "sha256": sha(archive)}])
    fetch_resources(params, tmp_path)
    assert (tmp_path / "debugging/nested/embeddings/x.parquet").read_bytes() == b"X"
    fetch_resources(params, tmp_path)  # again: already present and verified
    (tmp_path / "downloads/debugging/whatever-the-browser-named-it.zip").write_bytes(make_zip({"y": b"y"}))
    with pytest.raises(InputError, match=r"whatever-the-browser-named-it.zip failed: sha256 mismatch \(expected "
                                         rf"{sha(archive)}, got [0-9a-f]{{64}}; .* or is not the published file\)"):
        fetch_resources(params, tmp_path)


def test_a_folder_unpacked_in_a_browser_is_taken_as_is(tmp_path):
    unpacked = tmp_path / "downloads/selection/dataperf-vision-selection-resources"
    (unpacked / "test_sets").mkdir(parents=True)
    (unpacked / "test_sets/alpha_test_set_Hawk_256.parquet").write_bytes(b"H")
    (unpacked / "inner.tar.gz").write_bytes(make_tar_gz([("embeddings/train_emb_256_dataperf.parquet", b"P", None)]))
    params = params_for([folder_resource("181uI-7NFJwK3IOPy2kOYVIQS4vZOC02A")],
                        selection={"pool": "embeddings/train_emb_256_dataperf.parquet",
                                   "tasks": {"Hawk": {"test_set": "test_sets/alpha_test_set_Hawk_256.parquet"}}})
    fetch_resources(params, tmp_path)
    # the folder keeps its name (issue 31: unzip -o of the debugging zip leaves embeddings/ and data/ side by side)
    placed = tmp_path / "selection/dataperf-vision-selection-resources"
    assert (placed / "test_sets/alpha_test_set_Hawk_256.parquet").read_bytes() == b"H"
    assert (placed / "embeddings/train_emb_256_dataperf.parquet").read_bytes() == b"P"


@pytest.mark.parametrize("form", ["path", "relative", "file_url"])
def test_a_local_path_or_file_url_in_the_resource_list(tmp_path, form):
    archive = make_tar_gz([("r/data/dataset_01g317_train.csv", b"ImageID,hv_label\n", None)])
    local = tmp_path / "fetched" / "debugging resources.tar.gz"
    local.parent.mkdir()
    local.write_bytes(archive)
    data = tmp_path / "data"
    url = {"path": str(local), "relative": "../fetched/debugging resources.tar.gz",
           "file_url": local.as_uri()}[form]
    fetch_resources(params_for([{"url": url, "destination": "debugging", "kind": "tar.gz", "sha256": sha(archive),
                                 "strip_components": 1}]), data)
    assert (data / "debugging/data/dataset_01g317_train.csv").read_bytes() == b"ImageID,hv_label\n"
    assert local.read_bytes() == archive  # the user's file is left alone
    assert not list((data / STAGING).glob("*.part"))


def test_an_archive_lacking_an_expected_file_lists_missing_and_found(tmp_path):
    archive = make_zip({"embeddings/01g317_train_0.3_300.parquet": b"t", "embeddings/01g317_tst_500.parquet": b"x"})
    local = tmp_path / "debugging.zip"
    local.write_bytes(archive)
    debugging = {"data_ids": {"01g317": {"train": "embeddings/01g317_train_0.3_300.parquet",
                                         "test": "embeddings/01g317_test_500.parquet",
                                         "ground_truth": "data/dataset_01g317_train.csv"}}}
    with pytest.raises(InputError) as caught:
        fetch_resources(params_for([{"url": str(local), "destination": "debugging", "kind": "zip"}],
                                   debugging=debugging), tmp_path / "data")
    assert caught.value.message == (
        f"{tmp_path / 'data'}: the downloaded resources lack 2 file(s) the parameters name: "
        "debugging/data/dataset_01g317_train.csv, debugging/embeddings/01g317_test_500.parquet; found instead: "
        "debugging/embeddings/01g317_train_0.3_300.parquet, debugging/embeddings/01g317_tst_500.parquet (check the "
        "resources and the paths in the parameters file)")
