"""Choosing, loading and describing the tab's graph (thin wrappers over ``graphcl_core.loaders``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import networkx as nx
import numpy as np

from graphcl_core.errors import GraphCLError
from graphcl_core.graph import GraphBundle

from . import registry

# Graphs with more nodes than this are drawn as a sampled subgraph.
DRAW_MAX_NODES = 2000
# Size of that sample.
DRAW_SAMPLE_NODES = 800
# Public graphs (bundled examples, Planetoid) are the same for everyone, so their loaded bundles and
# layouts are shared between tabs; uploads stay in the tab's own slot.
_SHARED: dict[tuple, object] = {}
_SHARED_LOCK = threading.Lock()


def _loaders():
    from graphcl_core import loaders

    return loaders


def bundled() -> list:
    """``BundledGraph`` records of the example graphs (empty if the loaders are unavailable)."""
    try:
        return list(_loaders().list_bundled())
    except Exception:  # noqa: BLE001 - the page still works with Planetoid and uploads
        return []


def planetoid_names() -> tuple[str, ...]:
    try:
        return tuple(_loaders().PLANETOID_NAMES)
    except Exception:  # noqa: BLE001
        return ("Cora", "CiteSeer", "PubMed")


def is_known_name(name: str) -> bool:
    return canonical_name(name) is not None


def canonical_name(name: str) -> str | None:
    """The spelling used by the loaders for a bundled or Planetoid name (case-insensitive), else None."""
    low = str(name).strip().lower()
    for b in bundled():
        if b.name.lower() == low:
            return b.name
    for p in planetoid_names():
        if p.lower() == low:
            return p
    return None


def title_of(key: str) -> str:
    for b in bundled():
        if b.name == key:
            return b.title
    if key.startswith("upload:"):
        return key.split(":", 1)[1]
    return key


def load_named(name: str) -> GraphBundle:
    """Load a bundled or Planetoid graph by name (shared cache; raises GraphLoadError)."""
    k = ("bundle", name)
    with _SHARED_LOCK:
        if k in _SHARED:
            return _SHARED[k]  # type: ignore[return-value]
    bundle = _loaders().load_graph(name)
    with _SHARED_LOCK:
        _SHARED[k] = bundle
    return bundle


def ensure_graph(slot: registry.Slot, key: str) -> tuple[GraphBundle | None, str | None]:
    """Make ``key`` the slot's graph; returns ``(bundle, error message)``.

    On error the slot keeps its previous graph and the caller shows the message.
    """
    with slot.lock:
        if slot.bundle is not None and slot.graph_key == key:
            return slot.bundle, None
        if key.startswith("upload:"):
            return slot.bundle, None  # an upload only lives in the slot; nothing to reload
        try:
            bundle = load_named(key)
        except GraphCLError as e:
            return slot.bundle, str(e)
        slot.bundle, slot.graph_key = bundle, key
        return bundle, None


def link_note(key: str) -> str:
    """Whether a shared link carries the graph: an upload is not in links (its file stays in this tab)."""
    if key.startswith("upload:"):
        return (f"The uploaded file ({title_of(key)}) is not in the link: whoever opens a shared link gets the "
                "karate club until they upload the file themselves.")
    return "The choice is kept in the link, so you can share it."


def labels_changed(old: GraphBundle | None, new: GraphBundle | None) -> bool:
    """Whether ``new`` has other node labels than ``old`` (a new graph, or a label column chosen or dropped):
    then the drawing's colouring starts over, by label where there are labels."""
    def labels(b):
        return None if b is None or not b.has_labels else (tuple(b.label_names or ()), b.num_classes)

    return old is not new and (old is None or new is None or labels(old) != labels(new) or
                               old.num_nodes != new.num_nodes or old.name != new.name)


def set_uploaded(slot: registry.Slot, bundle: GraphBundle, filename: str) -> str:
    key = f"upload:{filename}"
    with slot.lock:
        slot.bundle, slot.graph_key = bundle, key
    return key


def load_upload(filename: str, content: bytes, **choices) -> tuple[GraphBundle | None, str | None]:
    """Parse an uploaded graph; ``(bundle, None)`` or ``(None, the library's plain message)``.

    ``choices`` are ``load_upload``'s keyword arguments: node_table, node_table_name, label_column,
    feature_columns, id_column, source_column, target_column, weight_column."""
    try:
        bundle = _loaders().load_upload(filename, content, **choices)
    except GraphCLError as e:
        return None, str(e)
    return bundle, None


