"""Logging to stderr; machine-readable results go to files, never to the log."""
from __future__ import annotations

import logging

log = logging.getLogger("benchmark")


def setup(verbose: bool = False) -> None:
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = True  # tests and embedding applications can still capture records
