"""The Train page's map says which epoch it shows (issue 10): a map laid out in the background trails
the epoch on screen during a fast run, and the title and caption say so instead of looking like a mismatch
("Showing epoch 75" beside "UMAP ... at epoch 59"), and a map of the snapshot before the epoch on screen
(a long run keeps one every few epochs) says so too."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import live, pacing

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_the_title_names_the_epoch_on_its_way_when_the_map_trails():
    assert live.projection_title("umap", 75, 75) == "UMAP of the embeddings at epoch 75"
    assert live.projection_title("pca", 10, None) == "PCA of the embeddings at epoch 10"
    assert (live.projection_title("umap", 59, 75, 75)
            == "UMAP embeddings at epoch 59 · laying out 75…")
    assert (live.projection_title("pca", 12, 12, 14, every=4)
            == "PCA embeddings at epoch 12 (nearest snapshot)")
    assert live.projection_title("pca", 12, 12, 12, every=4) == "PCA of the embeddings at epoch 12"


@pytest.mark.timeout(180)
def test_the_page_says_the_map_trails_the_epoch_shown(app_runs_dir, monkeypatch):
    from graphcl_core import projection
    from ui import live_frames, registry
    from ui.live_chart import COMPONENT

    held = {}

    def first_frame_only(slot, job, shown, wait_s=None, last=None):
        """The map of the first snapshot stays the newest laid out (a slow layout, held still)."""
        if "frame" not in held:
            snap = job.trainer.snapshot_list()[0]
            held["frame"] = projection.Projector("pca", 2).project(snap.embeddings.astype("float32"))
            held["epoch"] = snap.epoch
        return held["frame"], held["epoch"], None

    monkeypatch.setattr(live_frames, "frame_at", first_frame_only)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["workspace"] = "map-caption-test"
    at.query_params.update({"graph": "karate", "epochs": "3000", "speed": "live"})
    at.run()
    at.switch_page("pages/train.py").run()
    at.button(key="train.start").click().run()
    job = registry.get_slot(at.session_state["sid"]).job
    deadline = time.time() + 60
    while job.status()["epoch"] < 10 and time.time() < deadline:
        time.sleep(0.1)
    at.button(key="train.pause").click().run()
    assert not at.exception, [e.message for e in at.exception]
    figures = [json.loads(c.proto.json)["figure"] for c in at.get("bidi_component")
               if c.proto.component_name == COMPONENT]
    titles = [json.loads(f)["layout"].get("title", {}).get("text", "") if isinstance(f, str)
              else f["layout"].get("title", {}).get("text", "") for f in figures]
    progress = " ".join(p.proto.text for p in at.get("progress"))
    shown = int(progress.split("Epoch ")[1].split()[0])  # (an epoch under way at Pause may land later)
    wanted = pacing.frame_epoch(shown, [s.epoch for s in job.trainer.snapshot_list()])  # (3000 epochs: sparser)
    assert f"PCA embeddings at epoch {held['epoch']} · laying out {wanted}…" in titles, titles
    assert any(live.LAGGING_NOTE in c.value for c in at.caption)
