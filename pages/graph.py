"""Graph: choose an example, a citation dataset or an upload, and look at it."""

import streamlit as st

from graphcl_core import options
from ui import figures, graphs, registry, shell, sources, state

shell.route_through_app()  # a shared link opened first on a fresh server

ss = st.session_state
slot = registry.get_slot(ss["sid"])

UPLOAD_HELP = ("Edge list (.txt, .csv, .tsv: one 'source target [weight]' per line), GraphML, GML, GEXF, "
               "or node-link JSON.")
TABLE_HELP = ("A CSV/TSV with one row per node: one column holds the node ids used in the graph file (found "
              "automatically, or choose it); choose which column holds the labels and which columns are features.")
SOURCES = ("Examples", "Citation datasets", "Upload")
AUTO_ID = "(automatic: the column matching the graph)"
AUTO_LABEL = "(detected automatically)"
NO_LABELS = "(no labels)"
NO_WEIGHT = "(no weight)"


def _pick(widget_key: str) -> None:
    ss["graph.pending"] = ss[widget_key]


def _edge_column_pickers(header: list[str], file_id: str) -> dict:
    """Source, target and weight columns of an edge list with a header, preselected as the loader reads them."""
    src, dst, wt = graphs.edge_column_defaults(header)
    st.caption("This edge list has a header. Choose the columns holding the two ends of each edge and the "
               "weight; other columns are ignored.")
    c1, c2, c3 = st.columns(3)
    s = c1.selectbox("Source column", header, index=header.index(src) if src else None, placeholder="Choose",
                     key=f"graph.source_col.{file_id}")
    t = c2.selectbox("Target column", header, index=header.index(dst) if dst else None, placeholder="Choose",
                     key=f"graph.target_col.{file_id}")
    w = c3.selectbox("Weight column", [NO_WEIGHT] + header, index=header.index(wt) + 1 if wt else 0,
                     key=f"graph.weight_col.{file_id}")
    return {"source_column": s, "target_column": t, "weight_column": "" if w == NO_WEIGHT else w}


def _table_pickers(table) -> tuple[dict, object]:
    """Id, label and feature columns of a node table (every column offered); returns the choices and a
    placeholder where the loader's own sentence on the id column goes once the graph is loaded."""
    table_bytes = table.getvalue()
    choices = {"node_table": table_bytes, "node_table_name": table.name}
    cols, cerr = graphs.table_columns(slot, table.file_id, table_bytes)
    if cerr:
        st.error(cerr)
        return choices, st.empty()
    idc = st.selectbox("Id column", [AUTO_ID] + cols, key=f"graph.id_col.{table.file_id}",
                       help="The column holding the node ids of the graph file. Automatic picks the column whose "
                            "values match the most nodes of the graph.")
    id_note = st.empty()
    id_col = None if idc == AUTO_ID else idc
    cols = [c for c in cols if c != id_col]
    graphs.preselect_label_column(st.session_state, slot, table.file_id, table_bytes, id_col, cols,
                                  "graph.label_col", NO_LABELS)
    lab = st.selectbox("Label column", [NO_LABELS] + cols, key="graph.label_col",
                       help="Column with each node's class. A class-like column (class, community, group…) is "
                            "picked when there is one; choose another, or none.")
    label_col = None if lab == NO_LABELS else lab
    # (dates, text and ids always fail as features)
    numeric = graphs.table_feature_columns(slot, table.file_id, table_bytes, id_col)
    feats = st.multiselect("Feature columns", [c for c in numeric if c != label_col], key="graph.feature_cols",
                           help="Numeric columns used as node features (blank cells get the column's mean). With "
                                "none, features are made from the graph structure.")
    return {**choices, "id_column": id_col, "label_column": label_col, "feature_columns": feats or None}, id_note


def _attribute_pickers(found, file_id: str) -> dict:
    """Label and feature choices among the node attributes of a GraphML/GEXF/GML/JSON file (``UploadColumns``):
    only numeric attributes are offered as features, never the label (the detected one while on Automatic)."""
    lab = st.selectbox("Label attribute", [AUTO_LABEL] + found.node_attributes, key=f"graph.label_attr.{file_id}",
                       help="Node attribute holding each node's class. Automatic takes a class-like attribute "
                            "(class, club, community, group…) when there is one.")
    label_col = None if lab == AUTO_LABEL else lab
    label_now = label_col or found.detected_label
    feats = st.multiselect("Feature attributes", [a for a in found.numeric_attributes if a != label_now],
                           key=f"graph.feature_attrs.{file_id}",
                           help="Numeric node attributes used as features. With none, the features come from a "
                                "feature-vector attribute such as JSON 'x' if there is one, else from the graph "
                                "structure.")
    return {"label_column": label_col, "feature_columns": feats or None}


