"""The Train page's redraw during a playback sends its progress line after the map (AppTest, no browser).

Why it matters: Streamlit sends each element as the script reaches it and drops the ones not yet sent
when the next redraw starts (a redraw slower than its poll, on a busy CPU). With the line first and the
map last, the browser got every line and one map in three: "Showing epoch 59 of 200" above "UMAP of the
embeddings at epoch 53". Sent last, the line never names an epoch newer than the map above which it stands.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from ui import live, live_chart, pacing

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _epoch(text: str) -> int:
    return int(re.search(r"[Ee]poch (\d+)", text).group(1))


def test_a_glide_ends_before_the_next_frame_comes():
    assert live.glide_ms(None) == 450 and live.glide_ms(5.0) == 450  # nothing follows soon: the full glide
    for poll in (pacing.POLL_S, 0.5, pacing.POLL_MAX_S):
        assert 0 < live.glide_ms(poll) < poll * 1000 * 0.75


def test_the_line_names_the_map_s_epoch_when_it_is_another():
    status = {"epoch": 200, "epochs": 200, "state": "finished", "seconds": 2.0, "history": []}
    assert live.paced_progress_text(status, 59, 5.0, map_epoch=53).endswith(" · map from epoch 53")
    assert live.paced_progress_text(status, 59, 5.0, map_epoch=59) == live.paced_progress_text(status, 59, 5.0)
    assert "map from" not in live.paced_progress_text(status, 59, 5.0)
    live_status = {**status, "epoch": 59, "state": "running"}
    assert live.paced_progress_text(live_status, 59, None, map_epoch=56).startswith("Epoch 59 of 200")
    assert live.paced_progress_text(live_status, 59, None, map_epoch=56).endswith(" · map from epoch 56")


@pytest.mark.timeout(240)
def test_playback_redraw_sends_the_progress_line_after_the_map(app_runs_dir, monkeypatch):
    sent: list[tuple[str, str]] = []
    progress, chart = streamlit.progress, live_chart.live_chart

    def record_progress(value, text=None, **kw):
        sent.append(("progress", text or ""))
        return progress(value, text=text, **kw)

    def record_chart(fig, *, key, **kw):
        sent.append((key, fig.layout.title.text or ""))
        return chart(fig, key=key, **kw)

    monkeypatch.setattr(streamlit, "progress", record_progress)
    monkeypatch.setattr(live_chart, "live_chart", record_chart)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"graph": "karate", "speed": "5", "epochs": "40"})
    at.run()
    at.switch_page("pages/train.py").run()
    at.button(key="train.start").click().run()
    from ui import registry

    slot = registry.get_slot(at.session_state["sid"])
    job = slot.job
    job.join(60)
    assert job.state == "finished"
    # the playback starts from the beginning (as on a GPU, where the run ends before it has begun)
    slot.cache["train.playhead"] = {"run": live.run_key(job), "position": 10.0, "at": None, "paused": False}
    redraws = 0
    for _ in range(4):
        sent.clear()
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        keys = [k for k, _ in sent]
        if "train.projection" not in keys or "progress" not in keys:
            continue
        redraws += 1
        line = next(t for k, t in sent if k == "progress")
        title = next(t for k, t in sent if k == "train.projection")
        assert line.startswith("Showing epoch") and "embeddings at epoch" in title
        assert keys.index("progress") > keys.index("train.projection"), sent
        assert _epoch(title) <= _epoch(line)  # the map of the epoch shown, or an older one both say
        assert _epoch(title) == _epoch(line) or f"map from epoch {_epoch(title)}" in line, (line, title)
    assert redraws >= 2

    # A redraw after one that was cut short (it began and never ended: the next poll came first) sends its
    # line first: where every redraw outlasts the poll, a line sent last would never be sent at all.
    at.session_state["train.redraw.began"] = at.session_state["train.redraw.ended"] + 1.0
    sent.clear()
    at.run()
    keys = [k for k, _ in sent]
    assert "progress" in keys and "train.projection" in keys, sent
    assert keys.index("progress") < keys.index("train.projection"), sent
    line, title = next(t for k, t in sent if k == "progress"), next(t for k, t in sent if k == "train.projection")
    assert _epoch(title) == _epoch(line) or f"map from epoch {_epoch(title)}" in line, (line, title)
    assert at.session_state["train.redraw.ended"] > at.session_state["train.redraw.began"]  # this one ended