def _per_table(slot: registry.Slot, key: tuple, make):
    """``make()`` once per uploaded node table (its ``file_id`` in ``key``): the pickers' column lists parse
    the whole table, which a large file would redo on every rerun of the page."""
    ck = ("node-table",) + key
    if ck not in slot.cache:
        for old in [k for k in slot.cache if isinstance(k, tuple) and k[:1] == ("node-table",) and k[1] != key[0]]:
            slot.cache.pop(old, None)  # (another table's lists)
        slot.cache[ck] = make()
    return slot.cache[ck]


def table_columns(slot: registry.Slot, file_id: str, content: bytes) -> tuple[list[str], str | None]:
    def make():
        try:
            return list(_loaders().node_table_columns(content)), None
        except GraphCLError as e:
            return [], str(e)
    return _per_table(slot, (file_id, "columns"), make)


def table_feature_columns(slot: registry.Slot, file_id: str, content: bytes, id_column: str | None) -> list[str]:
    """The node table's columns that can be features (numbers in every filled cell), the id column left out."""
    def make():
        try:
            return list(_loaders().node_table_feature_columns(content, id_column=id_column))
        except GraphCLError:
            return []
    return _per_table(slot, (file_id, f"features:{id_column}"), make)


def preselect_label_column(state, slot: registry.Slot, file_id: str, content: bytes, id_column: str | None,
                           columns: list[str], key: str, none: str) -> None:
    """Once per node table (before its label picker is drawn): put the picker ``key`` on the table's class-like
    column (``loaders.node_table_label_column``), or on ``none`` where there is none, as a graph file's
    class-like attribute is taken on Automatic. The person's own choice for that table is kept after that."""
    mark = key + ".table"
    if state.get(mark) == file_id:
        return
    state[mark] = file_id

    def make():
        try:
            return _loaders().node_table_label_column(content, id_column=id_column)
        except GraphCLError:
            return None
    guess = _per_table(slot, (file_id, f"label:{id_column}"), make)
    state[key] = guess if guess in columns else none


def upload_signature(file_id: str, table_id: str | None, choices: dict) -> tuple:
    """Everything that decides the loaded graph (file ids stand for the bytes): reload only when it changes."""
    picked = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(choices.items())
                   if k != "node_table")
    return file_id, table_id, picked


def upload_columns(slot: registry.Slot, file_id: str, filename: str, content: bytes):
    """The header of an edge list, or the node attributes of a GraphML/GEXF/GML/JSON file, for the pickers.

    Cached per upload (``file_id``), since listing a structured file's attributes parses it. A file that
    cannot be read gives empty lists: the load that follows reports the problem."""
    loaders = _loaders()
    ck = ("upload-columns", file_id)
    hit = slot.cache.get(ck)
    if hit is None:
        try:
            hit = loaders.upload_columns(filename, content)
        except GraphCLError:
            hit = loaders.UploadColumns([], [])
        for old in [k for k in slot.cache if isinstance(k, tuple) and k[:1] == ("upload-columns",)]:
            slot.cache.pop(old, None)
        slot.cache[ck] = hit
    return hit


def edge_column_defaults(header: list[str]) -> tuple[str | None, str | None, str | None]:
    """The source, target and weight columns the loader picks by name (None where it finds none)."""
    from graphcl_core.loaders.edge_list import resolve_columns

    try:
        cols = resolve_columns(header, "the file")
    except GraphCLError:
        return None, None, None
    return header[cols.source], header[cols.target], None if cols.weight is None else header[cols.weight]


def id_column_note(bundle: GraphBundle | None) -> str | None:
    """The loader's own sentence on which node-table column the ids came from (and how many matched)."""
    from graphcl_core.loaders.node_table import ID_NOTE_MARK

    if bundle is None:
        return None
    return next((m for m in bundle.notes if ID_NOTE_MARK in m), None)


def _cached(store: dict, ck: tuple, bundle: GraphBundle, compute):
    """A per-graph value (layout, communities) cached under ``ck`` but valid only for this very bundle:
    a new upload under the same file name (or the same file with a node table that adds nodes) must
    never be drawn with the previous graph's layout or colours."""
    with _SHARED_LOCK:
        hit = store.get(ck)
    if hit is not None and hit[0] is bundle:
        return hit[1]
    value = compute()
    with _SHARED_LOCK:
        store[ck] = (bundle, value)
    return value


# ---- description -------------------------------------------------------------------------------

