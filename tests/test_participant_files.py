"""The files participants really have (issue 31): every published layout handed over as a person leaves it, the
originals' own submission file names and mappings, and the dataperf_2022 selection protocol against the original
evaluator's computation (tests/published_layouts.py: original_scores).

Layouts are put in data/downloads/<benchmark>/ and run with the shipped configurations; the Coactive repository's
files come from the 127.0.0.1 server (tests/test_real_data.py: workspace_for).
"""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import run_cli
from published_layouts import (SELECTION_TASKS, coactive_repo_files, debugging_zip, original_scores, selection_zip,
                               write_debugging, write_selection, zip_folder)
from test_download_http import local_only, server  # noqa: F401
from test_real_data import cli, serve_repo_files, workspace_for

from benchmark.sources import layout

RESOURCES = "dataperf-vision-selection-resources"


# --------------------------------------------------------------------------- building the layouts
def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def with_macosx(archive: bytes) -> bytes:
    """The same zip as macOS' Archive Utility makes it: a ``__MACOSX/._<name>`` resource fork per entry."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    forks = {f"__MACOSX/{n.rsplit('/', 1)[0] + '/' if '/' in n else ''}._{n.rsplit('/', 1)[-1]}": b"\x00\x05\x16\x07"
             for n in entries}
    return zip_of({**entries, **forks})


def unzip_into(archive: bytes, folder: Path) -> None:
    """What ``unzip -o`` leaves (the entries written below ``folder``)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        zf.extractall(folder)


def spark_pool_zip(work: Path) -> bytes:
    """The selection zip with the pool as Spark writes it: a folder of part files, _SUCCESS and .crc files."""
    selection_zip(work)
    resources = work / "selection" / RESOURCES
    single = resources / "embeddings" / "train_emb_256_dataperf.parquet"
    table = pq.read_table(single)
    single.unlink()
    single.mkdir()
    for k, start in enumerate(range(0, table.num_rows, 700)):
        name = f"part-{k:05d}-0e2c4f6a-1b3d-4e5f-8a9b-0c1d2e3f4a5b-c000.snappy.parquet"
        layout.write_table(single / name, table.slice(start, 700))
        (single / f".{name}.crc").write_bytes(b"crc")
    (single / "_SUCCESS").write_bytes(b"")
    return zip_folder(work / "selection")


DRIVE_FOLDER_ZIP = "dataperf-vision-20231010T101010Z-001.zip"  # what Drive's "Download" of a folder sends


def hand_over(kind: str, layout_name: str, work: Path, downloads: Path) -> None:
    """Put one published layout of ``kind`` (debugging | selection) in ``downloads/<kind>/``."""
    folder = downloads / kind
    folder.mkdir(parents=True)
    archive = debugging_zip(work) if kind == "debugging" else selection_zip(work)
    name = "cleaning_challenge_data.zip" if kind == "debugging" else f"{RESOURCES}.zip"
    if layout_name == "zip":
        (folder / name).write_bytes(archive)
    elif layout_name == "unzipped_beside_the_zip":  # `unzip -o <zip>` inside the hand-off folder, as the guides say
        (folder / name).write_bytes(archive)
        unzip_into(archive, folder)
    elif layout_name == "unzipped":  # the same, the zip then deleted
        unzip_into(archive, folder)
    elif layout_name == "drive_folder_zip":  # a zip of the Drive folder, holding the published zip in it
        (folder / DRIVE_FOLDER_ZIP).write_bytes(zip_of({f"dataperf-vision/{name}": archive}))
    elif layout_name == "drive_folder_zip_flat":  # the same, without the folder inside
        (folder / DRIVE_FOLDER_ZIP).write_bytes(zip_of({name: archive}))
    elif layout_name == "macosx":  # zipped on a Mac, inside a Drive-folder zip zipped on a Mac, and unzipped there
        outer = with_macosx(zip_of({name: with_macosx(archive)}))
        (folder / DRIVE_FOLDER_ZIP).write_bytes(outer)
        (folder / "__MACOSX").mkdir()  # what unzipping a Mac-made zip there leaves
        (folder / "__MACOSX" / f"._{DRIVE_FOLDER_ZIP}").write_bytes(b"\x00\x05\x16\x07")
    elif layout_name == "spark_pool":
        (folder / name).write_bytes(spark_pool_zip(work))
    else:
        raise AssertionError(layout_name)


