"""The demo's report with every analysis, in headless Chromium: each figure loads and shows, tables lay out."""
from __future__ import annotations

import pytest
import yaml
from conftest import run_cli
from test_analysis import ANALYSIS_FIGURES, ANALYSIS_TABLES
from test_report_browser import chromium, open_report, problems  # noqa: F401 (chromium: a fixture)

pytestmark = pytest.mark.browser


def test_demo_report_shows_every_analysis_figure(demo_workspace, chromium):  # noqa: F811
    ws = demo_workspace
    params = ws / "parameters.yaml"
    raw = yaml.safe_load(params.read_text())
    raw["analysis"]["point_removal"] = True  # so that every analysis has its figure
    raw["bootstrap"]["resamples"] = 0
    raw["plot"]["dpi"] = 120
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert run_cli("demo", f"--parameters_file={params}", f"--output_path={ws}") == 0
    report = ws / "plots" / "report.html"
    facts, screenshot, events = open_report(chromium, report, ws)
    (ws / "report.png").write_bytes(screenshot)
    assert problems(events, report) == []
    shown = {image["alt"]: image for image in facts["images"]}
    results = {kind: yaml.safe_load((ws / "results" / kind / "results.yaml").read_text())
               for kind in ("selection", "debugging")}
    titles = [t for t in shown if t.startswith(("Debugging: precision", "Debugging: curves against",
                                                "Debugging: normalised", "Debugging: point removal",
                                                "Selection: budget"))]
    assert len(titles) == len(ANALYSIS_FIGURES), sorted(shown)
    for title in titles:
        image = shown[title]
        assert image["complete"] and image["width"] > 600 and image["shown"] > 300, image
    tables = facts["tables"]
    for table_id in ANALYSIS_TABLES:
        assert tables[table_id]["height"] > 40, table_id
    n_orders = sum(len(p["submissions"]) for p in results["debugging"]["analysis"]["data_ids"].values())
    assert tables["analysis-debugging-orders"]["rows"] == n_orders
    hard = results["selection"]["analysis"]["tasks"]
    assert tables["analysis-selection-hard"]["rows"] == sum(min(50, len(t["hard_examples"])) for t in hard.values())
    assert not facts["overflowX"]
