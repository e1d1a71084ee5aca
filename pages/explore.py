"""Explore: the embeddings of any run and any snapshot, coloured, searched and replayed over the epochs."""

import streamlit as st

from graphcl_core.errors import GraphCLError
from ui import explore, figures, registry, shell, workspace
from ui.playback import Playback
from ui.live_chart import live_chart

shell.route_through_app()  # a shared link opened first on a fresh server

ss = st.session_state
slot = registry.get_slot(ss["sid"])
PLAY_EVERY_S = 0.9

st.title("Explore")
st.caption("Look inside the learned embeddings: each point is a node, placed so that nodes with similar "
           "embeddings are close together.")

ids, titles = explore.run_choices(slot)
if (linked := workspace.take_deep_link()) is not None:
    if linked in ids:
        ss["explore.run"] = linked
    else:  # another workspace's unpublished run reads exactly like one that does not exist
        st.warning(workspace.not_found(linked), icon=":material/search_off:")
if not ids:
    st.info("There are no runs to explore yet. Train one first: it is saved as it goes and shows up here.",
            icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if ss.get("explore.run") not in ids:
    ss["explore.run"] = ids[0]

top = st.columns([3, 2, 2, 1])
run = top[0].selectbox("Run", ids, key="explore.run", format_func=lambda r: titles.get(r, r),
                       help="This tab's live run, your saved runs, or runs others published (shared, read-only).")
try:
    src = explore.open_source(slot, run)
    epochs = src.epochs()
except GraphCLError as e:
    st.error(str(e))
    st.stop()
if not epochs:
    st.info("This run has no saved embeddings yet; they appear after its first snapshot.", icon=":material/info:")
    st.stop()
nodes = src.nodes
view = top[1].segmented_control("Projection", list(explore.VIEWS), default="UMAP 2-D", key="explore.view",
                                required=True) or "UMAP 2-D"
colour_opts = (["Label"] if nodes.has_labels else []) + ["Degree", "Cluster"] + (
    ["Probe prediction"] if nodes.has_labels else [])
if ss.get("explore.colour") not in colour_opts:
    ss["explore.colour"] = colour_opts[0]
colour_kind = top[2].selectbox("Colour by", colour_opts, key="explore.colour",
                               help="Label: the known class. Cluster: k-means groups of the embeddings. "
                                    "Probe prediction: what a linear classifier trained on 10% of the labels "
                                    "predicts for every node.")
k = 4
if colour_kind == "Cluster":
    k = top[3].number_input("Clusters", min_value=2, max_value=min(50, max(2, nodes.n - 1)),
                            value=min(max(2, len(nodes.label_names) or 4), max(2, nodes.n - 1)), step=1,
                            key="explore.k", help="Number of k-means clusters.")

search = st.selectbox("Find a node", list(range(nodes.n)), index=None, key=f"explore.node.{src.id}",
                      format_func=lambda i: explore.node_label(nodes, i), placeholder="Type a node name",
                      help="Highlights the node, its neighbours in the graph, and its nearest neighbours in the "
                           "embedding.")

with st.spinner("Projecting the snapshots…"):
    bar = st.empty()

    def _progress(i, total):
        if total > 3:
            bar.progress(i / total, text=f"Projecting snapshot {i + 1} of {total}…")

    try:
        frames = explore.frames(slot, src, view, epochs, progress=_progress)
    except GraphCLError as e:
        bar.empty()
        st.error(str(e))
        st.stop()
    bar.empty()

playback = Playback(ss, f"explore.epoch.{src.id}")
playback.current(epochs)


def _play_button(eps: list[int]) -> None:
    if playback.playing:
        if st.button("Pause", icon=":material/pause:", key="explore.pause", width="stretch"):
            playback.pause()
            st.rerun()
    elif st.button("Play", icon=":material/play_arrow:", key="explore.play", disabled=len(eps) < 2,
                   width="stretch", help="Replay how the picture changed during training."):
        playback.play(eps)
        st.rerun()


def _figure(epoch: int, node: int | None):
    """The projection at ``epoch``, coloured, with the searched node and its neighbours marked."""
    frame = frames[epoch]
    try:
        colour = explore.colouring(slot, src, colour_kind, epoch, int(k))
    except GraphCLError as e:
        st.warning(f"{e} Colouring by degree instead.")
        colour = figures.colour_by_degree(nodes)
    highlight, table = None, None
    if node is not None:
        table, near = explore.nearest_table(src.embeddings(epoch), nodes, node)
        highlight = figures.Highlight(node, nodes.neighbours(node), near)
    method = "UMAP" if frame.method == "umap" else "PCA"
    fig = figures.projection_figure(frame.coords, frame.index, nodes, colour, height=620,
                                    uirevision=f"explore-{src.id}-{view}", highlight=highlight,
                                    title=f"{method} {frame.dim}-D of the embeddings at epoch {epoch}")
    return fig, table


def _side_panel(epoch: int, node: int | None, table) -> None:
    """The metrics at ``epoch``, or the searched node with its graph and embedding neighbours."""
    if node is None:
        st.markdown("**Find a node** above to see its neighbours. Hover a point for its name, label and degree.")
        loss, row = explore.metrics_at(src.history, epoch)
        if loss is not None:
            st.metric("Loss at this epoch", f"{loss:.4f}")
        if row:
            st.metric("Linear probe", f"{row['linear_probe_acc']:.1%}")
            if "silhouette" in row:
                st.metric("Silhouette", f"{row['silhouette']:.3f}")
        return
    st.markdown(f"**{nodes.names[node]}**  \nlabel: {nodes.labels[node] or '—'} · degree {int(nodes.degrees[node])}")
    gn = nodes.neighbours(node)
    st.caption(f"Graph neighbours ({len(gn)}), orange rings: "
               + ", ".join(nodes.names[j] for j in gn[:30]) + (" …" if len(gn) > 30 else ""))
    st.caption("Nearest in the embedding, green diamonds:")
    st.dataframe(table, hide_index=True, width="stretch")


@st.fragment(run_every=PLAY_EVERY_S if playback.playing and len(epochs) > 1 else None)
def timeline() -> None:
    """Play/Pause, the epoch slider and the picture; the timer steps the replay while playing."""
    eps = [e for e in src.epochs() if e in frames] or epochs
    if playback.tick(eps, pause_clicked=bool(ss.get("explore.pause"))):
        st.rerun()  # the replay has ended: stop the timer
    c1, c2 = st.columns([1, 9], vertical_alignment="bottom")
    with c1:
        _play_button(eps)
    with c2:
        epoch = st.select_slider("Epoch", options=eps, key=playback.epoch_key,
                                 help="Each saved snapshot of the embeddings; drag to travel in time.")
    node = ss.get(f"explore.node.{src.id}")
    node = None if node is None else int(node)
    fig, table = _figure(epoch, node)
    plot_col, side_col = st.columns([3, 1.2], gap="medium")
    with plot_col:
        live_chart(fig, key="explore.projection")
        frame = frames[epoch]
        notes = [frame.note + "." if frame.note else "", f"{len(eps)} snapshots from epoch {eps[0]} to {eps[-1]}."]
        st.caption(" ".join(n for n in notes if n))
    with side_col:
        _side_panel(epoch, node, table)


timeline()
