"""Run inside the mlcube venv: resolve mlcube.yaml with the real mlcube library and print, per task,
its parameters, the exact container arguments MLCube's docker runner would pass and each mount's
option (ro/rw).

Arguments after the workspace are given to mlcube as on its command line (``name=value`` task
parameters, ``-Pkey=value`` settings) and parsed by mlcube's own parser."""
import json
import sys

from mlcube_docker.docker_run import DockerRun
from omegaconf import OmegaConf

from mlcube.config import MLCubeConfig
from mlcube.parser import CliParser
from mlcube.shell import Shell

mlcube_file, workspace, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
mlcube_args, task_args = CliParser.parse_extra_arg(extra, {"workspace": workspace})
config = MLCubeConfig.create_mlcube_config(
    mlcube_file, mlcube_args, task_args, runner_config=DockerRun.CONFIG.DEFAULT, runner_cls=DockerRun,
    workspace=workspace)
out = {}
for task in config.tasks:
    mounts, args, opts = Shell.generate_mounts_and_args(config, task, make_dirs=False)
    out[task] = {
        "parameters": OmegaConf.to_container(config.tasks[task].parameters),
        "args": args,
        "mounts": {container: host for host, container in mounts.items()},
        "opts": {container: opts.get(host) for host, container in mounts.items()},  # ro / rw per mount
    }
print(json.dumps({"tasks": out, "image": config.runner.image}))
