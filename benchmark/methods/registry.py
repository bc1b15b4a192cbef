"""Where methods come from: the built-ins, installed packages' entry points, ``module:function`` and
``path/to/file.py:function`` named in parameters.yaml.

A name in ``selection.methods`` / ``debugging.methods`` is looked up in this order:

1. ``module:function`` or ``file.py:function`` (it has a colon): the function, imported from the
   methods folder (``--methods_path``; in the container the read-only ``methods`` input) or an
   installed module; its submission is named after the function;
2. a built-in method (:data:`BUILT_IN`: every reference baseline, on the same API);
3. an entry point of an installed distribution, in the group :data:`ENTRY_POINT_GROUPS` of its kind
   (``[project.entry-points."dataperf_vision.selection_methods"] my_method = "my_pkg.module:function"``):
   installed in the methods folder (``pip install --target``; how a package reaches the container)
   or in the environment.

Every problem (unknown name, missing file, import error, a name that cannot be a file name) is one
:class:`MethodLoadError` line naming the entry.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Literal

from ..errors import InputError
from ..logs import shown
from ..workspace.layout import DEBUGGING, SELECTION, is_reference, is_task_name

Kind = Literal["selection", "debugging"]
KINDS: tuple[Kind, ...] = (SELECTION, DEBUGGING)  # type: ignore[assignment]
ENTRY_POINT_GROUPS: dict[str, str] = {SELECTION: "dataperf_vision.selection_methods",
                                      DEBUGGING: "dataperf_vision.debugging_methods"}

# Built-in methods, name -> "module:function" (loaded like any other, on first use).
BUILT_IN: dict[str, dict[str, str]] = {
    SELECTION: {
        "baseline_random": "benchmark.methods.selection:random_method",
        "baseline_nearest": "benchmark.methods.selection:nearest_method",
        "baseline_selftrain_fps": "benchmark.methods.selection:selftrain_fps_method",
        "baseline_propagation": "benchmark.methods.selection:propagation_method",
        "baseline_fpscv": "benchmark.methods.selection:fpscv_method",
        "baseline_pseudo_labels": "benchmark.methods.selection:pseudo_labels_method",
        "baseline_uncertainty": "benchmark.methods.selection:uncertainty_method",
    },
    DEBUGGING: {
        "baseline_random": "benchmark.methods.debugging:random_method",
        "baseline_knn_shapley": "benchmark.methods.debugging:knn_shapley_method",
        "baseline_confident_learning": "benchmark.methods.debugging:confident_learning_method",
        "baseline_loss": "benchmark.methods.debugging:loss_method",
        "baseline_tmc_shapley": "benchmark.methods.debugging:tmc_shapley_method",
        "baseline_data_oob": "benchmark.methods.debugging:data_oob_method",
        "baseline_data_banzhaf": "benchmark.methods.debugging:data_banzhaf_method",
        "baseline_beta_shapley": "benchmark.methods.debugging:beta_shapley_method",
        "baseline_influence": "benchmark.methods.debugging:influence_method",
    },
}


class MethodLoadError(InputError):
    """A method named in parameters.yaml that cannot be loaded (one line)."""


@dataclass(frozen=True)
class LoadedMethod:
    name: str  # also the submission's name
    kind: str
    function: Callable
    origin: str  # where it came from, for logs and the `methods` listing


def entry_points(kind: str, methods_root: Path | None = None) -> dict[str, importlib.metadata.EntryPoint]:
    """Entry points of a kind, by name: of the packages installed in the methods folder
    (``pip install --target <methods folder> <package>``) first, then of those on sys.path; the first
    of two equal names wins."""
    group = ENTRY_POINT_GROUPS[kind]
    found: dict[str, importlib.metadata.EntryPoint] = {}
    if methods_root is not None:
        for dist in sorted(importlib.metadata.distributions(path=[str(methods_root)]),
                           key=lambda d: d.metadata["Name"] or ""):
            for ep in dist.entry_points.select(group=group):
                found.setdefault(ep.name, ep)
    for ep in importlib.metadata.entry_points(group=group):
        found.setdefault(ep.name, ep)
    return found


def _distribution(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else "an installed package"


def available(kind: str, methods_root: Path | None = None) -> list[tuple[str, str, str]]:
    """(name, where from, "module:function") of every method that can be named without a colon."""
    rows = [(name, "built-in", target) for name, target in BUILT_IN[kind].items()]
    for name, ep in sorted(entry_points(kind, methods_root).items()):
        shadowed = " (shadowed by the built-in of that name)" if name in BUILT_IN[kind] else ""
        rows.append((name, f"entry point of {_distribution(ep)}{shadowed}", ep.value))
    return rows


def load(kind: str, entry: str, methods_root: Path | None, where: str) -> LoadedMethod:
    """The method an entry of ``<kind>.methods`` names; ``where`` (e.g. ``selection.methods[2]``) starts errors."""
    if ":" in entry:
        target, _, attribute = entry.rpartition(":")
        if not target or not attribute.isidentifier():
            raise MethodLoadError(f"{where}: {entry!r} is not module:function or path/to/file.py:function")
        if target.endswith(".py"):
            function, origin = _from_file(target, attribute, methods_root, where)
        else:
            function, origin = _from_module(target, attribute, methods_root, where), f"module {entry}"
        return _checked(attribute, kind, function, origin, where)
    if entry in BUILT_IN[kind]:
        target = BUILT_IN[kind][entry]
        module, _, attribute = target.partition(":")
        return _checked(entry, kind, _from_module(module, attribute, None, where), f"built-in {target}", where)
    eps = entry_points(kind, methods_root)
    if entry in eps:
        ep = eps[entry]
        try:
            with _importable(methods_root):
                function = ep.load()
        except Exception as exc:  # noqa: BLE001 -- whatever an installed package raises on import is one line
            raise MethodLoadError(f"{where}: entry point {entry} ({ep.value}) cannot be loaded: "
                                  f"{type(exc).__name__}: {exc}") from None
        return _checked(entry, kind, function, f"entry point of {_distribution(ep)} ({ep.value})", where)
    known = ", ".join(name for name, _, _ in available(kind, methods_root))
    raise MethodLoadError(f"{where}: no {kind} method named {entry!r} (known: {known}; or module:function, "
                          "file.py:function)")


def load_all(kind: str, entries: list[str], methods_root: Path | None, section: str,
             parameters_file: Path | None = None) -> list[LoadedMethod | MethodLoadError]:
    """Each entry loaded, or the one-line error (naming the parameters file) that stops it; the others still
    load. Names must be distinct: they name the submissions."""
    loaded: list[LoadedMethod | MethodLoadError] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = f"{section}.methods[{i}]"
        try:
            method = load(kind, entry, methods_root, where)
            if method.name in seen:
                raise MethodLoadError(f"{where}: a second method named {method.name!r} "
                                      f"({section}.methods[{seen[method.name]}] is the first)")
            seen[method.name] = i
            loaded.append(method)
        except MethodLoadError as error:
            loaded.append(MethodLoadError(error.problem, parameters_file))
    return loaded


def _checked(name: str, kind: str, function: object, origin: str, where: str) -> LoadedMethod:
    if not callable(function):
        raise MethodLoadError(f"{where}: {origin} is not a function")
    if not is_task_name(name) or (kind == DEBUGGING and name.startswith("time_")):
        raise MethodLoadError(f"{where}: {name!r} cannot name a submission (letters, digits, - and _)")
    if is_reference(name):
        raise MethodLoadError(f"{where}: {name!r}: names starting with reference_ mark references, not methods")
    return LoadedMethod(name, kind, function, origin)


@contextmanager
def _importable(folder: Path | None) -> Iterator[None]:
    """Modules next to the method (and in the methods folder) importable while it is loaded."""
    if folder is None:
        yield
        return
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        try:
            sys.path.remove(str(folder))
        except ValueError:
            pass


def _from_module(module: str, attribute: str, methods_root: Path | None, where: str) -> object:
    try:
        with _importable(methods_root):
            imported = importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 -- a participant's module: any import failure is one line
        raise MethodLoadError(f"{where}: module {module} cannot be imported: {type(exc).__name__}: {exc}") from None
    if not hasattr(imported, attribute):
        raise MethodLoadError(f"{where}: module {module} has no function {attribute}")
    return getattr(imported, attribute)


def _from_file(target: str, attribute: str, methods_root: Path | None, where: str) -> tuple[object, str]:
    path = Path(target)
    if not path.is_absolute():
        if methods_root is None or not methods_root.is_dir():
            raise MethodLoadError(f"{where}: {target} is relative to the methods folder, but "
                                  + ("none is given" if methods_root is None
                                     else f"{shown(methods_root)} is not a folder"))
        path = methods_root / path
    if not path.is_file():
        raise MethodLoadError(f"{where}: method file {target} not found"
                              + (f" in the methods folder {shown(methods_root)}" if methods_root is not None else ""))
    # a module name of its own per file: two files both called method.py do not replace each other
    name = f"dataperf_vision_method_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise MethodLoadError(f"{where}: {target} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _importable(path.parent):
            spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 -- a participant's file: a syntax or import error is one line
        sys.modules.pop(name, None)
        line = f":{exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise MethodLoadError(f"{where}: {target}{line} cannot be loaded: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, attribute):
        raise MethodLoadError(f"{where}: {target} has no function {attribute}")
    return getattr(module, attribute), f"file {target}:{attribute}"
