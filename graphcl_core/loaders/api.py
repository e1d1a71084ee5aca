"""Entry points: pick the parser from the file name, then turn its ``RawGraph`` into a bundle.

Anything a parser raises that is not already a ``GraphLoadError`` is wrapped into one, so the
app never shows a traceback for a bad upload.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import GraphLoadError, GraphTooLargeError
from ..graph import GraphBundle
from .attributes import interpret
from .build import NodeIndex, RawGraph, encode_labels, make_bundle
from .edge_list import EXTENSIONS as EDGE_LIST_EXTENSIONS, parse_edge_list
from .gml import parse_gml
from .json_format import parse_node_link
from .limits import SizeLimits, resolve
from .node_table import apply_node_table, parse_node_table
from .xml_formats import parse_gexf, parse_graphml

FORMATS = {**{ext: (parse_edge_list, "edge list") for ext in EDGE_LIST_EXTENSIONS},
           ".graphml": (parse_graphml, "GraphML"), ".gexf": (parse_gexf, "GEXF"),
           ".gml": (parse_gml, "GML"), ".json": (parse_node_link, "node-link JSON")}


def _format_of(filename: str):
    ext = os.path.splitext(filename)[1].lower()
    if ext not in FORMATS:
        shown = f"'{ext}'" if ext else "(no extension)"
        raise GraphLoadError(f"Unknown file type {shown}. Upload an edge list (.csv, .tsv, .txt), GraphML, "
                             "GML, GEXF or node-link JSON.")
    return FORMATS[ext]


def _attribute_columns(raw: RawGraph, label_column, feature_columns):
    """Without a node table, label/feature column names refer to the file's own node attributes."""
    def col(name):
        if name in raw.node_attrs:
            return raw.node_attrs[name]
        available = ", ".join(sorted(raw.node_attrs)) or "none"
        raise GraphLoadError(f"The graph has no node attribute '{name}' (and no node table was given). "
                             f"Node attributes in the file: {available}.")
    y = label_names = x = None
    if label_column:
        y, label_names = encode_labels(col(label_column))
    if feature_columns:
        cols = []
        for f in feature_columns:
            vals = col(f)
            try:
                cols.append(np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64))
            except (TypeError, ValueError):
                raise GraphLoadError(f"The node attribute '{f}' is not numeric, so it cannot be a feature.") from None
            if not np.isfinite(cols[-1]).all():
                raise GraphLoadError(f"The node attribute '{f}' is missing or not a number on some nodes.")
        x = np.stack(cols, axis=1)
    return y, label_names, x


def finish(raw: RawGraph, *, name: str, source: str, description: str, limits: SizeLimits,
           table=None, label_column=None, feature_columns=None) -> GraphBundle:
    """Attach names, labels and features (node table > chosen attributes > detected attributes)."""
    n = len(raw.names)
    found = interpret(raw.node_attrs, n)
    names = found.names or raw.names
    if table is not None and found.names:
        ids = {r[table.id_col] for r in table.rows}
        if len(ids & set(raw.names)) > len(ids & set(found.names)):
            names = raw.names
    notes: list[str] = []
    y, label_names, x, feature_source = found.y, found.label_names, found.x, "given"
    notes += found.notes
    if table is not None:
        index = NodeIndex(names)
        ty, tnames, tx, tnotes = apply_node_table(table, index, label_column, feature_columns)
        added = len(index) - n
        names = index.names
        if added:
            y = None if y is None else np.concatenate([y, np.full(added, -1)])
            x = None if x is None else np.concatenate([x, np.zeros((added, x.shape[1]), dtype=x.dtype)])
        raw = RawGraph(names, raw.src, raw.dst, raw.weight, raw.directed, {}, raw.notes)
        if label_column:
            y, label_names = ty, tnames
            notes = [m for m in notes if not m.startswith("Labels")]
        if feature_columns:
            x, feature_source = tx, "node table"
            notes = [m for m in notes if not m.startswith("Node features")]
        notes += tnotes
    elif label_column or feature_columns:
        ay, alabels, ax = _attribute_columns(raw, label_column, feature_columns)
        if label_column:
            y, label_names = ay, alabels
            notes = [m for m in notes if not m.startswith("Labels")]
            notes.append(f"Labels come from the node attribute '{label_column}'.")
        if feature_columns:
            x = ax
            notes = [m for m in notes if not m.startswith("Node features")]
            notes.append(f"Node features come from the attributes {', '.join(feature_columns)}.")
    raw.names = names
    return make_bundle(raw, name=name, source=source, description=description, limits=limits, x=x,
                       feature_source=feature_source, y=y, label_names=label_names, extra_notes=notes)


