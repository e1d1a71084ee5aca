"""The HTML animation of a long run stays small and its slider reads evenly. A 34-node, 800-epoch karate
export was 5.1 MB: each of its 100 frames carried the loss curve up to its epoch (0.7 MB of data besides
plotly.js), and the slider was labelled by plotly.js at every n-th of its nearly even epochs (0, 32, 65, 97…)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.export_animation import export_animation
from graphcl_core.runs import RunStore
from graphcl_core.trainer import Snapshot

from conftest import planted_partition

EPOCHS = 800


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    """A saved 800-epoch run of a 60-node graph with a snapshot at every epoch and a noisy loss."""
    bundle = planted_partition()
    writer = RunStore(tmp_path_factory.mktemp("runs"), "cli").create(bundle, TrainConfig(epochs=EPOCHS), "cpu")
    rng = np.random.default_rng(1)
    centres, noise = rng.normal(size=(3, 8)) * 3, rng.normal(size=(bundle.num_nodes, 8))
    y = bundle.data.y.numpy()
    snaps = [Snapshot(e, 0.0, ((1 - e / EPOCHS) * noise + (e / EPOCHS) * centres[y]).astype(np.float16))
             for e in range(EPOCHS + 1)]
    history = [{"epoch": e, "loss": 0.5 + 0.4 / e + 0.05 * rng.random(), "seconds": 0.01 * e}
               for e in range(1, EPOCHS + 1)]
    writer.save_progress(history, snaps, EPOCHS, 1.0)
    writer.finish("finished")
    return writer.path


def _parts(text: str) -> tuple[list[dict], dict, list[dict], int]:
    """The figure's traces, layout and frames, and how many characters their JSON takes in the file."""
    decode = json.JSONDecoder().raw_decode
    start = re.search(r"Plotly\.newPlot\(\s*['\"][\w-]+['\"],\s*", text).end()
    data, at = decode(text, start)
    layout, at = decode(text, re.compile(r",\s*").match(text, at).end())
    frames_at = re.search(r"Plotly\.addFrames\(\s*['\"][\w-]+['\"],\s*", text).end()
    frames, end = decode(text, frames_at)
    return data, layout, frames, (at - start) + (end - frames_at)


def test_a_long_run_exports_compact_frames_with_an_even_slider(long_run, tmp_path):
    out = export_animation(long_run, "html", tmp_path / "long.html", method="pca", max_frames=100)
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)  # still self-contained: plotly.js inline
    data, layout, frames, data_chars = _parts(text)
    assert len(frames) == 100 and frames[0]["name"] == "0" and frames[-1]["name"] == str(EPOCHS)

    # What moves, and nothing else: the frames hold no styling, hover text or loss curve.
    assert data_chars < 200_000, data_chars  # was 0.82 MB for this run
    assert max(len(json.dumps(f)) for f in frames) < 1_500
    for f in frames:
        assert all(set(t) <= {"x", "y", "type"} for t in f["data"])
    assert data[0]["x"]["dtype"] == "i2"  # thousandths of the axis range, 16 bits
    assert len([t for t in data if t.get("name") == "loss"]) == 1  # the whole curve, once
    edges = [f["layout"]["shapes"][0]["x0"] for f in frames]  # the veil over the curve after the frame's epoch
    assert edges == pytest.approx([min(EPOCHS, int(f["name"]) + 4) for f in frames])

    # The slider: one step per frame (its label is the epoch shown beside it), labelled at round, even epochs.
    slider = layout["sliders"][0]
    assert [s["label"] for s in slider["steps"]] == [f["name"] for f in frames]
    ticks = [a for a in layout["annotations"] if a.get("name") == "epoch tick"]
    values = [int(a["text"]) for a in ticks]
    assert values == list(range(0, EPOCHS + 1, 100))
    xs = np.array([a["x"] for a in ticks])
    gaps = np.diff(xs)
    assert gaps.min() > 0 and (gaps.max() - gaps.min()) < 0.02 * gaps.mean()
    assert xs[0] == pytest.approx(slider["x"]) and xs[-1] == pytest.approx(slider["x"] + slider["len"])


@pytest.mark.parametrize("epochs,ticks", [
    ([0, 3, 6, 9, 12], [0, 2, 4, 6, 8, 10, 12]),
    (list(range(0, 201, 2)), [0, 50, 100, 150, 200]),
    ([0, 8, 16, 800], [0, 100, 200, 300, 400, 500, 600, 700, 800]),
    ([5, 1200], [200, 400, 600, 800, 1000, 1200]),
    ([7, 7], [7]),
])
def test_tick_epochs_are_round_and_even(epochs, ticks):
    from graphcl_core.animation_html import tick_epochs

    assert tick_epochs(epochs) == ticks
