"""docs/parameters.md is generated from benchmark/formats/parameters.py and must be current."""
from __future__ import annotations

import dataclasses

from conftest import ROOT

from benchmark.formats import parameters
from benchmark.formats.parameters_reference import (COMMAND, field_comments, key_of, reference_markdown, sections,
                                                    validation_messages)

PAGE = ROOT / "docs" / "parameters.md"


def test_the_committed_page_is_the_generated_one() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference_markdown(), (
        f"docs/parameters.md is out of date with benchmark/formats/parameters.py: run `{COMMAND}`")


def rows() -> dict[str, list[str]]:
    """The page's key tables: key -> [type, default, meaning, checked]."""
    found = {}
    for line in reference_markdown().splitlines():
        if line.startswith("| `") and line.count(" | ") >= 4:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            found[cells[0].strip("`")] = cells[1:]
    return found


def test_every_declared_key_is_on_the_page_with_its_type_and_default() -> None:
    table = rows()
    expected = set()
    for section in sections():
        for f in dataclasses.fields(section.cls):
            expected.add(f"{section.path}.{f.name}" if section.path else f.name)
    assert set(table) == expected
    assert table["selection.max_train_size"][:2] == ["integer", "`1000`"]
    assert table["debugging.protocol"][:2] == ["one of `corrected`, `dataperf_2022`", "`corrected`"]
    assert table["debugging.classifier"][1] == "`{tol: 1.0e-10, max_iter: 100000}`"
    assert table["execution.scheduler"][:2] == ["non-empty text or `null`", "`null`"]
    assert table["download.http.resources[].url"][1] == "required"
    assert table["selection.tasks.<task>.test_set"][:2] == ["non-empty text", "required"]
    assert table["download.http.max_extracted_bytes"][1] == f"`{20 * 1024 ** 3}`"


def test_meanings_come_from_the_field_comments_and_ranges_from_the_checks() -> None:
    table = rows()
    assert field_comments(parameters)[("ExecutionParams", "n_jobs")] == "local worker processes; -1 for every core"
    assert table["execution.n_jobs"][2] == "local worker processes; -1 for every core"
    # a comment above the field and one on its line are joined
    assert table["selection.leaderboard_metric"][2].startswith("what ranks the leaderboard: the Coactive")
    # checks: constant ranges resolved, loops over literal tuples expanded, list positions shown as []
    low, high = parameters.PLOT_DPI_RANGE
    assert table["plot.dpi"][3] == f"must be between {low} and {high}"
    assert table["download.demo.noise"][3] == table["download.synthetic.noise"][3] == "must be in [0, 1)"
    assert table["debugging.target_ratio"][3] == "must be in (0, 1]"
    assert table["download.http.resources[].sha256"][3] == "expected 64 hex digits"
    assert table["selection.classifier"][3] == "`<what check_classifier_settings() reports>`"
    messages = validation_messages(parameters)
    assert "download.http.resources[].files applies to folders only" in messages
    assert "download.synthetic: sizes must be positive" in messages


def test_every_check_is_on_the_page() -> None:
    page = reference_markdown()
    assert "## Other checks" not in page  # every message starts with a key or section it belongs to
    for message in validation_messages(parameters):
        rest = message[len(key_of(message)):].lstrip(":").strip()
        assert rest.split("<")[0].strip() in page, message

