"""The Sweep page's backend choice: offered as the server allows, carried in the link, reflected in the estimate."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graphcl_core.config import TrainConfig
from graphcl_core.sweep import SweepConfig
from graphcl_core.sweeps.batched_backend import BatchedBackend
from ui import registry, sweep_backends, sweep_jobs, sweep_setup

APP = str(Path(__file__).resolve().parents[1] / "app.py")
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(autouse=True)
def _runs_dir(tmp_path, monkeypatch):
    """Runs and sweep records of these tests in a temporary folder, never the checkout's."""
    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))


def _page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if query:
        at.query_params.update(query)
    at.run()
    at = at.switch_page("pages/sweep.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _radio(at: AppTest):
    return at.radio(key=sweep_setup.BACKEND_KEY)


def test_offered_choices_and_the_sentence_without_ray(monkeypatch):
    monkeypatch.setattr(sweep_backends, "ray_available", lambda: False)
    assert sweep_backends.offered() == ["local", "batched"]
    name, why = sweep_backends.usable("ray")
    assert name == sweep_backends.default() and "not installed" in why
    monkeypatch.setattr(sweep_backends, "ray_available", lambda: True)
    assert sweep_backends.offered() == ["local", "batched", "ray"] and sweep_backends.usable("ray") == ("ray", None)


def test_the_page_offers_the_backends_and_the_link_carries_the_choice():
    at = _page()
    radio = _radio(at)
    assert radio.options[:2] == [sweep_backends.LABELS["local"], sweep_backends.LABELS["batched"]]
    assert radio.value == sweep_backends.default()
    if not sweep_backends.ray_available():
        assert len(radio.options) == 2 and any("Ray is not installed" in c.value for c in at.caption)
    radio.set_value("batched").run()
    assert not at.exception
    at.number_input(key="cfg.epochs").set_value(12).run()
    sweep = sweep_setup.sweep_from_state(at.session_state, "karate", TrainConfig(epochs=12))
    assert sweep.backend == "batched" and '"backend":"batched"' in sweep_setup.to_param(sweep)
    # the same link opened elsewhere shows the same choice
    again = _page({"graph": "karate", sweep_setup.QUERY_PARAM: sweep_setup.to_param(sweep)})
    assert again.session_state[sweep_setup.BACKEND_KEY] == "batched"


def test_a_ray_link_where_ray_is_missing_falls_back_with_a_warning(monkeypatch):
    monkeypatch.setattr(sweep_backends, "ray_available", lambda: False)
    sweep = SweepConfig("karate", vary={"margin": [0.5, 1.0]}, backend="ray")
    at = _page({"graph": "karate", sweep_setup.QUERY_PARAM: sweep_setup.to_param(sweep)})
    assert at.session_state[sweep_setup.BACKEND_KEY] == sweep_backends.default()
    assert any("Ray" in w.value for w in at.warning)


def test_estimate_and_start_follow_the_backend():
    at = _page()
    at.number_input(key="cfg.epochs").set_value(6)
    at.session_state["cfg.hidden"] = 8
    at.number_input(key=sweep_setup.key("margin", "count")).set_value(2)
    at.number_input(key=sweep_setup.key("lr", "count")).set_value(1)
    _radio(at).set_value("batched").run()
    at.button(key="sweep.estimate").click().run()
    assert not at.exception
    assert any("trained together in 1 batch" in i.value for i in at.info)
    at.button(key="sweep.start").click().run()
    runner = sweep_jobs.runner_of(registry.get_slot(at.session_state["sid"]))
    assert isinstance(runner.backend, BatchedBackend)
    deadline = time.time() + 200
    while not runner.done and time.time() < deadline:
        time.sleep(0.5)
    assert runner.state == "finished" and {r.status for r in runner.results} == {"finished"}


def test_choosing_ray_starts_its_workers_once_in_the_background(monkeypatch):
    """The page hands a Ray sweep's settings to ``prestart`` as soon as Ray is chosen: the shared backend
    prepares its actors in a daemon thread, once per loaded graph (reruns start nothing more); other
    choices start nothing."""
    import threading

    from graphcl_core.loaders import load_graph
    from graphcl_core.sweeps import ray_shared

    calls = []

    class FakeRay:
        def prepare(self, configs):
            calls.append(len(configs))
            return True

    monkeypatch.setattr(sweep_backends, "ray_available", lambda: True)
    monkeypatch.setattr(ray_shared, "backend_to_prepare", lambda bundle: FakeRay())
    sweep = SweepConfig("karate", vary={"margin": [0.5, 1.0]}, backend="ray")
    bundle = load_graph("karate")
    assert sweep_backends.prestart("batched", bundle, sweep) is None and calls == []
    thread = sweep_backends.prestart("ray", bundle, sweep)
    thread.join(30)
    assert calls == [2] and thread.name == "graphcl-ray-prestart"
    assert sweep_backends.prestart("ray", bundle, sweep) is None and calls == [2]

    at = _page({"graph": "karate"})  # the page: choosing Ray prepares for the sweep on screen
    _radio(at).set_value("ray").run()
    assert not at.exception
    for t in threading.enumerate():
        if t.name == "graphcl-ray-prestart":
            t.join(30)
    trials = next(m for m in at.metric if m.label == "Trials")
    assert len(calls) == 2 and calls[1] == int(trials.value)


def test_a_head_start_leaves_another_graphs_started_workers_alone(monkeypatch):
    from graphcl_core.loaders import load_graph
    from graphcl_core.sweeps import ray_shared

    class Busy:
        _actors = ["an actor"]

    karate = load_graph("karate")
    other = Busy()
    monkeypatch.setattr(ray_shared, "_CURRENT", {"backend": other, "key": ("another graph", "")})
    assert ray_shared.backend_to_prepare(karate) is None  # a sweep may replace it, a page may not
    monkeypatch.setattr(ray_shared, "_CURRENT", {"backend": other, "key": (ray_shared.graph_key(karate), "")})
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert ray_shared.backend_to_prepare(karate) is other  # its own graph's backend: prepared again
