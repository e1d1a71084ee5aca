"""The Sweep page's setup: plain range choices → a ``SweepConfig``, and back (for a link).

A person picks, for each setting to vary, "from 0.5 to 4, 4 values, linear" (or, for a setting with
named choices, the choices to try). ``RangeChoice`` is that row; ``build_sweep`` turns the rows and
the page's other choices into a checked ``SweepConfig`` (its ``ConfigError`` names the setting, so
the page shows it as it is); ``choices_from_sweep`` is the way back, used when a link with a
``sweep`` parameter (``to_param``/``from_param``: the compact JSON of ``SweepConfig.to_dict``)
reopens the page. Widget state lives under ``sweep.v.<setting>.<part>`` keys (``widget_state``).

Streamlit drops a widget's value once its page is not shown, and a reload starts a new session, so
``ensure_defaults`` brings the setup back: from a plain copy (``KEPT_KEY``, Streamlit's documented
pattern) after a visit to another page, and from the tab's own sweep on a fresh page of its graph.
"""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode
from dataclasses import dataclass, fields

from graphcl_core.config import FIELD_LIMITS, TrainConfig
from graphcl_core.errors import ConfigError
from graphcl_core.sweep import SweepConfig, ValueList, ValueRange
from graphcl_core.sweeps.halving import EarlyStop

from . import state, sweep_backends

QUERY_PARAM = "sweep"  # the URL parameter holding the sweep's settings (JSON)
LINK_KEY = "sweep.link"  # session_state: that parameter as the link brought it (ui/shell.py keeps it)
MAIN = ("margin", "lr", "hidden")  # always offered; others through "add another setting"
CHOICE_FIELDS = ("loss", "encoder", "pairs")
# Settings a sweep can vary: numbers with limits (not device, which belongs to the whole sweep) and choices.
VARIABLE = tuple(n for n in FIELD_LIMITS if n in {f.name for f in fields(TrainConfig)}) + CHOICE_FIELDS
# Short enough to read whole in the page's narrow right column; METRIC_HELP says the rest.
METRIC_LABELS = {"auto": "Automatic", "linear_probe": "Validation probe accuracy",
                 "silhouette": "Silhouette of the groups", "final_loss": "Final loss (lower wins)"}
METRIC_HELP = ("Automatic: the validation probe accuracy (a linear probe on validation splits, kept apart from the "
               "splits Explore and Runs report) when the graph has node labels, else the silhouette of its "
               "groups, else the final loss. The linear probe needs labels; the final loss only compares trials "
               "with the same loss function and margin.")
# What a fresh page offers: margin from 0.5 to 4 in 4 steps × learning rate 1e-4 to 1e-2 in 3 steps.
DEFAULT_ROWS = {"margin": (True, 0.5, 4.0, 4, "linear"), "lr": (True, 1e-4, 1e-2, 3, "log"),
                "hidden": (False, 64, 512, 3, "log")}


@dataclass(frozen=True)
class RangeChoice:
    """One varied setting: ``count`` values from ``start`` to ``stop`` (linear or log), or ``values`` for
    a setting with named choices."""

    start: float | None = None
    stop: float | None = None
    count: int = 1
    scale: str = "linear"
    values: tuple = ()

    def spec(self) -> dict | list:
        if self.values:
            return list(self.values)
        return {"from": self.start, "to": self.stop, "count": int(self.count), "scale": self.scale}


def label(name: str) -> str:
    """The setting's name as the Train page shows it."""
    f = state.FIELDS.get(name)
    return f.label if f else name.replace("_", " ").capitalize()


def kind(name: str) -> str:
    """``int``, ``float`` or ``choice``."""
    if name in CHOICE_FIELDS:
        return "choice"
    return "int" if isinstance(getattr(TrainConfig(), name), int) else "float"


