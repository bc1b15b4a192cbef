"""The folders a task writes into: checked up front, so ownership problems are one line, not a traceback.

A container runs as whatever user id it is given (``-u``), and MLCube or a first run
without ``-u`` may have created the workspace folders as root. Writing would then fail
deep inside a task with a ``PermissionError``; instead every output folder (and every
folder already under it, which a task may write into) is checked before any work starts,
and the first one that cannot be written is named with the fixes.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError

FIXES = ("make the workspace yours on the host (sudo chown -R $(id -u):$(id -g) <workspace>) and run the "
         "container as you: docker/podman run -u $(id -u):$(id -g), mlcube run "
         "-Pdocker.cpu_args=\"-u $(id -u):$(id -g)\", or with rootless podman --userns=keep-id")


def _user() -> str:
    return f"{os.geteuid()}:{os.getegid()}" if hasattr(os, "geteuid") else "the current user"


def _read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _problem(folder: Path) -> str | None:
    """Why the running user cannot create files in ``folder`` (an existing directory), or None."""
    effective = os.access in os.supports_effective_ids  # the ids the kernel checks when we write
    if os.access(folder, os.W_OK | os.X_OK, effective_ids=effective):
        return None
    if _read_only_mount(folder):
        return "is on a read-only mount; mount it read-write (drop ':ro' / 'opts: ro' for outputs)"
    info = folder.stat()
    return (f"is not writable by uid:gid {_user()} (owner {info.st_uid}:{info.st_gid}, "
            f"mode {stat.S_IMODE(info.st_mode):04o}); {FIXES}")


def _shown(param: str, root: Path, folder: Path) -> str:
    """``output_path`` for the root itself, ``output_path/selection`` below it: the parameter names the mount."""
    if folder == root:
        return f"{param} ({root})"
    return f"{param} ({root}): folder {folder.relative_to(root).as_posix()}"


def require_writable_folder(param: str, path: str | Path) -> None:
    """Raise a one-line InputError unless the running user can write ``path`` and every folder under it.

    A missing folder is fine when its nearest existing parent is writable (the task creates it).
    Symlinked folders are not followed: a task replaces files by renaming in their own folder.
    """
    root = Path(path)
    try:
        return _check(param, root)
    except PermissionError as error:  # a parent folder we may not even look into
        raise InputError(f"{param}: cannot reach the output folder ({error.strerror}: {error.filename}); "
                         f"{FIXES}", root) from None


def _check(param: str, root: Path) -> None:
    if root.is_symlink() and not root.exists():
        raise InputError(f"output path is a symbolic link to nothing ({param}); create its target or remove the "
                         "link", root)
    if root.exists() and not root.is_dir():
        raise InputError(f"output path exists and is not a folder ({param})", root)
    if not root.exists():
        parent = root.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise InputError(f"{param}: cannot create the output folder, {parent} is not a folder", root)
        problem = _problem(parent)
        if problem:
            raise InputError(f"{param}: cannot create the output folder: its parent {parent} {problem}", root)
        return
    def unlisted(error: OSError) -> None:  # a folder we cannot list: we still need to write into it
        if error.filename:
            folder = Path(error.filename)
            problem = _problem(folder) if folder.is_dir() else None
            if problem:
                raise InputError(f"{_shown(param, root, folder)} {problem}")

    for current, folders, _files in os.walk(root, onerror=unlisted, followlinks=False):
        here = Path(current)
        problem = _problem(here)
        if problem:
            raise InputError(f"{_shown(param, root, here)} {problem}")
        folders.sort()


def require_input_folders(inputs: dict[str, str | Path]) -> None:
    """Every input folder exists (named as given: a wrong path is obvious from the line)."""
    for param, path in inputs.items():
        folder = Path(path)
        if not folder.is_dir():
            raise InputError(f"{param}: input folder not found" if not folder.exists()
                             else f"{param}: input path is not a folder", folder)


def require_writable_outputs(outputs: dict[str, str | Path]) -> None:
    """Check every output folder of a task, in the order given (parameter name -> path)."""
    for param, path in outputs.items():
        require_writable_folder(param, path)
