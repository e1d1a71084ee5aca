"""The Ray backend on a local CPU Ray (``ray.init(num_cpus=2)``), one trial per actor at a time
(``batched=False``; the batched mode: test_sweep_ray_batched.py): a tiny karate sweep on two long-lived
actors gives results shaped like the sequential backend's, saves every trial as a run plus sweep.json,
prunes at rungs alike, and pause/stop reach the actors; the CLI's ``--backend ray``; the message
without Ray. Skips where Ray is not installed, except in CI (``CI`` set, as ``.ci/run`` does), where it
fails: ``.ci/run`` installs requirements-ray.txt. Ray is shut down at the end of the module and its
processes are checked gone."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError
from graphcl_core.loaders import load_graph
from graphcl_core.runs import RunStore
from graphcl_core.sweep import SweepConfig, SweepRunner, load_sweep
from graphcl_core.sweep_cli import sweep_main
from graphcl_core.sweeps.backend import backend_named

FAST = dict(hidden=16, embedding_dim=8, device="cpu", eval_every=0, snapshot_every=2)
# A busy CI machine: Ray's own waits for its processes, and ours for the first actor, are generous.
RAY_ENV = {"RAY_gcs_server_port_wait_time_s": "180", "RAY_worker_register_timeout_seconds": "180"}
STARTUP_S = 300


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def _sweep(epochs: int = 10, **kw) -> SweepConfig:
    kw.setdefault("vary", {"margin": [0.5, 1.0, 2.5]})
    kw.setdefault("probe", "quick")
    return SweepConfig("karate", base=TrainConfig(epochs=epochs, **FAST), **kw)


def _alive(pid: int) -> bool:
    """A process that still runs (a zombie waiting for its parent does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _session_processes(session_dir: str) -> list[int]:
    """Ray's own processes (GCS, raylet, agents) of this session, found by the session folder they name."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if session_dir.encode() in (d / "cmdline").read_bytes() and _alive(int(d.name)):
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


@pytest.fixture(scope="module")
def ray_local():
    try:
        import ray
    except ImportError:
        if _in_ci():
            pytest.fail("Ray is not installed, so the Ray backend cannot be tested (CI is set: .ci/run installs "
                        "requirements-ray.txt)", pytrace=False)
        pytest.skip("Ray is not installed (pip install -r requirements-ray.txt)")
    saved = {k: os.environ.get(k) for k in RAY_ENV}
    os.environ.update(RAY_ENV)
    ray.init(address="local", num_cpus=2, num_gpus=0, include_dashboard=False)
    session = ray._private.worker._global_node.get_session_dir_path()
    pids: set[int] = set()
    try:
        yield ray, pids
    finally:
        ray.shutdown()
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    deadline = time.time() + 30
    while time.time() < deadline and (_session_processes(session) or any(_alive(p) for p in pids)):
        time.sleep(0.5)
    assert not _session_processes(session), "Ray's processes outlived ray.shutdown()"
    assert not any(_alive(p) for p in pids), "a Ray worker outlived ray.shutdown()"


@pytest.fixture(scope="module")
def karate():
    return load_graph("karate")


@pytest.fixture(scope="module")
def backend(ray_local, karate):
    from graphcl_core.sweeps.ray_backend import RayBackend

    ray, pids = ray_local
    be = RayBackend(karate, batched=False, startup_timeout_s=STARTUP_S)  # one trial per actor at a time
    yield be
    pids.update(_actor_pids(ray, be))
    be.close()


def _actor_pids(ray, be) -> set[int]:
    return {info["pid"] for info in ray.get([a.begin.remote(None, None) for a in be._actors])}


def pause_resume_then_stop(runner) -> None:
    """Pause at the first epoch, check that no trial moves while paused, resume, stop at the next epoch;
    the sweep says paused and resumed once each and ends stopped."""
    kinds, frozen = [], None
    for ev in runner.events(timeout=STARTUP_S):
        kinds.append(ev.kind)
        if ev.kind == "epoch" and "paused" not in kinds and runner.state == "running":
            runner.pause()
        elif ev.kind == "paused":
            assert runner.state == "paused"
            before = [r["epoch"] for r in runner.trial_table()]
            time.sleep(1.5)  # the actors wait: no epoch of a running trial moves
            frozen = before == [r["epoch"] for r in runner.trial_table()]
            runner.resume()
        elif ev.kind == "epoch" and "resumed" in kinds and not runner.control.stopped:
            runner.stop()
    runner.join()
    assert frozen is True
    assert kinds.count("paused") == 1 and kinds.count("resumed") == 1
    assert "epoch" not in kinds[kinds.index("paused") + 1:kinds.index("resumed")]
    assert runner.state == "stopped"


def _by_index(results):
    return sorted(results, key=lambda r: r.index)


# ------------------------------------------------------------------------------------------------------ sweeps
def test_ray_sweep_saves_every_trial_as_the_sequential_backend_does(ray_local, backend, karate, tmp_path):
    ray = ray_local[0]
    sweep = _sweep()
    seq_store, ray_store = RunStore(tmp_path / "seq" / "runs"), RunStore(tmp_path / "ray" / "runs")
    seq = SweepRunner(sweep, seq_store, bundle=karate, progress_interval_s=0.0, snapshot_interval_s=0.0)
    expected = _by_index(seq.run())
    events = []
    runner = SweepRunner(sweep, ray_store, bundle=karate, backend=backend, progress_interval_s=0.0,
                         snapshot_interval_s=0.0, on_event=events.append)
    results = _by_index(runner.run())

    assert runner.state == "finished", runner.message
    assert backend.last_mode == "per trial"
    assert len(backend._actors) == 2  # one actor per CPU of the local Ray, both long-lived
    assert len(_actor_pids(ray, backend)) == 2
    assert [(r.index, r.status, r.epochs, r.metric_name, sorted(r.metrics)) for r in results] == \
        [(r.index, r.status, r.epochs, r.metric_name, sorted(r.metrics)) for r in expected]
    for got, want in zip(results, expected):  # same seeds, same training: the same numbers up to rounding
        assert got.final_loss == pytest.approx(want.final_loss, rel=1e-3)
        assert got.metric == pytest.approx(want.metric, abs=0.05)
    kinds = Counter(e.kind for e in events)
    assert kinds["trial_started"] == kinds["trial_finished"] == 3 and kinds["epoch"] and kinds["snapshot"]
    assert next(e for e in events if e.kind == "snapshot").data["embeddings"].shape == (34, 8)

    # every trial is an ordinary run, with the snapshots and history the sequential backend saves
    assert {m["id"] for m in ray_store.list()} == {r.run_id for r in results}
    for got, want in zip(results, expected):
        run, ref = ray_store.load(got.run_id), seq_store.load(want.run_id)
        assert run.meta["status"] == "finished" and run.meta["sweep"] == {"id": runner.sweep_id,
                                                                          "trial": got.index + 1}
        assert [h["epoch"] for h in run.history] == list(range(1, 11))
        assert run.snapshot_epochs == ref.snapshot_epochs and run.weights_path.exists()
        for e in run.snapshot_epochs:  # written by the actor into the sweep's spool, linked into the run
            np.testing.assert_allclose(run.load_snapshot(e).astype(np.float32), ref.load_snapshot(e).astype(np.float32),
                                       atol=2e-2)
        assert run.meta["metrics"]["validation_probe_acc"] == pytest.approx(got.metric)
    assert backend.last_stats["spooled"] > 0 and backend.last_stats["snapshot_mb"] == 0
    assert not list(ray_store.path.glob(".snapshot-spool-*"))

    meta, rows = load_sweep(tmp_path / "ray" / "sweeps" / "cli", runner.sweep_id)
    assert meta["status"] == "finished" and [t["run_id"] for t in meta["trials"]] == [r.run_id for r in results]
    assert sorted((float(r["margin"]), r["status"]) for r in rows) == [(0.5, "finished"), (1.0, "finished"),
                                                                       (2.5, "finished")]


def test_ray_successive_halving_prunes_as_the_sequential_backend(backend, karate, tmp_path):
    sweep = _sweep(epochs=12, vary={"lr": [1e-4, 3e-3, 1e-2, 3e-2]}, early_stop={"rungs": [0.5], "keep": 0.5})
    expected = _by_index(SweepRunner(sweep, None, bundle=karate).run())
    store = RunStore(tmp_path / "runs")
    results = _by_index(SweepRunner(sweep, store, bundle=karate, backend=backend).run())
    assert [(r.status, r.epochs) for r in results] == [(r.status, r.epochs) for r in expected]
    assert sorted(r.status for r in results) == ["finished", "finished", "pruned", "pruned"]
    for r in results:
        assert len(r.rung_scores) == 1
        assert len(store.load(r.run_id).history) == (12 if r.status == "finished" else 6)


def test_pause_and_stop_reach_the_actors(backend, karate, tmp_path):
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(epochs=100_000), store, bundle=karate, backend=backend, progress_interval_s=0.05)
    pause_resume_then_stop(runner)
    # two actors: two trials ran and were stopped mid-way; the third never started
    assert sorted(r["status"] for r in runner.trial_table()) == ["not_started", "stopped", "stopped"]
    assert all(r.status == "stopped" and 0 < r.epochs < 100_000 for r in runner.results)
    assert sorted(m["status"] for m in store.list()) == ["stopped", "stopped"]
    meta, rows = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)
    assert meta["status"] == "stopped" and len(rows) == 2


def test_a_lost_actor_fails_its_trial_and_the_sweep_goes_on(ray_local, backend, karate, tmp_path):
    ray = ray_local[0]
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(epochs=300), store, bundle=karate, backend=backend)
    victim = None
    for ev in runner.events(timeout=STARTUP_S):
        if ev.kind == "epoch" and victim is None:
            victim = backend._actors[0]  # both actors are training a trial now
            ray.kill(victim)
    assert runner.state == "finished"
    results = _by_index(runner.results)
    assert sorted(r.status for r in results) == ["failed", "finished", "finished"]
    lost = next(r for r in results if r.status == "failed")
    assert lost.message.startswith("The Ray worker running this trial failed")
    assert store.load(lost.run_id).meta["status"] == "failed"
    assert victim not in backend._actors and len(backend._actors) == 1


def test_worker_layout_one_actor_per_gpu_slot_or_cpu(backend):
    def node(cpus, gpus=0, alive=True):
        return {"Alive": alive, "Resources": {"CPU": cpus, **({"GPU": gpus} if gpus else {})}}

    # 2 GPUs, 2 slots each: 4 actors of half a GPU, sharing the node's CPUs for their probes
    assert backend.worker_layout("auto", 108, [node(16, 2)]) == (4, {"num_gpus": 0.5, "num_cpus": 4})
    # the CPU share follows the smallest GPU node, so its actors fit there
    assert backend.worker_layout("cuda", 108, [node(64), node(8, 2)]) == (4, {"num_gpus": 0.5, "num_cpus": 2})
    assert backend.worker_layout("auto", 3, [node(16, 2)])[0] == 3  # never more actors than trials
    assert backend.worker_layout("cpu", 108, [node(16, 2)]) == (16, {"num_gpus": 0, "num_cpus": 1})
    assert backend.worker_layout("auto", 108, [node(2), node(4, 1, alive=False)]) == (2, {"num_gpus": 0,
                                                                                          "num_cpus": 1})
    with pytest.raises(ConfigError, match="the Ray cluster has no GPUs"):
        backend.worker_layout("cuda", 3, [node(2)])


# --------------------------------------------------------------------------------------------------------- CLI
def test_cli_backend_ray(backend, tmp_path, capsys):
    """The CLI makes its own backend (two more actors) on the running Ray, and closes it at the end."""
    backend.close()  # give the module's actors' CPUs back first
    code = sweep_main(["--graph", "karate", "--vary", "margin=0.5,2.5", "--epochs", "6", "--set", "hidden=16",
                       "--set", "embedding_dim=8", "--set", "eval_every=0", "--device", "cpu", "--probe", "quick",
                       "--backend", "ray", "--out", str(tmp_path / "runs"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    last = json.loads(out.strip().splitlines()[-1])
    assert sorted(t["status"] for t in last["trials"]) == ["finished", "finished"]
    assert "Ray: trials run on Ray workers" in err and "[2/2]" in err
    assert len(RunStore(tmp_path / "runs").list()) == 2
    assert (tmp_path / "sweeps" / "cli" / last["sweep_id"] / "sweep.json").exists()


def test_without_ray_the_message_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if it were not installed
    with pytest.raises(ConfigError, match=r"Ray is not installed: pip install -r requirements-ray\.txt"):
        backend_named("ray", load_graph("karate"))
    assert sweep_main(["--graph", "karate", "--backend", "ray", "--no-estimate"]) == 2
    err = capsys.readouterr().err
    assert "Ray is not installed: pip install -r requirements-ray.txt" in err and err.count("\n") == 1
    with pytest.raises(ConfigError, match="'nope' is not a backend"):
        backend_named("nope", load_graph("karate"))


def test_prepared_actors_are_the_ones_the_next_sweep_uses(ray_local, backend, karate, tmp_path):
    """``prepare`` (what the page does in the background once Ray is chosen) starts the sweep's actors;
    the sweep then starts none, and while a sweep holds the actors it does nothing."""
    from graphcl_core.sweeps import ray_shared

    ray, pids = ray_local
    ray_shared.close_shared()  # the CLI test's shared backend keeps actors: the local Ray's 2 CPUs free again
    pids.update(_actor_pids(ray, backend))
    backend._kill_actors()  # as a fresh server: no actors yet
    sweep = _sweep(epochs=4)
    assert backend.prepare(sweep.trials()) is True
    prepared = _actor_pids(ray, backend)
    assert len(prepared) == 2
    events = []
    runner = SweepRunner(sweep, RunStore(tmp_path / "runs"), bundle=karate, backend=backend, progress_interval_s=0.0,
                         on_event=events.append)
    results = runner.run()
    assert runner.state == "finished" and {r.status for r in results} == {"finished"}
    assert not [e for e in events if e.kind == "waiting"]  # no "Starting 2 Ray worker(s)…"
    assert _actor_pids(ray, backend) == prepared
    with ray_shared.SWEEP_LOCK:  # a sweep holds the actors
        assert backend.prepare(sweep.trials()) is False


def test_ray_is_started_on_a_thread_that_outlives_the_caller():
    """A local Ray's processes die with the thread that started them (Linux's parent-death signal): Ray is
    started on a parked thread, never on the short-lived head-start or sweep thread; errors come back."""
    import threading

    from graphcl_core.sweeps.ray_backend import on_lasting_thread

    seen = {}

    def caller():
        seen["value"] = on_lasting_thread(lambda: threading.current_thread())
        try:
            on_lasting_thread(lambda: 1 / 0)
        except ZeroDivisionError:
            seen["raised"] = True

    t = threading.Thread(target=caller)
    t.start()
    t.join(30)
    starter = seen["value"]
    assert starter is not t and starter.name == "graphcl-ray-owner" and seen.get("raised")
    assert not t.is_alive() and starter.is_alive()  # the caller ended; the thread that started Ray did not
    assert on_lasting_thread(lambda: threading.current_thread()) is threading.main_thread()
