"""Output folders the running user cannot write: one line naming the folder and the fixes, exit 2.

As root (CI), the tests switch the effective user id to OTHER around the CLI call, so folders
created by root are "owned by someone else", as after a first container run without -u.
As a non-root user, the same situations are made with chmod.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT

from benchmark.cli import main
from benchmark.errors import InputError
from benchmark.logs import mounted_roots, shown
from benchmark.workspace.access import require_writable_folder

OTHER = 4321  # an unprivileged user id that owns nothing here
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def as_unprivileged_user():
    """Root: act as OTHER (effective ids only, restored after). Non-root: already unprivileged."""
    if not IS_ROOT:
        yield
        return
    groups = os.getgroups()
    os.setgroups([])
    os.setegid(OTHER)
    os.seteuid(OTHER)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups(groups)


def foreign(path: Path) -> None:
    """Make an existing folder not writable by the unprivileged user (root-owned 0755, or 0555 for us)."""
    if IS_ROOT:
        os.chown(path, 0, 0)
        path.chmod(0o755)
    else:
        path.chmod(0o555)


def mine(path: Path) -> None:
    if IS_ROOT:
        os.chown(path, OTHER, OTHER)
    path.chmod(0o755)


@pytest.fixture
def workspace() -> Path:
    """A workspace the unprivileged user can reach (pytest's own tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="workspace-paths-"))
    base.chmod(0o755)
    ws = base / "workspace"
    ws.mkdir(mode=0o755)
    shutil.copy(ROOT / "workspace" / "parameters.yaml", ws / "parameters.yaml")
    (ws / "parameters.yaml").chmod(0o644)
    yield ws
    for p in [ws, *ws.rglob("*")]:  # unlock what the tests locked, then clean up
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
    shutil.rmtree(base)


def run(caplog: pytest.LogCaptureFixture, *argv: str) -> tuple[int, list[str]]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark"), as_unprivileged_user():
        code = main(list(argv))
    return code, [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_download_into_a_folder_owned_by_someone_else(workspace: Path, caplog) -> None:
    data = workspace / "data"
    data.mkdir()
    foreign(data)
    code, errors = run(caplog, "--workspace", str(workspace), "download")
    assert code == 2
    assert len(errors) == 1, errors
    line = errors[0]
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"output_path ({data}) is not writable by uid:gid"), line
    assert "-u $(id -u):$(id -g)" in line and "chown -R" in line and "--userns=keep-id" in line
    if IS_ROOT:
        assert f"uid:gid {OTHER}:{OTHER} (owner 0:0, mode 0755)" in line
    assert list(data.iterdir()) == [] and not (workspace / "submissions").exists()  # nothing written


def test_a_subfolder_left_by_an_earlier_run_is_named(workspace: Path, caplog) -> None:
    """data/ is the user's, but data/selection was created by an earlier run as another user."""
    data = workspace / "data"
    (data / "selection" / "embeddings").mkdir(parents=True)
    (data / "debugging").mkdir()
    for folder in (workspace, data, data / "debugging", data / "selection" / "embeddings"):
        mine(folder)
    foreign(data / "selection")
    code, errors = run(caplog, "--workspace", str(workspace), "download")
    assert code == 2
    assert len(errors) == 1 and errors[0].startswith(f"output_path ({data}): folder selection is not writable"), errors


def test_missing_output_folder_under_a_foreign_parent(workspace: Path, caplog) -> None:
    results = workspace / "results"
    results.mkdir()
    foreign(results)
    target = results / "plots"  # results/ itself is readable: the input check passes
    code, errors = run(caplog, "--workspace", str(workspace), "plot", f"--output_path={target}")
    assert code == 2
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{target}: output_path: cannot create the output folder: its parent {results} "
                                "is not writable"), errors[0]
    assert not target.exists()


def test_output_path_that_is_a_file(workspace: Path, caplog) -> None:
    (workspace / "results").mkdir()
    (workspace / "plots").write_text("not a folder")
    code, errors = run(caplog, "--workspace", str(workspace), "plot")
    assert code == 2
    assert errors == [f"{workspace / 'plots'}: output path exists and is not a folder (output_path)"]


def test_writable_folders_pass_and_missing_ones_are_left_to_the_task(tmp_path: Path) -> None:
    root = tmp_path / "out"
    (root / "a" / "b").mkdir(parents=True)
    require_writable_folder("output_path", root)
    require_writable_folder("output_path", tmp_path / "new" / "deeper")  # created later by the task
    assert not (tmp_path / "new").exists()
    (root / "a" / "file").write_text("x")
    with pytest.raises(InputError, match="cannot create the output folder, .*file is not a folder"):
        require_writable_folder("output_path", root / "a" / "file" / "x")


def test_output_folder_behind_a_folder_we_cannot_enter(workspace: Path, caplog) -> None:
    (workspace / "results").mkdir()
    private = workspace / "private"
    (private / "plots").mkdir(parents=True)
    foreign(private)
    private.chmod(0o700 if IS_ROOT else 0o000)
    code, errors = run(caplog, "--workspace", str(workspace), "plot", f"--output_path={private / 'plots'}")
    assert code == 2
    assert len(errors) == 1 and errors[0].startswith(
        f"{private / 'plots'}: output_path: cannot reach the output folder (Permission denied: "), errors


def test_paths_are_shown_relative_to_the_parameter_folder_that_holds_them(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    folders = {"data_path": ws / "data", "submission_path": ws / "submissions" / "selection",
               "output_path": ws / "results" / "selection"}
    assert shown(ws / "submissions" / "selection" / "mine" / "Five.csv") == str(ws / "submissions" / "selection"
                                                                                / "mine" / "Five.csv")
    with mounted_roots(folders, {"parameters_file": ws / "parameters.yaml"}):
        assert shown(ws / "submissions" / "selection" / "mine" / "Five.csv") == "mine/Five.csv"
        assert shown(ws / "data" / "selection" / "pool.parquet") == "selection/pool.parquet"
        assert shown(ws / "results" / "selection" / "results.yaml") == "results.yaml"
        assert shown(ws / "parameters.yaml") == str(ws / "parameters.yaml")  # a file parameter: as given
        assert shown(ws / "other.yaml") == "other.yaml"  # in parameters_file's folder
        assert shown(ws / "submissions" / "selection") == f"submission_path ({ws / 'submissions' / 'selection'})"
        assert shown("/elsewhere/x.csv") == "/elsewhere/x.csv"
        # the same files under container mount points read the same
        with mounted_roots({"data_path": "/mlcube_io0", "submission_path": "/mlcube_io1"},
                           {"parameters_file": "/mlcube_io2/parameters.yaml"}):
            assert shown("/mlcube_io1/mine/Five.csv") == "mine/Five.csv"
            assert shown("/mlcube_io2/parameters.yaml") == "/mlcube_io2/parameters.yaml"
        assert shown(ws / "data") == f"data_path ({ws / 'data'})"
    assert shown(ws / "data") == str(ws / "data")
