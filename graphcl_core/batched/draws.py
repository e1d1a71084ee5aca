"""Every trial's random views and pairs for one batched step, each from the trial's own generator.

The draws are the single run's, bit for bit (``engine.views.ViewSampler``, ``augment.generate_pairs``):
each generator is asked for the same random numbers in the same order (per view its edges, then its
feature columns; then the negatives and their redraw). Only what follows the random numbers (the
thresholds, the look-up from edge pairs to stored edges, the true-edge check, the concatenations) runs
once for the whole batch instead of once per trial: about 200 of the ~500 kernels of a 9-trial step.
"""

from __future__ import annotations

import torch

from ..augment.negatives import is_edge
from ..config import TrainConfig
from ..engine.base import MAX_POSITIVES
from ..engine.inputs import RunInputs
from ..engine.views import ViewSampler


class BatchedDraws:
    """Draws of ``configs`` (one batch: same pairs strategy, negatives and sampling) on ``inputs``."""

    def __init__(self, inputs: RunInputs, sampler: ViewSampler, configs: list[TrainConfig], views: int):
        cfg, dev = configs[0], inputs.device
        self.inputs, self.sampler, self.views, self.cfg = inputs, sampler, views, cfg
        self.n, self.F = inputs.num_nodes, inputs.x.size(1)
        self.p_edge = [float(c.drop_edge_p) for c in configs]
        self.p_feature = [float(c.mask_feature_p) for c in configs]
        rows = lambda ps: torch.tensor([p for p in ps for _ in range(views)], device=dev).unsqueeze(1)  # noqa: E731
        self._edge_p, self._feature_p = rows(self.p_edge), rows(self.p_feature)
        self._ones_pairs = torch.ones(sampler.num_pairs, device=dev)
        self._ones_features = torch.ones(self.F, device=dev)
        # the pairs: positives as generate_pairs makes them (no cap needed below MAX_POSITIVES)
        if cfg.pairs == "views":
            self.pos_src = self.pos_dst = torch.arange(self.n, device=dev)
            self.keys = torch.empty(0, dtype=torch.long, device=dev) if cfg.exclude_true_edges else None
        else:  # edges
            self.pos_src, self.pos_dst = inputs.edge_index[0], inputs.edge_index[1]
            self.keys = inputs.edge_keys if cfg.exclude_true_edges else None
        self.identity = cfg.pairs == "views"  # positive j is node j in both views: no gather needed
        self.capped = self.pos_src.numel() > MAX_POSITIVES  # then generate_pairs draws a subset: not here
        self.neg_src = self.pos_src.repeat_interleave(cfg.negatives) if not self.capped else None

    def views_of(self, gens: list[torch.Generator]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Edge weights of every trial's views, trial-major (T·V·E,), and their kept columns (T, V, F)
        (None when no trial masks features)."""
        edge_r, feature_r = [], []
        for pe, pf, g in zip(self.p_edge, self.p_feature, gens):
            for _ in range(self.views):  # ViewSampler.draw's order: this view's edges, then its columns
                edge_r.append(torch.rand(self.sampler.num_pairs, device=self._ones_pairs.device, generator=g)
                              if pe > 0 else self._ones_pairs)
                feature_r.append(torch.rand(self.F, device=self._ones_features.device, generator=g)
                                 if pf > 0 else self._ones_features)
        keep_pairs = (torch.stack(edge_r) >= self._edge_p).to(torch.float32)  # p = 0 rows: all kept
        weight = self.inputs.base_weight * keep_pairs[:, self.sampler.pair_id]
        if not any(p > 0 for p in self.p_feature):
            return weight.flatten(), None
        keep = torch.stack(feature_r) >= self._feature_p
        return weight.flatten(), keep.view(len(gens), self.views, self.F)

    def pairs_of(self, gens: list[torch.Generator]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(src (P,), dst (T, P), y (1, P))``: positives first, then each trial's negatives."""
        pos, dev = self.pos_dst.expand(len(gens), -1), self.pos_src.device
        src = torch.cat([self.pos_src, self.neg_src])
        y = torch.cat([torch.ones(self.pos_src.numel(), device=dev), torch.zeros(self.neg_src.numel(), device=dev)])
        return src, torch.cat([pos, self.negatives_of(gens)], 1), y.unsqueeze(0)

    def negatives_of(self, gens: list[torch.Generator]) -> torch.Tensor:
        """Each trial's negative partners (T, P₊·k): those of positive ``j``'s anchor at ``j·k … j·k+k-1``."""
        m, dev = self.neg_src.numel(), self.neg_src.device
        dst, redraw = [], []
        for g in gens:  # _with_negatives' order: the negatives, then (excluding true edges) their redraw
            dst.append(torch.randint(0, self.n, (m,), device=dev, generator=g))
            if self.keys is not None:
                redraw.append(torch.randint(0, self.n, (m,), device=dev, generator=g))
        neg = torch.stack(dst)
        if self.keys is not None:
            neg = torch.where(is_edge(self.neg_src, neg, self.keys, self.n), torch.stack(redraw), neg)
        return neg
