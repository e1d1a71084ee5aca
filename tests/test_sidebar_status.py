"""The sidebar's run status (app.py): on the Train page it neither polls nor shows a second epoch counter
(the page's live view polls and shows the epoch, or plays the run back; issue 10: the two never
disagree); elsewhere it shows the epoch and keeps polling."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")

pytestmark = [pytest.mark.timeout(180), pytest.mark.usefixtures("app_runs_dir")]


def _sidebar(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def test_the_sidebar_leaves_the_epoch_to_the_train_page_and_shows_it_elsewhere():
    from ui import registry

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["workspace"] = "sidebar-test"
    at.query_params.update({"graph": "karate", "epochs": "100000", "speed": "live"})
    at.run()
    at.switch_page("pages/train.py").run()
    at.button(key="train.start").click().run()
    job = registry.get_slot(at.session_state["sid"]).job
    deadline = time.time() + 60
    while job.status()["epoch"] < 3 and time.time() < deadline:
        time.sleep(0.1)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = _sidebar(at)
    assert "**karate**: training, shown on this page" in text, text
    assert "epoch" not in text.lower()  # one epoch counter on the Train page: the live view's

    at.switch_page("pages/runs.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "**karate**: training, epoch " in _sidebar(at) and "of 100000" in _sidebar(at)

    at.switch_page("pages/train.py").run()
    at.button(key="train.stop").click().run()
    job.join(30)
    at.run()
    done = job.status()
    # an ended run too: the page may still be playing it back, so the sidebar names no epoch
    assert "**karate**: stopped, shown on this page" in _sidebar(at) and "epoch" not in _sidebar(at).lower()
    assert any(f"Epoch {done['epoch']} of 100000" in p.proto.text for p in at.get("progress"))
    at.switch_page("pages/runs.py").run()
    assert f"**karate**: stopped, epoch {done['epoch']} of 100000" in _sidebar(at)