@dataclass
class GraphStats:
    nodes: int
    edges: int
    features: int
    classes: int
    components: int
    largest_component: int
    isolated: int
    mean_degree: float
    max_degree: int
    degrees: np.ndarray
    label_counts: dict[str, int]


def stats(bundle: GraphBundle) -> GraphStats:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = bundle.num_nodes
    ei = bundle.data.edge_index.cpu().numpy()
    deg = bundle.degrees().cpu().numpy()
    adj = coo_matrix((np.ones(ei.shape[1], dtype=np.int8), (ei[0], ei[1])), shape=(n, n))
    ncomp, comp = connected_components(adj, directed=False)
    sizes = np.bincount(comp) if n else np.zeros(1, int)
    counts: dict[str, int] = {}
    if bundle.has_labels:
        y = bundle.data.y.cpu().numpy()
        for c, cnt in zip(*np.unique(y, return_counts=True)):
            name = "(no label)" if c < 0 else (bundle.label_names[c] if bundle.label_names and c < len(
                bundle.label_names) else str(c))
            counts[name] = int(cnt)
    return GraphStats(n, bundle.num_edges, bundle.num_features, bundle.num_classes, int(ncomp), int(sizes.max()),
                      int((deg == 0).sum()), float(deg.mean()) if n else 0.0, int(deg.max()) if n else 0, deg, counts)


def nx_graph(bundle: GraphBundle, nodes: np.ndarray | None = None) -> nx.Graph:
    """An undirected networkx graph of ``bundle`` (or of the subgraph induced by ``nodes``)."""
    return graph_from_edges(bundle.num_nodes, bundle.data.edge_index.cpu().numpy(), nodes)


def graph_from_edges(n: int, edge_index: np.ndarray, nodes: np.ndarray | None = None) -> nx.Graph:
    """An undirected networkx graph of ``n`` nodes and a 2×E ``edge_index`` (or the subgraph induced by
    ``nodes``): the form a saved run keeps its graph in, where there is no bundle."""
    ei = np.asarray(edge_index).reshape(2, -1)
    g = nx.Graph()
    if nodes is None:
        g.add_nodes_from(range(n))
        g.add_edges_from(zip(ei[0].tolist(), ei[1].tolist()))
        return g
    keep = np.zeros(n, bool)
    keep[nodes] = True
    m = keep[ei[0]] & keep[ei[1]]
    g.add_nodes_from(np.asarray(nodes).tolist())
    g.add_edges_from(zip(ei[0, m].tolist(), ei[1, m].tolist()))
    return g


def _sample_nodes(n: int, edge_index: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """About ``k`` nodes made of whole neighbourhoods (breadth-first from random seeds), so edges show."""
    rng = np.random.default_rng(seed)
    ei = np.asarray(edge_index).reshape(2, -1)
    order = np.argsort(ei[0], kind="stable")
    src, dst = ei[0, order], ei[1, order]
    starts = np.searchsorted(src, np.arange(n + 1))
    chosen: set[int] = set()
    for s in rng.permutation(n):
        if len(chosen) >= k:
            break
        frontier = [int(s)]
        for _ in range(2):
            nxt = []
            for u in frontier:
                if u in chosen:
                    continue
                chosen.add(u)
                if len(chosen) >= k:
                    break
                nb = dst[starts[u]:starts[u + 1]]
                nxt.extend(rng.permutation(nb)[:8].tolist())
            frontier = nxt
            if len(chosen) >= k:
                break
    return np.array(sorted(chosen), dtype=np.int64)


@dataclass
class Drawing:
    nodes: np.ndarray  # node ids drawn
    pos: np.ndarray  # (len(nodes), 2)
    edges: np.ndarray  # (2, E) node ids, each undirected edge once
    sampled: bool
    note: str


def drawing(slot: registry.Slot, key: str, bundle: GraphBundle) -> Drawing:
    """Spring layout (seeded) of the whole graph, or of a sampled subgraph above ``DRAW_MAX_NODES`` nodes."""
    store = slot.cache if key.startswith("upload:") else _SHARED
    return _cached(store, ("layout", key), bundle, lambda: _layout(bundle))


def _layout(bundle: GraphBundle) -> Drawing:
    n = bundle.num_nodes
    ei = bundle.data.edge_index.cpu().numpy()
    if n <= DRAW_MAX_NODES:
        return layout_edges(n, ei)
    nodes = _sample_nodes(n, ei, DRAW_SAMPLE_NODES)
    return layout_edges(n, ei, nodes, note=f"The graph has {n:,} nodes, so the drawing shows a sample of "
                        f"{len(nodes):,} nodes (the neighbourhoods of randomly chosen nodes) and the edges among them.")


def layout_edges(n: int, edge_index: np.ndarray, nodes: np.ndarray | None = None, *, note: str = "",
                 seed: int = 0) -> Drawing:
    """Spring layout (seeded) of the graph given by an edge list, or of the subgraph induced by ``nodes``
    (then ``sampled`` is true): Explore draws a saved run's graph from its edges this way."""
    part = nodes is not None
    ids = np.asarray(nodes, dtype=np.int64) if part else np.arange(n, dtype=np.int64)
    g = graph_from_edges(n, edge_index, ids if part else None)
    pos = packed_layout(g, seed=seed, iterations=60 if len(ids) <= 500 else 35)
    xy = np.array([pos[int(u)] for u in ids], dtype=np.float32) if len(ids) else np.zeros((0, 2), np.float32)
    edges = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2).T
    return Drawing(ids, xy, edges, part, note)


