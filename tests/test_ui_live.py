"""Train page without a browser: what Start/Step do (``training.launch``) and the live view's wording."""

from __future__ import annotations

from types import SimpleNamespace

from graphcl_core.config import TrainConfig
from graphcl_core.errors import GraphCLError
from ui import live, training
from ui.registry import Slot


def _recorder(calls):
    return lambda slot, bundle, cfg: calls.append((slot.job, bundle, cfg))


def test_launch_validates_clears_an_ended_run_and_hands_over_the_config(tiny_graph):
    slot, calls = Slot("tok-launch-1"), []
    slot.job = SimpleNamespace(done=True)
    assert training.launch(slot, tiny_graph, TrainConfig(margin=1.5), _recorder(calls)) is None
    assert calls == [(None, tiny_graph, TrainConfig(margin=1.5))]  # the finished run was cleared first


def test_launch_keeps_an_active_run_for_the_action_to_decide(tiny_graph):
    slot, calls = Slot("tok-launch-2"), []
    running = SimpleNamespace(done=False)
    slot.job = running
    training.launch(slot, tiny_graph, TrainConfig(), _recorder(calls))
    assert calls[0][0] is running


def test_launch_turns_errors_into_messages(tiny_graph):
    slot, calls = Slot("tok-launch-3"), []
    assert "margin" in training.launch(slot, tiny_graph, TrainConfig(margin=-1), _recorder(calls))
    assert "margin" in training.launch(slot, None, TrainConfig(margin=-1), _recorder(calls))
    assert training.launch(slot, None, TrainConfig(), _recorder(calls)) is None  # the page says "no graph"

    def no_gpu(slot, bundle, cfg):
        raise GraphCLError("No GPU here.")

    assert training.launch(slot, tiny_graph, TrainConfig(), no_gpu) == "No GPU here."
    assert calls == []


def _status(state, epoch=40, epochs=200, seconds=4.0):
    return {"state": state, "epoch": epoch, "epochs": epochs, "seconds": seconds, "history": []}


def test_progress_text_for_each_state():
    assert live.progress_text(_status("running")) == "Epoch 40 of 200 · 10.0 epochs/s · about 16 s left"
    assert live.progress_text(_status("paused")) == "Epoch 40 of 200 · 10.0 epochs/s · paused"
    assert live.progress_text(_status("finished", 200, 200, 20.0)) == "Epoch 200 of 200 · 10.0 epochs/s · finished in 20 s"
    assert live.progress_text(_status("stopped")).endswith(" · stopped")
    assert live.progress_text(_status("queued", 0, 200, 0.0)) == "Epoch 0 of 200"


def test_metrics_and_their_deltas():
    assert live.loss_metric([]) == ("—", None)
    hist = [{"epoch": e, "loss": 1.0 - e / 100} for e in range(1, 13)]
    assert live.loss_metric(hist[:5]) == ("0.9500", None)
    assert live.loss_metric(hist) == ("0.8800", "-0.1000 in 10 epochs")
    hist[4].update(linear_probe_acc=0.5, linear_probe_train_frac=0.3)
    assert live.quality_metric(hist, "linear_probe_acc", "{:.1%}") == ("50.0%", None)
    hist[9].update(linear_probe_acc=0.75, silhouette=0.2)
    assert live.quality_metric(hist, "linear_probe_acc", "{:.1%}") == ("75.0%", "25.0%")
    assert live.quality_metric(hist, "silhouette", "{:.3f}") == ("0.200", None)
    assert live.quality_metric(hist, "knn_acc", "{:.1%}") == ("—", None)
    assert live.probe_fraction(hist) == 0.1 and live.probe_fraction(hist[:5]) == 0.3


def test_the_first_trained_epoch_is_on_screen_at_once():
    assert live.on_screen(0, 0) == 0  # nothing trained: nothing to show
    assert live.on_screen(0, 7) == 1  # the paced playhead has not reached epoch 1 yet: show it anyway
    assert live.on_screen(5, 200) == 5  # afterwards the pace decides
