"""Regenerate the bundled sample graphs (deterministic: fixed seeds, no downloads).

Run from anywhere: ``python sample_graphs/make_samples.py``. Each graph is written in a plain
format that graphcl_core.loaders reads, so the bundled graphs also exercise the upload parsers.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import numpy as np

HERE = Path(__file__).resolve().parent


def write_edges(path: Path, edges) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "target"])
        w.writerows(sorted((min(a, b), max(a, b)) for a, b in edges))


def write_table(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def karate() -> dict:
    g = nx.karate_club_graph()
    write_edges(HERE / "karate.edges.csv", g.edges())
    write_table(HERE / "karate.nodes.csv", ["id", "faction"], [(v, g.nodes[v]["club"]) for v in g.nodes()])
    return {"name": "karate", "title": "Zachary's karate club",
            "description": "34 members of a karate club; edges = friendships; labels = the faction each "
                           "member joined after the club split (Mr. Hi or Officer).",
            "file": "karate.edges.csv", "node_table": "karate.nodes.csv", "label_column": "faction"}


def lesmis() -> dict:
    g = nx.les_miserables_graph()
    h = nx.Graph()
    h.add_nodes_from(sorted(g.nodes()))
    h.add_weighted_edges_from(sorted((min(a, b), max(a, b), float(d["weight"])) for a, b, d in g.edges(data=True)))
    nx.write_graphml(h, HERE / "lesmis.graphml")
    return {"name": "lesmis", "title": "Les Misérables",
            "description": "77 characters of Victor Hugo's novel; edges weighted by how often two characters "
                           "appear in the same chapter; no labels.",
            "file": "lesmis.graphml"}


def communities(groups: int = 4, size: int = 50, p_in: float = 0.15, p_out: float = 0.01, dim: int = 16) -> dict:
    rng = np.random.default_rng(7)
    g = nx.planted_partition_graph(groups, size, p_in, p_out, seed=7)
    labels = np.repeat(np.arange(groups), size)
    means = rng.normal(0.0, 0.5, size=(groups, dim))  # weak class signal: structure should matter
    x = means[labels] + rng.normal(0.0, 1.0, size=(groups * size, dim))
    write_edges(HERE / "communities.edges.csv", g.edges())
    cols = [f"f{i}" for i in range(dim)]
    write_table(HERE / "communities.nodes.csv", ["id", "community"] + cols,
                [[v, f"group {labels[v] + 1}"] + [f"{t:.4f}" for t in x[v]] for v in range(groups * size)])
    return {"name": "communities", "title": "Planted communities",
            "description": f"{groups} groups of {size} nodes (edge probability {p_in} inside a group, {p_out} "
                           f"between); {dim} noisy features only weakly tied to the group; labels = group.",
            "file": "communities.edges.csv", "node_table": "communities.nodes.csv",
            "label_column": "community", "feature_columns": cols}


def ring_of_cliques(cliques: int = 8, size: int = 6) -> dict:
    g = nx.ring_of_cliques(cliques, size)
    for v in g.nodes():
        g.nodes[v]["clique"] = f"clique {v // size + 1}"
    nx.write_gml(g, HERE / "ring_of_cliques.gml")
    return {"name": "ring_of_cliques", "title": "Ring of cliques",
            "description": f"{cliques} cliques of {size} nodes joined in a ring by single edges; "
                           "labels = clique.",
            "file": "ring_of_cliques.gml", "label_column": "clique"}


def two_moons(n: int = 200, k: int = 6, noise: float = 0.1, feature_noise: float = 0.25) -> dict:
    rng = np.random.default_rng(3)
    half = n // 2
    t = np.pi * rng.random(n)
    upper = np.stack([np.cos(t[:half]), np.sin(t[:half])], axis=1)
    lower = np.stack([1 - np.cos(t[half:]), 0.5 - np.sin(t[half:])], axis=1)
    pts = np.concatenate([upper, lower]) + rng.normal(0, noise, size=(n, 2))
    labels = ["upper moon"] * half + ["lower moon"] * (n - half)
    d = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nbrs = np.argsort(d, axis=1)[:, :k]
    edges = sorted({(min(i, int(j)), max(i, int(j))) for i in range(n) for j in nbrs[i]})
    feats = pts + rng.normal(0, feature_noise, size=(n, 2))
    doc = {"directed": False, "multigraph": False, "graph": {"name": "two_moons"},
           "nodes": [{"id": i, "moon": labels[i], "x": [round(float(a), 4) for a in feats[i]]} for i in range(n)],
           "links": [{"source": a, "target": b} for a, b in edges]}
    (HERE / "two_moons.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return {"name": "two_moons", "title": "Two moons",
            "description": f"{n} points on two interleaved half-circles; edges join each point to its {k} "
                           "nearest neighbours; features = noisy 2-D coordinates; labels = moon.",
            "file": "two_moons.json", "label_column": "moon"}


def main() -> None:
    index = [karate(), lesmis(), communities(), ring_of_cliques(), two_moons()]
    (HERE / "index.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for entry in index:
        print(f"{entry['name']:16s} {entry['file']}")


if __name__ == "__main__":
    main()
