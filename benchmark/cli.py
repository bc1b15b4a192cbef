"""Command line: ``python -m benchmark <task> --<param>=<path> ...`` -- the MLCube argument form.

MLCube starts the container as ``<task> --param=path ...``; the same arguments
work here without a container. Defaults are the MLCube workspace layout,
relative to ``--workspace`` (``./workspace`` unless given). Exit codes are
defined in :mod:`benchmark.errors`.
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Sequence

from .errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, InputError
from .logs import log, setup
from .tasks import TASKS


def _isolate_caches() -> None:
    """Nothing may write to $HOME or the image at run time (containers run as any user id)."""
    cache = Path(tempfile.gettempdir()) / f"benchmark-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    os.environ.setdefault("MPLCONFIGDIR", str(cache / "matplotlib"))
    os.environ.setdefault("JOBLIB_TEMP_FOLDER", tempfile.gettempdir())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", default="workspace", help="base of the default paths (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="task", required=True, metavar="task")
    for task in TASKS.values():
        p = sub.add_parser(task.name, help=task.help, description=task.help)
        for param in task.params:
            p.add_argument(f"--{param.name}", default=None, metavar="PATH",
                           help=f"{param.io} {param.kind} (default: <workspace>/{param.default})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _isolate_caches()
    args = build_parser().parse_args(argv)
    setup(args.verbose)
    workspace = Path(args.workspace)
    task = TASKS[args.task]
    kwargs = {}
    for param in task.params:
        given = getattr(args, param.name)
        kwargs[param.name] = given if given is not None else str(workspace / param.default)
    try:
        return task.run(**kwargs)
    except InputError as error:
        log.error("%s", error.message)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        log.error("interrupted")
        return EXIT_INTERRUPTED
