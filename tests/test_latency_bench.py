"""bench/latency_start.py's start_breakdown: its phases come in the order a start does them, and the
functions it wraps to time them are the originals again afterwards (the GPU numbers rest on it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def latency_start(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))
    import latency_start

    yield latency_start
    sys.modules.pop("latency_start", None)


def test_start_breakdown_times_each_phase_in_order_and_unwraps(latency_start, capsys):
    from graphcl_core import trainer, worker
    from graphcl_core.engine.inputs import RunInputs

    def originals():
        return (worker.TrainingJob._main, trainer.Trainer.step, trainer.select_engine, worker.share_cpu_cores,
                RunInputs.__dict__["from_bundle"])

    before = originals()
    latency_start.start_breakdown("karate", epochs=3, repeats=1, warmups=False)
    assert originals() == before
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["what"] == "start_breakdown" and row["graph"] == "karate"
    p = row["phases"]
    order = ["thread", "wait_for_slot", "trainer_build", "run_folder", "snapshot", "epoch"]
    starts = [p[name][0] for name in order]
    assert starts == sorted(starts)
    assert p["trainer_build"][0] <= p["inputs_to_device"][0] <= p["engine_setup"][1] <= p["trainer_build"][1]
    assert p["epoch"][0] <= p["read_loss"][0] <= p["read_loss"][1] <= p["poller_sees_first_row"]
    assert row["first_loss_row_s"] == pytest.approx(p["poller_sees_first_row"], abs=1e-3)
