"""``StepEngine``: one run's optimisation step behind one small interface.

The ``Trainer`` owns the run (loop, control, history, snapshots); an engine owns how one epoch is
computed. Every engine trains the same model with the same loss on the same random views
(``engine.views``); they differ only in how the encoder is run:

- ``EagerEngine`` (``eager.py``): plain PyTorch + PyG message passing, the reference;
- ``FastEngine`` (``fast.py``): cached-adjacency propagation, sparse features, views in one pass;
- ``GraphedEngine`` (``graphed.py``): the fast step captured in a CUDA graph and replayed.

``engine.select.select_engine`` picks one, once, and says why in ``fast_info``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F

from ..augment import generate_pairs
from ..augment.pairs import PairSet
from ..config import TrainConfig
from ..fast.graphed_step import tf32
from ..fast.losses import infonce_fast
from ..losses import hadsell_contrastive_loss, infonce_loss, margin_contrastive_loss, triplet_margin_loss
from .inputs import RunInputs
from .views import ViewSampler

# Above this many nodes InfoNCE uses a random subset per step (drawn from the run's generator)
# instead of N×N similarity matrices.
INFONCE_MAX_NODES = 8192
# Above this many positives per step the pair losses sample positives (bounded memory per step).
MAX_POSITIVES = 262_144


class StepEngine(ABC):
    """One optimisation step of one run, and the encoder's embeddings.

    ``fast_ops``: gather rows with ``index_select`` (its backward is one ``index_add``, no sort-based
    ``index_put``) and use the cheaper InfoNCE when ``fast_infonce``. ``tf32``: allow TF32 matrix
    products on CUDA. All random draws come from ``gen``, the run's generator.
    """

    name = "base"

    def __init__(self, cfg: TrainConfig, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 inputs: RunInputs, gen: torch.Generator, *, fast_ops: bool = False,
                 fast_infonce: bool = False, tf32: bool = False):
        self.cfg = cfg
        self.model = model
        self.optimizer = optimizer
        self.inputs = inputs
        self.gen = gen
        self.views = ViewSampler(inputs)
        self.fast_ops = fast_ops
        self.infonce = infonce_fast if fast_infonce else infonce_loss
        self.tf32 = tf32

    # ---- what each engine provides ---------------------------------------------------------
    @abstractmethod
    def encode_views(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z_a, z_b)``: the encoder on two random views (when the loss compares views)."""

    @abstractmethod
    def encode_clean(self) -> torch.Tensor:
        """The encoder (``model(...)``, current mode) on the graph itself."""

    @abstractmethod
    def embeddings(self) -> torch.Tensor:
        """Encoder output on the clean graph in eval mode (``model.embed``), for the probe and projection."""

    # ---- the step ----------------------------------------------------------------------------
    def step(self) -> torch.Tensor:
        """One optimisation step; returns the loss (0-dim, on the device, not yet read back)."""
        self.optimizer.zero_grad(set_to_none=True)
        with tf32(self.tf32):
            loss = self.step_body()
        return loss.detach()

    def step_body(self) -> torch.Tensor:
        """Forward, loss, backward, optimiser step: what a CUDA graph captures."""
        loss = self.loss()
        loss.backward()
        self.optimizer.step()
        return loss

    def two_embeddings(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Two augmented views, or the same clean graph twice (pairs from edges or labels)."""
        if self.cfg.pairs == "views" or self.cfg.loss == "infonce":
            return self.encode_views()
        z = self.encode_clean()
        return z, z

    def pairs(self) -> PairSet:
        cfg, inp = self.cfg, self.inputs
        return generate_pairs(cfg.pairs, inp.num_nodes, edge_index=inp.edge_index, y=inp.y,
                              negatives=cfg.negatives, sampling=cfg.negative_sampling,
                              exclude_true_edges=cfg.exclude_true_edges, max_positives=MAX_POSITIVES,
                              generator=self.gen, edge_keys=inp.edge_keys, device=inp.device)

    def loss(self) -> torch.Tensor:
        cfg = self.cfg
        za, zb = self.two_embeddings()
        if cfg.loss == "infonce":
            return self.infonce(za, zb, cfg.tau, max_nodes=INFONCE_MAX_NODES, generator=self.gen)
        ps = self.pairs()
        if cfg.loss == "triplet":
            p = ps.num_positive
            neg = zb[ps.dst[p:]].view(p, cfg.negatives, -1)
            return triplet_margin_loss(za[ps.src[:p]], zb[ps.dst[:p]], neg, cfg.margin)
        fn = margin_contrastive_loss if cfg.loss == "margin" else hadsell_contrastive_loss
        if self.fast_ops:
            return fn(za.index_select(0, ps.src), zb.index_select(0, ps.dst), ps.y, cfg.margin)
        return fn(za[ps.src], zb[ps.dst], ps.y, cfg.margin)

    # ---- looking at the run --------------------------------------------------------------------
    @torch.no_grad()
    def pair_distances(self, max_pairs: int, gen: torch.Generator) -> dict:
        """Distances of a fresh sample of positive and negative pairs, in the loss's own units.

        ``squared`` distances for the margin/triplet losses (the margin applies to d²), plain
        distances for Hadsell; cosine-based squared distance for InfoNCE (normalised vectors).
        Draws from ``gen`` instead of the run's generator, so looking never changes a seeded run.
        """
        train_gen, self.gen = self.gen, gen
        try:
            self.model.eval()
            za, zb = self.two_embeddings()
            if self.cfg.loss == "infonce":
                za, zb = F.normalize(za, dim=-1), F.normalize(zb, dim=-1)
            ps = self.pairs()
        finally:
            self.gen = train_gen
        d = (za[ps.src] - zb[ps.dst]).pow(2).sum(-1)
        plain = self.cfg.loss == "hadsell"
        if plain:
            d = d.sqrt()
        pos, neg = d[ps.y > 0.5], d[ps.y <= 0.5]
        pos, neg = pos[: max_pairs].float().cpu().numpy(), neg[: max_pairs].float().cpu().numpy()
        return {"positive": pos, "negative": neg, "units": "distance" if plain else "squared distance",
                "margin": self.cfg.margin if self.cfg.loss != "infonce" else None}
