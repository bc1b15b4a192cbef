"""select, debug and methods: run the methods parameters.yaml names, or list what can be named.

``select`` runs ``selection.methods`` and ``debug`` runs ``debugging.methods`` (default: the built-in
baselines) through :mod:`benchmark.methods.harness`; ``methods_path`` is the folder that
``file.py:function`` and ``module:function`` entries are loaded from (in the container, the
read-only ``methods`` input).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_INVALID_SUBMISSION, EXIT_OK
from ..formats.parameters import load_parameters
from ..logs import log, shown
from . import _STRICT, STRICT_ENV


def run_methods(task_name: str, kind: str, data_path: str, parameters_file: str, methods_path: str | None,
                submission_path: str, built_in: bool = False) -> int:
    """Run one kind's methods; exit 0 once the others are written (1 in strict mode when a method failed)."""
    from ..methods import harness

    params = load_parameters(parameters_file)
    section = params.selection if kind == "selection" else params.debugging
    entries = harness.method_entries(None if built_in else section.methods, kind)
    root = None if methods_path is None else Path(methods_path)
    run = harness.run_selection_methods if kind == "selection" else harness.run_debugging_methods
    summary = run(params, Path(data_path), Path(submission_path), entries, root, Path(parameters_file), task_name)
    what = "training set(s)" if kind == "selection" else "ordering(s) and their time files"
    log.info("%s: wrote %d %s under %s", task_name, len(summary.written), what, shown(submission_path))
    if not summary.failed:
        return EXIT_OK
    strict = _STRICT.get()
    log.warning("%s: %d of %d method(s) failed (above); %s", task_name, len(summary.failed), len(entries),
                "exit 1 (strict mode)" if strict else f"exit 0 (--strict or {STRICT_ENV}=1 makes this exit 1)")
    return EXIT_INVALID_SUBMISSION if strict else EXIT_OK


def run_select(data_path: str, parameters_file: str, methods_path: str, submission_path: str) -> int:
    return run_methods("select", "selection", data_path, parameters_file, methods_path, submission_path)


def run_debug(data_path: str, parameters_file: str, methods_path: str, submission_path: str) -> int:
    return run_methods("debug", "debugging", data_path, parameters_file, methods_path, submission_path)


def run_list(parameters_file: str, methods_path: str) -> int:
    """Print every method that can be named, where it comes from, and whether parameters.yaml's entries load."""
    from ..methods import registry

    lines = []
    params = load_parameters(parameters_file) if Path(parameters_file).is_file() else None
    root = Path(methods_path)
    for kind in registry.KINDS:
        lines.append(f"{kind} methods (name: where from, what it calls):")
        lines += [f"  {name}: {origin}, {target}" for name, origin, target in registry.available(kind, root)]
        if params is None:
            lines.append(f"  (no parameters file at {shown(parameters_file)}: {kind}.methods not listed)")
            continue
        configured = (params.selection if kind == "selection" else params.debugging).methods
        if configured is None:
            lines.append(f"  {kind}.methods in {shown(parameters_file)}: not set (select/debug run the built-ins)")
            continue
        lines.append(f"  {kind}.methods in {shown(parameters_file)}:")
        for entry, item in zip(configured, registry.load_all(kind, configured, root, kind, Path(parameters_file))):
            lines.append(f"    {entry}: " + (f"ERROR {item.problem}" if isinstance(item, registry.MethodLoadError)
                                             else f"{item.name} ({item.origin})"))
    print("\n".join(lines))
    return EXIT_OK