def scores_of(ws: Path, kind: str) -> dict:
    results = yaml.safe_load((ws / f"results/{kind}/results.yaml").read_text())
    return {name: {part: {k: v for k, v in values.items() if not k.endswith("_s")}
                   for part, values in entry["tasks" if kind == "selection" else "data_ids"].items()}
            for name, entry in results["submissions"].items()}


def run_published(tmp_path: Path, server, kind: str, layout_name: str, caplog) -> tuple[Path, dict]:
    """The README's real-data commands (download, evaluate) on one hand-off layout; every one must exit 0."""
    repo_files = serve_repo_files(server, tmp_path / "published")
    ws = workspace_for(tmp_path, server.base, repo_files)
    hand_over(kind, layout_name, tmp_path / "published", ws / "data" / "downloads")
    config = f"dataperf_{kind}.yaml"
    caplog.clear()
    assert cli(ws, "download", config) == 0
    download_log = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert cli(ws, f"evaluate_{kind}", config) == 0
    return ws, {"scores": scores_of(ws, kind), "warnings": download_log}


LAYOUTS = {"debugging": ["zip", "unzipped_beside_the_zip", "unzipped", "drive_folder_zip", "macosx"],
           "selection": ["zip", "unzipped_beside_the_zip", "unzipped", "drive_folder_zip", "drive_folder_zip_flat",
                         "macosx", "spark_pool"]}


@pytest.mark.parametrize("kind, layout_name", [(k, name) for k, names in LAYOUTS.items() for name in names])
def test_every_published_layout_handed_over_gives_the_same_scores(server, tmp_path, caplog, kind, layout_name):
    reference_ws, reference = run_published(tmp_path / "reference", server, kind, "zip", caplog)
    ws, got = run_published(tmp_path / "case", server, kind, layout_name, caplog)
    assert got["scores"] == reference["scores"]
    parts = next(iter(got["scores"].values()))
    assert len(parts) == (8 if kind == "debugging" else 3) and all("error" not in p for p in parts.values())
    # one warning per resource whose digest is unknown (the hand-off's archive or folders), never one per file
    unverified = [m for m in got["warnings"] if "no sha256 in the parameters" in m]
    expected = 2 if (kind, layout_name) == ("debugging", "unzipped") else 1  # embeddings/ and data/
    assert len(unverified) == expected, got["warnings"]
    assert not [m for m in got["warnings"] if "no sha256" not in m], got["warnings"]
    if layout_name == "unzipped_beside_the_zip":  # the zip is used, its unpacked copy skipped
        assert "the unpacked copy of an archive beside it" in caplog.text
    placed = sorted(p.relative_to(ws / "data" / kind).as_posix() for p in (ws / "data" / kind).rglob("*.parquet"))
    assert not any(p.endswith(".zip") for p in placed)
    assert not (ws / "data" / kind / "__MACOSX").exists() or layout_name == "macosx"
    if layout_name == "spark_pool":
        pool = yaml.safe_load((ws / "results/selection/results.yaml").read_text())["settings"]["pool"]
        assert pool == f"{RESOURCES}/embeddings/train_emb_256_dataperf.parquet"
        assert len(list((ws / "data/selection" / pool).glob("part-*.snappy.parquet"))) == 5


def test_the_debugging_guides_unzip_lands_where_the_original_expects(server, tmp_path, caplog):
    """`unzip -o cleaning_challenge_data.zip` leaves embeddings/ and data/; both keep their names."""
    ws, _ = run_published(tmp_path, server, "debugging", "unzipped", caplog)
    assert (ws / "data/debugging/embeddings/01g317-flipped_train_0.3_300.parquet").is_file()
    assert (ws / "data/debugging/data/dataset_09j2d_train.csv").is_file()
    assert cli(ws, "download", "dataperf_debugging.yaml") == 0  # a second time: already present and verified
    assert caplog.text.count("already present and verified") >= 2