st.title("Graph")
st.caption("Choose the graph to train on. " + graphs.link_note(ss[state.GRAPH_KEY]))
if loaded := ss.pop("graph.toast", None):  # set by the run that loaded the file, shown after its rerun
    st.toast(loaded, icon=":material/check_circle:")


def _now_using(key: str, old_bundle) -> None:
    """The graph changed in this run: start the colouring over where the labels changed, and rerun once so
    the sidebar (drawn by ``app.py`` before this page) names the graph now in use."""
    if graphs.labels_changed(old_bundle, slot.bundle):  # set, not dropped: the browser shows a value it is sent
        ss["graph.colour"] = "Label" if slot.bundle.has_labels else "Community"
    ss[state.GRAPH_KEY] = key
    st.rerun()


# A choice made in the previous run is loaded here, before any widget, so a failure can keep the old graph.
if pending := ss.pop("graph.pending", None):
    if pending != ss[state.GRAPH_KEY] or slot.graph_key != pending:
        before = slot.bundle
        with st.spinner(f"Loading {graphs.title_of(pending)}…"):
            bundle, err = graphs.ensure_graph(slot, pending)
        if err:
            ss["graph.error"] = (pending, err)
            for k in ("graph.example", "graph.planetoid"):
                if ss.get(k) == pending:
                    ss[k] = None  # the picker shows the graph still in use, not the one that failed
        else:
            ss.pop("graph.error", None)
            _now_using(pending, before)

current = ss[state.GRAPH_KEY]
examples = graphs.bundled()
example_names = [b.name for b in examples]
planetoid = list(graphs.planetoid_names())
if "graph.source" not in ss:
    ss["graph.source"] = ("Upload" if current.startswith("upload:") else
                          "Citation datasets" if current in planetoid else "Examples")

pick_col, info_col = st.columns([2, 3], gap="large")
with pick_col:
    source = st.segmented_control("Where from", SOURCES, key="graph.source", required=True)
    if source == "Examples":
        if current in example_names:
            ss["graph.example"] = current
        st.selectbox("Example graph", example_names, key="graph.example", index=None,
                     placeholder="Choose an example", on_change=_pick, args=("graph.example",),
                     format_func=lambda n: next((b.title for b in examples if b.name == n), n))
        for b in examples:
            if b.name == ss.get("graph.example"):
                st.caption(b.description)
    elif source == "Citation datasets":
        if current in planetoid:
            ss["graph.planetoid"] = current
        st.selectbox("Dataset", planetoid, key="graph.planetoid", index=None, placeholder="Choose a dataset",
                     on_change=_pick, args=("graph.planetoid",))
        st.caption("Planetoid citation graphs: papers linked by citations, with word features and topic labels. "
                   "Cora (2,708 papers), CiteSeer (3,327), PubMed (19,717). Downloaded on first use when not "
                   "already on this server.")
    else:
        limit_mb = options.current().max_upload_mb
        up = st.file_uploader("Graph file", key="graph.upload_file", help=UPLOAD_HELP, max_upload_size=limit_mb)
        st.caption(UPLOAD_HELP)
        choices, id_note, found = {}, None, None
        if up is not None and (too_big := sources.upload_size_error(up.name, up.size, limit_mb)):
            st.error(too_big, icon=":material/error:")
            up = None
        if up is not None:
            found = graphs.upload_columns(slot, up.file_id, up.name, up.getvalue())
            if found.edge_columns:
                choices.update(_edge_column_pickers(found.edge_columns, up.file_id))
        table = st.file_uploader("Node table (optional)", key="graph.upload_table", help=TABLE_HELP,
                                 max_upload_size=limit_mb)
        if table is not None and (too_big := sources.upload_size_error(table.name, table.size, limit_mb)):
            st.error(too_big, icon=":material/error:")
            table = None
        if table is not None:
            table_choices, id_note = _table_pickers(table)
            choices.update(table_choices)
        elif found is not None and found.node_attributes:
            choices.update(_attribute_pickers(found, up.file_id))
        if up is not None:
            sig = graphs.upload_signature(up.file_id, table.file_id if table is not None else None, choices)
            if ss.get("graph.upload_sig") != sig:
                ss["graph.upload_sig"] = sig
                with st.spinner(f"Reading {up.name}…"):
                    bundle, err = graphs.load_upload(up.name, up.getvalue(), **choices)
                if err:
                    ss["graph.upload_error"] = err
                else:
                    ss.pop("graph.upload_error", None)
                    if ss.get("graph.toasted") != up.file_id:  # once per file, not per picker change
                        ss["graph.toasted"] = up.file_id
                        ss["graph.toast"] = f"Loaded {up.name}"
                    before = slot.bundle
                    _now_using(graphs.set_uploaded(slot, bundle, up.name), before)
            if err := ss.get("graph.upload_error"):
                st.error(err, icon=":material/error:")
                if slot.bundle is not None:
                    st.caption(f"Still using the previous graph: **{graphs.title_of(slot.graph_key or current)}**.")
            elif id_note is not None and slot.graph_key == f"upload:{up.name}":
                if note := graphs.id_column_note(slot.bundle):
                    id_note.caption(note)
        else:
            ss.pop("graph.upload_sig", None)
            ss.pop("graph.upload_error", None)
    if failed := ss.pop("graph.error", None):
        name, err = failed
        st.error(err, icon=":material/error:")
        st.caption(f"Still using **{graphs.title_of(current)}**.")

