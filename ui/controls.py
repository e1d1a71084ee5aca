"""Widgets for the hyperparameters, generated from the field specs in ``ui.state``, and the recipe picker."""

from __future__ import annotations

import streamlit as st

from graphcl_core.augment.pairs import PAIR_EXPLANATIONS
from graphcl_core.presets import PRESET_HELP, PRESETS, preset

from . import state
from .state import DEVICE_LABELS, ENCODER_LABELS, LOSS_LABELS, PAIR_LABELS, Field

_LABELS = {"loss": LOSS_LABELS, "encoder": ENCODER_LABELS, "pairs": PAIR_LABELS, "device": DEVICE_LABELS}


def field_widget(f: Field, *, caption: bool = False) -> None:
    """One widget bound to ``cfg.<name>`` in session state (bounds from the spec)."""
    k = state.key(f.name)
    if f.kind == "choice":
        labels = _LABELS.get(f.name, {})
        st.selectbox(f.label, state.choices(f), key=k, help=f.help, format_func=lambda v: labels.get(v, v))
    elif f.kind == "int":
        lo, hi = f.bounds()
        st.number_input(f.label, min_value=lo, max_value=hi, step=int(f.step), key=k, help=f.help)
    else:
        lo, hi = f.bounds()
        st.number_input(f.label, min_value=lo, max_value=hi, step=float(f.step), format=f.fmt, key=k, help=f.help)
    if caption:
        st.caption(f.help)


def main_settings() -> None:
    for f in state.MAIN_FIELDS:
        field_widget(f, caption=True)


def apply_recipe(name: str) -> None:
    """Every setting from the named recipe, exactly as ``presets.preset`` (and the CLI's ``--preset``)
    builds it; the one place the app applies a recipe. A running job keeps its own copy."""
    state.apply_config(preset(name))


def recipe_picker() -> None:
    ss = st.session_state
    name = st.selectbox("Start from a recipe", list(PRESETS), key="train.recipe",
                        help="Settings that worked well in our benchmarks; applying one replaces the current settings.")
    st.caption(PRESET_HELP.get(name, ""))
    st.button("Apply recipe", on_click=apply_recipe, args=(ss.get("train.recipe", "default"),),
              key="train.apply_recipe", icon=":material/tune:")


def advanced_settings() -> None:
    ss = st.session_state
    F = state.FIELDS
    recipe_picker()
    field_widget(F["loss"])
    st.caption(state.LOSS_EXPLANATIONS.get(ss[state.key("loss")], ""))
    field_widget(F["pairs"])
    st.caption(PAIR_EXPLANATIONS.get(ss[state.key("pairs")], ""))
    a, b = st.columns(2)
    with a:
        field_widget(F["encoder"])
        field_widget(F["embedding_dim"])
        field_widget(F["epochs"])
        field_widget(F["dropout"])
        field_widget(F["tau"])
        field_widget(F["drop_edge_p"])
        field_widget(F["seed"])
    with b:
        field_widget(F["layers"])
        field_widget(F["negatives"])
        field_widget(F["snapshot_every"])
        field_widget(F["weight_decay"])
        field_widget(F["device"])
        field_widget(F["mask_feature_p"])
    if extra := state.unshown_settings():
        st.caption("Also set, by the recipe or the link: "
                   + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in extra.items()) + ".")
    st.button("Back to default settings", on_click=state.reset_settings, key="train.defaults",
              icon=":material/restart_alt:")
