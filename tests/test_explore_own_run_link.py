"""A link to the run this tab trained (Runs' *Open in Explore* on it) opens it on Explore without a warning.
Explore lists that run as "This tab's run" (``live``), not by its id: the link's id was missing from the
picker's choices and the page warned "Run … was not found" above the very run it showed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import explore, registry

APP = str(Path(__file__).resolve().parents[1] / "app.py")
pytestmark = [pytest.mark.timeout(180), pytest.mark.usefixtures("app_runs_dir")]


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_a_link_to_this_tabs_own_run_opens_it_without_a_warning():
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["workspace"] = "own-run-link-test"
    at.query_params.update({"graph": "karate", "epochs": "3"})
    at.run()
    at.switch_page("pages/train.py").run()
    at.button(key="train.start").click().run()
    job = registry.get_slot(at.session_state["sid"]).job
    deadline = time.time() + 90
    while job.status()["state"] not in ("finished", "failed", "stopped") and time.time() < deadline:
        time.sleep(0.2)
    assert job.status()["state"] == "finished", job.status()
    at.run()

    at.query_params["run"] = job.run_id  # as Runs' "Open in Explore" on this run links
    at.switch_page("pages/explore.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not any("was not found" in w for w in _warnings(at)), _warnings(at)
    assert at.session_state["explore.run"] == explore.LIVE  # shown as this tab's run, as the picker lists it
    assert at.query_params["run"] in (job.run_id, [job.run_id])  # the URL still names the run itself


def test_a_link_to_a_run_that_is_not_there_still_warns():
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["workspace"] = "own-run-link-test"
    at.query_params.update({"run": "20261128-000000-karate-dead"})
    at.run()
    at.switch_page("pages/explore.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("20261128-000000-karate-dead" in w and "was not found" in w for w in _warnings(at)), _warnings(at)