bundle, err = graphs.ensure_graph(slot, current)
if err:
    with info_col:
        st.error(err, icon=":material/error:")
if bundle is None:
    st.stop()
if slot.graph_key and slot.graph_key != current:
    ss[state.GRAPH_KEY] = current = slot.graph_key

stats = graphs.stats(bundle)
nodes = sources.nodes_from_bundle(bundle)
with info_col:
    st.subheader(graphs.title_of(current))
    if bundle.description:
        st.markdown(bundle.description)
    with st.container(horizontal=True, gap="medium"):  # each as wide as its name; a narrow panel wraps them
        st.metric("Nodes", f"{stats.nodes:,}", width="content")
        st.metric("Edges", f"{stats.edges:,}", width="content")
        st.metric("Features", f"{stats.features:,}", width="content",
                  help=f"Where the features come from: {bundle.feature_source}")
        st.metric("Labels", f"{stats.classes}" if stats.classes else "none", width="content")
        st.metric("Components", f"{stats.components:,}", width="content",
                  help=f"Largest component: {stats.largest_component:,} nodes; {stats.isolated:,} isolated nodes.")
    st.caption(f"Source: {bundle.source} · features: {bundle.feature_source} · mean degree {stats.mean_degree:.1f}, "
               f"max {stats.max_degree:,} · largest component {stats.largest_component:,} nodes"
               + (f" · {stats.isolated:,} isolated nodes" if stats.isolated else ""))
    for note in bundle.notes:
        if note.startswith("Warning"):
            st.warning(note, icon=":material/warning:")
        else:
            st.info(note, icon=":material/info:")
    st.page_link("pages/train.py", label=f"Train on {graphs.title_of(current)}", icon=":material/arrow_forward:")

st.divider()
draw_col, side_col = st.columns([3, 2], gap="large")
with draw_col:
    options = (["Label"] if nodes.has_labels else []) + ["Community", "Degree"]
    colour_by = st.segmented_control("Colour nodes by", options, default=options[0], key="graph.colour",
                                     required=True) or options[0]
    with st.spinner("Laying out the graph…"):
        d = graphs.drawing(slot, current, bundle)
    if colour_by == "Label":
        colour = figures.colour_by_label(nodes)
    elif colour_by == "Community":
        colour = figures.colour_by_groups(graphs.communities(slot, current, bundle), "Community", "community")
    else:
        colour = figures.colour_by_degree(nodes)
    st.plotly_chart(figures.graph_figure(d.nodes, d.pos, d.edges, nodes, colour, height=560), key="graph.drawing")
    if d.note:
        st.caption(d.note)
    else:
        st.caption("Spring layout (seed 0). Hover a node for its name, label and degree; drag to zoom.")
with side_col:
    st.plotly_chart(figures.degree_histogram(stats.degrees), key="graph.degrees")
    if stats.label_counts:
        st.plotly_chart(figures.label_counts_figure(stats.label_counts), key="graph.labels")
    else:
        st.info("This graph has no node labels. Training works without them; quality numbers such as the "
                "linear probe need labels, so the live view colours nodes by community instead.")