def test_a_handed_over_file_of_a_repository_resource_is_verified_against_its_sha256(tmp_path, caplog):
    """random_500.csv put beside the zip stands for the configured resource: it must be the published file."""
    ws = workspace_for(tmp_path, "http://127.0.0.1:9")
    folder = ws / "data/downloads/selection"
    folder.mkdir(parents=True)
    (folder / f"{RESOURCES}.zip").write_bytes(selection_zip(tmp_path / "published"))
    (folder / "random_500.csv").write_bytes(coactive_repo_files(tmp_path / "published")["train_sets/random_500.csv"])
    assert cli(ws, "download", "dataperf_selection.yaml") == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "random_500.csv failed: sha256 mismatch (expected 0e697cdec6855" in errors[0]


def test_without_the_repository_files_download_says_so_and_evaluation_runs(tmp_path, caplog):
    """Only the Drive resources, no network: one warning per repository file and one for the example submission;
    the evaluation then scores a participant's submission (the absent example sets are recorded as null)."""
    ws = workspace_for(tmp_path, "http://127.0.0.1:9")
    folder = ws / "data/downloads/selection"
    folder.mkdir(parents=True)
    made_zip = selection_zip(tmp_path / "published")
    (folder / f"{RESOURCES}.zip").write_bytes(made_zip)
    assert cli(ws, "download", "dataperf_selection.yaml") == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len([w for w in warnings if "(optional: going on without selection/" in w]) == 5
    # offline, the host is tried for the first file only; the other four are not tried (one round of retries)
    assert len([w for w in warnings if ": not tried, 127.0.0.1 did not answer for " in w]) == 4
    assert caplog.text.count("/coactive/") and len([r for r in caplog.records if r.getMessage().endswith(": fetching")
                                                     and "/coactive/" in r.getMessage()]) == 1
    assert [w for w in warnings if w.startswith("no selection example submission")] == [
        "no selection example submission: random_500.csv among the selection resources (not found); the original "
        "repository ships it as data/train_sets/random_500.csv"]
    random_500 = coactive_repo_files(tmp_path / "published")["train_sets/random_500.csv"]
    for t in SELECTION_TASKS:
        (ws / "submissions/selection/mine").mkdir(parents=True, exist_ok=True)
        (ws / f"submissions/selection/mine/{t}.csv").write_bytes(random_500)
    assert cli(ws, "evaluate_selection", "dataperf_selection.yaml") == 0
    results = yaml.safe_load((ws / "results/selection/results.yaml").read_text())
    assert results["settings"]["tasks"]["Hawk"]["examples"] is None and results["submissions"]["mine"]["valid"]


# --------------------------------------------------------------------------- the originals' submission files
ORIGINAL_TASK_SETUP = """# Memory used by Spark driver (recommend > 6g)
spark_driver_memory: '6g'
data_dir: 'data'
emb_file: 'embeddings/train_emb_256_dataperf.parquet'
Cupcake: ['train_sets/Cupcake_fpscv_ft2.csv', 'test_sets/alpha_test_set_Cupcake_256.parquet']
Hawk: ['train_sets/Hawk_fpscv_ft2.csv', 'test_sets/alpha_test_set_Hawk_256.parquet']
Sushi: ['train_sets/Sushi_fpscv_ft2.csv', 'test_sets/alpha_test_set_Sushi_256.parquet']
results_dir: 'results'
dim: 256
eval_tasks: ['Cupcake','Hawk','Sushi']
docker_data_dir: 'data'
"""


def training_set(made: dict, rng: np.random.Generator, rows: int, task_index: int) -> pd.DataFrame:
    chosen = rng.choice(len(made["pool_ids"]), rows, replace=False)
    labels = (made["pool_X"][chosen, task_index] + 0.5 * rng.standard_normal(rows) > 0).astype(int)
    return pd.DataFrame({"ImageID": made["pool_ids"][chosen], "Confidence": labels})


