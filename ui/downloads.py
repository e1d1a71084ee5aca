"""File contents for the download buttons: embeddings (CSV, .npy, TensorFlow Projector TSV), config, weights."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from .sources import NodeInfo


def _clean(s: str) -> str:
    """One TSV cell: no tabs or line breaks (the Projector would split on them)."""
    return " ".join(str(s).replace("\t", " ").split()) or "-"


def embeddings_csv(emb: np.ndarray, nodes: NodeInfo) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["node", "name", "label", "degree"] + [f"dim_{j}" for j in range(emb.shape[1])])
    for i in range(emb.shape[0]):
        w.writerow([i, nodes.names[i], nodes.labels[i], int(nodes.degrees[i])] + [f"{v:.6g}" for v in emb[i]])
    return buf.getvalue().encode("utf-8")


def embeddings_npy(emb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(emb, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def projector_vectors_tsv(emb: np.ndarray) -> bytes:
    """``vectors.tsv`` for projector.tensorflow.org: one row per node, tab-separated, no header."""
    return ("\n".join("\t".join(f"{v:.6g}" for v in row) for row in np.asarray(emb, dtype=np.float32)) + "\n"
            ).encode("utf-8")


def projector_metadata_tsv(nodes: NodeInfo) -> bytes:
    """``metadata.tsv`` for projector.tensorflow.org: a header row, then name, label, degree per node."""
    lines = ["name\tlabel\tdegree"]
    lines += [f"{_clean(nodes.names[i])}\t{_clean(nodes.labels[i] or 'none')}\t{int(nodes.degrees[i])}"
              for i in range(nodes.n)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def config_json(cfg_dict: dict, extra: dict | None = None) -> bytes:
    d = dict(cfg_dict)
    if extra:
        d = {"config": d, **extra}
    return json.dumps(d, indent=2, sort_keys=True, default=str).encode("utf-8")
