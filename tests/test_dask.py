"""Scoring on a real Dask cluster (LocalCluster, two worker processes on 127.0.0.1) equals the local run."""
from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
import yaml

distributed = pytest.importorskip("distributed")

from conftest import SelectionData, run_cli  # noqa: E402
from test_debugging import DebugFiles  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=50) as c:
        yield c


def with_scheduler(params_file, address, out_name="dask.yaml"):
    raw = yaml.safe_load(params_file.read_text())
    raw["execution"] = {"scheduler": address, "connect_timeout_s": 10}
    path = params_file.with_name(out_name)
    path.write_text(yaml.safe_dump(raw))
    return path


def test_selection_on_dask_is_byte_identical(tmp_path, cluster):
    data = SelectionData(tmp_path)
    for seed in range(3):
        data.submit_random(f"s{seed}", 60, seed)
    data.submit("bad", "Alpha", "ImageID,Confidence\nnope,1\n")
    data.submit("bad", "Beta", "ImageID,Confidence\n")
    assert data.evaluate(tmp_path / "local") == 0  # results written, "bad" recorded as invalid
    dask_params = with_scheduler(data.params_file, cluster.scheduler_address)
    assert run_cli("evaluate_selection", f"--data_path={tmp_path / 'data'}", f"--submission_path={data.submissions}",
                   f"--parameters_file={dask_params}", f"--output_path={tmp_path / 'dask'}", "--strict") == 1
    assert (tmp_path / "local" / "results.yaml").read_bytes() == (tmp_path / "dask" / "results.yaml").read_bytes()


def _debug_setup(tmp_path, n=60, d=120, methods=6):
    files = DebugFiles(tmp_path, n=n, d=d)
    rng = np.random.default_rng(0)
    for m in range(methods):
        for data_id in files.data:
            files.submit(data_id, f"m{m}", rng.permutation(n))
    return files


def test_debugging_on_dask_is_byte_identical(tmp_path, cluster):
    files = _debug_setup(tmp_path)
    assert files.evaluate(tmp_path / "local") == 0
    assert files.evaluate(tmp_path / "dask", params_file=with_scheduler(files.params_file, cluster.scheduler_address)) == 0
    for name in ("results.yaml", "curves.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_a_worker_killed_mid_run_does_not_lose_the_evaluation(tmp_path):
    files = _debug_setup(tmp_path, n=120, d=200, methods=8)
    assert files.evaluate(tmp_path / "local") == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        params = with_scheduler(files.params_file, cluster.scheduler_address)
        done = threading.Event()
        killed: list[int] = []

        def kill_one_worker_while_busy():
            deadline = time.monotonic() + 60
            while not done.is_set() and time.monotonic() < deadline:
                busy = {w: len(ts) for w, ts in client.processing().items() if ts}
                if busy:  # a worker is running jobs: kill its process outright
                    pid = client.run(os.getpid, workers=[next(iter(busy))])
                    victim = next(iter(pid.values()))
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_one_worker_while_busy, daemon=True)
        killer.start()
        code = files.evaluate(tmp_path / "dask", params_file=params)
        done.set()
        killer.join()
    assert killed, "no worker was busy long enough to be killed"
    assert code == 0
    for name in ("results.yaml", "curves.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_unreachable_scheduler_is_a_one_line_error(tmp_path, caplog):
    files = _debug_setup(tmp_path, methods=1)
    params = with_scheduler(files.params_file, "tcp://127.0.0.1:9")
    raw = yaml.safe_load(params.read_text())
    raw["execution"]["connect_timeout_s"] = 2
    params.write_text(yaml.safe_dump(raw))
    assert files.evaluate(params_file=params) == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in errors[0]
    assert "\n" not in errors[0]
    assert not (tmp_path / "results").exists()