def selection_workspace(tmp_path: Path, selection: dict) -> tuple[Path, Path, dict]:
    ws = tmp_path / "workspace"
    (ws / "submissions/selection").mkdir(parents=True)
    (ws / "parameters.yaml").write_text(yaml.safe_dump({"selection": selection}))
    resources = ws / "data/selection" / RESOURCES
    return ws, resources, write_selection(resources)


def original_of(resources: Path, csv: Path, task: str) -> dict[str, float]:
    return original_scores(csv, resources / "embeddings/train_emb_256_dataperf.parquet",
                           resources / f"test_sets/alpha_test_set_{task}_256.parquet")


def test_the_originals_submission_names_and_mappings_are_scored(tmp_path, caplog):
    mapping = {"files": {"hawk": "hawk_27.csv", "Cupcake": "train_sets/cupcake_27.csv", "SUSHI": "sushi_27.csv"}}
    ws, resources, made = selection_workspace(tmp_path, {"submissions": {"uncertainty": mapping}})
    root = ws / "submissions/selection"
    rng = np.random.default_rng(11)
    files = {  # submission -> {task: file inside its folder}
        "fpscv": {t: f"{t}_fpscv_ft2.csv" for t in SELECTION_TASKS},  # + task_setup.yaml, + .json copies
        "uncertainty": {"Cupcake": "train_sets/cupcake_27.csv", "Hawk": "hawk_27.csv", "Sushi": "sushi_27.csv"},
        "pseudo_labels": {t: f"{t.lower()}.csv" for t in SELECTION_TASKS},
    }
    for name, by_task in files.items():
        for i, (t, rel) in enumerate(sorted(by_task.items())):
            (root / name / rel).parent.mkdir(parents=True, exist_ok=True)
            training_set(made, rng, 80 + 40 * i, i).to_csv(root / name / rel, index=False)
    (root / "fpscv/task_setup.yaml").write_text(ORIGINAL_TASK_SETUP)
    for t in SELECTION_TASKS:
        (root / f"fpscv/{t}_fpscv_ft2.json").write_text("{}")
    (root / "pseudo_labels/cupcake_baseline.json").write_text("{}")
    (root / "unmapped").mkdir()
    for t in ("Cupcake", "Sushi"):
        shutil.copy(root / f"fpscv/{t}_fpscv_ft2.csv", root / f"unmapped/{t}.csv")
    shutil.copy(root / "fpscv/Hawk_fpscv_ft2.csv", root / "unmapped/Hawk_fpscv_ft2.csv")
    (root / "ambiguous").mkdir()
    for t in SELECTION_TASKS:
        shutil.copy(root / f"pseudo_labels/{t.lower()}.csv", root / f"ambiguous/{t.upper()}.csv")
    shutil.copy(root / "pseudo_labels/hawk.csv", root / "ambiguous/hawk.csv")

    assert run_cli(f"--workspace={ws}", "evaluate_selection") == 0
    results = yaml.safe_load((ws / "results/selection/results.yaml").read_text())
    subs = results["submissions"]
    for name, by_task in files.items():
        assert subs[name]["valid"], (name, subs[name]["errors"])
        for t, rel in by_task.items():
            part = subs[name]["tasks"][t]
            assert part["file"] == rel
            assert {k: part[k] for k in ("accuracy", "recall", "precision", "f1")} == \
                original_of(resources, root / name / rel, t), (name, t)
    # not scored, each saying which task it might have meant
    assert not subs["unmapped"]["valid"] and "file" not in subs["unmapped"]["tasks"]["Cupcake"]
    assert subs["unmapped"]["tasks"]["Hawk"]["error"].endswith("unmapped/Hawk.csv: training set file not found")
    ignored = results["ignored"]
    assert ignored["unmapped/Hawk_fpscv_ft2.csv"] == (
        "not the training set of a task (Cupcake, Hawk, Sushi); the training set of Hawk? name it Hawk.csv or map it "
        "(task_setup.yaml beside it, as the original's, or selection.submissions.unmapped.files.Hawk in the "
        "parameters)")
    assert ignored["fpscv/Hawk_fpscv_ft2.json"] == \
        "a JSON copy of Hawk_fpscv_ft2.csv, the training set of Hawk (only the CSV is scored)"
    assert "the training set of Cupcake?" in ignored["pseudo_labels/cupcake_baseline.json"]
    assert "fpscv/task_setup.yaml" not in ignored
    assert "2 files could be the training set of Hawk (HAWK.csv, hawk.csv)" in subs["ambiguous"]["tasks"]["Hawk"][
        "error"]
    assert subs["ambiguous"]["tasks"]["Sushi"]["file"] == "SUSHI.csv"


