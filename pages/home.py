"""Home: what the app does, a picture, and a one-click demo."""

import streamlit as st

from graphcl_core.errors import GraphCLError
from graphcl_core.presets import DEMO_RECIPE
from ui import controls, figures, graphs, registry, shell, sources, state, training

shell.route_through_app()  # a shared link opened first on a fresh server

slot = registry.get_slot(st.session_state["sid"])


def try_karate() -> None:
    """Pick the karate club with the demo recipe and start training on it."""
    st.session_state[state.GRAPH_KEY] = "karate"
    controls.apply_recipe(DEMO_RECIPE)
    bundle, err = graphs.ensure_graph(slot, "karate")
    if bundle is None:
        st.session_state["home.error"] = err or "The karate club graph could not be loaded."
        return
    training.reset(slot)
    if err := training.launch(slot, bundle, state.current_config(), training.start):
        st.session_state["home.error"] = err
        return
    st.session_state["home.go_train"] = True


st.title("GraphCL Studio")
left, right = st.columns([5, 6], gap="large")
with left:
    st.markdown(
        "#### Learn what a graph's nodes have in common, without labels.\n\n"
        "GraphCL Studio trains a graph neural network with **contrastive learning**: it pulls together "
        "nodes that should be similar and pushes apart nodes that should not. "
        "You watch the loss fall and the nodes arrange themselves on a live map while it trains. "
        "Then you explore the learned embeddings, compare runs, and download everything you need.")
    st.button("Try it: train on the karate club", type="primary", icon=":material/play_arrow:",
              on_click=try_karate, key="home.try")
    if st.session_state.pop("home.go_train", False):
        state.switch_page("pages/train.py")
    if err := st.session_state.pop("home.error", None):
        st.error(err)
    st.caption("Zachary's karate club: 34 members of a university club that split into two factions. "
               "A good model places each member near their own faction, without being told the factions.")
    st.markdown("**How it works**")
    st.markdown(
        "1. **Graph**: pick an example, a citation dataset (Cora, CiteSeer, PubMed) or upload your own.\n"
        "2. **Train**: set margin, hidden size and learning rate, press Start and watch it learn.\n"
        "3. **Explore**: colour, search and replay the embeddings of any run.\n"
        "4. **Runs**: compare saved runs and download embeddings, model and figures.")
    c1, c2, c3, c4 = st.columns(4)
    c1.page_link("pages/graph.py", label="Graph", icon=":material/hub:")
    c2.page_link("pages/train.py", label="Train", icon=":material/model_training:")
    c3.page_link("pages/explore.py", label="Explore", icon=":material/scatter_plot:")
    c4.page_link("pages/runs.py", label="Runs", icon=":material/history:")

with right:
    try:
        karate = graphs.load_named("karate")
    except GraphCLError as e:
        st.warning(f"The example picture could not be drawn: {e}")
    else:
        nodes = sources.nodes_from_bundle(karate)
        d = graphs.drawing(slot, "karate", karate)
        colour = figures.default_colouring(nodes)
        fig = figures.graph_figure(d.nodes, d.pos, d.edges, nodes, colour, height=460,
                                   title="The karate club, coloured by faction")
        st.plotly_chart(fig, key="home.karate", config={"displayModeBar": False})
