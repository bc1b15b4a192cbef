"""download: put the benchmark resources under output_path (and example submissions)."""
from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK
from ..formats.parameters import load_parameters
from ..logs import log, shown


def run(parameters_file: str, output_path: str, submission_path: str | None = None) -> int:
    params = load_parameters(parameters_file)
    data_root = Path(output_path)
    submission_root = None if submission_path is None else Path(submission_path)
    source = params.download.source
    if source == "demo":
        from ..sources.digits import build_demo

        written = build_demo(params, data_root, submission_root)
    elif source == "synthetic":
        from ..sources.synthetic import build_synthetic

        written = build_synthetic(params, data_root, submission_root)
    else:
        from ..sources.examples import write_examples
        from ..sources.http import fetch_resources

        written = fetch_resources(params, data_root)
        if submission_root is not None and params.download.write_examples:
            write_examples(params, data_root, submission_root, {r.destination for r in params.download.http.resources})
    examples = submission_root is not None and (source != "http" or params.download.write_examples)
    log.info("download (%s): wrote %d resource(s) under %s%s", source, len(written), shown(data_root),
             f" and the example submissions under {shown(submission_root)}" if examples else "")
    return EXIT_OK
