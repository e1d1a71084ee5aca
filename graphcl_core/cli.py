"""Command line: ``python -m graphcl_core graphs``, ``python -m graphcl_core train ...``,
``python -m graphcl_core export-animation RUN_DIR ...``, ``python -m graphcl_core sweep ...`` (handed whole to
:func:`graphcl_core.sweep_cli.sweep_main`) and ``python -m graphcl_core studio [streamlit run options]`` (the app:
:func:`graphcl_core.studio.main`).

Bad arguments or files exit with code 2 and one line on stderr; ``--json`` ends with one JSON line
of final metrics on stdout, with the trainer's ``fast_info`` (which engine ran, and the
``RuntimeOptions`` switches) and the notes: ignored ``GRAPHCL_*`` values and the loader's notes, which
are also printed to stderr as ``note:`` lines. A run saved with ``--out`` always ends with a final
status, however the program stops.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import nullcontext

from .config import DEVICES, ENCODERS, LOSSES, PAIR_STRATEGIES, TrainConfig
from .errors import ConfigError, GraphCLError, TrainingError
from .presets import PRESETS


class _Parser(argparse.ArgumentParser):
    """argparse that fails with exit code 2 and a single line (no usage dump)."""

    def error(self, message: str):  # noqa: D102
        sys.stderr.write(f"error: {message} (see --help)\n")
        raise SystemExit(2)


def _build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = _Parser(prog="python -m graphcl_core", description="GraphCL Studio engine: contrastive learning on graphs.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("graphs", help="list the bundled graphs")
    # Listed for --help only: main() hands "sweep ..." to sweep_cli before this parser sees it.
    sub.add_parser("sweep", add_help=False, help="try many settings on one graph and rank them (sweep --help)")
    sub.add_parser("studio", add_help=False, help="start the app (the graphcl-studio command; extra arguments "
                   "go to streamlit run, e.g. --server.port 8502)")
    t = sub.add_parser("train", help="train a contrastive GNN on a graph")
    t.add_argument("--graph", required=True, help="bundled name, Cora/CiteSeer/PubMed, or a graph file")
    t.add_argument("--nodes", help="optional node table (CSV) for a graph file")
    t.add_argument("--label-column", help="label column of the node table (or node attribute of the graph file)")
    t.add_argument("--feature-column", action="append", dest="feature_columns", metavar="NAME",
                   help="a feature column of the node table or node attribute of the graph file (repeatable)")
    t.add_argument("--id-column", help="node id column of the node table (default: the one matching the graph)")
    t.add_argument("--source-column", help="source column of an edge list with a header (default: by name)")
    t.add_argument("--target-column", help="target column of an edge list with a header (default: by name)")
    t.add_argument("--weight-column", help="weight column of an edge list with a header (default: by name)")
    t.add_argument("--preset", choices=sorted(PRESETS), default="default",
                   help="a named recipe to start from (explicit options override it)")
    t.add_argument("--loss", choices=LOSSES, default=None)
    t.add_argument("--pairs", choices=PAIR_STRATEGIES, default=None)
    t.add_argument("--encoder", choices=ENCODERS, default=None)
    t.add_argument("--margin", type=float, default=None, help=f"default {d.margin}")
    t.add_argument("--hidden", type=int, default=None, help=f"default {d.hidden}")
    t.add_argument("--lr", type=float, default=None, help=f"default {d.lr}")
    t.add_argument("--epochs", type=int, default=None, help=f"default {d.epochs}")
    t.add_argument("--negatives", type=int, default=None, help=f"default {d.negatives}")
    t.add_argument("--tau", type=float, default=None, help=f"default {d.tau}")
    t.add_argument("--device", choices=DEVICES, default=None, help="default auto: the GPU when there is one")
    t.add_argument("--seed", type=int, default=None, help=f"default {d.seed}")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any other TrainConfig field, e.g. --set embedding_dim=64")
    t.add_argument("--out", help="runs folder to save the run in (default: do not save)")
    t.add_argument("--workspace", default="cli", help="workspace inside the runs folder to save the run in "
                   "(lowercase letters, digits, - and _; default: cli)")
    t.add_argument("--json", action="store_true", help="end with one JSON line of final metrics")
    _add_export_parser(sub)
    return p


def _add_export_parser(sub) -> None:
    from .animation_frames import DEFAULT_MAX_FRAMES, DEFAULT_MAX_POINTS
    from .export_animation import DEFAULT_FPS, FORMATS, METHODS

    a = sub.add_parser("export-animation", help="a saved run's embeddings over the epochs as HTML, GIF or MP4")
    a.add_argument("run_dir", metavar="RUN_DIR", help="a saved run's folder (runs/<workspace>/<run id>)")
    a.add_argument("--format", choices=FORMATS, required=True, dest="fmt",
                   help="html: interactive, plays offline; gif / mp4: for slides")
    a.add_argument("--out", required=True, help="the file to write")
    a.add_argument("--method", choices=METHODS, default="umap", help="projection (default umap; pca is instant)")
    a.add_argument("--fps", type=float, default=DEFAULT_FPS, help=f"frames per second (default {DEFAULT_FPS:g})")
    a.add_argument("--max-frames", type=int, default=DEFAULT_MAX_FRAMES,
                   help="at most this many snapshots, evenly spaced, first and last kept "
                   f"(default {DEFAULT_MAX_FRAMES})")
    a.add_argument("--max-points", type=int, default=DEFAULT_MAX_POINTS,
                   help=f"nodes shown; a fixed random subset of larger graphs (default {DEFAULT_MAX_POINTS})")
    a.add_argument("--size", default="800x600", help="GIF/MP4 picture size WIDTHxHEIGHT in pixels (default 800x600)")
    a.add_argument("--json", action="store_true", help="end with one JSON line: path, frames, seconds")


def _config(args) -> TrainConfig:
    fields = dict(PRESETS[args.preset])
    fields.update({k: getattr(args, k) for k in ("loss", "pairs", "encoder", "margin", "hidden", "lr", "epochs",
                                                 "negatives", "tau", "device", "seed") if getattr(args, k) is not None})
    for kv in args.set:
        if "=" not in kv:
            raise GraphCLError(f"--set expects KEY=VALUE, got '{kv}'.")
        k, v = kv.split("=", 1)
        if k not in TrainConfig.__dataclass_fields__:
            raise GraphCLError(f"--set: '{k}' is not a setting. Settings: {', '.join(TrainConfig.__dataclass_fields__)}.")
        fields[k] = v
    return TrainConfig.from_dict(fields).validate()


def _cmd_graphs() -> int:
    from .loaders import list_bundled

    for g in list_bundled():
        print(f"{g.name:18s} {g.description}")
    print(f"{'Cora/CiteSeer/PubMed':18s} Planetoid citation graphs (folder from GRAPHCL_DATA_DIR; downloaded on first use)")
    return 0


def _load(args):
    from .loaders import load_graph

    return load_graph(args.graph, node_table=args.nodes, label_column=args.label_column,
                      feature_columns=args.feature_columns, id_column=args.id_column,
                      source_column=args.source_column, target_column=args.target_column,
                      weight_column=args.weight_column)


def _say(message: str) -> None:
    sys.stderr.write(f"note: {message}\n")
    sys.stderr.flush()


def _probe_plan(bundle) -> tuple[float | None, str | None]:
    """The probe's train fraction, or why there will be no probe. Decided before training, by the probe's
    own checks on placeholder embeddings, so a graph whose labels cannot be scored (fewer than 10 labelled
    nodes, one class) still trains, and says so, instead of failing once training is over."""
    if not bundle.has_labels:
        return None, None
    import torch

    from .evaluation import REPORT_SPLIT_SEEDS, linear_probe, probe_train_fraction

    y = bundle.data.y
    frac = probe_train_fraction(int((y >= 0).sum()), bundle.num_classes)
    try:
        linear_probe(torch.zeros(bundle.num_nodes, 1), y, train_frac=frac, split_seeds=REPORT_SPLIT_SEEDS, C=1.0)
    except ConfigError as e:
        return None, f"no linear probe for this graph: {e} Training goes ahead without it."
    return frac, None


def _probe(trainer, bundle, frac: float) -> dict:
    """The report protocol's probe (split seeds ``REPORT_SPLIT_SEEDS``, whatever the training seed), so the
    number matches ``evaluate(quick=False)`` and ``bench/quality.py``."""
    from .evaluation import REPORT_SPLIT_SEEDS, linear_probe

    probe = linear_probe(trainer.embeddings(), bundle.data.y, train_frac=frac, split_seeds=REPORT_SPLIT_SEEDS)
    return {"linear_probe_acc": round(probe["mean"], 4), "linear_probe_std": round(probe["std"], 4),
            "linear_probe_train_frac": frac}


def _train(trainer, on_boundary) -> None:
    """Run training; the GPU running out of memory becomes a TrainingError like any other failure."""
    import torch

    try:
        trainer.run(callback=on_boundary)
    except torch.cuda.OutOfMemoryError:
        raise TrainingError("The GPU ran out of memory. Try a smaller hidden size, fewer negatives, or the "
                            "CPU.") from None


def _cmd_train(args) -> int:
    from tqdm import tqdm

    from .options import current
    from .runs import RunStore
    from .trainer import Trainer
    from .worker import SAVE_EVERY_S

    options = current()  # the GRAPHCL_* switches, read once here; a bad value is a note, not a crash
    for problem in options.problems:
        _say(problem)
    cfg = _config(args)
    bundle = _load(args)
    notes = [*options.problems, *bundle.notes]
    for note in bundle.notes:
        _say(note)
    frac, no_probe = _probe_plan(bundle)
    if no_probe:
        notes.append(no_probe)
        _say(no_probe)
    trainer = Trainer(bundle, cfg, options=options)
    writer = RunStore(args.out, args.workspace).create(bundle, cfg, str(trainer.device)) if args.out else None
    last = {"epoch": 0, "saved": 0.0}
    with writer.finalised() if writer else nullcontext():
        bar = tqdm(total=cfg.epochs, desc=f"{bundle.name} on {trainer.device}", unit="epoch", file=sys.stderr,
                   disable=None)

        def on_boundary(t: Trainer, force: bool = False) -> None:
            bar.update(t.epoch - last["epoch"])
            last["epoch"] = t.epoch
            if t.history:
                bar.set_postfix(loss=f"{t.history[-1]['loss']:.4f}")
            # metrics.csv is rewritten whole: at most every SAVE_EVERY_S, as the app's worker does
            if writer and (force or time.monotonic() - last["saved"] >= SAVE_EVERY_S):
                writer.save_progress(t.progress()["history"], t.snapshot_list(), t.epoch, t.train_seconds)
                last["saved"] = time.monotonic()

        t0 = time.perf_counter()
        try:
            _train(trainer, on_boundary)
        finally:
            bar.close()
        seconds = time.perf_counter() - t0
        final: dict = {"graph": bundle.name, "loss": trainer.history[-1]["loss"], "epochs": trainer.epoch,
                       "seconds": round(seconds, 3),
                       "ms_per_epoch": round(1000 * trainer.train_seconds / max(1, trainer.epoch), 3),
                       "device": str(trainer.device)}
        if frac is not None:
            final.update(_probe(trainer, bundle, frac))
        if writer:
            on_boundary(trainer, force=True)
            writer.save_weights(trainer.model)
            writer.finish("finished", metrics={k: v for k, v in final.items() if k.startswith("linear")})
            final["run_id"] = writer.run_id
    if args.json:
        print(json.dumps({**final, "fast_info": trainer.fast_info, "notes": notes}, default=str), flush=True)
    else:
        print("  ".join(f"{k}={v}" for k, v in final.items()))
    return 0


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size expects WIDTHxHEIGHT in pixels, e.g. 800x600 (got '{text}').") from None
    return w, h


def _cmd_export_animation(args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from .export_animation import export_animation

    size = _size(args.size)
    t0 = time.perf_counter()
    bar = tqdm(desc=f"projecting ({args.method})", unit="frame", file=sys.stderr, disable=None)
    projected = {"frames": 0}

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - projected["frames"])
        projected["frames"] = done

    try:
        path = export_animation(Path(args.run_dir), args.fmt, Path(args.out), method=args.method, fps=args.fps,
                                max_frames=args.max_frames, max_points=args.max_points, size=size,
                                progress=progress)
    finally:
        bar.close()
    frames, seconds = projected["frames"], round(time.perf_counter() - t0, 3)
    if args.json:
        print(json.dumps({"path": str(path), "format": args.fmt, "method": args.method, "frames": frames,
                          "seconds": seconds}), flush=True)
    else:
        print(f"path={path}  frames={frames}  seconds={seconds}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sweep"]:
        from .sweep_cli import sweep_main

        return sweep_main(argv[1:])
    if argv[:1] == ["studio"]:
        from .studio import main as studio_main

        return studio_main(argv[1:])
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "graphs":
            return _cmd_graphs()
        if args.command == "export-animation":
            return _cmd_export_animation(args)
        return _cmd_train(args)
    except TrainingError as e:
        sys.stderr.write(f"training failed: {e}\n")
        return 1
    except GraphCLError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
