"""Entry points: pick the parser from the file name, then turn its ``RawGraph`` into a bundle.

Anything a parser raises that is not already a ``GraphLoadError`` is wrapped into one, so the
app never shows a traceback for a bad upload. Labels and features come from a node table when one
is given (matched on its best id column), else from the file's own node attributes; the label is
never a feature. The user's column choices (edge-list source/target/weight, node-table id, label,
features) pass through every entry point: ``load_graph``, ``load_upload`` and ``load_bytes``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import GraphLoadError, GraphTooLargeError
from ..graph import GraphBundle
from .attributes import attribute, interpret, numeric_attributes
from .build import NodeIndex, RawGraph, make_bundle, plural
from .edge_list import EXTENSIONS as EDGE_LIST_EXTENSIONS, parse_edge_list, read_header
from .gml import parse_gml
from .json_format import parse_node_link
from .limits import SizeLimits, resolve
from .node_table import NodeTable, apply_node_table, id_note, match_ids, parse_node_table, with_id_column
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


def _own_features(raw: RawGraph, feature_columns: list[str], label: str | None) -> tuple[np.ndarray, list[str]]:
    """Features chosen among the file's own numeric node attributes (never the label attribute); a node
    without the attribute gets its mean (said in the notes). Every attribute that is not numeric is named
    in one error."""
    keys = [attribute(raw.node_attrs, f) for f in feature_columns]
    if label is not None and label in keys:
        raise GraphLoadError(f"The node attribute '{label}' is the label, so it cannot also be a feature "
                             "(the model would be handed the answer). Choose other feature attributes.")
    numeric = set(numeric_attributes(raw.node_attrs))
    bad = [k for k in keys if k not in numeric]
    if bad:
        which = ", ".join(f"'{k}'" for k in bad)
        raise GraphLoadError(f"The node attribute{'s' if len(bad) > 1 else ''} {which} "
                             f"{'are' if len(bad) > 1 else 'is'} not numeric, so {'they' if len(bad) > 1 else 'it'} "
                             "cannot be a feature. Numeric attributes: "
                             f"{', '.join(sorted(numeric - {label})) or 'none'}.")
    cols, notes = [], []
    for k in keys:
        col = np.array([np.nan if v is None or (isinstance(v, str) and not v.strip()) else float(v)
                        for v in raw.node_attrs[k]], dtype=np.float64)
        if missing := int(np.isnan(col).sum()):
            mean = float(np.nanmean(col))
            col[np.isnan(col)] = mean
            notes.append(f"{plural(missing, 'node has', 'nodes have')} no '{k}'; "
                         f"{'it was' if missing == 1 else 'they were'} given the mean {mean:.4g}.")
        cols.append(col)
    return np.stack(cols, axis=1), notes


def _drop(notes: list[str], prefix: str) -> list[str]:
    return [m for m in notes if not m.startswith(prefix)]


@dataclass
class _Parts:
    """What ``finish`` assembles before the bundle is made."""

    names: list[str]
    y: np.ndarray | None
    label_names: list[str] | None
    x: np.ndarray | None
    feature_source: str
    notes: list[str]


def _from_attributes(raw: RawGraph, label_column, feature_columns) -> _Parts:
    """Labels and features from the file's own node attributes (chosen, else detected)."""
    found = interpret(raw.node_attrs, len(raw.names), label=label_column)
    parts = _Parts(found.names or raw.names, found.y, found.label_names, found.x, "given", list(found.notes))
    if feature_columns:
        parts.x, fill_notes = _own_features(raw, feature_columns, found.label_key)
        parts.notes = _drop(parts.notes, "Node features")
        chosen = [attribute(raw.node_attrs, f) for f in feature_columns]
        parts.notes.append(f"Node features come from the chosen attribute{'s' if len(chosen) > 1 else ''} "
                           f"{', '.join(chosen)}.")
        parts.notes += fill_notes
    elif found.unused_numeric:
        names = ", ".join(f"'{k}'" for k in found.unused_numeric)
        made = "come from the feature-vector attribute" if found.x is not None else \
            "are made from the graph structure"
        parts.notes.append(f"The numeric node attribute{'s' if len(found.unused_numeric) > 1 else ''} {names} "
                           f"{'are' if len(found.unused_numeric) > 1 else 'is'} used as features only when "
                           f"chosen; the features {made}.")
    return parts


def _from_table(raw: RawGraph, table: NodeTable, label_column, feature_columns, id_column) -> _Parts:
    """Labels and features from a node table, matched on the id column that fits the graph best."""
    n = len(raw.names)
    found = interpret(raw.node_attrs, n)
    match = match_ids(table, [found.names, raw.names] if found.names else [raw.names], id_column)
    table = with_id_column(table, match.column)
    parts = _Parts(match.names, found.y, found.label_names, found.x, "given", list(found.notes))
    index = NodeIndex(match.names)
    ty, tnames, tx, tnotes = apply_node_table(table, index, label_column, feature_columns)
    added = len(index) - n
    parts.names = index.names
    if added:
        parts.y = None if parts.y is None else np.concatenate([parts.y, np.full(added, -1)])
        parts.x = None if parts.x is None else np.concatenate([parts.x, np.zeros((added, parts.x.shape[1]),
                                                                                 dtype=parts.x.dtype)])
    if label_column:
        parts.y, parts.label_names = ty, tnames
        parts.notes = _drop(parts.notes, "Labels")
    if feature_columns:
        parts.x, parts.feature_source = tx, "node table"
        parts.notes = _drop(parts.notes, "Node features")
    parts.notes += [id_note(table, match)] + tnotes
    return parts