def packed_layout(g: nx.Graph, *, seed: int = 0, iterations: int = 50) -> dict:
    """Spring layout of each connected component on its own, packed beside the largest one.

    One spring layout of a whole graph pushes isolated nodes and small components to its far corners
    and squashes the main component into a small part of the panel. Here the largest component fills
    its bounding box (longer side from -1 to 1), and the others (largest first, each in a square sized by
    its node count so every part is equally dense) go in columns to its right, as Graphviz packs them.
    """
    comps = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c[0]))
    if len(comps) <= 1:
        return nx.spring_layout(g, seed=seed, iterations=iterations)
    main = comps[0]
    if len(main) == 1:  # no edges at all: the nodes in a square grid
        cols = int(np.ceil(np.sqrt(len(comps))))
        return {c[0]: np.array([i % cols, -(i // cols)], dtype=np.float64) for i, c in enumerate(comps)}
    pos = dict(nx.spring_layout(g.subgraph(main), seed=seed, iterations=iterations))
    xy = np.array([pos[u] for u in main], dtype=np.float64)
    lo, hi = xy.min(0), xy.max(0)
    half = max(float((hi - lo).max()) / 2, 1e-9)
    for u in main:  # its bounding box centred, the longer side from -1 to 1
        pos[u] = (pos[u] - (lo + hi) / 2) / half
    right, top = (hi - lo) / 2 / half
    unit = 2.0 / max(8.0, np.sqrt(g.number_of_nodes()))  # the square of one isolated node
    sides = [unit if len(c) == 1 else max(2 * unit, 2.0 * np.sqrt(len(c) / len(main))) for c in comps[1:]]
    height = max(2 * top, float(np.sqrt(sum(s * s for s in sides))))  # as tall as the main part or more
    gap = unit / 2
    x, y, col_width = right + gap, top, 0.0
    for comp, side in zip(comps[1:], sides):
        if y - side < top - height - 1e-9 and col_width > 0:  # this column is full: start the next one
            x, y, col_width = x + col_width + gap, top, 0.0
        centre = (x + side / 2, y - side / 2)
        if len(comp) == 1:
            pos[comp[0]] = np.array(centre)
        else:
            inner = (side - unit) / 2 if side > unit else side / 2  # half a node's room kept at the edge
            pos.update(nx.spring_layout(g.subgraph(comp), seed=seed, iterations=iterations, center=centre,
                                        scale=inner))
        y -= side
        col_width = max(col_width, side)
    return pos


def communities(slot: registry.Slot, key: str, bundle: GraphBundle) -> np.ndarray:
    """Louvain communities (seeded) of the graph: one int per node, for colouring unlabelled graphs."""
    store = slot.cache if key.startswith("upload:") else _SHARED
    return _cached(store, ("communities", key), bundle, lambda: _louvain(bundle))


def _louvain(bundle: GraphBundle) -> np.ndarray:
    g = nx_graph(bundle)
    out = np.zeros(bundle.num_nodes, dtype=np.int64)
    if g.number_of_edges():
        comms = sorted(nx.community.louvain_communities(g, seed=0), key=len, reverse=True)
        for i, c in enumerate(comms):
            out[list(c)] = i
    return out


def communities_of(slot: registry.Slot, bundle: GraphBundle) -> np.ndarray:
    """Communities of any bundle: shared for public graphs, per tab for uploads."""
    with _SHARED_LOCK:
        public = _SHARED.get(("bundle", bundle.name)) is bundle
    return communities(slot, bundle.name if public else "upload:live", bundle)
