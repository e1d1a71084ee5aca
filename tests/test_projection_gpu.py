"""The TorchDR (GPU) UMAP backend: warm start from the previous frame, alignment, backend choice.

TorchDR is pure PyTorch, so the warm-start and alignment logic is tested on the CPU here (small
inputs, one torch thread: on a busy 2-core machine more threads only fight); on CUDA it is the
live view's backend. Skips where TorchDR (an optional extra, requirements-gpu.txt) is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graphcl_core import projection, projection_gpu
from graphcl_core.errors import ConfigError
from graphcl_core.projection import Projector

needs_torchdr = pytest.mark.skipif(not projection_gpu.torchdr_installed(), reason="TorchDR not installed")


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _blobs(n_per: int = 40, groups: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((groups, 16)) * 4
    y = np.repeat(np.arange(groups), n_per)
    return (centres[y] + rng.standard_normal((len(y), 16))).astype(np.float32), y


def test_unknown_backend_is_refused():
    with pytest.raises(ConfigError, match="backend"):
        Projector("umap", 2, backend="cuml")


def test_backend_choice(monkeypatch):
    monkeypatch.setattr(projection_gpu, "gpu_available", lambda: True)
    assert Projector("umap", 2).on_gpu
    assert not Projector("umap", 2, backend="umap-learn").on_gpu
    monkeypatch.setattr(projection_gpu, "gpu_available", lambda: False)
    assert not Projector("umap", 2).on_gpu
    assert Projector("umap", 2, backend="torchdr").on_gpu


@needs_torchdr
def test_warm_start_begins_exactly_at_the_previous_frame():
    """TorchDR rescales an init array to a 1e-4 spread; a warm frame must start at the old one's scale,
    from a fresh leaf tensor (the previous output itself fails: "can't optimize a non-leaf Tensor")."""
    x, _ = _blobs()
    prev = np.random.default_rng(1).standard_normal((len(x), 2)).astype(np.float32) * 7
    out = projection_gpu.torchdr_umap(torch.from_numpy(x), 2, n_neighbors=10, min_dist=0.1, metric="cosine",
                                      init=prev, iterations=1, learning_rate=1e-6, warm=True, device="cpu")
    assert out.shape == prev.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, prev, atol=1e-3)


@needs_torchdr
def test_torchdr_frames_separate_groups_and_warm_frames_move_little():
    x, y = _blobs()
    p = Projector("umap", 2, backend="torchdr", n_neighbors=10)
    first = p.project(x)
    assert first.method == "umap" and first.coords.shape == (len(x), 2) and np.isfinite(first.coords).all()
    from sklearn.metrics import silhouette_score

    assert silhouette_score(first.coords, y) > 0.5
    # the same embeddings, slightly moved: the warm frame starts from the first and stays aligned with it
    nudged = x + 0.01 * np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    second = p.project(nudged)
    assert second.method == "umap"
    assert np.abs(second.coords - first.coords).mean() < 0.15  # coords span ~[-1, 1]
    assert silhouette_score(second.coords, y) > 0.5


@needs_torchdr
def test_a_reflected_warm_frame_is_aligned_back(monkeypatch):
    """Procrustes after the GPU layout too: a frame that comes back mirrored is turned onto the last."""
    torch.manual_seed(0)  # TorchDR draws from the global generator: whatever ran before must not matter
    x, _ = _blobs(n_per=20)
    p = Projector("umap", 2, backend="torchdr", n_neighbors=8)
    first = p.project(x)
    real = projection_gpu.torchdr_umap
    monkeypatch.setattr(projection_gpu, "torchdr_umap", lambda *a, **k: real(*a, **k) * np.array([-1.0, 1.0],
                                                                                                  np.float32))
    second = p.project(x)
    mirrored = np.abs(first.coords * np.array([-1.0, 1.0]) - first.coords).mean()  # if it were not turned back
    assert np.abs(second.coords - first.coords).mean() < min(0.25, mirrored / 2)


def test_auto_uses_umap_learn_without_cuda(monkeypatch):
    """No CUDA (or no TorchDR): the CPU's umap-learn path, never TorchDR."""
    monkeypatch.setattr(projection_gpu, "gpu_available", lambda: False)
    called = []
    monkeypatch.setattr(projection_gpu, "torchdr_umap", lambda *a, **k: called.append(1))
    x, _ = _blobs(n_per=10)
    frame = projection.Projector("umap", 2, first_epochs=10).project(x)
    assert not called and frame.coords.shape == (30, 2)


def test_distinct_rows_round_trip():
    x = torch.tensor([[1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [3.0, 0.0], [2.0, 0.0]])
    uniq, first, inverse = projection_gpu._distinct_rows(x)
    assert uniq.tolist() == [[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]] and first.tolist() == [0, 1, 3]
    assert torch.equal(uniq[inverse], x)


@needs_torchdr
def test_duplicate_embeddings_share_a_place():
    """TorchDR drops duplicate rows; Cora's trained embeddings have some (seen on an H200: 2694 of 2708)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype(np.float32)
    x[10:20] = x[5]
    init = rng.normal(size=(200, 2)).astype(np.float32)
    out = projection_gpu.torchdr_umap(torch.tensor(x), 2, n_neighbors=10, min_dist=0.1, metric="cosine", init=init,
                                      iterations=20, learning_rate=1.0, warm=False, device="cpu")
    assert out.shape == (200, 2) and np.allclose(out[10:20], out[5])
