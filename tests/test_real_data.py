"""The shipped configurations for the published DataPerf resources, against a local imitation of Google Drive.

workspace/dataperf_debugging.yaml and workspace/dataperf_selection.yaml are used
as shipped, except drive_base_url, which points at the 127.0.0.1 server; the
imitation serves archives with the published names and layouts (and the same
nested one folder deeper) behind Drive's large-file confirmation page.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_cli
from drive_imitation import DriveImitation
from published_layouts import (DEBUGGING_DATA_IDS, DEBUGGING_FILE_ID, SELECTION_FOLDER_ID, coactive_repo_files,
                               debugging_zip, selection_zip)
from test_download_http import local_only, server, static  # noqa: F401

CONFIGS = ("dataperf_debugging.yaml", "dataperf_selection.yaml")


GITHUB_RAW = "https://raw.githubusercontent.com/CoactiveAI/dataperf-vision-selection/"


def workspace_for(tmp_path: Path, base_url: str, repo_files: dict[str, bytes] | None = None) -> Path:
    """A workspace holding the shipped configurations, pointed at the local Drive imitation.

    The Coactive repository's files (raw GitHub URLs in the shipped selection configuration) are fetched from
    ``<base_url>/coactive/<path>`` instead, with the sha256 of the imitations in ``repo_files``; without them
    they point where nothing answers (tried once), as on a machine without network.
    """
    ws = tmp_path / "workspace"
    ws.mkdir(exist_ok=True)
    for name in CONFIGS:
        raw = yaml.safe_load((ROOT / "workspace" / name).read_text())
        raw["download"]["http"]["drive_base_url"] = base_url
        for resource in raw["download"]["http"]["resources"]:
            if resource["url"].startswith(GITHUB_RAW):
                resource["url"] = f"{base_url}/coactive/{resource['path']}"
                if repo_files is None:
                    raw["download"]["http"]["max_tries"] = 1
                else:
                    resource["sha256"] = hashlib.sha256(repo_files[resource["path"]]).hexdigest()
        (ws / name).write_text(yaml.safe_dump(raw, sort_keys=False))
    return ws


def serve_published(server, work: Path, nest: str = "", repo_files_in_zip: bool = False) -> DriveImitation:
    """Drive's debugging zip and selection folder, and the Coactive repository's files under /coactive/."""
    drive = DriveImitation(server)
    drive.add_file("debugging.zip", debugging_zip(work, nest), file_id=DEBUGGING_FILE_ID)
    drive.add_folder("dataperf-vision-selection",
                     {"dataperf-vision-selection-resources.zip": selection_zip(work, nest, repo_files_in_zip)},
                     folder_id=SELECTION_FOLDER_ID)
    serve_repo_files(server, work)
    return drive


def serve_repo_files(server, work: Path) -> dict[str, bytes]:
    files = coactive_repo_files(work)
    for rel, content in files.items():
        server.routes[f"/coactive/{rel}"] = static(content)
    return files


def cli(ws: Path, task: str, config: str) -> int:
    return run_cli(f"--workspace={ws}", task, f"--parameters_file={ws / config}")


def test_the_shipped_configurations_are_complete():
    debugging = yaml.safe_load((ROOT / "workspace" / "dataperf_debugging.yaml").read_text())
    assert list(debugging["debugging"]["data_ids"]) == DEBUGGING_DATA_IDS
    assert debugging["download"]["http"]["resources"][0]["url"] == \
        f"https://drive.google.com/file/d/{DEBUGGING_FILE_ID}/view?usp=sharing"
    for data_id, spec in debugging["debugging"]["data_ids"].items():
        assert spec == {"train": f"embeddings/{data_id}_train_0.3_300.parquet",
                        "val": f"embeddings/{data_id}_val_100.parquet",
                        "test": f"embeddings/{data_id}_test_500.parquet",
                        "ground_truth": f"data/dataset_{data_id}_train.csv"}
    selection = yaml.safe_load((ROOT / "workspace" / "dataperf_selection.yaml").read_text())
    assert selection["download"]["http"]["resources"][0]["url"] == \
        f"https://drive.google.com/drive/folders/{SELECTION_FOLDER_ID}?usp=sharing"
    assert {t: s["test_set"] for t, s in selection["selection"]["tasks"].items()} == {
        t: f"test_sets/alpha_test_set_{t}_256.parquet" for t in ("Cupcake", "Hawk", "Sushi")}


@pytest.mark.parametrize("nest, repo_files_in_zip", [("", False), ("one-more-folder", True)])
def test_download_evaluate_plot_with_the_shipped_configurations(server, tmp_path, nest, repo_files_in_zip):
    """Also with the zip holding examples/, train_sets/, results/ as the original's later README says: the
    repository's copies (at the paths the configuration names) are the ones used."""
    serve_published(server, tmp_path / "published", nest, repo_files_in_zip)
    ws = workspace_for(tmp_path, server.base, coactive_repo_files(tmp_path / "published"))
    for config in CONFIGS:
        assert cli(ws, "download", config) == 0, config
    deeper = f"{nest}/" if nest else ""
    assert (ws / f"data/debugging/{deeper}embeddings/04rky-flipped_train_0.3_300.parquet").is_file()
    assert (ws / f"data/selection/{deeper}dataperf-vision-selection-resources/test_sets/"
                 f"alpha_test_set_Hawk_256.parquet").is_file()
    assert server.hits["/download"] == 2  # both came through the large-file confirmation page
    # the original repository's files, where its checkout has them
    for rel in ("examples/alpha_example_set_Sushi.csv", "train_sets/random_500.csv",
                "results/result_for_random_500.json"):
        assert (ws / "data/selection" / rel).read_bytes() == coactive_repo_files(tmp_path / "published")[rel]
    # example submissions: the original's random_500.csv for every task, a random order per data_id
    random_500 = (ws / "data/selection/train_sets/random_500.csv").read_text()
    for task in ("Cupcake", "Hawk", "Sushi"):
        assert (ws / f"submissions/selection/random_500/{task}.csv").read_text() == random_500
    for data_id in DEBUGGING_DATA_IDS:
        order = (ws / f"submissions/debugging/{data_id}_random.txt").read_text().split()
        assert sorted(map(int, order)) == list(range(300))
        assert (ws / f"submissions/debugging/time_{data_id}_random.txt").is_file()
    # a second download fetches nothing
    before = server.total_hits()
    for config in CONFIGS:
        assert cli(ws, "download", config) == 0
    assert server.total_hits() == before

    assert cli(ws, "evaluate_selection", "dataperf_selection.yaml") == 0
    assert cli(ws, "evaluate_debugging", "dataperf_debugging.yaml") == 0
    assert cli(ws, "plot", "dataperf_selection.yaml") == 0
    selection = yaml.safe_load((ws / "results/selection/results.yaml").read_text())
    assert selection["leaderboard_metric"] == "mean_f1"
    assert selection["settings"]["pool"] == f"{deeper}dataperf-vision-selection-resources/embeddings/" \
                                            "train_emb_256_dataperf.parquet"
    assert selection["settings"]["tasks"]["Hawk"]["test_set"] == \
        f"{deeper}dataperf-vision-selection-resources/test_sets/alpha_test_set_Hawk_256.parquet"
    assert list(selection["submissions"]) == ["random_500"] and selection["submissions"]["random_500"]["valid"]
    assert selection["settings"]["tasks"]["Hawk"]["examples"] == "examples/alpha_example_set_Hawk.csv"
    # the same scores as the original's result_for_random_500.json (the independent computation wrote it)
    published = json.loads((ws / "data/selection/results/result_for_random_500.json").read_text())
    for t, scores in published.items():
        assert {k: selection["submissions"]["random_500"]["tasks"][t][k] for k in scores} == scores, t
    debugging = yaml.safe_load((ws / "results/debugging/results.yaml").read_text())
    assert sorted(debugging["data_ids"]) == sorted(DEBUGGING_DATA_IDS)
    assert debugging["settings"]["data_ids"]["04rky-flipped"]["ground_truth"] == \
        f"{deeper}data/dataset_04rky-flipped_train.csv"
    assert debugging["submissions"]["random"]["valid"]
    assert (ws / "plots/report.html").is_file() and (ws / "plots/selection_f1.png").is_file()
    assert (ws / "plots/debugging_01g317-flipped.png").is_file()