def finish(raw: RawGraph, *, name: str, source: str, description: str, limits: SizeLimits,
           table=None, label_column=None, feature_columns=None, id_column=None) -> GraphBundle:
    """Attach names, labels and features (node table > chosen attributes > detected attributes)."""
    if table is not None:
        parts = _from_table(raw, table, label_column, feature_columns, id_column)
        raw = RawGraph(parts.names, raw.src, raw.dst, raw.weight, raw.directed, {}, raw.notes)
    else:
        if id_column:
            raise GraphLoadError("An id column was chosen, but no node table was given.")
        parts = _from_attributes(raw, label_column, feature_columns)
        raw.names = parts.names
    return make_bundle(raw, name=name, source=source, description=description, limits=limits, x=parts.x,
                       feature_source=parts.feature_source, y=parts.y, label_names=parts.label_names,
                       extra_notes=parts.notes)


def _parse(parser, kind: str, content: bytes, filename: str, limits: SizeLimits, columns: dict):
    """Run the format's parser; source/target/weight columns only mean something for edge lists."""
    chosen = {k: v for k, v in columns.items() if v is not None}
    if parser is parse_edge_list:
        return parser(content, filename, limits, **chosen)
    if chosen:
        raise GraphLoadError(f"Source, target and weight columns can only be chosen for an edge list "
                             f"(.csv, .tsv, .txt); {filename} is {kind}.")
    return parser(content, filename, limits)


def _guarded(filename: str, kind: str, work):
    """Run ``work()``; anything that is not already a GraphLoadError becomes one (never a traceback)."""
    try:
        return work()
    except GraphLoadError:
        raise
    except MemoryError:
        raise GraphTooLargeError(f"{filename} is too large to load into memory on this computer.") from None
    except RecursionError:
        raise GraphLoadError(f"{filename} is nested too deeply to be a graph.") from None
    except Exception as e:  # noqa: BLE001 - last resort: never show a traceback for bad input
        raise GraphLoadError(f"{filename} could not be read as {kind} ({type(e).__name__}: {str(e)[:150]}).") from e


def load_bytes(filename: str, content: bytes, *, source: str, node_table: bytes | None = None,
               node_table_name: str | None = None, label_column: str | None = None,
               feature_columns: list[str] | None = None, limits: SizeLimits | None = None,
               name: str | None = None, description: str | None = None, id_column: str | None = None,
               source_column: str | None = None, target_column: str | None = None,
               weight_column: str | None = None) -> GraphBundle:
    """Load a graph file held in memory (any supported format), with an optional node table."""
    limits = resolve(limits)
    parser, kind = _format_of(filename)
    columns = {"source_column": source_column, "target_column": target_column, "weight_column": weight_column}

    def work():
        table = None
        if node_table is not None:
            table = parse_node_table(node_table, node_table_name or "the node table")
        raw = _parse(parser, kind, content, filename, limits, columns)
        return finish(raw, name=name or Path(filename).stem, source=source,
                      description=description or f"{kind} file {filename}", limits=limits, table=table,
                      label_column=label_column, feature_columns=feature_columns, id_column=id_column)
    return _guarded(filename, kind, work)


def load_upload(filename: str, content: bytes, *, node_table: bytes | None = None,
                node_table_name: str | None = None, label_column: str | None = None,
                feature_columns: list[str] | None = None, limits: SizeLimits | None = None,
                id_column: str | None = None, source_column: str | None = None, target_column: str | None = None,
                weight_column: str | None = None) -> GraphBundle:
    """Load a file from the app's uploader (bytes in memory; the format comes from the extension)."""
    return load_bytes(filename, content, source="upload", node_table=node_table, node_table_name=node_table_name,
                      label_column=label_column, feature_columns=feature_columns, limits=limits,
                      id_column=id_column, source_column=source_column, target_column=target_column,
                      weight_column=weight_column)


@dataclass
class UploadColumns:
    """What the user can choose from in an uploaded graph file."""

    edge_columns: list[str]  # an edge list's header ([] when it has none, or for other formats)
    node_attributes: list[str]  # node attribute names of GraphML/GEXF/GML/JSON files
    numeric_attributes: list[str] = field(default_factory=list)  # those that can be chosen as features
    detected_label: str | None = None  # the attribute used as the label when none is chosen


def upload_columns(filename: str, content: bytes, limits: SizeLimits | None = None) -> UploadColumns:
    """The columns or node attributes of a graph file, for the label/feature/column pickers."""
    parser, kind = _format_of(filename)
    if parser is parse_edge_list:
        return UploadColumns(_guarded(filename, kind, lambda: read_header(content, filename)), [])
    raw = _guarded(filename, kind, lambda: parser(content, filename, resolve(limits)))
    detected = interpret(raw.node_attrs, len(raw.names)).label_key
    return UploadColumns([], sorted(raw.node_attrs), numeric_attributes(raw.node_attrs), detected)


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
               data_dir=None, id_column: str | None = None, source_column: str | None = None,
               target_column: str | None = None, weight_column: str | None = None) -> GraphBundle:
    """Load a bundled graph by name, a Planetoid dataset by name, or a graph file by path.

    The column choices (``id_column`` of the node table; ``source_column``/``target_column``/
    ``weight_column`` of an edge list with a header) apply to graph files only."""
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
                      label_column=label_column, feature_columns=feature_columns, limits=limits,
                      id_column=id_column, source_column=source_column, target_column=target_column,
                      weight_column=weight_column)
