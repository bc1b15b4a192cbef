"""Finding resources by DataPerf's file names, at any depth (benchmark/discovery.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.errors import ResourceError
from benchmark.formats.discovery import DataTree, resolve_debugging, resolve_selection
from benchmark.formats.parameters import DebuggingDataset, SelectionTask

# The eight data_ids of the published debugging benchmark (DS3Lab/dataperf-vision-debugging task_setup.yml).
REAL_DATA_IDS = ["01g317-flipped", "04hgtk-flipped", "04rky-flipped", "09j2d-flipped",
                 "01g317", "04hgtk", "04rky", "09j2d"]


def touch(root: Path, *paths: str) -> None:
    for rel in paths:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"")


def debugging_files(data_id: str, prefix: str = "") -> list[str]:
    return [f"{prefix}embeddings/{data_id}_train_0.3_300.parquet", f"{prefix}embeddings/{data_id}_val_100.parquet",
            f"{prefix}embeddings/{data_id}_test_500.parquet", f"{prefix}data/dataset_{data_id}_train.csv"]


@pytest.mark.parametrize("prefix", ["", "dataperf-vision-debugging/", "a/b/"])
def test_the_eight_real_data_ids_are_discovered_at_any_depth(tmp_path, prefix):
    for data_id in REAL_DATA_IDS:
        touch(tmp_path, *debugging_files(data_id, prefix))
    found = resolve_debugging({}, tmp_path)
    assert sorted(found) == sorted(REAL_DATA_IDS)
    assert found["01g317-flipped"] == DebuggingDataset(
        train=f"{prefix}embeddings/01g317-flipped_train_0.3_300.parquet",
        test=f"{prefix}embeddings/01g317-flipped_test_500.parquet",
        ground_truth=f"{prefix}data/dataset_01g317-flipped_train.csv",
        val=f"{prefix}embeddings/01g317-flipped_val_100.parquet")
    # "01g317" is not confused with "01g317-flipped"
    assert found["01g317"].train == f"{prefix}embeddings/01g317_train_0.3_300.parquet"


def test_named_paths_are_found_one_folder_deeper(tmp_path):
    touch(tmp_path, *debugging_files("04rky", "nested/"))
    named = {"04rky": DebuggingDataset(train="embeddings/04rky_train_0.3_300.parquet",
                                       test="embeddings/04rky_test_500.parquet",
                                       ground_truth="data/dataset_04rky_train.csv",
                                       val="embeddings/04rky_val_100.parquet")}
    found = resolve_debugging(named, tmp_path)
    assert found["04rky"].train == "nested/embeddings/04rky_train_0.3_300.parquet"
    assert found["04rky"].ground_truth == "nested/data/dataset_04rky_train.csv"


def test_a_path_that_exists_as_named_wins_over_deeper_copies(tmp_path):
    touch(tmp_path, "embeddings/x.parquet", "copy/embeddings/x.parquet")
    assert DataTree.scan(tmp_path).locate("embeddings/x.parquet", "file") == "embeddings/x.parquet"


def test_a_named_path_found_twice_below_is_ambiguous(tmp_path):
    touch(tmp_path, "a/embeddings/x.parquet", "b/embeddings/x.parquet")
    with pytest.raises(ResourceError, match=r"file is ambiguous: embeddings/x.parquet found at a/embeddings/x.parquet, "
                                            r"b/embeddings/x.parquet"):
        DataTree.scan(tmp_path).locate("embeddings/x.parquet", "file")


def test_two_candidates_for_one_role_name_both(tmp_path):
    touch(tmp_path, *debugging_files("09j2d"), "old/09j2d_test_400.parquet")
    with pytest.raises(ResourceError) as caught:
        resolve_debugging({}, tmp_path)
    message = caught.value.message
    assert "data_id 09j2d: 2 candidates for its test set" in message
    assert "embeddings/09j2d_test_500.parquet" in message and "old/09j2d_test_400.parquet" in message
    assert "\n" not in message


def test_a_missing_part_names_what_was_found(tmp_path):
    touch(tmp_path, "embeddings/04hgtk_train_0.3_300.parquet", "embeddings/04hgtk_val_100.parquet")
    with pytest.raises(ResourceError, match=r"data_id 04hgtk: no test set .* and no ground truth .* \(found only "
                                            r"embeddings/04hgtk_train_0.3_300.parquet, embeddings/04hgtk_val_100"):
        resolve_debugging({}, tmp_path)


def test_a_data_id_with_an_underscore_is_refused(tmp_path):
    touch(tmp_path, *debugging_files("my_set"))
    with pytest.raises(ResourceError, match=r"data_id 'my_set' is not valid"):
        resolve_debugging({}, tmp_path)


def test_nothing_to_discover(tmp_path):
    touch(tmp_path, "readme.txt")
    with pytest.raises(ResourceError, match="no debugging data found"):
        resolve_debugging({}, tmp_path)


def test_hidden_staging_folders_are_not_searched(tmp_path):
    touch(tmp_path, *debugging_files("01g317"), ".download/extract-x/embeddings/01g317_test_500.parquet",
          "__MACOSX/embeddings/01g317_test_500.parquet")
    assert resolve_debugging({}, tmp_path)["01g317"].test == "embeddings/01g317_test_500.parquet"


# --------------------------------------------------------------------------- selection
SELECTION = ["embeddings/train_emb_256_dataperf.parquet", "train_sets/random_500.csv",
             *(f"test_sets/alpha_test_set_{t}_256.parquet" for t in ("Cupcake", "Hawk", "Sushi"))]


@pytest.mark.parametrize("prefix", ["", "dataperf-vision-selection-resources/"])
def test_selection_tasks_and_pool_are_discovered(tmp_path, prefix):
    touch(tmp_path, *(prefix + p for p in SELECTION), "examples/alpha_example_set_Hawk.csv")
    pool, tasks = resolve_selection(None, {}, tmp_path)
    assert pool == f"{prefix}embeddings/train_emb_256_dataperf.parquet"
    assert tasks == {"Cupcake": SelectionTask(f"{prefix}test_sets/alpha_test_set_Cupcake_256.parquet"),
                     "Hawk": SelectionTask(f"{prefix}test_sets/alpha_test_set_Hawk_256.parquet",
                                           "examples/alpha_example_set_Hawk.csv"),
                     "Sushi": SelectionTask(f"{prefix}test_sets/alpha_test_set_Sushi_256.parquet")}


def test_a_spark_part_folder_is_the_pool(tmp_path):
    touch(tmp_path, "r/embeddings/train_emb_256_dataperf.parquet/part-00000.parquet",
          "r/embeddings/train_emb_256_dataperf.parquet/part-00001.parquet",
          "r/embeddings/train_emb_256_dataperf.parquet/_SUCCESS", "r/test_sets/alpha_test_set_Sushi_256.parquet")
    pool, tasks = resolve_selection(None, {}, tmp_path)
    assert pool == "r/embeddings/train_emb_256_dataperf.parquet" and list(tasks) == ["Sushi"]
    named, _ = resolve_selection("embeddings/train_emb_256_dataperf.parquet", {}, tmp_path)
    assert named == pool


def test_two_pools_are_ambiguous(tmp_path):
    touch(tmp_path, "embeddings/train_emb_256_dataperf.parquet", "old/train_emb_128.parquet",
          "test_sets/alpha_test_set_Hawk_256.parquet")
    with pytest.raises(ResourceError, match=r"2 candidates for the candidate pool: embeddings/train_emb_256_"
                                            r"dataperf.parquet, old/train_emb_128.parquet"):
        resolve_selection(None, {}, tmp_path)


def test_a_task_whose_test_set_is_missing_is_refused(tmp_path):
    touch(tmp_path, "embeddings/train_emb_256_dataperf.parquet", "test_sets/alpha_test_set_Hawk_256.parquet",
          "examples/alpha_example_set_Cupcake.csv")
    with pytest.raises(ResourceError, match=r"task Cupcake: example set examples/alpha_example_set_Cupcake.csv "
                                            r"found, but no test set"):
        resolve_selection(None, {}, tmp_path)
    named = {"Cupcake": SelectionTask("test_sets/alpha_test_set_Cupcake_256.parquet")}
    with pytest.raises(ResourceError, match=r"test_sets/alpha_test_set_Cupcake_256.parquet: test set of Cupcake not "
                                            r"found \(looked there and for \*/test_sets/alpha_test_set_Cupcake_256"):
        resolve_selection("embeddings/train_emb_256_dataperf.parquet", named, tmp_path)


def test_participants_data_without_test_sets_or_ground_truth(tmp_path):
    """The baselines see only what participants get: pool and example sets; noisy training and validation sets."""
    touch(tmp_path, "s/embeddings/train_emb_256_dataperf.parquet", "s/examples/alpha_example_set_Hawk.csv",
          "d/embeddings/04rky_train_0.3_300.parquet", "d/embeddings/04rky_val_100.parquet")
    _, tasks = resolve_selection(None, {}, tmp_path / "s", with_tests=False)
    assert tasks == {"Hawk": SelectionTask("", "examples/alpha_example_set_Hawk.csv")}
    found = resolve_debugging({}, tmp_path / "d", needed=("train", "val"))
    assert found == {"04rky": DebuggingDataset(train="embeddings/04rky_train_0.3_300.parquet", test=None,
                                               ground_truth=None, val="embeddings/04rky_val_100.parquet")}
    with pytest.raises(ResourceError, match="data_id 04rky: no test set"):
        resolve_debugging({}, tmp_path / "d")