def test_browser_hand_off_needs_no_network(tmp_path, caplog):
    """The archives a browser fetched, put in data/downloads/<destination>/: the shipped configs, no server at all.
    The original repository's files cannot be fetched then: one warning each, and the zip's copies (the later
    README's layout) serve instead."""
    ws = workspace_for(tmp_path, "http://127.0.0.1:9")  # nothing listens there
    downloads = ws / "data" / "downloads"
    (downloads / "debugging").mkdir(parents=True)
    (downloads / "selection").mkdir(parents=True)
    (downloads / "debugging" / "dataperf-debugging.zip").write_bytes(debugging_zip(tmp_path / "published"))
    (downloads / "selection" / "dataperf-vision-selection-resources.zip").write_bytes(
        selection_zip(tmp_path / "published", repo_files=True))
    for config in CONFIGS:
        assert cli(ws, "download", config) == 0, config
    optional = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "(optional:" in r.getMessage()]
    assert len(optional) == 5 and all("127.0.0.1:9/coactive/" in m for m in optional), optional
    assert (ws / "data/debugging/data/dataset_09j2d_train.csv").is_file()
    assert (ws / "submissions/selection/random_500/Sushi.csv").is_file()
    shutil.rmtree(ws / "data" / "debugging")
    assert cli(ws, "download", "dataperf_debugging.yaml") == 0  # taken again from the hand-off
    assert (ws / "data/debugging/data/dataset_09j2d_train.csv").is_file()


def host_args(resolved: dict) -> list[str]:
    """The container arguments mlcube resolved, with its mount points mapped back to the host."""
    args = list(resolved["args"])
    mounts = resolved["mounts"]
    for i, arg in enumerate(args):
        for container in sorted(mounts, key=len, reverse=True):
            if "=" in arg and arg.split("=", 1)[1].startswith(container):
                key, value = arg.split("=", 1)
                args[i] = f"{key}={mounts[container]}{value[len(container):]}"
                break
    return args


def test_mlcube_run_with_parameters_file_name_value(server, tmp_path):
    """`mlcube run --task=download parameters_file=dataperf_debugging.yaml` (mlcube 0.0.9, no dashes) picks the
    file from the workspace and runs; `--parameters_file=...` is silently ignored by mlcube (default file)."""
    from test_mlcube_contract import probe

    serve_published(server, tmp_path / "published")
    ws = workspace_for(tmp_path, server.base)
    resolved = probe(ws, extra=("parameters_file=dataperf_debugging.yaml",))["tasks"]
    assert "--parameters_file=/mlcube_io0/dataperf_debugging.yaml" in resolved["download"]["args"]
    ignored = probe(ws, extra=("--parameters_file=dataperf_debugging.yaml",))["tasks"]
    assert "--parameters_file=/mlcube_io0/parameters.yaml" in ignored["download"]["args"]
    args = host_args(resolved["download"])
    assert f"--parameters_file={ws}/dataperf_debugging.yaml" in args
    assert run_cli(*args) == 0
    assert (ws / "data/debugging/embeddings/01g317_test_500.parquet").is_file()
