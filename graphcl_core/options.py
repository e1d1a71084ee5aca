"""``RuntimeOptions``: every ``GRAPHCL_*`` switch, read in one place with one rule.

Hyperparameters live in ``TrainConfig``; *how* a run is executed (fast paths, GPU slots, folders,
size limits) lives here. The environment is read once, at the edge (``RuntimeOptions.from_env()``),
and the result is passed explicitly to whatever needs it. No other module reads ``GRAPHCL_*``.

One truthiness rule for every on/off switch: ``1 true yes on`` mean on, ``0 false no off`` mean
off (any case, surrounding spaces ignored), an empty or unset variable means the default. Any other
value, or a number that is not a positive whole number, is a mistake: ``from_env`` keeps the default
for it and records a sentence in ``problems`` (the app and the CLI show these), so a typo never
crashes an import or silently turns a switch the wrong way.

| variable | field | default |
|---|---|---|
| GRAPHCL_FAST | fast | on |
| GRAPHCL_FAST_PROPAGATION | fast_propagation | on |
| GRAPHCL_PROPAGATION | propagation (auto, gather, csr) | auto |
| GRAPHCL_SPARSE_FEATURES | sparse_features (auto, on, off) | auto |
| GRAPHCL_BATCH_VIEWS | batch_views (auto, on, off) | auto |
| GRAPHCL_CUDA_GRAPH | cuda_graph | on |
| GRAPHCL_TF32 | tf32 | on |
| GRAPHCL_FUSED_ADAM | fused_adam | on |
| GRAPHCL_INFONCE_FAST | infonce_fast | on |
| GRAPHCL_TORCH_PROBE | torch_probe | on (a GPU run's final scores by ``probe_torch`` on the GPU; off: scikit-learn) |
| GRAPHCL_NUMBA_CACHE | numba_cache | on |
| GRAPHCL_OFFLINE | offline | off |
| GRAPHCL_GPU_SLOTS | gpu_slots | 2 |
| GRAPHCL_CPU_SLOTS | cpu_slots | None (the number of cores minus one, at least 1) |
| GRAPHCL_MAX_SLOTS_PER_VISITOR | max_slots_per_visitor | 1 (slots one visitor holds while others wait) |
| GRAPHCL_MAX_UPLOAD_MB | max_upload_mb | 200 (size of one uploaded file, in MB) |
| GRAPHCL_MAX_EPOCHS | max_epochs | None (the Epochs field's own limit, 100,000) |
| GRAPHCL_MAX_NODES / GRAPHCL_MAX_EDGES | max_nodes / max_edges | None (derived: see loaders.limits) |
| GRAPHCL_DATA_DIR | data_dir | None (~/.cache/graphcl_studio/planetoid) |
| GRAPHCL_RUNS_DIR | runs_dir | runs |
| GRAPHCL_MAX_RUNS_PER_WORKSPACE | max_runs_per_workspace | 50 (runs kept per visitor; the oldest unpinned go first) |
| GRAPHCL_WORKSPACE_IDLE_DAYS | workspace_idle_days | 30 (a visitor's workspace unseen this long is deleted) |
| GRAPHCL_OWNER_LOCALHOST | owner_localhost | on (a browser on the server's own machine also sees `legacy`) |
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Mapping

_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off"}
_MODES = {"auto": "auto", **{w: "on" for w in _ON}, **{w: "off" for w in _OFF}}


def parse_flag(value: str | None, default: bool) -> bool:
    """The one truthiness rule. Raises ``ValueError`` for anything that is not clearly on or off."""
    text = (value or "").strip().lower()
    if not text:
        return default
    if text in _ON:
        return True
    if text in _OFF:
        return False
    raise ValueError(f"'{value}' is neither on (1, true, yes, on) nor off (0, false, no, off)")


def parse_mode(value: str | None, default: str) -> str:
    """``auto`` / on / off, where on and off follow ``parse_flag``'s words."""
    text = (value or "").strip().lower()
    if not text:
        return default
    if text in _MODES:
        return _MODES[text]
    raise ValueError(f"'{value}' is not auto, on (1, true, yes, on) or off (0, false, no, off)")