def bounds(name: str) -> tuple[float | None, float | None]:
    """The widget bounds of a number setting (the Train page's, else ``FIELD_LIMITS`` moved inside an open end)."""
    if name in state.FIELDS:
        return state.FIELDS[name].bounds()
    limit = FIELD_LIMITS[name]
    tiny = 1 if kind(name) == "int" else 1e-6
    lo = None if limit.lo is None else limit.lo + (tiny if limit.lo_open else 0)
    hi = None if limit.hi is None else limit.hi - (tiny if limit.hi_open else 0)
    if kind(name) == "int":
        return (None if lo is None else math.ceil(lo)), (None if hi is None else math.floor(hi))
    return lo, hi


def default_row(name: str, base: TrainConfig) -> tuple:
    """``(on, from, to, count, scale)`` for a setting newly added: around the base value."""
    if name in DEFAULT_ROWS:
        return DEFAULT_ROWS[name]
    v = getattr(base, name)
    lo, hi = bounds(name)
    if kind(name) == "int":
        a, b = max(lo or 0, int(v) // 2 or 1), int(v) * 2 or 2
        b = min(hi, b) if hi is not None else b
        return True, a, max(a, b), 3, "linear"
    a, b = (v / 2, v * 2) if v > 0 else (0.0, 0.5)
    if hi is not None:
        b = min(hi, b)
    return True, float(a), float(b), 3, "linear"


def build_sweep(graph: str, base: TrainConfig, rows: dict[str, RangeChoice], *, method: str = "grid",
                trials: int | None = None, seed: int = 0, metric: str = "auto",
                early_stop: bool = False, backend: str = "local") -> SweepConfig:
    """The checked ``SweepConfig`` the page's choices describe (``ConfigError`` with a plain message).

    ``trials`` is the number of random draws (random search) or, for a grid, at most that many of its
    combinations (None: all of them)."""
    vary = {name: row.spec() for name, row in rows.items()}
    budget = trials if (method == "random" or trials) else None
    if method == "random" and not trials:
        raise ConfigError("Random search: say how many trials to draw.")
    return SweepConfig(graph, base=base, vary=vary, method=method, seed=seed,
                       budget=budget, metric=metric, early_stop=EarlyStop() if early_stop else None,
                       backend=backend)


def rows_from_sweep(sweep: SweepConfig) -> dict[str, RangeChoice]:
    """The page's rows for a ``SweepConfig``: ranges as they are, choices as lists, and a list of numbers
    (from the command line, say) as the range whose values it is, else the nearest one (first to last)."""
    out = {}
    for name, spec in sweep.vary.items():
        if isinstance(spec, ValueRange):
            out[name] = RangeChoice(spec.start, spec.stop, spec.count, spec.scale)
        elif kind(name) == "choice":
            out[name] = RangeChoice(values=tuple(spec.values))
        else:
            vals = sorted(spec.values)
            out[name] = _as_range(ValueList(tuple(vals))) or RangeChoice(vals[0], vals[-1], len(vals), "linear")
    return out


def _as_range(spec: ValueList) -> RangeChoice | None:
    """A list of numbers that is exactly some linear or log range's grid, as that range; else None."""
    vals = [v for v in spec.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(vals) != len(spec.values) or not vals:
        return None
    lo, hi = vals[0], vals[-1]
    for scale in ("linear", "log"):
        try:
            r = ValueRange(lo, hi, len(vals), scale, type(vals[0]))
            if r.grid() == list(vals):
                return RangeChoice(lo, hi, len(vals), scale)
        except (ValueError, ZeroDivisionError):
            continue
    return None


def to_param(sweep: SweepConfig) -> str:
    """The ``sweep`` URL parameter: compact JSON of the sweep's settings."""
    return json.dumps(sweep.to_dict(compact=True), separators=(",", ":"), sort_keys=True)


def from_param(text: str) -> tuple[SweepConfig | None, str | None]:
    """``(sweep, None)`` from a ``sweep`` URL parameter, or ``(None, a plain message)`` when it is not valid."""
    try:
        return SweepConfig.from_json(text), None
    except ConfigError as e:
        return None, f"The link's sweep settings were ignored: {e}"
    except (TypeError, ValueError) as e:
        return None, f"The link's sweep settings were ignored: {e}"


# ---- widget state ---------------------------------------------------------------------------------
def key(name: str, part: str) -> str:
    return f"sweep.v.{name}.{part}"


EXTRA_KEY = "sweep.extra"  # the settings added with "add another setting", in the order added
METHOD_KEY, TRIALS_KEY, SEED_KEY, METRIC_KEY, EARLY_KEY, BACKEND_KEY = (
    "sweep.method", "sweep.trials", "sweep.seed", "sweep.metric", "sweep.early", "sweep.backend")


KEPT_KEY = "sweep.setup.kept"  # a plain copy of the setup widgets' values, which outlives their page
ROW_PARTS = ("on", "from", "to", "count", "scale", "values")
OTHER_KEYS = (METHOD_KEY, TRIALS_KEY, SEED_KEY, METRIC_KEY, EARLY_KEY, BACKEND_KEY)


def ensure_defaults(ss, base: TrainConfig, tab_sweep: SweepConfig | None = None) -> str | None:
    """Fill the setup's widget state (never overwriting what is there), on every run of the page.

    A value Streamlit dropped while another page was shown comes back from ``KEPT_KEY``. A page with no
    setup yet in this session (a reload, a new tab with this tab's token) shows ``tab_sweep``, the sweep
    that exists in this tab for the page's graph, so its locked controls, its link and the next Start
    describe that sweep; without one, the defaults. Returns a warning when ``tab_sweep``'s backend
    cannot be offered here."""
    warning = None
    if KEPT_KEY in ss:
        for k, v in ss[KEPT_KEY].items():
            if k not in ss:
                ss[k] = v
    elif EXTRA_KEY not in ss and tab_sweep is not None:  # a fresh page (a link's setup was applied first)
        warning = show_sweep(ss, tab_sweep)
    ss.setdefault(EXTRA_KEY, [])
    for name in MAIN + tuple(ss[EXTRA_KEY]):
        _ensure_row(ss, name, base)
    ss.setdefault(METHOD_KEY, "grid")
    ss.setdefault(TRIALS_KEY, 8)
    ss.setdefault(SEED_KEY, 0)
    ss.setdefault(METRIC_KEY, "auto")
    ss.setdefault(EARLY_KEY, False)
    ss.setdefault(BACKEND_KEY, sweep_backends.default())
    keys = [key(n, p) for n in MAIN + tuple(ss[EXTRA_KEY]) for p in ROW_PARTS] + list(OTHER_KEYS)
    ss[KEPT_KEY] = {k: ss[k] for k in keys if k in ss}
    return warning


def show_sweep(ss, sweep: SweepConfig) -> str | None:
    """``sweep``'s setup onto the widgets (not its Train settings); a warning when its backend is not
    offered here."""
    shown = widget_state(sweep)
    shown[BACKEND_KEY], backend_warning = sweep_backends.usable(sweep.backend)
    for k, v in shown.items():
        ss[k] = v
    return backend_warning


def _ensure_row(ss, name: str, base: TrainConfig) -> None:
    if kind(name) == "choice":
        ss.setdefault(key(name, "on"), True)
        ss.setdefault(key(name, "values"), [getattr(base, name)])
        return
    on, a, b, count, scale = default_row(name, base)
    cast = int if kind(name) == "int" else float
    for part, v in (("on", on), ("from", cast(a)), ("to", cast(b)), ("count", int(count)), ("scale", scale)):
        ss.setdefault(key(name, part), v)


def add_setting(ss, name: str, base: TrainConfig) -> None:
    """"Add another setting": one more row, on, around the base value."""
    if name in MAIN or name in ss.get(EXTRA_KEY, []) or name not in VARIABLE:
        return
    ss[EXTRA_KEY] = [*ss.get(EXTRA_KEY, []), name]
    for part in ("on", "from", "to", "count", "scale", "values"):
        ss.pop(key(name, part), None)
    _ensure_row(ss, name, base)


def remove_setting(ss, name: str) -> None:
    ss[EXTRA_KEY] = [n for n in ss.get(EXTRA_KEY, []) if n != name]


def rows_from_state(ss) -> dict[str, RangeChoice]:
    """The rows switched on, in page order."""
    out = {}
    for name in MAIN + tuple(ss.get(EXTRA_KEY, [])):
        if not ss.get(key(name, "on")):
            continue
        if kind(name) == "choice":
            out[name] = RangeChoice(values=tuple(ss.get(key(name, "values")) or ()))
        else:
            out[name] = RangeChoice(ss[key(name, "from")], ss[key(name, "to")], int(ss[key(name, "count")]),
                                    ss[key(name, "scale")])
    return out


def sweep_from_state(ss, graph: str, base: TrainConfig) -> SweepConfig:
    method = ss.get(METHOD_KEY, "grid")
    return build_sweep(graph, base, rows_from_state(ss), method=method,
                       trials=int(ss[TRIALS_KEY]) if method == "random" else None, seed=int(ss.get(SEED_KEY, 0)),
                       metric=ss.get(METRIC_KEY, "auto"), early_stop=bool(ss.get(EARLY_KEY)),
                       backend=ss.get(BACKEND_KEY, "local"))


def widget_state(sweep: SweepConfig) -> dict:
    """Session-state values that show ``sweep`` on the page (the link's way in)."""
    rows = rows_from_sweep(sweep)
    out = {EXTRA_KEY: [n for n in rows if n not in MAIN], METHOD_KEY: sweep.method, SEED_KEY: sweep.seed,
           METRIC_KEY: sweep.metric, EARLY_KEY: sweep.early_stop is not None, BACKEND_KEY: sweep.backend}
    if sweep.budget:
        out[TRIALS_KEY] = sweep.budget
    for name in MAIN:
        out[key(name, "on")] = name in rows
    for name, row in rows.items():
        out[key(name, "on")] = True
        if row.values:
            out[key(name, "values")] = list(row.values)
            continue
        cast = int if kind(name) == "int" else float
        out.update({key(name, "from"): cast(row.start), key(name, "to"): cast(row.stop),
                    key(name, "count"): int(row.count), key(name, "scale"): row.scale})
    return out


def apply_link(ss) -> str | None:
    """A ``sweep`` parameter brought by a link: its settings onto the page (and its base settings onto the
    Train settings, through ``state.apply_config``). Returns a warning for a bad parameter."""
    text = ss.pop(LINK_KEY, None)
    if not text:
        return None
    sweep, warning = from_param(text)
    if sweep is None:
        return warning
    state.apply_config(sweep.base)
    if backend_warning := show_sweep(ss, sweep):
        return backend_warning
    try:
        same = _trial_set(sweep_from_state(ss, sweep.graph, sweep.base)) == _trial_set(sweep)
    except ConfigError:
        same = False
    if not same:
        return ("Some of the link's values are not a range this page can show, so the nearest range is shown: "
                "check the values before Start.")
    return None


def _trial_set(sweep: SweepConfig) -> list[str]:
    return sorted(json.dumps(p, sort_keys=True) for p in sweep.points())


def preview(name: str, row: RangeChoice) -> str:
    """The values a grid tries, as text ("0.5, 1.667, 2.833, 4"), or the problem with the row."""
    try:
        from graphcl_core.sweep import parse_spec

        vals = parse_spec(name, row.spec()).grid()
    except ConfigError as e:
        return str(e)
    return ", ".join(format(v, ".4g") if isinstance(v, float) else str(v) for v in vals)


def share_link(sweep: SweepConfig) -> str:
    """A link to the Sweep page with the graph, the Train settings and this sweep's setup (no tab token)."""
    import streamlit as st

    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # noqa: BLE001 - st.context is unavailable in some test harnesses
        base = ""
    return f"{base}?{urlencode({**state.settings_params(), QUERY_PARAM: to_param(sweep)})}"
