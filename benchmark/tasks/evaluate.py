"""evaluate: MedPerf's evaluator task -- score the one submission in ``predictions``, write flat metrics.

MedPerf (docs/medperf.md) runs an evaluator container's ``evaluate`` task with a
``predictions`` folder (here: one submission), a ``labels`` folder (here: the data
folder, holding ``selection/`` and/or ``debugging/``), a parameters file and one output
file. The scoring is evaluate_selection's or evaluate_debugging's own gather -> score ->
build, on a submission root that *is* the submission; only the output differs: the flat
mapping of formats/metrics.py, and optionally the full results.yaml (and curves.csv) in
``local_outputs_path``.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_INVALID_SUBMISSION, EXIT_OK, InputError
from ..formats.metrics import check_metrics_file, flat_metrics, invalid_metrics, write_metrics
from ..formats.parameters import Parameters, load_parameters
from ..formats.results import DEBUGGING_FORMAT, SELECTION_FORMAT, check_output_folder, write_results
from ..formats.submissions import NoSubmission
from ..logs import log, shown
from ..workspace.layout import BENCHMARKS, DEBUGGING, SELECTION
from . import evaluate_debugging, evaluate_selection, report, strict


def benchmark_of(params: Parameters, data_root: Path, parameters_file: str) -> str:
    """``benchmark:`` from the parameters file, else the one benchmark folder the data folder holds."""
    if params.benchmark is not None:
        return params.benchmark
    held = [kind for kind in BENCHMARKS if (data_root / kind).is_dir()]
    if len(held) == 1:
        return held[0]
    if not held:
        raise InputError(f"labels: the data folder holds neither {SELECTION}/ nor {DEBUGGING}/; "
                         "point labels at the data folder (the one download writes)")
    raise InputError(f"the data folder holds both {SELECTION}/ and {DEBUGGING}/, so the benchmark to score is "
                     f"ambiguous: set 'benchmark: {SELECTION}' or 'benchmark: {DEBUGGING}'", parameters_file)


def run(predictions: str, labels: str, parameters_file: str, output_path: str,
        local_outputs_path: str | None = None) -> int:
    params = load_parameters(parameters_file)
    kind = benchmark_of(params, Path(labels), parameters_file)
    metrics_file, submission = Path(output_path), Path(predictions)
    check_metrics_file(metrics_file)  # before any work
    if local_outputs_path is not None:
        check_output_folder(Path(local_outputs_path), submission)
    log.info("evaluate: scoring the %s submission in %s", kind, shown(submission))
    curves = None
    try:
        if kind == SELECTION:
            inputs = evaluate_selection.gather(params, Path(labels), submission, one_submission=True)
            results = evaluate_selection.build(params, inputs, evaluate_selection.score(params, inputs))
        else:
            inputs = evaluate_debugging.gather(params, Path(labels), submission, one_submission=True)
            scores = evaluate_debugging.score(params, inputs, progress=True)
            results, curves = evaluate_debugging.build(params, inputs, scores), scores.curves
    except NoSubmission as reason:
        log.error("%s", reason.message)
        leaderboard = (SELECTION_FORMAT.metric(params.selection.leaderboard_metric) if kind == SELECTION
                       else DEBUGGING_FORMAT.metric()).key
        write_metrics(metrics_file, invalid_metrics(kind, leaderboard, reason.message,
                                                    params.debugging.protocol if kind == DEBUGGING else None))
        log.info("wrote %s", shown(metrics_file))
        return EXIT_INVALID_SUBMISSION if strict() else EXIT_OK
    written = []
    if local_outputs_path is not None:
        written = write_results(Path(local_outputs_path), results, curves)
        for path in written:
            log.info("wrote %s", shown(path))
    write_metrics(metrics_file, flat_metrics(results))  # last: it is what the platform reads
    log.info("wrote %s", shown(metrics_file))
    status = report(results)
    log.info("evaluate: wrote %s%s", shown(metrics_file),
             f" and {', '.join(p.name for p in written)} under {shown(local_outputs_path)}" if written else "")
    return status
