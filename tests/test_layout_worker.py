"""The layout process (``graphcl_core.layout_worker``): lays frames out like the server process does, and
when it is gone the frame is laid out in the server process instead (on the CPU here: TorchDR is PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graphcl_core import projection_gpu
from graphcl_core.layout_worker import LayoutWorker, WorkerUnavailable
from graphcl_core.options import RuntimeOptions

pytestmark = pytest.mark.skipif(not projection_gpu.torchdr_installed(), reason="TorchDR not installed")

KW = dict(n_neighbors=8, min_dist=0.1, metric="cosine", iterations=60, learning_rate=1.0, warm=False)


def _start(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((90, 2)).astype(np.float32)


def _blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, 16)) * 4
    return (centres[np.repeat(np.arange(3), 30)] + rng.standard_normal((90, 16))).astype(np.float32)


@pytest.fixture(scope="module")
def worker():
    w = LayoutWorker("cpu")
    assert w.wait_ready(180), w.failure
    yield w
    w.stop()


def test_the_worker_lays_out_and_keeps_the_blobs_apart(worker):
    x = _blobs()
    out = worker.layout(x, dim=2, device="cpu", init=_start(), **KW)
    assert out.shape == (90, 2) and out.dtype == np.float32 and np.isfinite(out).all()
    centres = np.stack([out[i * 30:(i + 1) * 30].mean(0) for i in range(3)])
    spread = max(out[i * 30:(i + 1) * 30].std(0).mean() for i in range(3))
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > 2 * spread


def test_a_bad_request_is_an_error_and_the_worker_goes_on(worker):
    with pytest.raises(RuntimeError, match="metric"):
        worker.layout(_blobs(), dim=2, device="cpu", init=_start(),
                      **{**KW, "metric": "manhattan"})
    assert worker.alive
    out = worker.layout(_blobs(1), dim=2, device="cpu", init=_start(), **KW)
    assert np.isfinite(out).all()


def test_a_dead_worker_means_the_server_process_lays_out(monkeypatch):
    w = LayoutWorker("cpu")
    assert w.wait_ready(180), w.failure
    w._proc.kill()
    w._proc.join(10)
    with pytest.raises(WorkerUnavailable):
        w.layout(_blobs(), dim=2, device="cpu", init=_start(), **KW)
    monkeypatch.setattr(projection_gpu, "_WORKER", [w])
    torch.manual_seed(0)
    out = projection_gpu.torchdr_umap(torch.as_tensor(_blobs()), 2, init=_start(),
                                      device="cpu", **KW)
    assert out.shape == (90, 2) and np.isfinite(out).all()


def test_the_layout_process_can_be_switched_off():
    assert RuntimeOptions().layout_process
    opts = RuntimeOptions.from_env({"GRAPHCL_LAYOUT_PROCESS": "0"})
    assert not opts.layout_process and not opts.problems
