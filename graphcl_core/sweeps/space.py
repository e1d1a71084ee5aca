"""The search space: for each varied ``TrainConfig`` field, a list of values or a range.

A list is tried value by value. A range ``{"from": 0.5, "to": 4, "count": 4, "scale": "linear"}``
gives ``count`` evenly spaced values for a grid (on a log scale: evenly spaced exponents) and, for
random search, draws anywhere between ``from`` and ``to`` (log-uniformly on a log scale). Whole
number fields are rounded (and repeated values dropped); other numbers keep 4 significant digits so
tables and URLs stay readable. Every message names the setting first ("margin: 'abc' is not a
number"), because the person reading it typed a list of values, not code.

Text forms (CLI, URL): ``0.5,1,2.5`` is a list and ``1e-4:1e-3:3:log`` is a range
(``from:to:count[:scale]``).
"""

from __future__ import annotations

import difflib
import itertools
import math
import random
from dataclasses import dataclass, fields
from typing import Any, Union

from ..config import TrainConfig
from ..errors import ConfigError

SCALES = ("linear", "log")
# Settings that belong to the whole sweep, not to one trial.
FIXED_FIELDS = {"device": "set the device for the whole sweep, not per trial"}
_SIGNIFICANT = 4
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def setting_kind(name: str) -> type:
    """``bool``, ``int``, ``float`` or ``str``: the type of a ``TrainConfig`` field, from its default."""
    kinds = {f.name: type(f.default) for f in fields(TrainConfig)}
    if name not in kinds:
        close = difflib.get_close_matches(str(name), list(kinds), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" Settings: {', '.join(kinds)}."
        raise ConfigError(f"'{name}' is not a setting.{hint}")
    return kinds[name]


def field_kind(name: str) -> type:
    """The type of a field a sweep may vary (all but ``FIXED_FIELDS``)."""
    kind = setting_kind(name)
    if name in FIXED_FIELDS:
        raise ConfigError(f"{name}: {FIXED_FIELDS[name]}.")
    return kind


def round_value(value: float, kind: type) -> int | float:
    """A whole number for int fields, else ``_SIGNIFICANT`` significant digits."""
    if kind is int:
        return int(round(value))
    return float(f"{value:.{_SIGNIFICANT}g}")


def coerce(name: str, raw: Any, kind: type) -> Any:
    """One value for ``name`` from text or JSON, or a ``ConfigError`` saying what is wrong with it."""
    text = str(raw).strip()
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ConfigError(f"{name}: '{text}' is not yes or no (true/false).")
    if kind is str:
        if not text:
            raise ConfigError(f"{name}: an empty value is not a choice.")
        return text
    number = _number(name, raw)
    if kind is int:
        if number != int(number):
            raise ConfigError(f"{name}: {text} is not a whole number.")
        return int(number)
    return number


def _number(name: str, raw: Any) -> float:
    if isinstance(raw, bool):
        raise ConfigError(f"{name}: '{raw}' is not a number.")
    try:
        value = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
    except ValueError:
        raise ConfigError(f"{name}: '{str(raw).strip()}' is not a number.") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name}: '{str(raw).strip()}' is not a finite number.")
    return value


@dataclass(frozen=True)
class ValueList:
    """Explicit values, tried in the order given."""

    values: tuple

    def grid(self) -> list:
        return list(self.values)

    def draw(self, rng: random.Random) -> Any:
        return rng.choice(self.values)

    def to_json(self) -> list:
        return list(self.values)


@dataclass(frozen=True)
class ValueRange:
    """``count`` values from ``start`` to ``stop`` (both included) on a linear or log scale."""

    start: float
    stop: float
    count: int
    scale: str
    kind: type

    def grid(self) -> list:
        if self.count == 1:
            return [round_value(self.start, self.kind)]
        lo, hi = (math.log(self.start), math.log(self.stop)) if self.scale == "log" else (self.start, self.stop)
        raw = [lo + (hi - lo) * i / (self.count - 1) for i in range(self.count)]
        values = [round_value(math.exp(v) if self.scale == "log" else v, self.kind) for v in raw]
        return list(dict.fromkeys(values))  # int rounding can repeat a value

    def draw(self, rng: random.Random) -> Any:
        if self.scale == "log":
            v = math.exp(rng.uniform(math.log(self.start), math.log(self.stop)))
        else:
            v = rng.uniform(self.start, self.stop)
        return round_value(v, self.kind)

    def to_json(self) -> dict:
        start, stop = (int(self.start), int(self.stop)) if self.kind is int else (self.start, self.stop)
        return {"from": start, "to": stop, "count": self.count, "scale": self.scale}


