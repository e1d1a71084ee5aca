"""``StackedModel``: T copies of one ``ContrastiveModel`` architecture with their parameters stacked.

Each trial's model is built exactly as the ``Trainer`` builds it (its seed, ``build_model``), then
``torch.func.stack_module_state`` stacks the parameters (trials first). The forward pass is the fast
engine's (``fast.propagation``: GraphConv ``lin_rel(Â x) + lin_root(x)``, GCN ``Â x W + b``), written
once for all trials: per-trial weights as batched matrix products, propagation over the union graph
of ``StackedInputs``. ``state_dict(t)`` gives trial ``t``'s weights under the single model's names.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..config import TrainConfig
from ..engine.inputs import SEED_LOCK
from ..fast.propagation import AdjView
from ..losses.safe_normalize import safe_normalize
from ..models import build_model
from .inputs import StackedInputs
from .trial_linear import trial_linear


def _activation(name: str, x: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """``weight``: PReLU's, broadcastable to ``x``."""
    if name == "prelu":
        return torch.where(x >= 0, x, weight * x)
    return {"relu": F.relu, "elu": F.elu, "tanh": torch.tanh, "leaky_relu": F.leaky_relu}[name](x)


class StackedModel:
    def __init__(self, configs: list[TrainConfig], in_dim: int, device: torch.device):
        cfg = configs[0]
        built: dict[int, torch.nn.Module] = {}  # the trials of a batch share their shapes: a seed's weights are
        for c in configs:                      # the same for all of them (27 Cora trials: 0.12 s → 0.01 s)
            if c.seed not in built:
                with SEED_LOCK:  # as the Trainer: the seed's initial weights, built on the CPU, then moved
                    torch.manual_seed(c.seed)
                    built[c.seed] = build_model(c, in_dim).to(device)
        models = [built[c.seed] for c in configs]
        params, buffers = torch.func.stack_module_state(models)
        if buffers:
            raise ValueError(f"the batched model has no place for buffers ({', '.join(buffers)})")
        self.params = params
        self.names = [n for n, _ in models[0].named_parameters()]
        self.cfg, self.trials = cfg, len(configs)

    def parameters(self) -> list[torch.Tensor]:
        return [self.params[n] for n in self.names]

    def state_dict(self, t: int) -> dict[str, torch.Tensor]:
        return {n: self.params[n][t].detach().cpu().clone() for n in self.names}

    def state_dicts(self) -> list[dict[str, torch.Tensor]]:
        """Every trial's ``state_dict``, each parameter read back once for all trials."""
        whole = {n: self.params[n].detach().cpu() for n in self.names}
        return [{n: whole[n][t].clone() for n in self.names} for t in range(self.trials)]

    # ---- forward ---------------------------------------------------------------------------------
    def embed(self, inputs: StackedInputs, adj: AdjView, keep: torch.Tensor | None, views: int) -> torch.Tensor:
        """Encoder output (T, V, N, D) of every trial on its ``views`` views."""
        h = None
        for i in range(self.cfg.layers):
            w_rel, w_root, bias, act = self._layer(i)
            out = bias.size(-1)
            if h is None:  # the features are shared: one sparse matrix for every trial and view
                ws = [w_rel] + ([w_root] if w_root is not None else [])
                rel, root = (inputs.first_products(ws, keep, views) + [None])[:2]
            else:  # two products: contiguous outputs, no copy before the propagation
                rel = h @ w_rel.transpose(1, 2).unsqueeze(1)
                root = h @ w_root.transpose(1, 2).unsqueeze(1) if w_root is not None else None
            T, V, N, _ = rel.shape
            h = adj.propagate(rel.reshape(T * V * N, out)).view(T, V, N, out)
            if root is not None:
                h = h + root
            h = _activation(self.cfg.activation, h + bias[:, None, None, :],
                            None if act is None else act[:, None, None, :])
        return h

    def _layer(self, i: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor | None]:
        """Layer ``i``'s stacked ``(W (T, O, I), W_root or None (GCN), bias (T, O), PReLU weight or None)``."""
        p, pre = self.params, f"encoder.convs.{i}."
        if self.cfg.encoder == "graphconv":
            w_rel, w_root, bias = p[pre + "lin_rel.weight"], p[pre + "lin_root.weight"], p[pre + "lin_rel.bias"]
        else:
            w_rel, w_root, bias = p[pre + "lin.weight"], None, p[pre + "bias"]
        return w_rel, w_root, bias, p.get(f"encoder.acts.{i}.weight")

    def embed_shared(self, inputs: StackedInputs, adj: AdjView, keep: torch.Tensor | None, views: int) -> torch.Tensor:
        """``embed`` for trials that draw the same views (``inputs`` of one copy per view, ``keep`` (1, V, F)):
        encoder output (V, N, T, D), the trials side by side in each node's row.

        Every trial's layer reads the same graph, so the propagation is one sparse product of the V-view
        graph with ``T·O``-wide rows (instead of ``T·V`` copies of the graph with ``O``-wide ones), and the
        first layer one product of the V masked feature copies with every trial's weights side by side."""
        T, h = self.trials, None
        for i in range(self.cfg.layers):
            w_rel, w_root, bias, act = self._layer(i)
            _, out, width = w_rel.shape
            if h is None:  # (T, O, F) → (1, T·O, F): one weight matrix whose outputs are every trial's
                ws = [w_rel] + ([w_root] if w_root is not None else [])
                prods = inputs.first_products([w.reshape(1, T * out, width) for w in ws], keep, views)
                # squeeze, not [0]: a select's backward fills a zero tensor and copies the gradient into it
                rel = prods[0].squeeze(0)
                root = prods[1].squeeze(0).view(*rel.shape[:2], T, out) if w_root is not None else None
            else:  # h (V, N, T, I): each trial's slice times its own weights
                rel = trial_linear(h, w_rel)
                root = trial_linear(h, w_root) if w_root is not None else None
            V, N = rel.shape[:2]
            if root is not None:  # (root: a fresh product of this layer's, accumulated into in place)
                h = adj.propagate_onto(rel.reshape(V * N, T * out), root.reshape(V * N, T * out)).view(V, N, T, out)
            else:
                h = adj.propagate(rel.reshape(V * N, T * out)).view(V, N, T, out)
            h = _activation(self.cfg.activation, h + bias, act)
        return h

    def project(self, h: torch.Tensor, shared: bool = False) -> torch.Tensor:
        """What the loss compares: the projection head (when there is one), then L2-normalised rows.
        ``shared``: ``h`` is ``embed_shared``'s (V, N, T, D)."""
        p = self.params
        if self.cfg.projection_head:
            def lin(x, name):
                if shared:
                    return trial_linear(x, p[name + ".weight"]) + p[name + ".bias"]
                return x @ p[name + ".weight"].transpose(1, 2).unsqueeze(1) + p[name + ".bias"][:, None, None, :]

            h = lin(F.elu(lin(h, "head.fc1")), "head.fc2")
        return safe_normalize(h) if self.cfg.normalize else h
