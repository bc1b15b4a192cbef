"""Run a task of container_config.yaml the way MedPerf's docker runner does (for the tests; no MedPerf needed).

What it repeats, and from where in mlcommons/medperf (cli/medperf/...; docs/medperf.md lists it):
- the schema check of containers/parsers/simple_container.py (``image``, ``tasks``, each volume with
  ``type`` file|directory and ``mount_path``) and factory.py (``container_type``), and the run_args
  allowed by containers/runners/utils.py (shm_size, gpus, command, entrypoint, environment);
- the volumes of containers/runners/docker_utils.py ``volumes_to_cli_args``: an input must exist and is
  mounted ``host:mount:ro``; an output folder is created, an output file is created empty (with its
  folder), and mounted ``:rw``; a host folder is mounted over ``/tmp`` (runners/utils.py
  ``add_medperf_tmp_folder``);
- the command of ``craft_docker_run_command``: ``docker run --name medperf-<task>-<16 hex> --rm -u
  <uid>:<gid> --volume ... --network none --env K=V ... <image> <run_args.command split by shlex>``.

Differences, all for running as root in a test: the engine may be podman (``engine``), and the user is
given (MedPerf uses the caller's own ``os.getuid():os.getgid()``); the paths it creates and the /tmp
folder are then given to that user, as they would belong to the caller under MedPerf.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from pathlib import Path
from typing import Any, Mapping

import yaml

CONTAINER_TYPES = ("DockerImage", "DockerArchive", "EncryptedDockerArchive", "SingularityFile",
                   "EncryptedSingularityFile", "mlcube")  # medperf/enums.py ContainerTypes
DOCKER_TYPES = ("DockerImage", "DockerArchive", "EncryptedDockerArchive")
ALLOWED_RUN_ARGS = {"shm_size", "gpus", "command", "entrypoint", "environment"}


class InvalidContainerSpec(Exception):
    pass


def load_config(path: Path) -> dict[str, Any]:
    """container_config.yaml, with MedPerf's checks (and one more: mount paths are absolute, per its docs)."""
    config = yaml.safe_load(path.read_text())
    if config is None:
        raise InvalidContainerSpec("Empty container configuration")
    if "container_type" not in config:
        raise InvalidContainerSpec("Container configuration should contain a 'container_type' field.")
    if config["container_type"] not in DOCKER_TYPES:
        raise InvalidContainerSpec(f"Invalid container type for docker: {config['container_type']}")
    for key in ("image", "tasks"):
        if key not in config:
            raise InvalidContainerSpec(f"Container config should have an '{key}' field.")
    for task, info in config["tasks"].items():
        for volume in {**info.get("input_volumes", {}), **info.get("output_volumes", {})}.values():
            if "type" not in volume or "mount_path" not in volume:
                raise InvalidContainerSpec("Container config task volumes should have a 'type' and 'mount_path' "
                                           "fields.")
            if volume["type"] not in ("file", "directory"):
                raise InvalidContainerSpec("Mount type should be either a file or a directory.")
            if not volume["mount_path"].startswith("/"):
                raise InvalidContainerSpec(f"{task}: mount path {volume['mount_path']} is not absolute")
        not_allowed = set(info.get("run_args", {})) - ALLOWED_RUN_ARGS
        if not_allowed:
            raise InvalidContainerSpec(f"Run args {', '.join(sorted(not_allowed))} are not allowed.")
    return config


def _give(path: Path, user: tuple[int, int] | None) -> None:
    if user is not None:
        os.chown(path, *user)


def volume_args(info: Mapping[str, Any], mounts: Mapping[str, Path], user: tuple[int, int] | None) -> list[str]:
    """``--volume host:mount:ro|rw`` for every declared volume, host paths prepared as MedPerf does."""
    args: list[str] = []
    for key, volume in info.get("input_volumes", {}).items():
        host = Path(mounts[key])  # a KeyError, as in MedPerf, when the caller does not provide the mount
        if not host.exists():
            raise RuntimeError(f"Internal error: input volume should exist: {host}")
        args += ["--volume", f"{host}:{volume['mount_path']}:ro"]
    for key, volume in info.get("output_volumes", {}).items():
        host = Path(mounts[key])
        if volume["type"] == "directory":
            host.mkdir(parents=True, exist_ok=True)
        else:
            host.parent.mkdir(parents=True, exist_ok=True)
            if not host.exists():
                host.write_text("")
        _give(host, user)
        args += ["--volume", f"{host}:{volume['mount_path']}:rw"]
    return args


def run_command(config: Mapping[str, Any], task: str, mounts: Mapping[str, Path], tmp_folder: Path,
                engine: str = "docker", user: tuple[int, int] | None = None,
                environment: Mapping[str, str] | None = None) -> list[str]:
    """The ``docker run`` command MedPerf would run for ``task`` (network disabled, as for every MedPerf task)."""
    if task not in config["tasks"]:
        raise InvalidContainerSpec(f"Task {task} is not found in container config.")
    info = config["tasks"][task]
    run_args = dict(info.get("run_args", {}))
    uid, gid = user if user is not None else (os.getuid(), os.getgid())
    command = [engine, "run", "--name", f"medperf-{task}-{uuid.uuid4().hex[:16]}", "--rm", "-u", f"{uid}:{gid}"]
    tmp_folder.mkdir(parents=True, exist_ok=True)
    _give(tmp_folder, user)
    command += volume_args(info, mounts, user) + ["--volume", f"{tmp_folder}:/tmp:rw"]
    command += ["--network", "none"]
    for key, value in {**run_args.get("environment", {}), **(environment or {})}.items():
        command += ["--env", f"{key}={value}"]
    if "entrypoint" in run_args:
        command += ["--entrypoint", str(run_args["entrypoint"])]
    command.append(config["image"])
    extra = run_args.get("command", [])
    command += shlex.split(extra) if isinstance(extra, str) else list(extra)
    return command


def run(config_path: Path, task: str, mounts: Mapping[str, Path], tmp_folder: Path, engine: str = "docker",
        user: tuple[int, int] | None = None, environment: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None, timeout: float = 1200) -> subprocess.CompletedProcess:
    """Run the task; stdout and stderr together, as MedPerf's run_command logs them."""
    command = run_command(load_config(config_path), task, mounts, tmp_folder, engine, user, environment)
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          env=None if env is None else dict(env))