def parse_count(value: str | None, default: int | None) -> int | None:
    """A positive whole number; ``_`` and ``,`` may group digits (``200_000``, ``200,000``)."""
    text = (value or "").strip().replace("_", "").replace(",", "")
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"'{value}' is not a whole number") from None
    if number <= 0:
        raise ValueError(f"{number} is not a positive number")
    return number


@dataclass(frozen=True)
class RuntimeOptions:
    """How runs execute on this machine. Frozen: derive variants with ``replace(...)``."""

    fast: bool = True
    fast_propagation: bool = True
    propagation: str = "auto"
    sparse_features: str = "auto"
    batch_views: str = "auto"
    cuda_graph: bool = True
    tf32: bool = True
    fused_adam: bool = True
    infonce_fast: bool = True
    torch_probe: bool = True
    numba_cache: bool = True
    offline: bool = False
    gpu_slots: int = 2
    cpu_slots: int | None = None
    max_slots_per_visitor: int = 1
    max_upload_mb: int = 200
    max_epochs: int | None = None
    max_nodes: int | None = None
    max_edges: int | None = None
    data_dir: str | None = None
    runs_dir: str = "runs"
    max_runs_per_workspace: int = 50
    workspace_idle_days: int = 30
    owner_localhost: bool = True
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "RuntimeOptions":
        """Read every ``GRAPHCL_*`` variable (``env`` defaults to ``os.environ``)."""
        env = os.environ if env is None else env
        values: dict = {}
        problems: list[str] = []
        base = cls()
        for f in fields(cls):
            if f.name == "problems":
                continue
            var = "GRAPHCL_" + f.name.upper()
            raw = env.get(var)
            if raw is None:
                continue
            default = getattr(base, f.name)
            try:
                if isinstance(default, bool):
                    values[f.name] = parse_flag(raw, default)
                elif f.name in ("sparse_features", "batch_views"):
                    values[f.name] = parse_mode(raw, default)
                elif f.name == "propagation":
                    text = raw.strip().lower() or default
                    if text not in ("auto", "gather", "csr"):
                        raise ValueError(f"'{raw}' is not auto, gather or csr")
                    values[f.name] = text
                elif f.name in ("gpu_slots", "max_nodes", "max_edges", "cpu_slots", "max_slots_per_visitor",
                                "max_upload_mb", "max_epochs"):
                    values[f.name] = parse_count(raw, default)
                elif f.name in ("max_runs_per_workspace", "workspace_idle_days"):
                    values[f.name] = parse_count(raw, default)
                else:
                    values[f.name] = raw.strip() or default
            except ValueError as e:
                problems.append(f"The setting {var} is ignored: {e}.")
        return cls(**values, problems=tuple(problems))

    def problem_for(self, var: str) -> str | None:
        """The sentence recorded for ``var`` (for example ``"GRAPHCL_MAX_EDGES"``), or None."""
        return next((p for p in self.problems if f" {var} " in p), None)

    def engine_subset(self) -> dict:
        """The switches that decide how a training step runs (shown in ``fast_info["options"]``)."""
        keys = ("fast", "fast_propagation", "propagation", "sparse_features", "batch_views", "cuda_graph",
                "tf32", "fused_adam", "infonce_fast")
        return {k: getattr(self, k) for k in keys}

    def with_(self, **changes) -> "RuntimeOptions":
        """A copy with some fields changed (``fast=False`` for a before/after comparison)."""
        return replace(self, **changes)

    def as_dict(self) -> dict:
        """For ``fast_info`` and the CLI's ``--json`` line."""
        d = asdict(self)
        d["problems"] = list(self.problems)
        return d


_override: RuntimeOptions | None = None
_cached: tuple[tuple, RuntimeOptions] | None = None


def current() -> RuntimeOptions:
    """The process's options: those given to ``set_current``, else read from the environment.

    Read on first use (never at import) and again only when a ``GRAPHCL_*`` variable changed, so a
    test's ``monkeypatch.setenv`` or a launcher that sets a variable later is still seen.
    """
    global _cached
    if _override is not None:
        return _override
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("GRAPHCL_")))
    if _cached is None or _cached[0] != key:
        _cached = (key, RuntimeOptions.from_env())
    return _cached[1]


def set_current(options: RuntimeOptions | None) -> None:
    """Replace the process's options (``None``: follow the environment again)."""
    global _override
    _override = options
