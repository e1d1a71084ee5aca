"""A page link as the very first request of a session (what a shared link does on a fresh server):
Streamlit runs the page file alone, and ``ui.shell.route_through_app`` hands it to ``app.py``.

AppTest starts every run in Streamlit's pages-folder mode, so a session whose first run asks for a
page reproduces the fresh-server case without a browser (``tests/e2e`` checks it in a real one).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("page,title", [("pages/train.py", "Train"), ("pages/graph.py", "Graph"),
                                        ("pages/explore.py", "Explore"), ("pages/runs.py", "Runs"),
                                        ("pages/home.py", "GraphCL Studio")])
def test_a_page_opened_first_runs_through_app_py(page, title, tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"graph": "karate", "margin": "1.5"})
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == title
    assert at.session_state["cfg.margin"] == 1.5 and "sid" in at.query_params  # app.py's setup ran
    if page == "pages/train.py":
        assert at.number_input(key="cfg.margin").value == 1.5
