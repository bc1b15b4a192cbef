"""Records of completed downloads, so "present and verified" is cheap and honest.

After a resource has been downloaded, checked against its sha256 and placed,
a small JSON record is written (last, atomically) in the hidden staging folder:
the URL, the sha256 of the published bytes, and every file it put in place with
its size, modification time and sha256. A later run skips the resource when the
record exists, its sha256 matches the parameters, and every file is still there
with the recorded size; a file whose modification time changed is re-hashed
rather than trusted. No record (for example, a run killed while placing files)
means the resource is fetched again.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..formats.atomic import atomic_write_text
from .transfer import hash_file

VERSION = 1


@dataclass
class Manifest:
    url: str
    sha256: str  # of the downloaded file or archive
    kind: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path under data_root -> facts

    def __post_init__(self) -> None:
        self.refreshed = False  # set by problem() when re-hashed files got new mtimes recorded

    def add_file(self, data_root: Path, path: Path, sha256: str) -> None:
        st = path.lstat()
        self.files[path.relative_to(data_root).as_posix()] = {
            "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}

    def add_link(self, data_root: Path, path: Path) -> None:
        self.files[path.relative_to(data_root).as_posix()] = {"link": os.readlink(path)}

    def save(self, path: Path) -> None:
        atomic_write_text(path, json.dumps({"version": VERSION, **asdict(self)}, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Manifest | None":
        """The record at ``path``; None when absent or unreadable (then the resource is fetched again)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.pop("version", None) != VERSION:  # valid JSON of another shape too
            return None
        try:
            manifest = cls(**raw)
        except TypeError:
            return None
        if not (isinstance(manifest.url, str) and isinstance(manifest.sha256, str) and isinstance(manifest.kind, str)
                and isinstance(manifest.files, dict) and manifest.files
                and all(isinstance(rel, str) and isinstance(facts, dict) for rel, facts in manifest.files.items())):
            return None
        return manifest

    def problem(self, data_root: Path, expected_sha256: str | None) -> str | None:
        """Why the recorded download cannot be trusted any more, or None when it can.

        Re-hashed files that turn out unchanged get their new modification time
        recorded (the caller saves the manifest when ``refreshed`` is set).
        """
        if expected_sha256 is not None and expected_sha256.lower() != self.sha256:
            return "the sha256 in the parameters differs from the one downloaded before"
        for rel, facts in sorted(self.files.items()):
            path = data_root / rel
            try:
                st = path.lstat()
            except FileNotFoundError:
                return f"{rel} is missing"
            except OSError as exc:
                return f"{rel} cannot be checked ({exc.strerror})"
            if "link" in facts:
                if not path.is_symlink() or os.readlink(path) != facts["link"]:
                    return f"{rel} changed"
                continue
            if path.is_symlink() or not path.is_file() or st.st_size != facts.get("size"):
                return f"{rel} changed"
            if st.st_mtime_ns != facts.get("mtime_ns"):
                if hash_file(path) != facts.get("sha256"):
                    return f"{rel} changed"
                facts["mtime_ns"] = st.st_mtime_ns
                self.refreshed = True
        return None
