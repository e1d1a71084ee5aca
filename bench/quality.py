"""Quality benchmark: linear-probe accuracy of each recipe on Cora and CiteSeer, one JSON line per run.

Each run trains a recipe on the whole graph without labels (one training seed), freezes the encoder
output and scores it with ``graphcl_core.evaluation.probe_scores`` under one protocol:

    --protocol report      (default) random 10/90 splits with split seeds 0-4 over all labelled nodes,
                           and the public Planetoid split (train_mask -> test_mask). Never used to
                           choose anything: these are the numbers to publish.
    --protocol validation  random 10/90 splits with split seeds 100-104 over the labelled nodes outside
                           the public test set, and the public split's train -> val nodes. What
                           ``bench/tune.py`` selects on.

The probe: L2-normalised embeddings, logistic regression (lbfgs), C chosen by 3-fold CV on the
training nodes of each split only. A run's ``random_mean`` is the mean over its 5 splits; the summary
line of each graph × recipe gives the mean and the minimum of that over the training seeds (≥ 5 by
default), and the same for the public split. Then, for ``report``, a line checking the issue's bars,
and the markdown table (stdout after the JSON lines, and ``--markdown FILE``).

    python bench/quality.py [--graphs Cora,CiteSeer] [--recipes default,margin-gcn,...,grace-reference]
        [--protocol report|validation] [--seeds 0,1,2,3,4] [--device auto] [--jobs 1] [--epochs N]
        [--out FILE.jsonl] [--markdown FILE.md]
    python bench/quality.py --table FILE.jsonl      # the markdown table of saved JSON lines

``grace-reference`` is ``bench/grace_reference.py`` (GRACE re-implemented with its published settings).
``--jobs N`` runs N trainings at once in separate processes (the accuracies do not change).
``--epochs`` overrides every recipe's epochs (smoke tests only: the numbers then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback

from common import JsonOut, markdown_table, run_tasks, score, setup_data_dir, summarise, train_embeddings

from graphcl_core.evaluation import PROTOCOLS  # noqa: E402
from graphcl_core.presets import PRESETS, preset  # noqa: E402

GRACE_REFERENCE = "grace-reference"
MARGIN_RECIPES = tuple(n for n, d in PRESETS.items() if d.get("loss", "margin") == "margin" and n != "small-graph")
# The targets, on the report protocol's random 10/90 splits (mean over training seeds).
BARS = {"Cora": {"margin": 0.835, "best": 0.85}, "CiteSeer": {"margin": 0.725, "best": 0.735}}


def run_one(graph: str, recipe: str, device: str, seed: int, protocol: str, epochs: int | None) -> dict:
    """Train one recipe with one seed and score it; a failure becomes a row with ``error``."""
    from graphcl_core.loaders import load_graph

    row = {"what": "quality", "protocol": protocol, "graph": graph, "recipe": recipe, "seed": seed}
    try:
        bundle = load_graph(graph)
        if recipe == GRACE_REFERENCE:
            import grace_reference

            emb, info = grace_reference.train(bundle, seed=seed, device=device, epochs=epochs)
            row.update({"loss": "grace", "encoder": "gcn", "epochs": info.pop("epochs")})
        else:
            over = {} if epochs is None else {"epochs": epochs}
            cfg = preset(recipe, device=device, seed=seed, eval_every=0, snapshot_every=10**6, **over)
            emb, info = train_embeddings(bundle, cfg)
            row.update({"loss": cfg.loss, "encoder": cfg.encoder, "epochs": cfg.epochs})
        row.update(info)
        row.update(score(emb, bundle, protocol))
    except Exception as e:  # noqa: BLE001 - one failed run must not lose the others
        row.update({"error": f"{type(e).__name__}: {e}"[:300], "trace": traceback.format_exc()[-800:]})
    return row


def bars_verdict(summary: list[dict]) -> dict:
    """Per graph: the default recipe, the best margin recipe and the best recipe against the bars."""
    verdict = {}
    for graph, bars in BARS.items():
        accs = {s["recipe"]: s["random_mean"] for s in summary if s["graph"] == graph and s["random_mean"] is not None}
        if not accs:
            continue
        best = max(accs, key=accs.get)
        margin = {n: a for n, a in accs.items() if n in MARGIN_RECIPES}
        best_margin = max(margin, key=margin.get) if margin else None
        verdict[graph] = {"default": accs.get("default"),
                          "best_margin_recipe": best_margin, "best_margin": margin.get(best_margin),
                          "margin_bar": bars["margin"], "best_recipe": best, "best": accs[best],
                          "best_bar": bars["best"],
                          "pass": best_margin is not None and margin[best_margin] >= bars["margin"]
                          and accs[best] >= bars["best"]}
    return verdict


def table_from_jsonl(path: str) -> str:
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    rows = [r for r in rows if r.get("what") == "quality"]
    out = []
    for protocol in PROTOCOLS:
        these = [r for r in rows if r.get("protocol") == protocol]
        if these:
            out.append(f"{protocol} protocol\n\n" + markdown_table(summarise(these)))
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graphs", default="Cora,CiteSeer")
    ap.add_argument("--recipes", "--presets", dest="recipes", default=",".join([*PRESETS, GRACE_REFERENCE]),
                    help=f"comma-separated: {', '.join(PRESETS)}, {GRACE_REFERENCE}")
    ap.add_argument("--protocol", choices=PROTOCOLS, default="report")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seeds", default="0,1,2,3,4", help="training seeds, comma-separated")
    ap.add_argument("--jobs", type=int, default=1, help="trainings run at once, each in its own process")
    ap.add_argument("--epochs", type=int, default=None, help="override every recipe's epochs (smoke tests)")
    ap.add_argument("--out", help="also append the JSON lines to this file")
    ap.add_argument("--markdown", help="also write the markdown table to this file")
    ap.add_argument("--table", metavar="JSONL", help="only print the markdown table of saved JSON lines")
    args = ap.parse_args(argv)
    if args.table:
        print(table_from_jsonl(args.table))
        return 0
    setup_data_dir()
    graphs, recipes = args.graphs.split(","), args.recipes.split(",")
    unknown = [r for r in recipes if r not in PRESETS and r != GRACE_REFERENCE]
    if unknown:
        ap.error(f"unknown recipe(s) {', '.join(unknown)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    tasks = [(g, r, args.device, s, args.protocol, args.epochs) for g in graphs for r in recipes for s in seeds]
    emit, rows = JsonOut(args.out), []
    for row in run_tasks(run_one, tasks, args.jobs, graphs):
        rows.append(row)
        emit(row)
    order = {(g, r): i for i, (g, r, *_) in enumerate(tasks)}
    summary = sorted(summarise([r for r in rows]), key=lambda s: order[(s["graph"], s["recipe"])])
    for s in summary:
        emit({"what": "quality_summary", **s})
    if args.protocol == "report":
        emit({"what": "quality_bars", **bars_verdict(summary)})
    table = markdown_table(summary)
    print(table, flush=True)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
