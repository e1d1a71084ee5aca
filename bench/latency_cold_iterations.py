"""How many TorchDR iterations a live view's first (cold) frame needs (``projection.GPU_FIRST_ITERATIONS``).

    python bench/latency_cold_iterations.py 100,150,300      # JSON lines, CPU or GPU

Trains the default recipe on Cora for 200 epochs (snapshots every 10), then for each cold count lays the
snapshots out as the live view does, twice: a cold frame, then warm-started frames (80 iterations each).
Reports ``sklearn.manifold.trustworthiness`` (15 neighbours, cosine rows) of the first frame, the second,
the last and the chain's mean. The criterion is ``bench/latency_iterations.py``'s: the chain's mean at most
0.005 below that of 300 iterations, every frame at most 0.01 below.
"""
import os, sys, json, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("GRAPHCL_DATA_DIR", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".data", "planetoid")); os.environ.setdefault("GRAPHCL_OFFLINE", "1")
import numpy as np, torch
from sklearn.manifold import trustworthiness
from graphcl_core.loaders import load_graph
from graphcl_core.presets import preset
from graphcl_core.trainer import Trainer
from graphcl_core import projection
from graphcl_core.projection import Projector
bundle = load_graph("Cora")
tr = Trainer(bundle, preset("default", epochs=200, snapshot_every=10, eval_every=0, device="auto", seed=0)); tr.run()
snaps = [s.embeddings.astype(np.float32) for s in tr.snapshots]
def unit(x): return x / np.linalg.norm(x, axis=1, keepdims=True).clip(1e-12)
for cold in [int(c) for c in (sys.argv[1] if len(sys.argv) > 1 else "150,300").split(",")]:
    for rep in range(2):
        projection.GPU_FIRST_ITERATIONS = cold
        torch.manual_seed(rep)
        p = Projector("umap", 2, backend="torchdr")
        trust = []
        for i, e in enumerate(snaps[1:]):
            f = p.project(e)
            trust.append(trustworthiness(unit(e), f.raw, n_neighbors=15))
        print(json.dumps({"cold": cold, "rep": rep, "first_trust": round(trust[0], 4), "second": round(trust[1], 4),
                          "chain_mean": round(float(np.mean(trust)), 4), "last": round(trust[-1], 4)}), flush=True)
