"""``select_engine``: which engine runs a training step, decided once per run, with the reasons.

The reasons are ``fast_info`` (shown by the app, the CLI's ``--json`` and the benchmarks):

| key | values |
|---|---|
| fast | the fast paths are allowed (``RuntimeOptions.fast``) |
| propagation | ``gather`` / ``csr`` (cached adjacency) or ``pyg (why)`` |
| tf32 | TF32 matrix products (CUDA only) |
| cuda_graph | ``pending (captured after warm-up)``, then ``on``, or ``off: why`` |
| batched_views | both views in one encoder pass |
| sparse_features | ``on`` or ``off: why`` |
| options | the ``RuntimeOptions`` switches that took part in the choice |
"""

from __future__ import annotations

import torch

from ..config import TrainConfig
from ..fast.propagation import FAST_CONVS, CachedAdjacency, choose_kernel
from ..fast.sparse_features import sparse_features_wanted
from ..options import RuntimeOptions
from .base import StepEngine
from .eager import EagerEngine
from .fast import FastEngine
from .graphed import GraphedEngine
from .inputs import RunInputs
from .views import FastInputs

# Above this many nodes the step is GPU-bound: no CUDA graph (its private memory pool would only add memory).
GRAPH_MAX_NODES = 300_000


def select_engine(cfg: TrainConfig, model: torch.nn.Module, inputs: RunInputs, options: RuntimeOptions,
                  gen: torch.Generator) -> tuple[StepEngine, dict]:
    """The engine for this run (with its optimiser) and ``fast_info``, the reasons for the choice."""
    dev, n = inputs.device, inputs.num_nodes
    info: dict = {"fast": options.fast}
    if not options.fast:
        info.update(propagation="pyg", cuda_graph="off: fast paths disabled", tf32=False,
                    options=options.engine_subset())
        return EagerEngine(cfg, model, make_optimizer(cfg, model), inputs, gen), info
    adj, info["propagation"] = fast_adjacency(cfg, inputs, options)
    use_tf32 = info["tf32"] = dev.type == "cuda" and options.tf32
    blocker = graph_blocker(cfg, dev, adj is not None, n, options)
    info["cuda_graph"] = "pending (captured after warm-up)" if blocker is None else f"off: {blocker}"
    two_views = cfg.pairs == "views" or cfg.loss == "infonce"
    batch = options.batch_views
    stack = adj is not None and two_views and (batch == "on" or (batch == "auto" and blocker is None))
    info["batched_views"] = stack
    sparse = (False, "off: no fast propagation")
    if adj is not None:
        sparse = sparse_features_wanted(inputs.x, cfg.hidden if cfg.layers > 1 else cfg.embedding_dim,
                                        options.sparse_features)
    info["sparse_features"] = sparse[1]
    info["options"] = options.engine_subset()
    optimizer = make_optimizer(cfg, model, for_cuda_graph=blocker is None and dev.type == "cuda",
                               fused=dev.type == "cuda" and options.fused_adam)
    common = dict(fast_infonce=options.infonce_fast, tf32=use_tf32)
    if adj is None:
        return EagerEngine(cfg, model, optimizer, inputs, gen, fast_ops=True, **common), info
    fast_inputs = FastInputs(inputs, adj, sparse=sparse[0], stack=2 if stack else 1)
    if blocker is None:
        return GraphedEngine(cfg, model, optimizer, inputs, gen, fast_inputs=fast_inputs, stack_views=stack,
                             info=info, ring_size=cfg.loss_sync_every, **common), info
    return FastEngine(cfg, model, optimizer, inputs, gen, fast_inputs=fast_inputs, stack_views=stack, **common), info


def fast_adjacency(cfg: TrainConfig, inputs: RunInputs,
                   options: RuntimeOptions) -> tuple[CachedAdjacency | None, str]:
    """The cached adjacency for fast propagation and its kernel, or None and why PyG runs instead."""
    if cfg.encoder not in FAST_CONVS:
        return None, f"pyg ({cfg.encoder} has no fast propagation)"
    if not options.fast_propagation:
        return None, "pyg (disabled by GRAPHCL_FAST_PROPAGATION=0)"
    n = inputs.num_nodes
    kernel = choose_kernel(n, inputs.edge_index.size(1), options.propagation)
    adj = CachedAdjacency(inputs.edge_index, n, cfg.encoder, kernel=kernel)
    if cfg.encoder == "gcn" and adj.has_self_loops():
        return None, "pyg (GCN on a graph with self-loops)"
    return adj, adj.kernel


def graph_blocker(cfg: TrainConfig, device: torch.device, fast_propagation: bool, num_nodes: int,
                  options: RuntimeOptions) -> str | None:
    """Why the step cannot be captured in a CUDA graph, or None."""
    if device.type != "cuda":
        return "not a CUDA device"
    if not options.cuda_graph:
        return "disabled by GRAPHCL_CUDA_GRAPH=0"
    if not fast_propagation:
        return f"encoder '{cfg.encoder}' runs PyG message passing (data-dependent shapes)"
    if cfg.pairs == "labels":
        return "the 'labels' pair strategy checks the labels on the host"
    if cfg.negative_sampling != "uniform":
        return "degree-weighted negative sampling is not captured"
    if num_nodes > GRAPH_MAX_NODES:
        return f"large graph (> {GRAPH_MAX_NODES:,} nodes): the step is GPU-bound"
    return None


def make_optimizer(cfg: TrainConfig, model: torch.nn.Module, for_cuda_graph: bool = False,
                   fused: bool = False) -> torch.optim.Optimizer:
    """``for_cuda_graph``: optimiser state on the device (capturable); ``fused``: one kernel for all parameters.

    Fused Adam once turned GCN + InfoNCE into NaN: a 1e19 gradient from normalising an all-zero view
    row, fixed in ``losses.safe_normalize`` (foreach Adam had silently frozen those biases instead).
    """
    params = list(model.parameters())
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    if for_cuda_graph:
        tries = ([{"fused": True, "capturable": True}] if fused else []) + [{"capturable": True}]
    else:
        tries = [{"fused": True}] if fused else []
    for extra in tries:
        try:
            return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay, **extra)
        except (RuntimeError, ValueError, TypeError):
            continue
    return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