def load_bytes(filename: str, content: bytes, *, source: str, node_table: bytes | None = None,
               node_table_name: str | None = None, label_column: str | None = None,
               feature_columns: list[str] | None = None, limits: SizeLimits | None = None,
               name: str | None = None, description: str | None = None) -> GraphBundle:
    limits = resolve(limits)
    parser, kind = _format_of(filename)
    try:
        table = None
        if node_table is not None:
            table = parse_node_table(node_table, node_table_name or "the node table")
        raw = parser(content, filename, limits)
        return finish(raw, name=name or Path(filename).stem, source=source,
                      description=description or f"{kind} file {filename}", limits=limits, table=table,
                      label_column=label_column, feature_columns=feature_columns)
    except GraphLoadError:
        raise
    except MemoryError:
        raise GraphTooLargeError(f"{filename} is too large to load into memory on this computer.") from None
    except Exception as e:  # noqa: BLE001 - last resort: never show a traceback for bad input
        raise GraphLoadError(f"{filename} could not be read as {kind} ({type(e).__name__}: {str(e)[:150]}).") from e


def load_upload(filename: str, content: bytes, *, node_table: bytes | None = None,
                node_table_name: str | None = None, label_column: str | None = None,
                feature_columns: list[str] | None = None, limits: SizeLimits | None = None) -> GraphBundle:
    """Load a file from the app's uploader (bytes in memory; the format comes from the extension)."""
    return load_bytes(filename, content, source="upload", node_table=node_table, node_table_name=node_table_name,
                      label_column=label_column, feature_columns=feature_columns, limits=limits)


def _read(path: Path, what: str) -> bytes:
    if not path.exists():
        raise GraphLoadError(f"There is no {what} at {path}.")
    if path.is_dir():
        raise GraphLoadError(f"{path} is a folder, not a {what}.")
    try:
        return path.read_bytes()
    except OSError as e:
        raise GraphLoadError(f"The {what} {path} cannot be read ({e.strerror}).") from None


def load_graph(name_or_path: str, *, node_table=None, label_column: str | None = None,
               feature_columns: list[str] | None = None, limits: SizeLimits | None = None,
               data_dir=None) -> GraphBundle:
    """Load a bundled graph by name, a Planetoid dataset by name, or a graph file by path."""
    from .bundled import find_bundled, load_bundled, list_bundled
    from .planetoid import PLANETOID_NAMES, load_planetoid

    key = str(name_or_path).strip()
    limits = resolve(limits)
    if node_table is None and find_bundled(key) is not None:
        return load_bundled(key, limits=limits)
    if key.lower() in {p.lower() for p in PLANETOID_NAMES}:
        bundle = load_planetoid(key, data_dir=data_dir)
        limits.check_nodes(bundle.num_nodes)
        limits.check_edges(bundle.num_edges)
        return bundle
    path = Path(key).expanduser()
    if not path.exists() and not os.path.splitext(key)[1]:
        known = ", ".join([g.name for g in list_bundled()] + list(PLANETOID_NAMES))
        raise GraphLoadError(f"'{key}' is not a known graph ({known}) and there is no file with that path.")
    content = _read(path, "graph file")
    table = _read(Path(node_table).expanduser(), "node table") if node_table is not None else None
    return load_bytes(path.name, content, source="file", node_table=table,
                      node_table_name=Path(node_table).name if node_table is not None else None,
                      label_column=label_column, feature_columns=feature_columns, limits=limits)
