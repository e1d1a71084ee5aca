"""The shared Ray backend (``sweeps.ray_shared``): sweeps named ``ray`` (the page's, the CLI's) reuse one
backend and its started actors; another graph gets a new backend, and a sweep first stops every other
shared backend's actors (also when one was made and never used); one Ray sweep runs at a time, a
second waits and says so."""

from __future__ import annotations

import threading

import pytest

from graphcl_core.loaders import load_graph
from graphcl_core.sweep import SweepRunner
from graphcl_core.sweeps import ray_shared
from graphcl_core.sweeps.backend import backend_named
from test_sweep_ray import STARTUP_S, _actor_pids, _sweep, karate, ray_local  # noqa: F401 - fixtures

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def fresh_shared():
    ray_shared.close_shared()
    yield
    ray_shared.close_shared()


def test_graph_key_names_the_graph_not_the_object():
    a, b, other = load_graph("karate"), load_graph("karate"), load_graph("communities")
    assert a is not b and ray_shared.graph_key(a) == ray_shared.graph_key(b)
    assert ray_shared.graph_key(a) != ray_shared.graph_key(other)


def test_one_backend_per_graph(ray_local, fresh_shared):  # noqa: F811
    first = backend_named("ray", load_graph("karate"))
    assert first.shared and backend_named("ray", load_graph("karate")) is first
    other = backend_named("ray", load_graph("communities"))
    assert other is not first and ray_shared._MADE == [first, other]  # first's actors stop at other's sweep


def test_sweeps_reuse_the_started_actors(ray_local, fresh_shared, karate, tmp_path):  # noqa: F811
    ray, pids = ray_local
    events, first_events = [], []
    first = SweepRunner(_sweep(epochs=4), None, bundle=karate, backend="ray", on_event=first_events.append)
    first.run()
    assert any("Starting" in e.data.get("message", "") for e in first_events if e.kind == "waiting")
    backend = first.backend
    actors = list(backend._actors)
    assert first.state == "finished" and actors  # the runner did not close the shared backend
    second = SweepRunner(_sweep(epochs=4), None, bundle=load_graph("karate"), backend="ray",
                         on_event=events.append)
    second.run()
    assert second.backend is backend and second.state == "finished"
    assert backend._actors[: len(actors)] == actors
    waits = [e.data.get("message", "") for e in events if e.kind == "waiting"]
    assert not any("Starting" in m for m in waits)  # no actor started anew
    pids.update(_actor_pids(ray, backend))

    other = SweepRunner(_sweep(epochs=4, vary={"lr": [1e-3, 1e-2]}), None, bundle=load_graph("communities"),
                        backend="ray")
    other.run()
    assert other.state == "finished" and other.backend is not backend
    assert backend._actors == [] and ray_shared._MADE == [other.backend]  # the old graph's actors stopped first
    pids.update(_actor_pids(ray, other.backend))


def test_a_second_sweep_waits_for_the_first(ray_local, fresh_shared, karate):  # noqa: F811
    ray, pids = ray_local
    events = {0: [], 1: []}
    runners = [SweepRunner(_sweep(epochs=30), None, bundle=karate, backend="ray", on_event=events[i].append)
               for i in range(2)]
    with ray_shared.SWEEP_LOCK:  # the first sweep "runs": both must wait, then both finish
        threads = [threading.Thread(target=r.run) for r in runners]
        for t in threads:
            t.start()
        for t in threads:
            t.join(2.0)
        assert all(t.is_alive() for t in threads)
    for t in threads:
        t.join(STARTUP_S)
    assert [r.state for r in runners] == ["finished", "finished"]
    for i in (0, 1):
        assert any(e.kind == "waiting" and e.data.get("message") == ray_shared.BUSY for e in events[i])
    pids.update(_actor_pids(ray, runners[0].backend))


def test_a_backend_never_used_does_not_keep_older_actors_alive(ray_local, fresh_shared, karate):  # noqa: F811
    """karate's sweep starts actors; a communities backend is made but its sweep never runs (stopped in
    line, or refused); the next karate sweep gets a third backend and must stop karate's first actors."""
    ray, pids = ray_local
    first = SweepRunner(_sweep(epochs=4), None, bundle=karate, backend="ray")
    first.run()
    old = first.backend
    assert old._actors
    pids.update(_actor_pids(ray, old))
    unused = backend_named("ray", load_graph("communities"))
    again = SweepRunner(_sweep(epochs=4), None, bundle=load_graph("karate"), backend="ray")
    assert again.backend is not old and again.backend is not unused
    again.run()
    assert again.state == "finished" and old._actors == [] and ray_shared._MADE == [again.backend]
    pids.update(_actor_pids(ray, again.backend))