@pytest.mark.parametrize("text, expected", [
    ("Hawk: ['train_sets/Hawk.csv'\n", "fpscv/task_setup.yaml:2: invalid YAML"),
    ("Hawk: [3, 'x']\n", "fpscv/task_setup.yaml: Hawk: expected [training set file, test set file]"),
    ("Hawk: ['train_sets/nowhere.csv', 'x']\n",
     "fpscv/train_sets/nowhere.csv: training set file not found (task_setup.yaml names 'train_sets/nowhere.csv' "
     "for Hawk)"),
    ("Hawk: ['../../elsewhere.csv', 'x']\n", "task_setup.yaml names '../../elsewhere.csv' for Hawk: expected a path "
                                             "inside the submission folder"),
])
def test_a_bad_task_setup_makes_its_submission_invalid_never_the_others(tmp_path, text, expected):
    ws, resources, made = selection_workspace(tmp_path, {})
    root = ws / "submissions/selection"
    rng = np.random.default_rng(5)
    for name in ("fpscv", "other"):
        (root / name).mkdir()
        for i, t in enumerate(SELECTION_TASKS):
            training_set(made, rng, 60, i).to_csv(root / name / f"{t}.csv", index=False)
    (root / "fpscv/task_setup.yaml").write_text(text)
    assert run_cli(f"--workspace={ws}", "evaluate_selection") == 0  # an invalid submission is recorded
    subs = yaml.safe_load((ws / "results/selection/results.yaml").read_text())["submissions"]
    assert subs["other"]["valid"] and not subs["fpscv"]["valid"]
    assert expected in subs["fpscv"]["tasks"]["Hawk"]["error"] and "\n" not in subs["fpscv"]["tasks"]["Hawk"]["error"]


def test_a_files_mapping_naming_no_task_is_one_line_exit_2(tmp_path, caplog):
    ws, _, _ = selection_workspace(tmp_path, {"submissions": {"mine": {"files": {"Hawks": "h.csv"}}}})
    (ws / "submissions/selection/mine").mkdir()
    assert run_cli(f"--workspace={ws}", "evaluate_selection") == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == ["selection.submissions.mine.files.Hawks: not a task (Cupcake, Hawk, Sushi)"]


