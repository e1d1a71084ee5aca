"""The Runs page's table as the browser gets it (AppTest, no browser): missing results are drawn as the same
dash the page uses elsewhere, and the probe column has one fixed decimal (in percent, rounded as the
captions round)."""

from __future__ import annotations

import json

import pytest

from test_ui_workspaces import ALICE, _saved_run, _visitor, runs  # noqa: F401 - the ``runs`` fixture

pytestmark = pytest.mark.timeout(180)


def test_runs_table_draws_missing_results_as_a_dash(runs, tiny_graph):  # noqa: F811
    _saved_run(runs, ALICE, tiny_graph)  # no labels evaluated: no probe, no silhouette
    at = _visitor(ALICE, "pages/runs.py")
    table = at.dataframe[0]
    assert table.value["linear probe"].isna().all()
    assert table.proto.placeholder == "—"  # Streamlit's default draws "None"
    columns = json.loads(table.proto.columns)
    assert columns["linear probe"]["type_config"] == {"type": "number", "format": "%.1f%%"}
    assert any(c.startswith("margin loss · margin ") for c in (x.value for x in at.caption))
