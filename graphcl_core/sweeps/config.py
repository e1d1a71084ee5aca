"""``SweepConfig``: which graph, which settings to vary and how, and what to rank the trials by.

A sweep is checked when it is made: a bad value anywhere raises ``ConfigError`` with a message that
names the setting ("margin: 'abc' is not a number"), so a page can show it beside the field.
``to_dict``/``from_dict`` (and the JSON forms) round-trip exactly, for the URL and ``sweep.json``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields
from typing import Any

from ..config import TrainConfig
from ..errors import ConfigError
from .halving import EarlyStop
from .metrics import normalise_metric
from .space import Spec, ValueRange, coerce, grid_points, grid_size, parse_spec, random_points, setting_kind

METHODS = ("grid", "random")
PROBES = ("full", "quick")
BACKENDS = ("local", "batched", "ray", "auto")  # who trains the trials (``backend.backend_named``)
# More trials than this needs a budget: a typo in a range should not queue a week of training.
MAX_TRIALS = 1000


@dataclass
class SweepConfig:
    """A hyperparameter sweep over one graph.

    ``vary`` maps ``TrainConfig`` fields to a list of values or a range (see ``sweeps.space``);
    ``budget`` caps the number of trials (a grid is thinned evenly, random search draws that many);
    ``metric`` is auto, linear_probe, silhouette or final_loss (``sweeps.metrics``); ``probe`` is the
    final evaluation's protocol (full: 5 splits with C chosen by CV, as the app reports; quick: 2
    splits); ``early_stop`` turns on successive halving (``sweeps.halving``); ``backend`` says who
    trains the trials (local: one after another; batched: many at once on one device; ray; auto), so a
    link or a saved ``sweep.json`` brings it back with the ranges.
    """

    graph: str
    base: TrainConfig = field(default_factory=TrainConfig)
    vary: dict[str, Spec] = field(default_factory=dict)
    method: str = "grid"
    seed: int = 0
    budget: int | None = None
    metric: str = "auto"
    early_stop: EarlyStop | None = None
    probe: str = "full"
    nodes: str | None = None
    label_column: str | None = None
    backend: str = "local"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> "SweepConfig":
        """Normalise every part in place (raw lists and dicts become specs) or raise ``ConfigError``."""
        if not isinstance(self.graph, str) or not self.graph.strip():
            raise ConfigError("graph: choose a graph (a bundled name, Cora/CiteSeer/PubMed, or a file).")
        if isinstance(self.base, dict):
            self.base = base_from_dict(self.base)
        self.base.validate()
        if not isinstance(self.vary, dict):
            raise ConfigError("vary: give each setting to vary with its values, like margin=0.5,1,2.5.")
        self.vary = {str(k).strip(): parse_spec(str(k).strip(), v) for k, v in self.vary.items()}
        for name, spec in self.vary.items():
            _check_values(self.base, name, spec)
        self.method = str(self.method).strip().lower()
        if self.method not in METHODS:
            raise ConfigError(f"method: '{self.method}' is not grid or random.")
        self.seed = coerce("seed", self.seed, int)
        self.budget = None if self.budget in (None, "") else coerce("budget", self.budget, int)
        if self.budget is not None and not 1 <= self.budget <= MAX_TRIALS:
            raise ConfigError(f"budget: the number of trials must be between 1 and {MAX_TRIALS} (got {self.budget}).")
        size = grid_size(self.vary)
        if self.budget is None and size > MAX_TRIALS:
            raise ConfigError(f"This sweep has {size:,} combinations; set a budget of at most {MAX_TRIALS} trials "
                              "or give fewer values.")
        self.metric = normalise_metric(self.metric)
        self.early_stop = EarlyStop.from_dict(self.early_stop)
        self.probe = str(self.probe).strip().lower()
        if self.probe not in PROBES:
            raise ConfigError(f"probe: '{self.probe}' is not full or quick.")
        self.backend = str(self.backend or "local").strip().lower()
        if self.backend == "sequential":
            self.backend = "local"
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend: '{self.backend}' is not a backend. Choose {', '.join(BACKENDS)}.")
        return self

    # ---- trials ---------------------------------------------------------------------------------
    def points(self) -> list[dict]:
        """The varied values of each trial, in trial order."""
        if not self.vary:
            return [{}]
        if self.method == "grid":
            return grid_points(self.vary, self.budget)
        return random_points(self.vary, self.budget or grid_size(self.vary), self.seed)

    def trials(self) -> list[TrainConfig]:
        """One validated ``TrainConfig`` per trial: the base with that trial's values."""
        out = []
        for i, point in enumerate(self.points()):
            try:
                out.append(self.base.replace(**point).validate())
            except ConfigError as e:
                shown = ", ".join(f"{k}={v}" for k, v in point.items())
                raise ConfigError(f"Trial {i + 1} ({shown}): {e}") from None
        return out

    # ---- dict / JSON ----------------------------------------------------------------------------
    def to_dict(self, compact: bool = False) -> dict[str, Any]:
        """Plain JSON-able dict; ``compact`` keeps only base settings that differ from the defaults (URLs)."""
        base = self.base.to_dict()
        if compact:
            default = TrainConfig().to_dict()
            base = {k: v for k, v in base.items() if v != default[k]}
        out = {"graph": self.graph, "base": base, "vary": {k: s.to_json() for k, s in self.vary.items()},
               "method": self.method, "seed": self.seed, "budget": self.budget, "metric": self.metric,
               "early_stop": self.early_stop.to_dict() if self.early_stop else None, "probe": self.probe,
               "nodes": self.nodes, "label_column": self.label_column, "backend": self.backend}
        if compact:
            defaults = {f.name: f.default for f in fields(self) if f.default is not dataclasses.MISSING}
            out = {k: v for k, v in out.items() if k in ("graph", "vary", "base") or v != defaults.get(k)}
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SweepConfig":
        if not isinstance(d, dict):
            raise ConfigError("A sweep is described by a dict of its options.")
        known = [f.name for f in fields(cls)]
        unknown = [k for k in d if k not in known]
        if unknown:
            raise ConfigError(f"'{unknown[0]}' is not a sweep option ({', '.join(known)}).")
        if "graph" not in d:
            raise ConfigError("graph: choose a graph (a bundled name, Cora/CiteSeer/PubMed, or a file).")
        return cls(**{k: v for k, v in d.items() if not (k == "base" and v is None)})

    @classmethod
    def from_json(cls, text: str) -> "SweepConfig":
        try:
            d = json.loads(text)
        except ValueError as e:
            raise ConfigError(f"The sweep settings are not valid JSON ({e}).") from None
        return cls.from_dict(d)


def base_from_dict(d: dict[str, Any]) -> TrainConfig:
    """A ``TrainConfig`` from a dict, every value checked with the setting's name in the message."""
    values = {}
    for name, raw in d.items():
        if raw is None:
            continue
        values[name] = coerce(name, raw, setting_kind(name))
    return TrainConfig(**values)


def _check_values(base: TrainConfig, name: str, spec: Spec) -> None:
    """Each value (a range: its ends and its grid) must make a valid ``TrainConfig``."""
    values = spec.grid()
    if isinstance(spec, ValueRange):
        values += [coerce(name, spec.start, spec.kind), coerce(name, spec.stop, spec.kind)]
    for v in values:
        try:
            base.replace(**{name: v}).validate()
        except ConfigError as e:
            raise ConfigError(f"{name}: {e}") from None
