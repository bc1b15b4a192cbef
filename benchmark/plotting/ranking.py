"""Leaderboard order, shared by the figures' legends and the report's tables.

Valid submissions are sorted by the leaderboard metric (mean F1: higher is
better; mean debugging score: lower is better), ties by name; invalid ones come
last, by name. Equal metrics share a rank ("1, 2, 2, 4"), so a tie never looks
like a win.
"""
from __future__ import annotations

from .inputs import Results, Submission

HIGHER_IS_BETTER = {"mean_f1": True, "mean_score": False}


def ranked(results: Results) -> list[tuple[int | None, Submission]]:
    """[(rank or None if invalid, submission)] in leaderboard order."""
    higher = HIGHER_IS_BETTER.get(results.metric, True)
    valid = [s for s in results.submissions.values() if s.valid and s.metric is not None]
    valid.sort(key=lambda s: (-s.metric if higher else s.metric, s.name))
    invalid = sorted((s for s in results.submissions.values() if s not in valid), key=lambda s: s.name)
    out: list[tuple[int | None, Submission]] = []
    for position, sub in enumerate(valid, start=1):
        tied = out and out[-1][1].metric == sub.metric
        out.append((out[-1][0] if tied else position, sub))
    out.extend((None, s) for s in invalid)
    return out


def part_order(results: Results, part: str) -> list[Submission]:
    """Submissions scored on one task/data_id, best first on that part's own metric."""
    key = "f1" if results.metric == "mean_f1" else "score"
    higher = HIGHER_IS_BETTER.get(results.metric, True)
    scored = [s for s in results.submissions.values()
              if part in s.parts and s.parts[part].get(key) is not None]
    return sorted(scored, key=lambda s: (-s.parts[part][key] if higher else s.parts[part][key], s.name))
