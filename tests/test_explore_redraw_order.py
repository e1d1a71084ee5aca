"""Explore's replay sends its epoch slider after the picture (AppTest, no browser): Streamlit drops a redraw's
unsent elements when the replay's next tick starts, so a slider sent first could say epoch 50 above the
picture of epoch 45. Sent last, the slider names the epoch of the picture drawn below it."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit

from graphcl_core.config import TrainConfig
from graphcl_core.runs import RunStore
from test_ui_workspaces import ALICE, _visitor, runs  # noqa: F401 - the ``runs`` fixture
from ui import live_chart

pytestmark = pytest.mark.timeout(180)


def _run_with_snapshots(root, ws, bundle, epochs=(0, 2, 4, 6)) -> str:
    w = RunStore(root, ws).create(bundle, TrainConfig(epochs=epochs[-1], hidden=16, embedding_dim=4), "cpu")
    rng = np.random.default_rng(0)
    snaps = [SimpleNamespace(epoch=e, embeddings=rng.normal(size=(bundle.num_nodes, 4)).astype(np.float32))
             for e in epochs]
    hist = [{"epoch": e, "loss": 1.0 / (e + 1), "seconds": 0.1 * e} for e in range(1, epochs[-1] + 1)]
    w.save_progress(hist, snaps, epochs[-1], 0.6)
    w.finish("finished")
    return w.run_id


def test_the_slider_is_sent_after_the_picture_and_names_its_epoch(runs, tiny_graph, monkeypatch):  # noqa: F811
    sent: list[tuple[str, str]] = []
    slider, chart = streamlit.select_slider, live_chart.live_chart

    def record_slider(label, *a, **kw):
        value = slider(label, *a, **kw)
        sent.append(("slider", str(value)))
        return value

    def record_chart(fig, *, key, **kw):
        sent.append((key, fig.layout.title.text or ""))
        return chart(fig, key=key, **kw)

    monkeypatch.setattr(streamlit, "select_slider", record_slider)
    monkeypatch.setattr(live_chart, "live_chart", record_chart)
    run_id = _run_with_snapshots(runs, ALICE, tiny_graph)
    at = _visitor(ALICE, "pages/explore.py", query={"run": run_id})
    for epoch in (2, 4, 0):
        sent.clear()
        at.select_slider(key=f"explore.epoch.{run_id}").set_value(epoch).run()
        assert not at.exception, [e.message for e in at.exception]
        kinds = [k for k, _ in sent]
        assert "slider" in kinds and "explore.projection" in kinds, sent
        assert kinds.index("slider") > kinds.index("explore.projection"), f"the slider went first: {sent}"
        title = dict(sent)["explore.projection"]
        assert int(re.search(r"epoch (\d+)", title).group(1)) == epoch == int(dict(sent)["slider"]), sent
    # after a redraw that was cut short (the next tick came first), the controls go first: sent last every
    # time, they would never reach a browser whose redraws all outlast the tick
    at.session_state["explore.redraw.began"] = at.session_state["explore.redraw.ended"] + 1.0
    sent.clear()
    at.run()
    kinds = [k for k, _ in sent]
    assert kinds.index("slider") < kinds.index("explore.projection"), sent
    assert at.session_state["explore.redraw.ended"] > at.session_state["explore.redraw.began"]