Spec = Union[ValueList, ValueRange]


def parse_spec(name: str, raw: Any) -> Spec:
    """A list, a range dict, or text (``"0.5,1,2.5"`` / ``"1e-4:1e-3:3:log"``) for field ``name``."""
    kind = field_kind(name)
    if isinstance(raw, (ValueList, ValueRange)):
        return raw
    if isinstance(raw, dict):
        return _parse_range(name, raw, kind)
    if isinstance(raw, str) and ":" in raw:
        parts = [p.strip() for p in raw.split(":")]
        if not 3 <= len(parts) <= 4:
            raise ConfigError(f"{name}: a range is written from:to:count or from:to:count:log (got '{raw}').")
        return _parse_range(name, dict(zip(("from", "to", "count", "scale"), parts)), kind)
    if isinstance(raw, str):
        raw = [p for p in raw.split(",")]
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    values = [coerce(name, v, kind) for v in raw if str(v).strip() != ""]
    if not values:
        raise ConfigError(f"{name}: give at least one value.")
    return ValueList(tuple(dict.fromkeys(values)))


def _parse_range(name: str, raw: dict, kind: type) -> ValueRange:
    unknown = sorted(set(raw) - {"from", "to", "count", "scale"})
    if unknown:
        raise ConfigError(f"{name}: a range has 'from', 'to', 'count' and 'scale', not '{unknown[0]}'.")
    missing = [k for k in ("from", "to", "count") if raw.get(k) in (None, "")]
    if missing:
        raise ConfigError(f"{name}: the range needs '{missing[0]}' (from, to and count).")
    if kind not in (int, float):
        raise ConfigError(f"{name}: only number settings take a range; list the choices instead.")
    start, stop = _number(name, raw["from"]), _number(name, raw["to"])
    count = _number(f"{name} count", raw["count"])
    if count != int(count) or count < 1:
        raise ConfigError(f"{name}: the number of values must be a whole number of at least 1 (got {raw['count']}).")
    scale = str(raw.get("scale") or "linear").strip().lower()
    if scale not in SCALES:
        raise ConfigError(f"{name}: the scale must be linear or log (got '{raw.get('scale')}').")
    if scale == "log" and (start <= 0 or stop <= 0):
        raise ConfigError(f"{name}: a log scale needs 'from' and 'to' above 0 (got {start:g} to {stop:g}).")
    if kind is int and (start != int(start) or stop != int(stop)):
        raise ConfigError(f"{name}: 'from' and 'to' must be whole numbers (got {start:g} to {stop:g}).")
    return ValueRange(start, stop, int(count), scale, kind)


def grid_size(vary: dict[str, Spec]) -> int:
    return math.prod(len(s.grid()) for s in vary.values())


def grid_points(vary: dict[str, Spec], budget: int | None) -> list[dict]:
    """Every combination (the last setting changes fastest); with a smaller ``budget``, that many
    combinations spread evenly over the whole grid, so the first setting's values all still appear."""
    names = list(vary)
    axes = [vary[n].grid() for n in names]
    points = [dict(zip(names, combo)) for combo in itertools.product(*axes)]
    if budget is None or budget >= len(points):
        return points
    return [points[(i * len(points)) // budget] for i in range(budget)]


def random_points(vary: dict[str, Spec], budget: int, seed: int) -> list[dict]:
    """``budget`` draws with ``random.Random(seed)``. When every setting is a list, distinct
    combinations of the grid (no trial repeats another); with a range, independent draws."""
    rng = random.Random(seed)
    if all(isinstance(s, ValueList) for s in vary.values()):
        points = grid_points(vary, None)
        return rng.sample(points, min(budget, len(points)))
    return [{n: s.draw(rng) for n, s in vary.items()} for _ in range(budget)]
