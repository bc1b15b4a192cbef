"""Command line: ``python -m benchmark <task> --<param>=<path> ...`` -- the MLCube argument form.

MLCube starts the container as ``<task> --param=path ...``; the same arguments
work here without a container. Defaults are the MLCube workspace layout,
relative to ``--workspace`` (``./workspace`` unless given). Exit codes are
defined in :mod:`benchmark.errors`.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Sequence

from .errors import EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, InputError, printable
from .logs import log, setup
from .tasks import STRICT_ENV, TASKS, Param, strict_from_environment, strict_mode
from .workspace.access import require_input_folders, require_writable_outputs


class Stopped(KeyboardInterrupt):
    """SIGTERM (docker stop, kill): unwinds like Ctrl-C so workers are stopped and temporaries removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise Stopped(signum)


def crash_report(task: str, error: BaseException) -> str:
    """Write the traceback of an unexpected exception to a log file; return the one line to print."""
    name = f"benchmark-{task}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
    path = Path(tempfile.gettempdir()) / name
    text = "".join(traceback.format_exception(error))
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        where = f"full traceback in {path}"
    except OSError as exc:
        where = f"the traceback could not be written to {path} ({exc.strerror})"
    message = printable(" ".join(str(error).split()), 200, one_to_one=False)  # one printable line, bounded
    return (f"{task}: unexpected internal error {type(error).__name__}"
            f"{': ' + message if message else ''} ({where}; please report it)")


def _isolate_caches() -> None:
    """Nothing may write to $HOME or the image at run time (containers run as any user id)."""
    cache = Path(tempfile.gettempdir()) / f"benchmark-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    os.environ.setdefault("MPLCONFIGDIR", str(cache / "matplotlib"))
    os.environ.setdefault("JOBLIB_TEMP_FOLDER", tempfile.gettempdir())


GLOBAL_OPTIONS = ("--workspace", "-v", "--verbose")


def hints(extra: Sequence[str], task: str | None) -> list[str]:
    """What each argument argparse could not place probably meant: ``name=value`` without the dashes
    (MLCube's own ``mlcube run`` form), or a global option written after the task instead of before it."""
    known = {p.name for t in TASKS.values() for p in t.params} | {"workspace"}
    takes = [p.name for p in TASKS[task].params] if task in TASKS else None
    found = []
    for i, arg in enumerate(extra):
        name, equals, value = arg.partition("=")
        if equals and not arg.startswith("-") and name in known:
            found.append(f"{arg}: did you mean --{name}={value}?"
                         + (f" ({task} takes {', '.join('--' + t for t in takes)})"
                            if takes is not None and name not in takes and name != "workspace" else ""))
        elif name in GLOBAL_OPTIONS:
            given = arg if equals or name != "--workspace" or i + 1 == len(extra) else f"{arg} {extra[i + 1]}"
            found.append(f"{arg}: {name} is a global option and goes before the task: "
                         f"python -m benchmark {given} {task or '<task>'} ...")
    return found


class HintingParser(argparse.ArgumentParser):
    """argparse, with a hint added to "unrecognized arguments" and to an unknown task that looks like a path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        choice = message.partition("invalid choice: '")[2].partition("'")[0]
        found = hints([choice], None) if choice else []
        super().error(message + "".join(f"\n  hint: {h}" for h in found))


def _unless_given(param: Param) -> bool:
    """An optional output: the task writes it only when its path is given."""
    return param.optional and param.io == "output"


def build_parser() -> argparse.ArgumentParser:
    # the installed console script and `python -m benchmark` are the same command line
    prog = "dataperf-vision" if Path(sys.argv[0]).name == "dataperf-vision" else "python -m benchmark"
    parser = HintingParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", default="workspace", help="base of the default paths (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="task", required=True, metavar="task")
    for task in TASKS.values():
        p = sub.add_parser(task.name, help=task.help, description=task.help)
        for param in task.params:
            p.add_argument(f"--{param.name}", default=None, metavar="PATH",
                           help=f"{param.io} {param.kind} (" + ("optional: written only when given)"
                                if _unless_given(param) else f"default: <workspace>/{param.default})"))
        if task.scores_submissions:
            p.add_argument("--strict", action="store_true",
                           help=f"exit 1 when a submission is invalid (default: 0 once results are written; "
                                f"also {STRICT_ENV}=1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _isolate_caches()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        found = hints(extra, args.task)
        parser.error(f"unrecognized arguments: {' '.join(extra)}" + "".join(f"\n  hint: {h}" for h in found))
    setup(args.verbose)
    workspace = Path(args.workspace)
    task = TASKS[args.task]
    kwargs = {}
    for param in task.params:
        given = getattr(args, param.name)
        kwargs[param.name] = (given if given is not None else None if _unless_given(param)
                              else str(workspace / param.default))
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        strict = getattr(args, "strict", False) or strict_from_environment()
        require_input_folders({p.name: kwargs[p.name] for p in task.params
                               if p.io == "input" and p.kind == "directory" and not p.optional})
        require_writable_outputs({p.name: kwargs[p.name] for p in task.params  # an output file: the task checks it
                                  if p.io == "output" and p.kind == "directory" and kwargs[p.name] is not None})
        with strict_mode(strict):
            return task.call(kwargs)
    except InputError as error:
        log.error("%s", error.message)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as stop:
        from .execution import stop_local_workers

        stop_local_workers()
        if isinstance(stop, Stopped):
            log.error("stopped by %s", signal.Signals(stop.signum).name)
            return 128 + stop.signum
        log.error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 -- the last resort: a bug must not look like a traceback dump
        log.error("%s", crash_report(args.task, error))
        return EXIT_INTERNAL_ERROR
    finally:
        signal.signal(signal.SIGTERM, previous)
