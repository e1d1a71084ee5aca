"""Explore's run picker labels a saved run by the settings that tell runs apart, then its id (date, time,
graph), short enough for its box at 1400 px (the browser test measures it:
``e2e/test_explore_run_picker_browser.py``). The label was graph · time · status · id, graph and time twice, and
was cut off in the id."""

from __future__ import annotations

import time

import pytest

from test_ui_workspaces import ALICE, _saved_run, _visitor, runs  # noqa: F401 - the ``runs`` fixture
from ui import explore

CREATED = time.mktime((2026, 11, 28, 6, 41, 0, 0, 0, -1))
META = {"id": "20261128-064154-karate-07d1", "graph": "karate", "created": CREATED, "status": "finished",
        "epoch": 800, "epochs": 800}
MARGIN = {"loss": "margin", "margin": 1.0, "tau": 0.5, "lr": 0.005, "epochs": 800}


ID = META["id"]


@pytest.mark.parametrize("meta,settings,title", [
    (META, MARGIN, f"margin 1, lr 0.005, 800 epochs · {ID}"),
    (META, {**MARGIN, "loss": "infonce", "tau": 0.4}, f"τ 0.4, lr 0.005, 800 epochs · {ID}"),
    ({**META, "status": "stopped", "epoch": 120}, MARGIN,
     f"margin 1, lr 0.005, 800 epochs · stopped at epoch 120 · {ID}"),
    ({**META, "status": "running"}, MARGIN, f"margin 1, lr 0.005, 800 epochs · running · {ID}"),
    ({**META, "read_only": True}, MARGIN, f"Shared: margin 1, lr 0.005, 800 epochs · {ID}"),
    (META, None, f"karate, 28 Nov 06:41 · {ID}"),  # no readable config.json: graph and time instead
])
def test_run_title(meta, settings, title):
    assert explore.run_title(meta, settings) == title
    assert title.split("·")[-1].strip() == ID  # the id last: what a link names (tests/e2e/test_history_browser.py)


def test_the_picker_shows_the_titles(runs, tiny_graph):  # noqa: F811
    first, second = _saved_run(runs, ALICE, tiny_graph), _saved_run(runs, ALICE, tiny_graph)
    at = _visitor(ALICE, "pages/explore.py")
    labels = list(at.selectbox(key="explore.run").options)  # as the browser shows them (format_func applied)
    assert sorted(labels) == sorted(f"margin 2.5, lr 0.00025, 2 epochs · {r}" for r in (first, second)), labels