# --------------------------------------------------------------------------- selection.protocol: dataperf_2022
def test_dataperf_2022_protocol_equals_the_originals_computation_on_repeats_and_unknown_ids(tmp_path):
    """Repeated ImageIDs (with the same and with the other label) and ImageIDs not in the pool (unknown ones and
    test images): strict refuses the file; dataperf_2022 scores it exactly as the original and lists every row."""
    ws, resources, made = selection_workspace(tmp_path, {"protocol": "dataperf_2022"})
    root = ws / "submissions/selection"
    rng = np.random.default_rng(3)
    test_ids = layout.image_ids("sel/test/Hawk", 2)  # test images: never in the pool, so the join drops them
    expected_repeats, expected_dropped = {}, {}
    for name, size in (("repeats", 150), ("big", 400)):
        (root / name).mkdir()
        for i, t in enumerate(SELECTION_TASKS):
            frame = training_set(made, rng, size, i)
            extra = pd.DataFrame({"ImageID": [frame.ImageID[3], frame.ImageID[7], frame.ImageID[3], "feedfacefeedface",
                                              test_ids[i % 2]],
                                  "Confidence": [frame.Confidence[3], 1 - frame.Confidence[7], frame.Confidence[3], 1,
                                                 0]})
            frame = pd.concat([frame, extra], ignore_index=True)
            frame.to_csv(root / name / f"{t}.csv", index=False)
            line = size + 2  # header is line 1, the first extra row line size + 2
            expected_repeats[(name, t)] = [{"line": line, "ImageID": frame.ImageID[3], "first_line": 5},
                                           {"line": line + 1, "ImageID": frame.ImageID[7], "first_line": 9},
                                           {"line": line + 2, "ImageID": frame.ImageID[3], "first_line": 5}]
            expected_dropped[(name, t)] = [{"line": line + 3, "ImageID": "feedfacefeedface"},
                                           {"line": line + 4, "ImageID": test_ids[i % 2]}]
    assert run_cli(f"--workspace={ws}", "evaluate_selection") == 0
    results = yaml.safe_load((ws / "results/selection/results.yaml").read_text())
    assert results["settings"]["protocol"] == "dataperf_2022"
    for name in ("repeats", "big"):
        for t in SELECTION_TASKS:
            part = results["submissions"][name]["tasks"][t]
            assert {k: part[k] for k in ("accuracy", "recall", "precision", "f1")} == \
                original_of(resources, root / name / f"{t}.csv", t), (name, t)  # exactly, not approximately
            assert part["rows_repeated"] == expected_repeats[(name, t)]
            assert part["rows_dropped"] == expected_dropped[(name, t)]
            assert part["train_size"] == (150 if name == "repeats" else 400) + 3

    strict = yaml.safe_load((ws / "parameters.yaml").read_text())
    strict["selection"]["protocol"] = "strict"
    (ws / "parameters.yaml").write_text(yaml.safe_dump(strict))
    assert run_cli(f"--workspace={ws}", "evaluate_selection") == 0  # invalid ones recorded
    results = yaml.safe_load((ws / "results/selection/results.yaml").read_text())
    assert "protocol" not in results["settings"]
    error = results["submissions"]["repeats"]["tasks"]["Hawk"]["error"]
    assert "repeats/Hawk.csv:152: ImageID " in error and error.endswith("repeats line 5")
    assert "rows_repeated" not in results["submissions"]["repeats"]["tasks"]["Hawk"]


def test_dataperf_2022_protocol_still_needs_both_classes_among_the_rows_kept(tmp_path):
    ws, resources, made = selection_workspace(tmp_path, {"protocol": "dataperf_2022"})
    root = ws / "submissions/selection/mine"
    root.mkdir()
    rng = np.random.default_rng(1)
    for i, t in enumerate(SELECTION_TASKS):
        training_set(made, rng, 50, i).to_csv(root / f"{t}.csv", index=False)
    ids = made["pool_ids"][:3]
    (root / "Hawk.csv").write_text(f"ImageID,Confidence\n{ids[0]},1\n{ids[1]},1\n{ids[1]},1\nfeedfacefeedface,0\n")
    (root / "Sushi.csv").write_text("ImageID,Confidence\nfeedfacefeedface,0\ncafebabecafebabe,1\n")
    assert run_cli(f"--workspace={ws}", "evaluate_selection") == 0  # invalid ones recorded
    tasks = yaml.safe_load((ws / "results/selection/results.yaml").read_text())["submissions"]["mine"]["tasks"]
    assert tasks["Hawk"]["error"].endswith("Hawk.csv: every row kept has Confidence 1; the classifier needs both "
                                           "classes")
    assert tasks["Sushi"]["error"].endswith("Sushi.csv: none of the 2 ImageID(s) is in the candidate pool")
    assert "error" not in tasks["Cupcake"]


def test_the_protocol_is_a_checked_parameter(tmp_path, caplog):
    ws, _, _ = selection_workspace(tmp_path, {"protocol": "lenient"})
    assert run_cli(f"--workspace={ws}", "evaluate_selection") == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "selection.protocol: 'lenient' is not one of strict, dataperf_2022" in errors[0]


