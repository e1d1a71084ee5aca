"""Which device to train on, and a plain description of it for the UI."""

from __future__ import annotations

import threading

import torch

from .errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA when present, else CPU. Asking for CUDA without a GPU is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("You asked for the GPU (cuda), but no CUDA GPU is available here. Choose 'auto' or 'cpu'.")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise ConfigError(f"Unknown device '{name}'. Choose auto, cpu or cuda.")


def device_info(device: torch.device | str | None = None) -> dict:
    """``{"kind": "cuda"|"cpu", "name": ..., "memory_total_gb", "memory_used_gb"}`` for display."""
    dev = torch.device(device) if device is not None else resolve_device("auto")
    if dev.type == "cuda" and torch.cuda.is_available():
        idx = dev.index if dev.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(idx)
        free, total = torch.cuda.mem_get_info(idx)
        return {"kind": "cuda", "name": props.name, "memory_total_gb": total / 2**30,
                "memory_used_gb": (total - free) / 2**30,
                "label": f"GPU: {props.name} ({(total - free) / 2**30:.1f} / {total / 2**30:.0f} GB used)"}
    return {"kind": "cpu", "name": "CPU", "label": "CPU", "memory_total_gb": None, "memory_used_gb": None}


def free_gpu_memory(device: torch.device | str | None = None) -> int | None:
    """Free bytes on the GPU that ``auto`` would train on (or ``device``); None without a CUDA GPU."""
    dev = torch.device(device) if device is not None else resolve_device("auto")
    if dev.type != "cuda" or not torch.cuda.is_available():
        return None
    try:
        return int(torch.cuda.mem_get_info(dev.index if dev.index is not None else torch.cuda.current_device())[0])
    except RuntimeError:  # a busy or broken device: fall back to the CPU limits
        return None


_CUDA_WARM: list = []  # the warm-up thread, once started
_CUDA_WARM_LOCK = threading.Lock()


def warm_up_cuda_in_background() -> threading.Thread | None:
    """Create the CUDA context (about a second) and the libraries' handles in a daemon thread, once per process.

    Without this the first Start on a GPU pays for it before the first loss point appears. Returns the
    thread (the same one on later calls), or None without CUDA.
    """
    with _CUDA_WARM_LOCK:
        if _CUDA_WARM:
            return _CUDA_WARM[0]
        if not torch.cuda.is_available():
            return None
        thread = threading.Thread(target=_warm_cuda, name="graphcl-cuda-warmup", daemon=True)
        _CUDA_WARM.append(thread)
        thread.start()
        return thread


def _warm_cuda() -> None:
    """The first uses that would otherwise land inside the first Start on a GPU (an optimisation only)."""
    try:
        x = torch.ones(256, 256, device="cuda")
        (x @ x).sum().item()
        # First uses that each cost 0.1-0.3 s inside the first training step otherwise: the
        # cuSPARSE handle (sparse features, CSR propagation) and the fused Adam kernel.
        torch.sparse.mm(torch.eye(8, device="cuda").to_sparse_csr(), x[:8])
        p = torch.nn.Parameter(torch.zeros(8, device="cuda"))
        p.grad = torch.ones_like(p)
        torch.optim.Adam([p], fused=True).step()
        torch.cuda.synchronize()
        trainer = _warm_training()
        # a sweep's batches compute their negatives with Triton kernels, compiled per embedding width
        from .batched.negative_kernels import build_in_child

        build_in_child(trainer.cfg.embedding_dim)
        torch.cuda.synchronize()
    except Exception:  # noqa: BLE001 - an optimisation only; training reports real errors
        pass


def _warm_training(device: str = "cuda"):
    """A few epochs of the default recipe on a small Cora-like graph (sparse bag-of-words features), so a
    visitor's first run on the GPU finds its kernels loaded: CUDA loads each kernel on first use, and the
    eager warm-up epochs, the CUDA-graph capture and the snapshot of a first run otherwise pay for that
    (about 0.5-1 s on an H200 after the handles above were made)."""
    from torch_geometric.data import Data

    from .fast.graphed_step import WARMUP_STEPS
    from .graph import GraphBundle
    from .presets import preset
    from .synthetic import synthetic_graph
    from .trainer import Trainer

    g = synthetic_graph(600, 2400, num_classes=6, feat_dim=512, seed=0)
    x = (g.data.x > 2.0).float()  # ~2 % nonzero, as bag-of-words features: the sparse first layer
    bundle = GraphBundle(Data(x=x, edge_index=g.data.edge_index, y=g.data.y, num_nodes=g.num_nodes), "cuda-warm-up",
                         g.node_names, "synthetic", label_names=g.label_names, feature_source="synthetic")
    trainer = Trainer(bundle, preset("default", epochs=WARMUP_STEPS + 3, device=device, seed=0))
    trainer.run()
    trainer.embeddings().cpu()  # the clean-graph pass of snapshots and frames
    return trainer
