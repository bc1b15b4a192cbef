"""The plot task's one input besides the results files: each method's time files.

results.yaml and curves.csv are read and checked by :mod:`benchmark.formats.results`.
Time files belong to single submissions, so a missing or unreadable one is
recorded as a note and never stops the report.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..formats.results import Results
from ..formats.submissions import read_time, time_file
from ..workspace.layout import DEBUGGING


@dataclass(frozen=True)
class Timing:
    """Valuation time of one method on one data_id, or why there is none."""

    seconds: float | None
    source: str  # "time file", "results.yaml" or ""
    note: str = ""


# --------------------------------------------------------------------------- time files
def load_timings(debugging: Results, submission_root: Path) -> dict[tuple[str, str], Timing]:
    """Valuation time per scored (method, data_id).

    The time file under ``<submission_path>/debugging`` is what the participant
    measured; when it is not there (results copied elsewhere) the value the
    evaluation recorded in results.yaml is used. Neither: no time, with a note.
    """
    folder = submission_root / DEBUGGING
    timings: dict[tuple[str, str], Timing] = {}
    for name, sub in debugging.submissions.items():
        for data_id, part in sub.parts.items():
            if "error" in part:
                continue
            path = folder / time_file(data_id, name)
            if path.is_file():
                try:
                    timings[(name, data_id)] = Timing(read_time(path), "time file")
                except InputError as error:
                    timings[(name, data_id)] = Timing(None, "", f"unreadable time file: {error.message}")
                except OSError as error:
                    timings[(name, data_id)] = Timing(None, "", f"unreadable time file: {path}: "
                                                                f"{error.strerror or type(error).__name__}")
            elif part.get("valuation_time_s") is not None:
                timings[(name, data_id)] = Timing(float(part["valuation_time_s"]), "results.yaml")
            else:
                timings[(name, data_id)] = Timing(None, "", f"no time file {path.name}")
    return timings
