"""Run the demo and both shipped real-data configurations with two source trees; compare every output byte.

A refactoring claims "no behaviour change"; this is the measurement behind the claim. Each tree runs
as its own processes (``python -m benchmark`` with ``PYTHONPATH`` set to the tree), on the same
inputs, with measured seconds pinned (``BENCHMARK_PIN_SECONDS``) so that every output file --
results, curves, figures, report, submissions, downloaded data -- can be compared byte for byte
(download manifests without the mtimes they record).
The real-data configurations run against the tests' local imitation of Google Drive, serving
archives in the published layouts (built once, with the helpers of the first tree's tests).

    .venv/bin/python scripts/compare_trees.py --before /tmp/before --after . --work /tmp/compare

Exits 0 when every file is identical (and both trees left the same set of files), 1 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

CONFIGS = ("dataperf_debugging.yaml", "dataperf_selection.yaml")
# every task the shipped configurations support on the published resources
REAL_TASKS = (("download", CONFIGS[0]), ("download", CONFIGS[1]), ("debug_baselines", CONFIGS[0]),
              ("evaluate_selection", CONFIGS[1]), ("evaluate_debugging", CONFIGS[0]), ("plot", CONFIGS[1]))


def run(tree: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree), "BENCHMARK_PIN_SECONDS": "0.5"}
    done = subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=3600)
    print(f"  {tree}: {args[1]} -> exit {done.returncode}", file=sys.stderr)
    return done


def content(path: Path) -> bytes:
    """A file's bytes; a download manifest's without the files' mtimes (when they were written, not what)."""
    if path.parent.name == ".download" and path.suffix == ".json":
        manifest = json.loads(path.read_bytes())
        for entry in (manifest.get("files", {}) if isinstance(manifest, dict) else {}).values():
            entry.pop("mtime_ns", None)
        return json.dumps(manifest, sort_keys=True).encode()
    return path.read_bytes()


def hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under root, read through links (``results.yaml`` links into ``.set-<hash>``)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(content(p)).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def demo(tree: Path, work: Path) -> tuple[dict[str, str], str]:
    ws = work / "demo"
    ws.mkdir(parents=True)
    shutil.copy(tree / "workspace" / "parameters.yaml", ws)
    done = run(tree, f"--workspace={ws}", "demo")
    return hashes(ws), f"exit {done.returncode}\n{done.stdout}"


GITHUB_RAW = "https://raw.githubusercontent.com/"  # the original repository's files: served locally instead


def real(tree: Path, work: Path, base_url: str, repo_files: dict[str, bytes]) -> tuple[dict[str, str], str]:
    ws = work / "real"
    ws.mkdir(parents=True)
    for name in CONFIGS:
        raw = yaml.safe_load((tree / "workspace" / name).read_text())
        raw["download"]["http"]["drive_base_url"] = base_url
        for resource in raw["download"]["http"]["resources"]:  # never the internet
            if resource["url"].startswith(GITHUB_RAW):
                resource["url"] = f"{base_url}/coactive/{resource['path']}"
                if resource["path"] in repo_files:
                    resource["sha256"] = hashlib.sha256(repo_files[resource["path"]]).hexdigest()
                else:
                    raw["download"]["http"]["max_tries"] = 1
        (ws / name).write_text(yaml.safe_dump(raw, sort_keys=False))
    transcript = []
    for task, config in REAL_TASKS:
        done = run(tree, f"--workspace={ws}", task, f"--parameters_file={ws / config}")
        transcript.append(f"{task} {config}: exit {done.returncode}\n{done.stdout}")
    return hashes(ws), "\n".join(transcript)


def compare(label: str, before: tuple[dict[str, str], str], after: tuple[dict[str, str], str]) -> bool:
    (files_a, out_a), (files_b, out_b) = before, after
    same = True
    for name in sorted(set(files_a) | set(files_b)):
        if files_a.get(name) != files_b.get(name):
            print(f"{label}: DIFFERS {name}")
            same = False
    if out_a != out_b:
        print(f"{label}: the printed output differs")
        same = False
    print(f"{label}: {len(files_a)} files, {'all identical' if same else 'NOT identical'}; printed output "
          f"{'identical' if out_a == out_b else 'differs'}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="emptied, then holds both trees' workspaces")
    args = parser.parse_args()
    before, after = args.before.resolve(), args.after.resolve()
    shutil.rmtree(args.work, ignore_errors=True)
    sys.path[:0] = [str(before / "tests"), str(before)]
    from drive_imitation import DriveImitation  # the first tree's test helpers serve and build the archives
    from published_layouts import DEBUGGING_FILE_ID, SELECTION_FOLDER_ID, debugging_zip, selection_zip
    from test_download_http import LocalServer, static

    server = LocalServer()
    server.thread.start()
    try:
        drive = DriveImitation(server)
        drive.add_file("debugging.zip", debugging_zip(args.work / "published"), file_id=DEBUGGING_FILE_ID)
        drive.add_folder("dataperf-vision-selection",
                         {"dataperf-vision-selection-resources.zip": selection_zip(args.work / "published")},
                         folder_id=SELECTION_FOLDER_ID)
        try:  # the Coactive repository's files, where the first tree's helpers build them
            from published_layouts import coactive_repo_files
            repo_files = coactive_repo_files(args.work / "published")
        except ImportError:
            repo_files = {}
        for rel, data in repo_files.items():
            server.routes[f"/coactive/{rel}"] = static(data)
        ok = True
        for label, step in (("demo", lambda tree, work: demo(tree, work)),
                            ("shipped configurations", lambda tree, work: real(tree, work, server.base, repo_files))):
            print(f"{label} ...", file=sys.stderr)
            outputs = []
            for side, tree in (("before", before), ("after", after)):
                here = args.work / label.split()[0]  # the same path for both: nothing differs by where it ran
                outputs.append(step(tree, here))
                here.rename(args.work / f"{side}-{here.name}")  # kept for a look at what differs
            ok = compare(label, *outputs) and ok
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