# --------------------------------------------------------------------------- debugging: dataperf_2022 and repeats
def test_dataperf_2022_debugging_protocol_scores_a_repeated_index_like_the_original(tmp_path):
    """The original fixes the first i listed rows at budget i, whatever repeats; the corrected protocol refuses."""
    pytest.importorskip("torch")
    from test_dataperf2022 import DATA_ID, evaluate, transcribed_protocol, write_original_layout

    (X, noisy, clean, test_X, test_y), params = write_original_layout(tmp_path, n=10, dim=16)
    order = [3, 1, 3, 4, 1, 0]  # 3 and 1 repeat
    (tmp_path / "submissions" / f"{DATA_ID}_repeats.txt").write_text("".join(f"{i}\n" for i in order))
    assert evaluate(tmp_path, params, tmp_path / "out") == 0
    _, [(accuracies, fraction)] = transcribed_protocol(X, noisy, clean, test_X, test_y, [order])
    results = yaml.safe_load((tmp_path / "out/results.yaml").read_text())
    part = results["submissions"]["repeats"]["data_ids"][DATA_ID]
    assert part["score"] == fraction and part["target_acc"] == 0.95 * accuracies[-1] and part["n_listed"] == 6
    assert part["rows_repeated"] == [{"line": 3, "index": 3, "first_line": 1}, {"line": 5, "index": 1, "first_line": 2}]
    curves = pd.read_csv(tmp_path / "out/curves.csv")
    assert curves[curves.submission == "repeats"].accuracy.tolist() == accuracies

    corrected = tmp_path / "corrected.yaml"
    raw = yaml.safe_load(params.read_text())
    raw["debugging"]["protocol"] = "corrected"
    corrected.write_text(yaml.safe_dump(raw))
    assert evaluate(tmp_path, corrected, tmp_path / "out2") == 0
    part = yaml.safe_load((tmp_path / "out2/results.yaml").read_text())["submissions"]["repeats"]["data_ids"][DATA_ID]
    assert part["error"].endswith(f"{DATA_ID}_repeats.txt:3: index 3 repeats line 1")


def test_a_handed_over_repository_file_alone_leaves_the_drive_resources_to_download(server, tmp_path):
    """Only random_500.csv put in the hand-off folder: it stands for its resource; the Drive folder and the other
    repository files are still fetched."""
    from test_real_data import serve_published

    serve_published(server, tmp_path / "published")
    repo_files = coactive_repo_files(tmp_path / "published")
    ws = workspace_for(tmp_path, server.base, repo_files)
    (ws / "data/downloads/selection").mkdir(parents=True)
    (ws / "data/downloads/selection/random_500.csv").write_bytes(repo_files["train_sets/random_500.csv"])
    assert cli(ws, "download", "dataperf_selection.yaml") == 0
    assert server.hits["/coactive/train_sets/random_500.csv"] == 0 and server.hits["/download"] == 1
    assert server.hits["/coactive/examples/alpha_example_set_Hawk.csv"] == 1
    assert (ws / "data/selection/train_sets/random_500.csv").read_bytes() == repo_files["train_sets/random_500.csv"]
    assert (ws / f"data/selection/{RESOURCES}/test_sets/alpha_test_set_Hawk_256.parquet").is_file()


def test_the_evaluate_task_takes_the_originals_names_and_protocol(tmp_path):
    """MedPerf's evaluate task (one submission folder): cupcake.csv & co., repeats counted in the flat file."""
    from benchmark.formats.metrics import read_metrics

    ws, resources, made = selection_workspace(tmp_path, {"protocol": "dataperf_2022"})
    folder = tmp_path / "predictions"
    folder.mkdir()
    rng = np.random.default_rng(9)
    for i, t in enumerate(SELECTION_TASKS):
        frame = training_set(made, rng, 70, i)
        pd.concat([frame, frame.iloc[:2]]).to_csv(folder / f"{t.lower()}.csv", index=False)
    out = tmp_path / "metrics.yaml"
    assert run_cli("evaluate", f"--predictions={folder}", f"--labels={ws / 'data'}",
                   f"--parameters_file={ws / 'parameters.yaml'}", f"--output_path={out}") == 0
    flat = read_metrics(out)
    assert flat["valid"] is True and flat["tasks.Hawk.file"] == "hawk.csv"
    assert flat["tasks.Hawk.rows_repeated"] == 2 and flat["tasks.Hawk.rows_dropped"] == 0
    assert flat["tasks.Hawk.f1"] == original_of(resources, folder / "hawk.csv", "Hawk")["f1"]
